// Content limited to a points level: the level every peer judges by is the one staff automation
// published (`level` records), and the scope's keys follow it like a tier's follow payments.
import { describe, expect, it } from 'vitest';
import { admit, chainWriter, newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import { keyringOf, rotate, share } from '../../../tests/unit/keys-fixture';
import { openContent, sealContent } from '../crypto/content-seal';
import { sealRecord } from '../crypto/record-seal';
import { computeAuthority } from './authority';
import { levelRule, type AutomationState } from './automation';
import { scopeStatus, validKeyRecords } from './epochs';
import { DEFAULT_SETTINGS } from './membership';
import { levelLock, LEVEL_AT, pointsLevels, pointsToLevel } from './points';
import type { AnyRecord } from './record';
import { entitledMembers, isEntitled, pointsLevelOf, pointsScope, scopeContext } from './scopes';

const DAY = 86_400_000;
const T0 = 1_700_000_000_000;
const at = (days: number) => T0 + days * DAY;
const L3 = pointsScope(3);

/** Creator, an admin, Alice and Bob (members); Alice is published at level 3 on day 5. */
async function community() {
  const [creator, admin, alice, bob] = await Promise.all([newMember(), newMember(), newMember(), newMember()]);
  const genesis = await newCommunity(creator);
  const cid = genesis.id;
  const c = chainWriter(creator, cid, T0 + 10_000);
  const records: AnyRecord[] = [
    genesis,
    ...(await admit(creator, admin, cid, T0 + 1000, 'admin')),
    ...(await admit(creator, alice, cid, T0 + 2000)),
    ...(await admit(creator, bob, cid, T0 + 3000)),
    await c('level', { member: alice.publicKey, level: 3 }, at(5))
  ];
  const judge = (extra: AnyRecord[] = []) => {
    const all = [...records, ...extra];
    const auth = computeAuthority(genesis, all);
    const ctx = scopeContext(all, auth);
    return { all, auth, ctx, view: validKeyRecords(all, ctx) };
  };
  return { creator, admin, alice, bob, genesis, cid, c, records, judge };
}

describe('points-level scopes', () => {
  it('a published level entitles from its time on; before it, and for a member never published, only level 1', async () => {
    const { creator, admin, alice, bob, judge } = await community();
    const { ctx, auth } = judge();
    expect(auth.levelAt(alice.publicKey, at(4))).toBe(1);
    expect(auth.levelAt(alice.publicKey, at(5))).toBe(3);
    expect(isEntitled(ctx, alice.publicKey, L3, at(4))).toBe(false);
    expect(isEntitled(ctx, alice.publicKey, L3, at(6))).toBe(true);
    expect(isEntitled(ctx, alice.publicKey, pointsScope(4), at(6))).toBe(false);
    expect(isEntitled(ctx, bob.publicKey, L3, at(6))).toBe(false);
    expect(entitledMembers(ctx, L3, at(6))).toEqual([creator.publicKey, admin.publicKey, alice.publicKey].sort());
    expect(pointsLevelOf(L3)).toBe(3);
    expect(pointsScope(1)).toBe('all');
  });

  it('a level record signed by a member (or naming themselves) is ignored by every peer', async () => {
    const { bob, cid, judge } = await community();
    const forged = await writer(bob, cid)('level', { member: bob.publicKey, level: 9 }, at(6));
    const { ctx, auth } = judge([forged]);
    expect(auth.levelAt(bob.publicKey, at(7))).toBe(1);
    expect(isEntitled(ctx, bob.publicKey, pointsScope(9), at(7))).toBe(false);
  });

  it('a level epoch wrapped for a member below the level is refused in whole; Alice opens content once her key is shared, Bob never', async () => {
    const { creator, admin, alice, bob, cid, judge } = await community();
    const base = judge();
    // Started on day 2, before Alice reached the level: only staff hold it.
    const epoch = await rotate(creator, cid, at(2), L3, entitledMembers(base.ctx, L3, at(2)), [], 'start');
    const leaky = await rotate(creator, cid, at(2), L3, [...entitledMembers(base.ctx, L3, at(2)), bob.publicKey]);
    expect(judge(leaky.records).view.rejected.map((r) => r.reason)).toEqual(['key.recipient_not_entitled']);

    const s1 = judge(epoch.records);
    expect(scopeStatus(s1.view, s1.ctx, L3, at(6)).missing).toEqual([{ epoch: epoch.epoch, members: [alice.publicKey] }]);
    const adminKey = (await keyringOf(admin, s1.view, cid)).get(epoch.epoch)!;
    // A share dated before her level was published is refused; after, accepted.
    expect(judge([...epoch.records, ...(await share(admin, cid, at(4), adminKey, [alice.publicKey]))]).view.rejected.map((r) => r.reason)).toEqual([
      'key.recipient_not_entitled'
    ]);
    const granted = await share(admin, cid, at(6), adminKey, [alice.publicKey]);
    const s2 = judge([...epoch.records, ...granted]);
    expect(s2.view.rejected).toEqual([]);

    const sealed = await sealContent(
      { cid, author: creator.publicKey, ts: at(3) },
      'thread',
      { title: 'Level 3 lesson', body: 'the good part', level: 3 },
      (await keyringOf(creator, s2.view, cid)).get(epoch.epoch)!
    );
    if (!sealed.ok) throw new Error(sealed.reason);
    const post = await sealRecord(creator, { kind: 'sealed', cid, ts: at(3), body: sealed.value });
    expect(post.body.sealed.scope).toBe(L3);
    const opened = await openContent(post, await keyringOf(alice, s2.view, cid));
    expect(opened.ok && opened.value.body).toMatchObject({ title: 'Level 3 lesson' });
    expect(await openContent(post, await keyringOf(bob, s2.view, cid))).toEqual({ ok: false, reason: 'no_key' });
  });

  it('a member published below the level again makes a new epoch due (removal)', async () => {
    const { creator, alice, cid, c, judge } = await community();
    const base = judge();
    const epoch = await rotate(creator, cid, at(6), L3, entitledMembers(base.ctx, L3, at(6)), [], 'start');
    const drop = await c('level', { member: alice.publicKey, level: 2 }, at(8));
    const s = judge([...epoch.records, drop]);
    expect(scopeStatus(s.view, s.ctx, L3, at(7)).due).toEqual([]);
    expect(scopeStatus(s.view, s.ctx, L3, at(9)).due).toEqual([{ kind: 'removal', members: [alice.publicKey] }]);
  });
});

describe('the level rule', () => {
  it('publishes a level only for members whose computed level differs from the published one', async () => {
    const { alice, bob, admin, judge } = await community();
    const { auth } = judge();
    const contributions = new Map([
      [alice.publicKey, { threads: 7 } as never], // 21 points: level 3, already published
      [bob.publicKey, { threads: 2 } as never], // 6 points: level 2
      [admin.publicKey, {} as never] // level 1, as published by default
    ]);
    const state = { now: at(10), auth, settings: DEFAULT_SETTINGS, levelNow: pointsLevels(contributions) } as unknown as AutomationState;
    expect(levelRule(state).map((a) => a.body)).toEqual([{ member: bob.publicKey, level: 2 }]);
  });

  it('says how many points are still needed for a level, and none once reached', () => {
    expect(pointsToLevel(6, 3)).toBe(14);
    expect(pointsToLevel(20, 3)).toBe(0);
    expect(pointsToLevel(3, 2, [0, 10, 30])).toBe(7);
  });

  it('a locked card tells a member below the level their level and points to go, and once they have the points that only the key is awaited', () => {
    const standing = (points: number, published: number) => ({ points, level: points >= 5 ? 2 : 1, published, thresholds: LEVEL_AT });
    expect(levelLock(2, standing(3, 1))).toEqual({ level: 2, mine: 1, toGo: 2, waiting: false });
    expect(levelLock(2, standing(5, 1))).toEqual({ level: 2, mine: 2, toGo: 0, waiting: true });
    // Published already (this device counts fewer points, e.g. reactions sealed in a tier it cannot read).
    expect(levelLock(2, standing(3, 2))).toMatchObject({ mine: 2, waiting: true });
  });
});
