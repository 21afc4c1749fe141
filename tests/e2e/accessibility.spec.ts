// Every page passes axe-core (WCAG 2.2 A/AA and best practices) with zero violations, in English
// and Chinese, in the light and the dark theme: contrast, names, landmarks, headings. One seeded
// community serves every combination; a fresh device covers onboarding and the join page.
// A theme changes colours only (app.css: `light-dark()` tokens, no markup depends on it), so every
// rule runs on every page in each language in the light theme and the colour rules run again in the
// dark one, on the same page load.
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { runAxe } from './axe';
import { openDevice } from './journeys';
import { seedShowcase, showcasePages, useLanguage, type Showcase } from './showcase';

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];
/** axe's rules in `cat.color` within TAGS: what a theme can change (color-contrast-enhanced is AAA, outside TAGS). */
const COLOUR_RULES = ['color-contrast', 'link-in-text-block'];

/**
 * axe's violations on the page as it is now: every rule of TAGS, or (`colours`) only the colour
 * rules, for a second theme of a page that every rule has checked in the first.
 */
async function violations(page: Page, where: string, rules: 'all' | 'colours' = 'all'): Promise<string[]> {
  // axe.run in the page (axe's "legacy" mode, which reaches same-origin frames itself; the app has no
  // cross-origin ones), not a partial run per frame merged in a blank page opened for each check:
  // the same results in half the time. Injected once per page load (./axe), not on every check.
  const result = await runAxe(page, { runOnly: rules === 'all' ? { type: 'tag', values: TAGS } : { type: 'rule', values: COLOUR_RULES } });
  // An empty page would pass too: the run must have checked the page's content.
  if (rules === 'all') expect(result.passes.length, `${where}: rules that ran and passed`).toBeGreaterThan(20);
  else {
    const checked = [...result.passes, ...result.violations, ...result.incomplete]
      .filter((r) => r.id === 'color-contrast')
      .reduce((n, r) => n + r.nodes.length, 0);
    expect(checked, `${where}: elements whose contrast was checked`).toBeGreaterThan(3);
  }
  return result.violations.map(
    (v) =>
      `${where}: ${v.id} (${v.impact}) ×${v.nodes.length} — ${v.nodes
        .slice(0, 3)
        .map((n) => `${n.target.join(' ')}: ${n.failureSummary?.split('\n')[1]?.trim() ?? ''}`)
        .join(' | ')}`
  );
}

/**
 * The page as it is now in both themes: every rule in the light theme, then the colour rules in the
 * dark one. The browser restyles a page at once when the scheme changes (no transitions on colours).
 */
async function bothThemes(page: Page, where: string): Promise<string[]> {
  await page.emulateMedia({ colorScheme: 'light' });
  const found = await violations(page, `${where} light`);
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect.poll(() => page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches)).toBe(true);
  found.push(...(await violations(page, `${where} dark`, 'colours')));
  return found;
}

/**
 * Opens a page as a member reaches it, through a link the app's router follows (SvelteKit's own click
 * handler, on an anchor put in the app's root for the click), and waits until it has rendered its
 * heading and settled. A page's markup and colours are the same however it was reached; a load from
 * the address bar for each of the 60 checks started the app and the community's worker again each
 * time (about a second per page under load), and checked nothing more.
 */
async function open(page: Page, path: string) {
  await page.evaluate((path) => {
    // The headings shown now: the next page's heading is one of its own, not one left behind.
    for (const h of document.querySelectorAll('main h1')) h.setAttribute('data-left', '');
    const a = document.createElement('a');
    a.href = path;
    document.body.firstElementChild!.append(a);
    a.click();
    a.remove();
  }, path);
  await expect.poll(() => new URL(page.url()).pathname).toBe(path);
  await expect(page.locator('main h1:not([data-left])').first()).toBeVisible({ timeout: 15_000 });
  await page.waitForTimeout(250);
}

