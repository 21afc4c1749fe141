// Runs Dexie on fake-indexeddb: Node has no IndexedDB. The e2e tests cover the real one in Chromium.
import 'fake-indexeddb/auto';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { admit, chainWriter, inviteKey, joinBody, newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import { projectedRows } from '../../../tests/unit/projected-rows';
import { sealRecord } from '../crypto/record-seal';
import { generateInviteKey, signJoinProof } from '../crypto/invite-key';
import { chainHeads } from '../domain/authority';
import { QUOTAS } from '../domain/quota';
import type { AnyRecord } from '../domain/record';
import { HearthDb } from './db';
import { applyRecords, authorityOf, countUnauthorised, forgetAuthority, projectionIsCurrent, rebuildProjection, storeAhead } from './projection';
import { countHeld, countRecords, putRecords } from './record-store';

// Reads of one member's records in a time range, counted (each still runs): the receiving quota's.
const authorReads = vi.hoisted(() => ({ count: 0 }));
vi.mock('./record-store', async (original) => {
  const actual = await original<typeof import('./record-store')>();
  return {
    ...actual,
    recordsByAuthorBetween: (...args: Parameters<typeof actual.recordsByAuthorBetween>) => {
      authorReads.count++;
      return actual.recordsByAuthorBetween(...args);
    }
  };
});

let dbCount = 0;

async function sampleCommunity() {
  const alice = await newMember();
  const g = await newCommunity(alice);
  const w = writer(alice, g.id);
  const records: AnyRecord[] = [g, await w('profile', { name: 'Alice' })];
  const threads: AnyRecord[] = [];
  for (let i = 0; i < 4; i++) threads.push(await w('thread', { title: `T${i}`, body: `body ${i}` }));
  records.push(...threads);
  const replies: AnyRecord[] = [];
  for (let i = 0; i < 8; i++) {
    const t = threads[i % 4];
    const parent: string = i >= 4 ? replies[i - 4].id : t.id;
    replies.push(await w('reply', { thread: t.id, parent, body: `reply ${i}` }));
  }
  records.push(...replies);
  records.push(
    await w('reaction', { target: threads[0].id, emoji: '👍', on: true }),
    await w('reaction', { target: replies[1].id, emoji: '🎉', on: true }),
    await w('edit', { target: threads[1].id, title: 'T1 edited', body: 'edited' }),
    await w('edit', { target: replies[2].id, body: 'reply edited' }),
    await w('tombstone', { target: replies[3].id }),
    await w('tombstone', { target: threads[2].id }),
    await w('pin', { target: threads[3].id, pinned: true }),
    await w('profile', { name: 'Alice R.', bio: 'rides daily' })
  );
  // A second member whose join may arrive after their posts: they must appear once it does.
  const bob = await newMember();
  const wb = writer(bob, g.id, 1_700_000_100_000);
  const bobThread = await wb('thread', { title: 'Bob asks', body: 'hi' });
  records.push(
    ...(await admit(alice, bob, g.id)),
    await wb('profile', { name: 'Bob' }),
    bobThread,
    await wb('reply', { thread: threads[0].id, parent: threads[0].id, body: 'bob replies' }),
    await wb('reaction', { target: threads[0].id, emoji: '👍', on: true }),
    await w('reply', { thread: bobThread.id, parent: bobThread.id, body: 'alice answers bob' })
  );
  // Q&A, a poll and a challenge, with records that arrive in any order relative to their roots.
  const question = await wb('question', { title: 'Best lock?', body: 'for the city' });
  const a1 = await w('answer', { question: question.id, body: 'a U-lock' });
  const a2 = await w('answer', { question: question.id, body: 'two locks' });
  const poll = await w('poll', { title: 'When?', options: ['Sat', 'Sun'], multiple: false, maxChoices: 1, closesAt: null, results: 'always' });
  const challenge = await w('challenge', { title: 'Ride daily', prompt: 'km?', startDate: '2023-11-14', days: 30 });
  records.push(
    question,
    a1,
    a2,
    await wb('upvote', { target: a2.id, on: true }),
    await wb('accept', { question: question.id, answer: a1.id }),
    await w('edit', { target: a2.id, body: 'two good locks' }),
    poll,
    await wb('vote', { poll: poll.id, choices: [1] }),
    await w('vote', { poll: poll.id, choices: [0] }),
    await wb('vote', { poll: poll.id, choices: [0] }),
    challenge,
    await wb('checkin', { challenge: challenge.id, date: '2023-11-14', note: '12 km' })
  );
  // The same weekly digest written by two devices: only the first is shown.
  const auto = { rule: 'digest', key: '2023-W46', device: 'phone' };
  records.push(
    await w('thread', { title: 'Digest (phone)', body: '', auto }),
    await w('thread', { title: 'Digest (laptop)', body: '', auto: { ...auto, device: 'laptop' } })
  );
  // A stranger's post never shows, whatever arrives.
  const mallory = await newMember();
  records.push(await writer(mallory, g.id)('thread', { title: 'spam', body: 'spam' }));
  return { cid: g.id, records, alice };
}

describe('projection', () => {
  it('joins arriving in pieces are replayed with the authority already held, not read again, and give the same authority', async () => {
    const alice = await newMember();
    const g = await newCommunity(alice);
    const db = new HearthDb(`pieces-${dbCount++}`);
    await applyRecords(db, g.id, [g, await writer(alice, g.id)('profile', { name: 'Alice' })]);
    const pieces: AnyRecord[][] = [];
    for (let p = 0; p < 4; p++) {
      const piece: AnyRecord[] = [];
      for (let i = 0; i < 3; i++) {
        const member = await newMember();
        piece.push(...(await admit(alice, member, g.id, 1_700_000_000_500 + p * 10_000 + i * 100)));
        piece.push(await writer(member, g.id, 1_700_000_100_000 + p * 10_000 + i * 100)('thread', { title: `from ${p}.${i}`, body: 'hi' }));
      }
      pieces.push(piece);
    }
    await applyRecords(db, g.id, pieces[0]);
    const where = vi.spyOn(db.records, 'where');
    for (const piece of pieces.slice(1)) await applyRecords(db, g.id, piece, Infinity);
    // No read of the authority kinds' index: each piece extended the authority in memory.
    expect(where.mock.calls.filter(([index]) => (index as unknown) === '[cid+kind]')).toEqual([]);
    const extended = (await authorityOf(db, g.id))!;
    forgetAuthority(db, g.id);
    const replayed = (await authorityOf(db, g.id))!;
    expect([...extended.members.keys()].sort()).toEqual([...replayed.members.keys()].sort());
    expect(extended.members.size).toBe(13);
    expect(await db.threads.where('cid').equals(g.id).count()).toBe(12);
  });

  it('a rebuild equals incremental projection, whatever the batch order', { timeout: 60_000 }, async () => {
    const { cid, records } = await sampleCommunity();
    const reference = new HearthDb(`ref-${dbCount++}`);
    await applyRecords(reference, cid, records);
    await rebuildProjection(reference, cid);
    const expected = await projectedRows(reference, cid);
    expect(expected.threads.map((t) => t.title).sort()).toEqual(['Bob asks', 'Digest (laptop)', 'Digest (phone)', 'T0', 'T1 edited', 'T2', 'T3']);
    expect(expected.threads.filter((t) => t.autoKey).map((t) => [t.title, t.rank >= 0])).toEqual(
      expect.arrayContaining([
        ['Digest (phone)', true],
        ['Digest (laptop)', false]
      ])
    );
    expect(expected.members.map((m) => m.name).sort()).toEqual(['Alice R.', 'Bob']);
    expect(expected.questions).toMatchObject([{ title: 'Best lock?', solved: 1, answerCount: 2 }]);
    expect(expected.answers.find((a) => a.accepted)?.body).toBe('a U-lock');
    expect(expected.polls[0].counts).toEqual([2, 0]);
    expect(Object.values(expected.challenges[0].checkins)).toHaveLength(1);

    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(records, { minLength: records.length }), fc.integer({ min: 1, max: 5 }), async (order, size) => {
        const db = new HearthDb(`inc-${dbCount++}`);
        for (let i = 0; i < order.length; i += size) await applyRecords(db, cid, order.slice(i, i + size));
        const got = await projectedRows(db, cid);
        await db.delete();
        expect(got).toEqual(expected);
      }),
      { numRuns: 25, seed: 42 }
    );
  });

  it('a new reply is projected without reading its thread’s other replies or their records again', async () => {
    const alice = await newMember();
    const g = await newCommunity(alice);
    const w = writer(alice, g.id);
    const thread = await w('thread', { title: 'Long thread', body: 'many replies' });
    const records: AnyRecord[] = [g, await w('profile', { name: 'Alice' }), thread, await w('pin', { target: thread.id, pinned: true })];
    for (let i = 0; i < 40; i++) records.push(await w('reply', { thread: thread.id, parent: thread.id, body: `reply ${i}` }));
    const db = new HearthDb(`long-${dbCount++}`);
    await applyRecords(db, g.id, records);
    // The first reply after a restart reads the thread's replies once (nothing is kept yet).
    await applyRecords(db, g.id, [await w('reply', { thread: thread.id, parent: thread.id, body: 'first after open' })]);
    const gets = vi.spyOn(IDBObjectStore.prototype, 'get');
    const indexReads = vi.spyOn(IDBIndex.prototype, 'getAll');
    try {
      await applyRecords(db, g.id, [await w('reply', { thread: thread.id, parent: thread.id, body: 'one more' })]);
      const recordGets = gets.mock.contexts.filter((store) => (store as IDBObjectStore).name === 'records').length;
      // Records read by target: the new reply's reactions (none); the thread's replies are not among them.
      const byTarget = indexReads.mock.contexts
        .map((index, i) => ({ index: index as IDBIndex, request: indexReads.mock.results[i].value as IDBRequest<unknown[]> }))
        .filter(({ index }) => index.objectStore.name === 'records' && index.name === 'target');
      expect(recordGets).toBeLessThan(10);
      expect(byTarget.map(({ request }) => request.result.length)).toEqual(byTarget.map(() => 0));
      // The thread's count moves on from its stored row: no reply row of the thread is read.
      const replyRows = indexReads.mock.contexts.filter((index) => (index as IDBIndex).objectStore.name === 'replies');
      expect(replyRows).toHaveLength(0);
    } finally {
      gets.mockRestore();
      indexReads.mockRestore();
    }
    const row = await db.threads.get(thread.id);
    expect(row).toMatchObject({ replyCount: 42, pinned: true });
    await db.delete();
  });

  /** The sample community projected, its rows as projected (`before`), then its threads and replies cleared. */
  async function projectedThenCleared() {
    const { cid, records } = await sampleCommunity();
    const db = new HearthDb(`v-${dbCount++}`);
    await applyRecords(db, cid, records);
    const before = await projectedRows(db, cid);
    await db.threads.clear();
    await db.replies.clear();
    return { cid, db, before };
  }

  it('a version bump rebuilds rows from the stored records', async () => {
    const { cid, db, before } = await projectedThenCleared();
    await rebuildProjection(db, cid);
    expect(await projectedRows(db, cid)).toEqual(before);
  });

  it('a rebuild writes only the rows that changed and deletes only those gone', async () => {
    const { cid, records, alice } = await sampleCommunity();
    const db = new HearthDb(`v-${dbCount++}`);
    await applyRecords(db, cid, records);
    const before = await projectedRows(db, cid);
    const written = () => {
      const spies = [db.threads, db.replies, db.members].map((t) => [vi.spyOn(t, 'bulkPut'), vi.spyOn(t, 'bulkDelete')] as const);
      return () => spies.flatMap(([put, del]) => [...put.mock.calls, ...del.mock.calls].map((c) => (c[0] as unknown[]).length));
    };
    let counts = written();
    await rebuildProjection(db, cid);
    expect(counts().reduce((a, b) => a + b, 0)).toBe(0);
    expect(await projectedRows(db, cid)).toEqual(before);
    vi.restoreAllMocks();

    // An edit stored without its projection: the rebuild writes its post's row and nothing else.
    const thread = records.find((r) => r.kind === 'thread')!;
    const edit = await writer(alice, cid, 1_700_000_600_000)('edit', { target: thread.id, title: 'renamed', body: 'new words' });
    await putRecords(db, [{ ...edit, target: thread.id }]);
    counts = written();
    await rebuildProjection(db, cid);
    expect(counts().reduce((a, b) => a + b, 0)).toBe(1);
    expect(await db.threads.get(thread.id)).toMatchObject({ title: 'renamed' });
    vi.restoreAllMocks();
  });

  it('a rebuild commits the thread rows before the replies, and a tab that dies between them rebuilds at its next open', async () => {
    const { cid, db, before } = await projectedThenCleared();
    // The replies' transaction fails (the tab dies there): the threads are there, the projection stale.
    const put = vi.spyOn(db.replies, 'bulkPut').mockRejectedValueOnce(new Error('tab closed'));
    await expect(rebuildProjection(db, cid)).rejects.toThrow('tab closed');
    put.mockRestore();
    expect(await db.threads.where('cid').equals(cid).count()).toBe(before.threads.length);
    expect(await db.replies.where('cid').equals(cid).count()).toBe(0);
    expect(await projectionIsCurrent(db, cid)).toBe(false);
    await rebuildProjection(db, cid);
    expect(await projectedRows(db, cid)).toEqual(before);
    expect(await projectionIsCurrent(db, cid)).toBe(true);
  });

  it("a page's read of thread rows is answered while the rebuild is still writing the reply rows", async () => {
    const { cid, records } = await sampleCommunity();
    const name = `v-${dbCount++}`;
    const db = new HearthDb(name);
    // While `hold` is set, the first write of reply rows waits, its transaction kept alive by reads,
    // until `released` (the page's read came back) or 200 reads have gone by.
    let hold = false;
    let released = false;
    let held = 0;
    db.use({
      stack: 'dbcore',
      name: 'HoldReplies',
      level: 10,
      create: (down) => ({
        ...down,
        table: (tableName) => {
          const table = down.table(tableName);
          if (tableName !== 'replies') return table;
          return {
            ...table,
            mutate: async (req) => {
              if (hold && req.type === 'put') {
                hold = false;
                const meta = down.table('projectionMeta');
                for (; !released && held < 200; held++) await meta.get({ trans: req.trans, key: cid });
              }
              return table.mutate(req);
            }
          };
        }
      })
    });
    await applyRecords(db, cid, records);
    const before = await projectedRows(db, cid);
    await db.threads.clear();
    await db.replies.clear();

    // The page: another connection to the same database, counting the community's threads as the feed does.
    const page = new HearthDb(name);
    await page.open();
    let shownWhileHeld: number | null = null;
    const rebuilt = (async () => {
      hold = true;
      await rebuildProjection(db, cid);
    })();
    // Once the threads are committed (the replies' write is then held), the page counts them.
    while (held === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    const count = await page.threads.where('cid').equals(cid).count();
    if (held < 200) shownWhileHeld = count;
    released = true;
    await rebuilt;
    expect(shownWhileHeld).toBe(before.threads.length);
    expect(await projectedRows(db, cid)).toEqual(before);
    page.close();
    await db.delete();
  });

  it('a large batch whose rebuild never finishes (the tab died) leaves the projection marked stale, so the next open rebuilds', async () => {
    const { cid, records, alice } = await sampleCommunity();
    const db = new HearthDb(`v-${dbCount++}`);
    await applyRecords(db, cid, records);
    expect(await projectionIsCurrent(db, cid)).toBe(true);
    const w = writer(alice, cid, 1_700_000_500_000);
    const more: AnyRecord[] = [];
    for (let i = 0; i < 2_500; i++) more.push(await w('reaction', { target: records[2].id, emoji: '👍', on: i % 2 === 0 }));
    // The first transaction stores the records ahead (and marks the projection behind); the rebuild's never ends.
    const real = db.transaction.bind(db) as (...args: unknown[]) => unknown;
    const died = vi.spyOn(db, 'transaction').mockImplementation(((...args: unknown[]) =>
      // The rebuild's transaction is the one over the projections' tables.
      (args[1] as unknown[]).includes(db.threads) ? Promise.reject(new Error('the tab died')) : real(...args)) as never);
    await expect(applyRecords(db, cid, more)).rejects.toThrow('the tab died');
    died.mockRestore();
    expect(await countRecords(db, cid)).toBe(records.length - 1 + more.length);
    expect(await projectionIsCurrent(db, cid)).toBe(false);
  });

  it('records stored ahead of a rebuild and the mark that the projection is behind are written together', async () => {
    const { cid, records, alice } = await sampleCommunity();
    const db = new HearthDb(`v-${dbCount++}`);
    await applyRecords(db, cid, records);
    const w = writer(alice, cid, 1_700_000_500_000);
    const more: AnyRecord[] = [];
    for (let i = 0; i < 300; i++) more.push(await w('reaction', { target: records[2].id, emoji: '👍', on: i % 2 === 0 }));
    // The store fails (a full disk): nothing is stored, and the projection of what is stored stays current.
    const full = vi.spyOn(db.recordPages, 'bulkPut').mockRejectedValueOnce(new Error('QuotaExceededError'));
    await expect(storeAhead(db, cid, more)).rejects.toThrow('QuotaExceededError');
    full.mockRestore();
    expect(await countRecords(db, cid)).toBe(records.length - 1);
    expect(await projectionIsCurrent(db, cid)).toBe(true);
    await storeAhead(db, cid, more);
    expect(await countRecords(db, cid)).toBe(records.length - 1 + more.length);
    expect(await projectionIsCurrent(db, cid)).toBe(false);
  });
});

