// Writes valid records into the Dexie projections. Two paths with one meaning: `applyRecords`
// recomputes only the posts and members a batch touches; `rebuildProjection` recomputes
// everything from the full record set. Both call the same pure functions in domain/, and tests
// hold them equal.
import Dexie, { type IndexableType, type Table } from 'dexie';
import { affectsAuthority, appendToAuthority, computeAuthority, standingMoved, type Authority, type StandingMoved } from '../domain/authority';
import {
  isPost,
  lockedThread,
  projectCommunity,
  projectMember,
  projectMembers,
  projectPost,
  projectThread,
  nextReplyStats,
  replyStats,
  slimPost,
  type ReplyStats,
  type MemberRow,
  type PostRow,
  type ThreadRow
} from '../domain/posts';
import { KINDS, MAX_RECORD_BYTES, targetOf, type AnyRecord, type SignedRecord } from '../domain/record';
import { firstPerAutoKey } from '../domain/automation';
import { isInteractionRoot, projectInteraction, projectRoots, type InteractionRoot, type InteractionRows } from '../domain/interaction';
import type { CommunityRow, HearthDb, StoredRecord } from './db';
import { withoutPageHint, writePostRowsAsStored } from './post-bodies';
import { setIfUndefined } from 'lib0/map';
import { heldBack, hourOf, QUOTA_WINDOW_MS, quotaFor, recordBytes } from '../domain/quota';
import {
  communityRecords,
  idsTargeting,
  putRecords,
  recordById,
  recordTables,
  recordsByAuthor,
  recordsByAuthorBetween,
  recordsByAuthors,
  recordsById,
  recordsOfKind,
  recordsOfKinds,
  recordsTargeting,
  recordTimesByAuthors
} from './record-store';

/** Bump when row shapes or projection rules change: every community is rebuilt from its records on open. */
export const PROJECTION_VERSION = 7;

/** Past this many records in one batch a full rebuild is cheaper than per-post recomputation. */
const REBUILD_THRESHOLD = 2000;
/**
 * A batch of at least a quarter of the community (`applyRecords`' `communitySize`, the records the
 * caller holds) rebuilds too: the incremental path asks IndexedDB a few questions per record (its
 * related records, its hour's quota, its thread's replies), 1–2 ms a record in Chromium, where a
 * rebuild reads the community once and costs about 0.3 ms a record of the whole (a newcomer's
 * history arriving in growing batches).
 */
const REBUILD_SHARE = 4;
/** Below this a batch stays incremental whatever the share: a small community's every post would rewrite all its rows. */
const SHARE_MIN = 100;
/**
 * Records stored per transaction ahead of a rebuild. Chromium's IndexedDB keeps a large
 * transaction's writes in more space until LevelDB compacts, which an idle database never does:
 * 100,000 records in the import's batches (8,000, 32,000, 57,000 a transaction) took 135 MB on disk,
 * the same rows 5,000 a transaction 100 MB.
 */
const WRITE_CHUNK = 2000;
const AUTHORITY_RECORD_KINDS = ['invite', 'join', 'admit', 'grant', 'ban', 'trust', 'level', 'tombstone'] as const;

/** Authority per community, derived from the records table; replaced whenever an authority record arrives. */
const authorityCache = new WeakMap<HearthDb, Map<string, Authority>>();
/** Loads under way outside a transaction, so concurrent askers share one replay of the records. */
const authorityLoads = new WeakMap<HearthDb, Map<string, Promise<Authority | null>>>();

function cacheOf(db: HearthDb): Map<string, Authority> {
  let c = authorityCache.get(db);
  if (!c) authorityCache.set(db, (c = new Map()));
  return c;
}

function loadsOf(db: HearthDb): Map<string, Promise<Authority | null>> {
  let l = authorityLoads.get(db);
  if (!l) authorityLoads.set(db, (l = new Map()));
  return l;
}

function stored(r: AnyRecord): StoredRecord {
  const target = targetOf(r);
  return target ? { ...r, target } : { ...r };
}

/**
 * The stored records an authority was replayed from (the genesis first, then every record of the
 * authority kinds), kept while no member is restricted: a batch's authority records are replayed
 * with them instead of reading them all again. A newcomer's 10,000 joins arrive in pieces of a few
 * hundred, and reading every earlier join again for each piece made taking them in quadratic.
 */
const replayedFrom = new WeakMap<Authority, readonly StoredRecord[]>();
const AUTHORITY_KIND_SET: ReadonlySet<string> = new Set(AUTHORITY_RECORD_KINDS);

