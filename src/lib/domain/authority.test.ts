import { describe, expect, it } from 'vitest';
import { sealRecord } from '../crypto/record-seal';
import type { AnyRecord } from './record';
import { admit, inviteKey, joinBody, newCommunity, newMember, sealInvite, writer } from '../../../tests/unit/community-fixture';
import { ADMIT_GRACE_MS, chainHeads, computeAuthority } from './authority';
import { checkRecord } from '../crypto/record-seal';
import { generateInviteKey, signJoinProof } from '../crypto/invite-key';
import { heldBack, QUOTAS } from './quota';
import { projectCommunity } from './posts';

const T0 = 1_700_000_000_000;

function invite(
  creator: Awaited<ReturnType<typeof newMember>>,
  cid: string,
  body: Partial<{ role: 'member' | 'admin' | 'moderator'; expiresAt: number | null; maxUses: number | null }>,
  ts = T0 + 100
) {
  return sealInvite(creator, cid, ts, body);
}

describe('membership from invites and joins', () => {
  it('a join bound to a valid invite makes a member with the invite’s role and tier', async () => {
    const alice = await newMember();
    const bob = await newMember();
    const g = await newCommunity(alice);
    const inv = await sealRecord(alice, {
      kind: 'invite',
      cid: g.id,
      ts: T0 + 1,
      body: { role: 'moderator', tier: 'gold', expiresAt: null, maxUses: null, label: 'mods', nonce: 'n', ...inviteKey() }
    });
    const join = await sealRecord(bob, { kind: 'join', cid: g.id, ts: T0 + 2, body: joinBody(inv as never, bob) });
    const auth = computeAuthority(g, [join, inv]);
    expect(auth.members.get(bob.publicKey)).toMatchObject({ role: 'moderator', tier: 'gold', invitedBy: alice.publicKey, joinedAt: T0 + 2 });
    expect(auth.invites.get(inv.id)?.uses).toBe(1);
    expect(auth.isMember(bob.publicKey, T0 + 1)).toBe(false);
    expect(auth.isMember(bob.publicKey, T0 + 2)).toBe(true);
  });

  it('posting without a valid join shows nothing', async () => {
    const alice = await newMember();
    const mallory = await newMember();
    const g = await newCommunity(alice);
    const spam = await writer(mallory, g.id)('thread', { title: 'spam', body: 'x' });
    const records = [g, spam];
    expect(projectCommunity(records, computeAuthority(g, records)).threads).toEqual([]);
  });

  it('refuses an invite signed by a non-admin, an expired, a revoked and a used-up invite', async () => {
    const alice = await newMember();
    const [bob, carol, dave, erin, mallory] = await Promise.all([newMember(), newMember(), newMember(), newMember(), newMember()]);
    const g = await newCommunity(alice);
    const forged = await invite(mallory, g.id, {});
    const expired = await invite(alice, g.id, { expiresAt: T0 + 150 });
    const revoked = await invite(alice, g.id, { maxUses: 10 });
    const revoke = await sealRecord(alice, { kind: 'tombstone', cid: g.id, ts: T0 + 180, body: { target: revoked.id } });
    const once = await invite(alice, g.id, { maxUses: 1 });
    const join = (who: typeof bob, inv: Awaited<ReturnType<typeof invite>>, ts: number) =>
      sealRecord(who, { kind: 'join', cid: g.id, ts, body: joinBody(inv, who) });
    const records: AnyRecord[] = [
      forged,
      await join(bob, forged, T0 + 200),
      expired,
      await join(carol, expired, T0 + 200),
      revoked,
      revoke,
      await join(dave, revoked, T0 + 200),
      once,
      await join(erin, once, T0 + 200),
      await join(mallory, once, T0 + 201)
    ];
    // The one-use invite's only use goes to the join its inviter admits.
    records.push(await sealRecord(alice, { kind: 'admit', cid: g.id, ts: T0 + 300, body: { invite: once.id, joins: [records[8].id, records[9].id] } }));
    const auth = computeAuthority(g, records);
    expect([...auth.members.keys()].sort()).toEqual([alice.publicKey, erin.publicKey].sort());
  });

  it('uses of a limited invite are counted by admits in (ts, id) order, the same on every peer, whatever the joins’ own dates', async () => {
    const alice = await newMember();
    const [bob, carol, admin] = await Promise.all([newMember(), newMember(), newMember()]);
    const g = await newCommunity(alice);
    const staff = await admit(alice, admin, g.id, T0 + 10, 'admin');
    const once = await invite(alice, g.id, { maxUses: 1 });
    const late = await sealRecord(bob, { kind: 'join', cid: g.id, ts: T0 + 300, body: joinBody(once, bob) });
    const early = await sealRecord(carol, { kind: 'join', cid: g.id, ts: T0 + 200, body: joinBody(once, carol) });
    // Two staff devices admit different joins concurrently: the first admit by (ts, id) wins.
    const byAlice = await sealRecord(alice, { kind: 'admit', cid: g.id, ts: T0 + 400, body: { invite: once.id, joins: [late.id] } });
    const byAdmin = await sealRecord(admin, { kind: 'admit', cid: g.id, ts: T0 + 401, body: { invite: once.id, joins: [early.id] } });
    for (const order of [
      [...staff, once, late, early, byAlice, byAdmin],
      [byAdmin, early, byAlice, late, once, ...staff]
    ]) {
      const auth = computeAuthority(g, order);
      expect(auth.isMember(bob.publicKey)).toBe(true);
      expect(auth.isMember(carol.publicKey)).toBe(false);
      expect(auth.invites.get(once.id)?.uses).toBe(1);
    }
    // Without any admit both wait; nobody takes the use by dating their join early.
    const waiting = computeAuthority(g, [once, late, early]);
    expect([...waiting.members.keys()]).toEqual([alice.publicKey]);
    expect([...waiting.pending.keys()].sort()).toEqual([bob.publicKey, carol.publicKey].sort());
  });

  it('a member cannot grant itself admin; the creator can grant it; an admin cannot make admins', async () => {
    const alice = await newMember();
    const [bob, carol] = await Promise.all([newMember(), newMember()]);
    const g = await newCommunity(alice);
    const base = [...(await admit(alice, bob, g.id)), ...(await admit(alice, carol, g.id, T0 + 600))];
    const selfGrant = await sealRecord(bob, { kind: 'grant', cid: g.id, ts: T0 + 1000, body: { member: bob.publicKey, role: 'admin' } });
    expect(computeAuthority(g, [...base, selfGrant]).roleOf(bob.publicKey)).toBe('member');
    const creatorGrant = await sealRecord(alice, { kind: 'grant', cid: g.id, ts: T0 + 1100, body: { member: bob.publicKey, role: 'admin' } });
    const adminMakesAdmin = await sealRecord(bob, { kind: 'grant', cid: g.id, ts: T0 + 1200, body: { member: carol.publicKey, role: 'admin' } });
    const adminMakesMod = await sealRecord(bob, { kind: 'grant', cid: g.id, ts: T0 + 1300, body: { member: carol.publicKey, role: 'moderator' } });
    const auth = computeAuthority(g, [...base, selfGrant, creatorGrant, adminMakesAdmin, adminMakesMod]);
    expect(auth.roleOf(bob.publicKey)).toBe('admin');
    expect(auth.roleOf(carol.publicKey)).toBe('moderator');
  });

  it('a banned member’s later records are not shown; earlier ones stay; nobody bans the creator', async () => {
    const alice = await newMember();
    const bob = await newMember();
    const g = await newCommunity(alice);
    const w = writer(bob, g.id, T0 + 2000);
    const before = await w('thread', { title: 'before', body: '' });
    const ban = await sealRecord(alice, { kind: 'ban', cid: g.id, ts: T0 + 5000, body: { member: bob.publicKey, banned: true } });
    const after = await w('thread', { title: 'after', body: '' }, T0 + 6000);
    const banCreator = await sealRecord(bob, { kind: 'ban', cid: g.id, ts: T0 + 3000, body: { member: alice.publicKey, banned: true } });
    const records = [g, ...(await admit(alice, bob, g.id)), before, ban, after, banCreator];
    const auth = computeAuthority(g, records);
    expect(projectCommunity(records, auth).threads.map((t) => t.title)).toEqual(['before']);
    expect(auth.isMember(alice.publicKey)).toBe(true);
  });

  it('moderators hide posts and delete others’ posts; members cannot', async () => {
    const alice = await newMember();
    const [bob, mod] = await Promise.all([newMember(), newMember()]);
    const g = await newCommunity(alice);
    const t1 = await writer(alice, g.id, T0 + 2000)('thread', { title: 'one', body: '' });
    const t2 = await writer(alice, g.id, T0 + 2100)('thread', { title: 'two', body: '' });
    const bobHide = await sealRecord(bob, { kind: 'hide', cid: g.id, ts: T0 + 3000, body: { target: t1.id, hidden: true } });
    const bobDelete = await sealRecord(bob, { kind: 'tombstone', cid: g.id, ts: T0 + 3000, body: { target: t2.id } });
    const modHide = await sealRecord(mod, { kind: 'hide', cid: g.id, ts: T0 + 3100, body: { target: t2.id, hidden: true } });
    const records = [g, ...(await admit(alice, bob, g.id)), ...(await admit(alice, mod, g.id, T0 + 700, 'moderator')), t1, t2, bobHide, bobDelete, modHide];
    const { threads } = projectCommunity(records, computeAuthority(g, records));
    const byTitle = Object.fromEntries(threads.map((t) => [t.title, t]));
    expect(byTitle.one).toMatchObject({ hidden: false, deleted: false });
    expect(byTitle.two).toMatchObject({ hidden: true, deleted: false, rank: -1 });
  });

  it('a member at published trust level 2 may invite members, at level 3 may hide; only staff publish levels', async () => {
    const alice = await newMember();
    const [bob, carol, dave, mallory] = await Promise.all([newMember(), newMember(), newMember(), newMember()]);
    const g = await newCommunity(alice);
    const base = [...(await admit(alice, bob, g.id)), ...(await admit(alice, mallory, g.id, T0 + 600))];
    const bobInvite = await invite(bob, g.id, {}, T0 + 3000);
    const bobModInvite = await invite(bob, g.id, { role: 'moderator' }, T0 + 3001);
    const carolJoin = await sealRecord(carol, { kind: 'join', cid: g.id, ts: T0 + 4000, body: joinBody(bobInvite as never, carol) });
    const daveJoin = await sealRecord(dave, { kind: 'join', cid: g.id, ts: T0 + 4000, body: joinBody(bobModInvite as never, dave) });
    const t = await writer(alice, g.id, T0 + 5000)('thread', { title: 'spam here', body: '' });
    const bobHide = await sealRecord(bob, { kind: 'hide', cid: g.id, ts: T0 + 6000, body: { target: t.id, hidden: true } });
    const selfPublished = await sealRecord(mallory, { kind: 'trust', cid: g.id, ts: T0 + 1000, body: { member: bob.publicKey, level: 3 } });
    const without = [g, ...base, selfPublished, bobInvite, bobModInvite, carolJoin, daveJoin, t, bobHide];
    const a0 = computeAuthority(g, without);
    expect(a0.isMember(carol.publicKey)).toBe(false);
    expect(projectCommunity(without, a0).threads[0].hidden).toBe(false);

    const level2 = await sealRecord(alice, { kind: 'trust', cid: g.id, ts: T0 + 2000, body: { member: bob.publicKey, level: 2 } });
    const a2 = computeAuthority(g, [...without, level2]);
    expect(a2.isMember(carol.publicKey)).toBe(true);
    expect(a2.isMember(dave.publicKey)).toBe(false); // a trusted member invites members, not moderators
    expect(projectCommunity([...without, level2], a2).threads[0].hidden).toBe(false);

    const level3 = await sealRecord(alice, { kind: 'trust', cid: g.id, ts: T0 + 5500, body: { member: bob.publicKey, level: 3 } });
    const all = [...without, level2, level3];
    expect(projectCommunity(all, computeAuthority(g, all)).threads[0].hidden).toBe(true);
  });
});

