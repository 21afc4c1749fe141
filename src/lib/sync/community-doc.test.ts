// The validation gate and repair under attack, and convergence of replicas under partitions.
// Replicas are real CommunityDocs on Dexie over fake-indexeddb (Node has no IndexedDB; the e2e
// tests run the real one); updates travel between them as Yjs updates, the way providers carry them.
import 'fake-indexeddb/auto';
import fc from 'fast-check';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { admit, inviteKey, joinBody, newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import { sealRecord } from '../crypto/record-seal';
import type { Identity } from '../crypto/identity';
import type { AnyRecord } from '../domain/record';
import { computeAuthority } from '../domain/authority';
import { projectCommunity } from '../domain/posts';
import { HearthDb } from '../store/db';
import { CommunityDoc } from './community-doc';
import { recordById, recordsById } from '../store/record-store';

let dbs = 0;

async function replica(cid: string): Promise<CommunityDoc> {
  const doc = new CommunityDoc(new HearthDb(`replica-${dbs++}`), cid);
  await doc.open();
  return doc;
}

/** Two-way state exchange, as the y-protocols sync step does over any provider. */
function exchange(a: Y.Doc, b: Y.Doc): void {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)), 'peer');
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)), 'peer');
}

async function settleAll(replicas: CommunityDoc[]): Promise<void> {
  // Repairs write to the doc, which may need another round to reach everyone.
  for (let round = 0; round < 3; round++) {
    await Promise.all(replicas.map((r) => r.settled()));
    for (let i = 0; i < replicas.length; i++) for (let j = i + 1; j < replicas.length; j++) exchange(replicas[i].doc, replicas[j].doc);
  }
  await Promise.all(replicas.map((r) => r.settled()));
}

async function view(r: CommunityDoc) {
  const sortById = <T extends { id: string }>(rows: T[]) => rows.sort((a, b) => a.id.localeCompare(b.id));
  return {
    threads: sortById(await r.db.threads.where('cid').equals(r.cid).toArray()),
    replies: sortById(await r.db.replies.where('cid').equals(r.cid).toArray()),
    members: (await r.db.members.where('cid').equals(r.cid).toArray()).sort((a, b) => a.key.localeCompare(b.key))
  };
}

async function community() {
  const alice = await newMember();
  const bob = await newMember();
  const g = await newCommunity(alice);
  const base: AnyRecord[] = [g, ...(await admit(alice, bob, g.id))];
  const honest = await replica(g.id);
  for (const r of base) expect((await honest.append(r)).ok).toBe(true);
  const thread = await writer(alice, g.id)('thread', { title: 'Alice’s thread', body: 'hello' });
  expect((await honest.append(thread)).ok).toBe(true);
  // The hostile peer holds the room secret: a plain Y.Doc that receives and sends anything.
  const hostile = new Y.Doc();
  exchange(honest.doc, hostile);
  return { alice, bob, g, honest, hostile, thread, records: hostile.getMap<unknown>('records') };
}

describe('the count of a document’s records', () => {
  it('stays what Y.Map counts through appends, a peer’s deletion and repair, an overwrite and junk', async () => {
    const { alice, g, honest, hostile, thread, records } = await community();
    const counted = () => [honest.recordCount, honest.records.size];
    expect(honest.recordCount).toBe(honest.records.size);
    expect((await honest.append(await writer(alice, g.id)('thread', { title: 'Two', body: 'more' }))).ok).toBe(true);
    expect(counted()).toEqual([5, 5]);
    records.delete(thread.id);
    exchange(hostile, honest.doc);
    expect(counted()).toEqual([4, 4]);
    await honest.settled();
    expect(counted()).toEqual([5, 5]);
    records.set(thread.id, { ...thread, body: { ...thread.body, body: 'defaced' } });
    records.set('junk', 42);
    exchange(hostile, honest.doc);
    await honest.settled();
    expect(honest.recordCount).toBe(honest.records.size);
  });
});

