import { describe, expect, it } from 'vitest';
import { sealRecord } from '../crypto/record-seal';
import { inviteKey, joinBody, newMember } from '../../../tests/unit/community-fixture';
import type { Identity } from '../crypto/identity';
import { computeAuthority } from './authority';
import { projectMembers } from './posts';
import { digestRule, evaluateRules, firstPerAutoKey, isoWeek, reminderRule, trustRule, welcomeRule, type AutomationState } from './automation';
import {
  DEFAULT_SETTINGS,
  contributions,
  currentSettings,
  memberTier,
  postingAllowed,
  recommendationDiversity,
  renewalRate,
  settingsJudgeFromMembers,
  tierDefinitions,
  trustLevels,
  watchedWordAction,
  withDiversity
} from './membership';
import { parseRecord, type AnyRecord, type BodyOf, type Kind, type SignedRecord } from './record';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 5); // a Monday

async function club() {
  const [alice, bob, carol] = await Promise.all([newMember(), newMember(), newMember()]);
  const g = await sealRecord(alice, { kind: 'genesis', cid: '', ts: T0, body: { name: 'Club', description: '', color: '#000000', createdAt: T0, nonce: 'n' } });
  const seal = <K extends Kind>(who: Identity, kind: K, body: BodyOf<K>, ts: number) => sealRecord(who, { kind, cid: g.id, ts, body }) as Promise<AnyRecord>;
  const gold = await seal(alice, 'tier', { name: 'gold', price: '¥99/month', benefits: 'live Q&A', durationDays: 30 }, T0 + 1);
  const invite = await seal(
    alice,
    'invite',
    { role: 'member', tier: 'gold', expiresAt: null, maxUses: null, label: 'gold', nonce: 'x', ...inviteKey() },
    T0 + 2
  );
  const free = await seal(alice, 'invite', { role: 'member', expiresAt: null, maxUses: null, label: 'free', nonce: 'y', ...inviteKey() }, T0 + 3);
  const joinBob = await seal(bob, 'join', joinBody(invite as SignedRecord<'invite'>, bob), T0 + DAY);
  const joinCarol = await seal(carol, 'join', joinBody(free as SignedRecord<'invite'>, carol), T0 + DAY);
  const records = [g, gold, invite, free, joinBob, joinCarol];
  return { alice, bob, carol, g, seal, records };
}

describe('tiers and expiry', () => {
  it('an invite tier lasts its duration, then grace, then the member is back on the free tier', async () => {
    const { bob, carol, g, records } = await club();
    const auth = computeAuthority(g as SignedRecord<'genesis'>, records);
    const tiers = tierDefinitions(records, auth);
    const at = (days: number) => memberTier(bob.publicKey, auth, tiers, [], 7, T0 + DAY + days * DAY);
    expect(at(29.99)).toMatchObject({ tier: 'gold', status: 'active', expiresAt: T0 + 31 * DAY });
    expect(at(30)).toMatchObject({ tier: 'gold', status: 'grace' });
    expect(at(36.99)).toMatchObject({ tier: 'gold', status: 'grace' });
    expect(at(37)).toMatchObject({ tier: null, status: 'expired', lastTier: 'gold' });
    expect(memberTier(carol.publicKey, auth, tiers, [], 7, T0 + 400 * DAY)).toMatchObject({ tier: null, status: 'free' });
  });

  it('a payment before the end renews from the end; after the grace it starts a new period; members cannot record payments', async () => {
    const { alice, bob, carol, g, seal, records } = await club();
    const auth = computeAuthority(g as SignedRecord<'genesis'>, records);
    const tiers = tierDefinitions(records, auth);
    const renew = (await seal(
      alice,
      'payment',
      { member: bob.publicKey, tier: 'gold', amount: 99, currency: 'CNY', paidOn: '2026-02-01' },
      T0 + 27 * DAY
    )) as SignedRecord<'payment'>;
    const forged = (await seal(
      carol,
      'payment',
      { member: carol.publicKey, tier: 'gold', amount: 0, currency: 'CNY', paidOn: '2026-02-01' },
      T0 + 27 * DAY
    )) as SignedRecord<'payment'>;
    const renewed = memberTier(bob.publicKey, auth, tiers, [renew, forged], 7, T0 + 40 * DAY);
    expect(renewed).toMatchObject({ status: 'active', expiresAt: T0 + 61 * DAY, renewals: 1, payments: 1 });
    expect(memberTier(carol.publicKey, auth, tiers, [renew, forged], 7, T0 + 40 * DAY).status).toBe('free');

    const late = (await seal(
      alice,
      'payment',
      { member: bob.publicKey, tier: 'gold', amount: 99, currency: 'CNY', paidOn: '2026-03-01' },
      T0 + 60 * DAY
    )) as SignedRecord<'payment'>;
    const restarted = memberTier(bob.publicKey, auth, tiers, [late], 7, T0 + 60 * DAY);
    expect(restarted).toMatchObject({ status: 'active', renewals: 0, expiresAt: Date.UTC(2026, 2, 1) + 30 * DAY });
    expect(renewalRate([renewed, memberTier(bob.publicKey, auth, tiers, [], 7, T0 + 90 * DAY)])).toBe(0.5);
  });
});

