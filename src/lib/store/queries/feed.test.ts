// Runs Dexie on fake-indexeddb: Node has no IndexedDB.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { newCommunity, newMember, writer } from '../../../../tests/unit/community-fixture';
import { computeAuthority } from '../../domain/authority';
import { FUTURE_SKEW_MS, orderFeed } from '../../domain/feed';
import { projectCommunity } from '../../domain/posts';
import type { AnyRecord } from '../../domain/record';
import { HearthDb } from '../db';
import { readFeed } from './feed';
import { putRecords } from '../record-store';

describe('feed read', () => {
  it('pages the same order as the reference, with replies dated ahead in both bands and a scheduled thread', async () => {
    const alice = await newMember();
    const g = await newCommunity(alice);
    const w = writer(alice, g.id);
    const now = 1_700_000_500_000;
    const records: AnyRecord[] = [g];
    const threads = [];
    for (let i = 0; i < 8; i++) threads.push(await w('thread', { title: `T${i}`, body: '' }));
    records.push(...threads);
    records.push(
      await w('pin', { target: threads[0].id, pinned: true }),
      await w('pin', { target: threads[1].id, pinned: true }),
      await w('reply', { thread: threads[0].id, parent: threads[0].id, body: 'far, pinned' }, 8.64e15),
      await w('reply', { thread: threads[2].id, parent: threads[2].id, body: 'far' }, 8.64e15),
      await w('reply', { thread: threads[2].id, parent: threads[2].id, body: 'real' }, now - 60_000),
      await w('reply', { thread: threads[3].id, parent: threads[3].id, body: 'next year' }, now + 365 * 86_400_000),
      await w('reply', { thread: threads[4].id, parent: threads[4].id, body: 'fast clock' }, now + FUTURE_SKEW_MS - 1),
      await w('thread', { title: 'Scheduled', body: '' }, now + 3_600_000)
    );
    const projected = projectCommunity(records, computeAuthority(g, []));
    const db = new HearthDb(`feed-read-${Math.random()}`);
    // Rows are stored beside their records (a row leaves its record's text to it: store/post-bodies).
    await putRecords(db, records);
    await db.threads.bulkPut(projected.threads);
    await db.replies.bulkPut(projected.replies);
    const reference = orderFeed(projected.threads, projected.replies, now);
    expect(reference.slice(0, 4).map((t) => t.title)).toEqual(['T1', 'T0', 'T4', 'T2']);
    for (const limit of [1, 3, 5, 50]) {
      const page = await readFeed(db, g.id, { limit, now, shown: () => true });
      expect(
        page.map((t) => t.title),
        `limit ${limit}`
      ).toEqual(reference.slice(0, limit).map((t) => t.title));
    }
    const later = await readFeed(db, g.id, { limit: 50, now: now + 2 * 365 * 86_400_000, shown: () => true });
    expect(later.map((t) => t.title).slice(0, 4)).toEqual(['T1', 'T0', 'T3', 'Scheduled']);
    db.close();
  });
});
