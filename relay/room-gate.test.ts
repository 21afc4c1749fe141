// The relay's gate on its own (no processes): what of an update reaches the room's document.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { sealRecord } from '../src/lib/crypto/record-seal';
import { admit, inviteKey, joinBody, newCommunity, newMember, writer } from '../tests/unit/community-fixture';
import { monthOf } from '../src/lib/domain/shards';
import { RoomGate } from './room-gate';

async function room() {
  const creator = await newMember();
  const bob = await newMember();
  const genesis = await newCommunity(creator);
  const cid = genesis.id;
  const open = await sealRecord(creator, {
    kind: 'invite',
    cid,
    ts: 1_700_000_000_500,
    body: { role: 'member', expiresAt: null, maxUses: null, label: 'open', nonce: 'o', ...inviteKey() }
  });
  const limited = await sealRecord(creator, {
    kind: 'invite',
    cid,
    ts: 1_700_000_000_600,
    body: { role: 'member', expiresAt: null, maxUses: 1, label: 'one', nonce: 'l', ...inviteKey() }
  });
  const doc = new Y.Doc();
  const gate = new RoomGate(doc);
  return { creator, bob, genesis, cid, open, limited, doc, gate };
}

/** A client's update writing `values` under their keys (a fresh Yjs client each time). */
function updateOf(entries: [string, unknown][], base?: Y.Doc): Uint8Array {
  const client = new Y.Doc();
  if (base) Y.applyUpdate(client, Y.encodeStateAsUpdate(base));
  const before = Y.encodeStateVector(client);
  client.transact(() => entries.forEach(([k, v]) => client.getMap('records').set(k, v)));
  return Y.encodeStateAsUpdate(client, before);
}

async function apply(gate: RoomGate, update: Uint8Array, writerKey: string | null) {
  const judged = await gate.judge(update, writerKey);
  if (judged.ok && judged.update) Y.applyUpdate(gate.doc, judged.update);
  return judged;
}

describe('RoomGate', () => {
  it('keeps a member’s valid records and turns a forged one into nothing the room shows', async () => {
    const { creator, genesis, cid, open, doc, gate } = await room();
    expect(
      (
        await apply(
          gate,
          updateOf([
            [genesis.id, genesis],
            [open.id, open]
          ]),
          creator.publicKey
        )
      ).ok
    ).toBe(true);
    const thread = await writer(creator, cid)('thread', { title: 'Hello', body: 'world' });
    const forged = { ...(await writer(creator, cid)('thread', { title: 'x', body: 'y' })), body: { title: 'forged', body: 'y' } };
    const judged = await apply(
      gate,
      updateOf(
        [
          [thread.id, thread],
          [forged.id, forged]
        ],
        doc
      ),
      creator.publicKey
    );
    expect(judged).toMatchObject({ ok: true, dropped: 1, held: 0 });
    const records = doc.getMap('records');
    expect(records.get(thread.id)).toEqual(thread);
    expect(records.has(forged.id)).toBe(false);
  });

  it('refuses every write from a key that is no member, and from a connection that proved no key', async () => {
    const { creator, genesis, open, doc, gate } = await room();
    await apply(
      gate,
      updateOf([
        [genesis.id, genesis],
        [open.id, open]
      ]),
      creator.publicKey
    );
    const stranger = await newMember();
    const theirs = await writer(stranger, genesis.id)('thread', { title: 'spam', body: 'spam' });
    expect(await gate.judge(updateOf([[theirs.id, theirs]], doc), stranger.publicKey)).toEqual({ ok: false, reason: 'relay.not_member' });
    expect(await gate.judge(updateOf([[theirs.id, theirs]], doc), null)).toEqual({ ok: false, reason: 'relay.no_proof' });
    expect(doc.getMap('records').has(theirs.id)).toBe(false);
  });

  it('holds a pending newcomer’s post until the admit arrives, then takes it', async () => {
    const { creator, bob, genesis, cid, limited, doc, gate } = await room();
    await apply(
      gate,
      updateOf([
        [genesis.id, genesis],
        [limited.id, limited]
      ]),
      creator.publicKey
    );
    const join = await sealRecord(bob, { kind: 'join', cid, ts: 1_700_000_002_000, body: joinBody(limited, bob) });
    const hello = await writer(bob, cid, 1_700_000_003_000)('thread', { title: 'Hi', body: 'new here' });
    const bobsDevice = new Y.Doc();
    Y.applyUpdate(bobsDevice, Y.encodeStateAsUpdate(doc));
    const before = Y.encodeStateVector(bobsDevice);
    bobsDevice.transact(() => {
      bobsDevice.getMap('records').set(join.id, join);
      bobsDevice.getMap('records').set(hello.id, hello);
    });
    const first = await apply(gate, Y.encodeStateAsUpdate(bobsDevice, before), bob.publicKey);
    expect(first).toMatchObject({ ok: true, held: 1 });
    expect(doc.getMap('records').has(join.id)).toBe(true);
    expect(doc.getMap('records').has(hello.id)).toBe(false);
    const admit = await writer(creator, cid, 1_700_000_004_000)('admit', { invite: limited.id, joins: [join.id] });
    await apply(gate, updateOf([[admit.id, admit]], doc), creator.publicKey);
    expect(gate.resyncDue()).toBe(true);
    // Bob's device answers the relay's sync step 1 with what the room lacks.
    const again = await apply(gate, Y.encodeStateAsUpdate(bobsDevice, Y.encodeStateVector(doc)), bob.publicKey);
    expect(again).toMatchObject({ ok: true, held: 0 });
    expect(doc.getMap('records').get(hello.id)).toEqual(hello);
  });
});