describe('what the health panel counts', () => {
  it('records held back by the quota count as held back, not also as refused by the authority', async () => {
    const alice = await newMember();
    const carol = await newMember();
    const g = await newCommunity(alice);
    const cid = g.id;
    const a = chainWriter(alice, cid);
    const open = await a('invite', { role: 'member', expiresAt: null, maxUses: null, label: 'all', nonce: 'y', ...inviteKey() });
    const t1 = await a('thread', { title: 'Welcome', body: 'hi' });
    // Carol, a new member, reacts far more than an hour's budget allows.
    const carolJoin = await sealRecord(carol, { kind: 'join', cid, ts: 1_700_000_290_000, body: joinBody(open, carol) });
    const c = chainWriter(carol, cid, 1_700_000_300_000, carolJoin.id);
    const flood: AnyRecord[] = [carolJoin];
    for (let i = 0; i < QUOTAS[0].records + 20; i++) flood.push(await c('reaction', { target: t1.id, emoji: '👍', on: i % 2 === 0 }, 1_700_000_300_000 + i));
    const db = new HearthDb(`health-${dbCount++}`);
    const held = await applyRecords(db, cid, [g, open, t1, ...flood]);
    expect(await countHeld(db, cid)).toBe(21);
    expect(held).toEqual(new Set(flood.slice(-21).map((r) => r.id)));
    expect(await countUnauthorised(db, cid)).toBe(0);
    expect(await rebuildProjection(db, cid)).toEqual({ unauthorised: 0, held });
    // A record the authority refuses still counts: a reaction by someone who never joined.
    const stranger = await newMember();
    await applyRecords(db, cid, [await sealRecord(stranger, { kind: 'reaction', cid, ts: 1_700_000_400_000, body: { target: t1.id, emoji: '🎉', on: true } })]);
    expect(await countUnauthorised(db, cid)).toBe(1);
    expect((await rebuildProjection(db, cid)).unauthorised).toBe(1);
    await db.delete();
  });
});

