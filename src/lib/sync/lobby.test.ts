// The lobby and the mesh password on real storage (fake-indexeddb): the lobby carries core records
// only, a newcomer is admitted and gets a key through it, and the mesh room follows the `all` epoch.
import 'fake-indexeddb/auto';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { generateIdentity, type Identity } from '../crypto/identity';
import { sealRecord } from '../crypto/record-seal';
import { inviteKey, joinBody, memberDevice, newCommunity } from '../../../tests/unit/community-fixture';
import { maintainKeys } from '../automation/keys';
import { admitPending } from '../automation/admissions';
import { headsOf, sealNext } from '../store/record-chain';
import type { AnyRecord, SignedRecord } from '../domain/record';
import { CommunityDoc } from './community-doc';
import { applyGatedUpdate, whenApplied } from './gated-sync-protocol';
import { CoreLobby, isCoreKind } from './lobby';
import { meshPlanOf, meshRoomOf } from './mesh';
import { applyRecords, authorityOf } from '../store/projection';
import { filterUpdate } from './update-filter';
import { recordById, recordsById, recordsOfKind } from '../store/record-store';

const device = () => memberDevice('lobby');

/** An open invite to the `all` label, as the creator makes one. */
function openInvite(creator: Identity, cid: string, ts: number) {
  return sealRecord(creator, { kind: 'invite', cid, ts, body: { role: 'member', expiresAt: null, maxUses: null, label: 'all', nonce: 'n', ...inviteKey() } });
}

/** Alice's community on an open invite, Carol joined with her profile, admitted and given the key; Bob's device empty. */
async function carolAdmitted() {
  const alice = await device();
  const carol = await device();
  const bob = await device();
  const genesis = await newCommunity(alice.identity);
  const cid = genesis.id;
  const a = new CommunityDoc(alice.db, cid);
  await a.open();
  const invite = await openInvite(alice.identity, cid, Date.now() - 5000);
  for (const r of [genesis, invite] as AnyRecord[]) expect((await a.append(r)).ok).toBe(true);
  expect(
    (await a.append((await sealRecord(carol.identity, { kind: 'join', cid, ts: Date.now() - 4000, body: joinBody(invite, carol.identity) })) as AnyRecord)).ok
  ).toBe(true);
  const profile = (await sealRecord(carol.identity, { kind: 'profile', cid, ts: Date.now() - 3000, body: { name: 'Carol' } })) as AnyRecord;
  expect((await a.append(profile)).ok).toBe(true);
  await admitPending(alice.db, a, alice.identity, Date.now());
  await maintainKeys(alice.db, a, alice.identity, Date.now());
  return { alice, bob, carol, genesis, cid, a, invite, profile };
}

/** Both ways through the gated protocol, as y-webrtc delivers a peer's sync step 2. */
async function exchange(a: Y.Doc, b: Y.Doc): Promise<void> {
  applyGatedUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)), 'peer');
  applyGatedUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)), 'peer');
  await Promise.all([whenApplied(a), whenApplied(b)]);
}

describe('update filter keepKind', () => {
  it('turns map values the predicate refuses into GC, and later values under the same key too', () => {
    const doc = new Y.Doc();
    const map = doc.getMap('records');
    map.set('a', { kind: 'join' });
    map.set('b', { kind: 'thread', body: 'secret words' });
    const copy = new Y.Doc();
    const first = filterUpdate(Y.encodeStateAsUpdate(doc), { root: 'records', keepKind: isCoreKind });
    expect(first.ok && first.value.junkItems).toBe(1);
    if (first.ok) for (const piece of first.value.pieces) Y.applyUpdate(copy, piece);
    expect(copy.getMap('records').toJSON()).toEqual({ a: { kind: 'join' } });
    expect(new TextDecoder().decode(Y.encodeStateAsUpdate(copy))).not.toContain('secret words');
    // An overwrite of refused content is refused too: its origin is the GC left in its place.
    map.set('b', { kind: 'join', note: 'overwrite' });
    const second = filterUpdate(Y.encodeStateAsUpdate(doc, Y.encodeStateVector(copy)), { root: 'records', doc: copy, keepKind: isCoreKind });
    expect(second.ok && second.value.junkItems).toBe(1);
    if (second.ok) for (const piece of second.value.pieces) Y.applyUpdate(copy, piece);
    expect(copy.getMap('records').toJSON()).toEqual({ a: { kind: 'join' } });
  });
});