describe('trust levels', () => {
  it('reaches each level exactly at its thresholds and drops back when activity leaves the window', async () => {
    const { alice, bob, carol, g, seal, records } = await club();
    const settings = {
      ...DEFAULT_SETTINGS,
      trust: {
        levels: [
          { daysActive: 1, replies: 1, reactionsReceived: 0, daysSinceJoining: 0 },
          { daysActive: 3, replies: 3, reactionsReceived: 2, daysSinceJoining: 7 },
          { daysActive: 10, replies: 10, reactionsReceived: 5, daysSinceJoining: 30 }
        ],
        windowDays: 30
      }
    };
    const t = (await seal(alice, 'thread', { title: 't', body: '' }, T0 + 2 * DAY)) as SignedRecord<'thread'>;
    const replies: AnyRecord[] = [];
    for (let d = 0; d < 3; d++) replies.push(await seal(bob, 'reply', { thread: t.id, parent: t.id, body: `r${d}` }, T0 + (2 + d) * DAY));
    const reactions = [
      await seal(alice, 'reaction', { target: replies[0].id, emoji: '👍', on: true }, T0 + 6 * DAY),
      await seal(carol, 'reaction', { target: replies[1].id, emoji: '👍', on: true }, T0 + 6 * DAY),
      await seal(bob, 'reaction', { target: replies[2].id, emoji: '👍', on: true }, T0 + 6 * DAY) // own post: does not count
    ];
    const all = [...records, t, ...replies, ...reactions];
    const auth = computeAuthority(g as SignedRecord<'genesis'>, all);
    const level = (now: number, extra: AnyRecord[] = []) => trustLevels([...all, ...extra], auth, settings, now).get(bob.publicKey)!;
    // Day 7 after joining (joined T0+1d): exactly at the level-2 threshold.
    // Active days: the join, three replies, the day of the reactions.
    expect(level(T0 + 8 * DAY)).toMatchObject({ level: 2, stats: { daysActive: 5, replies: 3, reactionsReceived: 2, daysSinceJoining: 7 } });
    expect(level(T0 + 8 * DAY - 1).level).toBe(1); // one millisecond short of 7 days
    expect(level(T0 + 8 * DAY, []).level).toBe(2);
    // Activity leaves the 30-day window: demoted to 0.
    expect(level(T0 + 60 * DAY).level).toBe(0);
    // A lock by the creator holds the level.
    const lock = await seal(alice, 'trust-lock', { member: bob.publicKey, level: 2 }, T0 + 50 * DAY);
    expect(level(T0 + 60 * DAY, [lock])).toMatchObject({ level: 2, locked: true });
    const notCreator = await seal(carol, 'trust-lock', { member: bob.publicKey, level: 3 }, T0 + 51 * DAY);
    expect(level(T0 + 60 * DAY, [lock, notCreator]).level).toBe(2);
    expect(trustLevels(all, auth, settings, T0 + 8 * DAY).get(alice.publicKey)?.level).toBe(3);
  });

  it('rate limits by level and slow mode per thread', () => {
    const now = T0 + 10 * DAY;
    const five = [1, 2, 3, 4, 5].map((m) => now - m * 60_000);
    expect(postingAllowed(0, five, now)).toMatchObject({ ok: false, reason: 'rate_limited' });
    expect(postingAllowed(1, five, now)).toEqual({ ok: true });
    expect(postingAllowed(3, [], now, 60, now - 30_000)).toEqual({ ok: false, reason: 'slow_mode', retryAt: now + 30_000 });
    expect(postingAllowed(3, [], now, 60, now - 61_000)).toEqual({ ok: true });
  });
});

