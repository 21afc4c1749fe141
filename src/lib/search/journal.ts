// Turns each batch of newly accepted records into a journal row of documents to read again, once
// per community, whether or not that community's index is loaded. A loaded index is told at once,
// in this thread or (the community worker writes the rows, a tab's search worker holds the index)
// over a BroadcastChannel; an index loaded later reads the rows it has not seen.
import type { AnyRecord } from '../domain/record';
import type { HearthDb } from '../store/db';
import type { DocHandle as CommunityDoc } from '../sync/doc-handle';
import { affectedBy } from './corpus';
import { openSearchDb, type SearchDb } from './search-db';

/** Told after a journal row was written; `since` is performance.now() when the batch was announced. */
export type JournalListener = (since: number) => void;

const journaled = new WeakMap<CommunityDoc, SearchDb>();
const listeners = new Map<string, Set<JournalListener>>();
const pending = new Map<string, Set<Promise<void>>>();
/** Communities known to have a stored index: their journal matters even while no index is open. */
const stored = new Set<string>();

/**
 * Between threads: a writer tells of each row it wrote (`row`, with the batch's announcement as a
 * wall-clock time), and an index opened in another thread asks writers to journal its community
 * even before its first snapshot is stored (`open`). A channel does not hear its own messages.
 */
type JournalMessage = { t: 'row'; cid: string; at: number } | { t: 'open'; cid: string };
export const JOURNAL_CHANNEL = 'hearth-search-journal';
let channel: BroadcastChannel | null | undefined;

function bridge(): BroadcastChannel | null {
  if (channel !== undefined) return channel;
  channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(JOURNAL_CHANNEL);
  if (!channel) return null;
  // Node (unit tests): the channel must not keep the process alive.
  (channel as { unref?: () => void }).unref?.();
  channel.onmessage = (e: MessageEvent<JournalMessage>) => {
    const m = e.data;
    if (typeof m?.cid !== 'string') return;
    if (m.t === 'open') stored.add(m.cid);
    else if (m.t === 'row' && typeof m.at === 'number') for (const listener of listeners.get(m.cid) ?? []) listener(m.at - performance.timeOrigin);
  };
  return channel;
}

/** Starts journaling a community's accepted records into `sdb` (once per document). */
export function journalDoc(db: HearthDb, doc: CommunityDoc, sdb: SearchDb = openSearchDb()): void {
  if (journaled.has(doc)) return;
  journaled.set(doc, sdb);
  const track = (write: Promise<void>) => {
    let set = pending.get(doc.cid);
    if (!set) pending.set(doc.cid, (set = new Set()));
    set.add(write);
    return write.finally(() => set.delete(write));
  };
  doc.onAccepted((records) => track(writeJournal(db, sdb, doc.cid, records)));
  // An evicted month's threads leave the projections: the index compares itself with them.
  doc.onEvicted?.(() => void track(writeReconcile(sdb, doc.cid)).catch((error) => console.warn('search journal not written', error)));
}

/** Resolves once every batch announced so far for `cid` is in the journal. */
export async function journalIdle(cid: string): Promise<void> {
  await Promise.allSettled([...(pending.get(cid) ?? [])]);
}

export async function writeJournal(db: HearthDb, sdb: SearchDb, cid: string, records: AnyRecord[]): Promise<void> {
  const since = performance.now();
  if (!(await hasIndex(sdb, cid))) return;
  const affected = await affectedBy(db, cid, records);
  // A row for every batch, even one that changes no document: its record count keeps the count check true.
  await sdb.dirty.add({ cid, ids: [...affected.ids], reconcile: affected.reconcile, records: records.length });
  tell(cid, since);
}

/** A row that makes the index compare itself with the projections (records left the device: an evicted month). */
async function writeReconcile(sdb: SearchDb, cid: string): Promise<void> {
  const since = performance.now();
  if (!(await hasIndex(sdb, cid))) return;
  await sdb.dirty.add({ cid, ids: [], reconcile: true, records: 0 });
  tell(cid, since);
}

/**
 * Whether `cid` has an index to bring up to date: loaded somewhere, or stored. A community never
 * searched on this device has none: its first search builds one from the projections, so journaling
 * for it would only pile up rows.
 */
async function hasIndex(sdb: SearchDb, cid: string): Promise<boolean> {
  if ((listeners.get(cid)?.size ?? 0) > 0 || stored.has(cid)) return true;
  if (!(await sdb.snapshots.where('cid').equals(cid).count())) return false;
  stored.add(cid);
  return true;
}

function tell(cid: string, since: number): void {
  for (const listener of listeners.get(cid) ?? []) listener(since);
  bridge()?.postMessage({ t: 'row', cid, at: performance.timeOrigin + since } satisfies JournalMessage);
}

/** Follows the journal rows of `cid`, written in this thread or another. */
export function onJournal(cid: string, listener: JournalListener): () => void {
  bridge()?.postMessage({ t: 'open', cid } satisfies JournalMessage);
  let set = listeners.get(cid);
  if (!set) listeners.set(cid, (set = new Set()));
  set.add(listener);
  return () => set.delete(listener);
}