describe('attacks from a peer that holds the room secret', () => {
  it('deleting another member’s thread from the map is repaired', async () => {
    const { honest, hostile, thread, records } = await community();
    records.delete(thread.id);
    exchange(hostile, honest.doc);
    await honest.settled();
    exchange(honest.doc, hostile);
    expect(honest.records.get(thread.id)).toEqual(thread);
    expect(records.get(thread.id)).toEqual(thread);
    expect(await honest.db.threads.get(thread.id)).toMatchObject({ title: 'Alice’s thread', deleted: false });
    expect(honest.health.repaired).toBe(1);
  });

  it('overwriting a record under its id with other content is rejected and the original restored', async () => {
    const { honest, hostile, thread, records } = await community();
    records.set(thread.id, { ...thread, body: { ...thread.body, body: 'defaced' } });
    exchange(hostile, honest.doc);
    await honest.settled();
    expect(honest.records.get(thread.id)).toEqual(thread);
    expect((await honest.db.threads.get(thread.id))?.body).toBe('hello');
    expect(honest.health.rejected).toBeGreaterThanOrEqual(1);
  });

  it('posting as another member, without a join, or granting itself admin shows nothing and is counted', async () => {
    const { alice, bob, g, honest, hostile, records } = await community();
    const mallory = await newMember();
    const stranger = await writer(mallory, g.id)('thread', { title: 'spam', body: 'buy now' });
    const asAlice = await writer(mallory, g.id)('thread', { title: 'I am Alice', body: 'x' });
    const forged = { ...asAlice, author: alice.publicKey };
    const selfAdmin = await sealRecord(bob, { kind: 'grant', cid: g.id, ts: Date.now(), body: { member: bob.publicKey, role: 'admin' } });
    const fakeInvite = await sealRecord(mallory, {
      kind: 'invite',
      cid: g.id,
      ts: Date.now(),
      body: { role: 'admin', expiresAt: null, maxUses: null, label: '', nonce: 'x', ...inviteKey() }
    });
    const fakeJoin = await sealRecord(mallory, { kind: 'join', cid: g.id, ts: Date.now() + 1, body: joinBody(fakeInvite, mallory) });
    hostile.transact(() => {
      for (const r of [stranger, selfAdmin, fakeInvite, fakeJoin]) records.set(r.id, r);
      records.set(forged.id, forged);
    });
    exchange(hostile, honest.doc);
    await honest.healthSettled();
    const titles = (await honest.db.threads.toArray()).map((t) => t.title);
    expect(titles).toEqual(['Alice’s thread']);
    expect((await honest.db.members.get([g.id, bob.publicKey]))?.role).toBe('member');
    expect(await honest.db.members.get([g.id, mallory.publicKey])).toBeUndefined();
    // stranger's thread, the forged signature, and mallory's invite and join; the self-grant is a valid record with no effect.
    expect(honest.health.rejected).toBe(4);
  });

  it('an oversized record is rejected and the community keeps working', async () => {
    const { alice, g, honest, hostile, records } = await community();
    const huge = await sealRecord(alice, { kind: 'thread', cid: g.id, ts: Date.now(), body: { title: 'big', body: 'x'.repeat(19_000) } });
    const bloated = { ...huge, body: { ...huge.body, padding: 'y'.repeat(2_000_000) } };
    records.set(huge.id, bloated);
    exchange(hostile, honest.doc);
    await honest.settled();
    expect(await honest.db.threads.get(huge.id)).toBeUndefined();
    const next = await writer(alice, g.id)('thread', { title: 'still fine', body: '' });
    expect((await honest.append(next)).ok).toBe(true);
    expect(await honest.db.threads.get(next.id)).toMatchObject({ title: 'still fine' });
  });

  it('a malformed update or random bytes change nothing and lose nothing', async () => {
    const { honest, thread } = await community();
    const before = await view(honest);
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 50; i++) {
      const bytes = Uint8Array.from({ length: 1 + Math.floor(random() * 200) }, () => Math.floor(random() * 256));
      try {
        Y.applyUpdate(honest.doc, bytes, 'peer');
      } catch {
        // Providers drop a message that does not decode; the point is what state remains.
      }
    }
    await honest.settled();
    expect(honest.records.get(thread.id)).toEqual(thread);
    expect(await view(honest)).toEqual(before);
  });

  it('stored updates that cannot be read are skipped with a count, the rest opens', async () => {
    const { honest, thread } = await community();
    await honest.settled();
    await honest.db.docUpdates.add({ cid: honest.cid, update: new Uint8Array([0, 255, 3, 9, 9]) });
    honest.close();
    const reopened = new CommunityDoc(honest.db, honest.cid);
    await reopened.open();
    expect(reopened.health.unreadableUpdates).toBe(1);
    expect(reopened.records.get(thread.id)).toEqual(thread);
  });

  it('a full disk keeps the record out of the document and reports it', async () => {
    const { alice, g, honest } = await community();
    const t = await writer(alice, g.id)('thread', { title: 'will not fit', body: '' });
    // A thread is stored in its month's page (store/record-store).
    const original = honest.db.recordPages.bulkPut.bind(honest.db.recordPages);
    honest.db.recordPages.bulkPut = (() => Promise.reject(new DOMException('full', 'QuotaExceededError'))) as unknown as typeof honest.db.recordPages.bulkPut;
    expect(await honest.append(t)).toEqual({ ok: false, reason: 'storage.full' });
    honest.db.recordPages.bulkPut = original;
    expect(honest.records.has(t.id)).toBe(false);
  });
});

