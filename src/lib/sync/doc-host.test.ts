// The community worker's host, driven as the pages drive it: they hold no document, relay their
// peers' sync messages in (`receive`) and the host's `update` events out. Real CommunityDocs on Dexie
// over fake-indexeddb (Node has no IndexedDB or SharedWorker; the e2e tests run both for real).
import 'fake-indexeddb/auto';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { admit, newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import type { AnyRecord } from '../domain/record';
import { generateIdentity } from '../crypto/identity';
import { HearthDb } from '../store/db';
import { keyState } from '../store/keyring';
import { DocHost } from './doc-host';
import { splitReply } from './history-reply';
import { decodeFirstPage, WARM_DELAY_MS } from './first-page';
import type { HostEvent } from './doc-port';
import { messageYjsSyncStep1, messageYjsSyncStep2, messageYjsUpdate, writeUpdate } from './gated-sync-protocol';

let n = 0;
const host = () => new DocHost(new HearthDb(`doc-host-${n++}`));

function step1(sv: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, messageYjsSyncStep1);
  encoding.writeVarUint8Array(e, sv);
  return encoding.toUint8Array(e);
}

function updateMessage(update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  writeUpdate(e, update);
  return encoding.toUint8Array(e);
}

/** What two pages do between two devices' workers: step 1 both ways, then every update as it happens. */
async function relay(a: DocHost, b: DocHost, cid: string) {
  const [oa, ob] = await Promise.all([a.open(cid), b.open(cid)]);
  const forward = (to: DocHost) => (e: HostEvent) => {
    if (e.t === 'update' && e.doc === cid) to.receive(cid, updateMessage(e.update));
  };
  const offs = [a.subscribe(forward(b)), b.subscribe(forward(a))];
  const fromA = a.receive(cid, step1(ob.sv));
  const fromB = b.receive(cid, step1(oa.sv));
  for (const m of fromA ?? []) b.receive(cid, m);
  for (const m of fromB ?? []) a.receive(cid, m);
  return () => offs.forEach((off) => off());
}

/** Alice's community on host A with Bob admitted and one thread by her; host B (Bob's) holds nothing yet. */
async function aliceWithThread(title: string, body: string) {
  const alice = await newMember();
  const bob = await newMember();
  const g = await newCommunity(alice);
  const a = host();
  const b = host();
  const base = [g, ...(await admit(alice, bob, g.id))] as AnyRecord[];
  for (const r of base) expect((await a.append(g.id, r)).ok).toBe(true);
  const thread = await writer(alice, g.id)('thread', { title, body });
  expect((await a.append(g.id, thread)).ok).toBe(true);
  return { alice, bob, g, a, b, base, thread };
}

describe('sync replies past the data channel limit', () => {
  it('a large step 2 goes as updates of bounded size and a last step 2 that together give the whole document', () => {
    const doc = new Y.Doc();
    const records = doc.getMap('records');
    doc.transact(() => {
      for (let i = 0; i < 2_000; i++) records.set(`k${i}`, { id: `k${i}`, kind: 'reply', ts: i, body: { body: 'x'.repeat(200) } });
    });
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, messageYjsSyncStep2);
    encoding.writeVarUint8Array(e, Y.encodeStateAsUpdate(doc));
    const reply = encoding.toUint8Array(e);
    const parts = splitReply(reply, doc, 64 * 1024);
    expect(parts.length).toBeGreaterThan(5);
    const fresh = new Y.Doc();
    parts.forEach((part, i) => {
      const d = decoding.createDecoder(part);
      // The step 2 last: the peer's y-webrtc counts the exchange done when it comes.
      expect(decoding.readVarUint(d)).toBe(i === parts.length - 1 ? messageYjsSyncStep2 : messageYjsUpdate);
      const update = decoding.readVarUint8Array(d);
      expect(update.length).toBeLessThan(64 * 1024 + 1024);
      Y.applyUpdate(fresh, update);
    });
    expect(fresh.getMap('records').toJSON()).toEqual(records.toJSON());
    // Nothing left pending: every part was a whole update.
    expect(fresh.store.pendingStructs).toBeNull();
    // A reply within the limit, and any other message, goes as it is.
    expect(splitReply(reply, doc)).toEqual([reply]);
  });
});