// Not serial: after a failure the next test gets a new worker, and this world is seeded again for it.
test.describe('every page has zero axe violations', () => {
  let device: { context: BrowserContext; page: Page };
  let showcase: Showcase;

  test.beforeAll(async ({ browser, baseURL }) => {
    device = await openDevice(browser, baseURL!);
    showcase = await seedShowcase(device.page);
  });
  test.afterAll(async () => device?.context.close());

  for (const lang of ['en', 'zh-CN'] as const) {
    test(`every page in ${lang}, light and dark theme, has no accessibility violations`, async () => {
      test.setTimeout(240_000);
      const { page } = device;
      await useLanguage(page, lang);
      const found: string[] = [];
      for (const path of showcasePages(showcase)) {
        await open(page, path);
        found.push(...(await bothThemes(page, path)));
      }
      expect(found).toEqual([]);
    });
  }

  // A fresh device: onboarding, and the join page of the showcase's invite (its creator online).
  test('onboarding and the join page have no accessibility violations in either language or theme', async ({ browser, baseURL }) => {
    const guest = await openDevice(browser, baseURL!);
    try {
      const hash = new URL(showcase.invite).hash;
      const found: string[] = [];
      for (const lang of ['en', 'zh-CN'] as const) {
        await guest.page.goto('/');
        await guest.page.getByLabel(/Language|语言/).selectOption(lang);
        await expect(guest.page.locator('html')).toHaveAttribute('lang', lang);
        found.push(...(await bothThemes(guest.page, `onboarding ${lang}`)));
        await guest.page.goto(`/join${hash}`);
        await expect(guest.page.getByRole('heading', { name: /Lakeside Riders/ })).toBeVisible({ timeout: 20_000 });
        found.push(...(await bothThemes(guest.page, `join ${lang}`)));
        await guest.page.goto('/join#damaged');
        await expect(guest.page.getByRole('alert')).toBeVisible();
        found.push(...(await bothThemes(guest.page, `damaged join ${lang}`)));
      }
      expect(found).toEqual([]);
    } finally {
      await guest.context.close();
    }
  });
});

test('linking a device (the code on both devices, a damaged link) has no accessibility violations at 360 px in either language or theme', async ({
  browser,
  baseURL
}) => {
  const phone = await openDevice(browser, baseURL!);
  const found: string[] = [];
  try {
    await phone.page.setViewportSize({ width: 360, height: 740 });
    await phone.page.goto('/');
    await phone.page.getByLabel(/Language|语言/).selectOption('en');
    await phone.page.getByLabel('Display name').fill('Alice');
    await phone.page.getByRole('button', { name: 'Create my identity' }).click();
    await expect(phone.page.getByRole('heading', { name: 'My communities' })).toBeVisible();
    for (const lang of ['en', 'zh-CN'] as const) {
      const laptop = await openDevice(browser, baseURL!);
      try {
        await laptop.page.setViewportSize({ width: 360, height: 740 });
        await useLanguage(phone.page, lang);
        await phone.page.goto('/settings');
        await phone.page.getByTestId('device-link').getByRole('button').click();
        const link = phone.page.getByTestId('device-link').getByRole('textbox');
        await expect(link).toHaveValue(/\/link#d\./);
        found.push(...(await bothThemes(phone.page, `settings with a device link ${lang}`)));
        await laptop.page.goto((await link.inputValue()).replace('#', '#x'));
        await expect(laptop.page.getByRole('alert')).toBeVisible();
        found.push(...(await bothThemes(laptop.page, 'damaged device link')));
        await laptop.page.goto('about:blank');
        await laptop.page.goto(await link.inputValue());
        await expect(laptop.page.getByTestId('link-code')).toBeVisible({ timeout: 20_000 });
        await expect(phone.page.getByTestId('link-code')).toBeVisible();
        found.push(...(await bothThemes(laptop.page, 'new device showing the code')));
        found.push(...(await bothThemes(phone.page, `settings showing the code ${lang}`)));
        // Nothing wider than the phone's screen.
        for (const page of [phone.page, laptop.page]) expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      } finally {
        await laptop.context.close();
      }
    }
    expect(found).toEqual([]);
  } finally {
    await phone.context.close();
  }
});
