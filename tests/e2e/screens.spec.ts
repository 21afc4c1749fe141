// The main pages look as designed on a 390 px phone and a 1280 px desktop, in English and Chinese:
// screenshots compared with committed baselines (update them with --update-snapshots after an
// intended change). Relative times and the live sync line are masked; everything else is seeded
// the same way each run. Fonts: Noto Color Emoji and WenQuanYi Micro Hei (.ci/run installs them).
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { openDevice } from './journeys';
import { seedShowcase, useLanguage, type Showcase } from './showcase';

const WIDTHS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desktop', width: 1280, height: 800 }
];

/** What changes from run to run without the layout changing: times, the sync line, the member key. */
const volatile = (page: Page) => [page.locator('time'), page.locator('.meta'), page.getByTestId('sync-status')];

test.describe
  .serial('main pages match their screenshots', () => {
    let device: { context: BrowserContext; page: Page };
    let showcase: Showcase;

    test.beforeAll(async ({ browser, baseURL }) => {
      device = await openDevice(browser, baseURL!);
      await device.page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });
      showcase = await seedShowcase(device.page);
    });
    test.afterAll(async () => device?.context.close());

    for (const lang of ['en', 'zh-CN'] as const) {
      test(`home, feed, thread, Q&A and Manage in ${lang} at 390 and 1280 px match their baselines`, async () => {
        test.setTimeout(180_000);
        const { page } = device;
        await useLanguage(page, lang);
        const pages: [string, string][] = [
          ['home', '/'],
          ['feed', showcase.home],
          ['thread', showcase.thread],
          ['qa', `${showcase.home}/qa`],
          ['manage', `${showcase.home}/manage`]
        ];
        for (const size of WIDTHS) {
          await page.setViewportSize({ width: size.width, height: size.height });
          for (const [name, path] of pages) {
            await page.goto(path);
            await expect(page.locator('main h1').first()).toBeVisible();
            await page.evaluate(() => document.fonts.ready);
            await page.waitForTimeout(300);
            await expect(page, `${name} ${lang} ${size.name}`).toHaveScreenshot(`${name}-${lang}-${size.name}.png`, {
              mask: volatile(page),
              animations: 'disabled',
              caret: 'hide',
              // Antialiasing may move a few pixels between runs; a moved bar, button or block changes far more.
              maxDiffPixelRatio: 0.01
            });
          }
        }
      });
    }
  });

test('a theme chosen in settings is remembered over the system preference', async ({ browser, baseURL }) => {
  const device = await openDevice(browser, baseURL!);
  try {
    const { page } = device;
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto('/');
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await expect.poll(background).toBe('rgb(255, 250, 245)');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(background).toBe('rgb(23, 19, 17)');

    // The system says light; the member chooses dark, and a reload keeps it.
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByLabel('Display name').fill('Dana');
    await page.getByRole('button', { name: 'Create my identity' }).click();
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByLabel('Theme').selectOption('dark');
    await expect.poll(background).toBe('rgb(23, 19, 17)');
    await page.reload();
    await expect(page.getByLabel('Theme')).toHaveValue('dark');
    await expect.poll(background).toBe('rgb(23, 19, 17)');
    await page.getByLabel('Theme').selectOption('system');
    await expect.poll(background).toBe('rgb(255, 250, 245)');
  } finally {
    await device.context.close();
  }
});
