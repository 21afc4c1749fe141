import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { en } from './en';
import { zhCN } from './zh-CN';
import { i18n } from './index.svelte';
import { autoLogText, digestText, noticeText, threadTitle } from './automation-text';

const names = new Map([
  ['k-bob', 'Bob'],
  ['k-carol', 'Carol']
]);
const nameOf = (k: string) => names.get(k) ?? k.slice(0, 8);
const EXPIRES = Date.UTC(2026, 5, 15, 12);

// The Chinese dictionary is loaded on demand; once loaded, switching is immediate.
beforeAll(() => i18n.load('zh-CN'));
afterEach(() => (i18n.lang = 'en'));

describe('counted messages', () => {
  it('use the plural form of the reader’s language', () => {
    i18n.lang = 'en';
    expect(i18n.plural('qa.answers', 1)).toBe('1 answer');
    expect(i18n.plural('qa.answers', 2)).toBe('2 answers');
    expect(i18n.plural('poll.voters', 1)).toBe('1 voter');
    expect(i18n.plural('challenge.streak', 1)).toBe('Current streak: 1 day');
    expect(i18n.plural('community.members', 12_345)).toBe('12,345 members');
    i18n.lang = 'zh-CN';
    expect(i18n.plural('qa.answers', 1)).toBe('1 个回答');
    expect(i18n.plural('community.members', 12_345)).toBe('12,345 位成员');
  });

  it('every plural message has its other form in both languages', () => {
    for (const key of Object.keys(en).filter((k) => k.endsWith('_one'))) {
      const other = key.replace(/_one$/, '_other');
      expect(en[other as keyof typeof en], other).toBeTruthy();
      expect(zhCN[other as keyof typeof zhCN], other).toBeTruthy();
    }
  });
});

describe('generated texts in the reader’s language', () => {
  const reminder = {
    text: 'Your gold membership ends on 2026-06-15. Renew to keep access.',
    message: { type: 'reminder' as const, tier: 'gold', expiresAt: EXPIRES }
  };
  const nudge = { text: 'x', message: { type: 'nudge' as const, count: 2, days: 1, members: ['k-bob', 'k-carol'] } };

  it('words one reminder record in English for one reader and in Chinese for another', () => {
    i18n.lang = 'en';
    expect(noticeText(reminder, nameOf)).toBe(`Your gold membership ends on ${i18n.date(EXPIRES)}. Renew to keep access.`);
    i18n.lang = 'zh-CN';
    const zh = noticeText(reminder, nameOf);
    expect(zh).toBe(`你的 gold 会员将于 ${i18n.date(EXPIRES)} 到期，续费即可继续访问。`);
    expect(zh).not.toMatch(/membership|Renew/);
  });

  it('names inactive members from the reader’s device and counts them properly', () => {
    i18n.lang = 'en';
    expect(noticeText(nudge, nameOf)).toBe('2 members have been inactive for 1 day or more: Bob and Carol');
    i18n.lang = 'zh-CN';
    expect(noticeText(nudge, nameOf)).toBe('有 2 位成员超过 1 天未活跃：Bob和Carol');
  });

  it('keeps a creator’s own welcome words, and a message without data as written', () => {
    expect(noticeText({ text: '欢迎来到车队！' }, nameOf)).toBe('欢迎来到车队！');
    i18n.lang = 'zh-CN';
    expect(noticeText({ text: 'Welcome, Bob! …', message: { type: 'welcome', name: 'Bob' } }, nameOf)).toMatch(/^欢迎你，Bob！/);
  });

  it('titles a digest from its week', () => {
    const row = { title: 'Weekly digest 2026-W24', digest: { week: '2026-W24', top: [], questions: [], newMembers: [] } };
    i18n.lang = 'zh-CN';
    expect(threadTitle(row)).toMatch(/^每周摘要（2026.*6.*8.*14/); // the week's days, not its ISO id
    expect(threadTitle(row)).not.toContain('W24');
    i18n.lang = 'en';
    expect(threadTitle(row)).toMatch(/^Weekly digest, Jun 8\s–\s14, 2026$/);
    i18n.lang = 'zh-CN';
    expect(threadTitle({ title: 'Plain thread' })).toBe('Plain thread');
  });

  it('the automation log names what ran and for whom, never a rule id or key', () => {
    const entry = { ts: EXPIRES, body: { to: 'k-bob', auto: { rule: 'reminder', key: 'k-bob:1781524800000', device: 'Chromium on Linux' } } };
    i18n.lang = 'en';
    const line = autoLogText(entry, nameOf);
    expect(line).toMatch(/^Renewal reminder to Bob · Chromium on Linux · /);
    expect(line).not.toContain('k-bob:');
    i18n.lang = 'zh-CN';
    expect(autoLogText(entry, nameOf)).toMatch(/^给 Bob 的续费提醒 · Linux 上的 Chromium · /);
  });
});

