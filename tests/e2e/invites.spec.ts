// Opening an invite link: the newcomer sees which community it is before anything is asked, and a
// link that cannot be used says so plainly (damaged, expired, revoked), never "You are invited".
import { expect, test } from '@playwright/test';
import { createCommunity, createIdentity, joinFromLink, makeInvite, openDevice, openThread, sendReply, startThread, watchConsole, visit } from './journeys';

test('a newcomer sees the community an invite carries before choosing a name, and joins in one step', async ({ browser, baseURL }) => {
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  const problems = watchConsole(bob.page, 'Bob');
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Morning Riders', 'We ride at dawn');
    const link = await makeInvite(alice.page, { label: 'newcomers', days: '7' });

    await visit(bob.page, link);
    await expect(bob.page.getByRole('heading', { level: 1, name: 'You are invited' })).toBeVisible();
    const preview = bob.page.getByTestId('invite-preview');
    await expect(preview.getByRole('heading', { name: 'Morning Riders' })).toBeVisible();
    await expect(preview).toContainText('We ride at dawn');
    await expect(preview).toContainText('Community created by Alice');
    await expect(preview.getByTestId('invite-members')).toHaveText('1 member');
    await expect(preview).toContainText('You will join as: member');
    await expect(preview).toContainText('This invite is valid until');
    await expect(bob.page.getByRole('heading', { name: 'Welcome to Hearth' })).toHaveCount(0);

    await bob.page.getByLabel('Display name').fill('Bob');
    await bob.page.getByRole('button', { name: 'Join community' }).click();
    await expect(bob.page.getByRole('heading', { level: 1, name: /Morning Riders/ })).toBeVisible({ timeout: 30_000 });
    await expect(alice.page.getByTestId('member-row').filter({ hasText: 'Bob' })).toBeVisible({ timeout: 30_000 });
    expect(problems).toEqual([]);
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});

// The app's workers are precached with the rest of the shell: offline, the first write of a page
// started the analysis worker (the posting policy's trust level), whose script was never cached, and
// the reply stayed "Sending…" for ever, also once back online.
for (const { invite, maxUses, oneDocument } of [
  { invite: 'an open invite', maxUses: undefined, oneDocument: false },
  { invite: 'a 5-use invite', maxUses: '5', oneDocument: true }
]) {
  test(`a newcomer on ${invite} goes offline right after joining and replies: the reply is sent, kept through a reload, and reaches the others once he is back${oneDocument ? ' (a community held as one document)' : ''}`, async ({
    browser,
    baseURL
  }) => {
    const alice = await openDevice(browser, baseURL!);
    const bob = await openDevice(browser, baseURL!);
    const problems = watchConsole(bob.page, 'Bob');
    try {
      await createIdentity(alice.page, 'Alice');
      if (oneDocument) await alice.page.evaluate(() => localStorage.setItem('hearth:shards', 'off'));
      await createCommunity(alice.page, 'Porch Readers', 'Short stories');
      await startThread(alice.page, 'Welcome, readers', 'Say hello');
      await alice.page.getByRole('link', { name: /Porch Readers/ }).click();
      const link = await makeInvite(alice.page, { label: 'friends', maxUses });

      await createIdentity(bob.page, 'Bob');
      await joinFromLink(bob.page, link, 'Porch Readers');
      await expect(bob.page.getByRole('link', { name: /Welcome, readers/ })).toBeVisible({ timeout: 30_000 });
      await bob.context.setOffline(true);
      await openThread(bob.page, 'Welcome, readers');
      // Shown as sent (stored), not "Sending…".
      await sendReply(bob.page, 'Bob, from the train');
      await expect(bob.page.getByText('Sending…')).toHaveCount(0);
      await bob.page.reload();
      await expect(bob.page.locator('[data-testid="post"]:not([data-sending])').filter({ hasText: 'Bob, from the train' })).toBeVisible({ timeout: 15_000 });

      await bob.context.setOffline(false);
      await visit(alice.page, bob.page.url());
      await expect(alice.page.getByText('Bob, from the train')).toBeVisible({ timeout: 30_000 });
      expect(problems).toEqual([]);
    } finally {
      await alice.context.close();
      await bob.context.close();
    }
  });
}

test('damaged, expired and revoked links each say the link cannot be used and why', async ({ browser, baseURL }) => {
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  const carol = await openDevice(browser, baseURL!);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Careful Club');
    const link = await makeInvite(alice.page, { label: 'good' });
    const expiring = await makeInvite(alice.page, { label: 'one day', days: '1' });
    const revoked = await makeInvite(alice.page, { label: 'to revoke' });
    await alice.page.getByTestId('invite-row').filter({ hasText: 'to revoke' }).getByRole('button', { name: 'Revoke' }).click();
    await expect(alice.page.getByTestId('invite-row').filter({ hasText: 'to revoke' })).toContainText('revoked');

    // Damaged: a link cut short while copying, before the newcomer has an identity.
    await visit(bob.page, link.slice(0, link.length - 40));
    await expect(bob.page.getByRole('heading', { level: 1, name: 'This invite link cannot be used' })).toBeVisible();
    await expect(bob.page.getByRole('alert')).toHaveText('This invite link is damaged or incomplete. Ask for a new link.');
    await expect(bob.page.getByText('You are invited')).toHaveCount(0);
    await expect(bob.page.getByRole('link', { name: 'Start Hearth without an invite' })).toBeVisible();

    // Expired: Bob's clock is two days on.
    await bob.page.goto('about:blank');
    await bob.page.clock.install({ time: Date.now() + 2 * 86_400_000 });
    await visit(bob.page, expiring);
    await expect(bob.page.getByRole('heading', { level: 1, name: 'This invite link cannot be used' })).toBeVisible();
    await expect(bob.page.getByRole('alert')).toHaveText('This invite has expired. Ask for a new one.');

    // Revoked: known once the community is reached; the community is still named.
    await createIdentity(carol.page, 'Carol');
    await visit(carol.page, revoked);
    await carol.page.getByRole('button', { name: 'Join community' }).click();
    await expect(carol.page.getByRole('alert')).toHaveText('This invite was revoked by the community.', { timeout: 20_000 });
    await expect(carol.page.getByRole('heading', { level: 1, name: 'This invite link cannot be used' })).toBeVisible();
    await expect(carol.page.getByTestId('invite-preview')).toContainText('Careful Club');
    await expect(carol.page.getByText('Ask Alice or another member for a new link.')).toBeVisible();
    await expect(carol.page.getByRole('button', { name: 'Join community' })).toHaveCount(0);
  } finally {
    await alice.context.close();
    await bob.context.close();
    await carol.context.close();
  }
});
