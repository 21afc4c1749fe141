// Two members in separate browser contexts use Q&A, polls and a check-in challenge.
import { expect, test } from '@playwright/test';
import { createCommunity, createIdentity, joinFromLink, makeInvite, openDevice, visit } from './journeys';

test('members ask, answer and accept; vote and change a vote; check in on two days', async ({ browser, baseURL }) => {
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Quiz Club');
    const link = await makeInvite(alice.page, { label: 'bob' });
    const home = alice.page.url().replace(/\/members$/, '');
    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, link, 'Quiz Club');

    // Bob asks Alice directly; Alice finds it under "Asked to me", answers; Bob accepts.
    await bob.page.getByRole('link', { name: /Q&A/ }).click();
    await bob.page.getByRole('button', { name: /Ask a question/ }).click();
    await bob.page.getByLabel('Question', { exact: true }).fill('How do I fix a flat?');
    await bob.page.getByLabel(/Details/).fill('Rear wheel, on the road.');
    await bob.page.getByLabel(/Ask \(optional\)/).selectOption({ label: 'Alice' });
    await bob.page.getByRole('button', { name: 'Post question' }).click();
    await expect(bob.page.getByRole('heading', { level: 1, name: 'How do I fix a flat?' })).toBeVisible();
    const questionUrl = bob.page.url();

    await visit(alice.page, `${home}/qa`);
    await alice.page.getByRole('button', { name: 'Asked to me' }).click();
    await expect(alice.page.getByTestId('question-row').filter({ hasText: 'How do I fix a flat?' })).toBeVisible({ timeout: 20_000 });
    await alice.page.getByRole('button', { name: 'Unanswered' }).click();
    await alice.page.getByRole('link', { name: /How do I fix a flat/ }).click();
    await alice.page.getByLabel('Your answer').fill('Carry a spare tube and tyre levers.');
    await alice.page.getByRole('button', { name: 'Post answer' }).click();
    await expect(alice.page.getByTestId('answer')).toHaveCount(1);
    // Alice is not the asker but she is the creator (a moderator), so she may accept; Bob does it here.
    await expect(bob.page.getByTestId('answer').filter({ hasText: 'spare tube' })).toBeVisible({ timeout: 20_000 });
    await bob.page.getByTestId('answer').getByRole('button', { name: 'Upvote: 0' }).click();
    await bob.page.getByRole('button', { name: 'Accept this answer' }).click();
    await expect(bob.page.getByText('Accepted answer')).toBeVisible();
    await expect(alice.page.getByText('Accepted answer')).toBeVisible({ timeout: 20_000 });
    await expect(alice.page.getByTestId('answer').getByRole('button', { name: 'Upvote: 1' })).toBeVisible();
    await visit(alice.page, `${home}/qa`);
    await alice.page.getByRole('button', { name: 'Solved' }).click();
    await expect(alice.page.getByTestId('question-row').filter({ hasText: 'How do I fix a flat?' })).toContainText('Solved');
    expect(questionUrl).toContain('/q/');
    // Alice's profile, as Bob sees it: her accepted answer, and the points it earned (2 + 10).
    await visit(bob.page, `${home}/people`);
    await bob.page.getByRole('link', { name: /Alice/ }).first().click();
    await expect(bob.page.getByTestId('profile-answers')).toContainText('How do I fix a flat?');
    await expect(bob.page.getByTestId('profile-answers')).toContainText('accepted');
    await expect(bob.page.getByTestId('profile-points')).toContainText('Level 2');

    // A poll: results after voting; Bob votes, then changes his vote; Alice sees the change.
    await visit(alice.page, `${home}/polls`);
    await alice.page.getByLabel('Question', { exact: true }).fill('Which day do we ride?');
    await alice.page.getByLabel(/Options/).fill('Saturday\nSunday');
    await alice.page.getByLabel('Show results').selectOption('after_vote');
    await alice.page.getByRole('button', { name: 'Post poll' }).click();
    const alicePoll = alice.page.getByTestId('poll').filter({ hasText: 'Which day do we ride?' });
    await expect(alicePoll).toContainText('Results are shown after you vote');

    await visit(bob.page, `${home}/polls`);
    const bobPoll = bob.page.getByTestId('poll').filter({ hasText: 'Which day do we ride?' });
    await expect(bobPoll).toBeVisible({ timeout: 20_000 });
    await bobPoll.getByRole('radio', { name: 'Saturday' }).check();
    await bobPoll.getByRole('button', { name: 'Vote' }).click();
    await expect(bobPoll.getByLabel('Saturday: 1 vote (100%)')).toBeVisible();
    await bobPoll.getByRole('button', { name: 'Change vote' }).click();
    await bobPoll.getByRole('radio', { name: 'Sunday' }).check();
    await bobPoll.getByRole('button', { name: 'Vote' }).click();
    await expect(bobPoll.getByLabel('Sunday: 1 vote (100%)')).toBeVisible();
    await alicePoll.getByRole('radio', { name: 'Saturday' }).check();
    await alicePoll.getByRole('button', { name: 'Vote' }).click();
    await expect(alicePoll.getByLabel('Sunday: 1 vote (50%)')).toBeVisible({ timeout: 20_000 });
    await expect(alicePoll.getByLabel('Saturday: 1 vote (50%)')).toBeVisible();
    await expect(alicePoll).toContainText('2 voters');

    // A challenge that started today; Bob checks in today and, with his clock moved, tomorrow.
    await visit(alice.page, `${home}/challenges`);
    await alice.page.getByLabel('Challenge', { exact: true }).fill('Ride every day');
    await alice.page.getByLabel('Daily prompt').fill('How far did you ride?');
    await alice.page.getByRole('button', { name: 'Start challenge' }).click();
    await expect(alice.page.getByRole('link', { name: /Ride every day/ })).toBeVisible();

    await bob.page.goto('about:blank');
    const start = Date.now();
    await bob.page.clock.install({ time: start });
    await visit(bob.page, `${home}/challenges`);
    await bob.page.getByRole('link', { name: /Ride every day/ }).click({ timeout: 20_000 });
    await expect(bob.page.getByRole('heading', { level: 1, name: /Ride every day/ })).toBeVisible();
    const challengeUrl = bob.page.url();
    await bob.page.getByLabel('Today’s note').fill('12 km');
    await bob.page.getByRole('button', { name: /Check in for today/ }).click();
    await expect(bob.page.getByText('Checked in today ✓')).toBeVisible();
    await expect(bob.page.getByTestId('my-streak')).toContainText('Current streak: 1 day');

    await bob.page.clock.setSystemTime(start + 86_400_000);
    await bob.page.goto(challengeUrl);
    await expect(bob.page.getByText('Day 2 of 21')).toBeVisible();
    await bob.page.getByLabel('Today’s note').fill('20 km');
    await bob.page.getByRole('button', { name: /Check in for today/ }).click();
    await expect(bob.page.getByTestId('my-streak')).toContainText('Current streak: 2 days');
    await expect(bob.page.getByTestId('leaderboard-row').first()).toContainText('Bob');
    await expect(bob.page.getByTestId('leaderboard-row').first()).toContainText('2 check-ins');
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});