describe('against a member who holds the room secret', () => {
  it('a backdated join on a used one-use admin invite read from the shared map takes nothing: no proof, a wrong proof, no admit', async () => {
    const alice = await newMember();
    const [bob, mallory] = await Promise.all([newMember(), newMember()]);
    const g = await newCommunity(alice);
    const adminInvite = await invite(alice, g.id, { role: 'admin', maxUses: 1 }, T0 + 100);
    const bobJoin = await sealRecord(bob, { kind: 'join', cid: g.id, ts: T0 + 500, body: joinBody(adminInvite, bob) });
    const admitted = await sealRecord(alice, { kind: 'admit', cid: g.id, ts: T0 + 600, body: { invite: adminInvite.id, joins: [bobJoin.id] } });
    // Mallory has only the invite record (as every member does) and signs the proof with a key of her own.
    const ownKey = generateInviteKey();
    const forgedProof = signJoinProof(ownKey.seed, { cid: g.id, invite: adminInvite.id, member: mallory.publicKey });
    const withOwnKey = await sealRecord(mallory, {
      kind: 'join',
      cid: g.id,
      ts: T0 + 101,
      body: { invite: adminInvite.id, key: ownKey.publicKey, proof: forgedProof }
    });
    const claimingInviteKey = await sealRecord(mallory, {
      kind: 'join',
      cid: g.id,
      ts: T0 + 101,
      body: { invite: adminInvite.id, key: adminInvite.body.key, proof: forgedProof }
    });
    expect(await checkRecord(claimingInviteKey, { cid: g.id })).toEqual({ ok: false, reason: 'record.bad_invite_proof' });
    const ban = await sealRecord(mallory, { kind: 'ban', cid: g.id, ts: T0 + 102, body: { member: bob.publicKey, banned: true } });
    const auth = computeAuthority(g, [adminInvite, bobJoin, admitted, withOwnKey, claimingInviteKey, ban]);
    expect(auth.roleOf(bob.publicKey)).toBe('admin');
    expect(auth.members.get(bob.publicKey)?.bannedAt).toBeNull();
    expect(auth.isMember(mallory.publicKey)).toBe(false);
  });

  it('after a revocation only joins admitted before it stay, whatever their dates; an expired invite admits nobody late', async () => {
    const alice = await newMember();
    const [bob, carol, dave] = await Promise.all([newMember(), newMember(), newMember()]);
    const g = await newCommunity(alice);
    const open = await invite(alice, g.id, {}, T0 + 100);
    const bobJoin = await sealRecord(bob, { kind: 'join', cid: g.id, ts: T0 + 200, body: joinBody(open, bob) });
    const admitted = await sealRecord(alice, { kind: 'admit', cid: g.id, ts: T0 + 250, body: { invite: open.id, joins: [bobJoin.id] } });
    const revoke = await sealRecord(alice, { kind: 'tombstone', cid: g.id, ts: T0 + 300, body: { target: open.id } });
    // Carol holds the link and joins after the revocation, dating her join before it.
    const backdated = await sealRecord(carol, { kind: 'join', cid: g.id, ts: T0 + 150, body: joinBody(open, carol) });
    const auth = computeAuthority(g, [open, bobJoin, admitted, revoke, backdated]);
    expect(auth.isMember(bob.publicKey)).toBe(true);
    expect(auth.isMember(carol.publicKey)).toBe(false);
    // Until the revocation arrives, the open invite lets Carol in: it is the revocation that closes it.
    expect(computeAuthority(g, [open, bobJoin, backdated]).isMember(carol.publicKey)).toBe(true);

    const expiring = await invite(alice, g.id, { maxUses: 5, expiresAt: T0 + 1000 }, T0 + 100);
    const late = await sealRecord(dave, { kind: 'join', cid: g.id, ts: T0 + 900, body: joinBody(expiring, dave) });
    const tooLate = await sealRecord(alice, { kind: 'admit', cid: g.id, ts: T0 + 1000 + ADMIT_GRACE_MS + 1, body: { invite: expiring.id, joins: [late.id] } });
    expect(computeAuthority(g, [expiring, late, tooLate]).isMember(dave.publicKey)).toBe(false);
  });

  it('an expiring open invite closed after its grace keeps the joins admitted in time and refuses a late backdated one', async () => {
    const alice = await newMember();
    const [bob, carol] = await Promise.all([newMember(), newMember()]);
    const g = await newCommunity(alice);
    const week = await invite(alice, g.id, { expiresAt: T0 + 7 * 86_400_000 }, T0 + 100);
    const bobJoin = await sealRecord(bob, { kind: 'join', cid: g.id, ts: T0 + 1000, body: joinBody(week, bob) });
    const inTime = await sealRecord(alice, { kind: 'admit', cid: g.id, ts: T0 + 2000, body: { invite: week.id, joins: [bobJoin.id] } });
    const carolLate = await sealRecord(carol, { kind: 'join', cid: g.id, ts: T0 + 3000, body: joinBody(week, carol) });
    const close = await sealRecord(alice, { kind: 'tombstone', cid: g.id, ts: T0 + 30 * 86_400_000, body: { target: week.id } });
    const auth = computeAuthority(g, [week, bobJoin, inTime, carolLate, close]);
    expect(auth.isMember(bob.publicKey)).toBe(true);
    expect(auth.isMember(carol.publicKey)).toBe(false);
    expect(auth.invites.get(week.id)?.admitted.has(bobJoin.id)).toBe(true);
  });

  it('a ban keeps exactly the causal past it named: backdated and forked records of the banned member are not shown', async () => {
    const alice = await newMember();
    const bob = await newMember();
    const g = await newCommunity(alice);
    const [inv, join] = await admit(alice, bob, g.id);
    const seal = (ts: number, title: string, prev: string) => sealRecord(bob, { kind: 'thread', cid: g.id, ts, prev, body: { title, body: '' } });
    const first = await seal(T0 + 2000, 'first', join.id);
    const second = await seal(T0 + 3000, 'second', first.id);
    const ban = await sealRecord(alice, {
      kind: 'ban',
      cid: g.id,
      ts: T0 + 5000,
      body: { member: bob.publicKey, banned: true, heads: chainHeads([join, first, second]) }
    });
    // After the ban Bob dates new threads before it: one continuing his chain, one forking off it, one with no chain.
    const continued = await seal(T0 + 4000, 'continued', second.id);
    const forked = await seal(T0 + 2500, 'forked', first.id);
    const loose = await sealRecord(bob, { kind: 'thread', cid: g.id, ts: T0 + 1500, body: { title: 'loose', body: '' } });
    const records = [g, inv, join, first, second, ban, continued, forked, loose];
    const auth = computeAuthority(g, records);
    expect(
      projectCommunity(records, auth)
        .threads.map((t) => t.title)
        .sort()
    ).toEqual(['first', 'second']);
    // An unban lifts it.
    const unban = await sealRecord(alice, { kind: 'ban', cid: g.id, ts: T0 + 9000, body: { member: bob.publicKey, banned: false } });
    expect(projectCommunity([...records, unban], computeAuthority(g, [...records, unban])).threads).toHaveLength(5);
  });

  it('a demoted admin’s backdated ban does not count; their admin acts the demotion saw stay', async () => {
    const alice = await newMember();
    const [bob, carol, dave] = await Promise.all([newMember(), newMember(), newMember()]);
    const g = await newCommunity(alice);
    const base = [
      ...(await admit(alice, bob, g.id, T0 + 10, 'admin')),
      ...(await admit(alice, carol, g.id, T0 + 20)),
      ...(await admit(alice, dave, g.id, T0 + 30))
    ];
    const banDave = await sealRecord(bob, { kind: 'ban', cid: g.id, ts: T0 + 1000, prev: base[1].id, body: { member: dave.publicKey, banned: true } });
    const demote = await sealRecord(alice, {
      kind: 'grant',
      cid: g.id,
      ts: T0 + 2000,
      body: { member: bob.publicKey, role: 'member', heads: chainHeads([base[1], banDave]) }
    });
    const backdated = await sealRecord(bob, { kind: 'ban', cid: g.id, ts: T0 + 1500, prev: banDave.id, body: { member: carol.publicKey, banned: true } });
    const auth = computeAuthority(g, [...base, banDave, demote, backdated]);
    expect(auth.roleOf(bob.publicKey)).toBe('member');
    expect(auth.members.get(dave.publicKey)?.bannedAt).toBe(T0 + 1000);
    expect(auth.members.get(carol.publicKey)?.bannedAt).toBeNull();
  });

  it('the receiving-side quota holds back a flood past the hour’s budget, the same records on every peer', async () => {
    const alice = await newMember();
    const bob = await newMember();
    const g = await newCommunity(alice);
    const [inv, join] = await admit(alice, bob, g.id);
    const flood = await Promise.all(
      Array.from({ length: 150 }, (_, i) => sealRecord(bob, { kind: 'thread', cid: g.id, ts: T0 + 10_000 + i, body: { title: `spam ${i}`, body: '' } }))
    );
    const mine = await Promise.all(
      Array.from({ length: 100 }, (_, i) => sealRecord(alice, { kind: 'thread', cid: g.id, ts: T0 + 10_000 + i, body: { title: `news ${i}`, body: '' } }))
    );
    const records = [g, inv, join, ...flood, ...mine];
    const auth = computeAuthority(g, records);
    const staff = (k: string) => auth.isModerator(k) || k === auth.creator;
    const held = heldBack(records, auth.trustOf, staff);
    expect(held.size).toBe(150 + 1 - QUOTAS[0].records); // the join shares the hour with the flood
    expect(heldBack([...records].reverse(), auth.trustOf, staff)).toEqual(held);
    expect(flood.slice(0, QUOTAS[0].records - 1).every((r) => !held.has(r.id))).toBe(true);
  });
});

