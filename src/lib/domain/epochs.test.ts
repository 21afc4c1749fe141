import { describe, expect, it } from 'vitest';
import { admit, chainWriter, newCommunity, newMember } from '../../../tests/unit/community-fixture';
import { keyringOf, rotate, share } from '../../../tests/unit/keys-fixture';
import { acceptedKeys } from '../crypto/epoch-keys';
import { openContent, sealContent } from '../crypto/content-seal';
import { sealRecord } from '../crypto/record-seal';
import type { Identity } from '../crypto/identity';
import { computeAuthority } from './authority';
import { currentEpochs, epochForSealing, INCOMPLETE_EPOCH_MS, judgedAlike, scopeStatus, validKeyRecords, type EpochView } from './epochs';
import type { AnyRecord, SignedRecord } from './record';
import { entitledMembers, isEntitled, scopeContext, type Scope } from './scopes';

const DAY = 86_400_000;
const T0 = 1_700_000_000_000; // 2023-11-14
const at = (days: number) => T0 + days * DAY;
const GOLD: Scope = 'tier:Gold';

/** Creator, an admin, Alice (pays for Gold on 2023-11-15, 30 days + 7 days' grace), Bob (free), Mallory. */
async function community() {
  const creator = await newMember();
  const admin = await newMember();
  const alice = await newMember();
  const bob = await newMember();
  const mallory = await newMember();
  const genesis = await newCommunity(creator);
  const cid = genesis.id;
  const c = chainWriter(creator, cid, T0 + 10_000);
  const records: AnyRecord[] = [
    genesis,
    ...(await admit(creator, admin, cid, T0 + 1000, 'admin')),
    ...(await admit(creator, alice, cid, T0 + 2000)),
    ...(await admit(creator, bob, cid, T0 + 3000)),
    ...(await admit(creator, mallory, cid, T0 + 4000)),
    await c('tier', { name: 'Gold', price: '$5', benefits: 'Deep dives', durationDays: 30 }),
    await c('payment', { member: alice.publicKey, tier: 'Gold', amount: 5, currency: 'USD', paidOn: '2023-11-15' }, at(1))
  ];
  const judge = (extra: AnyRecord[] = []) => {
    const all = [...records, ...extra];
    const auth = computeAuthority(genesis, all);
    const ctx = scopeContext(all, auth);
    return { all, auth, ctx, view: validKeyRecords(all, ctx) };
  };
  return { creator, admin, alice, bob, mallory, genesis, cid, c, records, judge };
}

async function post(author: Identity, cid: string, ts: number, key: Parameters<typeof sealContent>[3], title: string): Promise<SignedRecord<'sealed'>> {
  const sealed = await sealContent({ cid, author: author.publicKey, ts }, 'thread', { title, body: `${title} body` }, key);
  if (!sealed.ok) throw new Error(sealed.reason);
  return sealRecord(author, { kind: 'sealed', cid, ts, body: sealed.value });
}

describe('scopes and entitlement', () => {
  it('a paid tier entitles through its grace days, not after; staff read every scope; a free member reads only "all"', async () => {
    const { creator, admin, alice, bob, judge } = await community();
    const { ctx } = judge();
    expect(isEntitled(ctx, alice.publicKey, GOLD, at(20))).toBe(true);
    expect(isEntitled(ctx, alice.publicKey, GOLD, at(35))).toBe(true); // grace
    expect(isEntitled(ctx, alice.publicKey, GOLD, at(40))).toBe(false);
    expect(isEntitled(ctx, alice.publicKey, GOLD, T0 + 5000)).toBe(false); // before she paid
    expect(isEntitled(ctx, bob.publicKey, GOLD, at(20))).toBe(false);
    expect(isEntitled(ctx, bob.publicKey, 'all', at(20))).toBe(true);
    expect(entitledMembers(ctx, GOLD, at(20))).toEqual([creator.publicKey, admin.publicKey, alice.publicKey].sort());
  });
});