describe('contributions', () => {
  it('counts threads, replies, accepted answers, check-ins and reactions from others', async () => {
    const { alice, bob, carol, g, seal, records } = await club();
    const q = await seal(bob, 'question', { title: 'q', body: '' }, T0 + 2 * DAY);
    const a = await seal(carol, 'answer', { question: q.id, body: 'a' }, T0 + 3 * DAY);
    const t = await seal(carol, 'thread', { title: 't', body: '' }, T0 + 3 * DAY);
    const all = [
      ...records,
      q,
      a,
      t,
      await seal(bob, 'accept', { question: q.id, answer: a.id }, T0 + 4 * DAY),
      await seal(bob, 'reaction', { target: t.id, emoji: '👍', on: true }, T0 + 4 * DAY),
      await seal(carol, 'reaction', { target: t.id, emoji: '👍', on: true }, T0 + 4 * DAY)
    ];
    const c = contributions(all, computeAuthority(g as SignedRecord<'genesis'>, all));
    expect(c.get(carol.publicKey)).toMatchObject({ threads: 1, answers: 1, answersAccepted: 1, reactionsReceived: 1, daysActive: 3 });
    expect(c.get(bob.publicKey)).toMatchObject({ questions: 1, answersAccepted: 0 });
    expect(c.get(alice.publicKey)?.lastActive).toBe(T0 + 3);
  });
});

describe('watched words', () => {
  const words = [
    { word: 'spam', action: 'flag' as const },
    { word: 'casino', action: 'block' as const },
    { word: '代购', action: 'block' as const },
    { word: '广告', action: 'flag' as const }
  ];
  it('matches English whole words case-insensitively and Chinese inside text', () => {
    expect(watchedWordAction('Best CASINO deals', words)).toEqual({ action: 'block', word: 'casino' });
    expect(watchedWordAction('no spamming here', words).action).toBeNull();
    expect(watchedWordAction('this is spam.', words)).toEqual({ action: 'flag', word: 'spam' });
    expect(watchedWordAction('专业代购日本商品', words)).toEqual({ action: 'block', word: '代购' });
    expect(watchedWordAction('看看这个广告吧', words)).toEqual({ action: 'flag', word: '广告' });
    expect(watchedWordAction('spam 和 代购', words).action).toBe('block');
  });
});

