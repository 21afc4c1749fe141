import { describe, expect, it } from 'vitest';
import { admit, newMember, smallCommunity } from '../../../tests/unit/community-fixture';
import { computeAuthority } from './authority';
import { projectSeries, seriesOf, seriesPosition } from './series';
import { sealRecord } from '../crypto/record-seal';

describe('series', () => {
  it('the newest revision by the creator holds; a member cannot make or revise one', async () => {
    const { genesis, a, b, records } = await smallCommunity();
    const [t1, t2, t3] = [
      await a('thread', { title: '1', body: 'x' }),
      await a('thread', { title: '2', body: 'x' }),
      await a('thread', { title: '3', body: 'x' })
    ];
    const made = await a('series', { title: 'Wheel building', description: 'from hub to truing', parts: [t1.id] });
    const revised = await a('series', { of: made.id, title: 'Wheel building', description: 'from hub to truing', parts: [t1.id, t3.id, t2.id, t1.id] });
    const bobRevision = await b('series', { of: made.id, title: 'Hijacked', description: '', parts: [] });
    const bobOwn = await b('series', { title: 'Bob’s', description: '', parts: [t1.id] });
    const all = [...records, t1, t2, t3, made, revised, bobRevision, bobOwn];
    const series = projectSeries(all, computeAuthority(genesis, all));
    expect(series.map((s) => s.title)).toEqual(['Wheel building']);
    expect(series[0].parts).toEqual([t1.id, t3.id, t2.id]); // duplicates dropped, order kept
    expect(series[0].id).toBe(made.id);

    // Position: parts not shown (deleted, not yet due) are skipped; the next unread is where to continue.
    const shown = (id: string) => id !== t3.id;
    expect(seriesPosition(series[0], shown, new Set([t1.id]))).toEqual({ parts: [t1.id, t2.id], read: 1, next: t2.id });
    expect(seriesOf(t2.id, series, shown)).toEqual([{ series: series[0], index: 1, count: 2, prev: t1.id, next: null }]);
  });

  it('an admin may revise; a revision naming a series nobody made is ignored', async () => {
    const { creator, genesis, cid, a, records } = await smallCommunity();
    const admin = await newMember();
    const [invite, join] = await admit(creator, admin, cid, 1_700_000_000_700, 'admin');
    const made = await a('series', { title: 'S', description: '', parts: [] });
    const byAdmin = await sealRecord(admin, { kind: 'series', cid, ts: 1_700_000_900_000, body: { of: made.id, title: 'S2', description: '', parts: [] } });
    const orphan = await a('series', { of: 'x'.repeat(43), title: 'Ghost', description: '', parts: [] });
    const all = [...records, invite, join, made, byAdmin, orphan];
    expect(projectSeries(all, computeAuthority(genesis, all)).map((s) => s.title)).toEqual(['S2']);
  });
});