describe('generated texts with one and with two, in both languages', () => {
  const digest = (replies: number, members: string[]) => ({
    week: '2026-W24',
    top: [{ id: 't1', title: 'Ride', replies }],
    questions: [{ id: 'q1', title: 'Which tyres?' }],
    newMembers: members
  });
  const nudge = (count: number, days: number) => ({
    text: 'x',
    message: { type: 'nudge' as const, count, days, members: ['k-bob', 'k-carol'].slice(0, count) }
  });
  const log = (rule: string, key: string) => autoLogText({ ts: EXPIRES, body: { to: 'k-bob', auto: { rule, key, device: 'Chromium on Linux' } } }, nameOf);

  it('a digest counts replies and lists new members in English', () => {
    i18n.lang = 'en';
    const one = digestText(digest(1, ['k-bob']), nameOf);
    const two = digestText(digest(2, ['k-bob', 'k-carol']), nameOf);
    expect([one.top.heading, one.top.items[0].replies, one.questions.heading, one.newMembers.heading, one.newMembers.text]).toEqual([
      'Top threads',
      '1 reply',
      'Open questions',
      'New members',
      'Bob'
    ]);
    expect([two.top.items[0].replies, two.newMembers.text]).toEqual(['2 replies', 'Bob and Carol']);
    expect(digestText(digest(1_234, []), nameOf)).toMatchObject({ top: { items: [{ replies: '1,234 replies' }] }, newMembers: { text: 'None this week' } });
  });

  it('a digest counts replies and lists new members in Chinese, with no English left', () => {
    i18n.lang = 'zh-CN';
    const one = digestText(digest(1, ['k-bob']), nameOf);
    const two = digestText(digest(2, ['k-bob', 'k-carol']), nameOf);
    expect([one.top.heading, one.top.items[0].replies, one.questions.heading, one.newMembers.heading]).toEqual([
      '热门主题',
      '1 条回复',
      '待回答的问题',
      '新成员'
    ]);
    expect([two.top.items[0].replies, two.newMembers.text]).toEqual(['2 条回复', 'Bob和Carol']);
    const worded = [one, two].flatMap((d) => [d.top.heading, ...d.top.items.map((i) => i.replies), d.questions.heading, d.newMembers.heading, d.none]);
    expect(worded.join(' ')).not.toMatch(/[A-Za-z]/);
  });

  it('an inactive-members notice says one member and one day, two members and two days, in both languages', () => {
    i18n.lang = 'en';
    expect(noticeText(nudge(1, 1), nameOf)).toBe('1 member has been inactive for 1 day or more: Bob');
    expect(noticeText(nudge(2, 2), nameOf)).toBe('2 members have been inactive for 2 days or more: Bob and Carol');
    i18n.lang = 'zh-CN';
    expect(noticeText(nudge(1, 1), nameOf)).toBe('有 1 位成员超过 1 天未活跃：Bob');
    expect(noticeText(nudge(2, 2), nameOf)).toBe('有 2 位成员超过 2 天未活跃：Bob和Carol');
  });

  it('a reminder and every automation log entry read in the reader’s language, dates in the reader’s zone', () => {
    i18n.lang = 'en';
    expect(noticeText({ text: 'x', message: { type: 'reminder', tier: 'Gold', expiresAt: EXPIRES } }, nameOf)).toBe(
      `Your Gold membership ends on ${new Intl.DateTimeFormat('en', { dateStyle: 'medium' }).format(EXPIRES)}. Renew to keep access.`
    );
    const when = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' }).format(EXPIRES);
    expect(log('welcome', 'k-bob')).toBe(`Welcome note to Bob · Chromium on Linux · ${when}`);
    expect(log('nudge', '2026-W24')).toBe(`Inactive members list to Bob, week of ${i18n.week('2026-W24')} · Chromium on Linux · ${when}`);
    expect(i18n.week('2026-W24')).toMatch(/^Jun 8\s–\s14, 2026$/);
    expect(log('digest', '2026-W24')).toBe(`Weekly digest, ${i18n.week('2026-W24')} · Chromium on Linux · ${when}`);
    i18n.lang = 'zh-CN';
    expect(noticeText({ text: 'x', message: { type: 'reminder', tier: 'Gold', expiresAt: EXPIRES } }, nameOf)).toBe(
      `你的 Gold 会员将于 ${new Intl.DateTimeFormat('zh-CN', { dateStyle: 'medium' }).format(EXPIRES)} 到期，续费即可继续访问。`
    );
    const zhWhen = new Intl.DateTimeFormat('zh-CN', { dateStyle: 'medium', timeStyle: 'short' }).format(EXPIRES);
    expect(log('welcome', 'k-bob')).toBe(`给 Bob 的欢迎消息 · Linux 上的 Chromium · ${zhWhen}`);
    expect(log('nudge', '2026-W24')).toBe(`给 Bob 的不活跃成员名单（${i18n.week('2026-W24')}） · Linux 上的 Chromium · ${zhWhen}`);
    expect(log('digest', '2026-W24')).toBe(`每周摘要（${i18n.week('2026-W24')}） · Linux 上的 Chromium · ${zhWhen}`);
  });

  it('counted notices elsewhere read “1 flag”, “2 flags” and never “1 flags”', () => {
    i18n.lang = 'en';
    for (const [base, one, two] of [
      ['mod.flags', '1 flag', '2 flags'],
      ['challenge.participants', '1 participant', '2 participants'],
      ['notes.unreadable', '1 damaged edit was skipped.', '2 damaged edits were skipped.'],
      ['community_file.already', '1 was already on this device.', '2 were already on this device.'],
      ['payment.count_rows', '1 row', '2 rows']
    ] as const) {
      expect(i18n.plural(base, 1)).toBe(one);
      expect(i18n.plural(base, 2)).toBe(two);
    }
    i18n.lang = 'zh-CN';
    expect(i18n.plural('mod.flags', 1)).toBe('1 次举报');
    expect(i18n.plural('challenge.participants', 2)).toBe('2 人参与');
  });
});
