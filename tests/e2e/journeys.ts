// Steps people take in Hearth, shared by the e2e journeys.
import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';

/** `home`: the app's address, for a page of a context without a baseURL (browser.ts `launchFreezableDevice`). */
export async function createIdentity(page: Page, name: string, home = '/') {
  await page.goto(home);
  await page.getByLabel(/Language|语言/).selectOption('en');
  await page.getByLabel('Display name').fill(name);
  await page.getByRole('button', { name: 'Create my identity' }).click();
  await expect(page.getByRole('heading', { name: 'My communities' })).toBeVisible();
}

export async function createCommunity(page: Page, name: string, description = '') {
  await page.getByRole('button', { name: /Create a community/ }).click();
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Description').fill(description);
  await page.getByRole('button', { name: 'Create community' }).click();
  await expect(page.getByRole('heading', { name: new RegExp(name) })).toBeVisible();
}

export async function startThread(page: Page, title: string, body: string) {
  await page.getByRole('link', { name: /New thread/ }).click();
  await page.getByLabel('Title', { exact: true }).fill(title);
  await page.getByLabel(/Write in Markdown/).fill(body);
  await page.getByRole('button', { name: 'Post thread' }).click();
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
}

export async function sendReply(page: Page, text: string) {
  await page.locator('#reply-body').fill(text);
  await page.getByRole('button', { name: 'Send reply' }).click();
  // Stored: not the reply the page shows while it is sending.
  await expect(page.locator('[data-testid="post"]:not([data-sending])').filter({ hasText: text })).toBeVisible();
}

/** The creator makes an invite on the members page and returns its link. */
export async function makeInvite(page: Page, opts: { label?: string; maxUses?: string; days?: string; role?: 'member' | 'moderator' | 'admin' } = {}) {
  if (!/\/members$/.test(new URL(page.url()).pathname)) await page.getByRole('link', { name: /Members & invites/ }).click();
  await expect(page.getByRole('button', { name: 'Create invite' })).toBeVisible();
  if (opts.role) await page.locator('#inv-role').selectOption(opts.role);
  if (opts.label) await page.getByLabel('Label', { exact: true }).fill(opts.label);
  if (opts.maxUses !== undefined) await page.getByLabel(/Maximum uses/).fill(opts.maxUses);
  if (opts.days !== undefined) await page.getByLabel(/Expires after/).fill(opts.days);
  const link = page.getByRole('textbox', { name: 'Invite link' });
  const previous = (await link.count()) ? await link.inputValue() : '';
  await page.getByRole('button', { name: 'Create invite' }).click();
  await expect(link).toHaveValue(/\/join#/);
  await expect(link).not.toHaveValue(previous);
  return link.inputValue();
}

export async function joinFromLink(page: Page, link: string, communityName: string) {
  await page.goto(link);
  await expect(page.getByRole('heading', { name: new RegExp(communityName) })).toBeVisible();
  await page.getByRole('button', { name: 'Join community' }).click();
  await expect(page.getByRole('heading', { level: 1, name: new RegExp(communityName) })).toBeVisible({ timeout: 20_000 });
}

/** A person's device: a browser context of its own (own storage; no BroadcastChannel shared with others). */
export async function openDevice(browser: Browser, baseURL: string) {
  const context = await browser.newContext({ baseURL, acceptDownloads: true });
  return { context, page: await context.newPage() };
}

export type Device = Awaited<ReturnType<typeof openDevice>>;

/**
 * `away` loses its network with the thread open and replies there; `other` replies too; `away` comes
 * back: each then shows the other's reply.
 */
export async function repliesWhileAway(away: Device, other: Device, awayText: string, otherText: string) {
  await away.context.setOffline(true);
  await expect(away.page.getByText('Offline — everything you write is kept on this device.')).toBeVisible();
  await sendReply(away.page, awayText);
  await sendReply(other.page, otherText);
  await away.context.setOffline(false);
  await expect(away.page.getByText(otherText)).toBeVisible({ timeout: 30_000 });
  await expect(other.page.getByText(awayText)).toBeVisible({ timeout: 30_000 });
}

/** Opens a thread from a list by its title, and waits for its page. */
export async function openThread(page: Page, title: string) {
  await page
    .getByRole('link', { name: new RegExp(title) })
    .first()
    .click();
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
}

/** The mesh transition the rotation journeys give their devices (sync/mesh.ts `meshTransitionMs`). */
export const SHORT_MESH_TRANSITION_MS = 15_000;

/** Devices of this context leave an old mesh 15 s after a rotation instead of a minute. */
export async function shortMeshTransition(context: BrowserContext): Promise<void> {
  await context.addInitScript((ms) => localStorage.setItem('hearth:mesh-transition-ms', String(ms)), SHORT_MESH_TRANSITION_MS);
}

/** The creator defines a paid tier on the members page. */
export async function createTier(page: Page, name: string, price: string, days: string) {
  if (!/\/members$/.test(new URL(page.url()).pathname)) await page.getByRole('link', { name: /Members & invites/ }).click();
  await page.getByLabel('Tier name').fill(name);
  await page.getByLabel('Price label').fill(price);
  await page.getByLabel('Duration (days)').fill(days);
  await page.getByRole('button', { name: 'Save tier' }).click();
  await expect(page.getByText(price)).toBeVisible();
}

/**
 * The creator sets the community's relay address on the members page, saved with Enter in the field:
 * the form sits at the page's end, below panels the community worker fills in as it answers, and a
 * click on its button twice missed it (no "Saved." within 10 s, the address filled in) as they grew.
 */
export async function useRelay(page: Page, relay: string) {
  await page.getByRole('link', { name: /Members & invites/ }).click();
  const field = page.getByLabel(/Relay address/);
  await field.fill(relay);
  await field.press('Enter');
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
}

/**
 * Collects what a page reports as broken: console errors and uncaught page errors (Svelte's
 * `effect_update_depth_exceeded` among them). A journey asserts the list stays empty.
 */
export function watchConsole(page: Page, who = ''): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`${who} console error: ${m.text()} (${m.location().url}) on ${page.url()} ${new Date().toISOString()}`);
  });
  page.on('pageerror', (e) => problems.push(`${who} page error: ${e.message} on ${page.url()} ${new Date().toISOString()}\n${e.stack}`));
  return problems;
}

