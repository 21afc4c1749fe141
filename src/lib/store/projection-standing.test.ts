// A member's standing moving (trust, points level, role, ban, restriction, join) re-projects what
// it changes and no more, and the rows always equal a rebuild's. Dexie on fake-indexeddb.
import 'fake-indexeddb/auto';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { chainWriter, inviteKey, joinBody, newCommunity, newMember } from '../../../tests/unit/community-fixture';
import { projectedRows } from '../../../tests/unit/projected-rows';
import type { Identity } from '../crypto/identity';
import { sealRecord } from '../crypto/record-seal';
import { chainHeads } from '../domain/authority';
import { hourOf, QUOTAS } from '../domain/quota';
import type { AnyRecord, SignedRecord } from '../domain/record';
import { HearthDb } from './db';
import { applyRecords, rebuildProjection } from './projection';
import { heldRecordIds } from './record-store';

// Reads of one member's records in a time range, counted (each still runs): the quota's hours.
const hourReads = vi.hoisted(() => ({ count: 0 }));
vi.mock('./record-store', async (original) => {
  const actual = await original<typeof import('./record-store')>();
  return {
    ...actual,
    recordsByAuthorBetween: (...args: Parameters<typeof actual.recordsByAuthorBetween>) => {
      hourReads.count++;
      return actual.recordsByAuthorBetween(...args);
    }
  };
});

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;
let dbCount = 0;

/** Every projected row of the community and the ids the quota holds back, in a form `toEqual` compares. */
async function snapshot(db: HearthDb, cid: string) {
  return { ...(await projectedRows(db, cid)), held: (await heldRecordIds(db, cid)).sort() };
}

/** What a fresh device makes of these records: stored, then rebuilt. */
async function rebuilt(cid: string, records: readonly AnyRecord[]) {
  const db = new HearthDb(`standing-ref-${dbCount++}`);
  await applyRecords(db, cid, [...records]);
  await rebuildProjection(db, cid);
  const rows = await snapshot(db, cid);
  await db.delete();
  return rows;
}

/** Rows written (put or deleted) per projection table while `during` runs. */
const writes = new Map<string, number>();
const proto = IDBObjectStore.prototype;
const [put, del] = [proto.put, proto.delete];
beforeEach(() => {
  writes.clear();
  proto.put = function (this: IDBObjectStore, ...args: Parameters<typeof put>) {
    writes.set(this.name, (writes.get(this.name) ?? 0) + 1);
    return put.apply(this, args);
  };
  proto.delete = function (this: IDBObjectStore, ...args: Parameters<typeof del>) {
    writes.set(this.name, (writes.get(this.name) ?? 0) + 1);
    return del.apply(this, args);
  };
});
afterEach(() => {
  proto.put = put;
  proto.delete = del;
});
async function rowsWritten(during: () => Promise<unknown>): Promise<Record<string, number>> {
  writes.clear();
  await during();
  const out: Record<string, number> = {};
  for (const table of ['threads', 'replies', 'members', 'questions', 'answers', 'polls', 'challenges']) if (writes.get(table)) out[table] = writes.get(table)!;
  return out;
}

/**
 * A community of `size` members besides its creator, joined on one open invite, each with a chain of
 * records: a profile, a thread, replies to others' threads, reactions, a question with an answer from
 * the next member. Member 0 hid member 1's thread (counted once they may hide); member 2 floods one
 * hour with more reactions than trust level 0 lets through, fewer than level 1 does.
 */
