// The creator of the real community (Bicycles Meta Stack Exchange, imported from its community
// file) opens Insights and For you: the analyses run in the worker while the page stays
// responsive, and a run can be cancelled and started again. The social graph is drawn (its pixels
// read back from a screenshot) on a desktop and on a 360 px phone.
import { type BrowserContext, expect, type Locator, test } from '@playwright/test';
import { ensureDataset } from '../../scripts/data/datasets';
import { SE_DATA_NAME } from '../../scripts/data/se-csv';
import { GROUP_COLOURS } from '../../src/lib/ui/insights/graph-palette';
import { launchDevice } from './browser';
import { demoCreatorIdentityFile, importCommunity, longTasksSince, observeLongTasks, restoreIdentity } from './seed';

test.setTimeout(240_000);

// Alone (playwright.config.ts, without a trace): it asserts no long task on the page while the analysis runs.
test('the creator sees insights and For you computed off the main thread, and can cancel a run', { tag: '@alone' }, async ({ baseURL }) => {
  const dataset = await ensureDataset(SE_DATA_NAME);
  const identity = await demoCreatorIdentityFile();
  const device = await launchDevice(baseURL!);
  try {
    await device.context.addInitScript(observeLongTasks);
    const page = await device.context.newPage();
    await restoreIdentity(page, identity.file);
    const cid = await importCommunity(page, dataset.file);

    // The dashboard: its first run starts on opening the page.
    await page.goto(`/c/${cid}`);
    await page.getByRole('link', { name: 'Manage', exact: true }).click();
    await page.getByRole('link', { name: /Insights/ }).click();
    await expect(page.getByRole('heading', { level: 1, name: /Insights/ })).toBeVisible();
    const status = page.getByTestId('analysis-status');
    await expect(status).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
    await expect(page.getByText('Daily active')).toBeVisible();
    await expect(page.getByTestId('cohorts')).toBeVisible();
    await expect(page.getByTestId('top-contributors').locator('tbody tr')).toHaveCount(20);
    await expect(page.getByTestId('content-performance').locator('tbody tr').first()).toBeVisible();
    await expect(page.getByTestId('segments')).toContainText('Core');
    await expect(page.getByTestId('graph-summary')).toContainText(/modularity 0\.\d\d/);
    await expect(page.getByTestId('funnel')).toContainText('joins');
    // Each measure says in one line what it counts: activity, joins, retention, content,
    // contributors, segments, churn, the graph, bridges and referrals.
    await expect(page.getByTestId('measure-hint')).toHaveCount(10);
    for (const hint of await page.getByTestId('measure-hint').all()) expect((await hint.textContent())?.trim().length).toBeGreaterThan(20);

    // A CSV export of a whole table.
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV: contributors' }).click();
    const csv = await (await download).path();
    expect(csv).toBeTruthy();

    // Responsive while the worker runs: no main-thread task over 50 ms from the click until done.
    // The click is made in the page: resolving a role locator walks the accessibility tree of the
    // whole dashboard on the page's main thread (60–115 ms), which is Playwright's task, not the app's.
    const before = await page.evaluate(() => {
      const at = performance.now();
      [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Refresh')!.click();
      return at;
    });
    await expect(status).toHaveAttribute('data-status', 'running');
    await expect(status).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
    const during = await longTasksSince(page, before);
    expect(during, JSON.stringify({ before, during })).toEqual([]);

    // Cancelling a run stops it; the next run starts fresh workers and finishes. A refresh of this
    // community takes well under a second, less than two separate Playwright clicks can take, so
    // the person's two clicks (Refresh, then Cancel as soon as it shows) are made in the page.
    await page.evaluate(async () => {
      const button = (name: string) => [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === name);
      button('Refresh')!.click();
      await new Promise((r) => requestAnimationFrame(r));
      const cancel = button('Cancel');
      if (!cancel) throw new Error('no Cancel button while running');
      cancel.click();
    });
    await expect(status).toHaveAttribute('data-status', 'cancelled');
    await expect(page.getByText('Analysis cancelled.')).toBeVisible();
    await page.getByRole('button', { name: 'Analyse now' }).click();
    await expect(status).toHaveAttribute('data-status', 'done', { timeout: 120_000 });

    // For you: threads with a reason each, for the creator (who has no history: popular ones).
    await page.goto(`/c/${cid}`);
    await page.getByRole('link', { name: /For you/ }).click();
    await expect(page.getByRole('heading', { level: 1, name: /For you/ })).toBeVisible();
    await expect(page.getByTestId('analysis-status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
    const forYou = page.getByRole('region', { name: 'Threads for you' });
    const recs = forYou.getByTestId('recommendation');
    await expect(recs).toHaveCount(20);
    // How the list was made, in words: no model names.
    await expect(page.getByTestId('for-you-method')).toContainText(/^Picked from [\d,]+ threads by /);
    await expect(forYou).not.toContainText(/EASE|iALS|TF-IDF|BM25/);
    await expect(recs.first()).toContainText(/Popular in the community|Because you took part|Similar to|New around|Popular with|whom you often/);

    // Opening a recommended thread records a private view (on this device only), which the next run uses.
    const title = (await recs.first().getByRole('link').textContent()) ?? '';
    await recs.first().getByRole('link').click();
    await expect(page.getByRole('heading', { level: 1, name: title.trim() })).toBeVisible();
    // The thread page lists related threads from the same recommender, each a link to its thread.
    const related = page.getByRole('region', { name: `Related to “${title.trim()}”` });
    await expect(related.getByTestId('recommendation').first()).toBeVisible({ timeout: 60_000 });
    await expect(related.getByTestId('recommendation').getByRole('link', { name: title.trim(), exact: true })).toHaveCount(0);
    await page.goBack();
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect(page.getByTestId('analysis-status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
    // "Related" follows the thread just opened.
    await expect(page.getByRole('heading', { name: `Related to “${title.trim()}”` })).toBeVisible();
    // The opened thread is now seen (never recommended again) and explains what comes next.
    await expect(forYou.getByTestId('recommendation').getByRole('link', { name: title.trim(), exact: true })).toHaveCount(0);
    await expect(
      forYou
        .getByTestId('recommendation')
        .filter({ hasText: new RegExp(`(Similar to|took part in) “${title.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}”`) })
        .first()
    ).toBeVisible();

    // The members page of 313 members shows 100 at first and the next 100 on "Show more" (all
    // 10,000 of a large community's rows, each with its controls, held the page for seconds).
    await page.goto(`/c/${cid}/members`);
    await expect(page.getByRole('heading', { name: 'Members (313)' })).toBeVisible();
    await expect(page.getByTestId('member-row')).toHaveCount(100);
    await expect(page.getByText('Showing 100 of 313')).toBeVisible();
    await page.getByRole('button', { name: 'Show 100 more members' }).click();
    await expect(page.getByTestId('member-row')).toHaveCount(200);
    await page.getByRole('button', { name: 'Show 100 more members' }).click();
    await page.getByRole('button', { name: 'Show 13 more members' }).click();
    await expect(page.getByTestId('member-row')).toHaveCount(313);
    // Searching finds a member the first 100 rows do not show.
    const deepest = (await page.getByTestId('member-row').last().locator('strong').textContent())!.trim();
    await page.goto(`/c/${cid}/members`);
    await page.getByRole('textbox', { name: 'Search members' }).fill(deepest);
    await expect(page.getByTestId('member-row').filter({ hasText: deepest }).first()).toBeVisible();
  } finally {
    await device.close();
  }
});

/** What a screenshot of the graph view holds, decoded by the browser in a blank page of the same device. */
interface Pixels {
  width: number;
  height: number;
  /** Share of the most common colour (the surface behind the graph). */
  backgroundShare: number;
  /** Colours covering at least 20 pixels each. */
  colours: number;
  /** Pixels of each group colour (within a few levels per channel), by colour. */
  groups: Record<string, number>;
  /** Pixels lighter than every group colour and the ties: on a dark surface, only labels in light ink. */
  light: number;
}

async function graphPixels(device: { context: BrowserContext }, png: Buffer): Promise<Pixels> {
  const blank = await device.context.newPage();
  try {
    return await blank.evaluate(
      async ({ base64, palette }) => {
        const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
        const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
        const ctx = canvas.getContext('2d')!;
        ctx.drawImage(bitmap, 0, 0);
        const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
        const counts = new Map<number, number>();
        const targets = palette.map((hex) => [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)));
        const groups: Record<string, number> = Object.fromEntries(palette.map((hex) => [hex, 0]));
        let light = 0;
        for (let i = 0; i < data.length; i += 4) {
          const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
          if (Math.min(r, g, b) >= 200) light++;
          const key = (r << 16) | (g << 8) | b;
          counts.set(key, (counts.get(key) ?? 0) + 1);
          targets.forEach(([tr, tg, tb], j) => {
            if (Math.abs(r - tr) <= 6 && Math.abs(g - tg) <= 6 && Math.abs(b - tb) <= 6) groups[palette[j]]++;
          });
        }
        const total = bitmap.width * bitmap.height;
        return {
          width: bitmap.width,
          height: bitmap.height,
          backgroundShare: Math.max(...counts.values()) / total,
          colours: [...counts.values()].filter((n) => n >= 20).length,
          groups,
          light
        };
      },
      { base64: png.toString('base64'), palette: GROUP_COLOURS }
    );
  } finally {
    await blank.close();
  }
}

/**
 * Scrolls the view on screen until sigma has started (it starts once the view is seen): sections
 * drawn after the scroll can push it off screen again before the first intersection is noted.
 */
async function drawnOnScreen(view: Locator): Promise<void> {
  await expect(async () => {
    await view.scrollIntoViewIfNeeded();
    await expect(view.locator('canvas').first()).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
}

/** The graph view drew members, not a blank or one solid block: a surface with nodes of several group colours on it. */
function expectMembersDrawn(pixels: Pixels, minGroups: number): void {
  const detail = JSON.stringify(pixels);
  // Most of it is the surface, but not all: nodes and ties cover at least 2 %.
  expect(pixels.backgroundShare, detail).toBeGreaterThan(0.3);
  expect(pixels.backgroundShare, detail).toBeLessThan(0.98);
  expect(pixels.colours, detail).toBeGreaterThanOrEqual(8);
  // Several groups show in their own colours, each on more than a node's worth of pixels.
  expect(Object.values(pixels.groups).filter((n) => n >= 40).length, detail).toBeGreaterThanOrEqual(minGroups);
}

test('the creator sees the conversation graph drawn in group colours, on a desktop and on a phone', async ({ baseURL }) => {
  const dataset = await ensureDataset(SE_DATA_NAME);
  const identity = await demoCreatorIdentityFile();
  const device = await launchDevice(baseURL!);
  try {
    const page = await device.context.newPage();
    await restoreIdentity(page, identity.file);
    const cid = await importCommunity(page, dataset.file);

    await page.goto(`/c/${cid}/insights`);
    await expect(page.getByTestId('analysis-status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
    const summary = page.getByTestId('graph-summary');
    await expect(summary).toContainText(/modularity 0\.\d\d/);
    const groups = Number((await summary.textContent())!.match(/([\d,]+) groups/)![1].replace(/,/g, ''));
    expect(groups).toBeGreaterThanOrEqual(3);
    // No WebGL shows a sentence instead of the view: that fails here rather than passing unseen.
    await expect(page.getByText('The graph view needs WebGL')).toHaveCount(0);
    const view = page.getByTestId('graph-view');
    await drawnOnScreen(view);
    // Sigma draws on the next frames once the view is on screen.
    await page.waitForTimeout(500);
    expectMembersDrawn(await graphPixels(device, await view.screenshot({ path: test.info().outputPath('graph-desktop.png') })), 3);

    // In the dark theme the members' names are drawn in the page's light ink, not sigma's black.
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForTimeout(500);
    const dark = await graphPixels(device, await view.screenshot({ path: test.info().outputPath('graph-dark.png') }));
    expectMembersDrawn(dark, 3);
    expect(dark.light, JSON.stringify(dark)).toBeGreaterThanOrEqual(50);
    await page.emulateMedia({ colorScheme: 'light' });

    // A phone, 360 px wide: the page does not scroll sideways, the view fits and still draws the members.
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto(`/c/${cid}/insights`);
    await expect(page.getByTestId('analysis-status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
    await drawnOnScreen(view);
    await page.waitForTimeout(500);
    const box = (await view.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(360);
    expect(box.height).toBeGreaterThanOrEqual(200);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    // One finger on the view scrolls the page (two move the graph): nothing under the finger refuses panning.
    const touchActions = await page.evaluate(
      ({ x, y }) => {
        const out: string[] = [];
        for (let el = document.elementFromPoint(x, y); el; el = el.parentElement) out.push(getComputedStyle(el).touchAction);
        return out;
      },
      { x: box.x + box.width / 2, y: box.y + box.height / 2 }
    );
    expect(touchActions.length).toBeGreaterThan(2);
    expect(touchActions).not.toContain('none');
    expectMembersDrawn(await graphPixels(device, await view.screenshot({ path: test.info().outputPath('graph-phone.png') })), 3);
  } finally {
    await device.close();
  }
});
