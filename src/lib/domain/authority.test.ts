import { describe, expect, it } from 'vitest';
import { sealRecord } from '../crypto/record-seal';
import { admit, newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import { computeAuthority } from './authority';
import { projectCommunity } from './posts';

const T0 = 1_700_000_000_000;

async function invite(creator: Awaited<ReturnType<typeof newMember>>, cid: string, body: Partial<{ role: 'member' | 'admin' | 'moderator'; expiresAt: number | null; maxUses: number | null }>, ts = T0 + 100) {
  return sealRecord(creator, { kind: 'invite', cid, ts, body: { role: 'member', expiresAt: null, maxUses: null, label: 'l', nonce: 'n', ...body } });
}

describe('membership from invites and joins', () => {
  it('a join bound to a valid invite makes a member with the invite’s role and tier', async () => {
    const alice = await newMember();
    const bob = await newMember();
    const g = await newCommunity(alice);
    const inv = await sealRecord(alice, { kind: 'invite', cid: g.id, ts: T0 + 1, body: { role: 'moderator', tier: 'gold', expiresAt: null, maxUses: 5, label: 'mods', nonce: 'n' } });
    const join = await sealRecord(bob, { kind: 'join', cid: g.id, ts: T0 + 2, body: { invite: inv.id } });
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
    const join = (who: typeof bob, inv: { id: string }, ts: number) => sealRecord(who, { kind: 'join', cid: g.id, ts, body: { invite: inv.id } });
    const records = [
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
    const auth = computeAuthority(g, records);
    expect([...auth.members.keys()].sort()).toEqual([alice.publicKey, erin.publicKey].sort());
  });

  it('uses are counted in (ts, id) order, the same on every peer', async () => {
    const alice = await newMember();
    const [bob, carol] = await Promise.all([newMember(), newMember()]);
    const g = await newCommunity(alice);
    const once = await invite(alice, g.id, { maxUses: 1 });
    const late = await sealRecord(bob, { kind: 'join', cid: g.id, ts: T0 + 300, body: { invite: once.id } });
    const early = await sealRecord(carol, { kind: 'join', cid: g.id, ts: T0 + 200, body: { invite: once.id } });
    for (const order of [[once, late, early], [early, late, once]]) {
      expect([...computeAuthority(g, order).members.keys()]).toEqual([alice.publicKey, carol.publicKey]);
    }
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
    const carolJoin = await sealRecord(carol, { kind: 'join', cid: g.id, ts: T0 + 4000, body: { invite: bobInvite.id } });
    const daveJoin = await sealRecord(dave, { kind: 'join', cid: g.id, ts: T0 + 4000, body: { invite: bobModInvite.id } });
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
