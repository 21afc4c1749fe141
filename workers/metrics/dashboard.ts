// The creator's dashboard figures: active members per day/week/month and stickiness, new members
// per week by invite, retention cohorts, content performance and top contributors. All times are
// UTC days and ISO-like weeks counted from the Unix epoch's Monday.
import type { Activity, CommunitySnapshot } from '../community/snapshot';

export const DAY = 86_400_000;
export const WEEK = 7 * DAY;
/** 1970-01-05 was a Monday: weeks start on Mondays. */
const MONDAY = 4 * DAY;

export const dayOf = (ts: number) => Math.floor(ts / DAY);
export const weekOf = (ts: number) => Math.floor((ts - MONDAY) / WEEK);
export const weekStart = (week: number) => week * WEEK + MONDAY;

export interface ActivePoint {
  day: number;
  dau: number;
  wau: number;
  mau: number;
}

export interface ActiveMembers {
  series: ActivePoint[];
  dau: number;
  wau: number;
  mau: number;
  /** Mean DAU/MAU over the last 30 days of the series. */
  stickiness: number;
}

/** DAU/WAU/MAU for each of the `days` days up to `asOf` (distinct members active in 1, 7, 30 days). */
export function activeMembers(activities: Activity[], asOf: number, days = 90): ActiveMembers {
  const last = dayOf(asOf);
  const first = last - days + 1;
  const byDay = new Map<number, Set<string>>();
  for (const a of activities) {
    const d = dayOf(a.ts);
    if (d < first - 29 || d > last) continue;
    let s = byDay.get(d);
    if (!s) byDay.set(d, (s = new Set()));
    s.add(a.member);
  }
  const distinct = (from: number, to: number) => {
    const seen = new Set<string>();
    for (let d = from; d <= to; d++) for (const m of byDay.get(d) ?? []) seen.add(m);
    return seen.size;
  };
  const series: ActivePoint[] = [];
  for (let d = first; d <= last; d++) series.push({ day: d, dau: byDay.get(d)?.size ?? 0, wau: distinct(d - 6, d), mau: distinct(d - 29, d) });
  const recent = series.slice(-30).filter((p) => p.mau > 0);
  const end = series[series.length - 1];
  return {
    series,
    dau: end?.dau ?? 0,
    wau: end?.wau ?? 0,
    mau: end?.mau ?? 0,
    stickiness: recent.length ? recent.reduce((s, p) => s + p.dau / p.mau, 0) / recent.length : 0
  };
}

export interface NewMembersWeek {
  week: number;
  start: number;
  total: number;
  /** Joins per invite source (the invite's label, or its inviter when unlabelled). */
  bySource: Record<string, number>;
}

export function newMembersPerWeek(s: CommunitySnapshot, sourceOf: (member: CommunitySnapshot['members'][number]) => string): NewMembersWeek[] {
  const weeks = new Map<number, NewMembersWeek>();
  for (const m of s.members) {
    if (m.role === 'creator') continue;
    const w = weekOf(m.joinedAt);
    let row = weeks.get(w);
    if (!row) weeks.set(w, (row = { week: w, start: weekStart(w), total: 0, bySource: {} }));
    row.total++;
    const source = sourceOf(m);
    row.bySource[source] = (row.bySource[source] ?? 0) + 1;
  }
  return [...weeks.values()].sort((a, b) => a.week - b.week);
}

export interface Cohort {
  week: number;
  start: number;
  size: number;
  /** retained[k]: share of the cohort active in week k after the joining week (k = 0 is the joining week). null: not yet observed. */
  retained: (number | null)[];
}

/**
 * Retention by weekly cohort: members who joined in week w, and the share of them active in week
 * w + k, for the latest `cohorts` weeks in which someone joined. Weeks after `asOf`'s week are not yet observed (null), not zero.
 */
