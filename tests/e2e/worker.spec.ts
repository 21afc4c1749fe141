// The community document lives in one SharedWorker per device: pages relay their peers' bytes and
// read projections. Two tabs of one device share it; a second device syncs with it over WebRTC.
import { expect, test } from '@playwright/test';
import { createCommunity, createIdentity, joinFromLink, makeInvite, openDevice, sendReply, sharedWorkers, startThread, withoutSharedWorker } from './journeys';

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

test('a browser without SharedWorker holds the document on the page and syncs with a device that uses the worker', async ({ browser, baseURL }) => {
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