async function loadAuthority(db: HearthDb, cid: string): Promise<Authority | null> {
  const genesis = await recordById(db, cid);
  if (!genesis || genesis.kind !== 'genesis') return null;
  const records = await recordsOfKinds(db, cid, AUTHORITY_RECORD_KINDS);
  const auth = computeAuthority(genesis, records);
  if (!auth.restricted.size) {
    replayedFrom.set(auth, [genesis, ...records]);
    return auth;
  }
  // A ban or demotion keeps only the causal past it named: walking it needs the member's whole chain.
  const chains = await Promise.all([...auth.restricted].map((key) => recordsByAuthor(db, cid, key)));
  return computeAuthority(genesis, [...records, ...chains.flat()]);
}

/**
 * `before` with a batch's stored rows added: the same authority `loadAuthority` would read once the
 * rows are stored, without reading the others again. Null when `before` was not replayed from its
 * records alone (a restriction walks members' chains): then it is loaded.
 */
function extendAuthority(before: Authority, rows: readonly StoredRecord[]): Authority | null {
  const basis = replayedFrom.get(before);
  if (!basis) return null;
  const added = rows.filter((r) => AUTHORITY_KIND_SET.has(r.kind));
  // Records that come after all the others (a newcomer's join, its admission) are replayed alone.
  const appended = appendToAuthority(before, added);
  if (appended) {
    replayedFrom.set(appended, [...basis, ...added]);
    return appended;
  }
  const ids = new Set(added.map((r) => r.id));
  const [genesis, ...records] = basis;
  const merged = [...records.filter((r) => !ids.has(r.id)), ...added];
  const auth = computeAuthority(genesis as SignedRecord<'genesis'>, merged);
  if (auth.restricted.size) return null;
  replayedFrom.set(auth, [genesis, ...merged]);
  return auth;
}

/** Staff are never held back by the quota. */
const exemptFromQuota = (auth: Authority) => (key: string) => auth.isModerator(key) || key === auth.creator;

/**
 * Sets the `held` flag of a batch's rows by the receiving-side quota (domain/quota). The rows are
 * already in the table. The index `[cid+author+ts]` lists an author's hour in (ts, id) order (equal
 * keys sort by primary key), so the shown records are a prefix of it: reading `quota + batch` rows
 * of each touched hour is enough, however many the hour holds — a 20,000-record flood costs each
 * 500-record slice about 560 rows, not the whole hour. Returns stored rows whose flag changed.
 */
async function markHeld(db: HearthDb, cid: string, rows: StoredRecord[], auth: Authority): Promise<StoredRecord[]> {
  const exempt = exemptFromQuota(auth);
  const buckets = new Map<string, { author: string; hour: number; batch: StoredRecord[] }>();
  for (const r of rows) {
    delete r.held;
    if (r.kind === 'genesis' || exempt(r.author)) continue;
    const hour = hourOf(r.ts);
    const key = `${r.author}:${hour}`;
    let b = buckets.get(key);
    if (!b) buckets.set(key, (b = { author: r.author, hour, batch: [] }));
    b.batch.push(r);
  }
  const flipped: StoredRecord[] = [];
  const hours = [...buckets.values()];
  const prefixes = await hourPrefixes(db, cid, hours, (author, batch) => quotaFor(auth.trustOf(author)).records + batch);
  for (const [i, { author, batch }] of hours.entries()) {
    const quota = quotaFor(auth.trustOf(author));
    const prefix = prefixes[i];
    const shown = new Set<string>();
    let bytes = 0;
    for (const r of prefix) {
      bytes += recordBytes(r);
      if (shown.size >= quota.records || bytes > quota.bytes) break;
      shown.add(r.id);
    }
    const inBatch = new Set(batch.map((r) => r.id));
    for (const r of batch) if (!shown.has(r.id)) r.held = 1;
    // Rows this batch pushed out of the hour's budget (records are never removed, so none come back in).
    for (const r of prefix) {
      if (inBatch.has(r.id) || shown.has(r.id) || r.held) continue;
      r.held = 1;
      flipped.push(r);
    }
  }
  return flipped;
}

/**
 * The first `limit(author, batch size)` stored rows of each (author, hour), in (ts, id) order. Each
 * author's hours are read together, as one range from their first hour to the end of their last,
 * limited to what the hours' own reads would take together: a month of history touches one hour or
 * two of most authors, and a read per hour was an IndexedDB round trip per record (1.5 s of a
 * newcomer's worker over the real community's months). An author whose range holds more than that
 * (a flood's hour, or many records between their hours here) is read hour by hour, as before. Every
 * read is asked for at once: one request after another cost a round trip each.
 */
