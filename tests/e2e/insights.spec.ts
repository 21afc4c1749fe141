// The creator of the real community (Bicycles Meta Stack Exchange, imported from its community
// file) opens Insights and For you: the analyses run in the worker while the page stays
// responsive, and a run can be cancelled and started again.
import { expect, test } from '@playwright/test';
import { ensureDataset } from '../../scripts/data/datasets';
import { SE_DATA_NAME } from '../../scripts/data/se-csv';
import { launchDevice } from './browser';
import { demoCreatorIdentityFile, importCommunity, longTasksSince, observeLongTasks, restoreIdentity } from './seed';

test.setTimeout(240_000);
// Playwright's trace snapshots the page's DOM on its main thread at each action and assertion
// (30–40 ms on the dashboard here): the long tasks this journey measures are the app's.
test.use({ trace: 'off' });

test('the creator sees insights and For you computed off the main thread, and can cancel a run', async ({ baseURL }) => {
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
