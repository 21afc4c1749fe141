// Writes valid records into the Dexie projections. Two paths with one meaning: `applyRecords`
// recomputes only the posts a batch touches; `rebuildProjection` recomputes everything from the
// full record set. Both call the same pure functions in domain/posts, and tests hold them equal.
import Dexie from 'dexie';
import { creatorOnlyAuthority, isPost, projectCommunity, projectMembers, projectPost, projectThread, type Authority, type PostRow, type ThreadRow } from '../domain/posts';
import { targetOf, type AnyRecord, type SignedRecord } from '../domain/record';
import type { CommunityRow, HearthDb, StoredRecord } from './db';

/** Bump when row shapes or projection rules change: every community is rebuilt from its records on open. */
export const PROJECTION_VERSION = 1;

/** Past this many records in one batch a full rebuild is cheaper than per-post recomputation. */
const REBUILD_THRESHOLD = 2000;

function stored(r: AnyRecord): StoredRecord {
  const target = targetOf(r);
  return target ? { ...r, target } : { ...r };
}

async function authorityFor(db: HearthDb, cid: string): Promise<Authority | null> {
  const genesis = await db.records.get(cid);
  return genesis && genesis.kind === 'genesis' ? creatorOnlyAuthority(genesis.author) : null;
}

function communityFromGenesis(g: SignedRecord<'genesis'>, existing: CommunityRow | undefined): CommunityRow {
  return {
    cid: g.id,
    name: g.body.name,
    description: g.body.description,
    emoji: g.body.emoji ?? '',
    color: g.body.color,
    creator: g.author,
    createdAt: g.body.createdAt,
    addedAt: existing?.addedAt ?? Date.now(),
    lastOpened: existing?.lastOpened ?? Date.now()
  };
}

const TABLES = (db: HearthDb) => [db.records, db.threads, db.replies, db.members, db.communities, db.projectionMeta];

/** Adds gate-approved records of one community to the projections. */
export async function applyRecords(db: HearthDb, cid: string, records: AnyRecord[]): Promise<void> {
  if (records.length === 0) return;
  if (records.length > REBUILD_THRESHOLD) {
    await db.records.bulkPut(records.map(stored));
    return rebuildProjection(db, cid);
  }
  await db.transaction('rw', TABLES(db), async () => {
    await db.records.bulkPut(records.map(stored));
    const genesis = records.find((r): r is SignedRecord<'genesis'> => r.kind === 'genesis');
    if (genesis) await db.communities.put(communityFromGenesis(genesis, await db.communities.get(cid)));
    const auth = await authorityFor(db, cid);
    if (!auth) return; // Nothing is shown before the genesis that says who the creator is.
    if (genesis) return void (await rebuildInside(db, cid, auth));

    const touched = new Set<string>();
    for (const r of records) {
      if (isPost(r)) touched.add(r.id);
      const t = targetOf(r);
      if (t) touched.add(t);
    }
    const touchedRecords = (await db.records.bulkGet([...touched])).filter((r): r is StoredRecord => !!r && isPost(r));
    const threadIds = new Set(touchedRecords.filter((r) => r.kind === 'thread').map((r) => r.id));

    const replyRows: PostRow[] = [];
    for (const r of touchedRecords) {
      if (r.kind !== 'reply' || !auth.isMember(r.author)) continue;
      const related = await db.records.where('target').equals(r.id).toArray();
      replyRows.push(projectPost(r, related, auth));
      threadIds.add(r.body.thread);
    }
    await db.replies.bulkPut(replyRows);

    const threadRows: ThreadRow[] = [];
    for (const id of threadIds) {
      const r = await db.records.get(id);
      if (!r || r.kind !== 'thread' || !auth.isMember(r.author)) continue;
      const related = await db.records.where('target').equals(id).toArray();
      const replies = await db.replies.where('[thread+createdAt]').between([id, Dexie.minKey], [id, Dexie.maxKey]).toArray();
      threadRows.push(projectThread(projectPost(r, related, auth), replies, related, auth));
    }
    await db.threads.bulkPut(threadRows);

    const authors = [...new Set(records.map((r) => r.author))];
    for (const author of authors) {
      const theirs = await db.records.where('[cid+author]').equals([cid, author]).toArray();
      const genesis = author === auth.creator ? await db.records.get(cid) : undefined;
      await db.members.bulkPut(projectMembers(cid, genesis ? [genesis, ...theirs] : theirs, auth));
    }
  });
}

async function rebuildInside(db: HearthDb, cid: string, auth: Authority): Promise<void> {
  const all = await db.records.where('cid').equals(cid).toArray();
  const genesis = await db.records.get(cid);
  const records = genesis ? [genesis, ...all] : all;
  const { threads, replies } = projectCommunity(records, auth);
  await db.threads.where('cid').equals(cid).delete();
  await db.replies.where('cid').equals(cid).delete();
  await db.members.where('cid').equals(cid).delete();
  await db.threads.bulkPut(threads);
  await db.replies.bulkPut(replies);
  await db.members.bulkPut(projectMembers(cid, records, auth));
  await db.projectionMeta.put({ cid, version: PROJECTION_VERSION });
}

/** Recomputes every projected row of a community from the records table. */
export async function rebuildProjection(db: HearthDb, cid: string): Promise<void> {
  await db.transaction('rw', TABLES(db), async () => {
    const genesis = await db.records.get(cid);
    if (genesis?.kind === 'genesis') await db.communities.put(communityFromGenesis(genesis, await db.communities.get(cid)));
    const auth = await authorityFor(db, cid);
    if (auth) await rebuildInside(db, cid, auth);
  });
}

export async function projectionIsCurrent(db: HearthDb, cid: string): Promise<boolean> {
  return (await db.projectionMeta.get(cid))?.version === PROJECTION_VERSION;
}