async function hourPrefixes(
  db: HearthDb,
  cid: string,
  hours: readonly { author: string; hour: number; batch: StoredRecord[] }[],
  limit: (author: string, batch: number) => number
): Promise<StoredRecord[][]> {
  const byAuthor = new Map<string, number[]>();
  hours.forEach(({ author }, i) => setIfUndefined(byAuthor, author, () => [] as number[]).push(i));
  const out: StoredRecord[][] = hours.map(() => []);
  const perHour = (i: number) => {
    const { author, hour, batch } = hours[i];
    return recordsByAuthorBetween(db, cid, author, hour * QUOTA_WINDOW_MS, (hour + 1) * QUOTA_WINDOW_MS, { limit: limit(author, batch.length) }).then(
      (rows) => void (out[i] = rows)
    );
  };
  await Promise.all(
    [...byAuthor].map(async ([author, indices]) => {
      if (indices.length === 1) return perHour(indices[0]);
      const first = Math.min(...indices.map((i) => hours[i].hour));
      const last = Math.max(...indices.map((i) => hours[i].hour));
      const total = indices.reduce((sum, i) => sum + limit(author, hours[i].batch.length), 0);
      const rows = await recordsByAuthorBetween(db, cid, author, first * QUOTA_WINDOW_MS, (last + 1) * QUOTA_WINDOW_MS, { limit: total });
      if (rows.length >= total) return Promise.all(indices.map(perHour));
      // Everything of the range is here: each hour's prefix is its rows up to its own limit.
      const byHour = new Map<number, StoredRecord[]>();
      for (const r of rows) setIfUndefined(byHour, hourOf(r.ts), () => [] as StoredRecord[]).push(r);
      for (const i of indices) out[i] = (byHour.get(hours[i].hour) ?? []).slice(0, limit(author, hours[i].batch.length));
    })
  );
  return out;
}

/**
 * What one record may weigh against an hour's byte budget (`recordBytes`), at most: the gate refuses
 * a record over `MAX_RECORD_BYTES` of signed content, own writes included (`checkRecord`); doubled
 * for its id and signature, which the limit does not count.
 */
const RECORD_BYTES_BOUND = 2 * MAX_RECORD_BYTES;

/**
 * The held flags of these members' records judged again, as a rebuild judges them (by each member's
 * quota now), after their quota moved with their trust level or a staff role. Only the hours that may
 * pass the smaller of the two budgets are read, told from the records' dates alone: most of a member's
 * hours hold a record or two, and reading every record of each member the automation promoted (200
 * a run) was most of what a trust append read. Stores and returns the rows whose flag flipped.
 */
async function rejudgeQuota(db: HearthDb, cid: string, members: readonly string[], before: Authority, auth: Authority): Promise<StoredRecord[]> {
  const [wasExempt, isExempt] = [exemptFromQuota(before), exemptFromQuota(auth)];
  const hours: { author: string; hour: number }[] = [];
  for (const [author, times] of await recordTimesByAuthors(db, cid, members)) {
    const budgets = [wasExempt(author) ? null : quotaFor(before.trustOf(author)), isExempt(author) ? null : quotaFor(auth.trustOf(author))].filter((q) => !!q);
    if (!budgets.length) continue;
    const records = Math.min(...budgets.map((q) => q.records));
    const bytes = Math.min(...budgets.map((q) => q.bytes));
    const counts = new Map<number, number>();
    for (const ts of times) counts.set(hourOf(ts), (counts.get(hourOf(ts)) ?? 0) + 1);
    // An hour within both budgets holds nothing back under either.
    for (const [hour, n] of counts) if (n > records || n * RECORD_BYTES_BOUND > bytes) hours.push({ author, hour });
  }
  const read = await Promise.all(
    hours.map(({ author, hour }) => recordsByAuthorBetween(db, cid, author, hour * QUOTA_WINDOW_MS, (hour + 1) * QUOTA_WINDOW_MS))
  );
  const flipped: StoredRecord[] = [];
  for (const rows of read) {
    const held = heldBack(rows, auth.trustOf, isExempt);
    for (const r of rows) {
      if (!!r.held === held.has(r.id)) continue;
      if (held.has(r.id)) r.held = 1;
      else delete r.held;
      flipped.push(r);
    }
  }
  if (flipped.length) await putRecords(db, flipped);
  return flipped;
}

/** Nobody's standing moved. */
const UNMOVED: StandingMoved = { shown: new Set(), hides: new Set(), quota: new Set() };

/** Drops the cached authority of a community (another thread, the community worker, changed it). */
export function forgetAuthority(db: HearthDb, cid: string): void {
  cacheOf(db).delete(cid);
  loadsOf(db).delete(cid);
}

