// Upload allowances: the creator gives new members (trust level 0) 1 MB of attachments a day; a new
// member's second file past it is refused with the reason, and the reply keeps its text.
import { expect, test } from '@playwright/test';
import { createCommunity, createIdentity, joinFromLink, makeInvite, openDevice, visit } from './journeys';

test('a member over the upload allowance the creator set is told so and the draft keeps its text', async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Print Shop');
    const cid = new URL(alice.page.url()).pathname.split('/')[2];
    const link = await makeInvite(alice.page, { label: 'all' });
    await visit(alice.page, `/c/${cid}/automation`);
    await alice.page.getByLabel('Trust level 0').fill('1');
    await alice.page.getByRole('button', { name: 'Save rules' }).click();
    await expect(alice.page.getByText('Rules saved.')).toBeVisible();

    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, link, 'Print Shop');
    await visit(bob.page, `/c/${cid}/new`);
    await bob.page.getByLabel('Title', { exact: true }).fill('My first print');
    await bob.page.getByLabel(/Write in Markdown/).fill('Proof attached.');
    await bob.page
      .getByLabel('Attach photos or files')
      .setInputFiles({ name: 'proof.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(700 * 1024, 7) });
    await bob.page.getByRole('button', { name: 'Post thread' }).click();
    await expect(bob.page.getByRole('heading', { level: 1, name: 'My first print' })).toBeVisible({ timeout: 20_000 });

    // A second file the same day: 700 KB + 400 KB is past 1 MB.
    await bob.page.locator('#reply-body').fill('And the second proof.');
    await bob.page
      .getByLabel('Attach photos or files')
      .setInputFiles({ name: 'second.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(400 * 1024, 9) });
    await bob.page.getByRole('button', { name: 'Send reply' }).click();
    await expect(bob.page.getByRole('alert')).toContainText(
      '“second.bin” would take you past your upload allowance of 1 MB a day (0.7 MB used in the last 24 hours)'
    );
    await expect(bob.page.locator('#reply-body')).toHaveValue('And the second proof.');
    // Without the file the reply goes out.
    await bob.page.getByRole('button', { name: 'Remove second.bin' }).click();
    await bob.page.getByRole('button', { name: 'Send reply' }).click();
    await expect(bob.page.getByTestId('post').filter({ hasText: 'And the second proof.' })).toBeVisible();
  } finally {
    for (const d of [alice, bob]) await d.context.close().catch(() => {});
  }
});
