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

/** This device's known chain tips, by `${cid}/${author}`. */
function tipsOf(db: HearthDb): Map<string, string> {
  let known = tips.get(db);
  if (!known) tips.set(db, (known = new Map()));
  return known;
}

/** The author's newest record this device holds in the community, by (ts, id). */
export async function chainTip(db: HearthDb, cid: string, author: string): Promise<string | undefined> {
  const known = tipsOf(db);
  const key = `${cid}/${author}`;
  const cached = known.get(key);
  if (cached) return cached;
  // The last entry of `[cid+author+ts]`: equal keys sort by primary key, so this is the newest by
  // `compareRecords`' (ts, id). Reading every record of the author instead took a reopened creator's
  // device 0.43 s at 10,000 members before its first admit of a newcomer.
  const newest = await newestByAuthor(db, cid, author);
  if (newest) known.set(key, newest.id);
  return newest?.id;
}

/** Where a writer gets the key for a draft: this thread's key state, or the community worker's (a page's). */
export type SealingKeySource = (cid: string, kind: Kind, body: Record<string, unknown>) => Promise<SealingKey>;

/**
 * Seals this member's next record in the community, linked to the previous one. A page passes the
 * community worker's `sealingKey`, so it never works out the key state of 10,000 members itself.
 */
export async function sealNext<K extends Kind>(
  db: HearthDb,
  identity: Identity,
  draft: { kind: K; cid: string; ts: number; body: BodyOf<K> },
  keys: SealingKeySource = (cid, kind, body) => sealingKeyFor(db, cid, kind, body)
): Promise<SignedRecord<K>> {
  const prev = draft.kind === 'genesis' ? undefined : await chainTip(db, draft.cid, identity.publicKey);
  // Content goes out sealed under its scope's newest epoch key once the scope has epochs.
  const key = draft.kind === 'genesis' ? null : keyOrWait(await keys(draft.cid, draft.kind, draft.body as Record<string, unknown>));
  let record: SignedRecord<K>;
  if (key) {
    const sealed = await sealContent({ cid: draft.cid, author: identity.publicKey, ts: draft.ts, prev }, draft.kind as SealableKind, draft.body as never, key);
    if (!sealed.ok) throw new Error(sealed.reason);
    record = (await sealRecord(identity, { kind: 'sealed', cid: draft.cid, ts: draft.ts, body: sealed.value, prev })) as unknown as SignedRecord<K>;
  } else {
    record = await sealRecord(identity, { ...draft, prev });
  }
  if (draft.kind !== 'genesis') tipsOf(db).set(`${draft.cid}/${identity.publicKey}`, record.id);
  return record;
}

/** The tips of a member's chain as this device holds them: what a ban or demotion names as seen. */
export async function headsOf(db: HearthDb, cid: string, member: string, max = 64): Promise<string[]> {
  return chainHeads(await recordsByAuthor(db, cid, member), max);
}
