// The one translation function: every user-facing string goes through t(), in zh-CN or en.
// English is built in (and the fallback); the Chinese dictionary is its own chunk, loaded when
// the device's language is Chinese, so an English first visit does not download it.
import { en, type MessageKey } from './en';

export type Lang = 'en' | 'zh-CN';
export const LANGS: { code: Lang; label: string }[] = [
  { code: 'zh-CN', label: '中文' },
  { code: 'en', label: 'English' }
];

type Dictionary = Record<MessageKey, string>;
const loaders: Record<Lang, () => Promise<Dictionary>> = {
  en: async () => en,
  'zh-CN': async () => (await import('./zh-CN')).zhCN
};

/** Messages with plural forms: keys `<base>_one`, `<base>_other` (and `_zero`, `_few`… where a language needs them). */
export type PluralBase = { [K in MessageKey]: K extends `${infer B}_other` ? B : never }[MessageKey];

export function browserLang(languages: readonly string[] = typeof navigator === 'undefined' ? [] : navigator.languages): Lang {
  return languages.some((l) => l.toLowerCase().startsWith('zh')) ? 'zh-CN' : 'en';
}

class I18n {
  #lang = $state<Lang>('en');
  #dictionaries = $state.raw<Partial<Record<Lang, Dictionary>>>({ en });
  #loading = new Map<Lang, Promise<void>>();

  constructor() {
    this.lang = browserLang();
  }

  /** Setting a language not loaded yet shows English until its dictionary arrives; `use` waits for it. */
  get lang(): Lang {
    return this.#lang;
  }
  set lang(lang: Lang) {
    this.#lang = lang;
    void this.load(lang);
  }

  /** Switches to `lang` once its dictionary is loaded: no English flashes up on the way. */
  async use(lang: Lang): Promise<void> {
    await this.load(lang);
    this.#lang = lang;
  }

  load(lang: Lang): Promise<void> {
    if (this.#dictionaries[lang]) return Promise.resolve();
    let loading = this.#loading.get(lang);
    if (!loading) {
      loading = loaders[lang]().then((dictionary) => {
        this.#dictionaries = { ...this.#dictionaries, [lang]: dictionary };
      });
      // A failed load (offline before the chunk was cached) may be tried again; English shows meanwhile.
      loading.catch((e) => {
        console.warn('dictionary not loaded', lang, e);
        this.#loading.delete(lang);
      });
      this.#loading.set(lang, loading);
    }
    return loading;
  }

  t = (key: MessageKey, params?: Record<string, string | number>): string => {
    let text: string = this.#dictionaries[this.#lang]?.[key] ?? en[key] ?? key;
    if (params) for (const [k, v] of Object.entries(params)) text = text.replaceAll(`{${k}}`, String(v));
    return text;
  };

  /** "3 minutes ago" / "3 分钟前" */
  // Formatters are costly to build and every post shows dates: one of each per language.
  #formats = new Map<string, Intl.RelativeTimeFormat | Intl.DateTimeFormat | Intl.NumberFormat | Intl.PluralRules | Intl.ListFormat>();
  #format<T extends Intl.RelativeTimeFormat | Intl.DateTimeFormat | Intl.NumberFormat | Intl.PluralRules | Intl.ListFormat>(kind: string, make: () => T): T {
    const key = `${kind}:${this.lang}`;
    let f = this.#formats.get(key) as T | undefined;
    if (!f) this.#formats.set(key, (f = make()));
    return f;
  }

  relative = (ts: number, now = Date.now()): string => {
    const seconds = Math.round((ts - now) / 1000);
    if (Math.abs(seconds) < 45) return this.t('time.just_now');
    const fmt = this.#format('relative', () => new Intl.RelativeTimeFormat(this.lang, { numeric: 'auto' }));
    const units: [Intl.RelativeTimeFormatUnit, number][] = [
      ['year', 31_536_000],
      ['month', 2_592_000],
      ['week', 604_800],
      ['day', 86_400],
      ['hour', 3_600],
      ['minute', 60]
    ];
    for (const [unit, size] of units) if (Math.abs(seconds) >= size) return fmt.format(Math.round(seconds / size), unit);
    return fmt.format(seconds, 'second');
  };