describe('RoomGate of a shard', () => {
  /** A community's core room and one month's room, judged with the core's authority. */
  async function shardRooms() {
    const base = await room();
    const coreDoc = new Y.Doc();
    const core = new RoomGate(coreDoc, undefined, { shard: 'core' });
    const monthDoc = new Y.Doc();
    let coreLoaded = true;
    const month = new RoomGate(monthDoc, undefined, { shard: monthOf(1_700_000_001_000), core: () => (coreLoaded ? core : null) });
    return { ...base, coreDoc, core, monthDoc, month, unloadCore: () => (coreLoaded = false) };
  }

  it('keeps only its own shard’s records: another month’s and core records are junk, counted', async () => {
    const { creator, bob, genesis, cid, open, core, coreDoc, month, monthDoc } = await shardRooms();
    const [invite, join] = await admit(creator, bob, cid);
    const thread = await writer(creator, cid)('thread', { title: 'Hello', body: 'world' });
    const lateReply = await writer(bob, cid, Date.UTC(2024, 2, 1))('reply', { thread: thread.id, parent: thread.id, body: 'next year' });
    // The core room takes the genesis and the invite, and turns the thread away.
    const toCore = await apply(
      core,
      updateOf([
        [genesis.id, genesis],
        [open.id, open],
        [invite.id, invite],
        [join.id, join],
        [thread.id, thread]
      ]),
      creator.publicKey
    );
    expect(toCore).toMatchObject({ ok: true, wrongShard: 1, dropped: 0 });
    expect(coreDoc.getMap('records').has(thread.id)).toBe(false);
    expect(coreDoc.getMap('records').has(join.id)).toBe(true);
    // The month's room takes the thread and refuses next year's reply and a profile.
    const profile = await writer(bob, cid)('profile', { name: 'Bob' });
    const toMonth = await apply(
      month,
      updateOf([
        [thread.id, thread],
        [lateReply.id, lateReply],
        [profile.id, profile]
      ]),
      bob.publicKey
    );
    expect(toMonth).toMatchObject({ ok: true, wrongShard: 2, held: 0 });
    expect(monthDoc.getMap('records').get(thread.id)).toEqual(thread);
    expect(monthDoc.getMap('records').has(lateReply.id)).toBe(false);
    expect(monthDoc.getMap('records').has(profile.id)).toBe(false);
    expect(month.cid).toBe(cid);
  });

  it('judges a month’s writers by the core’s authority, and waits for the core before judging at all', async () => {
    const { creator, bob, genesis, cid, core, month, monthDoc, unloadCore } = await shardRooms();
    await apply(core, updateOf([[genesis.id, genesis]]), creator.publicKey);
    const spam = await writer(bob, cid)('thread', { title: 'spam', body: 'not a member yet' });
    expect(await month.judge(updateOf([[spam.id, spam]]), bob.publicKey)).toEqual({ ok: false, reason: 'relay.not_member' });
    const [invite, join] = await admit(creator, bob, cid);
    await apply(
      core,
      updateOf([
        [invite.id, invite],
        [join.id, join]
      ]),
      creator.publicKey
    );
    const hello = await writer(bob, cid)('thread', { title: 'Hi', body: 'member now' });
    expect(await apply(month, updateOf([[hello.id, hello]], monthDoc), bob.publicKey)).toMatchObject({ ok: true, held: 0 });
    unloadCore();
    const more = await writer(bob, cid)('thread', { title: 'More', body: 'core gone' });
    expect(await month.judge(updateOf([[more.id, more]], monthDoc), bob.publicKey)).toEqual({ ok: false, reason: 'relay.no_core' });
  });
});