export function retentionCohorts(joins: { member: string; joinedAt: number }[], activities: Activity[], asOf: number, weeksAfter = 12, cohorts = 26): Cohort[] {
  const current = weekOf(asOf);
  const joinWeek = new Map(joins.map((j) => [j.member, weekOf(j.joinedAt)]));
  const activeWeeks = new Map<string, Set<number>>();
  for (const a of activities) {
    let s = activeWeeks.get(a.member);
    if (!s) activeWeeks.set(a.member, (s = new Set()));
    s.add(weekOf(a.ts));
  }
  const members = new Map<number, string[]>();
  for (const [m, w] of joinWeek) {
    if (w > current) continue;
    let list = members.get(w);
    if (!list) members.set(w, (list = []));
    list.push(m);
  }
  // The latest `cohorts` weeks that had newcomers: a quiet community still shows its history.
  return [...members.keys()]
    .sort((a, b) => a - b)
    .slice(-cohorts)
    .map((w) => {
      const list = members.get(w)!;
      const retained: (number | null)[] = [];
      for (let k = 0; k <= weeksAfter; k++) {
        if (w + k > current) retained.push(null);
        else retained.push(list.filter((m) => activeWeeks.get(m)?.has(w + k)).length / list.length);
      }
      return { week: w, start: weekStart(w), size: list.length, retained };
    });
}

export interface ThreadPerformance {
  id: string;
  title: string;
  author: string;
  createdAt: number;
  /** Times this device opened it (views are private and never synced). */
  views: number;
  replies: number;
  reactions: number;
  /** Participants other than the author. */
  participants: number;
  /** ms from the thread to the first reply by someone else; null when unanswered. */
  firstAnswerMs: number | null;
}

export function contentPerformance(s: CommunitySnapshot): ThreadPerformance[] {
  const rows = new Map<string, ThreadPerformance & { who: Set<string> }>();
  for (const t of s.threads) {
    rows.set(t.id, {
      id: t.id,
      title: t.title,
      author: t.author,
      createdAt: t.createdAt,
      views: 0,
      replies: 0,
      reactions: 0,
      participants: 0,
      firstAnswerMs: null,
      who: new Set()
    });
  }
  for (const r of s.replies) {
    const row = rows.get(r.thread);
    if (!row) continue;
    row.replies++;
    if (r.author !== row.author) {
      row.who.add(r.author);
      const gap = r.createdAt - row.createdAt;
      if (row.firstAnswerMs === null || gap < row.firstAnswerMs) row.firstAnswerMs = Math.max(0, gap);
    }
  }
  for (const r of s.reactions) {
    const row = rows.get(r.thread);
    if (row) row.reactions++;
  }
  for (const v of s.views) {
    const row = rows.get(v.thread);
    if (row) row.views += v.count;
  }
  return [...rows.values()].map(({ who, ...row }) => ({ ...row, participants: who.size }));
}

export interface Contributor {
  member: string;
  threads: number;
  replies: number;
  reactionsGiven: number;
  reactionsReceived: number;
  /** Replies by others to this member's posts. */
  repliesReceived: number;
  /** threads·3 + replies·2 + reactions received + replies received: writing counts most. */
  score: number;
}

export function contributors(s: CommunitySnapshot): Contributor[] {
  const by = new Map<string, Contributor>();
  const row = (member: string) => {
    let c = by.get(member);
    if (!c) by.set(member, (c = { member, threads: 0, replies: 0, reactionsGiven: 0, reactionsReceived: 0, repliesReceived: 0, score: 0 }));
    return c;
  };
  for (const t of s.threads) row(t.author).threads++;
  for (const r of s.replies) {
    row(r.author).replies++;
    if (r.parentAuthor && r.parentAuthor !== r.author) row(r.parentAuthor).repliesReceived++;
  }
  for (const r of s.reactions) {
    row(r.author).reactionsGiven++;
    if (r.targetAuthor !== r.author) row(r.targetAuthor).reactionsReceived++;
  }
  for (const c of by.values()) c.score = c.threads * 3 + c.replies * 2 + c.reactionsReceived + c.repliesReceived;
  return [...by.values()].sort((a, b) => b.score - a.score || (a.member < b.member ? -1 : 1));
}
