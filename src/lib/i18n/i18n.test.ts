import { afterEach, describe, expect, it } from 'vitest';
import { en } from './en';
import { zhCN } from './zh-CN';
import { i18n, t } from './index.svelte';

describe('translations', () => {
  it('zh-CN translates every English key with the same placeholders', () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(zhCN[key], key).toBeTruthy();
      expect(placeholders(zhCN[key]), key).toEqual(placeholders(en[key]));
    }
  });
});

describe('loading the Chinese dictionary on demand', () => {
  afterEach(() => (i18n.lang = 'en'));

  it('switches to Chinese with its dictionary loaded, and back to English at once', async () => {
    i18n.lang = 'en';
    expect(t('nav.feed')).toBe('Feed');
    const switching = i18n.use('zh-CN');
    // Until the dictionary is in, the language has not changed: no half-translated screen.
    expect(i18n.lang).toBe('en');
    await switching;
    expect(i18n.lang).toBe('zh-CN');
    expect(t('nav.feed')).toBe('动态');
    expect(i18n.plural('thread.replies', 1)).toBe(zhCN['thread.replies_other'].replace('{count}', '1'));
    i18n.lang = 'en';
    expect(t('nav.feed')).toBe('Feed');
  });
});
