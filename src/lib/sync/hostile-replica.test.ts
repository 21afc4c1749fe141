// A peer holding the room secret sends arbitrary Yjs updates to an honest CommunityDoc, through
// the gated sync protocol the providers use: twins, repeated deletes, junk roots, garbage.
// Honest replicas run on Dexie over fake-indexeddb with real signatures.
import 'fake-indexeddb/auto';
import fc from 'fast-check';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { admit, newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import type { AnyRecord } from '../domain/record';
import { HearthDb } from '../store/db';
import { CommunityDoc, type CommunityDocOptions } from './community-doc';
import { exactlyEqual } from './gate';
import { readSyncMessage, writeSyncStep1, writeUpdate } from './gated-sync-protocol';
import { malformedMessages } from './message-faults';
import { communityRecordIds } from '../store/record-store';

let dbs = 0;
const FAST_BACKOFF: CommunityDocOptions = { repairBackoff: { first: 20, max: 160 } };

async function replica(cid: string, options: CommunityDocOptions = FAST_BACKOFF): Promise<CommunityDoc> {
  const doc = new CommunityDoc(new HearthDb(`hostile-${dbs++}`), cid, options);
  await doc.open();
  return doc;
}

/** What `to` lacks of `from`, delivered as a provider does: a sync message read by the gated protocol. */
function deliver(from: Y.Doc, to: Y.Doc): void {
  const message = encoding.createEncoder();
  writeUpdate(message, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)));
  readSyncMessage(decoding.createDecoder(encoding.toUint8Array(message)), encoding.createEncoder(), to, 'peer');
}

async function community() {
  const alice = await newMember();
  const bob = await newMember();
  const g = await newCommunity(alice);
  const honest = await replica(g.id);
  for (const r of [g, ...(await admit(alice, bob, g.id))]) expect((await honest.append(r)).ok).toBe(true);
  const thread = await writer(alice, g.id)('thread', { title: 'Alice’s thread', body: 'hello' });
  expect((await honest.append(thread)).ok).toBe(true);
  const hostile = new Y.Doc();
  Y.applyUpdate(hostile, Y.encodeStateAsUpdate(honest.doc));
  return { alice, bob, g, honest, hostile, thread, records: hostile.getMap<unknown>('records') };
}

async function acceptedIds(r: CommunityDoc): Promise<string[]> {
  return (await communityRecordIds(r.db, r.cid)).map(String).sort();
}

