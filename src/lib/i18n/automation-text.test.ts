import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { en } from './en';
import { zhCN } from './zh-CN';
import { i18n } from './index.svelte';
import { autoLogText, noticeText, threadTitle } from './automation-text';

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
    expect(threadTitle(row)).toBe('每周摘要 2026-W24');
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