/** Addresses of this browser context's shared workers (CDP lists the whole browser's), asked through `page` or its first page. */
export async function sharedWorkers(context: BrowserContext, page: Page = context.pages()[0]): Promise<string[]> {
  const cdp = await context.newCDPSession(page);
  const { targetInfo } = (await cdp.send('Target.getTargetInfo')) as { targetInfo: { browserContextId: string } };
  const { targetInfos } = (await cdp.send('Target.getTargets')) as { targetInfos: { type: string; url: string; browserContextId: string }[] };
  await cdp.detach();
  return targetInfos.filter((t) => t.type === 'shared_worker' && t.browserContextId === targetInfo.browserContextId).map((t) => t.url);
}

/** Makes a device a browser without SharedWorker: one tab runs the community worker, the others are served through it. */
export async function withoutSharedWorker(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    delete (window as { SharedWorker?: unknown }).SharedWorker;
  });
}

/** Makes a device's pages hold their documents themselves (`hearth:worker` 'off': a browser with no worker to hold them). */
export async function documentsOnThePage(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    try {
      localStorage.setItem('hearth:worker', 'off');
    } catch {
      // about:blank has no storage; the app's pages do
    }
  });
}

/** Whether a page runs the community worker as a dedicated worker of its own (a leader tab, no SharedWorker). */
export function runsCommunityWorker(page: Page): boolean {
  return page.workers().some((w) => /community\.worker/.test(w.url()));
}

/**
 * The browser freezes a tab as it does a hidden one on a phone (Page Lifecycle: `freeze`, then its
 * tasks and its dedicated workers stop), or runs it again (`resume`). Only a page of a
 * `launchFreezableDevice` context can be frozen. A frozen page runs no timer (a hidden one runs one a
 * second): checked here. DevTools' own evaluation still runs in a frozen page.
 */
export async function setLifecycle(page: Page, state: 'frozen' | 'active'): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Page.setWebLifecycleState', { state });
  await cdp.detach();
  // A page that runs again may be opening again (its context gone mid-call): running all the same.
  const answered = await Promise.race([
    page.evaluate(() => new Promise<boolean>((r) => setTimeout(() => r(true)))).catch(() => true),
    new Promise<false>((r) => setTimeout(() => r(false), 2_000))
  ]);
  expect(answered, `the page is ${state}`).toBe(state === 'active');
}

/** Where a page's documents are held (remote-doc.ts `hostClient`): 'shared', 'leader', 'follower' or 'page'. */
export function documentsHeld(page: Page): Promise<string | undefined> {
  return page.evaluate(() => document.documentElement.dataset.communityWorker);
}

/**
 * Goes to a page of the app as a member does, through a link its router follows (SvelteKit's click
 * handler, on an anchor put in the app's root for the click): the app, the community's worker and
 * its connections stay up. A load from the address bar (`page.goto`) starts them all again, and the
 * device leaves the mesh and meets its peers anew, seconds of a journey each time that prove nothing
 * of the page it goes to. A page not showing the app yet, a path with a fragment (read once by the
 * page it opens) and the page already shown (a reload) are loaded from the address bar.
 */
export async function visit(page: Page, path: string): Promise<void> {
  const here = new URL(page.url());
  const there = /^https?:$/.test(here.protocol) ? new URL(path, here.origin) : null;
  // Not the app yet, a fragment to read, or the page already there (a reload, as before).
  if (!there || there.hash || (here.pathname === there.pathname && here.search === there.search)) {
    await page.goto(path);
    return;
  }
  const followed = await page
    .evaluate(
      (href) =>
        new Promise<boolean>((resolve) => {
          const root = document.body.firstElementChild;
          if (!root?.firstElementChild) return resolve(false);
          // The router sets the address before it renders the next page, which it does within the
          // next frames (the page's code is loaded before the address changes).
          const { pushState } = history;
          let timer: ReturnType<typeof setTimeout> | undefined;
          const finish = (followed: boolean) => {
            clearTimeout(timer);
            history.pushState = pushState;
            if (followed) requestAnimationFrame(() => requestAnimationFrame(() => resolve(true)));
            else resolve(false);
          };
          history.pushState = (...args) => (pushState.apply(history, args), finish(true));
          timer = setTimeout(() => finish(false), 15_000);
          const a = document.createElement('a');
          a.href = href;
          root.append(a);
          a.click();
          a.remove();
        }),
      there.pathname + there.search
    )
    // The router chose a full load (the context was destroyed by it): wait for it as goto would.
    .catch(() => null);
  if (followed === null) await page.waitForLoadState('load');
  else if (!followed) await page.goto(path);
  await expect.poll(() => new URL(page.url()).pathname).toBe(there.pathname);
}