/** The current authority of a community (cached). Null until its genesis is known. */
export async function authorityOf(db: HearthDb, cid: string): Promise<Authority | null> {
  const cache = cacheOf(db);
  const cached = cache.get(cid);
  if (cached) return cached;
  // Inside a transaction the replay reads in it: awaiting a load begun elsewhere would let it commit.
  if (Dexie.currentTransaction) return loadAuthority(db, cid);
  const loads = loadsOf(db);
  let load = loads.get(cid);
  if (!load) {
    load = loadAuthority(db, cid);
    loads.set(cid, load);
    const settle = () => loads.get(cid) === load && loads.delete(cid);
    load.then((auth) => {
      // Forgotten or replaced meanwhile (a batch changed authority): this replay is older than that.
      if (loads.get(cid) === load && auth && !cache.has(cid)) cache.set(cid, auth);
      settle();
    }, settle);
  }
  return load;
}

/** A community's row as its genesis describes it, over what the device already keeps in it (secret, addresses, dates). */
export function communityFromGenesis(g: SignedRecord<'genesis'>, existing: CommunityRow | undefined): CommunityRow {
  return {
    ...existing,
    cid: g.id,
    name: g.body.name,
    description: g.body.description,
    emoji: g.body.emoji ?? '',
    color: g.body.color,
    creator: g.author,
    createdAt: g.body.createdAt,
    ...(g.body.shards ? { shards: g.body.shards } : {}),
    addedAt: existing?.addedAt ?? Date.now(),
    lastOpened: existing?.lastOpened ?? Date.now()
  };
}

const TABLES = (db: HearthDb) => [
  ...recordTables(db),
  db.threads,
  db.replies,
  db.members,
  db.communities,
  db.projectionMeta,
  db.questions,
  db.answers,
  db.polls,
  db.challenges
];

async function writeInteraction(db: HearthDb, rows: InteractionRows): Promise<void> {
  await db.questions.bulkPut(rows.questions);
  await db.answers.bulkPut(rows.answers);
  await db.polls.bulkPut(rows.polls);
  await db.challenges.bulkPut(rows.challenges);
}

/** The records targeting each of these ids (reactions, votes, answers, edits), asked for at once. */
function relatedOf(db: HearthDb, ids: readonly string[]): Promise<StoredRecord[][]> {
  return Promise.all(ids.map((id) => recordsTargeting(db, id)));
}

/**
 * The records about each thread (edits, deletions, reactions, hides, pins, features) without its
 * replies: a reply's `target` is its thread, so the `target` index holds every reply of a thread,
 * which no thread row reads (`projectPost` reads records with a `target`, `projectThread` pins and
 * features). Their keys are left out before any value is read: a thread projected after each new
 * reply read all its replies' records again (~30 ms at 175 replies in the latency bench).
 * `replies[i]`: the ids of thread `ids[i]`'s replies.
 */
function aboutThreads(db: HearthDb, ids: readonly string[], replies: readonly (readonly string[])[]): Promise<StoredRecord[][]> {
  return Promise.all(
    ids.map(async (id, i) => {
      const keys = await idsTargeting(db, id);
      const known = new Set(replies[i]);
      const rest = keys.filter((key) => !known.has(key));
      if (!rest.length) return [];
      return (await recordsById(db, rest)).filter((r): r is StoredRecord => !!r);
    })
  );
}

/** Batches of at most this many replies move their threads' stats on; larger ones read the threads' replies. */
const MOVE_STATS_UP_TO = 32;

/**
 * A thread's reply stats and its replies' ids: moved on from its stored row by what changed in this
 * batch, without reading the replies' rows (the thread page's latency grew with the thread, as each
 * new reply's projection read all of them); from every reply row when the thread has no stored row
 * yet, is a locked card, or lost the reply that was its last activity.
 */
async function threadStatsOf(
  db: HearthDb,
  thread: SignedRecord<'thread'>,
  stored: ThreadRow | undefined,
  changes: readonly { before?: PostRow; after?: PostRow }[]
): Promise<{ stats: ReplyStats; replies: string[] }> {
  const range = db.replies.where('[thread+createdAt]').between([thread.id, Dexie.minKey], [thread.id, Dexie.maxKey]);
  const stats = stored && stored.locked === undefined ? nextReplyStats(stored, thread.id, changes) : null;
  if (stats) return { stats, replies: (await range.primaryKeys()) as string[] };
  const rows = await range.toArray();
  return { stats: replyStats({ id: thread.id, createdAt: thread.ts }, rows), replies: rows.map((r) => r.id) };
}

