// Every page passes axe-core (WCAG 2.2 A/AA and best practices) with zero violations, in English
// and Chinese, in the light and the dark theme: contrast, names, landmarks, headings. One seeded
// community serves every combination; a fresh device covers onboarding and the join page.
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { openDevice } from './journeys';
import { seedShowcase, showcasePages, useLanguage, type Showcase } from './showcase';

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

async function violations(page: Page, where: string): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  // An empty page would pass too: the run must have checked the page's content.
  expect(result.passes.length, `${where}: rules that ran and passed`).toBeGreaterThan(20);
  return result.violations.map(
    (v) =>
      `${where}: ${v.id} (${v.impact}) ×${v.nodes.length} — ${v.nodes
        .slice(0, 3)
        .map((n) => `${n.target.join(' ')}: ${n.failureSummary?.split('\n')[1]?.trim() ?? ''}`)
        .join(' | ')}`
  );
}

/** Opens a page and waits until it has rendered its heading and settled. */
async function open(page: Page, path: string) {
  await page.goto(path);
  await expect(page.locator('main h1').first()).toBeVisible({ timeout: 15_000 });
  await page.waitForTimeout(250);
}

test.describe
  .serial('every page has zero axe violations', () => {
    let device: { context: BrowserContext; page: Page };
    let showcase: Showcase;

    test.beforeAll(async ({ browser, baseURL }) => {
      device = await openDevice(browser, baseURL!);
      showcase = await seedShowcase(device.page);
    });
    test.afterAll(async () => device?.context.close());

    for (const lang of ['en', 'zh-CN'] as const) {
      for (const scheme of ['light', 'dark'] as const) {
        test(`every page in ${lang}, ${scheme} theme, has no accessibility violations`, async () => {
          test.setTimeout(240_000);
          const { page } = device;
          await page.emulateMedia({ colorScheme: scheme });
          await useLanguage(page, lang);
          const found: string[] = [];
          for (const path of showcasePages(showcase)) {
            await open(page, path);
            found.push(...(await violations(page, path)));
          }
          expect(found).toEqual([]);
        });
      }
    }
  });

test('onboarding and the join page have no accessibility violations in either language or theme', async ({ browser, baseURL }) => {
  const creator = await openDevice(browser, baseURL!);
  const guest = await openDevice(browser, baseURL!);
  try {
    const { invite } = await seedShowcase(creator.page);
    const hash = new URL(invite).hash;
    const found: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      await guest.page.emulateMedia({ colorScheme: scheme });
      for (const lang of ['en', 'zh-CN'] as const) {
        await guest.page.goto('/');
        await guest.page.getByLabel(/Language|语言/).selectOption(lang);
        await expect(guest.page.locator('html')).toHaveAttribute('lang', lang);
        found.push(...(await violations(guest.page, `onboarding ${lang} ${scheme}`)));
        await guest.page.goto(`/join${hash}`);
        await expect(guest.page.getByRole('heading', { name: /Lakeside Riders/ })).toBeVisible({ timeout: 20_000 });
        found.push(...(await violations(guest.page, `join ${lang} ${scheme}`)));
        await guest.page.goto('/join#damaged');
        await expect(guest.page.getByRole('alert')).toBeVisible();
        found.push(...(await violations(guest.page, `damaged join ${lang} ${scheme}`)));
      }
    }
    expect(found).toEqual([]);
  } finally {
    await creator.context.close();
    await guest.context.close();
  }
});
