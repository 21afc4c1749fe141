// A member always learns where they stand: removed from a community, or waiting out slow mode,
// they are told what happened and when they can post again, never "this thread does not exist".
import { expect, test } from '@playwright/test';
import { createCommunity, createIdentity, joinFromLink, makeInvite, openDevice, sendReply, startThread, watchConsole, visit } from './journeys';

test('a removed member is told so on the community and on their own thread, and cannot post', async ({ browser, baseURL }) => {
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  const problems: string[] = [];
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Ban Club');
    const link = await makeInvite(alice.page, { label: 'bob' });
    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, link, 'Ban Club');
    const bobHome = bob.page.url();
    await startThread(bob.page, 'Buy my stuff', 'Cheap!');
    problems.push(...watchConsole(bob.page, 'Bob'));

    // Alice removes Bob once his thread reached her.
    await expect(alice.page.getByTestId('member-row').filter({ hasText: 'Bob' })).toBeVisible({ timeout: 30_000 });
    alice.page.on('dialog', (d) => d.accept());
    await alice.page.getByTestId('member-row').filter({ hasText: 'Bob' }).getByRole('button', { name: 'Ban' }).click();
    await expect(alice.page.getByTestId('member-row').filter({ hasText: 'Bob' })).toContainText('banned');

    const removed = bob.page.getByTestId('removed-notice');
    await expect(removed).toContainText('You were removed from Ban Club by Alice on', { timeout: 30_000 });
    await expect(removed).toContainText('you can no longer post');
    await expect(bob.page.getByText('This thread does not exist')).toHaveCount(0);
    await expect(bob.page.getByRole('button', { name: 'Send reply' })).toHaveCount(0);

    await visit(bob.page, bobHome);
    await expect(bob.page.getByTestId('removed-notice')).toContainText('You were removed from Ban Club by Alice');
    await bob.page.getByRole('link', { name: /New thread/ }).click();
    await bob.page.getByLabel('Title', { exact: true }).fill('Still here?');
    await bob.page.getByLabel(/Write in Markdown/).fill('Let me in');
    await bob.page.getByRole('button', { name: 'Post thread' }).click();
    await expect(bob.page.getByText('You were removed from this community, so you can no longer post here.')).toBeVisible();
    expect(problems).toEqual([]);
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});

test('a member in slow mode is told when they can reply again, before and after they try, also when it starts while they read', async ({
  browser,
  baseURL
}) => {
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Slow Club');
    const home = alice.page.url();
    const link = await makeInvite(alice.page, { label: 'bob' });
    await visit(alice.page, home);
    await startThread(alice.page, 'One at a time', 'Think before you reply.');
    const thread = alice.page.url();

    // Bob has the thread open when Alice turns slow mode on: he is told without reopening it (the
    // page's clock ticks every 30 s; the notice comes with the record, well before).
    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, link, 'Slow Club');
    await visit(bob.page, thread);
    await expect(bob.page.getByRole('heading', { level: 1, name: 'One at a time' })).toBeVisible({ timeout: 30_000 });
    await expect(bob.page.getByRole('button', { name: 'Send reply' })).toBeEnabled();
    await alice.page.getByText('Moderate this thread').click();
    await alice.page.getByLabel(/Slow mode/).fill('600');
    await alice.page.getByRole('button', { name: 'Set slow mode' }).click();
    const wait = bob.page.getByTestId('posting-wait');
    await expect(wait).toContainText('Slow mode is on in this thread: each member may reply once every 10 minutes.', { timeout: 8_000 });
    await sendReply(bob.page, 'My one reply');
    await expect(wait).toContainText(/Slow mode: you can reply again at .+ \(in 10 minutes\)/);

    await bob.page.locator('#reply-body').fill('And another');
    await bob.page.getByRole('button', { name: 'Send reply' }).click();
    await expect(bob.page.getByRole('alert').filter({ hasText: /Slow mode: you can reply again at .+ \(in 10 minutes\)/ })).toBeVisible();
    await expect(bob.page.getByTestId('post').filter({ hasText: 'And another' })).toHaveCount(0);
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});

test('a member whose reply a moderator hid is told so, and still sees what was hidden', async ({ browser, baseURL }) => {
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Tidy Club');
    const home = alice.page.url();
    const link = await makeInvite(alice.page, { label: 'bob' });
    await visit(alice.page, home);
    await startThread(alice.page, 'Keep it kind', 'Be nice.');
    const thread = alice.page.url();
    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, link, 'Tidy Club');
    await visit(bob.page, thread);
    await sendReply(bob.page, 'A grumpy reply');

    await expect(alice.page.getByTestId('post').filter({ hasText: 'A grumpy reply' })).toBeVisible({ timeout: 30_000 });
    await alice.page.getByTestId('post').filter({ hasText: 'A grumpy reply' }).getByText('Moderate', { exact: true }).click();
    await alice.page.getByTestId('post').filter({ hasText: 'A grumpy reply' }).getByRole('button', { name: 'Hide' }).click();

    const mine = bob.page.getByTestId('post').filter({ hasText: 'A grumpy reply' });
    await expect(mine.getByTestId('post-hidden')).toHaveText(/^A moderator hid your post: other members no longer see it/, { timeout: 30_000 });
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});

test('a new member posting too fast is told when they can post again, before and after they try', async ({ browser, baseURL }) => {
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Busy Club');
    const home = alice.page.url();
    // Trust level 1 (30 posts an hour) only after 100 replies: Bob stays at level 0, 5 posts an hour.
    await visit(alice.page, `${home}/automation`);
    await alice.page.getByRole('group', { name: 'Level 1', exact: true }).getByLabel('Replies').fill('100');
    await alice.page.getByRole('button', { name: 'Save rules' }).click();
    await expect(alice.page.getByText('Rules saved.')).toBeVisible();
    await visit(alice.page, home);
    const link = await makeInvite(alice.page, { label: 'bob' });
    await visit(alice.page, home);
    await startThread(alice.page, 'Chatter', 'Say hello.');
    const thread = alice.page.url();

    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, link, 'Busy Club');
    await visit(bob.page, thread);
    await expect(bob.page.getByRole('heading', { level: 1, name: 'Chatter' })).toBeVisible({ timeout: 30_000 });
    for (let i = 1; i <= 5; i++) await sendReply(bob.page, `Hello number ${i}`);
    const wait = bob.page.getByTestId('posting-wait');
    await expect(wait).toContainText(/You are posting too fast for your trust level\. You can post again at .+ \(in .+\)\./);

    await bob.page.locator('#reply-body').fill('Hello number 6');
    await bob.page.getByRole('button', { name: 'Send reply' }).click();
    await expect(bob.page.getByRole('alert').filter({ hasText: /You are posting too fast for your trust level\. You can post again at / })).toBeVisible();
    await expect(bob.page.getByTestId('post').filter({ hasText: 'Hello number 6' })).toHaveCount(0);
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});
