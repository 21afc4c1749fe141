// Every member's trust level, contributions and last activity, from one read of the community's
// records inside a worker: the automation scheduler (every minute on staff devices), the
// directory and the posting check need them, and reading 100,000 records on the page's main
// thread held it for seconds. Records are only ever added, so an unchanged record count within
// the same hour gives the same answer (trust levels count whole days; Discourse recomputes them
// daily): it is kept and served again without a read.
import { computeAuthority } from '../../src/lib/domain/authority';
import { currentSettings, memberStats, type MemberStats } from '../../src/lib/domain/membership';
import type { AnyRecord } from '../../src/lib/domain/record';
import { pointRules, pointsBoards, type Board } from '../../src/lib/domain/points';
import { openDb } from '../../src/lib/store/db';
import { communityRecords, countRecords, recordById } from '../../src/lib/store/record-store';

const HOUR = 3_600_000;

let last: { version: string; stats: MemberStats } | null = null;

/** Names the answer `loadMemberStats` gives for (cid, now): equal versions, equal stats. */
export async function memberStatsVersion(cid: string, now: number): Promise<string> {
  const count = await countRecords(openDb(), cid);
  return `${cid}/${count}/${Math.floor(now / HOUR)}`;
}

export async function loadMemberStats(cid: string, now: number, version?: string): Promise<MemberStats | null> {
  version ??= await memberStatsVersion(cid, now);
  if (last?.version === version) return last.stats;
  const db = openDb();
  // The genesis is stored under the community's id (its own cid field is empty).
  const [genesis, records] = await Promise.all([recordById(db, cid), communityRecords(db, cid) as Promise<AnyRecord[]>]);
  if (genesis?.kind !== 'genesis') return null;
  const auth = computeAuthority(genesis, records);
  const stats = memberStats(
    records,
    auth,
    currentSettings(
      records.filter((r) => r.kind === 'settings'),
      auth
    ),
    now
  );
  last = { version, stats };
  return stats;
}

/** How many times the last read's duration the automation's stats are kept before they are read again. */
export const AUTOMATION_STATS_SPACING = 5;

/**
 * Member stats as the automation reads them on a staff device: after a read, kept for
 * `AUTOMATION_STATS_SPACING` times its duration before the next (the last answer in between).
 * Every join and every batch of points starts an automation run, and each run read every record of
 * the community again (7–10 s of IndexedDB at 100,000 records), holding the gate's writes and a
 * newcomer's first page behind it. A small community reads in tens of milliseconds: unchanged.
 */
export function spacedMemberStats(load: (cid: string, now: number) => Promise<MemberStats | null>): (cid: string, now: number) => Promise<MemberStats | null> {
  const kept = new Map<string, { stats: MemberStats | null; until: number }>();
  return async (cid, now) => {
    const hit = kept.get(cid);
    if (hit && Date.now() < hit.until) return hit.stats;
    const start = Date.now();
    const stats = await load(cid, now);
    kept.set(cid, { stats, until: Date.now() + AUTOMATION_STATS_SPACING * (Date.now() - start) });
    return stats;
  };
}

let lastBoards: { version: string; boards: Record<Board, Map<string, number>> } | null = null;

/** The leaderboards' points: windows end with `now`'s hour, so the same version (count, hour) gives the same boards. */
export async function loadPointsBoards(cid: string, now: number): Promise<Record<Board, Map<string, number>> | null> {
  const version = await memberStatsVersion(cid, now);
  if (lastBoards?.version === version) return lastBoards.boards;
  const db = openDb();
  const [genesis, records] = await Promise.all([recordById(db, cid), communityRecords(db, cid) as Promise<AnyRecord[]>]);
  if (genesis?.kind !== 'genesis') return null;
  const auth = computeAuthority(genesis, records);
  const settings = currentSettings(
    records.filter((r) => r.kind === 'settings'),
    auth
  );
  const boards = pointsBoards(records, auth, now, pointRules(settings).weights);
  lastBoards = { version, boards };
  return boards;
}