describe('the lobby', () => {
  it('admits a newcomer and hands her the key while content never enters it; the mesh room moves on a ban', { timeout: 60_000 }, async () => {
    const alice = await device();
    const bob = await device();
    const mallory = await device();
    const now = Date.now();
    const genesis = await newCommunity(alice.identity);
    const cid = genesis.id;
    const a = new CommunityDoc(alice.db, cid);
    await a.open();
    const invite = await openInvite(alice.identity, cid, now - 5000);
    for (const r of [
      genesis,
      invite,
      await sealRecord(mallory.identity, { kind: 'join', cid, ts: now - 4000, body: joinBody(invite, mallory.identity) })
    ] as AnyRecord[]) {
      expect((await a.append(r)).ok).toBe(true);
    }
    await admitPending(alice.db, a, alice.identity, now);
    await maintainKeys(alice.db, a, alice.identity, now);
    const thread = await sealNext(alice.db, alice.identity, { kind: 'thread', cid, ts: Date.now(), body: { title: 'Welcome', body: 'CONTENT-TOKEN-41' } });
    expect((await a.append(thread)).ok).toBe(true);

    // Bob arrives with the link only: his device is in the lobby, Alice's lobby document holds core records only.
    const b = new CommunityDoc(bob.db, cid);
    await b.open();
    const aliceLobby = new CoreLobby(a);
    await aliceLobby.open();
    expect(JSON.stringify(aliceLobby.records.toJSON())).not.toContain(thread.id);
    expect(aliceLobby.records.has(cid)).toBe(true); // the genesis, stored without a cid
    // Bob's device writes his join into his document and meets Alice's lobby with it.
    const join = await sealRecord(bob.identity, { kind: 'join', cid, ts: Date.now(), body: joinBody(invite, bob.identity) });
    expect((await b.append(genesis)).ok).toBe(true);
    expect((await b.append(join)).ok).toBe(true);
    // His profile goes with his join: adopted with it, though he is not a member yet.
    const profile = await sealRecord(bob.identity, { kind: 'profile', cid, ts: Date.now() + 1, body: { name: 'Bob' } });
    expect((await b.append(profile)).ok).toBe(true);
    const bobLobby = new CoreLobby(b);
    await bobLobby.open();
    // A hostile lobby peer offers content and a stranger's signed profile: neither is carried on.
    const stranger = (await generateIdentity()).identity;
    const hostile = new Y.Doc();
    hostile.getMap('records').set(thread.id, thread);
    const strangerProfile = await sealRecord(stranger, { kind: 'profile', cid, ts: Date.now(), body: { name: 'Stranger' } });
    hostile.getMap('records').set(strangerProfile.id, strangerProfile);
    await exchange(hostile, aliceLobby.doc);
    await exchange(aliceLobby.doc, bobLobby.doc);
    await Promise.all([aliceLobby.settled(), bobLobby.settled()]);
    await Promise.all([a.settled(), b.settled()]);
    expect(a.records.has(join.id)).toBe(true); // adopted by Alice's document
    expect(a.records.has(profile.id)).toBe(true);
    expect(a.records.has(strangerProfile.id)).toBe(false);
    expect(aliceLobby.records.has(thread.id)).toBe(false);

    // Alice's device admits Bob and shares the key; it reaches Bob through the lobby.
    await admitPending(alice.db, a, alice.identity, Date.now());
    await maintainKeys(alice.db, a, alice.identity, Date.now());
    await a.settled();
    // What the lobby brings into Bob's document comes as from peers (an object origin, as doc-host
    // tells pages): his join waits for an update from a peer before it is written.
    const origins: unknown[] = [];
    b.doc.on('update', (_u: Uint8Array, origin: unknown) => origins.push(origin));
    for (let i = 0; i < 3; i++) {
      await exchange(aliceLobby.doc, bobLobby.doc);
      await Promise.all([aliceLobby.settled(), bobLobby.settled()]);
      await Promise.all([a.settled(), b.settled()]);
    }
    expect(origins.length).toBeGreaterThan(0);
    expect(origins.every((o) => typeof o === 'object' && o !== null)).toBe(true);
    expect(b.records.has(thread.id)).toBe(false); // content comes only in the mesh
    const bobPlan = await meshPlanOf(bob.db, cid, bob.identity.publicKey);
    const alicePlan = await meshPlanOf(alice.db, cid, alice.identity.publicKey);
    expect(bobPlan.legacy).toBe(false);
    expect(bobPlan.waitingForKey).toBe(false);
    expect(bobPlan.lobby).toBe(false); // a member holding the newest key stays in the mesh only
    expect(alicePlan.lobby).toBe(true); // the creator serves the lobby
    expect(bobPlan.mesh?.room).toBe(alicePlan.mesh?.room);
    expect(bobPlan.mesh?.password).toBe(alicePlan.mesh?.password);
    expect(bobPlan.mesh!.room.startsWith(`${cid}.`)).toBe(true);
    expect(bobPlan.mesh!.room).not.toContain(bobPlan.mesh!.epoch);

    // A ban starts a new epoch: the mesh room and password change; the banned member's device,
    // holding only the old key, is left with the old room (and waits in the lobby, core only).
    const malloryMesh = await meshPlanOf(alice.db, cid, alice.identity.publicKey);
    const ban = await sealNext(alice.db, alice.identity, {
      kind: 'ban',
      cid,
      ts: Date.now(),
      body: { member: mallory.identity.publicKey, banned: true, heads: await headsOf(alice.db, cid, mallory.identity.publicKey) }
    });
    expect((await a.append(ban)).ok).toBe(true);
    await maintainKeys(alice.db, a, alice.identity, Date.now());
    const after = await meshPlanOf(alice.db, cid, alice.identity.publicKey);
    expect(after.mesh!.room).not.toBe(malloryMesh.mesh!.room);
    expect(after.mesh!.password).not.toBe(malloryMesh.mesh!.password);
    for (let i = 0; i < 3; i++) {
      await exchange(aliceLobby.doc, bobLobby.doc);
      await Promise.all([aliceLobby.settled(), bobLobby.settled()]);
      await Promise.all([a.settled(), b.settled()]);
    }
    const bobAfter = await meshPlanOf(bob.db, cid, bob.identity.publicKey);
    expect(bobAfter.mesh!.room).toBe(after.mesh!.room);
    aliceLobby.destroy();
    bobLobby.destroy();
  });

  it("a newcomer waiting for its key stores the lobby core without making it its own: nothing of it goes back to the mesh, and the members' entries are found stored", {
    timeout: 60_000
  }, async () => {
    const { bob, carol, cid, a, invite } = await carolAdmitted();
    await a.settled();
    const aliceLobby = new CoreLobby(a);
    await aliceLobby.open();
    const core = [...aliceLobby.records.keys()];
    expect(core.length).toBeGreaterThan(5);

    // Bob opens the link: his device holds nothing but what it writes itself.
    const b = new CommunityDoc(bob.db, cid);
    await b.open();
    const bobLobby = new CoreLobby(b, { share: false });
    await bobLobby.open();
    await exchange(aliceLobby.doc, bobLobby.doc);
    await bobLobby.settled();
    await b.settled();
    // Checked, stored and projected: his device judges the invite and knows Carol.
    const stored = await recordsById(bob.db, core);
    expect(stored.every((r) => r !== undefined)).toBe(true);
    const auth = await authorityOf(bob.db, cid);
    expect(auth?.invites.has(invite.id)).toBe(true);
    expect(auth?.isMember(carol.identity.publicKey)).toBe(true);
    // …but not his document's: his join is all he offers the mesh.
    expect(core.filter((key) => b.records.has(key))).toEqual([]);
    const join = await sealRecord(bob.identity, { kind: 'join', cid, ts: Date.now(), body: joinBody(invite, bob.identity) });
    expect((await b.append(join as AnyRecord)).ok).toBe(true);
    const offered = new Y.Doc();
    Y.applyUpdate(offered, Y.encodeStateAsUpdate(b.doc, Y.encodeStateVector(a.doc)));
    expect([...offered.getMap('records').keys()]).toEqual([join.id]);

    // The mesh: Alice's own entries for the core arrive and are found stored (backed, not checked or repaired again).
    await exchange(a.doc, b.doc);
    await Promise.all([a.settled(), b.settled()]);
    expect(core.every((key) => b.records.has(key))).toBe(true);
    expect(a.records.has(join.id)).toBe(true);
    expect(b.health.repaired).toBe(0);
    expect(await bob.db.rejected.where('cid').equals(cid).count()).toBe(0);
    // One entry per key in both documents: no second copy of the core was made.
    const entries = (doc: Y.Doc) => {
      let n = 0;
      for (const item of doc.getMap('records')._map.values()) for (let i: typeof item | null = item; i; i = i.left as typeof item | null) n++;
      return n;
    };
    expect(entries(a.doc)).toBe(a.records.size);
    expect(entries(b.doc)).toBe(b.records.size);
    aliceLobby.destroy();
    bobLobby.destroy();
  });

  it("a newcomer waiting for its key leaves to the history the profiles that came before their authors' joins were in: the key share is not checked behind them", {
    timeout: 60_000
  }, async () => {
    const { bob, carol, genesis, cid, a, invite, profile } = await carolAdmitted();
    await a.settled();
    const aliceLobby = new CoreLobby(a);
    await aliceLobby.open();

    // The core in two messages, as a large one is sent: Carol's profile in the second, while her join is checked.
    const b = new CommunityDoc(bob.db, cid);
    await b.open();
    // As the join page does: the link's genesis and invite projected first.
    await applyRecords(bob.db, cid, [genesis, invite] as AnyRecord[]);
    const bobLobby = new CoreLobby(b, { share: false });
    await bobLobby.open();
    const part = (keep: (key: string) => boolean) => {
      const doc = new Y.Doc();
      doc.transact(() => {
        for (const [key, value] of aliceLobby.records) if (keep(key)) doc.getMap('records').set(key, value);
      });
      return Y.encodeStateAsUpdate(doc);
    };
    applyGatedUpdate(
      bobLobby.doc,
      part((key) => key !== profile.id),
      'peer'
    );
    await whenApplied(bobLobby.doc);
    applyGatedUpdate(
      bobLobby.doc,
      part((key) => key === profile.id),
      'peer'
    );
    await whenApplied(bobLobby.doc);
    await bobLobby.settled();
    await b.settled();
    await bobLobby.settled();
    const auth = await authorityOf(bob.db, cid);
    expect(auth?.isMember(carol.identity.publicKey)).toBe(true);
    expect(await recordById(bob.db, profile.id)).toBeUndefined();
    // The keys and their shares went through: what opens the mesh is not left behind.
    const keys = [...aliceLobby.records.values()].filter((r) => (r as AnyRecord).kind === 'key' || (r as AnyRecord).kind === 'key-share');
    expect(keys.length).toBeGreaterThan(0);
    expect(
      (
        await recordsById(
          bob.db,
          keys.map((r) => (r as AnyRecord).id)
        )
      ).every((r) => r !== undefined)
    ).toBe(true);

    // The mesh's history brings it.
    await exchange(a.doc, b.doc);
    await Promise.all([a.settled(), b.settled()]);
    expect((await bob.db.members.get([cid, carol.identity.publicKey]))?.name).toBe('Carol');
    aliceLobby.destroy();
    bobLobby.destroy();
  });

  it("a newcomer's lobby seeded with what its invite page fetched asks only for what came since, and the seed is checked as a peer's update: a forged record is not stored, content never enters", {
    timeout: 60_000
  }, async () => {
    const { alice, bob, carol, genesis, cid, a, invite } = await carolAdmitted();
    await a.settled();
    const aliceLobby = new CoreLobby(a);
    await aliceLobby.open();
    const core = [...aliceLobby.records.keys()];
    expect(core.length).toBeGreaterThan(5);

    // The invite page's throw-away document (sync/invite-fetch): Alice's lobby as handed over, with what
    // a hostile peer in the room added to it: Carol's profile with another name under its id, and a thread.
    const fetched = new Y.Doc();
    Y.applyUpdate(fetched, Y.encodeStateAsUpdate(aliceLobby.doc));
    const genuine = (await sealRecord(carol.identity, { kind: 'profile', cid, ts: Date.now() - 2000, body: { name: 'Carol B.' } })) as AnyRecord;
    const forged = { ...genuine, body: { name: 'Send your key to mallory' } };
    const thread = (await sealRecord(carol.identity, {
      kind: 'thread',
      cid,
      ts: Date.now() - 1000,
      body: { title: 'Hi', body: 'CONTENT-TOKEN-77' }
    })) as AnyRecord;
    fetched.transact(() => {
      fetched.getMap('records').set(forged.id, forged);
      fetched.getMap('records').set(thread.id, thread);
    });
    const seed = Y.encodeStateAsUpdate(fetched);
    // The page sat open a while: Alice wrote a new invite since.
    const later = await openInvite(alice.identity, cid, Date.now());
    expect((await a.append(later)).ok).toBe(true);
    await a.settled();
    expect(aliceLobby.records.has(later.id)).toBe(true);

    // Bob presses Join: the link's genesis and invite projected, his lobby opened with the seed.
    const b = new CommunityDoc(bob.db, cid);
    await b.open();
    await applyRecords(bob.db, cid, [genesis, invite] as AnyRecord[]);
    const bobLobby = new CoreLobby(b, { share: false, seed });
    await bobLobby.open();
    // His sync step 1 names what the seed held: Alice's step 2 carries the new invite alone.
    const reply = Y.encodeStateAsUpdate(aliceLobby.doc, Y.encodeStateVector(bobLobby.doc));
    const whole = Y.encodeStateAsUpdate(aliceLobby.doc, Y.encodeStateVector(new Y.Doc()));
    const carried = (update: Uint8Array) => Y.decodeUpdate(update).structs.flatMap((s) => (s instanceof Y.Item && s.parentSub ? [s.parentSub] : []));
    expect(carried(whole).length).toBeGreaterThan(core.length);
    expect(carried(reply)).toEqual([later.id]);
    expect(reply.length).toBeLessThan(whole.length / 4);
    applyGatedUpdate(bobLobby.doc, reply, 'peer');
    await whenApplied(bobLobby.doc);
    await bobLobby.settled();
    await b.settled();
    await bobLobby.settled();

    // What the seed held went through the lobby's gate and checks: the core stored, nothing else.
    expect((await recordsById(bob.db, [...core, later.id])).every((r) => r !== undefined)).toBe(true);
    expect(await recordById(bob.db, forged.id)).toBeUndefined();
    expect(await bob.db.rejected.get(`${cid}/${forged.id}`)).toBeDefined(); // refused by the gate, as a peer's
    expect(await recordById(bob.db, thread.id)).toBeUndefined();
    expect(b.health.junkItems).toBe(1); // the thread, turned to GC before it was applied
    expect(bobLobby.records.has(thread.id)).toBe(false);
    expect(JSON.stringify(bobLobby.records.toJSON())).not.toContain('CONTENT-TOKEN-77');
    expect((await bob.db.members.get([cid, carol.identity.publicKey]))?.name).not.toBe('Send your key to mallory');
    const auth = await authorityOf(bob.db, cid);
    expect(auth?.isMember(carol.identity.publicKey)).toBe(true);
    expect(auth?.invites.has(later.id)).toBe(true);
    // Nothing of it became his document's own entries (`share` off), as with a peer's.
    expect(core.filter((key) => b.records.has(key))).toEqual([]);
    aliceLobby.destroy();
    bobLobby.destroy();
  });

  it("holds no month-old ordinary member's join, profile or level, yet a newcomer takes his key through it and reaches the mesh", {
    timeout: 60_000
  }, async () => {
    const alice = await device();
    const carol = await device();
    const dan = await device();
    const bob = await device();
    const now = Date.now();
    const day = 86_400_000;
    const genesis = await newCommunity(alice.identity);
    const cid = genesis.id;
    const a = new CommunityDoc(alice.db, cid);
    await a.open();
    const invite = await openInvite(alice.identity, cid, now - 90 * day);
    const moderators = await sealRecord(alice.identity, {
      kind: 'invite',
      cid,
      ts: now - 90 * day,
      body: { role: 'moderator', expiresAt: null, maxUses: null, label: 'mods', nonce: 'm', ...inviteKey() }
    });
    const carolJoin = await sealRecord(carol.identity, { kind: 'join', cid, ts: now - 60 * day, body: joinBody(invite, carol.identity) });
    const carolProfile = await sealRecord(carol.identity, { kind: 'profile', cid, ts: now - 60 * day + 1, body: { name: 'Carol' } });
    const danJoin = await sealRecord(dan.identity, { kind: 'join', cid, ts: now - 60 * day, body: joinBody(moderators, dan.identity) });
    for (const r of [genesis, invite, moderators, carolJoin, carolProfile, danJoin] as AnyRecord[]) expect((await a.append(r)).ok).toBe(true);
    const carolLevel = await sealNext(alice.db, alice.identity, {
      kind: 'level',
      cid,
      ts: now - 30 * day,
      body: { member: carol.identity.publicKey, level: 2 }
    });
    expect((await a.append(carolLevel)).ok).toBe(true);
    // One lobby open while the admits of the open invites' joins are written, one opened after them.
    const earlyLobby = new CoreLobby(a);
    await earlyLobby.open();
    expect(await admitPending(alice.db, a, alice.identity, now)).toBe(2);
    await maintainKeys(alice.db, a, alice.identity, now);
    await a.settled();
    const aliceLobby = new CoreLobby(a);
    await aliceLobby.open();
    const admits = (await recordsOfKind(alice.db, cid, 'admit')) as SignedRecord<'admit'>[];
    const admitOf = (join: AnyRecord) => admits.find((r) => r.body.joins.includes(join.id))!;
    for (const lobby of [earlyLobby, aliceLobby]) {
      expect(lobby.records.has(carolJoin.id)).toBe(false);
      expect(lobby.records.has(carolProfile.id)).toBe(false);
      expect(lobby.records.has(carolLevel.id)).toBe(false); // her level follows her join
      expect(lobby.records.has(admitOf(carolJoin).id)).toBe(false); // and so does the admit naming it
      expect(lobby.records.has(danJoin.id)).toBe(true); // a moderator's stays
      expect(lobby.records.has(admitOf(danJoin).id)).toBe(true);
    }
    earlyLobby.destroy();

    // Bob, with the link only: his join written, his device waiting for its key.
    const b = new CommunityDoc(bob.db, cid);
    await b.open();
    await applyRecords(bob.db, cid, [genesis, invite] as AnyRecord[]);
    const join = await sealRecord(bob.identity, { kind: 'join', cid, ts: Date.now(), body: joinBody(invite, bob.identity) });
    expect((await b.append(join)).ok).toBe(true);
    const bobLobby = new CoreLobby(b, { share: false });
    await bobLobby.open();
    for (let i = 0; i < 3; i++) {
      await exchange(aliceLobby.doc, bobLobby.doc);
      await Promise.all([aliceLobby.settled(), bobLobby.settled()]);
      await Promise.all([a.settled(), b.settled()]);
      if (i === 0) {
        await admitPending(alice.db, a, alice.identity, Date.now());
        await maintainKeys(alice.db, a, alice.identity, Date.now());
        await a.settled();
      }
    }
    // Carol's wrap is in the epoch Bob judged; her join never reached his device.
    expect(await recordById(bob.db, carolJoin.id)).toBeUndefined();
    const bobPlan = await meshPlanOf(bob.db, cid, bob.identity.publicKey);
    const alicePlan = await meshPlanOf(alice.db, cid, alice.identity.publicKey);
    expect(bobPlan.waitingForKey).toBe(false);
    expect(bobPlan.mesh?.room).toBe(alicePlan.mesh?.room);
    aliceLobby.destroy();
    bobLobby.destroy();
  });

  it('derives a different room and password per epoch and per community, the same on every device', async () => {
    const raw = crypto.getRandomValues(new Uint8Array(32));
    const one = await meshRoomOf('c1', { epoch: 'e1', raw });
    expect(await meshRoomOf('c1', { epoch: 'e1', raw })).toEqual(one);
    expect((await meshRoomOf('c1', { epoch: 'e2', raw })).password).not.toBe(one.password);
    expect((await meshRoomOf('c2', { epoch: 'e1', raw })).room).not.toBe(one.room);
    expect((await meshRoomOf('c1', { epoch: 'e1', raw: crypto.getRandomValues(new Uint8Array(32)) })).password).not.toBe(one.password);
  });
});

