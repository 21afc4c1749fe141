// Runs Dexie on fake-indexeddb: Node has no IndexedDB.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { admit, newCommunity, newMember, writer } from '../../../../tests/unit/community-fixture';
import type { AnyRecord } from '../../domain/record';
import { HearthDb } from '../db';
import { rebuildProjection } from '../projection';
import { memberPostIds, memberPosts } from './member-posts';
import { putRecords } from '../record-store';

describe('member posts', () => {
  it("lists only the member's shown threads and replies, newest first, with their text", async () => {
    const alice = await newMember();
    const bob = await newMember();
    const g = await newCommunity(alice);
    const a = writer(alice, g.id);
    const b = writer(bob, g.id, 1_700_000_100_000);
    const thread = await a('thread', { title: 'Ride', body: 'Sunday' });
    const bobThread = await b('thread', { title: 'Bob asks', body: 'Which tyres?' });
    const reply = await b('reply', { thread: thread.id, parent: thread.id, body: 'I am in' });
    const gone = await b('reply', { thread: thread.id, parent: thread.id, body: 'oops' });
    const records: AnyRecord[] = [g, ...(await admit(alice, bob, g.id)), thread, bobThread, reply, gone, await b('tombstone', { target: gone.id })];
    const db = new HearthDb(`member-posts-${Math.random()}`);
    await putRecords(db, records);
    await rebuildProjection(db, g.id);
    const posts = await memberPosts(db, bob.publicKey, await memberPostIds(db, g.id, bob.publicKey));
    expect(posts.map((p) => [p.id, p.title, p.body])).toEqual([
      [reply.id, null, 'I am in'],
      [bobThread.id, 'Bob asks', 'Which tyres?']
    ]);
    expect((await memberPosts(db, alice.publicKey, await memberPostIds(db, g.id, alice.publicKey))).map((p) => p.id)).toEqual([thread.id]);
    expect(await memberPosts(db, bob.publicKey, await memberPostIds(db, g.id, bob.publicKey), 1)).toHaveLength(1);
    db.close();
  });
});
