// Events between two devices: the creator schedules one with a single place, takes it, and the
// member's answer goes to the waitlist; the place passes to them when the creator leaves; they add
// it to their calendar (the .ics read back with a calendar parser), are reminded, and check in.
import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import ICAL from 'ical.js';
import { createCommunity, createIdentity, joinFromLink, makeInvite, openDevice, visit } from './journeys';

test('an event fills to capacity and the next answer is waitlisted; a place added or freed moves the member up; they add it to a calendar, are reminded and check in', async ({
  browser,
  baseURL
}) => {
  test.setTimeout(150_000);
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Tea Club');
    const cid = new URL(alice.page.url()).pathname.split('/')[2];
    const link = await makeInvite(alice.page, { label: 'all' });
    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, link, 'Tea Club');

    // Starts in 20 minutes, for an hour: inside the reminder hour, and check-in is already open.
    const { start, end, startMs, endMs } = await alice.page.evaluate(() => {
      const minute = 60_000;
      const s = Math.ceil((Date.now() + 20 * minute) / minute) * minute;
      const local = (ms: number) => {
        const d = new Date(ms);
        const p = (n: number) => String(n).padStart(2, '0');
        return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
      };
      return { start: local(s), end: local(s + 60 * minute), startMs: s, endMs: s + 60 * minute };
    });
    await visit(alice.page, `/c/${cid}`);
    await alice.page.getByRole('link', { name: /Events/ }).click();
    await alice.page.getByLabel('Event title').fill('Tasting: oolong');
    await alice.page.getByLabel('What is it about?').fill('Three teas from Fujian.');
    await alice.page.getByLabel('Place (optional)').fill('Back room');
    await alice.page.getByLabel('Starts').fill(start);
    await alice.page.getByLabel('Ends').fill(end);
    await alice.page.getByLabel(/Places/).fill('1');
    await alice.page.getByRole('button', { name: 'Schedule event' }).click();
    await expect(alice.page.getByRole('heading', { level: 1, name: /Tasting: oolong/ })).toBeVisible();
    const eventUrl = new URL(alice.page.url()).pathname;

    // Alice takes the only place.
    await alice.page.getByRole('button', { name: /^✅ Going$/ }).click();
    await expect(alice.page.getByTestId('my-rsvp')).toHaveText('You are going.');
    await expect(alice.page.getByTestId('event-counts')).toContainText('Full');

    // Bob sees it full and is waitlisted.
    await visit(bob.page, eventUrl);
    await expect(bob.page.getByTestId('event-counts')).toContainText('1 going', { timeout: 20_000 });
    await expect(bob.page.getByTestId('event-counts')).toContainText('Full');
    await bob.page.getByRole('button', { name: /^✅ Going$/ }).click();
    await expect(bob.page.getByTestId('my-rsvp')).toContainText('number 1 on the waitlist');
    await expect(bob.page.getByRole('button', { name: /Check in/ })).toHaveCount(0);
    await expect(alice.page.getByTestId('event-counts')).toContainText('1 on the waitlist', { timeout: 20_000 });

    // Alice adds a place: Bob has it. She takes it back: he waits again, first in line.
    const setPlaces = async (n: string) => {
      await alice.page.getByRole('button', { name: /Edit event/ }).click();
      await alice.page.locator('#edit-event-capacity').fill(n);
      await alice.page.getByRole('button', { name: 'Save changes' }).click();
      await expect(alice.page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
    };
    await setPlaces('2');
    await expect(bob.page.getByTestId('my-rsvp')).toHaveText('You are going.', { timeout: 20_000 });
    await expect(bob.page.getByTestId('event-when')).toContainText(await alice.page.getByTestId('event-when').innerText());
    await setPlaces('1');
    await expect(bob.page.getByTestId('my-rsvp')).toContainText('number 1 on the waitlist', { timeout: 20_000 });

    // Alice cannot go after all: the place passes to Bob on both devices.
    await alice.page.getByRole('button', { name: /Can’t go/ }).click();
    await expect(bob.page.getByTestId('my-rsvp')).toHaveText('You are going.', { timeout: 20_000 });
    await expect(alice.page.getByTestId('attendee')).toHaveText(/Bob/, { timeout: 20_000 });

    // His calendar file, read by a calendar parser.
    const download = bob.page.waitForEvent('download');
    await bob.page.getByRole('button', { name: /Add to calendar/ }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('Tasting-oolong.ics');
    const vevent = new ICAL.Component(ICAL.parse(await readFile((await file.path())!, 'utf8'))).getFirstSubcomponent('vevent');
    expect(vevent).not.toBeNull();
    const parsed = new ICAL.Event(vevent!);
    expect(parsed.summary).toBe('Tasting: oolong');
    expect(parsed.startDate.toJSDate().getTime()).toBe(startMs);
    expect(parsed.endDate.toJSDate().getTime()).toBe(endMs);
    expect(parsed.location).toBe('Back room');

    // Reminded in his inbox: it starts within the hour.
    await bob.page.goto('/inbox');
    await expect(bob.page.getByTestId('notification').filter({ hasText: 'Starting soon' })).toContainText('Tasting: oolong', { timeout: 70_000 });

    // He checks in on his phone (360 px: nothing runs off the side); Alice sees the attendance.
    await bob.page.setViewportSize({ width: 360, height: 740 });
    await visit(bob.page, eventUrl);
    await expect(bob.page.getByRole('button', { name: /Check in/ })).toBeVisible();
    expect(await bob.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await bob.page.getByRole('button', { name: /Check in/ }).click();
    await expect(bob.page.getByRole('status').filter({ hasText: 'You checked in' })).toBeVisible();
    await expect(alice.page.getByTestId('attendance-summary')).toHaveText('1 of 1 checked in', { timeout: 20_000 });
    await expect(alice.page.getByTestId('attendee')).toContainText('Checked in at');
  } finally {
    for (const d of [alice, bob]) await d.context.close().catch(() => {});
  }
});