describe('the receiving quota over a batch spanning many hours', () => {
  const HOUR = 3_600_000;
  const base = 1_700_002_800_000; // the start of an hour

  async function carolIn() {
    const alice = await newMember();
    const carol = await newMember();
    const g = await newCommunity(alice);
    const a = chainWriter(alice, g.id);
    const open = await a('invite', { role: 'member', expiresAt: null, maxUses: null, label: 'all', nonce: 'q', ...inviteKey() });
    const t1 = await a('thread', { title: 'Welcome', body: 'hi' });
    const join = await sealRecord(carol, { kind: 'join', cid: g.id, ts: base - HOUR, body: joinBody(open, carol) });
    const db = new HearthDb(`quota-hours-${dbCount++}`);
    await applyRecords(db, g.id, [g, open, t1, join]);
    const c = chainWriter(carol, g.id, base, join.id);
    const react = (at: number) => c('reaction', { target: t1.id, emoji: '👍', on: true }, at);
    return { db, cid: g.id, react };
  }

  it('holds back what passes each hour’s budget, reading each member’s hours together', async () => {
    const { db, cid, react } = await carolIn();
    const quota = QUOTAS[0].records;
    // Over budget in the first hour and the third, one reaction in the fifth.
    const first = await Promise.all(Array.from({ length: quota + 5 }, (_, i) => react(base + i)));
    const third = await Promise.all(Array.from({ length: quota + 3 }, (_, i) => react(base + 2 * HOUR + i)));
    const fifth = [await react(base + 4 * HOUR)];
    authorReads.count = 0;
    const held = await applyRecords(db, cid, [...first, ...third, ...fifth], Infinity);
    expect(held).toEqual(new Set([...first.slice(-5), ...third.slice(-3)].map((r) => r.id)));
    // One read for Carol's three hours, not one per hour.
    expect(authorReads.count).toBe(1);
    await db.delete();
  });

  it('reads hour by hour when the member’s range holds more than those hours’ budgets, and holds back the same', async () => {
    const { db, cid, react } = await carolIn();
    const quota = QUOTAS[0].records;
    // Stored first: a full first hour, and a flood in the second, between the batch's two hours.
    const full = await Promise.all(Array.from({ length: quota }, (_, i) => react(base + i)));
    const flood = await Promise.all(Array.from({ length: 3 * quota }, (_, i) => react(base + HOUR + i)));
    for (let i = 0; i < full.length + flood.length; i += 50) await applyRecords(db, cid, [...full, ...flood].slice(i, i + 50), Infinity);
    const late = await react(base + 30_000);
    const next = await react(base + 2 * HOUR);
    authorReads.count = 0;
    const held = await applyRecords(db, cid, [late, next], Infinity);
    expect(held).toEqual(new Set([late.id]));
    // The range read came back full: then each hour on its own.
    expect(authorReads.count).toBe(3);
    await db.delete();
  });
});