/** Recomputes questions (with their answers), polls and challenges touched by a batch. */
async function applyInteraction(db: HearthDb, touched: StoredRecord[], auth: Authority): Promise<void> {
  const rootIds = new Set<string>();
  for (const r of touched) {
    if (isInteractionRoot(r)) rootIds.add(r.id);
    else if (r.kind === 'answer') rootIds.add(r.body.question);
  }
  if (!rootIds.size) return;
  const roots = (await recordsById(db, [...rootIds])).filter((r): r is StoredRecord & InteractionRoot => !!r && isInteractionRoot(r));
  const related = new Map<string, AnyRecord[]>();
  const load = async (ids: string[]) => {
    const found = await relatedOf(db, ids);
    ids.forEach((id, i) => related.set(id, found[i]));
  };
  await load(roots.map((r) => r.id));
  await load(
    roots.flatMap((root) =>
      related
        .get(root.id)!
        .filter((r) => r.kind === 'answer')
        .map((r) => r.id)
    )
  );
  const rows = projectRoots(roots, (id) => related.get(id) ?? [], auth);
  // Roots whose author is not (or no longer) a member, and answers that fell away, leave the tables.
  const kept = new Set([...rows.questions, ...rows.polls, ...rows.challenges].map((r) => r.id));
  const gone = roots.filter((r) => !kept.has(r.id)).map((r) => r.id);
  await Promise.all([db.questions.bulkDelete(gone), db.polls.bulkDelete(gone), db.challenges.bulkDelete(gone)]);
  const questionIds = roots.filter((r) => r.kind === 'question').map((r) => r.id);
  if (questionIds.length) await db.answers.where('question').anyOf(questionIds).delete();
  await writeInteraction(db, rows);
}

/** True when projecting `count` new records is cheaper as a full rebuild than per post (see `REBUILD_SHARE`). */
export function rebuildsFor(count: number, communitySize: number): boolean {
  return count > REBUILD_THRESHOLD || (count >= SHARE_MIN && count * REBUILD_SHARE >= communitySize);
}

/**
 * Stores gate-approved records ahead of a rebuild (`rebuildProjection`), without projecting them.
 * The projection is marked behind first: a crash before the rebuild ends makes the next open
 * rebuild, rather than the gate finding the records known. An import stores each slice of records as
 * the gate passes it, so IndexedDB writes them while the next slice's signatures are checked.
 */
export async function storeAhead(db: HearthDb, cid: string, records: readonly AnyRecord[]): Promise<void> {
  if (!records.length) return;
  for (let i = 0; i < records.length; i += WRITE_CHUNK) {
    const chunk = records.slice(i, i + WRITE_CHUNK).map(stored);
    // The mark goes in the first chunk's transaction: a newcomer's history is stored a slice of 500
    // at a time, and a commit of its own before each slice was waited for (12 in a traced join, 354 ms).
    if (i === 0)
      await db.transaction('rw', [db.projectionMeta, ...recordTables(db)], async () => {
        await db.projectionMeta.delete(cid);
        await putRecords(db, chunk);
      });
    else await putRecords(db, chunk);
  }
}

/**
 * Stores records as `applyRecords` does before projecting them (their held flags come with the
 * projection), for a write that goes out before it is projected.
 */
export async function storeRecords(db: HearthDb, records: readonly AnyRecord[]): Promise<void> {
  await putRecords(db, records.map(stored));
}

/** What a rebuild found: the records the authority refuses (null before the genesis) and those the quota holds back. */
export interface Rebuilt {
  unauthorised: number | null;
  held: ReadonlySet<string>;
}

/**
 * Adds gate-approved records of one community to the projections. Returns the ids of the batch the
 * receiving quota holds back: stored, never shown, so nothing follows them (a 20,000-thread flood
 * announced to the pages cost each page 40 messages of 500 records it had no use for).
 */