describe('DocHost (the community worker)', () => {
  it('two devices converge through pages that relay only sync messages, and each page is told what was accepted', async () => {
    const { bob, g, a, b, thread } = await aliceWithThread('Held by the worker', 'no page holds a document');

    const accepted: string[] = [];
    b.subscribe((e) => {
      if (e.t === 'accepted') accepted.push(...e.records.map((r) => r.id));
    });
    const stop = await relay(a, b, g.id);
    await b.settled(g.id);
    expect((await b.db.threads.get(thread.id))?.title).toBe('Held by the worker');
    expect(accepted).toContain(thread.id);

    // A write on B reaches A through the update events alone.
    const reply = await writer(bob, g.id, 1_700_000_100_000)('reply', { thread: thread.id, parent: thread.id, body: 'read it on B' });
    expect((await b.append(g.id, reply)).ok).toBe(true);
    await a.settled(g.id);
    expect((await a.db.replies.get(reply.id))?.body).toBe('read it on B');
    stop();
  });

  it('a step 1 from a newcomer in the lobby has the community make its first page a moment later, not while their join is checked', async () => {
    const { alice, g, a, thread } = await aliceWithThread('Before the newcomer', 'on the page');
    const lobby = await a.openLobby(g.id);
    // The newcomer's device holds nothing yet. A thread Alice writes as their join would be checked is
    // on the page (it is not made at once), one written after the page was made is not (it is kept).
    a.receive(lobby.id, step1(Y.encodeStateVector(new Y.Doc())));
    const meanwhile = await writer(alice, g.id)('thread', { title: 'While the newcomer joins', body: 'on the page too' });
    expect((await a.append(g.id, meanwhile)).ok).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, WARM_DELAY_MS + 1_000));
    const later = await writer(alice, g.id)('thread', { title: 'After the page', body: 'not on it' });
    expect((await a.append(g.id, later)).ok).toBe(true);
    const page = decodeFirstPage(await a.firstPage(g.id))!.map((r) => r.id);
    expect(page).toContain(thread.id);
    expect(page).toContain(meanwhile.id);
    expect(page).not.toContain(later.id);
  });

  it("the updates of a peer's message name that peer (the page does not send them back to it); the host's own writes name none", async () => {
    const { bob, g, a, b, thread } = await aliceWithThread('History', 'for the newcomer');
    const ob = await b.open(g.id);
    const events: { from?: string; fromPeer: boolean }[] = [];
    b.subscribe((e) => {
      if (e.t === 'update' && e.doc === g.id) events.push({ from: e.from, fromPeer: e.fromPeer });
    });
    // Bob's page hands his worker Alice's reply to his step 1, naming her connection.
    for (const m of a.receive(g.id, step1(ob.sv)) ?? []) b.receive(g.id, m, 'tab:alice');
    await b.settled(g.id);
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.from === 'tab:alice' && e.fromPeer)).toBe(true);
    // His own write names no peer: it goes to every one.
    events.length = 0;
    const reply = await writer(bob, g.id, 1_700_000_100_000)('reply', { thread: thread.id, parent: thread.id, body: 'mine' });
    expect((await b.append(g.id, reply)).ok).toBe(true);
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.from === undefined && !e.fromPeer)).toBe(true);
  });

  it('10,000 random and mangled messages relayed by a page are counted, never thrown, and lose nothing', async () => {
    const { g, a, b, base, thread } = await aliceWithThread('Survives the noise', 'still here');
    const health: number[] = [];
    a.subscribe((e) => {
      if (e.t === 'health') health.push(e.health.malformedMessages ?? 0);
    });
    // Real messages to mangle: step 1s, and an update with a forged record and a junk root.
    const other = await b.open(g.id);
    const forged = new Y.Doc();
    forged.getMap('records').set('forged', { kind: 'thread', cid: g.id, body: { title: 'not signed' } });
    forged.getArray('junk').push([1, 2, 3]);
    const valid = [step1(other.sv), step1((await a.open(g.id)).sv), updateMessage(Y.encodeStateAsUpdate(forged))];
    let seed = 7;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let i = 0; i < 10_000; i++) {
      let message: Uint8Array;
      if (i % 2 === 0) message = Uint8Array.from({ length: 1 + rnd(90) }, () => rnd(256));
      else {
        // A real message with bytes flipped, cut short or grown.
        message = valid[i % valid.length].slice(0, 1 + rnd(valid[i % valid.length].length));
        for (let k = rnd(4); k >= 0; k--) message[rnd(message.length)] = rnd(256);
        if (i % 3 === 0) message = Uint8Array.from([...message, ...Array.from({ length: rnd(20) }, () => rnd(256))]);
      }
      expect(() => a.receive(g.id, message)).not.toThrow();
      if (i % 500 === 0) await a.settled(g.id);
    }
    expect(a.receive('no-such-doc', new Uint8Array([0, 0]))).toBeNull();
    await a.settled(g.id);
    expect(Math.max(...health)).toBeGreaterThan(0);
    // Nothing lost, and the device still syncs: B receives every record.
    expect((await a.exportRecords(g.id)).map((r) => r.id).sort()).toEqual([...base, thread].map((r) => r.id).sort());
    const stop = await relay(a, b, g.id);
    await b.settled(g.id);
    expect((await b.db.threads.get(thread.id))?.title).toBe('Survives the noise');
    stop();
  });

  it('a creator’s key upkeep runs in the host: one epoch wraps a key for every member, and a member’s device opens with it', async () => {
    const device = async (name: string) => {
      const { identity, stored } = await generateIdentity();
      const db = new HearthDb(`doc-host-keys-${name}-${n++}`);
      await db.identity.put({ key: 'me', ...stored, name, createdAt: 0 });
      return { identity, host: new DocHost(db) };
    };
    const alice = await device('alice');
    const bob = await device('bob');
    const g = await newCommunity(alice.identity);
    for (const r of [g, ...(await admit(alice.identity, bob.identity, g.id))] as AnyRecord[]) expect((await alice.host.append(g.id, r)).ok).toBe(true);

    expect(await bob.host.maintainKeys(g.id, bob.identity, Date.now())).toBe(0); // a member is not staff
    expect(await alice.host.maintainKeys(g.id, alice.identity, Date.now())).toBeGreaterThanOrEqual(1);
    expect(await alice.host.maintainKeys(g.id, alice.identity, Date.now())).toBe(0); // nothing due the second time

    const stop = await relay(alice.host, bob.host, g.id);
    await bob.host.settled(g.id);
    const state = await keyState(bob.host.db, g.id);
    const epoch = state?.view.byScope.get('all')?.[0];
    expect(epoch && state?.keys.has(epoch.id)).toBe(true);
    stop();
  });

  it('an import of 1,200 records reaches the pages as accepted events of at most 500 records each, all of them', async () => {
    const alice = await newMember();
    const g = await newCommunity(alice);
    const a = host();
    const write = writer(alice, g.id);
    const threads: AnyRecord[] = [];
    for (let i = 0; i < 1_200; i++) threads.push(await write('thread', { title: `Imported ${i}`, body: 'from a community file' }));
    const sizes: number[] = [];
    const ids = new Set<string>();
    a.subscribe((e) => {
      if (e.t !== 'accepted') return;
      sizes.push(e.records.length);
      for (const r of e.records) ids.add(r.id);
    });
    await a.importRecords(g.id, [g, ...threads] as AnyRecord[]);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(500);
    expect(threads.every((t) => ids.has(t.id))).toBe(true);
  }, 60_000);
});

