// Invites and devices by QR code: the invite's QR code is a short link a phone reads at arm's length
// (decoded here from the drawn code, as a camera would), a damaged short link says so, and a second
// device linked by its QR code becomes the same member with the same communities.
import { createRequire } from 'node:module';
import { expect, test, type Page } from '@playwright/test';
import QRCode from 'qrcode';
import { createCommunity, createIdentity, joinFromLink, makeInvite, openDevice, startThread, watchConsole, visit } from './journeys';

const jsQrPath = createRequire(import.meta.url).resolve('jsqr/dist/jsQR.js');

/** Draws the QR code named `name` on a canvas in the page and reads it back with jsQR. */
async function readQr(page: Page, name: string): Promise<string> {
  const code = page.getByRole('img', { name });
  await expect(code.locator('svg')).toBeVisible();
  await page.addScriptTag({ path: jsQrPath });
  const svg = await code.locator('svg').evaluate((el) => new XMLSerializer().serializeToString(el));
  const text = await page.evaluate(async (markup) => {
    const image = new Image();
    image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(markup)}`;
    await image.decode();
    const size = 600;
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = size;
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, size, size);
    ctx.drawImage(image, 0, 0, size, size);
    const pixels = ctx.getImageData(0, 0, size, size);
    const jsQR = (window as unknown as { jsQR: (d: Uint8ClampedArray, w: number, h: number) => { data: string } | null }).jsQR;
    return jsQR(pixels.data, size, size)?.data ?? null;
  }, svg);
  expect(text, `the ${name} decodes`).not.toBeNull();
  return text!;
}

test('an invite QR code is a short link that, scanned, shows the community and joins', async ({ browser, baseURL }) => {
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  const problems = watchConsole(bob.page, 'Bob');
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Dawn Riders', 'We ride at dawn, whatever the weather, and talk about it after over coffee.');
    const long = await makeInvite(alice.page, { label: 'scanned', days: '7' });
    const scanned = await readQr(alice.page, 'QR code of the invite link');
    expect(scanned).toMatch(/\/join#i\./);
    const before = QRCode.create(long, { errorCorrectionLevel: 'L' });
    const after = QRCode.create(scanned, { errorCorrectionLevel: 'L' });
    console.log(
      `invite QR: long link ${long.length} chars → version ${before.version} (${before.modules.size} modules); short link ${scanned.length} chars → version ${after.version} (${after.modules.size} modules)`
    );
    expect(after.version).toBeLessThanOrEqual(8);
    await expect(alice.page.getByTestId('invite-qr-note')).toBeVisible();

    await bob.page.goto(scanned);
    const preview = bob.page.getByTestId('invite-preview');
    await expect(preview.getByRole('heading', { name: 'Dawn Riders' })).toBeVisible({ timeout: 30_000 });
    await expect(preview).toContainText('We ride at dawn');
    await expect(preview).toContainText('Community created by Alice');
    await bob.page.getByLabel('Display name').fill('Bob');
    await bob.page.getByRole('button', { name: 'Join community' }).click();
    await expect(bob.page.getByRole('heading', { level: 1, name: /Dawn Riders/ })).toBeVisible({ timeout: 30_000 });
    await expect(alice.page.getByTestId('member-row').filter({ hasText: 'Bob' })).toBeVisible({ timeout: 30_000 });
    expect(problems).toEqual([]);
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});

test('a short invite link with one character changed says it is damaged, and one nobody can confirm says so', async ({ browser, baseURL }) => {
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Quiet Club');
    await makeInvite(alice.page, { label: 'to damage' });
    const scanned = await readQr(alice.page, 'QR code of the invite link');
    const at = scanned.indexOf('#i.') + 20;
    const damaged = scanned.slice(0, at) + (scanned[at] === 'A' ? 'B' : 'A') + scanned.slice(at + 1);
    await bob.page.goto(damaged);
    await expect(bob.page.getByRole('heading', { level: 1, name: 'This invite link cannot be used' })).toBeVisible();
    await expect(bob.page.getByRole('alert')).toContainText('This invite link is damaged: some of its characters were changed or lost');
    await expect(bob.page.getByText('You are invited')).toHaveCount(0);

    // The only device that could confirm it goes away: the short link cannot be checked, and says so.
    // Bob's device asks the lobby for 3 s instead of 15 (nobody is there to answer either way).
    await alice.context.close();
    await bob.context.addInitScript(() => localStorage.setItem('hearth:invite-fetch-ms', '3000'));
    await bob.page.goto('about:blank');
    await bob.page.goto(scanned);
    await expect(bob.page.getByRole('alert')).toContainText('Nobody from this community is online to confirm this short invite', { timeout: 30_000 });
    await expect(bob.page.getByRole('button', { name: 'Join community' })).toHaveCount(0);
  } finally {
    await alice.context.close().catch(() => {});
    await bob.context.close();
  }
});

test('a member’s short QR link lets a newcomer in while the creator’s device is closed', async ({ browser, baseURL }) => {
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  const carol = await openDevice(browser, baseURL!);
  const dave = await openDevice(browser, baseURL!);
  const problems = watchConsole(carol.page, 'Carol');
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Open Door');
    const home = alice.page.url();
    // Every member may invite: trust levels 1 and 2 ask for nothing.
    await visit(alice.page, `${home}/automation`);
    for (const level of ['Level 1', 'Level 2']) {
      const group = alice.page.getByRole('group', { name: level, exact: true });
      for (const field of ['Days active', 'Replies', 'Reactions received', 'Days since joining']) await group.getByLabel(field).fill('0');
    }
    await alice.page.getByRole('button', { name: 'Save rules' }).click();
    await expect(alice.page.getByText('Rules saved.')).toBeVisible();
    await visit(alice.page, home);
    const link = await makeInvite(alice.page, { label: 'bob' });
    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, link, 'Open Door');
    // Dave keeps Bob company in the members' mesh, so Bob's device is never alone there (a lonely
    // device visits the lobby anyway): only Bob's open invite can put it in the lobby.
    await visit(alice.page, home);
    const daveLink = await makeInvite(alice.page, { label: 'dave' });
    await createIdentity(dave.page, 'Dave');
    await joinFromLink(dave.page, daveLink, 'Open Door');

    // Alice's device publishes Bob's trust level 2; Bob's device then offers invites of his own.
    await visit(bob.page, `${bob.page.url()}/members`);
    await expect(bob.page.getByRole('button', { name: 'Create invite' })).toBeVisible({ timeout: 75_000 });
    await makeInvite(bob.page, { label: 'for Carol' });
    const scanned = await readQr(bob.page, 'QR code of the invite link');
    expect(scanned).toMatch(/\/join#i\./);

    // Nobody who serves the lobby by role is online: Bob's device answers for its own invite.
    await alice.context.close();
    await carol.page.goto(scanned);
    const preview = carol.page.getByTestId('invite-preview');
    await expect(preview.getByRole('heading', { name: 'Open Door' })).toBeVisible({ timeout: 30_000 });
    await expect(preview).toContainText('Invited by Bob');
    await expect(preview.getByTestId('invite-members')).toHaveText('3 members');
    await carol.page.getByLabel('Display name').fill('Carol');
    await carol.page.getByRole('button', { name: 'Join community' }).click();
    await expect(carol.page.getByRole('heading', { level: 1, name: /Open Door/ })).toBeVisible({ timeout: 45_000 });
    await expect(bob.page.getByTestId('member-row').filter({ hasText: 'Carol' })).toBeVisible({ timeout: 30_000 });
    expect(problems).toEqual([]);
  } finally {
    await alice.context.close().catch(() => {});
    await bob.context.close();
    await carol.context.close();
    await dave.context.close();
  }
});

test('a short QR link that was revoked, or has expired, says so before anything is asked', async ({ browser, baseURL }) => {
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Closed Door', 'Members only');
    await makeInvite(alice.page, { label: 'to revoke' });
    const revoked = await readQr(alice.page, 'QR code of the invite link');
    await makeInvite(alice.page, { label: 'one day', days: '1' });
    const expiring = await readQr(alice.page, 'QR code of the invite link');
    expect(expiring).not.toBe(revoked);
    await alice.page.getByTestId('invite-row').filter({ hasText: 'to revoke' }).getByRole('button', { name: 'Revoke' }).click();
    await expect(alice.page.getByTestId('invite-row').filter({ hasText: 'to revoke' })).toContainText('revoked');

    // Revoked: the lobby's records say so; the community is still named, no name is asked.
    await bob.page.goto(revoked);
    await expect(bob.page.getByRole('alert')).toHaveText('This invite was revoked by the community.', { timeout: 30_000 });
    await expect(bob.page.getByRole('heading', { level: 1, name: 'This invite link cannot be used' })).toBeVisible();
    await expect(bob.page.getByTestId('invite-preview')).toContainText('Closed Door');
    await expect(bob.page.getByText('You are invited')).toHaveCount(0);
    await expect(bob.page.getByLabel('Display name')).toHaveCount(0);
    await expect(bob.page.getByRole('button', { name: 'Join community' })).toHaveCount(0);

    // Expired: Bob's clock is two days on.
    await bob.page.goto('about:blank');
    await bob.page.clock.install({ time: Date.now() + 2 * 86_400_000 });
    await bob.page.goto(expiring);
    await expect(bob.page.getByRole('alert')).toHaveText('This invite has expired. Ask for a new one.', { timeout: 30_000 });
    await expect(bob.page.getByRole('heading', { level: 1, name: 'This invite link cannot be used' })).toBeVisible();
    await expect(bob.page.getByLabel('Display name')).toHaveCount(0);
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});

test('a second device linked by QR code becomes the same member with the same communities, and posts as them', async ({ browser, baseURL }) => {
  const phone = await openDevice(browser, baseURL!);
  const laptop = await openDevice(browser, baseURL!);
  const problems = watchConsole(laptop.page, 'laptop');
  try {
    await createIdentity(phone.page, 'Alice');
    await createCommunity(phone.page, 'Reading Circle', 'One chapter a week');
    await startThread(phone.page, 'Chapter one', 'Who finished it?');
    const memberId = async (page: Page) => {
      await visit(page, '/settings');
      return page.getByTestId('member-id').innerText();
    };
    const id = await memberId(phone.page);

    await phone.page.getByRole('button', { name: 'Show a link for another device' }).click();
    const link = await readQr(phone.page, 'QR code to link another device');
    expect(link).toMatch(/\/link#d\./);
    await expect(phone.page.getByRole('textbox', { name: 'Link for the other device' })).toHaveValue(link);

    await visit(laptop.page, link);
    await expect(laptop.page.getByRole('heading', { level: 1, name: 'Link this device' })).toBeVisible();
    const code = (await laptop.page.getByTestId('link-code').innerText({ timeout: 20_000 })).trim();
    expect(code).toMatch(/^\d{6}$/);
    await expect(phone.page.getByTestId('link-code')).toHaveText(`Code: ${code}`);
    await phone.page.getByRole('button', { name: 'Same code: send my identity' }).click();
    await expect(laptop.page.getByRole('status')).toContainText('This device is now Alice. 1 community is coming back');
    await expect(phone.page.getByRole('status').filter({ hasText: 'Linked' })).toContainText('1 community');

    await laptop.page.getByRole('button', { name: 'Open my communities' }).click();
    await laptop.page.getByRole('link', { name: /Reading Circle/ }).click();
    await expect(laptop.page.getByText('Chapter one')).toBeVisible({ timeout: 45_000 });
    expect(await memberId(laptop.page)).toBe(id);

    await laptop.page.goBack();
    await laptop.page.getByText('Chapter one').click();
    await expect(laptop.page.getByRole('heading', { level: 1, name: 'Chapter one' })).toBeVisible();
    await laptop.page.locator('#reply-body').fill('Finished it on the train');
    await laptop.page.getByRole('button', { name: 'Send reply' }).click();
    await expect(laptop.page.getByTestId('post').filter({ hasText: 'Finished it on the train' })).toBeVisible();
    await visit(phone.page, new URL(laptop.page.url()).pathname);
    const reply = phone.page.getByTestId('post').filter({ hasText: 'Finished it on the train' });
    await expect(reply).toBeVisible({ timeout: 45_000 });
    await expect(reply).toContainText('Alice');
    expect(problems).toEqual([]);
  } finally {
    await phone.context.close();
    await laptop.context.close();
  }
});

test('an identity file brings its communities back on another device, which syncs them', async ({ browser, baseURL }) => {
  const phone = await openDevice(browser, baseURL!);
  const tablet = await openDevice(browser, baseURL!);
  try {
    await createIdentity(phone.page, 'Alice');
    await createCommunity(phone.page, 'Garden Club', 'Seeds and soil');
    await startThread(phone.page, 'Tomatoes this year', 'Which varieties?');
    await visit(phone.page, '/settings');
    const download = phone.page.waitForEvent('download');
    await phone.page.getByRole('button', { name: /Export identity file/ }).click();
    const file = await (await download).path();

    await visit(tablet.page, '/');
    await tablet.page.getByLabel(/Language|语言/).selectOption('en');
    await tablet.page.locator('#ob-import').setInputFiles(file);
    await expect(tablet.page.getByRole('heading', { name: 'My communities' })).toBeVisible();
    await expect(tablet.page.getByTestId('restore-hint')).toHaveCount(0);
    await tablet.page.getByRole('link', { name: /Garden Club/ }).click();
    await expect(tablet.page.getByText('Tomatoes this year')).toBeVisible({ timeout: 45_000 });
  } finally {
    await phone.context.close();
    await tablet.context.close();
  }
});
