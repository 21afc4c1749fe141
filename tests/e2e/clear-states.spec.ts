// A member always knows where they stand: the members page opens without an effect loop and
// keeps a profile whole across saves; the sync line tells a lost network from a chosen offline
// mode (which a reload remembers) and says "up to date" once peers have met.
import { expect, test } from '@playwright/test';
import { createCommunity, createIdentity, joinFromLink, makeInvite, openDevice, useRelay, watchConsole, visit } from './journeys';

test('the members page opens without an effect loop, and saving the profile again keeps avatar and links', async ({ browser, baseURL }) => {
  const alice = await openDevice(browser, baseURL!);
  const problems = watchConsole(alice.page, 'Alice');
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Profile Club');
    await alice.page.getByRole('link', { name: 'Me', exact: true }).click();
    await expect(alice.page.getByRole('button', { name: 'Save profile' })).toBeVisible();
    await alice.page.waitForTimeout(1_500);
    expect(problems).toEqual([]);

    await alice.page.getByLabel('Avatar (emoji)').fill('🚲');
    await alice.page.getByLabel('About me').fill('Rides at dawn');
    await alice.page.getByLabel(/^Links/).fill('https://riders.example/alice\nhttps://blog.example');
    await alice.page.getByRole('button', { name: 'Save profile' }).click();
    await expect(alice.page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();

    // Later, on a fresh page: only the bio changes.
    await alice.page.reload();
    await expect(alice.page.getByLabel('Avatar (emoji)')).toHaveValue('🚲');
    await expect(alice.page.getByLabel(/^Links/)).toHaveValue('https://riders.example/alice\nhttps://blog.example');
    await alice.page.getByLabel('About me').fill('Rides at dawn, and at dusk');
    await alice.page.getByRole('button', { name: 'Save profile' }).click();
    await expect(alice.page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();

    await alice.page.getByRole('link', { name: /Members & invites/ }).click();
    const me = alice.page.getByTestId('member-row').filter({ hasText: 'Alice' });
    await expect(me).toContainText('Rides at dawn, and at dusk');
    await expect(me).toContainText('🚲');
    await expect(me.getByRole('link', { name: 'riders.example/alice' })).toBeVisible();
    await expect(me.getByRole('link', { name: 'blog.example' })).toBeVisible();
    expect(problems).toEqual([]);
  } finally {
    await alice.context.close();
  }
});

test('the sync line says up to date with peers, tells a lost network from a chosen offline mode, and remembers the choice', async ({ browser, baseURL }) => {
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Signal Club');
    const home = alice.page.url();
    const link = await makeInvite(alice.page, { label: 'bob' });
    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, link, 'Signal Club');
    await visit(alice.page, home);

    const state = alice.page.getByTestId('sync-state');
    await expect(state).toHaveText(/^(Up to date|Receiving updates…) · connected with 1 device$/, { timeout: 30_000 });
    await expect(alice.page.getByTestId('sync-status')).not.toContainText('Not yet in sync');
    await expect(state).toHaveText('Up to date · connected with 1 device', { timeout: 15_000 });

    // The network drops: that is not the member's choice.
    await alice.context.setOffline(true);
    await expect(state).toHaveText(/^No network/);
    await expect(alice.page.getByRole('button', { name: 'Work offline' })).toHaveAttribute('aria-pressed', 'false');
    await expect(alice.page.getByTestId('last-contact')).toContainText('Last in sync');
    await alice.context.setOffline(false);
    await expect(state).toHaveText(/^(Up to date|Receiving updates…) · connected with 1 device$/, { timeout: 30_000 });

    // The member chooses to work offline; a reload keeps the choice, and nothing comes in.
    await alice.page.getByRole('button', { name: 'Work offline' }).click();
    await expect(state).toHaveText(/^Working offline, as you chose/);
    await alice.page.reload();
    await expect(state).toHaveText(/^Working offline, as you chose/);
    await expect(alice.page.getByRole('button', { name: 'Go back online' })).toHaveAttribute('aria-pressed', 'true');
    await bob.page.getByRole('link', { name: /New thread/ }).click();
    await bob.page.getByLabel('Title', { exact: true }).fill('Written while Alice works offline');
    await bob.page.getByLabel(/Write in Markdown/).fill('It waits for her.');
    await bob.page.getByRole('button', { name: 'Post thread' }).click();
    await expect(bob.page.getByRole('heading', { level: 1, name: 'Written while Alice works offline' })).toBeVisible();
    await alice.page.waitForTimeout(3_000);
    await expect(alice.page.getByRole('link', { name: /Written while Alice works offline/ })).toHaveCount(0);

    await alice.page.getByRole('button', { name: 'Go back online' }).click();
    await expect(alice.page.getByRole('link', { name: /Written while Alice works offline/ })).toBeVisible({ timeout: 30_000 });
    await expect(state).toHaveText(/^(Up to date|Receiving updates…) · connected with 1 device$/, { timeout: 30_000 });
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});

test('the sync line says updates are arriving while another member’s post comes in, then up to date', async ({ browser, baseURL }) => {
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Busy Line');
    const home = alice.page.url();
    const link = await makeInvite(alice.page, { label: 'bob' });
    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, link, 'Busy Line');
    await visit(alice.page, home);
    const state = alice.page.getByTestId('sync-state');
    await expect(state).toHaveText('Up to date · connected with 1 device', { timeout: 30_000 });

    await bob.page.getByRole('link', { name: /New thread/ }).click();
    await bob.page.getByLabel('Title', { exact: true }).fill('Hello from Bob');
    await bob.page.getByLabel(/Write in Markdown/).fill('Arriving now.');
    await bob.page.getByRole('button', { name: 'Post thread' }).click();
    await expect(state).toHaveText('Receiving updates… · connected with 1 device', { timeout: 15_000 });
    await expect(alice.page.getByRole('link', { name: /Hello from Bob/ })).toBeVisible();
    await expect(state).toHaveText('Up to date · connected with 1 device', { timeout: 15_000 });
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});

test('the sync line names the relay in words: connected, and not reachable at an address that does not answer', async ({ browser, baseURL }) => {
  const relay = `ws://127.0.0.1:${process.env.E2E_RELAY_PORT ?? 4457}`;
  const alice = await openDevice(browser, baseURL!);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Relay Club');
    const home = alice.page.url();
    await useRelay(alice.page, relay);
    await alice.page.goto(home);
    const status = alice.page.getByTestId('sync-status');
    // Nobody else is online, but the relay keeps what she writes: that is being in sync.
    await expect(status).toContainText('Relay connected', { timeout: 20_000 });
    await expect(alice.page.getByTestId('sync-state')).toHaveText('Up to date');

    // An address where no relay answers (port 9, discard): said in words, and she is alone.
    await useRelay(alice.page, 'ws://127.0.0.1:9');
    await alice.page.goto(home);
    await expect(status).toContainText('Relay not reachable', { timeout: 20_000 });
    await expect(alice.page.getByTestId('sync-state')).toHaveText(/^No other member’s device is online now/, { timeout: 20_000 });
    await expect(status).not.toContainText('Relay connected');
  } finally {
    await alice.context.close();
  }
});