async function busyCommunity(size: number) {
  const creator = await newMember();
  const people = await Promise.all(Array.from({ length: size }, () => newMember()));
  const g = await newCommunity(creator);
  const cid = g.id;
  const c = chainWriter(creator, cid, T0 + 1_000);
  const open = await c('invite', { role: 'member', expiresAt: null, maxUses: null, label: 'all', nonce: 'o', ...inviteKey() });
  const records: AnyRecord[] = [g, await c('profile', { name: 'Creator' }), open];
  const chains = new Map<string, AnyRecord[]>();
  const writers = new Map<string, ReturnType<typeof chainWriter>>();
  const threads: SignedRecord<'thread'>[] = [];
  for (const [i, p] of people.entries()) {
    const join = await sealRecord(p, { kind: 'join', cid, ts: T0 + 10_000 + i, body: joinBody(open, p) });
    const w = chainWriter(p, cid, T0 + HOUR + i * 10_000, join.id);
    writers.set(p.publicKey, w);
    const thread = await w('thread', { title: `T${i}`, body: `by ${i}` });
    threads.push(thread);
    chains.set(p.publicKey, [join, await w('profile', { name: `M${i}` }), thread]);
  }
  for (const [i, p] of people.entries()) {
    const w = writers.get(p.publicKey)!;
    const mine = chains.get(p.publicKey)!;
    const other = threads[(i + 1) % size];
    const reply = await w('reply', { thread: other.id, parent: other.id, body: `reply of ${i}` });
    const question = await w('question', { title: `Q${i}`, body: 'why?' });
    mine.push(reply, question, await w('reply', { thread: other.id, parent: reply.id, body: 'and more' }));
    mine.push(
      await w('reaction', { target: other.id, emoji: '👍', on: true }),
      await w('reaction', { target: threads[(i + 2) % size].id, emoji: '🎉', on: true })
    );
    const next = writers.get(people[(i + 1) % size].publicKey)!;
    chains.get(people[(i + 1) % size].publicKey)!.push(await next('answer', { question: question.id, body: `answer to ${i}` }, T0 + 3 * HOUR + i));
  }
  chains.get(people[0].publicKey)!.push(await writers.get(people[0].publicKey)!('hide', { target: threads[1].id, hidden: true }));
  const flooder = writers.get(people[2].publicKey)!;
  for (let i = 0; i < QUOTAS[0].records + 10; i++)
    chains.get(people[2].publicKey)!.push(await flooder('reaction', { target: threads[i % size].id, emoji: `e${i % 5}`, on: true }, T0 + 5 * HOUR + i));
  for (const chain of chains.values()) records.push(...chain);
  let ts = T0 + 10 * HOUR;
  /** A record of the creator's after everything written so far (the automation's, a moderator's action). */
  const byCreator = <K extends 'trust' | 'level' | 'ban' | 'grant'>(kind: K, body: SignedRecord<K>['body'], at = (ts += 1_000)) =>
    sealRecord(creator, { kind, cid, ts: at, body } as never) as Promise<SignedRecord<K>>;
  return { creator, people, cid, records, chains, threads, byCreator };
}

