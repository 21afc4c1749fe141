// Nothing is lost when the tab dies: the page (and with it the device's community worker, its only
// client) is closed at random points while it writes and syncs, 50 times. Every reply the page
// showed is there after reopening, and the peer that stayed online receives them all.
import { expect, test } from '@playwright/test';
import { createCommunity, createIdentity, joinFromLink, makeInvite, openDevice, sharedWorkers, startThread } from './journeys';

const KILLS = 50;

test('a device killed 50 times while writing and syncing keeps every write it showed and converges with its peer', async ({ browser, baseURL }) => {
  test.setTimeout(8 * 60_000);
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Kill Club');
    await startThread(alice.page, 'Written through crashes', 'Replies below');
    const thread = alice.page.url();
    await alice.page.getByRole('link', { name: /Kill Club/ }).click();
    const link = await makeInvite(alice.page, { label: 'bob' });
    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, link, 'Kill Club');
    await bob.page.getByRole('link', { name: /Written through crashes/ }).click();

    let seed = 20261201;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const shown: string[] = [];
    let page = alice.page;
    await page.goto(thread);
    // Every other kill lands mid-write, the others while the page and its worker start up.
    for (let kill = 0; kill < KILLS; kill++) {
      if (kill % 2 === 1) {
        // `page` is a blank page here, and the worker is gone: start up and die.
        await page.goto(thread, { waitUntil: 'commit' });
        await page.waitForTimeout(rnd() * 400);
        await page.close();
        page = await alice.context.newPage();
        await page.goto(thread);
        continue;
      }
      await expect(page.locator('#reply-body')).toBeVisible();
      // What the page confirmed: a stored reply, not one it still shows as sending.
      const post = (text: string) => page.locator('[data-testid="post"]:not([data-sending])').filter({ hasText: text });
      const writes = 1 + Math.floor(rnd() * 3);
      for (let i = 0; i < writes; i++) {
        const text = `kill ${kill}.${i}`;
        await page.locator('#reply-body').fill(text);
        await page.getByRole('button', { name: 'Send reply' }).click();
        if (i < writes - 1 || rnd() < 0.4) {
          await expect(post(text)).toBeVisible();
          shown.push(text);
        } else {
          // Killed mid-write: a random moment after the click; only what the page showed counts.
          await page.waitForTimeout(rnd() * 250);
          if (await post(text).isVisible()) shown.push(text);
        }
      }
      await page.close();
      // The worker had only this page: it is gone too.
      page = await alice.context.newPage();
      // Asked every 100 ms (not expect.poll's 100, 250, 500, 1000 ms steps): the next kill starts once the worker is gone.
      await expect.poll(async () => (await sharedWorkers(alice.context, page)).length, { timeout: 10_000, intervals: [100] }).toBe(0);
    }
    await page.goto(thread);

    for (const text of shown) await expect(page.getByTestId('post').filter({ hasText: text })).toBeVisible();
    // The peer that stayed online converges: everything the killed device showed reaches it.
    for (const text of shown) await expect(bob.page.getByTestId('post').filter({ hasText: text })).toBeVisible({ timeout: 60_000 });
    expect(shown.length).toBeGreaterThan(KILLS / 2);
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});
