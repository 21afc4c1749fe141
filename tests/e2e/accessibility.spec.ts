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
      for (const scheme of ['light', 'dark'] as const) {
        const laptop = await openDevice(browser, baseURL!);
        try {
          await laptop.page.setViewportSize({ width: 360, height: 740 });
          await phone.page.emulateMedia({ colorScheme: scheme });
          await laptop.page.emulateMedia({ colorScheme: scheme });
          await useLanguage(phone.page, lang);
          await phone.page.goto('/settings');
          await phone.page.getByTestId('device-link').getByRole('button').click();
          const link = phone.page.getByTestId('device-link').getByRole('textbox');
          await expect(link).toHaveValue(/\/link#d\./);
          found.push(...(await violations(phone.page, `settings with a device link ${lang} ${scheme}`)));
          await laptop.page.goto((await link.inputValue()).replace('#', '#x'));
          await expect(laptop.page.getByRole('alert')).toBeVisible();
          found.push(...(await violations(laptop.page, `damaged device link ${scheme}`)));
          await laptop.page.goto('about:blank');
          await laptop.page.goto(await link.inputValue());
          await expect(laptop.page.getByTestId('link-code')).toBeVisible({ timeout: 20_000 });
          await expect(phone.page.getByTestId('link-code')).toBeVisible();
          found.push(...(await violations(laptop.page, `new device showing the code ${scheme}`)));
          found.push(...(await violations(phone.page, `settings showing the code ${lang} ${scheme}`)));
          // Nothing wider than the phone's screen.
          for (const page of [phone.page, laptop.page]) expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
        } finally {
          await laptop.context.close();
        }
      }
    }
    expect(found).toEqual([]);
  } finally {
    await phone.context.close();
  }
});
