// Finding one's way on a phone and on a desktop: the community navigation sits at the bottom of a
// phone screen and under the header on a desktop; the feed comes first on a community's home;
// creator tools live under Manage, which members never see, and nothing creator-only sits among posts.
import { expect, test, type Page } from '@playwright/test';
import { createCommunity, createIdentity, joinFromLink, makeInvite, openDevice, startThread, watchConsole, visit } from './journeys';

const nav = (page: Page) => page.getByRole('navigation', { name: 'Community' });

test('on a phone the feed, Q&A, inbox and Me are in a bar at the bottom and the feed starts on the first screen', async ({ browser, baseURL }) => {
  const alice = await openDevice(browser, baseURL!);
  const problems = watchConsole(alice.page, 'Alice');
  try {
    await alice.page.setViewportSize({ width: 390, height: 740 });
    await createIdentity(alice.page, 'Alice');
    await createCommunity(
      alice.page,
      'Pocket Club',
      'A club that fits in a pocket, with a description long enough to wrap over more than two lines on a narrow phone screen, which the home keeps short.'
    );
    await startThread(alice.page, 'First ride', 'Saturday at nine.');
    await nav(alice.page).getByRole('link', { name: 'Feed' }).click();

    const bar = await nav(alice.page).boundingBox();
    expect(bar, 'the community navigation').not.toBeNull();
    expect(bar!.y + bar!.height, 'the bar ends at the bottom of the screen').toBeGreaterThanOrEqual(739);
    expect(bar!.height, 'one row of tabs').toBeLessThan(80);
    const first = await alice.page.getByTestId('thread-row').first().boundingBox();
    expect(first!.y + first!.height, 'the first thread is whole above the bar').toBeLessThanOrEqual(bar!.y);
    await expect(nav(alice.page).getByRole('link', { name: 'Feed' })).toHaveAttribute('aria-current', 'page');

    const tabs: [string, RegExp][] = [
      ['Q&A', /^Q&A$/],
      ['Inbox', /^Inbox · Pocket Club$/],
      ['Me', /^Me in Pocket Club$/],
      ['Manage', /^Manage Pocket Club$/]
    ];
    for (const [tab, heading] of tabs) {
      await nav(alice.page).getByRole('link', { name: tab, exact: true }).click();
      await expect(alice.page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
      await expect(nav(alice.page).getByRole('link', { name: tab, exact: true })).toHaveAttribute('aria-current', 'page');
      expect(await nav(alice.page).locator('[aria-current="page"]').count(), `only ${tab} is current`).toBe(1);
    }
    expect(problems).toEqual([]);
  } finally {
    await alice.context.close();
  }
});

test('the creator finds every tool under Manage, folded away from the thread, and a member sees none of it', async ({ browser, baseURL }) => {
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  try {
    await alice.page.setViewportSize({ width: 1280, height: 800 });
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Tool Club');
    const home = alice.page.url();
    // On a desktop the navigation is a row of tabs under the header.
    const bar = await nav(alice.page).boundingBox();
    expect(bar!.y, 'tabs at the top').toBeLessThan(150);

    await nav(alice.page).getByRole('link', { name: 'Manage', exact: true }).click();
    const tools: [RegExp, RegExp][] = [
      [/^Members & invites/, /Members & invites/],
      [/^Tiers & payments/, /Members & invites/],
      [/^Automation/, /^Automation$/],
      [/^Insights/, /Insights/],
      [/^Review queue/, /^Review queue$/],
      [/^Audit log/, /^Audit log$/],
      [/^Read keys/, /Members & invites/],
      [/^Sync addresses/, /Members & invites/]
    ];
    for (const [tool, heading] of tools) {
      await visit(alice.page, `${home}/manage`);
      await alice.page.getByRole('main').getByRole('link', { name: tool }).click();
      await expect(alice.page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
      // Every tool page counts as being under Manage.
      await expect(nav(alice.page).getByRole('link', { name: 'Manage', exact: true })).toHaveAttribute('aria-current', 'page');
    }
    // The creator's variety setting for "For you": a named group of choices, kept as a community setting.
    await visit(alice.page, `${home}/manage`);
    const variety = () => alice.page.getByRole('group', { name: 'Variety in “For you”' });
    await variety()
      .getByRole('radio', { name: /^More:/ })
      .check();
    await alice.page.getByRole('button', { name: 'Save variety' }).click();
    await expect(alice.page.getByTestId('diversity-setting').getByRole('status')).toContainText('Saved.');
    await alice.page.reload();
    await expect(variety().getByRole('radio', { name: /^More:/ })).toBeChecked({ timeout: 15_000 });
    // Tiers, keys and addresses are further down the members page, scrolled into view.
    await visit(alice.page, `${home}/manage`);
    await alice.page
      .getByRole('main')
      .getByRole('link', { name: /^Tiers & payments/ })
      .click();
    await expect(alice.page.getByLabel('Tier name')).toBeInViewport();

    // The home offers no creator tool; the thread folds its one moderator control away.
    await visit(alice.page, home);
    for (const name of [/Insights/, /Automation/, /Review queue/]) await expect(alice.page.getByRole('main').getByRole('link', { name })).toHaveCount(0);
    await startThread(alice.page, 'Calm thread', 'Take your time.');
    await expect(alice.page.getByLabel(/Slow mode/)).toBeHidden();
    await alice.page.getByText('Moderate this thread').click();
    await expect(alice.page.getByLabel(/Slow mode/)).toBeVisible();
    const thread = new URL(alice.page.url()).pathname;

    // Bob, a member: no Manage tab, no moderator tools on the same thread, and the hub says so.
    await visit(alice.page, home);
    const link = await makeInvite(alice.page, { label: 'bob' });
    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, link, 'Tool Club');
    await expect(nav(bob.page).getByRole('link', { name: 'Feed' })).toBeVisible();
    await expect(nav(bob.page).getByRole('link', { name: 'Manage' })).toHaveCount(0);
    await visit(bob.page, thread);
    await expect(bob.page.getByRole('heading', { level: 1, name: 'Calm thread' })).toBeVisible({ timeout: 30_000 });
    await expect(bob.page.getByText('Moderate this thread')).toHaveCount(0);
    await visit(bob.page, `${home.replace(new URL(home).origin, '')}/manage`);
    await expect(bob.page.getByText('You have no creator or moderator tools in this community.')).toBeVisible();
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});

test('on a phone the members page keeps its place while the worker fills in its panels: the sync addresses do not move under a finger', async ({
  browser,
  baseURL
}) => {
  const alice = await openDevice(browser, baseURL!);
  const problems = watchConsole(alice.page, 'Alice');
  try {
    await alice.page.setViewportSize({ width: 360, height: 740 });
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Steady Club');
    await nav(alice.page).getByRole('link', { name: 'Manage', exact: true }).click();
    await alice.page
      .getByRole('main')
      .getByRole('link', { name: /^Sync addresses/ })
      .click();
    const form = alice.page.getByRole('form', { name: 'Sync addresses' });
    await expect(form).toBeVisible();
    const top = async () => (await form.boundingBox())!.y + (await alice.page.evaluate(() => window.scrollY));
    const first = await top();
    // Everything the worker answers: the tiers, each member's counts, the keys.
    await expect(alice.page.getByText('No tiers yet', { exact: false })).toBeVisible();
    await expect(alice.page.getByTestId('contributions')).toBeVisible();
    await expect(alice.page.getByTestId('key-scope')).toBeVisible();
    expect(Math.abs((await top()) - first)).toBeLessThanOrEqual(2);
    expect(problems).toEqual([]);
  } finally {
    await alice.context.close();
  }
});