describe('standing at a moment', () => {
  it('roleAt and trustAt follow grants and trust records in time; a demoted admin acts only inside the causal past the demotion named', async () => {
    const creator = await newMember();
    const bob = await newMember();
    const g = await newCommunity(creator);
    const [inv, join] = await admit(creator, bob, g.id, T0 + 100, 'admin');
    const early = await sealRecord(bob, { kind: 'checkpoint', cid: g.id, ts: T0 + 1000, body: { records: 1 }, prev: join.id });
    const trust = await sealRecord(creator, { kind: 'trust', cid: g.id, ts: T0 + 1500, body: { member: bob.publicKey, level: 2 } });
    const demote = await sealRecord(creator, { kind: 'grant', cid: g.id, ts: T0 + 3000, body: { member: bob.publicKey, role: 'member', heads: [early.id] } });
    // Written after the demotion but dated before it: outside the causal past the demotion named.
    const backdated = await sealRecord(bob, { kind: 'checkpoint', cid: g.id, ts: T0 + 2000, body: { records: 2 }, prev: early.id });
    const auth = computeAuthority(g, [g, inv, join, early, trust, demote, backdated] as AnyRecord[]);
    expect(auth.roleAt(bob.publicKey, T0 + 50)).toBeNull();
    expect(auth.roleAt(bob.publicKey, T0 + 2000)).toBe('admin');
    expect(auth.roleAt(bob.publicKey, T0 + 3000)).toBe('member');
    expect(auth.roleAt(creator.publicKey, T0 + 3000)).toBe('creator');
    expect(auth.trustAt(bob.publicKey, T0 + 1000)).toBe(0);
    expect(auth.trustAt(bob.publicKey, T0 + 1500)).toBe(2);
    expect(auth.mayAct(early)).toBe(true);
    expect(auth.mayAct(backdated)).toBe(false);
    expect(auth.accepts(backdated)).toBe(true); // still shown as a post would be: only its authority is void
  });
});
