// Points and levels between two devices: what Alice posted and what Bob gave her adds up to the same
// points, levels and ranks on both devices, on the 7-day, 30-day and all-time boards.
import { expect, test, type Page } from '@playwright/test';
import { createCommunity, createIdentity, joinFromLink, makeInvite, openDevice, sendReply, visit } from './journeys';

async function board(page: Page, name: '7 days' | '30 days' | 'All time'): Promise<string[]> {
  await page.getByRole('button', { name, exact: true }).click();
  await expect(page.getByRole('button', { name, exact: true })).toHaveAttribute('aria-pressed', 'true');
  return (await page.getByTestId('person-row').allInnerTexts()).map((s) => s.replace(/\s+/g, ' ').trim());
}

test('points and levels agree on both devices, on the weekly, monthly and all-time boards; a featured thread is marked in For you; the creator’s weights count everywhere', async ({
  browser,
  baseURL
}) => {
  test.setTimeout(150_000);
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Level Club');
    const cid = new URL(alice.page.url()).pathname.split('/')[2];
    const link = await makeInvite(alice.page, { label: 'all' });
    // Three threads: 9 points, one short of level 2.
    for (const title of ['One', 'Two', 'Three']) {
      await visit(alice.page, `/c/${cid}/new`);
      await alice.page.getByLabel('Title', { exact: true }).fill(title);
      await alice.page.getByLabel(/Write in Markdown/).fill(`Thread ${title}`);
      await alice.page.getByRole('button', { name: 'Post thread' }).click();
      await expect(alice.page.getByRole('heading', { level: 1, name: title })).toBeVisible();
    }
    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, link, 'Level Club');
    await bob.page.getByRole('link', { name: /Three/ }).click({ timeout: 20_000 });
    // Bob replies (1 point for him) and reacts (the point that takes Alice to level 2).
    await sendReply(bob.page, 'Nice one');
    await bob.page.getByTestId('post').first().getByRole('button', { name: 'React', exact: true }).click();
    await bob.page.getByTestId('post').first().getByRole('button', { name: 'React with 👍: 0' }).click();

    const expected = ['#1 Alice Level 2 · 10 points', '#2 Bob Level 1 · 1 point']; // levels start at 0, 5, 20, …
    for (const d of [alice, bob]) {
      await visit(d.page, `/c/${cid}/people`);
      await expect(d.page.getByTestId('person-row').first()).toContainText('10 points', { timeout: 30_000 });
      await expect(d.page.getByTestId('person-row').nth(1)).toContainText('1 point', { timeout: 30_000 });
    }
    for (const name of ['7 days', '30 days', 'All time'] as const) {
      const onAlice = await board(alice.page, name);
      const onBob = await board(bob.page, name);
      expect(onAlice, name).toEqual(onBob);
      expect(
        onAlice.map((s) => s.replace(/^(#\d+) 🙂 /, '$1 ')),
        name
      ).toEqual(expected);
    }
    // The profile agrees with the board.
    await bob.page.getByRole('link', { name: /Alice/ }).first().click();
    await expect(bob.page.getByTestId('profile-points')).toContainText('Level 2');

    // Alice features "One": in Bob's For you it is marked featured.
    await visit(alice.page, `/c/${cid}`);
    await alice.page.getByRole('link', { name: /^One/ }).first().click();
    alice.page.once('dialog', (d) => d.accept('Start here'));
    await alice.page.getByTestId('post').first().getByText('Moderate', { exact: true }).click();
    await alice.page.getByRole('button', { name: /^Feature$/ }).click();
    await expect(alice.page.getByTestId('featured-badge')).toBeVisible();
    await visit(bob.page, `/c/${cid}/featured`);
    await expect(bob.page.getByTestId('featured-row')).toHaveCount(1, { timeout: 20_000 });
    await visit(bob.page, `/c/${cid}/for-you`);
    const featured = bob.page.getByTestId('recommendation').filter({ has: bob.page.getByTestId('recommendation-featured') });
    await expect(featured).toHaveCount(1, { timeout: 60_000 });
    await expect(featured).toContainText('One');
    // Featuring earned Alice five points, on both devices and on this week's board too.
    for (const d of [alice, bob]) {
      await visit(d.page, `/c/${cid}/people`);
      await d.page.getByRole('button', { name: '7 days', exact: true }).click();
      await expect(d.page.getByTestId('person-row').first()).toContainText('Level 2 · 15 points', { timeout: 30_000 });
    }

    // The creator makes a thread worth 10 points: 3 × 10 + 1 + 5 = 36, level 3, on both devices.
    await visit(alice.page, `/c/${cid}/automation`);
    await alice.page.getByLabel('Thread', { exact: true }).fill('10');
    await alice.page.getByRole('button', { name: 'Save rules' }).click();
    await expect(alice.page.getByText('Rules saved.')).toBeVisible();
    for (const d of [alice, bob]) {
      await visit(d.page, `/c/${cid}/people`);
      await expect(d.page.getByTestId('person-row').first()).toContainText('Level 3 · 36 points', { timeout: 30_000 });
    }
  } finally {
    for (const d of [alice, bob]) await d.context.close().catch(() => {});
  }
});