describe('automation rules', () => {
  async function state(now: number) {
    const { bob, carol, g, records } = await club();
    const auth = computeAuthority(g as SignedRecord<'genesis'>, records);
    const tiers = tierDefinitions(records, auth);
    const s: AutomationState = {
      now,
      auth,
      settings: DEFAULT_SETTINGS,
      names: new Map([
        [bob.publicKey, 'Bob'],
        [carol.publicKey, 'Carol']
      ]),
      tiers: [bob, carol].map((m) => memberTier(m.publicKey, auth, tiers, [], 7, now)),
      done: new Set(),
      lastActive: new Map(),
      topThreads: [{ id: 'x', title: 'Hot thread', replies: 9 }],
      openQuestions: [{ id: 'q', title: 'Open question?' }]
    };
    return { s, bob, carol, g };
  }

  it('welcomes each newcomer once, and not old members', async () => {
    const { s } = await state(T0 + 2 * DAY);
    const first = welcomeRule(s);
    expect(first).toHaveLength(2);
    expect(first.map((a) => a.body)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ text: expect.stringContaining('Welcome, Bob!') }),
        expect.objectContaining({ text: expect.stringContaining('Welcome, Carol!') })
      ])
    );
    for (const a of first) s.done.add(`${a.rule}:${a.key}`);
    expect(welcomeRule(s)).toEqual([]);
    expect(welcomeRule({ ...s, now: T0 + 30 * DAY, done: new Set() })).toEqual([]);
  });

  it('reminds before expiry at the configured edge, once per period', async () => {
    const expires = T0 + 31 * DAY;
    expect(reminderRule((await state(expires - 7 * DAY - 1)).s)).toEqual([]);
    const due = reminderRule((await state(expires - 7 * DAY)).s);
    expect(due).toHaveLength(1);
    expect(due[0]).toMatchObject({ rule: 'reminder', kind: 'notice' });
    // Data for each reader's app to word, not a sentence in two languages.
    expect(due[0].kind === 'notice' && due[0].body.message).toEqual({ type: 'reminder', tier: expect.any(String), expiresAt: expires });
    expect(due[0].kind === 'notice' && due[0].body.text).not.toMatch(/[\u4e00-\u9fff]/);
  });

  it('writes one digest per ISO week once the creator turns it on', async () => {
    const { s } = await state(T0 + 3 * DAY);
    expect(digestRule(s)).toEqual([]); // off by default
    s.settings = { ...DEFAULT_SETTINGS, automation: { ...DEFAULT_SETTINGS.automation, digest: { on: true } } };
    expect(isoWeek(T0)).toBe('2026-W02');
    expect(isoWeek(Date.UTC(2026, 0, 1))).toBe('2026-W01');
    expect(isoWeek(Date.UTC(2024, 11, 30))).toBe('2025-W01');
    const [digest] = digestRule(s);
    expect(digest).toMatchObject({ key: '2026-W02', kind: 'thread' });
    expect(digest.kind === 'thread' && digest.body.body).toContain('Hot thread');
    expect(digest.kind === 'thread' && digest.body.digest).toMatchObject({
      week: '2026-W02',
      top: [{ id: 'x', title: 'Hot thread', replies: 9 }],
      questions: [{ id: 'q', title: 'Open question?' }]
    });
    expect(digest.kind === 'thread' && `${digest.body.title}\n${digest.body.body}`).not.toMatch(/[\u4e00-\u9fff]/);
    s.done.add('digest:2026-W02');
    expect(digestRule(s)).toEqual([]);
  });

  it('publishes a trust level only when the computed one differs from the published one', async () => {
    const { s, bob, carol } = await state(T0 + 2 * DAY);
    s.trustNow = new Map([
      [bob.publicKey, 2],
      [carol.publicKey, 0]
    ]);
    const actions = trustRule(s);
    expect(actions).toEqual([{ rule: 'trust', key: `${bob.publicKey}:0:2`, kind: 'trust', body: { member: bob.publicKey, level: 2 } }]);
  });

  it('two admin devices running at once: every peer shows only the first record per key', async () => {
    const { s, g } = await state(T0 + 2 * DAY);
    const [phone, laptop] = [await newMember(), await newMember()];
    const make = (who: Identity, ts: number) =>
      Promise.all(
        evaluateRules(s).map((a) =>
          sealRecord(who, { kind: a.kind, cid: g.id, ts, body: { ...a.body, auto: { rule: a.rule, key: a.key, device: 'd' } } } as never)
        )
      );
    const fromPhone = await make(phone, T0 + 2 * DAY);
    const fromLaptop = await make(laptop, T0 + 2 * DAY + 5);
    const shown = firstPerAutoKey([...fromLaptop, ...fromPhone] as AnyRecord[] as never[]);
    expect(shown).toHaveLength(fromPhone.length);
    expect(new Set(shown)).toEqual(new Set(fromPhone));
  });
});

