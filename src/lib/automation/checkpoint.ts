// Checkpoints: the creator's or an admin's device publishes how many records it holds, so that any
// device, a newcomer's above all, can tell when it still lacks history (an empty feed is then
// "still receiving", never silently "nothing here").
import type { Identity } from '../crypto/identity';
import type { Authority } from '../domain/authority';
import type { AnyRecord, SignedRecord } from '../domain/record';
import type { HearthDb } from '../store/db';
import { authorityOf } from '../store/projection';
import { sealNext } from '../store/record-chain';
import { keyState } from '../store/keyring';
import type { DocHandle as CommunityDoc } from '../sync/doc-handle';
import { countHeld, countRecords, recordsOfKind } from '../store/record-store';

/** At most one checkpoint per device this often: each is a record every device keeps. */
const EVERY_MS = 6 * 3_600_000;

/** The newest checkpoint by the creator or an admin. */
export function latestCheckpoint(records: readonly AnyRecord[], auth: Authority): SignedRecord<'checkpoint'> | null {
  let latest: SignedRecord<'checkpoint'> | null = null;
  for (const r of records) {
    if (r.kind !== 'checkpoint' || !auth.accepts(r)) continue;
    const role = auth.roleOf(r.author);
    if (role !== 'creator' && role !== 'admin') continue;
    if (!latest || r.ts > latest.ts) latest = r;
  }
  return latest;
}

/** Writes a checkpoint when this staff device's record count grew since its last one, at most every six hours. */
export async function writeCheckpoint(db: HearthDb, doc: CommunityDoc, identity: Identity, now = Date.now()): Promise<boolean> {
  const auth = await authorityOf(db, doc.cid);
  const role = auth?.roleOf(identity.publicKey);
  if (!auth || !auth.isMember(identity.publicKey) || (role !== 'creator' && role !== 'admin')) return false;
  const mine = (await recordsOfKind(db, doc.cid, 'checkpoint')).filter(
    (r): r is SignedRecord<'checkpoint'> & { target?: string } => r.kind === 'checkpoint' && r.author === identity.publicKey
  );
  const last = mine.sort((a, b) => b.ts - a.ts)[0];
  if (last && now - last.ts < EVERY_MS) return false;
  const count = await countRecords(db, doc.cid);
  if (last && count <= last.body.records + 1) return false;
  const record = await sealNext(db, identity, { kind: 'checkpoint', cid: doc.cid, ts: now, body: { records: count } });
  return (await doc.append(record as AnyRecord)).ok;
}

export interface Coverage {
  /** Gate-passed records of this community on this device (genesis aside). */
  have: number;
  /** Records the receiving-side quota holds back. */
  held: number;
  /** At least this many, by the newest staff checkpoint (null: none received yet). */
  expected: number | null;
  /** Key records refused (forged, wrapping for someone not entitled, replayed epochs, reused parts). */
  keysRejected: number;
}

export async function coverageOf(db: HearthDb, cid: string): Promise<Coverage> {
  const [have, held, checkpoints, auth] = await Promise.all([
    countRecords(db, cid),
    countHeld(db, cid),
    recordsOfKind(db, cid, 'checkpoint'),
    authorityOf(db, cid)
  ]);
  const latest = auth ? latestCheckpoint(checkpoints, auth) : null;
  const keys = await keyState(db, cid);
  return { have, held, expected: latest?.body.records ?? null, keysRejected: keys?.view.rejected.length ?? 0 };
}

/** The settings row a counting device writes when a count it had put off is done (`countedCoverage`). */
export function coverageCountedKey(cid: string): string {
  return `coverage-counted:${cid}`;
}

/** At least this long between two counts of one community (or four times the last count's time). */
export const COVERAGE_EVERY_MS = 2000;

/**
 * `coverageOf`, counted at most once per `COVERAGE_EVERY_MS` (or four times as long as the last
 * count took) per community: the count reads every record's index entry, 1.3–2 s of IndexedDB at
 * 100,000 records, and the health line asked again after each record stored. On the 10k creator's
 * device, whose automation was publishing levels, the counts kept the records table busy and every
 * check of the gate waited behind them: a newcomer's join was taken 5.8 s after it arrived, its
 * admission and key share 1.3 and 3 s later (traced; 1 s in all without the counts). Asked within
 * the wait, the last count is the answer and one more count is made when the wait ends; if it
 * differs, it is announced by writing `coverageCountedKey(cid)`, which the health line's query reads.
 */
export function countedCoverage(db: HearthDb): (cid: string) => Promise<Coverage> {
  const state = new Map<
    string,
    { last: Coverage | null; at: number; ms: number; counting: Promise<Coverage> | null; later: ReturnType<typeof setTimeout> | null }
  >();
  const count = (cid: string) => {
    const s = state.get(cid)!;
    const start = Date.now();
    s.counting = coverageOf(db, cid).then(
      (value) => {
        s.counting = null;
        s.last = value;
        s.at = Date.now();
        s.ms = s.at - start;
        return value;
      },
      (error) => {
        s.counting = null;
        throw error;
      }
    );
    return s.counting;
  };
  return (cid) => {
    let s = state.get(cid);
    if (!s) state.set(cid, (s = { last: null, at: 0, ms: 0, counting: null, later: null }));
    if (s.counting) return s.counting;
    const wait = Math.max(COVERAGE_EVERY_MS, 4 * s.ms);
    if (!s.last || Date.now() - s.at >= wait) return count(cid);
    const answered = s.last;
    s.later ??= setTimeout(
      () => {
        s.later = null;
        void count(cid).then(
          (value) => (JSON.stringify(value) === JSON.stringify(answered) ? undefined : db.settings.put({ key: coverageCountedKey(cid), value: Date.now() })),
          (error) => console.error('coverage count failed', error)
        );
      },
      s.at + wait - Date.now()
    );
    return Promise.resolve(answered);
  };
}
