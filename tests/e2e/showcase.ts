// One community with something on every page, seeded once per spec through the UI: a thread with a
// reply, a question, a challenge, a series, a shared note, a survey and an invite. The accessibility
// and screenshot specs walk its pages in both languages and both themes.
import { expect, type Page } from '@playwright/test';
import { createCommunity, createIdentity, makeInvite, sendReply, startThread } from './journeys';

export interface Showcase {
  /** `/c/{cid}` */
  home: string;
  thread: string;
  question: string;
  challenge: string;
  series: string;
  note: string;
  survey: string;
  member: string;
  invite: string;
}

const path = (page: Page) => new URL(page.url()).pathname;

export async function seedShowcase(page: Page): Promise<Showcase> {
  await createIdentity(page, 'Alice');
  await createCommunity(page, 'Lakeside Riders', 'Weekend rides around the lake, for every pace.');
  const home = path(page);
  await startThread(page, 'Saturday ride: the north loop', 'We meet at the **old bridge** at nine. Bring water.');
  const thread = path(page);
  await sendReply(page, 'I will bring spare tubes.');

  await page.goto(`${home}/qa`);
  await page.getByRole('button', { name: /Ask a question/ }).click();
  await page.getByLabel('Question', { exact: true }).fill('Which tyres for gravel?');
  await page.getByLabel(/Details/).fill('The north loop has a gravel stretch.');
  await page.getByRole('button', { name: 'Post question' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Which tyres for gravel?' })).toBeVisible();
  const question = path(page);

  await page.goto(`${home}/challenges`);
  await page.locator('#ch-title').fill('Ride every day');
  await page.locator('#ch-prompt').fill('How far today?');
  await page.locator('#ch-days').fill('7');
  await page.locator('#ch-title').press('Enter');
  await page.getByRole('link', { name: /Ride every day/ }).click();
  await expect(page.getByRole('heading', { level: 1, name: /Ride every day/ })).toBeVisible();
  const challenge = path(page);

  await page.goto(`${home}/series`);
  await page.locator('#series-title').fill('Bike care');
  await page.locator('#series-title').press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: /Bike care/ })).toBeVisible();
  const series = path(page);

  await page.goto(`${home}/notes`);
  await page.locator('#note-title').fill('Route ideas');
  await page.locator('#note-title').press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: /Route ideas/ })).toBeVisible();
  const note = path(page);

  await page.goto(`${home}/surveys`);
  await page.locator('#survey-title').fill('Best ride time');
  await page.locator('[id^="q-prompt-"]').first().fill('Morning or evening?');
  await page.locator('[id^="q-options-"]').first().fill('Morning\nEvening');
  await page.locator('#survey-title').press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: /Best ride time/ })).toBeVisible();
  const survey = path(page);

  await page.goto(`${home}/members`);
  const invite = await makeInvite(page, { label: 'friends' });
  await page.goto(`${home}/me`);
  await page.getByRole('link', { name: /See my profile/ }).click();
  await expect(page.getByRole('heading', { level: 1, name: /Alice/ })).toBeVisible();
  // Her recent posts (which records are hers comes from the community worker): the thread and her reply in it.
  await expect(page.getByRole('link', { name: 'Saturday ride: the north loop' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'I will bring spare tubes.' })).toBeVisible();
  return { home, thread, question, challenge, series, note, survey, member: path(page), invite };
}

/** Every page a creator can open in the showcase community, and the app's own pages. */
export function showcasePages(s: Showcase): string[] {
  const sub = [
    '',
    '/new',
    '/qa',
    '/polls',
    '/challenges',
    '/notes',
    '/surveys',
    '/for-you',
    '/search',
    '/featured',
    '/series',
    '/people',
    '/members',
    '/me',
    '/inbox',
    '/manage',
    '/insights',
    '/automation',
    '/review',
    '/audit'
  ];
  return ['/', '/settings', '/inbox', ...sub.map((p) => s.home + p), s.thread, s.question, s.challenge, s.series, s.note, s.survey, s.member];
}

/** Switches the device's language on the settings page (remembered like a member's choice). */
export async function useLanguage(page: Page, lang: 'en' | 'zh-CN') {
  await page.goto('/settings');
  await page.locator('#st-lang').selectOption(lang);
  await expect(page.locator('html')).toHaveAttribute('lang', lang);
}