describe('recommendation diversity setting', () => {
  it('only the creator or an admin may set it, and only to off, some or more', () => {
    expect(withDiversity(DEFAULT_SETTINGS, 'creator', 'more')).toEqual({ ok: true, value: { ...DEFAULT_SETTINGS, diversity: 'more' } });
    expect(withDiversity(DEFAULT_SETTINGS, 'admin', 'some')).toMatchObject({ ok: true, value: { diversity: 'some' } });
    for (const role of ['moderator', 'member', null] as const)
      expect(withDiversity(DEFAULT_SETTINGS, role, 'more')).toEqual({ ok: false, reason: 'manage.diversity_staff_only' });
    for (const bad of ['lots', 0.3, '', null, 'OFF'])
      expect(withDiversity(DEFAULT_SETTINGS, 'creator', bad)).toEqual({ ok: false, reason: 'manage.diversity_bad_value' });
    expect(recommendationDiversity(DEFAULT_SETTINGS)).toBe('off');
  });

  it('every peer applies the latest setting by the creator or an admin and ignores a member’s or a moderator’s', async () => {
    const { alice, bob, carol, g, seal, records } = await club();
    const grant = await seal(alice, 'grant', { member: bob.publicKey, role: 'admin' }, T0 + 2 * DAY);
    const settingsBy = (who: Identity, diversity: 'off' | 'some' | 'more', ts: number) => seal(who, 'settings', { ...DEFAULT_SETTINGS, diversity }, ts);
    const byCreator = await settingsBy(alice, 'more', T0 + 3 * DAY);
    const byMember = await settingsBy(carol, 'off', T0 + 4 * DAY);
    const all = [...records, grant, byCreator, byMember];
    const diversity = (rs: AnyRecord[]) => recommendationDiversity(currentSettings(rs, computeAuthority(g as SignedRecord<'genesis'>, rs)));
    expect(diversity(all)).toBe('more');
    // Carol made a moderator: her later setting is ignored as well.
    const moderator = await seal(alice, 'grant', { member: carol.publicKey, role: 'moderator' }, T0 + 4 * DAY + 1);
    const byModerator = await settingsBy(carol, 'off', T0 + 4 * DAY + 2);
    expect(diversity([...all, moderator, byModerator])).toBe('more');
    const byAdmin = await settingsBy(bob, 'some', T0 + 5 * DAY);
    expect(diversity([...all, byAdmin])).toBe('some');
  });

  it('member rows judge settings as the replayed authority does, hostile ones included, and defer a banned author to it', async () => {
    const { alice, bob, carol, g, seal, records } = await club();
    const genesis = g as SignedRecord<'genesis'>;
    const settingsBy = (who: Identity, diversity: 'off' | 'some' | 'more', ts: number) => seal(who, 'settings', { ...DEFAULT_SETTINGS, diversity }, ts);
    const outsider = await newMember();
    const grantBob = await seal(alice, 'grant', { member: bob.publicKey, role: 'admin' }, T0 + 2 * DAY);
    const byCreator = await settingsBy(alice, 'some', T0 + 3 * DAY);
    // Hostile or void: a member's, a non-member's, one an admin backdated before joining, a held one.
    const byMember = await settingsBy(carol, 'more', T0 + 4 * DAY);
    const byOutsider = await settingsBy(outsider, 'more', T0 + 5 * DAY);
    const backdated = await settingsBy(bob, 'more', T0 + 1);
    const held = { ...(await settingsBy(bob, 'more', T0 + 6 * DAY)), held: 1 } as unknown as AnyRecord;
    const byAdmin = await settingsBy(bob, 'off', T0 + 7 * DAY);
    const demoteBob = await seal(alice, 'grant', { member: bob.publicKey, role: 'member' }, T0 + 8 * DAY);
    const promoteCarol = await seal(alice, 'grant', { member: carol.publicKey, role: 'admin' }, T0 + 8 * DAY);
    const cases: AnyRecord[][] = [
      [...records],
      [...records, grantBob, byCreator],
      [...records, grantBob, byCreator, byMember, byOutsider, backdated, held],
      [...records, grantBob, byCreator, byAdmin],
      [...records, grantBob, byCreator, byAdmin, demoteBob],
      [...records, grantBob, byCreator, byMember, promoteCarol],
      [...records, grantBob, backdated]
    ];
    for (const rs of cases) {
      const auth = computeAuthority(genesis, rs);
      const judge = settingsJudgeFromMembers(rs, projectMembers(g.id, rs, auth));
      expect(judge).not.toBeNull();
      expect(currentSettings(rs, judge!)).toEqual(currentSettings(rs, auth));
    }
    const judged = (rs: AnyRecord[]) =>
      recommendationDiversity(currentSettings(rs, settingsJudgeFromMembers(rs, projectMembers(g.id, rs, computeAuthority(genesis, rs)))!));
    expect(judged(cases[2])).toBe('some');
    expect(judged(cases[3])).toBe('off');
    expect(judged(cases[4])).toBe('some');
    expect(judged(cases[5])).toBe('more');
    expect(judged(cases[6])).toBe('off');
    // A banned author: only the replay knows which of their records the ban kept.
    const banBob = await seal(alice, 'ban', { member: bob.publicKey, banned: true }, T0 + 9 * DAY);
    const banned = [...records, grantBob, byCreator, byAdmin, banBob];
    expect(settingsJudgeFromMembers(banned, projectMembers(g.id, banned, computeAuthority(genesis, banned)))).toBeNull();
  });

  it('the record gate refuses a settings record with an unknown diversity', async () => {
    const { alice, seal } = await club();
    const good = await seal(alice, 'settings', { ...DEFAULT_SETTINGS, diversity: 'more' }, T0 + DAY);
    expect(parseRecord(good)).toMatchObject({ ok: true });
    const bad = await seal(alice, 'settings', { ...DEFAULT_SETTINGS, diversity: 'lots' } as unknown as BodyOf<'settings'>, T0 + DAY);
    expect(parseRecord(bad)).toEqual({ ok: false, reason: 'record.malformed' });
  });
});
