// Points and levels, as Skool and Knowledge Planet members know them: what a member's contributions
// earned, from the same counts every device computes (membership.contributions), never stored.
import type { Contributions } from './membership';

/** Points per contribution: an accepted answer counts most, a reaction received least. */
export const POINTS = { threads: 3, replies: 1, answers: 2, answersAccepted: 10, checkins: 2, reactionsReceived: 1 } as const;
/** Points needed for levels 1–9. */
export const LEVEL_AT = [0, 10, 30, 70, 150, 300, 600, 1200, 2500] as const;

export function pointsOf(c: Contributions | undefined): number {
  if (!c) return 0;
  return (Object.keys(POINTS) as (keyof typeof POINTS)[]).reduce((sum, k) => sum + POINTS[k] * (c[k] ?? 0), 0);
}

export function levelOf(points: number): { level: number; next: number | null } {
  let level = 1;
  for (let i = 0; i < LEVEL_AT.length; i++) if (points >= LEVEL_AT[i]) level = i + 1;
  return { level, next: LEVEL_AT[level] ?? null };
}

/** Members ordered by points (ties: name), with their rank (equal points share a rank). */
export function leaderboard<T extends { key: string; name: string }>(members: readonly T[], contributions: ReadonlyMap<string, Contributions>): (T & { points: number; level: number; rank: number })[] {
  const rows = members.map((m) => {
    const points = pointsOf(contributions.get(m.key));
    return { ...m, points, level: levelOf(points).level, rank: 0 };
  });
  rows.sort((a, b) => b.points - a.points || a.name.localeCompare(b.name));
  rows.forEach((r, i) => (r.rank = i > 0 && rows[i - 1].points === r.points ? rows[i - 1].rank : i + 1));
  return rows;
}