describe('a hostile replica against an honest CommunityDoc', () => {
  it('a twin with an extra undefined key is put back exactly, and a newcomer then sees every record', async () => {
    const { alice, g, honest, hostile, thread, records } = await community();
    const second = await writer(alice, g.id, 1_700_000_050_000)('thread', { title: 'second', body: '' });
    expect((await honest.append(second)).ok).toBe(true);
    Y.applyUpdate(hostile, Y.encodeStateAsUpdate(honest.doc, Y.encodeStateVector(hostile)));
    hostile.transact(() => {
      records.set(thread.id, { ...thread, x: undefined });
      records.set(second.id, { ...second, body: { ...second.body, mentions: undefined } });
    });
    deliver(hostile, honest.doc);
    await honest.settled();
    expect(exactlyEqual(honest.records.get(thread.id), thread)).toBe(true);
    expect(exactlyEqual(honest.records.get(second.id), second)).toBe(true);

    const newcomer = await replica(g.id);
    deliver(honest.doc, newcomer.doc);
    await newcomer.settled();
    expect((await newcomer.db.threads.toArray()).map((t) => t.title).sort()).toEqual(['Alice’s thread', 'second']);
    expect(newcomer.health.rejected).toBe(0);
  });

  it('a record never seen before that carries an undefined key is rejected, not projected', async () => {
    const { alice, g, honest, records, hostile } = await community();
    const fresh = await writer(alice, g.id, 1_700_000_060_000)('thread', { title: 'fresh', body: '' });
    records.set(fresh.id, { ...fresh, body: { ...fresh.body, mentions: undefined } });
    deliver(hostile, honest.doc);
    await honest.settled();
    expect(await honest.db.threads.get(fresh.id)).toBeUndefined();
    expect(honest.health.rejected).toBe(1);
  });

  it('a key deleted or overwritten ten times is repaired every time, and a late newcomer still gets it', async () => {
    const { g, honest, hostile, thread, records } = await community();
    for (let round = 0; round < 10; round++) {
      if (round % 2) records.set(thread.id, { ...thread, body: { ...thread.body, body: `defaced ${round}` } });
      else records.delete(thread.id);
      deliver(hostile, honest.doc);
      await honest.repairsSettled();
      Y.applyUpdate(hostile, Y.encodeStateAsUpdate(honest.doc, Y.encodeStateVector(hostile)));
      expect(exactlyEqual(records.get(thread.id), thread)).toBe(true);
    }
    expect(honest.health.repaired).toBe(10);
    const newcomer = await replica(g.id);
    deliver(honest.doc, newcomer.doc);
    await newcomer.settled();
    expect(await newcomer.db.threads.get(thread.id)).toMatchObject({ title: 'Alice’s thread' });
  });

  it('junk roots and nested types are neither stored nor forwarded, and the sender’s later records still apply', async () => {
    const { bob, g, honest, hostile, records } = await community();
    await honest.settled();
    const storedBefore = await honest.db.docUpdates.where('cid').equals(g.id).toArray();
    hostile.transact(() => {
      hostile.getText('notes').insert(0, 'x'.repeat(2_000_000));
      hostile.getArray<number>('list').push(Array.from({ length: 100_000 }, (_, i) => i));
      records.set('nested', new Y.Map());
      records.set('text', new Y.Text('inside records'));
    });
    deliver(hostile, honest.doc);
    await honest.settled();

    const bytes = (rows: { update: Uint8Array }[]) => rows.reduce((n, r) => n + r.update.length, 0);
    const storedAfter = await honest.db.docUpdates.where('cid').equals(g.id).toArray();
    expect(bytes(storedAfter) - bytes(storedBefore)).toBeLessThan(1_000);
    const state = Y.encodeStateAsUpdate(honest.doc);
    expect(state.length).toBeLessThan(20_000);
    const forwarded = new Y.Doc();
    Y.applyUpdate(forwarded, state);
    expect([...forwarded.share.keys()]).toEqual(['records']);
    expect(forwarded.getMap('records').has('nested') || forwarded.getMap('records').has('text')).toBe(false);
    expect(honest.health.junkItems).toBeGreaterThanOrEqual(4);
    expect(honest.health.junkBytes).toBeGreaterThan(2_000_000);

    // The same client writes a valid record next: its clock continues past the junk, so it applies.
    const later = await writer(bob, g.id, 1_700_000_200_000)('thread', { title: 'from the same client', body: '' });
    records.set(later.id, later);
    deliver(hostile, honest.doc);
    await honest.settled();
    expect(await honest.db.threads.get(later.id)).toMatchObject({ title: 'from the same client' });
    expect(Y.decodeStateVector(Y.encodeStateVector(honest.doc)).get(hostile.clientID)).toBe(Y.getState(hostile.store, hostile.clientID));
  });

  it('junk that older versions stored is dropped when the community opens, and the store compacted', async () => {
    const { g, honest, hostile } = await community();
    await honest.settled();
    hostile.getText('notes').insert(0, 'y'.repeat(500_000));
    await honest.db.docUpdates.add({ cid: g.id, update: Y.encodeStateAsUpdate(hostile) });
    honest.close();
    const reopened = new CommunityDoc(honest.db, g.id);
    await reopened.open();
    await reopened.settled();
    expect([...reopened.doc.share.keys()]).toEqual(['records']);
    const rows = await reopened.db.docUpdates.where('cid').equals(g.id).toArray();
    expect(rows.length).toBe(1);
    expect(rows[0].update.length).toBeLessThan(20_000);
    expect(reopened.health.junkItems).toBe(1);
  });

  it('malformed sync messages are counted for the community and never thrown', async () => {
    const { honest, thread } = await community();
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const before = malformedMessages(honest.doc);
    const messages: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) messages.push(Uint8Array.from({ length: 1 + Math.floor(random() * 120) }, () => Math.floor(random() * 256)));
    // A valid update message cut short, a sync step 1 with a broken state vector, an unknown type.
    const full = encoding.createEncoder();
    writeUpdate(full, Y.encodeStateAsUpdate(honest.doc));
    messages.push(encoding.toUint8Array(full).slice(0, 40), Uint8Array.from([0, 3, 255, 255, 255]), Uint8Array.from([9]));
    const sv = encoding.createEncoder();
    writeSyncStep1(sv, honest.doc);
    for (const m of messages) {
      expect(() => readSyncMessage(decoding.createDecoder(m), encoding.createEncoder(), honest.doc, 'peer')).not.toThrow();
    }
    await honest.settled();
    const counted = malformedMessages(honest.doc) - before;
    expect(counted).toBeGreaterThanOrEqual(3);
    expect(honest.health.malformedMessages).toBe(malformedMessages(honest.doc));
    expect(exactlyEqual(honest.records.get(thread.id), thread)).toBe(true);
    // The honest step 1 still gets its reply.
    const reply = encoding.createEncoder();
    expect(readSyncMessage(decoding.createDecoder(encoding.toUint8Array(sv)), reply, honest.doc, 'peer')).toBe(0);
    expect(encoding.length(reply)).toBeGreaterThan(1);
  });
});

