// The featured-threads and community-list reads on real storage: records appended to a CommunityDoc
// (Dexie over fake-indexeddb), projected by the app's own writers.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { smallCommunity, writer } from '../../../../tests/unit/community-fixture';
import type { AnyRecord } from '../../domain/record';
import { CommunityDoc } from '../../sync/community-doc';
import { HearthDb } from '../db';
import { recentCommunities } from './communities';
import { featuredThreads } from './featured';

let dbs = 0;

describe('featured threads', () => {
  it('lists the threads a moderator featured, the latest mark first, without unmarked or hidden ones', async () => {
    const { creator, cid, records } = await smallCommunity();
    const doc = new CommunityDoc(new HearthDb(`featured-${dbs++}`), cid);
    await doc.open();
    const a = writer(creator, cid, 1_700_000_200_000);
    const threads = [];
    for (const title of ['Early', 'Late', 'Unmarked', 'Hidden', 'Plain']) threads.push(await a('thread', { title, body: '' }));
    const [tEarly, tLate, tUnmarked, tHidden] = threads;
    const marks: AnyRecord[] = [
      await a('feature', { target: tEarly.id, featured: true }),
      await a('feature', { target: tUnmarked.id, featured: true }),
      await a('feature', { target: tHidden.id, featured: true }),
      await a('feature', { target: tLate.id, featured: true, reason: 'The route everyone asks about' }),
      await a('feature', { target: tUnmarked.id, featured: false }),
      await a('hide', { target: tHidden.id, hidden: true })
    ];
    for (const r of [...records, ...threads, ...marks]) expect((await doc.append(r as AnyRecord)).ok).toBe(true);
    await doc.settled();

    const rows = await featuredThreads(doc.db, cid);
    expect(rows.map((r) => r.title)).toEqual(['Late', 'Early']);
    expect(rows[0].featured).toEqual({ by: creator.publicKey, at: marks[3].ts, reason: 'The route everyone asks about' });
    expect(await featuredThreads(doc.db, 'another-community')).toEqual([]);
  });
});

describe('recent communities', () => {
  it('lists this device’s communities, the last opened first', async () => {
    const db = new HearthDb(`communities-${dbs++}`);
    const opened = { Monday: 1_700_000_000_000, Wednesday: 1_700_000_200_000, Tuesday: 1_700_000_100_000 };
    for (const [name, lastOpened] of Object.entries(opened)) {
      await db.communities.put({ cid: `c-${name}`, name, description: '', emoji: '🚲', color: '#cc5500', creator: 'k', createdAt: 0, addedAt: 0, lastOpened });
    }
    expect((await recentCommunities(db)).map((c) => c.name)).toEqual(['Wednesday', 'Tuesday', 'Monday']);
  });
});