describe('own posts go out before they are projected here', () => {
  it('a reply is in the document update while its record is stored and its row not yet written; the row follows', async () => {
    const { alice, g, honest } = await community();
    const thread = [...honest.records.values()].find((r) => (r as AnyRecord).kind === 'thread') as AnyRecord;
    const reply = await writer(alice, g.id)('reply', { thread: thread.id, parent: thread.id, body: 'first!' });
    const seen: Promise<{ stored: boolean; row: boolean }>[] = [];
    honest.doc.on('update', () => {
      seen.push(Promise.all([recordById(honest.db, reply.id), honest.db.replies.get(reply.id)]).then(([record, row]) => ({ stored: !!record, row: !!row })));
    });
    expect((await honest.append(reply)).ok).toBe(true);
    expect(await Promise.all(seen)).toEqual([{ stored: true, row: false }]);
    expect((await honest.db.replies.get(reply.id))?.body).toBe('first!');
    expect((await honest.db.threads.get(thread.id))?.replyCount).toBe(1);
  });

  it('a reply whose projection fails is still stored and sent, and the next open projects it', async () => {
    const { alice, g, honest } = await community();
    const thread = [...honest.records.values()].find((r) => (r as AnyRecord).kind === 'thread') as AnyRecord;
    const reply = await writer(alice, g.id)('reply', { thread: thread.id, parent: thread.id, body: 'kept anyway' });
    const original = honest.db.replies.bulkPut.bind(honest.db.replies);
    honest.db.replies.bulkPut = (() => Promise.reject(new DOMException('full', 'QuotaExceededError'))) as unknown as typeof honest.db.replies.bulkPut;
    expect((await honest.append(reply)).ok).toBe(true);
    honest.db.replies.bulkPut = original;
    expect(honest.records.has(reply.id)).toBe(true);
    expect(await recordById(honest.db, reply.id)).toBeDefined();
    expect(await honest.db.replies.get(reply.id)).toBeUndefined();
    await honest.settled();
    honest.close();
    const reopened = new CommunityDoc(honest.db, g.id);
    await reopened.open();
    await reopened.settled();
    expect((await reopened.db.replies.get(reply.id))?.body).toBe('kept anyway');
    reopened.close();
  });
});

describe('publishing records that stand or fall together', () => {
  it('several records appended at once go out as one document update, and none of them if one is refused', async () => {
    const { alice, g, honest } = await community();
    const w = writer(alice, g.id);
    const parts = [await w('thread', { title: 'part one', body: '' }), await w('thread', { title: 'part two', body: '' })];
    const peer = new Y.Doc();
    Y.applyUpdate(peer, Y.encodeStateAsUpdate(honest.doc));
    const before = peer.getMap('records').size;
    const updates: Uint8Array[] = [];
    honest.doc.on('update', (u: Uint8Array) => updates.push(u));
    expect(await honest.append(parts)).toEqual({ ok: true, record: parts[0] });
    expect(updates).toHaveLength(1);
    Y.applyUpdate(peer, updates[0]);
    expect(peer.getMap('records').size).toBe(before + 2);
    for (const p of parts) expect(peer.getMap('records').has(p.id)).toBe(true);
    expect(
      (
        await recordsById(
          honest.db,
          parts.map((p) => p.id)
        )
      ).every(Boolean)
    ).toBe(true);

    // A forged part (another member's signature over Alice's record): nothing of the batch is published.
    const good = await w('thread', { title: 'stays out', body: '' });
    const forged = { ...(await w('thread', { title: 'forged', body: '' })), sig: good.sig };
    expect((await honest.append([good, forged])).ok).toBe(false);
    expect(honest.records.has(good.id)).toBe(false);
    expect(await recordById(honest.db, good.id)).toBeUndefined();
  });
});

