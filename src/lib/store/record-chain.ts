// Each member's records in a community form a hash chain through `prev`, so that a ban can name
// exactly which of them it had seen (domain/authority). This keeps the tip this device last wrote.
import { sealRecord } from '../crypto/record-seal';
import type { Identity } from '../crypto/identity';
import type { BodyOf, Kind, SealableKind, SignedRecord } from '../domain/record';
import { sealContent } from '../crypto/content-seal';
import { keyOrWait, sealingKeyFor, type SealingKey } from './keyring';
import { chainHeads } from '../domain/authority';
import type { HearthDb } from './db';
import { newestByAuthor, recordsByAuthor } from './record-store';

const tips = new WeakMap<HearthDb, Map<string, string>>();
/** Per connection and `${cid}/${author}`, the seal under way: the next waits for it, so it links to it. */
const sealing = new WeakMap<HearthDb, Map<string, Promise<unknown>>>();

/** This device's known chain tips, by `${cid}/${author}`. */
function tipsOf(db: HearthDb): Map<string, string> {
  let known = tips.get(db);
  if (!known) tips.set(db, (known = new Map()));
  return known;
}

/** Where a writer learns the author's newest stored record: this thread's store, or the community worker's (a page's). */
export type ChainTipSource = (cid: string, author: string) => Promise<string | undefined>;

/** The author's newest record in the community this thread's store holds, by `compareRecords`' (ts, id). */
export async function newestStored(db: HearthDb, cid: string, author: string): Promise<string | undefined> {
  // The last entry of `[cid+author+ts]`: equal keys sort by primary key, so this is the newest by
  // `compareRecords`' (ts, id). Reading every record of the author instead took a reopened creator's
  // device 0.43 s at 10,000 members before its first admit of a newcomer.
  return (await newestByAuthor(db, cid, author))?.id;
}

/**
 * The author's record this connection last sealed in the community, else the newest one `stored`
 * knows (this thread's store by default; a page passes the community worker's answer, so it never
 * builds its own catalogue of every stored record for its first write).
 */
export async function chainTip(
  db: HearthDb,
  cid: string,
  author: string,
  stored: ChainTipSource = (c, a) => newestStored(db, c, a)
): Promise<string | undefined> {
  const known = tipsOf(db);
  const key = `${cid}/${author}`;
  const cached = known.get(key);
  if (cached) return cached;
  const newest = await stored(cid, author);
  if (newest) known.set(key, newest);
  return newest;
}

/** Runs `seal` after every seal of the same chain this connection started before it (whether it succeeded or not). */
function inTurn<T>(db: HearthDb, key: string, seal: () => Promise<T>): Promise<T> {
  let queue = sealing.get(db);
  if (!queue) sealing.set(db, (queue = new Map()));
  const mine = (queue.get(key) ?? Promise.resolve()).then(seal);
  const done = mine.catch(() => {});
  queue.set(key, done);
  done.then(() => queue.get(key) === done && queue.delete(key));
  return mine;
}

/** Where a writer gets the key for a draft: this thread's key state, or the community worker's (a page's). */
export type SealingKeySource = (cid: string, kind: Kind, body: Record<string, unknown>) => Promise<SealingKey>;

/**
 * Seals this member's next record in the community, linked to the previous one. A page passes the
 * community worker's `sealingKey` and `chainTip` as `from`, so it never works out the key state of
 * 10,000 members nor reads every stored record itself. Seals of one chain on one connection take
 * turns: two writes in quick succession link the second to the first rather than both to the tip
 * before them.
 */
export async function sealNext<K extends Kind>(
  db: HearthDb,
  identity: Identity,
  draft: { kind: K; cid: string; ts: number; body: BodyOf<K> },
  from: { keys?: SealingKeySource; tip?: ChainTipSource } = {}
): Promise<SignedRecord<K>> {
  if (draft.kind === 'genesis') return sealRecord(identity, draft);
  const { keys = (cid, kind, body) => sealingKeyFor(db, cid, kind, body), tip } = from;
  // Content goes out sealed under its scope's newest epoch key once the scope has epochs.
  const key = keyOrWait(await keys(draft.cid, draft.kind, draft.body as Record<string, unknown>));
  const chain = `${draft.cid}/${identity.publicKey}`;
  return inTurn(db, chain, async () => {
    const prev = await chainTip(db, draft.cid, identity.publicKey, tip);
    let record: SignedRecord<K>;
    if (key) {
      const sealed = await sealContent(
        { cid: draft.cid, author: identity.publicKey, ts: draft.ts, prev },
        draft.kind as SealableKind,
        draft.body as never,
        key
      );
      if (!sealed.ok) throw new Error(sealed.reason);
      record = (await sealRecord(identity, { kind: 'sealed', cid: draft.cid, ts: draft.ts, body: sealed.value, prev })) as unknown as SignedRecord<K>;
    } else {
      record = await sealRecord(identity, { ...draft, prev });
    }
    tipsOf(db).set(chain, record.id);
    return record;
  });
}

/** The tips of a member's chain as this device holds them: what a ban or demotion names as seen. */
export async function headsOf(db: HearthDb, cid: string, member: string, max = 64): Promise<string[]> {
  return chainHeads(await recordsByAuthor(db, cid, member), max);
}
