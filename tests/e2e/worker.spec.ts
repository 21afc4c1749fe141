// The community document lives in one worker per device: pages relay their peers' bytes and read
// projections. Two tabs of one device share it (a SharedWorker; without one, a dedicated worker in the
// leader tab, which serves the other tabs); a second device syncs with it over WebRTC.
import { expect, test } from '@playwright/test';
import {
  createCommunity,
  createIdentity,
  documentsHeld,
  joinFromLink,
  makeInvite,
  openDevice,
  sendReply,
  runsCommunityWorker,
  setLifecycle,
  sharedWorkers,
  startThread,
  withoutSharedWorker
} from './journeys';
import { launchFreezableDevice } from './browser';

test("two tabs of one device share the community worker and see each other's posts at once", async ({ browser, baseURL }) => {
  const alice = await openDevice(browser, baseURL!);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Worker Club');
    await startThread(alice.page, 'Written in tab one', 'The first tab wrote this');
    await expect.poll(() => sharedWorkers(alice.context)).toEqual([expect.stringMatching(/community\.worker/)]);

    const second = await alice.context.newPage();
    await second.goto(alice.page.url());
    await expect(second.getByText('The first tab wrote this')).toBeVisible();
    expect(await documentsHeld(second)).toBe('shared');
    await sendReply(second, 'Answered from tab two');
    // The first tab reads the projection the one worker wrote: no tab-to-tab exchange of documents.
    await expect(alice.page.getByText('Answered from tab two')).toBeVisible({ timeout: 5_000 });
    expect(await sharedWorkers(alice.context)).toHaveLength(1);

    // A second device syncs with the worker's document over the page's WebRTC transport.
    await alice.page.getByRole('link', { name: /Worker Club/ }).click();
    const link = await makeInvite(alice.page, { label: 'bob' });
    const bob = await openDevice(browser, baseURL!);
    try {
      await createIdentity(bob.page, 'Bob');
      await joinFromLink(bob.page, link, 'Worker Club');
      await bob.page.getByRole('link', { name: /Written in tab one/ }).click();
      await expect(bob.page.getByText('Answered from tab two')).toBeVisible({ timeout: 20_000 });
      await sendReply(bob.page, 'Bob read both tabs');
      await expect(second.getByText('Bob read both tabs')).toBeVisible({ timeout: 20_000 });
    } finally {
      await bob.context.close();
    }
  } finally {
    await alice.context.close();
  }
});

test('a browser without SharedWorker holds the document in its tab’s worker and syncs with a device that uses the shared one', async ({ browser, baseURL }) => {
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  // Bob's browser has no SharedWorker (as before 2026 in some browsers).
  await withoutSharedWorker(bob.context);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Mixed Club');
    await startThread(alice.page, 'Across both kinds', 'Held in a worker here');
    await alice.page.getByRole('link', { name: /Mixed Club/ }).click();
    const link = await makeInvite(alice.page, { label: 'bob' });
    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, link, 'Mixed Club');
    expect(await sharedWorkers(bob.context)).toEqual([]);
    expect(runsCommunityWorker(bob.page)).toBe(true);
    expect(await documentsHeld(bob.page)).toBe('leader');
    await bob.page.getByRole('link', { name: /Across both kinds/ }).click();
    await expect(bob.page.getByText('Held in a worker here')).toBeVisible({ timeout: 20_000 });
    await sendReply(bob.page, 'Held on the page here');
    await alice.page.getByRole('link', { name: /Mixed Club/ }).click();
    await alice.page.getByRole('link', { name: /Across both kinds/ }).click();
    await expect(alice.page.getByText('Held on the page here')).toBeVisible({ timeout: 20_000 });
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});

test('without SharedWorker one tab runs the community worker and serves the others; when it closes, another tab takes over and nothing is lost', async ({
  browser,
  baseURL
}) => {
  const alice = await openDevice(browser, baseURL!);
  await withoutSharedWorker(alice.context);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Leader Club');
    await startThread(alice.page, 'Held by the first tab', 'The leader tab wrote this');
    await expect.poll(() => runsCommunityWorker(alice.page)).toBe(true);
    expect(await documentsHeld(alice.page)).toBe('leader');

    const second = await alice.context.newPage();
    await second.goto(alice.page.url());
    await expect(second.getByText('The leader tab wrote this')).toBeVisible();
    // Served through the first tab's worker: no document, and no worker holding one, of its own.
    expect(runsCommunityWorker(second)).toBe(false);
    expect(await documentsHeld(second)).toBe('follower');
    await sendReply(second, 'Written through the leader');
    await expect(alice.page.getByText('Written through the leader')).toBeVisible({ timeout: 5_000 });
    await sendReply(alice.page, 'The leader answers');
    await expect(second.getByText('The leader answers')).toBeVisible({ timeout: 5_000 });

    // The leader tab closes: the second tab opens again, runs the worker itself, and has everything.
    await alice.page.close();
    await expect.poll(() => runsCommunityWorker(second), { timeout: 20_000 }).toBe(true);
    expect(await documentsHeld(second)).toBe('leader');
    await expect(second.getByText('Written through the leader')).toBeVisible();
    await sendReply(second, 'Written after the leader left');
    const third = await alice.context.newPage();
    await third.goto(second.url());
    await expect(third.getByText('Written after the leader left')).toBeVisible();
    expect(runsCommunityWorker(third)).toBe(false);
    expect(await documentsHeld(third)).toBe('follower');
    await sendReply(third, 'A third tab follows the new leader');
    await expect(second.getByText('A third tab follows the new leader')).toBeVisible({ timeout: 5_000 });
  } finally {
    await alice.context.close();
  }
});

