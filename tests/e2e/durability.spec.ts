// Nothing is lost when the tab dies: the page (and with it the device's community worker, its only
// client) is closed at random points while it writes and syncs, 50 times. Every reply the page
// showed is there after reopening, and the peer that stayed online receives them all.
import { expect, test, type Page } from '@playwright/test';
import {
  createCommunity,
  createIdentity,
  documentsHeld,
  joinFromLink,
  makeInvite,
  openDevice,
  runsCommunityWorker,
  sharedWorkers,
  startThread,
  withoutSharedWorker,
  type Device
} from './journeys';

const KILLS = 50;

/** Alice makes a community with a thread and invites Bob, who opens the thread; the thread's address. */
async function twoOnAThread(alice: Device, bob: Device, community: string, title: string): Promise<string> {
  await createIdentity(alice.page, 'Alice');
  await createCommunity(alice.page, community);
  await startThread(alice.page, title, 'Replies below');
  const thread = alice.page.url();
  await alice.page.getByRole('link', { name: new RegExp(community) }).click();
  const link = await makeInvite(alice.page, { label: 'bob' });
  await createIdentity(bob.page, 'Bob');
  await joinFromLink(bob.page, link, community);
  await bob.page.getByRole('link', { name: new RegExp(title) }).click();
  return thread;
}

/** The same random moments every run. */
function randomFrom(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

/**
 * Writes one to three replies on `page`, each confirmed before the next; the last is confirmed too
 * or (most times) left a random moment after its click, for the kill that follows: only what the page
 * showed counts. Adds to `shown` what the page confirmed: a stored reply, not one it still shows as sending.
 */
async function writeToTheEnd(page: Page, label: string, rnd: () => number, shown: string[]): Promise<void> {
  const post = (text: string) => page.locator('[data-testid="post"]:not([data-sending])').filter({ hasText: text });
  const writes = 1 + Math.floor(rnd() * 3);
  for (let i = 0; i < writes; i++) {
    const text = `${label}.${i}`;
    await page.locator('#reply-body').fill(text);
    await page.getByRole('button', { name: 'Send reply' }).click();
    if (i < writes - 1 || rnd() < 0.4) {
      await expect(post(text)).toBeVisible();
      shown.push(text);
    } else {
      await page.waitForTimeout(rnd() * 250);
      if (await post(text).isVisible()) shown.push(text);
    }
  }
}

test('a device killed 50 times while writing and syncing keeps every write it showed and converges with its peer', async ({ browser, baseURL }) => {
  test.setTimeout(8 * 60_000);
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  try {
    const thread = await twoOnAThread(alice, bob, 'Kill Club', 'Written through crashes');
    const rnd = randomFrom(20261201);
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
      await writeToTheEnd(page, `kill ${kill}`, rnd, shown);
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

const LEADER_KILLS = 8;

// Without SharedWorker the worker lives in one tab, the leader, and the device's other tabs write through
// it. The leader is closed at random points while it or a follower writes: the follower opens again and
// runs the next worker, a new tab follows it. Every reply a tab showed is there after the kills, and the
// peer that stayed online receives them all.
test('a browser without SharedWorker whose leader tab is killed while its tabs write keeps every write a tab showed', async ({ browser, baseURL }) => {
  test.setTimeout(8 * 60_000);
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  await withoutSharedWorker(alice.context);
  try {
    const thread = await twoOnAThread(alice, bob, 'Leader Kill Club', 'Written through leaders');
    const rnd = randomFrom(20261207);
    const shown: string[] = [];
    let leader = alice.page;
    await leader.goto(thread);
    await expect.poll(() => documentsHeld(leader)).toBe('leader');
    let follower = await alice.context.newPage();
    await follower.goto(thread);
    await expect.poll(() => documentsHeld(follower)).toBe('follower');
    for (let kill = 0; kill < LEADER_KILLS; kill++) {
      // Half the kills land while the follower writes through the leader's worker, half while the leader writes.
      const writer = kill % 2 === 0 ? follower : leader;
      await expect(writer.locator('#reply-body')).toBeVisible();
      await writeToTheEnd(writer, `leader kill ${kill}`, rnd, shown);
      await leader.close();
      // The follower opens again and runs the worker; a new tab follows it.
      await expect.poll(() => runsCommunityWorker(follower), { timeout: 20_000 }).toBe(true);
      await expect.poll(() => documentsHeld(follower), { timeout: 20_000 }).toBe('leader');
      leader = follower;
      follower = await alice.context.newPage();
      await follower.goto(thread);
      await expect.poll(() => documentsHeld(follower)).toBe('follower');
    }

    for (const page of [leader, follower]) for (const text of shown) await expect(page.getByTestId('post').filter({ hasText: text })).toBeVisible();
    for (const text of shown) await expect(bob.page.getByTestId('post').filter({ hasText: text })).toBeVisible({ timeout: 60_000 });
    expect(shown.length).toBeGreaterThan(LEADER_KILLS / 2);
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});