describe('convergence under an adversary', () => {
  it('twins, deletes, junk roots and floods interleaved with honest writes: honest replicas and a newcomer accept the same records', async () => {
    const alice = await newMember();
    const bob = await newMember();
    const mallory = await newMember();
    const g = await newCommunity(alice);
    const setup: AnyRecord[] = [g, ...(await admit(alice, bob, g.id))];
    const Op = fc.oneof(
      fc.record({ type: fc.constant('write' as const), who: fc.nat(1) }),
      fc.record({ type: fc.constant('twin' as const), pick: fc.nat() }),
      fc.record({ type: fc.constant('delete' as const), pick: fc.nat() }),
      fc.record({ type: fc.constant('junk' as const), size: fc.integer({ min: 1, max: 50_000 }) }),
      fc.record({ type: fc.constant('flood' as const), count: fc.integer({ min: 1, max: 60 }) }),
      fc.record({ type: fc.constant('sync' as const), a: fc.nat(2), b: fc.nat(2) })
    );
    await fc.assert(
      fc.asyncProperty(fc.array(Op, { minLength: 4, maxLength: 16 }), async (ops) => {
        const honest = [await replica(g.id), await replica(g.id)];
        for (const r of setup) expect((await honest[0].append(r)).ok).toBe(true);
        deliver(honest[0].doc, honest[1].doc);
        const hostile = new Y.Doc();
        const records = hostile.getMap<unknown>('records');
        Y.applyUpdate(hostile, Y.encodeStateAsUpdate(honest[0].doc));
        const docs = [honest[0].doc, honest[1].doc, hostile];
        let ts = 1_700_000_010_000;
        for (const op of ops) {
          if (op.type === 'write') {
            const r = honest[op.who];
            const record = await writer(op.who ? bob : alice, g.id, (ts += 1000))('thread', { title: `t${ts}`, body: '' });
            expect((await r.append(record)).ok).toBe(true);
          } else if (op.type === 'twin' || op.type === 'delete') {
            const keys = [...records.keys()].filter((k) => !(records.get(k) instanceof Y.AbstractType)).sort();
            if (!keys.length) continue;
            const key = keys[op.pick % keys.length];
            if (op.type === 'delete') records.delete(key);
            else records.set(key, { ...(records.get(key) as object), extra: undefined });
          } else if (op.type === 'junk') {
            hostile.transact(() => {
              hostile.getText(`junk${op.size % 3}`).insert(0, 'j'.repeat(op.size));
              records.set(`nested${op.size}`, new Y.Array());
            });
          } else if (op.type === 'flood') {
            // Valid records by a member mixed with a stranger's: the member's count, the stranger's do not.
            const w = writer(bob, g.id, (ts += 1000));
            const s = writer(mallory, g.id, ts);
            const flood: AnyRecord[] = [];
            for (let i = 0; i < op.count; i++) flood.push(await (i % 3 ? w : s)('reaction', { target: g.id, emoji: '👍', on: true }));
            hostile.transact(() => flood.forEach((r) => records.set(r.id, r)));
          } else if (op.a !== op.b) {
            deliver(docs[op.a], docs[op.b]);
          }
        }
        // Everyone meets at the end; repairs made on the way travel in the next round.
        for (let round = 0; round < 3; round++) {
          await Promise.all(honest.map((r) => r.repairsSettled()));
          for (const [a, b] of [
            [0, 1],
            [1, 0],
            [2, 0],
            [2, 1],
            [0, 2],
            [1, 2]
          ])
            deliver(docs[a], docs[b]);
        }
        await Promise.all(honest.map((r) => r.repairsSettled()));
        const newcomer = await replica(g.id);
        deliver(honest[0].doc, newcomer.doc);
        await newcomer.settled();
        const sets = await Promise.all([...honest, newcomer].map(acceptedIds));
        expect(sets[1]).toEqual(sets[0]);
        expect(sets[2]).toEqual(sets[0]);
        for (const r of [...honest, newcomer]) expect([...r.doc.share.keys()]).toEqual(['records']);
        [...honest, newcomer].forEach((r) => r.close());
      }),
      { numRuns: 10, seed: 2027 }
    );
  }, 180_000);
});
