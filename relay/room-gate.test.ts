// The relay's gate on its own (no processes): what of an update reaches the room's document.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { sealRecord } from '../src/lib/crypto/record-seal';
import { inviteKey, joinBody, newCommunity, newMember, writer } from '../tests/unit/community-fixture';
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
