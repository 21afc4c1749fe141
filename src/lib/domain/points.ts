// Points and levels, as Skool and Knowledge Planet members know them: what a member's contributions
// earned, from the same counts every device computes (membership.contributions), never stored.
import type { Authority } from './authority';
import type { Contributions } from './membership';
import { compareRecords, type AnyRecord } from './record';

/** Default points per contribution: an accepted answer counts most, then a thread featured (精华), a reaction received least. */
export const POINTS = { threads: 3, replies: 1, answers: 2, answersAccepted: 10, featured: 5, checkins: 2, reactionsReceived: 1 } as const;
export type PointWeights = { readonly [K in keyof typeof POINTS]: number };
/** Default points at which levels 1–9 start (Skool's). */
export const LEVEL_AT = [0, 5, 20, 65, 155, 515, 2015, 8015, 33015] as const;

/** The community's point rules: the creator's (settings.points) or the defaults. */
export interface PointRules {
  weights: PointWeights;
  levels: readonly number[];
}
export const DEFAULT_POINT_RULES: PointRules = { weights: POINTS, levels: LEVEL_AT };

export function pointRules(settings: { points?: PointRules } | null | undefined): PointRules {
  return settings?.points ?? DEFAULT_POINT_RULES;
}

export function pointsOf(c: Contributions | undefined, weights: PointWeights = POINTS): number {
  if (!c) return 0;
  return (Object.keys(POINTS) as (keyof typeof POINTS)[]).reduce((sum, k) => sum + weights[k] * (c[k] ?? 0), 0);
}

export function levelOf(points: number, levels: readonly number[] = LEVEL_AT): { level: number; next: number | null } {
  let level = 1;
  for (let i = 0; i < levels.length; i++) if (points >= levels[i]) level = i + 1;
  return { level, next: levels[level] ?? null };
}

/** Every member's level from their contributions, under the community's rules. */
export function pointsLevels(contributions: ReadonlyMap<string, Contributions>, rules: PointRules = DEFAULT_POINT_RULES): Map<string, number> {
  return new Map([...contributions].map(([k, c]) => [k, levelOf(pointsOf(c, rules.weights), rules.levels).level]));
}

/** What a member still needs for `level`: 0 once there (thresholds from the community's rules). */
export function pointsToLevel(points: number, level: number, levels: readonly number[] = LEVEL_AT): number {
  return Math.max(0, (levels[level - 1] ?? Infinity) - points);
}

/** Where a member stands on points: computed now, and the level published for them (what opens content). */
export interface PointsStanding {
  points: number;
  level: number;
  published: number;
  thresholds: readonly number[];
}

/** What a locked placeholder says: the level that opens it, the reader's level, points to go, or that only the key is awaited. */
export interface LevelLock {
  level: number;
  mine: number;
  toGo: number;
  /** The reader reached the level; the creator's or an admin's device has yet to publish it and share the key. */
  waiting: boolean;
}

export function levelLock(level: number, standing: PointsStanding): LevelLock {
  const toGo = pointsToLevel(standing.points, level, standing.thresholds);
  return { level, mine: Math.max(standing.level, standing.published), toGo, waiting: toGo === 0 || standing.published >= level };
}

/** Members ordered by points (ties: name), with their rank (equal points share a rank). */
export function leaderboard<T extends { key: string; name: string }>(
  members: readonly T[],
  contributions: ReadonlyMap<string, Contributions>,
  rules: PointRules = DEFAULT_POINT_RULES
): (T & { points: number; level: number; rank: number })[] {
  const points = new Map([...contributions].map(([k, c]) => [k, pointsOf(c, rules.weights)]));
  return rankByPoints(members, points, points, rules.levels);
}

/**
 * Members ordered by `points` (ties: name), with their rank (equal points share a rank). `level`
 * is the member's standing level, from all-time points (`allTime`, defaulting to `points`): a
 * weekly board ranks the week, it does not demote anyone.
 */
