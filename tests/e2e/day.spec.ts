// A creator's and a member's whole day, with both consoles watched: any console error or uncaught
// page error on any page fails the journey (an effect loop, a failed fetch, a bad state write).
// The member is on a 360 px phone and reads in Chinese for part of the day.
import { expect, test, type Page } from '@playwright/test';
import { connect } from 'node:net';
import { en } from '../../src/lib/i18n/en';

const KEYS = Object.keys(en);
import { createCommunity, createIdentity, makeInvite, sendReply, startThread, visit, watchConsole } from './journeys';

const PAGES = [
  '',
  '/new',
  '/qa',
  '/polls',
  '/challenges',
  '/notes',
  '/surveys',
  '/for-you',
  '/search',
  '/members',
  '/me',
  '/inbox',
  '/events',
  '/people',
  '/featured',
  '/series'
];
const STAFF_PAGES = ['/manage', '/insights', '/automation', '/review', '/audit'];

/**
 * Opens each page of the community and waits for it to settle; the page must not scroll sideways.
 * `load`: each from the address bar (the app starts on it); `follow`: through the app's router, as a
 * member clicks from page to page.
 */
async function visitAll(page: Page, home: string, paths: string[], how: 'load' | 'follow') {
  for (const path of paths) {
    if (how === 'load') await page.goto(`${home}${path}`);
    else await visit(page, `${home}${path}`);
    await expect(page.locator('main h1, main h2').first()).toBeVisible();
    await page.waitForTimeout(400);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, `${path || '/'} scrolls sideways`).toBeLessThanOrEqual(0);
    // A message key on screen means a string that never went through the dictionaries.
    const text = await page.locator('body').innerText();
    expect(
      KEYS.filter((k) => text.includes(k)),
      `${path || '/'} shows raw message keys`
    ).toEqual([]);
  }
}

/**
 * The signaling server starts beside the static server and may still be starting: the browser logs
 * every refused WebSocket as a console error, which would blame the app for the test's setup.
 */
async function signalingUp(port = Number(process.env.E2E_SIGNALING_PORT ?? 4445), ms = 15_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => (socket.end(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`signaling server on port ${port} is not up`);
}

test('a creator’s and a member’s day leaves no console error or page error on any page', async ({ browser, baseURL }) => {
  test.setTimeout(240_000);
  await signalingUp();
  const creator = await browser.newContext({ baseURL, acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  const member = await browser.newContext({ baseURL, viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  const alice = await creator.newPage();
  const bob = await member.newPage();
  const problems = [watchConsole(alice, 'Alice'), watchConsole(bob, 'Bob')];
  const all = () => problems.flat();
  try {
    // Morning: Alice sets up her community and looks around every page.
    await createIdentity(alice, 'Alice');
    await createCommunity(alice, 'Dawn Riders', 'We ride at dawn');
    const home = alice.url();
    await startThread(alice, 'Routes for spring', 'Which **route** first?');
    // Every page is started once from the address bar by each of them; their later rounds follow links.
    await visitAll(alice, home, [...PAGES, ...STAFF_PAGES], 'load');
    await alice.goto('/settings');
    await expect(alice.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
    await alice.goto('/inbox');
    await expect(alice.getByRole('heading', { level: 1, name: 'Inbox' })).toBeVisible();
    await alice.goto(`${home}/members`);
    const link = await makeInvite(alice, { label: 'riders' });

    // Bob opens the link on his phone, sees the community and joins.
    await bob.goto(link);
    await expect(bob.getByTestId('invite-preview')).toContainText('Dawn Riders');
    await bob.getByLabel('Display name').fill('Bob');
    await bob.getByRole('button', { name: 'Join community' }).click();
    await expect(bob.getByRole('heading', { level: 1, name: /Dawn Riders/ })).toBeVisible({ timeout: 30_000 });

    // He replies, reacts and asks a question.
    await bob.getByRole('link', { name: /Routes for spring/ }).click({ timeout: 30_000 });
    await sendReply(bob, 'The river path, @Alice!');
    await bob.getByTestId('post').first().getByRole('button', { name: 'React', exact: true }).click();
    await bob.getByTestId('post').first().getByRole('button', { name: 'React with 👍: 0' }).click();
    await bob.goto(`${home}/qa`);
    await bob.getByRole('button', { name: /Ask a question/ }).click();
    await bob.getByLabel('Question', { exact: true }).fill('Where do we meet?');
    await bob.getByLabel(/Details/).fill('First ride.');
    await bob.getByRole('button', { name: 'Post question' }).click();
    await expect(bob.getByRole('heading', { level: 1, name: 'Where do we meet?' })).toBeVisible();
    await bob.goto(`${home}/me`);
    await bob.getByLabel('Avatar (emoji)').fill('🚲');
    await bob.getByRole('button', { name: 'Save profile' }).click();
    await expect(bob.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
    await visitAll(bob, home, PAGES, 'load');

    // Noon: Alice answers, posts a poll and reads her inbox.
    await alice.goto(`${home}/qa`);
    await alice.getByRole('link', { name: /Where do we meet/ }).click({ timeout: 30_000 });
    await alice.getByLabel('Your answer').fill('At the old bridge, 6:00.');
    await alice.getByRole('button', { name: 'Post answer' }).click();
    await expect(alice.getByTestId('answer')).toHaveCount(1);
    await alice.goto(`${home}/polls`);
    await alice.getByLabel('Question', { exact: true }).fill('Saturday or Sunday?');
    await alice.getByLabel(/Options/).fill('Saturday\nSunday');
    await alice.getByRole('button', { name: 'Post poll' }).click();
    await expect(alice.getByTestId('poll').filter({ hasText: 'Saturday or Sunday?' })).toBeVisible();
    await alice.goto('/inbox');
    await expect(alice.getByText(/Bob/).first()).toBeVisible({ timeout: 30_000 });

    // Evening: Bob votes and reads everything in Chinese; Alice checks her staff pages again.
    await bob.goto(`${home}/polls`);
    const poll = bob.getByTestId('poll').filter({ hasText: 'Saturday or Sunday?' });
    await poll.getByRole('radio', { name: 'Sunday' }).check({ timeout: 30_000 });
    await poll.getByRole('button', { name: 'Vote' }).click();
    await expect(poll).toContainText(/1 voter\b/);
    await bob.goto('/settings');
    await bob.locator('#st-lang').selectOption('zh-CN');
    await visitAll(bob, home, PAGES, 'follow');
    await bob.goto('/inbox');
    await visitAll(alice, home, STAFF_PAGES, 'follow');

    expect(all()).toEqual([]);
  } finally {
    await creator.close();
    await member.close();
  }
});