describe('the mesh plan before the first epoch', () => {
  it('a newcomer holding no history waits in the lobby; the creator and a device holding history use the one room', async () => {
    const alice = await device();
    const bob = await device();
    const genesis = await newCommunity(alice.identity);
    const cid = genesis.id;
    const invite = await openInvite(alice.identity, cid, Date.now() - 5000);
    const join = await sealRecord(bob.identity, { kind: 'join', cid, ts: Date.now() - 4000, body: joinBody(invite, bob.identity) });
    const a = new CommunityDoc(alice.db, cid);
    const b = new CommunityDoc(bob.db, cid);
    await Promise.all([a.open(), b.open()]);
    for (const r of [genesis, invite, join] as AnyRecord[]) {
      expect((await a.append(r)).ok).toBe(true);
      expect((await b.append(r)).ok).toBe(true);
    }
    // No epoch anywhere yet: the creator's device uses the one room (and will start the epoch).
    expect(await meshPlanOf(alice.db, cid, alice.identity.publicKey)).toMatchObject({ legacy: true });
    // Bob holds his join and nothing else: the lobby, waiting for his key.
    expect(await meshPlanOf(bob.db, cid, bob.identity.publicKey)).toMatchObject({ legacy: false, lobby: true, waitingForKey: true, mesh: null });
    // Once his device holds the community's history from before encryption, the one room again.
    const thread = await sealRecord(alice.identity, { kind: 'thread', cid, ts: Date.now(), body: { title: 'Old times', body: 'before keys' } });
    expect((await b.append(thread as AnyRecord)).ok).toBe(true);
    await b.settled();
    expect(await meshPlanOf(bob.db, cid, bob.identity.publicKey)).toMatchObject({ legacy: true });
  });
});