export function rankByPoints<T extends { key: string; name: string }>(
  members: readonly T[],
  points: ReadonlyMap<string, number>,
  allTime: ReadonlyMap<string, number> = points,
  levels: readonly number[] = LEVEL_AT
): (T & { points: number; level: number; rank: number })[] {
  const rows = members.map((m) => ({ ...m, points: points.get(m.key) ?? 0, level: levelOf(allTime.get(m.key) ?? 0, levels).level, rank: 0 }));
  rows.sort((a, b) => b.points - a.points || a.name.localeCompare(b.name));
  rows.forEach((r, i) => (r.rank = i > 0 && rows[i - 1].points === r.points ? rows[i - 1].rank : i + 1));
  return rows;
}

export const DAY_MS = 86_400_000;
/** The leaderboards: the last 7 days, the last 30 days, and all time. */
export const BOARD_DAYS = { week: 7, month: 30 } as const;
export type Board = keyof typeof BOARD_DAYS | 'all';

/**
 * Each member's points from what happened in [from, to): a post counts when it was written, a
 * reaction or upvote when it was given (to the post's author, whenever that post was written), an
 * accepted answer when the accept that holds was made, a featured thread when the feature that holds was made. Over all time this equals `pointsOf` of
 * `membership.contributions`; every peer with the same records gets the same numbers.
 */
export function pointsBetween(records: readonly AnyRecord[], auth: Authority, from: number, to: number, weights: PointWeights = POINTS): Map<string, number> {
  const out = new Map<string, number>();
  const add = (key: string, n: number) => out.set(key, (out.get(key) ?? 0) + n);
  const within = (ts: number) => ts >= from && ts < to;
  const authorOf = new Map<string, string>();
  const accepted = new Map<string, { answer: string | null; ts: number }>();
  const featured = new Map<string, { on: boolean; ts: number }>();
  for (const r of [...records].sort(compareRecords)) {
    if (!auth.accepts(r)) continue;
    if (r.kind === 'thread' || r.kind === 'reply' || r.kind === 'question' || r.kind === 'answer') authorOf.set(r.id, r.author);
    if (r.kind === 'accept') accepted.set(r.body.question, { answer: r.body.answer, ts: r.ts });
    if (r.kind === 'feature' && auth.isModerator(r.author)) featured.set(r.body.target, { on: r.body.featured, ts: r.ts });
    if (!within(r.ts)) continue;
    if (r.kind === 'thread') add(r.author, weights.threads);
    else if (r.kind === 'reply') add(r.author, weights.replies);
    else if (r.kind === 'answer') add(r.author, weights.answers);
    else if (r.kind === 'checkin') add(r.author, weights.checkins);
  }
  for (const r of records) {
    if ((r.kind !== 'reaction' && r.kind !== 'upvote') || !r.body.on || !within(r.ts) || !auth.accepts(r)) continue;
    const author = authorOf.get(r.body.target);
    if (author && author !== r.author) add(author, weights.reactionsReceived);
  }
  for (const { answer, ts } of accepted.values()) {
    const author = answer ? authorOf.get(answer) : undefined;
    if (author && within(ts)) add(author, weights.answersAccepted);
  }
  // A featured thread counts when the feature that holds was made (unfeatured: nothing).
  for (const [thread, { on, ts }] of featured) {
    const author = on ? authorOf.get(thread) : undefined;
    if (author && within(ts)) add(author, weights.featured);
  }
  return out;
}

/**
 * The three boards' points at `now`. Windows end at the end of `now`'s hour, so every device
 * working in the same hour draws the same boards (a post scheduled later within that hour counts).
 */
export function pointsBoards(records: readonly AnyRecord[], auth: Authority, now: number, weights: PointWeights = POINTS): Record<Board, Map<string, number>> {
  const to = Math.floor(now / 3_600_000) * 3_600_000 + 3_600_000;
  return {
    week: pointsBetween(records, auth, to - BOARD_DAYS.week * DAY_MS, to, weights),
    month: pointsBetween(records, auth, to - BOARD_DAYS.month * DAY_MS, to, weights),
    all: pointsBetween(records, auth, -Infinity, Infinity, weights)
  };
}
