// Check-in challenges (打卡): one check-in per member per calendar day, where the day is the
// member's own local date. Dates are plain YYYY-MM-DD strings so that arithmetic is the same on
// every peer whatever its time zone.
import type { Authority } from './authority';
import { compareRecords, type AnyRecord, type SignedRecord } from './record';

const DAY = 86_400_000;

/** Days since 1970-01-01 of a YYYY-MM-DD date (UTC calendar arithmetic, no time zone involved). */
export function dayNumber(date: string): number {
  const [y, m, d] = date.split('-').map(Number);
  return Math.round(Date.UTC(y, m - 1, d) / DAY);
}

export function dateOfDay(day: number): string {
  return new Date(day * DAY).toISOString().slice(0, 10);
}

/** The calendar date at `ts` in a time zone (IANA name), or in the device's zone. */
export function localDate(ts: number, timeZone?: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(ts);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/**
 * A claimed local date is plausible for `ts` if some time zone (UTC−12 … UTC+14) has that date at
 * that instant: a member cannot check in for a day that is not today anywhere.
 */
export function plausibleDate(date: string, ts: number): boolean {
  const day = dayNumber(date);
  return day >= Math.floor((ts - 12 * 3_600_000) / DAY) && day <= Math.floor((ts + 14 * 3_600_000) / DAY);
}

export interface ChallengeRow {
  id: string;
  cid: string;
  author: string;
  createdAt: number;
  title: string;
  prompt: string;
  startDate: string;
  days: number;
  /** member -> their counted check-in dates, ascending, with notes. */
  checkins: Record<string, { date: string; note: string; ts: number }[]>;
  participants: number;
  deleted: boolean;
}

export function projectChallenge(challenge: SignedRecord<'challenge'>, related: AnyRecord[], auth: Authority): ChallengeRow {
  const start = dayNumber(challenge.body.startDate);
  const end = start + challenge.body.days;
  const checkins: ChallengeRow['checkins'] = {};
  let deleted = false;
  for (const r of [...related].sort(compareRecords)) {
    if (!auth.accepts(r)) continue;
    if (r.kind === 'tombstone' && r.body.target === challenge.id && (r.author === challenge.author || auth.isModerator(r.author))) deleted = true;
    if (r.kind !== 'checkin' || r.body.challenge !== challenge.id) continue;
    const day = dayNumber(r.body.date);
    if (day < start || day >= end || !plausibleDate(r.body.date, r.ts)) continue;
    const list = (checkins[r.author] ??= []);
    // Once a day: the first check-in of that date counts.
    if (!list.some((c) => c.date === r.body.date)) list.push({ date: r.body.date, note: r.body.note, ts: r.ts });
  }
  for (const list of Object.values(checkins)) list.sort((a, b) => a.date.localeCompare(b.date));
  return {
    id: challenge.id,
    cid: challenge.cid,
    author: challenge.author,
    createdAt: challenge.ts,
    title: challenge.body.title,
    prompt: challenge.body.prompt,
    startDate: challenge.body.startDate,
    days: challenge.body.days,
    checkins,
    participants: Object.keys(checkins).length,
    deleted
  };
}

export interface Streaks {
  /** Consecutive days ending today (or yesterday, if today's check-in is still to come). */
  current: number;
  longest: number;
  total: number;
  /** Check-ins / days of the challenge elapsed so far (capped at its length), 0–1. */
  completion: number;
}

export function streaks(dates: string[], today: string, challenge: { startDate: string; days: number }): Streaks {
  const days = [...new Set(dates.map(dayNumber))].sort((a, b) => a - b);
  let longest = 0;
  let run = 0;
  for (let i = 0; i < days.length; i++) {
    run = i > 0 && days[i] === days[i - 1] + 1 ? run + 1 : 1;
    longest = Math.max(longest, run);
  }
  const t = dayNumber(today);
  const set = new Set(days);
  let cursor = set.has(t) ? t : t - 1;
  let current = 0;
  while (set.has(cursor)) {
    current++;
    cursor--;
  }
  const start = dayNumber(challenge.startDate);
  const elapsed = Math.max(0, Math.min(challenge.days, t - start + 1));
  return { current, longest, total: days.length, completion: elapsed ? Math.min(1, days.length / elapsed) : 0 };
}

export interface LeaderboardEntry extends Streaks {
  member: string;
}

/** Most check-ins first, then the longer streak, then who started earliest. */
export function leaderboard(row: ChallengeRow, today: string): LeaderboardEntry[] {
  return Object.entries(row.checkins)
    .map(([member, list]) => ({
      member,
      first: list[0]?.ts ?? 0,
      ...streaks(
        list.map((c) => c.date),
        today,
        row
      )
    }))
    .sort((a, b) => b.total - a.total || b.longest - a.longest || a.first - b.first)
    .map(({ first: _f, ...rest }) => rest);
}