describe('a community made as one document moving into shards', () => {
  it('splits on every device that gets the creator’s decision, in the worker, telling the pages how far, then serves it held in shards with every record', async () => {
    const { alice, g, a, b } = await aliceWithThread('Before shards', 'one document');
    const stop = await relay(a, b, g.id);
    await Promise.all([a.settled(g.id), b.settled(g.id)]);
    expect((await a.open(g.id)).sharded).toBe(false);
    const told = { a: [] as string[], b: [] as string[] };
    a.subscribe((e) => e.t === 'migration' && told.a.push(e.progress.phase));
    b.subscribe((e) => e.t === 'migration' && told.b.push(e.progress.phase));
    const decision = await writer(alice, g.id, Date.now())('shards', { mode: 'month' });
    expect((await a.append(g.id, decision)).ok).toBe(true);
    for (let i = 0; i < 400 && !(told.a.includes('done') && told.b.includes('done')); i++) await new Promise((r) => setTimeout(r, 25));
    stop();
    expect(told.a).toEqual(['split', 'prepare', 'prepare', 'store', 'stored', 'done']);
    expect(told.b.at(-1)).toBe('done');
    expect((await a.open(g.id)).sharded).toBe(true);
    expect((await b.open(g.id)).sharded).toBe(true);
    const ids = async (h: DocHost) => (await h.exportRecords(g.id)).map((r) => r.id).sort();
    expect(await ids(b)).toEqual(await ids(a));
    expect(await ids(a)).toContain(decision.id);
  });
});