// A phone's browser freezes the tab the member left (Page Lifecycle), and with it that tab's dedicated
// worker. If that tab led, the tab in front of the member would wait on a worker that answers nothing.
test('a browser without SharedWorker whose leader tab is frozen in the background keeps serving its visible tab', async ({ baseURL }) => {
  const device = await launchFreezableDevice();
  await withoutSharedWorker(device.context);
  try {
    const first = await device.context.newPage();
    await createIdentity(first, 'Alice', baseURL);
    await createCommunity(first, 'Sleepy Club');
    await startThread(first, 'Held by a tab that sleeps', 'The leader tab wrote this');
    await expect.poll(() => documentsHeld(first)).toBe('leader');

    // The member opens the thread in a second tab, which is now in front: the first, hidden, hands over.
    const second = await device.context.newPage();
    await second.bringToFront();
    await second.goto(first.url());
    await expect.poll(() => first.evaluate(() => document.visibilityState)).toBe('hidden');
    await expect.poll(() => documentsHeld(second).catch(() => 'opening'), { timeout: 20_000 }).toBe('leader');
    expect(runsCommunityWorker(first)).toBe(false);
    await sendReply(second, 'Written in front');

    // The browser freezes the hidden tab. The tab in front writes and reads on.
    await setLifecycle(first, 'frozen');
    await sendReply(second, 'Written while the other tab sleeps');
    await expect(second.getByText('Written in front')).toBeVisible();

    // Back to the first tab: it opens again and, in front now, leads (the second, hidden, hands over),
    // with what was written meanwhile. Back to the second: it opens again and shows what the first wrote.
    await setLifecycle(first, 'active');
    await first.bringToFront();
    await expect.poll(() => documentsHeld(first).catch(() => 'opening'), { timeout: 30_000 }).toBe('leader');
    await expect(first.getByText('Written while the other tab sleeps')).toBeVisible();
    await sendReply(first, 'Back from sleep');
    // Which of the two leads now depends on when the first, hidden again, sees the second follow it: either serves.
    await second.bringToFront();
    await expect.poll(() => documentsHeld(second).catch(() => 'opening'), { timeout: 30_000 }).toMatch(/^(leader|follower)$/);
    await expect(second.getByText('Back from sleep')).toBeVisible();
  } finally {
    await device.close();
  }
});

/** Counts, per page, the IndexedDB transactions it opens over the projected posts (a page's live reads). */
function countPostReads() {
  const counts = { posts: 0 };
  (globalThis as unknown as { __postReads: typeof counts }).__postReads = counts;
  const open = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (this: IDBDatabase, stores: string | string[], ...rest: [IDBTransactionMode?, IDBTransactionOptions?]) {
    if ([stores].flat().some((s) => s === 'threads' || s === 'replies')) counts.posts++;
    return open.call(this, stores, ...rest);
  } as typeof open;
}

// With SharedWorker (the default), a frozen background tab runs no worker, but whatever IndexedDB
// transaction it had open stays open, and the shared worker's writes waited behind it: the reply in
// the tab in front stayed "sending" for 60–118 s in 3 of 6 freezes (a frozen tab's read of the posts,
// or its write of a setting). A hidden tab now reads nothing, and one that freezes aborts what it had open.
test('a tab frozen in the background holds up neither the shared worker nor the tab in front', async ({ baseURL }) => {
  const device = await launchFreezableDevice();
  await device.context.addInitScript(countPostReads);
  try {
    const first = await device.context.newPage();
    await createIdentity(first, 'Alice', baseURL);
    await createCommunity(first, 'Frosty Club');
    await startThread(first, 'Read in two tabs', 'The first tab wrote this');
    const second = await device.context.newPage();
    await second.bringToFront();
    await second.goto(first.url());
    await expect(second.getByText('The first tab wrote this')).toBeVisible();
    expect(await documentsHeld(second)).toBe('shared');
    await expect.poll(() => first.evaluate(() => document.visibilityState)).toBe('hidden');

    const postReads = () => first.evaluate(() => (globalThis as unknown as { __postReads: { posts: number } }).__postReads.posts);
    const readsWhenHidden = await postReads();
    for (let round = 0; round < 4; round++) {
      // The write in front changes the posts the hidden tab showed; the browser freezes that tab just then.
      await sendReply(second, `Before the freeze ${round}`);
      await setLifecycle(first, 'frozen');
      const text = `Written while the other tab sleeps ${round}`;
      await second.locator('#reply-body').fill(text);
      await second.getByRole('button', { name: 'Send reply' }).click();
      await expect(second.locator('[data-testid="post"]:not([data-sending])').filter({ hasText: text })).toBeVisible({ timeout: 5_000 });
      await setLifecycle(first, 'active');
    }
    // Hidden all along, the first tab read no posts; shown, it reads them and has every reply.
    expect(await postReads()).toBe(readsWhenHidden);
    await first.bringToFront();
    await expect(first.getByText('Written while the other tab sleeps 3')).toBeVisible();
    await sendReply(first, 'Back in front');
    await second.bringToFront();
    await expect(second.getByText('Back in front')).toBeVisible();
  } finally {
    await device.close();
  }
});
