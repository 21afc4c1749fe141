// A creator's first day, on one device: identity, community, discussion with hostile Markdown,
// replies, reactions, edits; then reload, offline reload and the installability check.
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { launchDevice } from './browser';
import { createCommunity, createIdentity, sendReply, startThread } from './journeys';

const HOSTILE = [
  'Hello **riders**.',
  '<script>window.__pwned = "script"</script>',
  '<img src="x" onerror="window.__pwned = \'onerror\'">',
  "[harmless link](javascript:window.__pwned='js-link')",
  '<a href="javascript:alert(1)">js anchor</a>',
  '<svg><script>window.__pwned = "svg-script"</script></svg>',
  '<svg onload="window.__pwned = \'svg-onload\'"><circle r="5"/></svg>',
  '<iframe src="javascript:alert(1)"></iframe>',
  '<math><mtext><table><mglyph><style><img src=x onerror="window.__pwned=\'mxss\'">',
  '<details open ontoggle="window.__pwned=\'toggle\'">x</details>'
].join('\n\n');

test('a creator discusses with hostile Markdown inert, and it all survives reload and going offline', async ({ baseURL }) => {
  const device = await launchDevice(baseURL!);
  try {
    const page = await device.context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', async (d) => {
      if (d.type() !== 'confirm') dialogs.push(d.message());
      await d.dismiss();
    });

    await createIdentity(page, 'Alice');
    await createCommunity(page, 'Morning Riders', 'We ride at dawn');
    await startThread(page, 'Routes for spring', HOSTILE);

    const op = page.getByTestId('post').first();
    await expect(op.getByText('Hello riders.')).toBeVisible();
    await expect(op.locator('strong', { hasText: 'riders' })).toBeVisible();
    await op
      .getByText('harmless link')
      .click({ noWaitAfter: true })
      .catch(() => {});
    await op
      .getByText('js anchor')
      .click({ noWaitAfter: true })
      .catch(() => {});
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined();
    expect(dialogs).toEqual([]);
    const body = op.locator('.markdown');
    await expect(body.locator('script, svg, iframe, math, style, [onerror], [onload], [ontoggle]')).toHaveCount(0);
    await expect(body.locator('a[href^="javascript"]')).toHaveCount(0);

    await sendReply(page, 'First reply: try the river path.');
    const reply = page.getByTestId('post').filter({ hasText: 'First reply' });
    await reply.getByRole('button', { name: /Reply/ }).click();
    await expect(page.getByText('Replying to Alice')).toBeVisible();
    await sendReply(page, 'Reply to the reply: agreed!');
    const nested = page.getByTestId('post').filter({ hasText: 'Reply to the reply' });
    await expect(nested.getByRole('link', { name: /In reply to Alice/ })).toBeVisible();

    await op.getByRole('button', { name: 'React', exact: true }).click();
    await op.getByRole('button', { name: 'React with 👍: 0' }).click();
    await expect(op.getByRole('button', { name: 'React with 👍: 1' })).toBeVisible();

    await op.getByRole('button', { name: /Edit/ }).click();
    await op.locator('textarea').fill('Hello **riders**, edited: meet at 6.');
    await op.getByRole('button', { name: 'Save' }).click();
    await expect(op.getByText('meet at 6.')).toBeVisible();
    await op.getByRole('button', { name: 'Edit history' }).click();
    const history = page.getByRole('dialog', { name: 'Edit history' });
    await expect(history.getByText('Original')).toBeVisible();
    await expect(history.getByText('Edit 1')).toBeVisible();
    await history.getByRole('button', { name: 'Close' }).click();

    const threadUrl = page.url();
    const checkAll = async () => {
      await expect(page.getByRole('heading', { level: 1, name: 'Routes for spring' })).toBeVisible();
      await expect(page.getByText('meet at 6.')).toBeVisible();
      await expect(page.getByText('First reply: try the river path.')).toBeVisible();
      await expect(page.getByText('Reply to the reply: agreed!')).toBeVisible();
      await expect(page.getByTestId('post').first().getByRole('button', { name: 'React with 👍: 1' })).toBeVisible();
      await expect(page.getByRole('button', { name: 'Edit history' })).toBeVisible();
    };

    await page.reload();
    await checkAll();

    // The service worker must control the page before the network goes away.
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.reload();
    expect(await page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
    await device.context.setOffline(true);
    await page.goto(threadUrl);
    await checkAll();
    // Chromium 150 (Debian's since 2026-12) starts a document navigated under emulated offline with
    // navigator.onLine true, where a device really offline reports false (156 did not): going online
    // and off again, after the page loaded offline, lets this document see the emulation.
    await device.context.setOffline(false);
    await device.context.setOffline(true);
    await expect(page.getByText('Offline — everything you write is kept on this device.')).toBeVisible();
    await page.goto('/');
    await expect(page.getByRole('link', { name: /Morning Riders/ })).toBeVisible();
    await device.context.setOffline(false);

    const cdp = await device.context.newCDPSession(page);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    expect(installabilityErrors).toEqual([]);
    expect(dialogs).toEqual([]);
  } finally {
    await device.close();
  }
});

