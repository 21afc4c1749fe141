import { afterEach, describe, expect, it, vi } from 'vitest';
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

describe('warming the formatters', () => {
  type Kind = 'NumberFormat' | 'PluralRules' | 'RelativeTimeFormat';
  const kinds: Kind[] = ['NumberFormat', 'PluralRules', 'RelativeTimeFormat'];
  const real = { NumberFormat: Intl.NumberFormat, PluralRules: Intl.PluralRules, RelativeTimeFormat: Intl.RelativeTimeFormat };
  afterEach(() => Object.assign(Intl, real));

  /** Counts the formatters built from now on (each still the real one). */
  function countBuilt(): Record<Kind, number> {
    const built = { NumberFormat: 0, PluralRules: 0, RelativeTimeFormat: 0 };
    for (const kind of kinds) {
      const Real = real[kind] as unknown as new (...args: unknown[]) => object;
      Object.assign(Intl, {
        [kind]: class extends Real {
          constructor(...args: unknown[]) {
            super(...args);
            built[kind]++;
          }
        }
      });
    }
    return built;
  }

  it('builds what a community page formats first, so its render builds no formatter', async () => {
    vi.resetModules();
    const { i18n: fresh } = await import('./index.svelte');
    const built = countBuilt();
    fresh.warm();
    expect(built).toEqual({ NumberFormat: 1, PluralRules: 1, RelativeTimeFormat: 1 });
    // What the feed's header and rows show.
    expect(fresh.plural('community.members', 10_001)).toBe('10,001 members');
    expect(fresh.relative(Date.now() - 3 * 86_400_000)).toBe('3 days ago');
    expect(built).toEqual({ NumberFormat: 1, PluralRules: 1, RelativeTimeFormat: 1 });
  });

  it('warmSoon warms in a later task, not in the caller', async () => {
    vi.resetModules();
    const { i18n: fresh } = await import('./index.svelte');
    const built = countBuilt();
    fresh.warmSoon();
    expect(built.NumberFormat).toBe(0);
    await vi.waitFor(() => expect(built.NumberFormat).toBe(1));
  });
});