export async function applyRecords(db: HearthDb, cid: string, records: AnyRecord[], communitySize = Infinity): Promise<ReadonlySet<string>> {
  if (records.length === 0) return new Set();
  if (rebuildsFor(records.length, communitySize) || records.some((r) => r.kind === 'genesis')) {
    await storeAhead(db, cid, records);
    const { held } = await rebuildProjection(db, cid);
    return new Set(records.filter((r) => held.has(r.id)).map((r) => r.id));
  }
  const cache = cacheOf(db);
  let nextAuthority: Authority | null = null;
  const held = new Set<string>();
  await db.transaction('rw', TABLES(db), async () => {
    held.clear(); // a retried transaction starts again
    const rows = records.map(stored);
    await putRecords(db, rows);
    const before = await authorityOf(db, cid);
    if (!before) return; // Nothing is shown before the genesis that says who the creator is.
    let auth = before;
    let moved = UNMOVED;
    if (records.some((r) => affectsAuthority(r, before.invites, before.restricted))) {
      auth = extendAuthority(before, rows) ?? (await loadAuthority(db, cid))!;
      moved = standingMoved(before, auth);
      nextAuthority = auth;
    }
    const changed = moved.shown;
    // The quota may hold back records of this batch, and move others of the same hours in or out.
    const flipped = await markHeld(db, cid, rows, auth);
    const flagged = [...rows.filter((r) => r.held), ...flipped];
    if (flagged.length) await putRecords(db, flagged);
    // Members whose quota moved: any hour of theirs may hold back more or less now (the batch's own
    // rows judged again too, by the same rule, over their whole hour).
    if (moved.quota.size) {
      const rejudged = await rejudgeQuota(db, cid, [...moved.quota], before, auth);
      const heldNow = new Map(rejudged.map((r) => [r.id, r.held]));
      for (const r of rows) {
        if (!heldNow.has(r.id)) continue;
        if (heldNow.get(r.id)) r.held = 1;
        else delete r.held;
      }
      flipped.push(...rejudged);
      flagged.push(...rejudged);
    }
    for (const r of rows) if (r.held) held.add(r.id);
    // Held flags the replay's copies do not have: the next change replays from the table.
    if (flagged.some((r) => AUTHORITY_KIND_SET.has(r.kind))) replayedFrom.delete(auth);

    // Posts whose rows may differ now: those in the batch, their targets, everything written by
    // members whose records are shown differently (a join makes their earlier-received posts
    // visible), and the posts hidden by members whose hides count differently now.
    const touched = new Set<string>();
    const addTouched = (r: AnyRecord) => {
      if (isPost(r) || isInteractionRoot(r) || r.kind === 'answer') touched.add(r.id);
      const t = targetOf(r);
      if (t) touched.add(t);
    };
    // Held records were never shown: only those that flipped change a row.
    rows.filter((r) => !r.held).forEach(addTouched);
    flipped.forEach(addTouched);
    // Records about an answer (upvotes, edits) touch its question through the answer.
    // One walk of the index for every changed member (a newcomer's piece of history changes hundreds).
    if (changed.size) (await recordsByAuthors(db, cid, [...changed])).forEach(addTouched);
    if (moved.hides.size) (await recordsOfKind(db, cid, 'hide', (r) => moved.hides.has(r.author))).forEach(addTouched);

    const touchedAll = (await recordsById(db, [...touched])).filter((r): r is StoredRecord => !!r);
    await applyInteraction(db, touchedAll, auth);
    const touchedRecords = touchedAll.filter(isPost);
    const threadIds = new Set(touchedRecords.filter((r) => r.kind === 'thread').map((r) => r.id));

    const goneReplies: string[] = [];
    const shownReplies: SignedRecord<'reply'>[] = [];
    for (const r of touchedRecords) {
      if (r.kind !== 'reply') continue;
      threadIds.add(r.body.thread);
      if (auth.accepts(r)) shownReplies.push(r);
      else goneReplies.push(r.id);
    }
    const replyRelated = await relatedOf(
      db,
      shownReplies.map((r) => r.id)
    );
    const replyRows = shownReplies.map((r, i) => projectPost(r, replyRelated[i], auth));
    // Each thread's replies as they were and as they are now: its stats move by the difference.
    // Only for a few replies (a write, a live update): a piece of history touches hundreds of threads,
    // each read whole anyway, and reading each reply's row first cost a newcomer's sync ~1 s.
    const moving = shownReplies.length + goneReplies.length <= MOVE_STATS_UP_TO;
    const repliesBefore = moving ? await db.replies.bulkGet([...shownReplies.map((r) => r.id), ...goneReplies]) : [];
    const replyChanges = new Map<string, { before?: PostRow; after?: PostRow }[]>();
    const changeOf = (thread: string) => replyChanges.get(thread) ?? replyChanges.set(thread, []).get(thread)!;
    shownReplies.forEach((r, i) => changeOf(r.body.thread).push({ before: repliesBefore[i], after: replyRows[i] }));
    for (const before of repliesBefore.slice(shownReplies.length)) if (before) changeOf(before.thread).push({ before });
    await db.replies.bulkDelete(goneReplies);
    await db.replies.bulkPut(replyRows);

    // Threads written by automation: of those sharing a key, only the first is shown.
    const autoThreads = new Map<string, Set<string>>();
    for (const r of await recordsById(db, [...threadIds])) {
      if (r?.kind !== 'thread' || !r.body.auto) continue;
      const key = `${r.body.auto.rule}:${r.body.auto.key}`;
      const same = await recordsOfKind(db, cid, 'thread', (x) => !!x.body.auto && `${x.body.auto.rule}:${x.body.auto.key}` === key);
      const first = firstPerAutoKey(same as SignedRecord<'thread'>[]).map((x) => x.id);
      autoThreads.set(key, new Set(first));
      same.forEach((x) => threadIds.add(x.id));
    }
    const goneThreads: string[] = [];
    const shownThreads: SignedRecord<'thread'>[] = [];
    for (const r of await recordsById(db, [...threadIds])) {
      if (!r || r.kind !== 'thread') continue;
      if (auth.accepts(r)) shownThreads.push(r);
      else goneThreads.push(r.id);
    }
    const storedThreads = moving ? await db.threads.bulkGet(shownThreads.map((r) => r.id)) : [];
    const threadStats = await Promise.all(shownThreads.map((r, i) => threadStatsOf(db, r, storedThreads[i], replyChanges.get(r.id) ?? [])));
    const threadRelated = await aboutThreads(
      db,
      shownThreads.map((r) => r.id),
      threadStats.map((s) => s.replies)
    );
    const threadRows: ThreadRow[] = shownThreads.map((r, i) => {
      const key = r.body.auto ? `${r.body.auto.rule}:${r.body.auto.key}` : null;
      const superseded = key !== null && !!autoThreads.get(key) && !autoThreads.get(key)!.has(r.id);
      return projectThread(projectPost(r, threadRelated[i], auth), threadStats[i].stats, threadRelated[i], auth, superseded);
    });
    // Sealed threads this device cannot open yet: locked cards (replaced by the thread once opened).
    for (const r of rows) {
      const locked = r.kind === 'sealed' ? lockedThread(r, auth) : null;
      if (locked) threadRows.push(locked);
    }
    await db.threads.bulkDelete(goneThreads);
    await db.threads.bulkPut(threadRows);

    // A member row reads the member's standing and profiles: only members whose standing changed or
    // whose profile came (or was held back or let through by the quota) need it again. Reading every
    // author's whole chain for it cost the creator's automation a read of all its records per batch.
    const memberKeys = new Set([...[...rows, ...flipped].filter((r) => r.kind === 'profile').map((r) => r.author), ...changed]);
    const keys = [...memberKeys];
    const [chains, storedRows] = await Promise.all([
      Promise.all(keys.map((key) => recordsByAuthor(db, cid, key, (r) => r.kind === 'profile'))),
      db.members.bulkGet(keys.map((key) => [cid, key] as [string, string]))
    ]);
    const memberRows: MemberRow[] = [];
    const goneMembers: [string, string][] = [];
    keys.forEach((key, i) => {
      const row = projectMember(cid, key, chains[i], auth);
      const stored = storedRows[i];
      // An unchanged row is not written again: pages' live queries of it would run for nothing.
      if (row && JSON.stringify(row) !== JSON.stringify(stored)) memberRows.push(row);
      else if (!row && stored) goneMembers.push([cid, key]);
    });
    await Promise.all([db.members.bulkPut(memberRows), db.members.bulkDelete(goneMembers)]);
  });
  if (nextAuthority) {
    loadsOf(db).delete(cid);
    cache.set(cid, nextAuthority);
  }
  return held;
}

