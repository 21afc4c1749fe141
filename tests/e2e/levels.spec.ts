// Content limited to a points level between two devices: a level-2 thread is a locked card for a
// level-1 member, saying which level opens it and how far they are; once their posts earn the
// points, the creator's device publishes their level and shares the key, and the thread opens.
import { expect, test } from '@playwright/test';
import { createCommunity, createIdentity, joinFromLink, makeInvite, openDevice, sendReply, startThread, watchConsole, visit } from './journeys';

test('a level-2 thread is locked for a level-1 member with the points still to earn, and opens once they reach level 2', async ({ browser, baseURL }) => {
  test.setTimeout(180_000);
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  const problems = [...watchConsole(alice.page, 'alice'), ...watchConsole(bob.page, 'bob')];
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Level Club');
    const cid = new URL(alice.page.url()).pathname.split('/')[2];
    const link = await makeInvite(alice.page, { label: 'all' });
    await visit(alice.page, `/c/${cid}/new`);
    await alice.page.getByLabel('Title', { exact: true }).fill('Members lesson');
    await alice.page.getByLabel(/Write in Markdown/).fill('The part for level 2');
    await alice.page.getByLabel('Level needed to read').selectOption({ label: 'Level 2 and above' });
    await alice.page.getByRole('button', { name: 'Post thread' }).click();
    await expect(alice.page.getByRole('heading', { level: 1, name: 'Members lesson' })).toBeVisible();
    const lessonUrl = new URL(alice.page.url()).pathname;
    // A series for level 2: its index is readable to everyone, its parts are not.
    await visit(alice.page, `/c/${cid}/series`);
    await alice.page.getByLabel('Series title').fill('Deep course');
    await alice.page.getByLabel('Level needed for its parts (optional)').selectOption({ label: 'Level 2 and above' });
    await alice.page.getByRole('button', { name: 'Create series' }).click();
    await expect(alice.page.getByRole('heading', { level: 1, name: /Deep course/ })).toBeVisible();
    const seriesUrl = new URL(alice.page.url()).pathname;

    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, link, 'Level Club');
    // Bob (0 points, level 1) sees a locked card: which level opens it and the 5 points to go.
    const locked = bob.page.getByTestId('locked-row');
    await expect(locked).toContainText('Level 2 opens this', { timeout: 30_000 });
    await expect(locked).toContainText('You are level 1 · 5 more points to go');
    await expect(bob.page.getByText('Members lesson')).toHaveCount(0);
    // The thread's own page says the same, and the series too.
    await visit(bob.page, lessonUrl);
    await expect(bob.page.getByTestId('level-lock')).toContainText('Level 2 opens this');
    await expect(bob.page.getByTestId('level-progress')).toHaveText('You are level 1 · 5 more points to go');
    await visit(bob.page, seriesUrl);
    await expect(bob.page.getByRole('heading', { level: 1, name: /Deep course/ })).toBeVisible({ timeout: 20_000 });
    await expect(bob.page.getByTestId('level-lock')).toContainText('Level 2 opens this series');
    await visit(bob.page, `/c/${cid}`);

    // A thread (3 points) and two replies (1 each) take Bob to 5 points: level 2.
    await startThread(bob.page, 'Hello from Bob', 'Glad to be here');
    await sendReply(bob.page, 'First note');
    await sendReply(bob.page, 'Second note');
    await visit(bob.page, `/c/${cid}`);
    // Until the creator's device has published the level and shared the key, the card says so.
    // Then the thread opens on Bob's device, and he reads it.
    await expect(bob.page.getByRole('link', { name: /Members lesson/ })).toBeVisible({ timeout: 60_000 });
    await expect(bob.page.getByTestId('locked-row')).toHaveCount(0);
    await bob.page.getByRole('link', { name: /Members lesson/ }).click();
    await expect(bob.page.getByText('The part for level 2')).toBeVisible();
    await visit(bob.page, seriesUrl);
    await expect(bob.page.getByRole('heading', { name: 'Parts' })).toBeVisible({ timeout: 20_000 });
    await expect(bob.page.getByTestId('level-lock')).toHaveCount(0);
    expect(problems).toEqual([]);
  } finally {
    for (const d of [alice, bob]) await d.context.close().catch(() => {});
  }
});