describe('key records', () => {
  it('every entitled member opens content sealed under a new epoch; a free member holds no Gold epoch key', async () => {
    const { creator, alice, bob, admin, cid, judge } = await community();
    const first = judge();
    const gold = await rotate(creator, cid, at(2), GOLD, entitledMembers(first.ctx, GOLD, at(2)), [], 'start');
    const { view } = judge(gold.records);
    expect(view.rejected).toEqual([]);
    expect(currentEpochs(view, GOLD).map((e) => e.id)).toEqual([gold.epoch]);
    const aliceRing = acceptedKeys(await keyringOf(alice, view, cid), view);
    const p = await post(alice, cid, at(3), aliceRing.get(gold.epoch)!, 'Gold notes');
    for (const reader of [creator, admin, alice]) {
      const opened = await openContent(p, acceptedKeys(await keyringOf(reader, view, cid), view));
      expect(opened).toEqual({ ok: true, value: { kind: 'thread', body: { title: 'Gold notes', body: 'Gold notes body' } } });
    }
    const bobRing = await keyringOf(bob, view, cid);
    expect(bobRing.size).toBe(0);
    expect(await openContent(p, bobRing)).toEqual({ ok: false, reason: 'no_key' });
  });

  it('a key record by a member who is not the creator or an admin is rejected', async () => {
    const { bob, cid, judge } = await community();
    const forged = await rotate(bob, cid, at(2), 'all', [bob.publicKey]);
    const { view } = judge(forged.records);
    expect(view.epochs.size).toBe(0);
    expect(view.rejected.map((r) => r.reason)).toEqual(['key.not_staff']);
    expect((await keyringOf(bob, view, cid)).size).toBe(0);
  });

  it('a key record wrapping for a banned member is rejected in whole, every part of it', async () => {
    const { creator, mallory, cid, c, judge } = await community();
    const ban = await c('ban', { member: mallory.publicKey, banned: true }, at(2));
    const everyone = [...judge([ban]).auth.members.keys()];
    const leaky = await rotate(creator, cid, at(3), 'all', everyone);
    const { view } = judge([ban, ...leaky.records]);
    expect(view.epochs.size).toBe(0);
    expect(view.rejected.map((r) => r.reason)).toEqual(['key.recipient_not_entitled']);
    // Before the ban the same recipients were fine.
    const before = await rotate(creator, cid, at(1), 'all', everyone);
    expect(judge([ban, ...before.records]).view.epochs.has(before.epoch)).toBe(true);
  });

  it("a newcomer holding the core without ordinary members' joins accepts the epoch and its share; their joins, once in, are judged as before", async () => {
    const { creator, admin, alice, bob, mallory, cid, genesis, records, c } = await community();
    const ban = await c('ban', { member: mallory.publicKey, banned: true }, at(2));
    const newcomer = await newMember();
    const [invite, join] = await admit(creator, newcomer, cid, at(3));
    const everyone = [creator, admin, alice, bob].map((m) => m.publicKey);
    const epoch = await rotate(creator, cid, at(4), 'all', everyone);
    const withAll = [...records, ban, ...epoch.records];
    const creatorKey = (await keyringOf(creator, validKeyRecords(withAll, scopeContext(withAll, computeAuthority(genesis, withAll))), cid)).get(epoch.epoch)!;
    const handed = await share(creator, cid, at(5), creatorKey, [newcomer.publicKey]);
    // The newcomer's device: the genesis, invites, staff's joins, the ban, keys; not Alice's, Bob's or Mallory's joins.
    const ordinary = new Set([alice, bob, mallory].map((m) => m.publicKey));
    const lean = [...records.filter((r) => !(r.kind === 'join' && ordinary.has(r.author))), ban, invite, join, ...epoch.records, ...handed];
    const judgeOn = (all: AnyRecord[]) => {
      const auth = computeAuthority(genesis, all);
      return validKeyRecords(all, scopeContext(all, auth));
    };
    const early = judgeOn(lean);
    expect(early.rejected).toEqual([]);
    expect(early.shares.map((r) => r.id)).toEqual(handed.map((r) => r.id));
    expect(acceptedKeys(await keyringOf(newcomer, early, cid), early).has(epoch.epoch)).toBe(true);
    // A wrap for Mallory is judged on the ban alone (her join has not come): the epoch is refused.
    const leaky = await rotate(creator, cid, at(6), 'all', [...everyone, mallory.publicKey], [epoch.epoch]);
    expect(judgeOn([...lean, ...leaky.records]).epochs.has(leaky.epoch)).toBe(false);
    // With every join in, as before: the first epoch counts, the leaky one does not.
    const full = judgeOn([...records, ban, invite, join, ...epoch.records, ...handed, ...leaky.records]);
    expect(full.epochs.has(epoch.epoch)).toBe(true);
    expect(full.epochs.has(leaky.epoch)).toBe(false);
    expect(full.shares.map((r) => r.id)).toEqual(handed.map((r) => r.id));
  });

  it('a wrap for a key no join names is not judged; once its join is in, a refused join rejects the epoch and an accepted one keeps it', async () => {
    const { creator, admin, cid, genesis, records } = await community();
    const stranger = await newMember();
    const [invite, join] = await admit(creator, stranger, cid, at(1));
    // The join names an invite this device never accepted (say, by a member without invite rights): not a member.
    const refusedJoin = { ...join, body: { ...join.body, invite: 'x'.repeat(43) } } as AnyRecord;
    const epoch = await rotate(creator, cid, at(2), 'all', [creator.publicKey, admin.publicKey, stranger.publicKey]);
    const judgeOn = (all: AnyRecord[]) => validKeyRecords(all, scopeContext(all, computeAuthority(genesis, all)));
    expect(judgeOn([...records, ...epoch.records]).epochs.has(epoch.epoch)).toBe(true);
    expect(judgeOn([...records, invite, refusedJoin, ...epoch.records]).epochs.has(epoch.epoch)).toBe(false);
    expect(judgeOn([...records, invite, join, ...epoch.records]).epochs.has(epoch.epoch)).toBe(true);
  });

  it('a wrap for a non-entitled member in one part rejects the other parts too', async () => {
    const { creator, bob, alice, cid, judge } = await community();
    const { bodies, epoch } = await (await import('../crypto/epoch-keys')).newEpoch({
      cid,
      scope: GOLD,
      parents: [],
      reason: 'start',
      recipients: [alice.publicKey]
    });
    const stray = await (await import('../crypto/epoch-keys')).newEpoch({ cid, scope: GOLD, parents: [], reason: 'start', recipients: [bob.publicKey] });
    const parts = [
      { ...bodies[0], parts: 2 },
      { ...bodies[0], parts: 2, part: 1, epk: stray.bodies[0].epk, wraps: stray.bodies[0].wraps }
    ];
    const records = await Promise.all(parts.map((body) => sealRecord(creator, { kind: 'key', cid, ts: at(2), body })));
    const { view } = judge(records);
    expect(view.epochs.has(epoch)).toBe(false);
    expect(view.rejected.map((r) => r.reason)).toEqual(['key.recipient_not_entitled', 'key.recipient_not_entitled']);
  });

  it('a replayed epoch nonce is rejected and the original epoch stays', async () => {
    const { creator, admin, alice, cid, judge } = await community();
    const first = await rotate(creator, cid, at(2), 'all', [creator.publicKey, alice.publicKey]);
    // Same nonce and body, signed again later (a replay), and by another admin.
    const replay = await sealRecord(creator, { kind: 'key', cid, ts: at(9), body: first.records[0].body });
    const stolen = await sealRecord(admin, { kind: 'key', cid, ts: at(9), body: first.records[0].body });
    // Same header, same part again, new wraps: a nonce reused.
    const again = await sealRecord(creator, {
      kind: 'key',
      cid,
      ts: at(2),
      body: { ...first.records[0].body, wraps: first.records[0].body.wraps.slice(0, 1) }
    });
    const { view } = judge([...first.records, replay, stolen, again]);
    expect([...view.epochs.keys()]).toEqual([first.epoch]);
    const reasons = new Map(view.rejected.map((r) => [r.record.id, r.reason]));
    expect(reasons.get(replay.id)).toBe('key.epoch_replayed');
    expect(reasons.get(stolen.id)).toBe('key.epoch_replayed');
    // Of two parts 0 with one header, the first by (ts, id) stays, on every peer.
    const [kept, dropped] = [first.records[0], again].sort((x, y) => (x.id < y.id ? -1 : 1));
    expect(view.epochs.get(first.epoch)!.records).toEqual([kept]);
    expect(reasons.get(dropped.id)).toBe('key.nonce_reused');
  });

  it('two concurrent rotations are both readable by every remaining member, and the next rotation merges them', async () => {
    const { creator, admin, alice, bob, mallory, cid, c, judge } = await community();
    const base = judge();
    const e0 = await rotate(creator, cid, at(1), 'all', entitledMembers(base.ctx, 'all', at(1)));
    const ban = await c('ban', { member: mallory.publicKey, banned: true }, at(2));
    const afterBan = judge([...e0.records, ban]);
    expect(scopeStatus(afterBan.view, afterBan.ctx, 'all', at(2)).due).toEqual([{ kind: 'removal', members: [mallory.publicKey] }]);
    // Creator and admin both notice and rotate, each from the same single leaf.
    const recipients = entitledMembers(afterBan.ctx, 'all', at(3));
    const byCreator = await rotate(creator, cid, at(3), 'all', recipients, [e0.epoch], 'removal');
    const byAdmin = await rotate(admin, cid, at(3) + 5, 'all', recipients, [e0.epoch], 'removal');
    const both = judge([...e0.records, ban, ...byCreator.records, ...byAdmin.records]);
    expect(both.view.rejected).toEqual([]);
    expect(new Set(currentEpochs(both.view, 'all').map((e) => e.id))).toEqual(new Set([byCreator.epoch, byAdmin.epoch]));
    expect(scopeStatus(both.view, both.ctx, 'all', at(4)).due).toEqual([]);
    const posts = [
      await post(alice, cid, at(4), (await keyringOf(alice, both.view, cid)).get(byCreator.epoch)!, 'one'),
      await post(bob, cid, at(4), (await keyringOf(bob, both.view, cid)).get(byAdmin.epoch)!, 'two')
    ];
    for (const reader of [creator, admin, alice, bob]) {
      const ring = await keyringOf(reader, both.view, cid);
      for (const p of posts) expect((await openContent(p, ring)).ok).toBe(true);
    }
    const malloryRing = await keyringOf(mallory, both.view, cid);
    expect([...malloryRing.keys()]).toEqual([e0.epoch]);
    for (const p of posts) expect(await openContent(p, malloryRing)).toEqual({ ok: false, reason: 'no_key' });
    // The next rotation lists both leaves: one current epoch again.
    const merge = await rotate(
      creator,
      cid,
      at(5),
      'all',
      recipients,
      currentEpochs(both.view, 'all').map((e) => e.id),
      'merge'
    );
    const merged = judge([...e0.records, ban, ...byCreator.records, ...byAdmin.records, ...merge.records]);
    expect(currentEpochs(merged.view, 'all').map((e) => e.id)).toEqual([merge.epoch]);
    expect(epochForSealing(merged.view, 'all', (id) => id === merge.epoch)?.id).toBe(merge.epoch);
  });

  it('a lapsed tier member opens Gold epochs from before expiry + grace, not those after, and the lapse makes a rotation due', async () => {
    const { creator, alice, cid, judge } = await community();
    const base = judge();
    const early = await rotate(creator, cid, at(2), GOLD, entitledMembers(base.ctx, GOLD, at(2)), [], 'start');
    const s1 = judge(early.records);
    expect(scopeStatus(s1.view, s1.ctx, GOLD, at(33)).due).toEqual([]); // in grace
    expect(scopeStatus(s1.view, s1.ctx, GOLD, at(40)).due).toEqual([{ kind: 'removal', members: [alice.publicKey] }]);
    const late = await rotate(creator, cid, at(40), GOLD, entitledMembers(s1.ctx, GOLD, at(40)), [early.epoch], 'removal');
    const s2 = judge([...early.records, ...late.records]);
    expect(s2.view.rejected).toEqual([]);
    const creatorRing = await keyringOf(creator, s2.view, cid);
    const before = await post(creator, cid, at(3), creatorRing.get(early.epoch)!, 'before');
    const after = await post(creator, cid, at(41), creatorRing.get(late.epoch)!, 'after');
    const aliceRing = await keyringOf(alice, s2.view, cid);
    expect((await openContent(before, aliceRing)).ok).toBe(true);
    expect(await openContent(after, aliceRing)).toEqual({ ok: false, reason: 'no_key' });
    // Wrapping the new epoch for her too would be refused in whole.
    const leaky = await rotate(creator, cid, at(40), GOLD, [creator.publicKey, alice.publicKey], [early.epoch]);
    expect(judge([...early.records, ...leaky.records]).view.rejected.map((r) => r.reason)).toEqual(['key.recipient_not_entitled']);
  });

  it('an admin shares the current key with a member who paid after the rotation; a share for a free member is refused', async () => {
    const { creator, admin, bob, cid, c, judge } = await community();
    const base = judge();
    const gold = await rotate(creator, cid, at(2), GOLD, entitledMembers(base.ctx, GOLD, at(2)));
    const pays = await c('payment', { member: bob.publicKey, tier: 'Gold', amount: 5, currency: 'USD', paidOn: '2023-11-20' }, at(6));
    const s1 = judge([...gold.records, pays]);
    expect(scopeStatus(s1.view, s1.ctx, GOLD, at(7)).missing).toEqual([{ epoch: gold.epoch, members: [bob.publicKey] }]);
    const adminKey = (await keyringOf(admin, s1.view, cid)).get(gold.epoch)!;
    const granted = await share(admin, cid, at(7), adminKey, [bob.publicKey]);
    const s2 = judge([...gold.records, pays, ...granted]);
    expect(s2.view.rejected).toEqual([]);
    expect(scopeStatus(s2.view, s2.ctx, GOLD, at(7)).missing).toEqual([]);
    expect((await keyringOf(bob, s2.view, cid)).get(gold.epoch)?.raw).toEqual(gold.key);
    // Before Bob paid, the same share is refused.
    const early = await share(admin, cid, at(3), adminKey, [bob.publicKey]);
    expect(judge([...gold.records, pays, ...early]).view.rejected.map((r) => r.reason)).toEqual(['key.recipient_not_entitled']);
  });

  it('the rotation schedule makes a rotation due rotateDays after the newest epoch', async () => {
    const { creator, cid, c, judge, records } = await community();
    const settings = await c('settings', { ...(await import('./membership')).DEFAULT_SETTINGS, rotateDays: 30 }, at(1));
    records.push(settings);
    const e = await rotate(creator, cid, at(2), 'all', [creator.publicKey]);
    const s = judge(e.records);
    expect(scopeStatus(s.view, s.ctx, 'all', at(31)).due.filter((d) => d.kind === 'schedule')).toEqual([]);
    expect(scopeStatus(s.view, s.ctx, 'all', at(32)).due.filter((d) => d.kind === 'schedule')).toEqual([{ kind: 'schedule', since: at(32) }]);
  });

  it('an epoch still missing a part ten minutes after its time makes a new epoch due; one whose parts are all in does not', async () => {
    const { creator, alice, bob, cid, judge } = await community();
    const { bodies, epoch } = await (await import('../crypto/epoch-keys')).newEpoch({
      cid,
      scope: 'all',
      parents: [],
      reason: 'start',
      recipients: [creator.publicKey, alice.publicKey, bob.publicKey]
    });
    // Part 0 of 2 published; part 1 never was (its author's tab died between them).
    const partial = await sealRecord(creator, { kind: 'key', cid, ts: at(2), body: { ...bodies[0], parts: 2 } });
    const s = judge([partial]);
    expect(s.view.epochs.get(epoch)?.complete).toBe(false);
    const due = (now: number) => scopeStatus(s.view, s.ctx, 'all', now).due.filter((d) => d.kind === 'incomplete');
    expect(due(at(2) + INCOMPLETE_EPOCH_MS - 1)).toEqual([]); // its other part may still be on its way
    expect(due(at(2) + INCOMPLETE_EPOCH_MS)).toEqual([{ kind: 'incomplete', epochs: [epoch] }]);
    // The next rotation lists it as a parent: it is no longer current.
    const next = await rotate(creator, cid, at(3), 'all', [creator.publicKey, alice.publicKey, bob.publicKey], [epoch]);
    const after = judge([partial, ...next.records]);
    expect(currentEpochs(after.view, 'all').map((e) => e.id)).toEqual([next.epoch]);
    expect(scopeStatus(after.view, after.ctx, 'all', at(3) + INCOMPLETE_EPOCH_MS).due).toEqual([]);
    // A whole epoch is never due for this.
    const whole = await rotate(creator, cid, at(2), 'all', [creator.publicKey, alice.publicKey, bob.publicKey]);
    const w = judge(whole.records);
    expect(scopeStatus(w.view, w.ctx, 'all', at(9)).due.filter((d) => d.kind === 'incomplete')).toEqual([]);
  });

  it('a demoted admin holding a Gold key makes a rotation due; key records they sign after the demotion are refused', async () => {
    const { creator, admin, cid, c, judge } = await community();
    const gold = await rotate(creator, cid, at(2), GOLD, entitledMembers(judge().ctx, GOLD, at(2)));
    const demote = await c('grant', { member: admin.publicKey, role: 'member' }, at(5));
    const s = judge([...gold.records, demote]);
    expect(scopeStatus(s.view, s.ctx, GOLD, at(6)).due).toEqual([{ kind: 'removal', members: [admin.publicKey] }]);
    const late = await rotate(admin, cid, at(6), GOLD, [creator.publicKey, admin.publicKey], [gold.epoch]);
    expect(judge([...gold.records, demote, ...late.records]).view.rejected.map((r) => r.reason)).toEqual(['key.not_staff']);
  });

  it('an epoch that lists a parent of another scope or a later one is refused', async () => {
    const { creator, cid, judge } = await community();
    const all = await rotate(creator, cid, at(2), 'all', [creator.publicKey]);
    const gold = await rotate(creator, cid, at(3), GOLD, [creator.publicKey], [all.epoch]);
    const { view } = judge([...all.records, ...gold.records]);
    expect(view.rejected.map((r) => r.reason)).toEqual(['key.bad_parent']);
  });
});

