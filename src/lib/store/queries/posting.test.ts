// The facts a reply is judged by read what the verdict needs, not the thread: its slow mode is a core
// row, and only the member's own replies within the slow-mode window are read.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { countingReads } from '../../../../tests/unit/counting-reads';
import { writer } from '../../../../tests/unit/community-fixture';
import { creatorAndMember } from '../../../../tests/unit/doc-fixture';
import { postingAllowed } from '../../domain/membership';
import { idsTargeting } from '../record-store';
import { postingFacts, threadSlowMode } from './posting';

const HOUR = 3_600_000;

describe('postingFacts', () => {
  it('judges a reply in a long thread without reading the thread’s pages', async () => {
    const { alice, bob, g, db, doc, append } = await creatorAndMember('posting-facts');
    const a = writer(alice, g.id);
    const now = Date.now();
    const thread = await a('thread', { title: 'Ride', body: 'Sunday' }, now - 2 * HOUR);
    const replies = [];
    for (let i = 0; i < 40; i++) replies.push(await a('reply', { thread: thread.id, parent: thread.id, body: `reply ${i}` }, now - HOUR + i * 1000));
    await append(thread, ...replies);
    doc.close();

    const { db: counted, reads: pagesRead } = countingReads(db.name, ['recordPages']);
    await idsTargeting(counted, thread.id); // builds this connection's catalogue: every page once
    const before = pagesRead();
    const facts = await postingFacts(counted, g.id, bob.publicKey, { kind: 'reply', thread: thread.id, now }, async () => 1, undefined);
    expect(facts).toMatchObject({ slowSeconds: 0, lastInThread: null, recentPosts: [] });
    expect(await threadSlowMode(counted, g.id, thread.id)).toBe(0);
    expect(pagesRead() - before).toBe(0);
    counted.close();
  });

  it('holds a reply for a slow mode longer than an hour after the member’s last reply in that thread', async () => {
    const { alice, bob, g, append, db, doc } = await creatorAndMember('posting-slow');
    const [a, b] = [writer(alice, g.id), writer(bob, g.id)];
    const now = Date.now();
    const thread = await a('thread', { title: 'Ride', body: 'Sunday' }, now - 3 * HOUR);
    const other = await a('thread', { title: 'Kit', body: 'Lights' }, now - 3 * HOUR);
    const mine = await b('reply', { thread: thread.id, parent: thread.id, body: 'In' }, now - 90 * 60_000);
    const elsewhere = await b('reply', { thread: other.id, parent: other.id, body: 'Lights on' }, now - 10 * 60_000);
    await append(thread, other, await a('slowmode', { thread: thread.id, seconds: 2 * 3600 }, now - 2 * HOUR), mine, elsewhere);
    const reply = { kind: 'reply' as const, thread: thread.id, now };
    expect(await postingFacts(db, g.id, bob.publicKey, reply, async () => 1, undefined)).toMatchObject({ slowSeconds: 7200, lastInThread: mine.ts });
    expect(await threadSlowMode(db, g.id, thread.id)).toBe(7200);
    // Past the window, the old reply holds nothing back; the other thread has no slow mode.
    const later = mine.ts + 2 * HOUR + 1;
    const then = await postingFacts(db, g.id, bob.publicKey, { ...reply, now: later }, async () => 1, undefined);
    expect(postingAllowed(1, then.recentPosts, later, then.slowSeconds, then.lastInThread)).toEqual({ ok: true });
    expect(await postingFacts(db, g.id, bob.publicKey, { ...reply, thread: other.id }, async () => 1, undefined)).toMatchObject({
      slowSeconds: 0,
      lastInThread: null
    });
    doc.close();
  });
});
