// Keeps one open document handle per community for the life of the page, so every screen and
// every sync provider share the same document: in the device's community worker (a SharedWorker, or
// the leader tab's dedicated worker: remote-doc.ts), on this thread when there is none.
import type { HearthDb } from '../store/db';
import type { DocHandle } from './doc-handle';
import type { CommunityDoc } from './community-doc';
import type { ShardedCommunity } from './sharded-community';
import type { MigrationProgress } from './shards/legacy-migration';
import { hostClient } from './remote-doc';
import { PeerSync, type Presence } from './peer-sync';
import { readsOver, type CommunityReads } from './community-reads';

const open = new Map<string, Promise<DocHandle>>();
const localReads = new WeakMap<HearthDb, CommunityReads>();

/**
 * Where this page asks what takes a community's authority or key state to answer: the community
 * worker, or this thread without one (community-reads.ts). Needs no open document.
 */
export function communityReads(db: HearthDb): CommunityReads {
  const host = hostClient();
  if (host) return host.reads;
  let reads = localReads.get(db);
  if (!reads) localReads.set(db, (reads = readsOver(db)));
  return reads;
}

/** Communities split into shards while this page was joining them: the page opens again once it leaves the join. */
const splitWhileJoining = new Set<string>();
const onJoinPage = () => typeof location !== 'undefined' && /\/join\/?$/.test(location.pathname);

/**
 * Split into shards (here or in the worker): every handle, sync and view of this page was made for the
 * single document, so the page opens again, whichever screen it shows; a newcomer's join (whose lobby
 * brought the decision) finishes first, and the page opens again when it leaves the join.
 */
function reopenAfterSplit(cid: string): void {
  if (typeof location === 'undefined') return;
  if (onJoinPage()) splitWhileJoining.add(cid);
  else location.reload();
}

/** Whether this page split `cid` into shards while joining it, and must open again once it leaves the join. */
export function splitDuringJoin(cid: string): boolean {
  return splitWhileJoining.has(cid);
}

export function openCommunityDoc(db: HearthDb, cid: string): Promise<DocHandle> {
  if (splitWhileJoining.has(cid) && !onJoinPage()) location.reload();
  const doc = open.get(cid);
  if (!doc) {
    const host = hostClient();
    // Held on this thread only without a community worker: loaded then, not in every page's first bundle.
    const opening: Promise<DocHandle> = host
      ? host.community(db, cid)
      : import('./sharded-community').then(async ({ openCommunityHandle }) => followOnPage(await openCommunityHandle(db, cid)));
    opening.catch(() => open.delete(cid));
    void opening.then((doc) => onMigration(doc, (progress) => progress.phase === 'done' && reopenAfterSplit(cid)));
    open.set(cid, opening);
    return opening;
  }
  return doc;
}

/** Listeners of a split into shards run on this page (no community worker), by community. */
const pageMigrations = new Map<string, Set<(progress: MigrationProgress) => void>>();

/**
 * Without a community worker the page holds the document: a decision to hold its community in shards
 * is followed here (the split yields between shards), and the page opens it again when told `done`.
 */
async function followOnPage(doc: CommunityDoc | ShardedCommunity): Promise<DocHandle> {
  if (doc.shards) return doc;
  const single = doc as CommunityDoc;
  const { followShardDecision, migrateToShards } = await import('./shards/legacy-migration');
  const tell = (progress: MigrationProgress) => pageMigrations.get(single.cid)?.forEach((listener) => listener(progress));
  followShardDecision(single, () => {
    migrateToShards(single, tell).then(
      () => tell({ phase: 'done', done: 1, total: 1 }),
      (error) => {
        console.error('community not split into shards', error);
        tell({ phase: 'failed', done: 0, total: 0 });
      }
    );
  });
  return doc;
}

/** Tells `listener` how far a split of this community's single document into shards is, in the worker or on this page. */
export function onMigration(doc: DocHandle, listener: (progress: MigrationProgress) => void): () => void {
  if (doc.onMigration) return doc.onMigration(listener);
  let listeners = pageMigrations.get(doc.cid);
  if (!listeners) pageMigrations.set(doc.cid, (listeners = new Set()));
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const syncs = new Map<string, Promise<PeerSync | null>>();
let userPaused = false;
let networkDown = typeof navigator !== 'undefined' && navigator.onLine === false;

/**
 * Starts syncing a community with its peers, once per page; null when this device has no room secret
 * for it. Given the member's identity, the sync (new or already running) announces signed presence.
 */
export function startSync(db: HearthDb, cid: string, me: Presence): Promise<PeerSync | null> {
  let sync = syncs.get(cid);
  if (sync && me.identity) {
    const identity = me.identity;
    // A start that failed is reported to whoever awaits it (and forgotten above); nothing to announce then.
    void sync.then((running) => running?.announceAs(identity)).catch(() => {});
  }
  if (!sync) {
    sync = (async () => {
      const [doc, row] = await Promise.all([openCommunityDoc(db, cid), db.communities.get(cid)]);
      if (!row?.secret) return null;
      const reads = communityReads(db);
      const plan = (member: string | null) => reads.meshPlan(cid, member);
      const peerSync = new PeerSync(doc, { secret: row.secret, signaling: row.signaling ?? [], relay: row.relay ?? null }, me, { plan });
      // Paused before its rooms open: a device reopened to work offline never announces itself.
      if (userPaused || networkDown) peerSync.pause(true);
      await peerSync.start();
      return peerSync;
    })();
    sync.catch(() => syncs.delete(cid));
    syncs.set(cid, sync);
  }
  return sync;
}

/** Restarts a community's sync with new settings (signaling or relay addresses changed). */
export async function restartSync(db: HearthDb, cid: string, me: Presence): Promise<PeerSync | null> {
  const running = await syncs.get(cid);
  running?.destroy();
  syncs.delete(cid);
  return startSync(db, cid, me);
}

async function applyPause(): Promise<void> {
  for (const sync of syncs.values()) (await sync)?.pause(userPaused || networkDown);
}

/** The member's own switch: work offline on purpose (e.g. in a small group, merging later). */
export function setSyncPaused(paused: boolean): Promise<void> {
  userPaused = paused;
  return applyPause();
}

export function isSyncPaused(): boolean {
  return userPaused;
}

if (typeof window !== 'undefined') {
  // When the device loses its network, stop trying peers; when it returns, reconnect and merge.
  window.addEventListener('offline', () => ((networkDown = true), applyPause()));
  window.addEventListener('online', () => ((networkDown = false), applyPause()));
}