describe('projection against a member who holds the room secret', () => {
  it('backdated joins, posts after a ban, forks and a flood never change what honest members see; every order agrees', { timeout: 60_000 }, async () => {
    const alice = await newMember();
    const [bob, mallory, outsider, carol] = await Promise.all([newMember(), newMember(), newMember(), newMember()]);
    const g = await newCommunity(alice);
    const cid = g.id;
    const a = chainWriter(alice, cid);
    const honest: AnyRecord[] = [g, await a('profile', { name: 'Alice' })];
    const adminInvite = await a('invite', { role: 'admin', expiresAt: null, maxUses: 1, label: 'bob', nonce: 'x', ...inviteKey() });
    const open = await a('invite', { role: 'member', expiresAt: null, maxUses: null, label: 'all', nonce: 'y', ...inviteKey() });
    const bobJoin = await sealRecord(bob, { kind: 'join', cid, ts: 1_700_000_050_000, body: joinBody(adminInvite, bob) });
    const b = chainWriter(bob, cid, 1_700_000_060_000, bobJoin.id);
    const t1 = await a('thread', { title: 'Welcome', body: 'hi' });
    honest.push(adminInvite, open, bobJoin, await a('admit', { invite: adminInvite.id, joins: [bobJoin.id] }), t1, await b('profile', { name: 'Bob' }));
    honest.push(await b('reply', { thread: t1.id, parent: t1.id, body: 'hello' }), await b('thread', { title: 'Bob’s ride', body: 'Sunday' }));

    // Mallory joins through the open invite she holds, posts in her own thread, and is banned.
    const mJoin = await sealRecord(mallory, { kind: 'join', cid, ts: 1_700_000_070_000, body: joinBody(open, mallory) });
    const m = chainWriter(mallory, cid, 1_700_000_080_000, mJoin.id);
    const mThread = await m('thread', { title: 'Mallory sells', body: 'x' });
    const mSeen = [mJoin, mThread];
    const ban = await a('ban', { member: mallory.publicKey, banned: true, heads: chainHeads(mSeen) }, 1_700_000_200_000);
    // What she does after: backdated posts (continuing and forking her chain), a backdated join on the
    // used admin invite with a key of her own, and a flood of threads in one hour.
    const own = generateInviteKey();
    const hostile: AnyRecord[] = [
      await m('reply', { thread: t1.id, parent: t1.id, body: 'backdated' }, 1_700_000_190_000),
      await m('thread', { title: 'fork', body: '' }, 1_700_000_085_000, mJoin.id),
      await sealRecord(outsider, {
        kind: 'join',
        cid,
        ts: adminInvite.ts + 1,
        body: { invite: adminInvite.id, key: own.publicKey, proof: signJoinProof(own.seed, { cid, invite: adminInvite.id, member: outsider.publicKey }) }
      }),
      await sealRecord(outsider, { kind: 'ban', cid, ts: adminInvite.ts + 2, body: { member: bob.publicKey, banned: true } })
    ];
    // Carol, a new member, reacts far more than an hour's budget allows.
    const carolJoin = await sealRecord(carol, { kind: 'join', cid, ts: 1_700_000_290_000, body: joinBody(open, carol) });
    const c = chainWriter(carol, cid, 1_700_000_300_000, carolJoin.id);
    const flood: AnyRecord[] = [carolJoin];
    for (let i = 0; i < QUOTAS[0].records + 20; i++)
      flood.push(await c('reaction', { target: t1.id, emoji: i % 2 ? '👍' : '🎉', on: i % 3 !== 0 }, 1_700_000_300_000 + i));
    const all = [...honest, mJoin, mThread, ban, ...hostile, ...flood];

    const reference = new HearthDb(`adv-ref-${dbCount++}`);
    await applyRecords(reference, cid, all);
    await rebuildProjection(reference, cid);
    const expected = await projectedRows(reference, cid);
    // Honest members' rows are those of a history without the hostile records.
    const clean = new HearthDb(`adv-clean-${dbCount++}`);
    await applyRecords(clean, cid, [...honest, mJoin, mThread, ban, ...flood]);
    await rebuildProjection(clean, cid);
    const withoutHostile = await projectedRows(clean, cid);
    expect(expected).toEqual(withoutHostile);
    expect(expected.threads.map((t) => t.title).sort()).toEqual(['Bob’s ride', 'Mallory sells', 'Welcome']);
    expect(expected.members.find((x) => x.key === bob.publicKey)).toMatchObject({ role: 'admin', banned: false });
    // The join shares the hour: 61 + 20 records, 60 shown.
    expect(await countHeld(reference, cid)).toBe(21);
    await reference.delete();
    await clean.delete();

    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(all, { minLength: all.length }), fc.integer({ min: 1, max: 40 }), async (order, size) => {
        const db = new HearthDb(`adv-${dbCount++}`);
        for (let i = 0; i < order.length; i += size) await applyRecords(db, cid, order.slice(i, i + size));
        const got = await projectedRows(db, cid);
        await db.delete();
        expect(got).toEqual(expected);
      }),
      { numRuns: 15, seed: 7 }
    );
  });
});