describe('a member’s standing moving', () => {
  it('a trust append writes no post, member or interaction row, and leaves the rows a rebuild makes', { timeout: 60_000 }, async () => {
    const { people, cid, records, byCreator } = await busyCommunity(24);
    const db = new HearthDb(`standing-${dbCount++}`);
    await applyRecords(db, cid, records);
    // Level 1 and 2: the quota moves, hides do not count yet; member 2's flood stays within level 1's budget.
    const trust = await Promise.all(people.slice(3, 23).map((p, i) => byCreator('trust', { member: p.publicKey, level: 1 + (i % 2) })));
    const levels = await Promise.all(people.slice(3, 23).map((p) => byCreator('level', { member: p.publicKey, level: 3 })));
    expect(await rowsWritten(() => applyRecords(db, cid, [...trust, ...levels]))).toEqual({});
    expect(await snapshot(db, cid)).toEqual(await rebuilt(cid, [...records, ...trust, ...levels]));
    await db.delete();
  });

  it('a banned member’s posts are projected again only when what their ban keeps moves', { timeout: 60_000 }, async () => {
    const { people, cid, records, chains, byCreator } = await busyCommunity(8);
    const mallory = people[5];
    const chain = chains.get(mallory.publicKey)!;
    // The ban saw her chain up to her question; the reply written after it stays out. Her first reply
    // arrives last: until it does, what came before it in her chain is not known to be kept.
    // The ban names her join too, so that she stays a member whatever else of her chain is missing.
    const seen = chain.slice(0, chain.findIndex((r) => r.kind === 'question') + 1);
    const ban = await byCreator('ban', { member: mallory.publicKey, banned: true, heads: [...chainHeads(seen), chain[0].id] });
    const late = chain.find((r) => r.kind === 'reply')!;
    const db = new HearthDb(`standing-${dbCount++}`);
    await applyRecords(db, cid, [...records.filter((r) => r !== late), ban]);
    const rowsOf = async () =>
      [...(await db.threads.where('cid').equals(cid).toArray()), ...(await db.replies.where('cid').equals(cid).toArray())].filter(
        (r) => r.author === mallory.publicKey
      ).length;
    const hidden = await rowsOf();

    // Not member 2, whose flood a new quota lets through (which writes the rows it reacted to).
    const trust = await Promise.all([0, 1, 6, 7].map((i) => byCreator('trust', { member: people[i].publicKey, level: 1 })));
    expect(await rowsWritten(() => applyRecords(db, cid, trust))).toEqual({});
    expect(await snapshot(db, cid)).toEqual(await rebuilt(cid, [...records.filter((r) => r !== late), ban, ...trust]));

    await applyRecords(db, cid, [late]);
    expect(await rowsOf()).toBeGreaterThan(hidden);
    expect(await snapshot(db, cid)).toEqual(await rebuilt(cid, [...records, ban, ...trust]));
    await db.delete();
  });

  it('a member reaching the trust level that may hide has their hides count: the posts they hid, and nothing else, are written', {
    timeout: 60_000
  }, async () => {
    const { people, cid, records, threads, byCreator } = await busyCommunity(8);
    const db = new HearthDb(`standing-${dbCount++}`);
    await applyRecords(db, cid, records);
    expect((await db.threads.get(threads[1].id))?.hidden).toBe(false);
    const trust = await byCreator('trust', { member: people[0].publicKey, level: 3 });
    expect(await rowsWritten(() => applyRecords(db, cid, [trust]))).toEqual({ threads: 1 });
    expect((await db.threads.get(threads[1].id))?.hidden).toBe(true);
    expect(await snapshot(db, cid)).toEqual(await rebuilt(cid, [...records, trust]));
    await db.delete();
  });

  it('a trust level that moves a member’s quota holds back or lets through their records as a rebuild does', { timeout: 60_000 }, async () => {
    const { people, cid, records, chains, byCreator } = await busyCommunity(8);
    const db = new HearthDb(`standing-${dbCount++}`);
    await applyRecords(db, cid, records);
    expect(await heldRecordIds(db, cid)).toHaveLength(10);
    const hours = new Set(chains.get(people[2].publicKey)!.map((r) => hourOf(r.ts))).size;
    const up = await byCreator('trust', { member: people[2].publicKey, level: 1 });
    hourReads.count = 0;
    await applyRecords(db, cid, [up]);
    expect(await heldRecordIds(db, cid)).toEqual([]);
    // Of the member's hours, only those that may pass a budget by their count of records are read
    // (the flooded one, and one of seven records, which might weigh more than 0.5 MiB).
    expect(hourReads.count).toBe(2);
    expect(hours).toBe(4);
    expect(await snapshot(db, cid)).toEqual(await rebuilt(cid, [...records, up]));
    const down = await byCreator('trust', { member: people[2].publicKey, level: 0 });
    await applyRecords(db, cid, [down]);
    expect(await heldRecordIds(db, cid)).toHaveLength(10);
    expect(await snapshot(db, cid)).toEqual(await rebuilt(cid, [...records, up, down]));
    await db.delete();
  });

  it('any sequence of trust, level, role, ban and join records, in any batches, leaves the rows a rebuild makes', { timeout: 240_000 }, async () => {
    const { creator, people, cid, records, chains, byCreator } = await busyCommunity(6);
    // Two members' joins are held back to arrive among the standing records.
    const lateJoins = [people[4], people[5]].map((p) => chains.get(p.publicKey)![0]);
    const base = records.filter((r) => !lateJoins.includes(r));
    const pool: AnyRecord[] = [...lateJoins];
    let ts = T0 + 20 * HOUR;
    const at = () => (ts += 1_000);
    for (const p of people) {
      const chain = chains.get(p.publicKey)!;
      for (const level of [0, 1, 2, 3]) pool.push(await byCreator('trust', { member: p.publicKey, level }, at()));
      pool.push(await byCreator('level', { member: p.publicKey, level: 4 }, at()));
      pool.push(await byCreator('ban', { member: p.publicKey, banned: true, heads: chainHeads(chain.slice(0, 4)) }, at()));
      pool.push(await byCreator('ban', { member: p.publicKey, banned: true }, at()));
      pool.push(await byCreator('ban', { member: p.publicKey, banned: false }, at()));
      pool.push(await byCreator('grant', { member: p.publicKey, role: 'moderator' }, at()));
      pool.push(await byCreator('grant', { member: p.publicKey, role: 'member', heads: chainHeads(chain.slice(0, 3)) }, at()));
    }
    // A moderator's records, which count only while they are one.
    const mod = people[1];
    const modWriter = chainWriter(mod, cid, T0 + 30 * HOUR);
    pool.push(await modWriter('hide', { target: chains.get(people[3].publicKey)![2].id, hidden: true }));
    pool.push(await sealRecord(mod as Identity, { kind: 'tombstone', cid, ts: T0 + 31 * HOUR, body: { target: chains.get(people[4].publicKey)![2].id } }));
    void creator;

    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(pool, { minLength: 4, maxLength: 24 }), fc.integer({ min: 1, max: 6 }), async (order, size) => {
        const db = new HearthDb(`standing-prop-${dbCount++}`);
        await applyRecords(db, cid, base);
        for (let i = 0; i < order.length; i += size) await applyRecords(db, cid, order.slice(i, i + size));
        const got = await snapshot(db, cid);
        await db.delete();
        expect(got).toEqual(await rebuilt(cid, [...base, ...order]));
      }),
      { numRuns: 60, seed: 14 }
    );
  });
});
