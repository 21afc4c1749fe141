// A member searches her community on her own device, in Chinese and English; another member,
// on another device joined by invite, mentions her, and the mention waits in her inbox.
import { expect, test, type Browser, type Page } from '@playwright/test';
import { launchDevice } from './browser';
import { createCommunity, createIdentity, joinFromLink, makeInvite, sendReply, startThread, visit } from './journeys';

async function device(browser: Browser, baseURL: string) {
  const context = await browser.newContext({ baseURL });
  return { context, page: await context.newPage() };
}

function searchBox(page: Page) {
  return page.getByRole('searchbox', { name: 'Search this community' });
}

async function search(page: Page, query: string) {
  await searchBox(page).fill(query);
  await expect(page.getByTestId('search-results')).toHaveAttribute('data-query', query);
}

test('search finds a Chinese phrase and an English word; a mention by another member waits in the inbox', async ({ browser, baseURL }) => {
  // Alice's inbox offers browser notifications, which a browser offers only where it may ask: the
  // journeys' headless shell denies every site (Notification.permission is 'denied'), so her device
  // is the full browser, where a site has not been asked yet.
  const aliceDevice = await launchDevice(baseURL!);
  const alice = { context: aliceDevice.context, page: await aliceDevice.context.newPage() };
  const bob = await device(browser, baseURL!);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Lakeside Riders', 'Weekend rides');
    const cid = new URL(alice.page.url()).pathname.split('/')[2];
    await startThread(alice.page, '周末骑行计划', '我们周末去骑自行车，路线经过西湖，中午在湖边吃饭。');
    await alice.page.getByRole('link', { name: /Lakeside Riders/ }).click();
    await startThread(alice.page, 'Brake maintenance', 'How often do you replace the brake pads on a touring bicycle?');
    // Markup in a post: the thread page sanitises it; search results must show it as text.
    await alice.page.locator('#reply-body').fill('Derailleur hangers bend easily, carry a spare <b>one</b>.');
    await alice.page.getByRole('button', { name: 'Send reply' }).click();
    await expect(alice.page.getByTestId('post').filter({ hasText: 'Derailleur hangers' })).toBeVisible();

    await visit(alice.page, `/c/${cid}/search`);
    await expect(searchBox(alice.page)).toBeVisible();

    // A Chinese phrase: segmented the same way in the post and in the query.
    await search(alice.page, '骑自行车');
    const results = alice.page.getByTestId('search-result');
    await expect(results).toHaveCount(1);
    await expect(results.first()).toContainText('周末骑行计划');
    await expect(results.first().locator('mark').first()).toContainText(/自行|车|骑/);

    // English: "bicycles" finds "bicycle" by its stem; a word still being typed finds by prefix.
    await search(alice.page, 'bicycles');
    await expect(results).toHaveCount(1);
    await expect(results.first()).toContainText('Brake maintenance');
    await expect(results.first().locator('mark')).toHaveText(['bicycle']);
    await search(alice.page, 'derail');
    await expect(results.first()).toContainText('in “Brake maintenance”');
    await expect(results.first().locator('mark')).toHaveText(['Derailleur']);
    // The reply's markup is shown as text, never interpreted.
    await expect(results.first()).toContainText('carry a spare one');
    await expect(results.first().locator('b')).toHaveCount(0);

    // The page fits a 360 px phone.
    await alice.page.setViewportSize({ width: 360, height: 740 });
    expect(await alice.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await alice.page.setViewportSize({ width: 1280, height: 720 });

    // Results link to the post.
    await results.first().getByRole('link').click();
    await expect(alice.page.getByRole('heading', { level: 1, name: 'Brake maintenance' })).toBeVisible();

    // Bob joins from an invite and mentions Alice in a reply.
    await alice.page.getByRole('link', { name: /Lakeside Riders/ }).click();
    const link = await makeInvite(alice.page, { label: 'riders' });
    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, link, 'Lakeside Riders');
    await bob.page.getByRole('link', { name: /Brake maintenance/ }).click({ timeout: 20_000 });
    await expect(bob.page.getByRole('heading', { level: 1, name: 'Brake maintenance' })).toBeVisible();
    await sendReply(bob.page, 'Thanks @Alice, I will bring a spare hanger on Sunday');

    // Alice's inbox: the mention, unread, with who and where.
    await visit(alice.page, '/inbox');
    await expect(alice.page.getByRole('heading', { level: 1, name: 'Inbox' })).toBeVisible();
    const notification = alice.page.getByTestId('notification').filter({ hasText: 'Bob mentioned you' });
    await expect(notification).toBeVisible({ timeout: 30_000 });
    await expect(notification).toContainText('I will bring a spare hanger');
    await expect(notification).toContainText('in Lakeside Riders');
    await expect(alice.page.getByTestId('inbox-unread')).toHaveText('1 unread');
    await expect(alice.page.getByRole('button', { name: /Turn on browser notifications/ })).toBeVisible();
    await alice.page.setViewportSize({ width: 360, height: 740 });
    expect(await alice.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await alice.page.setViewportSize({ width: 1280, height: 720 });

    // Opening it reads it and goes to the reply.
    await notification.getByRole('link').click();
    await expect(alice.page.getByRole('heading', { level: 1, name: 'Brake maintenance' })).toBeVisible();
    await expect(alice.page.getByText('I will bring a spare hanger')).toBeVisible();
    await visit(alice.page, '/inbox');
    await expect(alice.page.getByTestId('notification')).toHaveCount(1);
    await expect(alice.page.getByTestId('inbox-unread')).toHaveText('');

    // What a peer wrote is found too: the index, in Alice's community worker, follows every record it accepts.
    await visit(alice.page, `/c/${cid}/search`);
    await search(alice.page, 'sunday');
    await expect(results).toHaveCount(1);
    await expect(results.first()).toContainText('I will bring a spare hanger');
  } finally {
    await aliceDevice.close();
    await bob.context.close();
  }
});