describe('key records judged again after a join', () => {
  const judged = (v: EpochView) => ({
    epochs: [...v.epochs.keys()].sort(),
    shares: v.shares.map((r) => r.id),
    rejected: v.rejected.map((r) => `${r.record.id}:${r.reason}`)
  });

  it('are judged alike when no key record names the newcomer, and not when one wraps for them or they wrote one', async () => {
    const { creator, admin, alice, bob, cid, records, judge } = await community();
    const dave = await newMember();
    const all = await rotate(
      creator,
      cid,
      at(2),
      'all',
      [creator, admin, alice, bob].map((m) => m.publicKey),
      [],
      'start'
    );
    const gold = await rotate(
      admin,
      cid,
      at(3),
      GOLD,
      [creator, admin, alice].map((m) => m.publicKey),
      [],
      'start'
    );
    const keys = [...all.records, ...gold.records];
    const before = judge(keys);
    const joined = judge([...keys, ...(await admit(creator, dave, cid, at(4)))]);
    expect(judgedAlike(before.all, new Set([dave.publicKey]))).toBe(true);
    expect(judged(joined.view)).toEqual(judged(before.view));
    // The admin wrote a key record; an epoch wrapped for Dave before his join.
    expect(judgedAlike(before.all, new Set([admin.publicKey]))).toBe(false);
    const early = await rotate(
      creator,
      cid,
      at(3),
      'all',
      [creator, admin, alice, bob, dave].map((m) => m.publicKey),
      [all.epoch]
    );
    expect(judgedAlike([...records, ...keys, ...early.records], new Set([dave.publicKey]))).toBe(false);
    expect(judgedAlike(before.all, new Set())).toBe(true);
  });
});
