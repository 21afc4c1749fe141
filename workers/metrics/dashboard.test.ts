import { describe, expect, it } from 'vitest';
import type { Activity } from '../community/snapshot';
import { activeMembers, DAY, retentionCohorts, WEEK, weekOf, weekStart } from './dashboard';
import { churnRisk } from '../members/churn';
import { memberFeatures, segmentMembers } from '../members/segments';

// Week 2800 starts on a Monday; every fixture time is relative to it.
const W0 = weekStart(2800);
const at = (week: number, day = 0) => W0 + week * WEEK + day * DAY + 3_600_000;

describe('retention cohorts', () => {
  // Cohort of week 0: a, b, c, d. Cohort of week 1: e, f.
  const joins = [
    { member: 'a', joinedAt: at(0) },
    { member: 'b', joinedAt: at(0, 2) },
    { member: 'c', joinedAt: at(0, 4) },
    { member: 'd', joinedAt: at(0, 6) },
    { member: 'e', joinedAt: at(1) },
    { member: 'f', joinedAt: at(1, 1) }
  ];
  const act = (member: string, week: number, day = 0): Activity => ({ member, ts: at(week, day), kind: 'reply' });
  const activities = [
    act('a', 0),
    act('b', 0),
    act('c', 0), // 3 of 4 active in their first week (d never)
    act('a', 1),
    act('a', 1, 3),
    act('b', 1), // week +1: a, b (a twice counts once)
    act('c', 2), // week +2: c
    act('e', 1),
    act('e', 2),
    act('f', 3) // cohort 1: week +0 e; +1 e; +2 f
  ];

  it('gives each cohort the share of its members active k weeks after joining', () => {
    const cohorts = retentionCohorts(joins, activities, at(3, 2), 3);
    expect(cohorts.map((c) => [c.week, c.size])).toEqual([
      [2800, 4],
      [2801, 2]
    ]);
    expect(cohorts[0].retained).toEqual([0.75, 0.5, 0.25, 0]);
    expect(cohorts[1].retained).toEqual([0.5, 0.5, 0.5, null]);
  });

  it('leaves weeks after the analysis time unobserved (null), not zero', () => {
    const cohorts = retentionCohorts(joins, activities, at(1, 3), 3);
    expect(cohorts[0].retained).toEqual([0.75, 0.5, null, null]);
    expect(weekOf(at(0, 6))).toBe(2800);
  });
});

describe('active members', () => {
  it('counts distinct members per day, 7 days and 30 days, and stickiness as mean DAU/MAU', () => {
    const acts: Activity[] = [
      { member: 'a', ts: at(0, 0), kind: 'thread' },
      { member: 'a', ts: at(0, 0) + 1000, kind: 'reply' },
      { member: 'b', ts: at(0, 3), kind: 'reply' },
      { member: 'c', ts: at(0, 6), kind: 'reaction' }
    ];
    const r = activeMembers(acts, at(0, 6), 7);
    expect(r.series.map((p) => p.dau)).toEqual([1, 0, 0, 1, 0, 0, 1]);
    expect(r.series.map((p) => p.wau)).toEqual([1, 1, 1, 2, 2, 2, 3]);
    expect([r.dau, r.wau, r.mau]).toEqual([1, 3, 3]);
    expect(r.stickiness).toBeCloseTo((1 / 1 + 1 / 2 + 1 / 3) / 7, 12);
  });
});

describe('segments and churn risk', () => {
  const asOf = at(20);
  const acts: Activity[] = [];
  for (let d = 0; d < 60; d += 2) acts.push({ member: 'busy', ts: asOf - d * DAY, kind: 'reply' });
  for (let d = 80; d < 200; d += 10) acts.push({ member: 'fading', ts: asOf - d * DAY, kind: 'reply' });
  acts.push({ member: 'once', ts: asOf - 300 * DAY, kind: 'reaction' });
  for (let i = 0; i < 5; i++) acts.push({ member: `m${i}`, ts: asOf - (5 + i * 7) * DAY, kind: 'thread' });
  acts.sort((a, b) => a.ts - b.ts);
  const members = ['busy', 'fading', 'once', 'never', 'm0', 'm1', 'm2', 'm3', 'm4'];
  const features = memberFeatures(members, acts, asOf);

  it('puts the busiest member in the core segment and members who never acted in "silent"', () => {
    const s = segmentMembers(features);
    expect(s.of.get('busy')).toBe('core');
    expect(s.of.get('never')).toBe('silent');
    expect(s.segments.reduce((n, x) => n + x.size, 0)).toBe(members.length);
  });

  it('scores churn risk as the sum of its shown factors', () => {
    const busy = churnRisk(features.find((f) => f.member === 'busy')!)!;
    const fading = churnRisk(features.find((f) => f.member === 'fading')!)!;
    expect(busy.score).toBe(0);
    expect(fading.score).toBe(fading.factors.reduce((s, f) => s + f.points, 0));
    expect(fading.factors.map((f) => f.key)).toContain('quiet_month');
    expect(fading.score).toBeGreaterThan(50);
    expect(churnRisk(features.find((f) => f.member === 'never')!)).toBeNull();
  });
});