describe('convergence', () => {
  it('three replicas with random writes and partitions converge to the same view, losing no valid record', async () => {
    const members: Identity[] = [await newMember(), await newMember(), await newMember()];
    const g = await newCommunity(members[0]);
    const setup: AnyRecord[] = [g, ...(await admit(members[0], members[1], g.id)), ...(await admit(members[0], members[2], g.id, 1_700_000_000_600))];

    const Op = fc.oneof(
      fc.record({ type: fc.constant('thread' as const), who: fc.nat(2), text: fc.string({ maxLength: 20 }) }),
      fc.record({ type: fc.constant('reply' as const), who: fc.nat(2), pick: fc.nat(), text: fc.string({ minLength: 1, maxLength: 20 }) }),
      fc.record({ type: fc.constant('react' as const), who: fc.nat(2), pick: fc.nat(), on: fc.boolean() }),
      fc.record({ type: fc.constant('edit' as const), who: fc.nat(2), pick: fc.nat(), text: fc.string({ maxLength: 20 }) }),
      fc.record({ type: fc.constant('delete' as const), who: fc.nat(2), pick: fc.nat() }),
      fc.record({ type: fc.constant('partition' as const), groups: fc.array(fc.nat(2), { minLength: 3, maxLength: 3 }) })
    );

    await fc.assert(
      fc.asyncProperty(fc.array(Op, { minLength: 5, maxLength: 25 }), async (ops) => {
        const replicas = [await replica(g.id), await replica(g.id), await replica(g.id)];
        for (const r of setup) await replicas[0].append(r);
        await settleAll(replicas);
        const written: AnyRecord[] = [...setup];
        let groups = [0, 0, 0];
        let ts = 1_700_000_010_000;
        for (const op of ops) {
          if (op.type === 'partition') {
            groups = op.groups;
          } else {
            const r = replicas[op.who];
            const me = members[op.who];
            // Each member acts on what their own replica shows, as a person would.
            const posts = [...(await r.db.threads.toArray()), ...(await r.db.replies.toArray())].sort((a, b) => a.id.localeCompare(b.id));
            const mine = posts.filter((p) => p.author === me.publicKey && !p.deleted);
            const threads = posts.filter((p) => p.kind === 'thread' && !p.deleted);
            const seal = <K extends AnyRecord['kind']>(kind: K, body: Extract<AnyRecord, { kind: K }>['body']) =>
              sealRecord(me, { kind, cid: g.id, ts: (ts += 1000), body } as never) as Promise<AnyRecord>;
            let record: AnyRecord | null = null;
            if (op.type === 'thread') record = await seal('thread', { title: `t${ts}`, body: op.text });
            else if (op.type === 'reply' && threads.length) {
              const t = threads[op.pick % threads.length];
              record = await seal('reply', { thread: t.id, parent: t.id, body: op.text.trim() ? op.text : 'x' });
            } else if (op.type === 'react' && posts.length)
              record = await seal('reaction', { target: posts[op.pick % posts.length].id, emoji: '👍', on: op.on });
            else if (op.type === 'edit' && mine.length) record = await seal('edit', { target: mine[op.pick % mine.length].id, body: op.text });
            else if (op.type === 'delete' && mine.length) record = await seal('tombstone', { target: mine[op.pick % mine.length].id });
            if (record) {
              expect((await r.append(record)).ok).toBe(true);
              written.push(record);
            }
          }
          // Replicas in the same group exchange what they have.
          for (let i = 0; i < 3; i++) for (let j = i + 1; j < 3; j++) if (groups[i] === groups[j]) exchange(replicas[i].doc, replicas[j].doc);
        }
        await settleAll(replicas);
        const views = await Promise.all(replicas.map(view));
        const expected = projectCommunity(written, computeAuthority(g, written));
        for (const v of views) {
          expect(v).toEqual(views[0]);
          expect(v.threads.length).toBe(expected.threads.length);
          expect(v.replies.length).toBe(expected.replies.length);
        }
        for (const r of replicas) for (const rec of written) expect(r.records.get(rec.id)).toEqual(rec);
        replicas.forEach((r) => r.close());
      }),
      { numRuns: 12, seed: 2026 }
    );
  }, 120_000);
});