test('an exported identity restored in another browser profile is the same member', async ({ baseURL }) => {
  const first = await launchDevice(baseURL!);
  const second = await launchDevice(baseURL!);
  try {
    const page = await first.context.newPage();
    await createIdentity(page, '王小明');
    await page.getByRole('link', { name: 'Settings' }).click();
    const memberId = await page.getByTestId('member-id').textContent();
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: /Export identity file/ }).click();
    const file = await (await download).path();

    const other = await second.context.newPage();
    await other.goto('/');
    await other.getByLabel(/Language|语言/).selectOption('en');
    // A wrong file gets a clear message and changes nothing.
    await other.locator('#ob-import').setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('{"format":"nope"}') });
    await expect(other.getByRole('alert')).toHaveText('This file is not a Hearth identity file.');
    await other.locator('#ob-import').setInputFiles({ name: 'id.json', mimeType: 'application/json', buffer: readFileSync(file) });
    await expect(other.getByRole('heading', { name: 'My communities' })).toBeVisible();
    // An empty home says how the communities come back.
    await expect(other.getByTestId('restore-hint')).toContainText('open an invite link from a member of each community');
    await other.getByRole('link', { name: 'Settings' }).click();
    await expect(other.getByTestId('member-id')).toHaveText(memberId!);
    await expect(other.getByLabel('Display name')).toHaveValue('王小明');
  } finally {
    await first.close();
    await second.close();
  }
});

test('a creator pins a thread, quote-replies, mentions a member and deletes posts', async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  page.on('dialog', (d) => d.accept());
  try {
    await createIdentity(page, 'Alice');
    await createCommunity(page, 'Pin Club');
    await startThread(page, 'Older thread', 'first');
    await page.getByRole('link', { name: /Pin Club/ }).click();
    await startThread(page, 'Newer thread', 'The **quoted** words are here.');

    // Quote-reply the opening post, then mention Alice from the suggestions.
    const op = page.getByTestId('post').first();
    await op.getByRole('button', { name: /Quote/ }).click();
    await expect(page.locator('.reply-box blockquote')).toContainText('The **quoted** words are here.');
    await page.locator('#reply-body').fill('I agree with this.');
    await page.getByRole('button', { name: 'Send reply' }).click();
    const quoted = page.getByTestId('post').filter({ hasText: 'I agree with this.' });
    await expect(quoted.locator('blockquote')).toContainText('The **quoted** words are here.');
    // The reply shows while it is being sent; the box empties once it is stored (what is typed
    // before that is kept as the next reply), so the next reply is typed after it emptied.
    await expect(page.locator('#reply-body')).toHaveValue('');

    await page.locator('#reply-body').pressSequentially('thanks @Al');
    await page.getByRole('list', { name: 'Members to mention' }).getByRole('button', { name: '@Alice' }).click();
    await expect(page.locator('#reply-body')).toHaveValue('thanks @Alice ');
    await page.getByRole('button', { name: 'Send reply' }).click();
    await expect(page.getByTestId('post').filter({ hasText: 'thanks' }).locator('.mention')).toHaveText('@Alice');

    // Delete own reply: it stays in place, marked deleted.
    await quoted.getByRole('button', { name: /Delete/ }).click();
    await expect(page.getByText('This post was deleted by its author.')).toBeVisible();
    await expect(page.getByText('I agree with this.')).toHaveCount(0);

    // Pinning the older thread puts it first; deleting the newer one removes it from the feed.
    await page.getByRole('link', { name: /Pin Club/ }).click();
    const rows = page.getByTestId('thread-row');
    await expect(rows.first()).toContainText('Newer thread');
    await page.getByRole('link', { name: /Older thread/ }).click();
    await page.getByTestId('post').first().getByText('Moderate', { exact: true }).click();
    await page
      .getByTestId('post')
      .first()
      .getByRole('button', { name: /Pin thread/ })
      .click();
    await expect(page.getByText('Pinned')).toBeVisible();
    await page.getByRole('link', { name: /Pin Club/ }).click();
    await expect(rows.first()).toContainText('Older thread');
    await page.getByRole('link', { name: /Newer thread/ }).click();
    await page
      .getByTestId('post')
      .first()
      .getByRole('button', { name: /Delete/ })
      .click();
    await expect(page.getByRole('alert')).toHaveText('This thread does not exist or was deleted.');
    await page.getByRole('link', { name: /Pin Club/ }).click();
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText('Older thread');
  } finally {
    await context.close();
  }
});

