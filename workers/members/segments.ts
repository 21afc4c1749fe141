// Member segments: k-means (ml-kmeans) on recency, frequency and contribution, each log-scaled
// and standardised so no one feature dominates; segments are named by their centroids.
import { kmeans } from 'ml-kmeans';
import type { Activity } from '../community/snapshot';
import { DAY } from '../metrics/dashboard';

export interface MemberFeatures {
  member: string;
  /** Days since the member's last activity (as of the analysis time); Infinity when never active. */
  recencyDays: number;
  /** Distinct active days in the last 90 days. */
  frequency: number;
  /** Threads·3 + replies·2 + reactions, over all time. */
  contribution: number;
  lastActive: number | null;
  /** Activities in the last 30 days and in the 60 days before. */
  recent30: number;
  previous60: number;
  /** Median gap between consecutive active days, in days (null with fewer than 2). */
  usualGapDays: number | null;
}

export function memberFeatures(members: string[], activities: Activity[], asOf: number): MemberFeatures[] {
  const per = new Map<string, Activity[]>(members.map((m) => [m, []]));
  for (const a of activities) per.get(a.member)?.push(a);
  return members.map((member) => {
    const list = per.get(member)!;
    const days = [...new Set(list.map((a) => Math.floor(a.ts / DAY)))].sort((a, b) => a - b);
    const gaps = days
      .slice(1)
      .map((d, i) => d - days[i])
      .sort((a, b) => a - b);
    const last = list.length ? list[list.length - 1].ts : null;
    const nowDay = Math.floor(asOf / DAY);
    return {
      member,
      recencyDays: last === null ? Infinity : Math.max(0, (asOf - last) / DAY),
      frequency: days.filter((d) => d > nowDay - 90).length,
      contribution: list.reduce((s, a) => s + (a.kind === 'thread' ? 3 : a.kind === 'reply' ? 2 : 1), 0),
      lastActive: last,
      recent30: list.filter((a) => a.ts > asOf - 30 * DAY).length,
      previous60: list.filter((a) => a.ts <= asOf - 30 * DAY && a.ts > asOf - 90 * DAY).length,
      usualGapDays: gaps.length ? gaps[Math.floor(gaps.length / 2)] : null
    };
  });
}

export type SegmentName = 'core' | 'regular' | 'occasional' | 'dormant' | 'silent';

export interface Segment {
  name: SegmentName;
  size: number;
  /** Centroid in the original units: mean recency (days), frequency (days active in 90), contribution. */
  recencyDays: number;
  frequency: number;
  contribution: number;
}

export interface Segmentation {
  of: Map<string, SegmentName>;
  segments: Segment[];
}

const NAMES: SegmentName[] = ['core', 'regular', 'occasional', 'dormant'];

/** k-means with k = 4 over active members; members who never posted or reacted are "silent". */
export function segmentMembers(features: MemberFeatures[], seed = 42): Segmentation {
  const active = features.filter((f) => f.lastActive !== null);
  const of = new Map<string, SegmentName>();
  for (const f of features) if (f.lastActive === null) of.set(f.member, 'silent');
  const segments: Segment[] = [];
  if (active.length >= NAMES.length) {
    const raw = active.map((f) => [-Math.log1p(f.recencyDays), Math.log1p(f.frequency), Math.log1p(f.contribution)]);
    const mean = [0, 1, 2].map((j) => raw.reduce((s, r) => s + r[j], 0) / raw.length);
    const sd = [0, 1, 2].map((j) => Math.sqrt(raw.reduce((s, r) => s + (r[j] - mean[j]) ** 2, 0) / raw.length) || 1);
    const data = raw.map((r) => r.map((x, j) => (x - mean[j]) / sd[j]));
    const result = kmeans(data, NAMES.length, { seed, initialization: 'kmeans++', maxIterations: 100 });
    // Name clusters by engagement: the sum of the standardised centroid, highest = core.
    const order = result.centroids
      .map((c, i) => [i, c[0] + c[1] + c[2]] as const)
      .sort((a, b) => b[1] - a[1])
      .map(([i]) => i);
    const nameOf = new Map(order.map((c, rank) => [c, NAMES[rank]]));
    const groups = new Map<SegmentName, MemberFeatures[]>();
    active.forEach((f, i) => {
      const name = nameOf.get(result.clusters[i])!;
      of.set(f.member, name);
      let g = groups.get(name);
      if (!g) groups.set(name, (g = []));
      g.push(f);
    });
    for (const name of NAMES) {
      const g = groups.get(name) ?? [];
      if (!g.length) continue;
      const avg = (pick: (f: MemberFeatures) => number) => g.reduce((s, f) => s + pick(f), 0) / g.length;
      segments.push({
        name,
        size: g.length,
        recencyDays: avg((f) => f.recencyDays),
        frequency: avg((f) => f.frequency),
        contribution: avg((f) => f.contribution)
      });
    }
  } else {
    for (const f of active) of.set(f.member, 'regular');
    if (active.length) segments.push({ name: 'regular', size: active.length, recencyDays: 0, frequency: 0, contribution: 0 });
  }
  const silent = features.length - active.length;
  if (silent) segments.push({ name: 'silent', size: silent, recencyDays: 0, frequency: 0, contribution: 0 });
  return { of, segments };
}
