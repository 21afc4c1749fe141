// The creator's automation runs the community: a tiered member is welcomed, reminded before
// expiry and moved to the free tier after it; a scheduled thread appears on time on another
// member's device; a community file restores the whole community on a wiped device.
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { createCommunity, createIdentity, createTier, joinFromLink, makeInvite, startThread, openDevice, documentsOnThePage, visit } from './journeys';

const DAY = 86_400_000;

test('a tiered newcomer is welcomed, reminded before expiry and moved to the free tier after it', async ({ browser, baseURL }) => {
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  // The test moves each page's clock; a worker keeps the real one, so these devices hold their
  // documents on the page (the path of browsers with no worker to hold them), where one clock rules.
  for (const device of [alice, bob]) await documentsOnThePage(device.context);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Gold Club');
    await createTier(alice.page, 'gold', '¥99 / month', '30');
    await alice.page.getByLabel('Tier (optional)').fill('gold');
    const link = await makeInvite(alice.page, { label: 'gold members' });
    const home = alice.page.url().replace(/\/members$/, '');

    const joinedAt = Date.now();
    await bob.page.goto('about:blank');
    await bob.page.clock.install({ time: joinedAt });
    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, link, 'Gold Club');
    await expect(bob.page.getByTestId('my-membership')).toContainText('Your membership: gold · until');
    // Alice's device welcomes the newcomer as soon as the join reaches it.
    await expect(bob.page.getByTestId('notices')).toContainText('Welcome, Bob!', { timeout: 30_000 });

    // 25 days later on Alice's device: the reminder rule writes one reminder.
    await alice.page.goto('about:blank');
    await alice.page.clock.install({ time: joinedAt + 25 * DAY });
    await visit(alice.page, `${home}/automation`);
    await alice.page.getByRole('button', { name: 'Run rules now' }).click();
    await expect(alice.page.getByTestId('auto-log').filter({ hasText: /^Renewal reminder to Bob/ })).toHaveCount(1, { timeout: 20_000 });
    await alice.page.getByRole('button', { name: 'Run rules now' }).click();
    await expect(alice.page.getByRole('status')).toHaveText('0 actions taken.');
    await expect(bob.page.getByTestId('notices')).toContainText('Your gold membership ends on', { timeout: 30_000 });
    // The same records read in Bob's language once he switches: no English left in them.
    const bobHome = bob.page.url();
    await visit(bob.page, '/settings');
    await bob.page.locator('#st-lang').selectOption('zh-CN');
    await expect(bob.page.getByRole('heading', { level: 1, name: '设置' })).toBeVisible();
    await visit(bob.page, bobHome);
    await expect(bob.page.getByTestId('notices')).toContainText('你的 gold 会员将于');
    await expect(bob.page.getByTestId('notices')).toContainText('欢迎你，Bob！');
    await expect(bob.page.getByTestId('notices')).not.toContainText(/membership|Welcome/);
    await visit(bob.page, '/settings');
    await bob.page.locator('#st-lang').selectOption('en');
    await expect(bob.page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
    await visit(bob.page, bobHome);

    // In grace after 30 days, on the free tier after 37.
    await bob.page.clock.setSystemTime(joinedAt + 31 * DAY);
    await bob.page.reload();
    await expect(bob.page.getByTestId('my-membership')).toContainText('renew within the grace period');
    await bob.page.clock.setSystemTime(joinedAt + 38 * DAY);
    await bob.page.reload();
    await expect(bob.page.getByTestId('my-membership')).toContainText('you are on the free tier now');
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});

test('a scheduled thread appears at its time on another member’s device', async ({ browser, baseURL }) => {
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Launch Club');
    const link = await makeInvite(alice.page, { label: 'bob' });
    const home = alice.page.url().replace(/\/members$/, '');
    const now = Date.now();
    await bob.page.goto('about:blank');
    await bob.page.clock.install({ time: now });
    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, link, 'Launch Club');

    await visit(alice.page, `${home}/new`);
    await alice.page.getByLabel('Title', { exact: true }).fill('Launch day');
    await alice.page.getByLabel(/Write in Markdown/).fill('We open at noon.');
    const at = new Date(now + 2 * 3_600_000);
    const local = new Date(at.getTime() - at.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await alice.page.getByLabel('Publish at (optional)').fill(local);
    await alice.page.getByRole('button', { name: 'Post thread' }).click();
    await expect(alice.page.getByRole('heading', { level: 1, name: 'Launch day' })).toBeVisible();
    await visit(alice.page, home);
    await startThread(alice.page, 'Posted now', 'visible at once');

    await expect(bob.page.getByRole('link', { name: /Posted now/ })).toBeVisible({ timeout: 30_000 });
    await expect(bob.page.getByRole('link', { name: /Launch day/ })).toHaveCount(0);
    await bob.page.clock.setSystemTime(now + 2 * 3_600_000 + 60_000);
    await bob.page.reload();
    await expect(bob.page.getByRole('link', { name: /Launch day/ })).toBeVisible();
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});

test('export, wipe and import give back the same community (the identity file restores the keys to read it)', async ({ browser, baseURL }) => {
  const alice = await openDevice(browser, baseURL!);
  const wiped = await openDevice(browser, baseURL!);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Archive Club', 'Everything we wrote');
    await startThread(alice.page, 'First words', 'Kept forever');
    await alice.page.getByRole('link', { name: /Archive Club/ }).click();
    await startThread(alice.page, '第二个主题', '中文内容');
    await alice.page.getByRole('link', { name: 'Settings' }).click();
    const download = alice.page.waitForEvent('download');
    await alice.page.getByRole('button', { name: 'Export community file: Archive Club' }).click();
    const file = await (await download).path();
    const identityDownload = alice.page.waitForEvent('download');
    await alice.page.getByRole('button', { name: /Export identity file/ }).click();
    const identityFile = await (await identityDownload).path();

    // A wiped device: the identity file first (content is sealed; only its members' keys open it), then the community.
    await visit(wiped.page, '/');
    await wiped.page.getByLabel(/Language|语言/).selectOption('en');
    await wiped.page.locator('#ob-import').setInputFiles({ name: 'id.json', mimeType: 'application/json', buffer: readFileSync(identityFile) });
    await expect(wiped.page.getByRole('heading', { name: 'My communities' })).toBeVisible();
    await wiped.page.getByTestId('community-file-input').setInputFiles(file);
    await expect(wiped.page.getByTestId('community-file-result')).toContainText('records imported, 0 rejected', { timeout: 30_000 });
    await wiped.page.getByRole('link', { name: /Open Archive Club/ }).click();
    await expect(wiped.page.getByRole('heading', { level: 1, name: /Archive Club/ })).toBeVisible();
    await expect(wiped.page.getByRole('link', { name: /First words/ })).toBeVisible();
    await expect(wiped.page.getByRole('link', { name: /第二个主题/ })).toBeVisible();
    await expect(wiped.page.getByText('Everything we wrote')).toBeVisible();
    await expect(wiped.page.getByText(/\b1 member\b/)).toBeVisible();
  } finally {
    await alice.context.close();
    await wiped.context.close();
  }
});