test('an English reader downloads none of the Chinese dictionary; a Chinese reader gets it with the first screen', async ({ browser, baseURL }) => {
  // A string of the Chinese dictionary only (search.loading), not of any English screen.
  const chinese = '正在打开搜索索引';
  for (const [locale, heading, expected] of [
    ['en-US', 'Welcome to Hearth', false],
    ['zh-CN', '欢迎使用 Hearth', true]
  ] as const) {
    const context = await browser.newContext({ baseURL, locale, serviceWorkers: 'block' });
    const page = await context.newPage();
    const scripts: Promise<string>[] = [];
    page.on('response', (r) => {
      if (r.request().resourceType() === 'script') scripts.push(r.text().catch(() => ''));
    });
    try {
      await page.goto('/');
      await expect(page.getByRole('heading', { name: heading })).toBeVisible();
      await page.waitForLoadState('networkidle');
      const texts = await Promise.all(scripts);
      expect(texts.length).toBeGreaterThan(3);
      expect(
        texts.some((t) => t.includes(chinese)),
        `${locale}: a script with the Chinese dictionary`
      ).toBe(expected);
    } finally {
      await context.close();
    }
  }
});

test('on a 360 px phone in Chinese, nothing overflows and every control has an accessible name', async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL, viewport: { width: 360, height: 740 }, locale: 'zh-CN', colorScheme: 'dark' });
  const page = await context.newPage();
  try {
    await page.goto('/');
    await expect(page.getByRole('heading', { name: '欢迎使用 Hearth' })).toBeVisible();
    await page.getByLabel('显示名称').fill('王小明');
    await page.getByRole('button', { name: '创建我的身份' }).click();
    await page.getByRole('button', { name: /创建社群/ }).click();
    await page.getByLabel('名称', { exact: true }).fill('读书会');
    await page.getByRole('button', { name: '创建社群' }).last().click();
    await expect(page.getByRole('heading', { level: 1, name: /读书会/ })).toBeVisible();
    await page.getByRole('link', { name: /发起主题/ }).click();
    await page.getByLabel('标题', { exact: true }).fill('第一次聚会时间');
    await page.getByLabel(/Markdown/).fill('大家周六下午有空吗？');
    await page.getByRole('button', { name: '发布主题' }).click();
    await expect(page.getByRole('heading', { level: 1, name: '第一次聚会时间' })).toBeVisible();

    const audit = () =>
      page.evaluate(() => {
        const unnamed: string[] = [];
        for (const el of document.querySelectorAll<HTMLElement>('button, a[href], input:not([type=hidden]), textarea, select')) {
          if (el.closest('[hidden]') || (el.getClientRects().length === 0 && !(el instanceof HTMLInputElement && el.type === 'file'))) continue;
          const labelled = el.id && document.querySelector(`label[for="${el.id}"]`)?.textContent?.trim();
          const name = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || labelled || el.textContent?.trim() || el.getAttribute('title');
          if (!name) unnamed.push(el.outerHTML.slice(0, 80));
        }
        return { unnamed, overflow: document.documentElement.scrollWidth - window.innerWidth };
      });
    for (const path of ['thread', 'feed', 'members', 'home', 'settings']) {
      if (path === 'feed') {
        await page.getByRole('link', { name: /读书会/ }).click();
        // The feed starts in the upper half of the first screen: the sections scroll sideways in one row.
        const first = await page.getByTestId('thread-row').first().boundingBox();
        // (313 px with the sections in one row; 513 px when they wrapped into rows of buttons.)
        expect(first && first.y, 'the first thread row, from the top of a 740 px screen').toBeLessThan(420);
      }
      if (path === 'members') await page.getByRole('link', { name: /成员与邀请/ }).click();
      if (path === 'home') await page.getByRole('link', { name: '首页' }).click();
      if (path === 'settings') await page.getByRole('link', { name: '设置' }).click();
      await page.waitForTimeout(200);
      const result = await audit();
      expect(result.unnamed, path).toEqual([]);
      expect(result.overflow, path).toBeLessThanOrEqual(0);
    }
  } finally {
    await context.close();
  }
});
