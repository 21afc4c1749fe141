import { describe, expect, it } from 'vitest';
import type { CommunitySnapshot } from '../community/snapshot';
import { fitRecommender } from './for-member';
import { toCsv } from '../csv';
import { seSnapshot, sharedDataDir } from './se-snapshot';

const DAY = 86_400_000;
const member = (key: string) => ({ key, name: key.toUpperCase(), role: 'member' as const, joinedAt: 0, invitedBy: null, invite: null, banned: false });

// Two topics: brakes (t1..t3) and routes (t4..t6). Ana and Bo discuss brakes, Cy routes.
function snapshot(me: string, views: CommunitySnapshot['views'] = []): CommunitySnapshot {
  const threads = [
    { id: 't1', author: 'ana', createdAt: 1 * DAY, title: 'Brake pads squeal', body: 'disc brake pads squeal when wet' },
    { id: 't2', author: 'bo', createdAt: 2 * DAY, title: 'Bleeding hydraulic brakes', body: 'how to bleed hydraulic disc brake' },
    { id: 't3', author: 'cy', createdAt: 3 * DAY, title: 'Rim brake or disc brake?', body: 'choosing brake pads and rims' },
    { id: 't4', author: 'cy', createdAt: 4 * DAY, title: 'Weekend routes', body: 'scenic route along the river' },
    { id: 't5', author: 'cy', createdAt: 5 * DAY, title: 'Gravel routes near town', body: 'gravel route suggestions' },
    { id: 't6', author: 'ana', createdAt: 6 * DAY, title: '刹车片推荐', body: '刹车片 磨损 更换' }
  ];
  const replies = [
    { id: 'r1', thread: 't1', parentAuthor: 'ana', author: 'bo', createdAt: 1 * DAY + 1 },
    { id: 'r2', thread: 't2', parentAuthor: 'bo', author: 'ana', createdAt: 2 * DAY + 1 },
    { id: 'r3', thread: 't3', parentAuthor: 'cy', author: 'bo', createdAt: 3 * DAY + 1 },
    { id: 'r4', thread: 't4', parentAuthor: 'cy', author: 'dee', createdAt: 4 * DAY + 1 },
    { id: 'r5', thread: 't5', parentAuthor: 'cy', author: 'dee', createdAt: 5 * DAY + 1 }
  ];
  return { cid: 'c', me, members: ['ana', 'bo', 'cy', 'dee', 'eve'].map(member), threads, replies, reactions: [], invites: [], views };
}

describe('recommendations in the app', () => {
  it('never recommends what the member wrote, replied to or opened, and explains every item', () => {
    const model = fitRecommender(snapshot('ana', [{ thread: 't4', count: 2, at: 7 * DAY }]));
    const recs = model.forMember('ana', 10);
    const ids = recs.map((r) => r.thread);
    for (const seen of ['t1', 't2', 't6', 't4']) expect(ids).not.toContain(seen);
    expect(ids.sort()).toEqual(['t3', 't5']);
    expect(recs.every((r) => typeof r.explanation.kind === 'string')).toBe(true);
    expect(model.cf).toBe('ease');
  });

  it('explains a thread by a member they talk with by naming that member', () => {
    // Bo has seen every brake thread; of the rest, t6 is by Ana, with whom Bo replies back and forth.
    const recs = fitRecommender(snapshot('bo')).forMember('bo', 3);
    expect(recs.map((r) => r.thread)).toContain('t6');
    const t6 = recs.find((r) => r.thread === 't6')!;
    expect(t6.explanation).toEqual({ kind: 'by_contact', member: 'ana' });
  });

  it('gives a member with no history the popular threads', () => {
    const recs = fitRecommender(snapshot('eve')).forMember('eve', 6);
    expect(recs).toHaveLength(6);
    expect(recs.every((r) => r.explanation.kind === 'popular')).toBe(true);
  });

  it('relates threads by shared participants or text', () => {
    const related = fitRecommender(snapshot('ana')).related('t4', 2);
    expect(related[0].thread).toBe('t5');
    expect(related[0].explanation).toEqual({ kind: 'co_participants', count: 2 });
  });
});

describe('recommendations in the app on real data', () => {
  it('puts the newest threads first in the feed ranker’s order when the community’s history is long enough, and says so', () => {
    const dir = sharedDataDir('se-bicycles-meta');
    if (!dir) throw new Error('the shared data (../shared/data/se-bicycles-meta) is missing');
    const s = seSnapshot(dir, 'x');
    const model = fitRecommender(s);
    expect(model.ranker).not.toBeNull();
    expect(model.ranker!.lists).toBeGreaterThan(30);
    // The last member to reply: the threads of the four weeks before the last act lead their list.
    const last = s.replies.reduce((a, b) => (b.createdAt > a.createdAt ? b : a));
    const end = Math.max(...s.replies.map((r) => r.createdAt), ...s.threads.map((t) => t.createdAt));
    const touched = new Set([
      ...s.threads.filter((t) => t.author === last.author).map((t) => t.id),
      ...s.replies.filter((r) => r.author === last.author).map((r) => r.thread)
    ]);
    const recent = s.threads.filter((t) => t.createdAt >= end - 28 * DAY && !touched.has(t.id)).map((t) => t.id);
    const recs = model.forMember(last.author, 10);
    expect(recent.length).toBeGreaterThan(0);
    expect(new Set(recs.slice(0, recent.length).map((r) => r.thread))).toEqual(new Set(recent));
    expect(recs.some((r) => touched.has(r.thread))).toBe(false);
  }, 60_000);

  it('leaves a history of a few days to the blend', () => {
    expect(fitRecommender(snapshot('ana')).ranker).toBeNull();
  });
});

describe('CSV export', () => {
  it('quotes commas, quotes and line breaks, and defuses spreadsheet formulas', () => {
    expect(
      toCsv(
        ['a', 'b'],
        [
          ['x,y', 'say "hi"'],
          ['=SUM(A1)', 3],
          ['line\nbreak', '中文']
        ]
      )
    ).toBe('a,b\r\n"x,y","say ""hi"""\r\n\'=SUM(A1),3\r\n"line\nbreak",中文\r\n');
  });
});
