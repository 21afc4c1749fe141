// Gathers, from one community's stored records, the facts the membership and automation rules
// need: authority, settings, tiers, payments, automation keys already used, last activity.
import type { Authority } from '../domain/authority';
import { currentSettings, memberTier, tierDefinitions, type MemberStats, type MemberTier, type Settings, type TierDefinition } from '../domain/membership';
import { firstPerAutoKey } from '../domain/automation';
import type { SignedRecord } from '../domain/record';
import type { HearthDb } from '../store/db';
import { authorityOf } from '../store/projection';
import { countOfKind, recordsOfKind } from '../store/record-store';

export interface CommunityFacts {
  auth: Authority;
  settings: Settings;
  tiers: Map<string, TierDefinition>;
  payments: SignedRecord<'payment'>[];
  memberTiers: Map<string, MemberTier>;
  /** `${rule}:${key}` of every automation record already written (by any device). */
  done: Set<string>;
  /** Automation records, the shown one per key, newest first: the run log. */
  log: (SignedRecord<'notice'> | SignedRecord<'thread'>)[];
  notices: SignedRecord<'notice'>[];
}

/** The facts as a page holds them: without the authority itself (which stays where the document is). */
export type CommunityFactsView = Omit<CommunityFacts, 'auth'>;

/** Per database and community: the automation's threads, and how many thread records there were when they were read. */
const autoThreadCache = new WeakMap<HearthDb, Map<string, { count: number; threads: SignedRecord<'thread'>[] }>>();

/**
 * Threads written by automation (welcome posts, digests). Finding them means reading every thread
 * record, and the facts are re-read every 30 s: records are never changed, only added, so while the
 * community's thread-record count stays the same the last answer stands.
 */
async function autoThreads(db: HearthDb, cid: string): Promise<SignedRecord<'thread'>[]> {
  const count = await countOfKind(db, cid, 'thread');
  let byCid = autoThreadCache.get(db);
  if (!byCid) autoThreadCache.set(db, (byCid = new Map()));
  const cached = byCid.get(cid);
  if (cached?.count === count) return cached.threads;
  const auto: SignedRecord<'thread'>[] = await recordsOfKind(db, cid, 'thread', (r) => !!r.body.auto);
  byCid.set(cid, { count, threads: auto });
  return auto;
}

export async function communityFacts(db: HearthDb, cid: string, now: number): Promise<CommunityFacts | null> {
  const auth = await authorityOf(db, cid);
  if (!auth) return null;
  const [settingsRecords, tierRecords, payments, notices, threads] = await Promise.all([
    recordsOfKind(db, cid, 'settings'),
    recordsOfKind(db, cid, 'tier'),
    recordsOfKind(db, cid, 'payment'),
    recordsOfKind(db, cid, 'notice'),
    autoThreads(db, cid)
  ]);
  const settings = currentSettings(settingsRecords, auth);
  const tiers = tierDefinitions(tierRecords, auth);
  const validPayments = payments.filter((p) => auth.accepts(p));
  const memberTiers = new Map([...auth.members.keys()].map((k) => [k, memberTier(k, auth, tiers, validPayments, settings.graceDays, now)]));
  const autoRecords = [...notices.filter((n) => n.body.auto), ...threads].filter((r) => {
    const role = auth.roleOf(r.author);
    return role === 'creator' || role === 'admin';
  });
  const done = new Set(autoRecords.map((r) => `${r.body.auto!.rule}:${r.body.auto!.key}`));
  const log = firstPerAutoKey(autoRecords).sort((a, b) => b.ts - a.ts);
  const shownNotices = firstPerAutoKey(notices.filter((n) => auth.accepts(n) && (!n.body.auto || ['creator', 'admin'].includes(auth.roleOf(n.author) ?? ''))));
  return { auth, settings, tiers, payments: validPayments, memberTiers, done, log, notices: shownNotices };
}

/**
 * Where the automation, the directory and the posting check get every member's trust level,
 * contributions and last activity: in the app, the member-stats worker (reading all of a
 * community's records is seconds of work at 100,000 records).
 */
export type MemberStatsSource = (cid: string, now: number) => Promise<MemberStats | null>;