/** How `replaceRows` compares a stored row with a built one: each in the same form. */
interface RowForms<T> {
  stored: (row: T) => unknown;
  built: (row: T) => unknown;
}
const AS_BUILT: RowForms<unknown> = { stored: (row) => row, built: (row) => row };
/**
 * Post rows read as stored (`writePostRowsAsStored`), compared slim: a field left to the record is
 * the record's value on both sides (the same record, by id), so equal slim rows are equal rows.
 */
const AS_STORED_POSTS: RowForms<PostRow> = { stored: withoutPageHint, built: slimPost };

/**
 * Makes a community's rows of a projection table `rows`: writes only the rows that differ from the
 * stored ones and deletes only those gone. A rebuild leaves most rows as they were (an import's
 * last one: ~60 % of its 45,000 rows at 100,000 records), and every write costs disk in Chromium
 * until LevelDB compacts, which an idle database does not do.
 */
async function replaceRows<T extends { cid: string }, K extends IndexableType>(
  table: Table<T, K>,
  cid: string,
  rows: T[],
  keyOf: (row: T) => K,
  forms: RowForms<T> = AS_BUILT
): Promise<void> {
  const stored = new Map<string, unknown>();
  for (const row of await table.where('cid').equals(cid).toArray()) stored.set(JSON.stringify(keyOf(row)), forms.stored(row));
  const changed: T[] = [];
  for (const row of rows) {
    const key = JSON.stringify(keyOf(row));
    const before = stored.get(key);
    stored.delete(key);
    // Rows are built by the same pure functions in the same key order: equal JSON, equal row.
    if (!before || JSON.stringify(before) !== JSON.stringify(forms.built(row))) changed.push(row);
  }
  await table.bulkDelete([...stored.keys()].map((key) => JSON.parse(key) as K));
  await table.bulkPut(changed);
}