  date = (ts: number): string => this.#format('date', () => new Intl.DateTimeFormat(this.lang, { dateStyle: 'medium' })).format(ts);

  /**
   * A counted message in the form the reader's language uses for `count` (Intl.PluralRules), the
   * count itself formatted as {count}: "1 answer", "2 answers", "1 个回答".
   */
  plural = (base: PluralBase, count: number, params?: Record<string, string | number>): string => {
    const category = this.#format('plural', () => new Intl.PluralRules(this.lang)).select(count);
    const key = `${base}_${category}` in en ? (`${base}_${category}` as MessageKey) : (`${base}_other` as MessageKey);
    return this.t(key, { ...params, count: this.number(count) });
  };

  /** A time of day in the reader's language and zone: "4:45 PM" / "16:45". */
  /**
   * An ISO week id (`2026-W48`, as automation keys its digests) as the reader's days: "Nov 23 – 29,
   * 2026", "2026年11月23日至29日". Anything else is shown as it is.
   */
  week = (id: string): string => {
    const m = /^(\d{4})-W(\d{2})$/.exec(id);
    if (!m) return id;
    // Monday of ISO week 1 is the Monday on or before 4 January.
    const jan4 = Date.UTC(Number(m[1]), 0, 4);
    const monday = jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * 86_400_000 + (Number(m[2]) - 1) * 7 * 86_400_000;
    const fmt = this.#format('week', () => new Intl.DateTimeFormat(this.lang, { dateStyle: 'medium', timeZone: 'UTC' }));
    return fmt.formatRange(monday, monday + 6 * 86_400_000);
  };
  time = (ts: number): string => this.#format('time', () => new Intl.DateTimeFormat(this.lang, { timeStyle: 'short' })).format(ts);

  /** A span of time in its largest whole unit: "10 minutes" / "10分钟". */
  duration = (seconds: number): string => {
    const [unit, size] =
      seconds >= 3600 && seconds % 3600 === 0
        ? (['hour', 3600] as const)
        : seconds >= 60 && seconds % 60 === 0
          ? (['minute', 60] as const)
          : (['second', 1] as const);
    return this.#format(`duration-${unit}`, () => new Intl.NumberFormat(this.lang, { style: 'unit', unit, unitDisplay: 'long' })).format(seconds / size);
  };

  /** "Ann, Bob and Cy" / "Ann、Bob和Cy". */
  list = (items: string[]): string => this.#format('list', () => new Intl.ListFormat(this.lang, { type: 'conjunction' })).format(items);

  /** A number with exactly `digits` decimals, grouped the language's way. */
  number = (x: number, digits = 0): string =>
    this.#format(`number-${digits}`, () => new Intl.NumberFormat(this.lang, { maximumFractionDigits: digits, minimumFractionDigits: digits })).format(x);

  /** A UTC calendar day, for figures counted in UTC days and weeks (the insights). */
  utcDay = (ts: number): string => this.#format('utc-day', () => new Intl.DateTimeFormat(this.lang, { dateStyle: 'medium', timeZone: 'UTC' })).format(ts);

  dateTime = (ts: number): string => this.#format('datetime', () => new Intl.DateTimeFormat(this.lang, { dateStyle: 'medium', timeStyle: 'short' })).format(ts);

  /**
   * Builds the formatters every community page uses (counts, plural forms, "3 days ago") for the
   * current language. A page's first `Intl.NumberFormat` loads the locale's number data: 20–35 ms
   * in Chromium, which fell inside the task that rendered the feed's first rows. Called while the
   * page waits for its data (`warmSoon`), it is a task of its own.
   */
  warm = (): void => {
    this.plural('community.members', 2);
    this.relative(0, 3_600_000);
  };

  /**
   * `warm` in a task of its own, next: not an idle callback, which a busy page (a document opening
   * in the worker, a loaded machine) put off past the first render it was meant to precede.
   */
  warmSoon = (): void => void setTimeout(this.warm, 0);
}

export const i18n = new I18n();
export const t = i18n.t;
export type { MessageKey };