/**
 * Recomputes every projected row of a community from the records table, or from `all`: every record
 * the table holds for the community, as stored, when the caller knows them (an import into a
 * community that had none, which wrote them itself: reading 100,000 records back cost seconds).
 * Returns how many of the records the authority refuses (`countUnauthorised`; null before the
 * genesis) and which the receiving quota holds back.
 *
 * Two transactions: everything but the replies, then the replies. The feed reads thread rows only,
 * and writing a newcomer's 3,419 reply rows (the real community) took ~0.5 s of the 0.8 s that its
 * threads waited for. The first marks the projection stale and the second current again, so a tab
 * that dies between them rebuilds at its next open; meanwhile a thread's page may show fewer replies
 * than its row counts, for that half second. The community worker runs no other projection writes
 * between them (its writes overtake a check only at its slice boundaries). The second one's scope
 * leaves out the records that post rows are filled from (`writePostRowsAsStored`): with them in it,
 * every reader of thread rows waited for the replies all the same.
 */
export async function rebuildProjection(db: HearthDb, cid: string, all?: readonly AnyRecord[]): Promise<Rebuilt> {
  let auth: Authority | null = null;
  let unauthorised: number | null = null;
  let held: ReadonlySet<string> = new Set();
  // The reply rows the first transaction computed, for the second (none: no genesis, nothing written).
  const replies = await db.transaction('rw', TABLES(db), async () => {
    const genesis = all ? all.find((r) => r.id === cid) : await recordById(db, cid);
    if (genesis?.kind !== 'genesis') return;
    await db.communities.put(communityFromGenesis(genesis, await db.communities.get(cid)));
    const records: StoredRecord[] = all ? [genesis, ...all.filter((r) => r !== genesis).map(stored)] : [genesis, ...(await communityRecords(db, cid))];
    auth = computeAuthority(genesis, records);
    held = heldBack(records, auth.trustOf, exemptFromQuota(auth));
    const flipped: StoredRecord[] = [];
    for (const r of records as StoredRecord[]) {
      if (!!r.held === held.has(r.id)) continue;
      if (held.has(r.id)) r.held = 1;
      else delete r.held;
      flipped.push(r);
    }
    unauthorised = records.reduce((n, r) => (r !== genesis && refused(auth!, r) ? n + 1 : n), 0);
    if (flipped.length) await putRecords(db, flipped);
    if (!auth.restricted.size) replayedFrom.set(auth, [genesis, ...records.filter((r) => r !== genesis && AUTHORITY_KIND_SET.has(r.kind))]);
    const { threads, replies } = projectCommunity(records, auth);
    const interaction = projectInteraction(records, auth);
    const byId = (row: { id: string }) => row.id;
    await replaceRows(db.threads, cid, threads, byId);
    await replaceRows(db.members, cid, projectMembers(cid, records, auth), (m): [string, string] => [m.cid, m.key]);
    await replaceRows(db.questions, cid, interaction.questions, byId);
    await replaceRows(db.answers, cid, interaction.answers, byId);
    await replaceRows(db.polls, cid, interaction.polls, byId);
    await replaceRows(db.challenges, cid, interaction.challenges, byId);
    await db.projectionMeta.delete(cid);
    return replies;
  });
  if (replies) {
    // Without the records in its scope (reply rows read as stored, compared slim): a transaction
    // writing replies over the records held the feed's reads of thread rows behind it.
    await writePostRowsAsStored(db, [db.replies, db.projectionMeta], async () => {
      await replaceRows(db.replies, cid, replies, (row) => row.id, AS_STORED_POSTS);
      await db.projectionMeta.put({ cid, version: PROJECTION_VERSION });
    });
  }
  loadsOf(db).delete(cid);
  if (auth) cacheOf(db).set(cid, auth);
  else cacheOf(db).delete(cid);
  return { unauthorised, held };
}

export async function projectionIsCurrent(db: HearthDb, cid: string): Promise<boolean> {
  return (await db.projectionMeta.get(cid))?.version === PROJECTION_VERSION;
}

/**
 * Refused by the authority, as the health panel counts it: not a record held back by the receiving
 * quota, which the panel counts apart ("held back", `coverage.held`); counted here too, it told
 * members those were rejected by the gate.
 */
function refused(auth: Authority, r: StoredRecord): boolean {
  return !r.held && !auth.accepts(r);
}

/**
 * Stored records whose author was not a member when they were written: counted, never shown. Read a
 * kind at a time as one range each: a filtered count walked a cursor over every record, one step per
 * row, which took the 10k creator's device 10–14 s after each join (inside its ingest queue).
 * `between` runs between two kinds (the ingest queue lets this member's writes through there).
 */
export async function countUnauthorised(db: HearthDb, cid: string, between: () => Promise<void> = async () => {}): Promise<number> {
  const auth = await authorityOf(db, cid);
  if (!auth) return 0;
  let count = 0;
  for (const kind of KINDS) {
    const rows = await recordsOfKind(db, cid, kind);
    for (const r of rows) if (refused(auth, r)) count++;
    await between();
  }
  return count;
}
