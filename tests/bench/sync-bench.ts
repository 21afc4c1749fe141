// Sync measurements for `npm run bench`: two devices (separate Chromium profiles, so separate
// storage and no shared BroadcastChannel) that reach each other only through the real y-webrtc
// signaling server and WebRTC on loopback, or, for the relay figure, only through the relay.
// Every step goes through the app's own UI; timestamps are taken inside the pages with
// performance.timeOrigin + performance.now(), which both pages share with the machine's clock.
import { packId, unpackRow } from '../../src/lib/store/compact-ids';
import type { Page } from '@playwright/test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { identityFileText, type StoredKeys } from '../../src/lib/crypto/identity';
import type { AnyRecord } from '../../src/lib/domain/record';
import { DEXIE_UMD, openDevice, type Device } from './browser-bench';

type Log = (line: string) => void;

/** A device with its own temporary profile, removed when closed. */
export async function openPeer(baseURL: string): Promise<Device> {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-sync-'));
  const device = await openDevice(dir, baseURL);
  return {
    ...device,
    close: async () => {
      await device.context.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** Restores an identity with the onboarding screen's "Import identity file" control. */
export async function importIdentity(page: Page, keys: StoredKeys, name: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-identity-'));
  const file = join(dir, 'identity.json');
  writeFileSync(file, identityFileText(keys, { name, lang: 'en', createdAt: Date.now() }));
  try {
    await page.goto('/');
    await page.locator('#ob-import').setInputFiles(file);
    await page.getByRole('heading', { name: 'My communities' }).waitFor();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function withDexie(page: Page): Promise<void> {
  if (!(await page.evaluate(() => 'Dexie' in window))) await page.addScriptTag({ path: DEXIE_UMD });
}

/**
 * Workaround, not a step a person could take: a community that arrived by "Import community file"
 * has no room secret and no signaling addresses on the importing device (only a created or joined
 * community gets them), so it never syncs and its invite link cannot be made. Gives it what
 * "Create a community" would have: a random secret and the addresses /hearth-config.json announces.
 * Must run before the community is opened on the page. `added` is false when the row had a secret already.
 */
export async function giveRoomSecret(page: Page, cid: string): Promise<{ added: boolean; secret: string }> {
  await withDexie(page);
  return page.evaluate(async (cid) => {
    type Db = {
      open(): Promise<unknown>;
      close(): void;
      table(n: string): { get(k: string): Promise<Record<string, unknown> | undefined>; update(k: string, c: object): Promise<number> };
    };
    const db = new (window as unknown as { Dexie: new (n: string) => Db }).Dexie('hearth');
    await db.open();
    try {
      const row = await db.table('communities').get(cid);
      if (!row) throw new Error(`community ${cid} is not on this device`);
      if (typeof row.secret === 'string' && row.secret) return { added: false, secret: row.secret };
      const config = (await (await fetch('/hearth-config.json', { cache: 'no-store' })).json()) as { signaling: string[]; relay: string | null };
      const bytes = crypto.getRandomValues(new Uint8Array(32));
      const secret = btoa(String.fromCharCode(...bytes))
        .replace(/\+/g, '-')
        .replace(/\//g, '_')
        .replace(/=+$/, '');
      await db.table('communities').update(cid, { secret, signaling: config.signaling, relay: row.relay ?? config.relay });
      return { added: true, secret };
    } finally {
      db.close();
    }
  }, cid);
}

/** Records of a community held on this device: the projection's accepted records plus the genesis. */
export async function recordCount(page: Page, cid: string): Promise<number> {
  await withDexie(page);
  return page.evaluate(async (cid) => {
    type Db = {
      open(): Promise<unknown>;
      close(): void;
      table(n: string): { get(k: string): Promise<unknown>; where(i: string): { equals(v: string): { count(): Promise<number> } } };
    };
    const db = new (window as unknown as { Dexie: new (n: string) => Db }).Dexie('hearth');
    await db.open();
    const paged = (s: unknown) => (s ? Object.values((s as { counts: Record<string, number> }).counts).reduce((a, b) => a + b, 0) : 0);
    const n =
      (await db.table('records').where('cid').equals(cid).count()) +
      ((await db.table('records').get(cid)) ? 1 : 0) +
      paged(await db.table('recordStamps').get(cid));
    db.close();
    return n;
  }, cid);
}

/** The number in the community header's "N threads", or null when the header is not shown. */
export async function shownThreadCount(page: Page): Promise<number | null> {
  return page.evaluate(() => {
    const m = document.querySelector('section.hero p.muted')?.textContent?.match(/([\d,.\s\u00a0]+)\s*threads/);
    return m ? Number(m[1].replace(/\D/g, '')) : null;
  });
}

export async function openFeed(page: Page, cid: string): Promise<void> {
  await page.goto(`/c/${cid}`);
  await page.locator('section.hero').waitFor();
}

/** The members page's "Create invite" (role member, no use limit, 7 days), as tests/e2e/journeys.ts makeInvite. */
export async function makeInviteLink(page: Page, cid: string, label: string): Promise<string> {
  await page.goto(`/c/${cid}/members`);
  const create = page.getByRole('button', { name: 'Create invite' });
  await create.waitFor();
  await page.getByLabel('Label', { exact: true }).fill(label);
  await create.click();
  const link = page.getByRole('textbox', { name: 'Invite link' });
  await link.waitFor();
  await page
    .waitForFunction(
      () =>
        /\/join#/.test((document.querySelector('input[aria-label="Invite link"], textarea[aria-label="Invite link"]') as HTMLInputElement | null)?.value ?? ''),
      null,
      { timeout: 30_000 }
    )
    .catch(() => {});
  const url = await link.inputValue();
  if (!/\/join#/.test(url)) throw new Error('the members page did not show an invite link');
  return url;
}

/** The members page's sync addresses form: sets the relay and waits for "Saved.". */
export async function setRelay(page: Page, cid: string, relay: string): Promise<void> {
  await page.goto(`/c/${cid}/members`);
  await page.getByLabel(/Relay address/).fill(relay);
  await page.getByRole('button', { name: 'Save addresses' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
}

/**
 * Opens the invite link, clicks "Join community" and returns the ms from that click (a capturing
 * listener in the page) until the community header shows `threads` threads (a MutationObserver);
 * null when that did not happen within `timeout`.
 */
export async function joinUntilThreads(page: Page, link: string, threads: number, timeout = 60_000, navigate = true): Promise<number | null> {
  if (navigate) await page.goto(link);
  const button = page.getByRole('button', { name: 'Join community' });
  await button.waitFor();
  await page.waitForFunction(() => !(document.querySelector('section.join button.primary') as HTMLButtonElement | null)?.disabled);
  await page.evaluate((threads) => {
    const w = window as unknown as { __benchJoinAt?: number; __benchThreadsAt?: number; __benchFirstRowAt?: number };
    const now = () => performance.timeOrigin + performance.now();
    document.addEventListener(
      'click',
      (e) => {
        if ((e.target as Element | null)?.closest?.('button')?.textContent?.includes('Join community')) w.__benchJoinAt ??= now();
      },
      true
    );
    const check = () => {
      // The first thread row after the click (`firstRowAfterJoin`): a community held in shards shows its newest months first.
      if (w.__benchJoinAt !== undefined && document.querySelector('[data-testid="thread-row"]')) w.__benchFirstRowAt ??= now();
      const m = document.querySelector('section.hero p.muted')?.textContent?.match(/([\d,.\s\u00a0]+)\s*threads/);
      if (w.__benchJoinAt !== undefined && m && Number(m[1].replace(/\D/g, '')) >= threads) w.__benchThreadsAt ??= now();
      // The header may count every thread before a row is drawn: watched until both are seen.
      if (w.__benchThreadsAt !== undefined && w.__benchFirstRowAt !== undefined) observer.disconnect();
    };
    const observer = new MutationObserver(check);
    observer.observe(document.body, { childList: true, subtree: true, characterData: true });
  }, threads);
  await button.click();
  const shown = await page
    .waitForFunction(() => (window as unknown as { __benchThreadsAt?: number }).__benchThreadsAt !== undefined, null, { timeout, polling: 100 })
    .then(
      () => true,
      () => false
    );
  if (!shown) return null;
  return page.evaluate(() => {
    const w = window as unknown as { __benchJoinAt: number; __benchThreadsAt: number };
    return w.__benchThreadsAt - w.__benchJoinAt;
  });
}

/** After `joinUntilThreads`: ms from the "Join community" click until the first thread row was in the DOM, or null. */
export async function firstRowAfterJoin(page: Page): Promise<number | null> {
  return page.evaluate(() => {
    const w = window as unknown as { __benchJoinAt?: number; __benchFirstRowAt?: number };
    return w.__benchJoinAt !== undefined && w.__benchFirstRowAt !== undefined ? w.__benchFirstRowAt - w.__benchJoinAt : null;
  });
}

/** Posts a thread through "New thread" and returns its path. */
export async function postThread(page: Page, cid: string, title: string, body: string): Promise<string> {
  await openFeed(page, cid);
  await page.getByRole('link', { name: /New thread/ }).click();
  await page.getByLabel('Title', { exact: true }).fill(title);
  await page.getByLabel(/Write in Markdown/).fill(body);
  await page.getByRole('button', { name: 'Post thread' }).click();
  await page.getByRole('heading', { level: 1, name: title }).waitFor();
  return new URL(page.url()).pathname;
}

export interface LatencyRun {
  /** ms from A's "Send reply" submit until the text was in B's DOM, per delivered write, in order. */
  latencies: number[];
  lost: number;
}

/**
 * A sends `count` replies in one thread with the reply composer, one at a time; each carries a
 * token. A's submit time is taken by a capturing submit listener, B's arrival by a MutationObserver
 * on B's thread page. The next reply is sent once B has shown the previous one (or after 15 s).
 */
/**
 * Notes in the page, under `window[slot]`, when each match of `pattern` first appears in its DOM
 * (epoch ms: comparable with Node's clock and with another page's).
 */
async function watchForTokens(page: Page, pattern: string, slot: string): Promise<void> {
  await page.evaluate(
    ([pattern, slot]) => {
      const seen: Record<string, number> = {};
      (window as unknown as Record<string, unknown>)[slot] = seen;
      const re = new RegExp(pattern, 'g');
      const note = (text: string | null | undefined, at: number) => {
        for (const m of (text ?? '').matchAll(re)) seen[m[0]] ??= at;
      };
      new MutationObserver((mutations) => {
        const at = performance.timeOrigin + performance.now();
        for (const mu of mutations) {
          if (mu.type === 'characterData') note(mu.target.textContent, at);
          else mu.addedNodes.forEach((n) => note(n.textContent, at));
        }
      }).observe(document.body, { childList: true, subtree: true, characterData: true });
    },
    [pattern, slot] as const
  );
}

export async function replyLatencies(a: Page, b: Page, path: string, count: number, texts: string[], log: Log): Promise<LatencyRun> {
  await b.goto(path);
  await b.locator('#reply-body').waitFor({ timeout: 60_000 });
  const run = Math.random().toString(36).slice(2, 7);
  const pattern = `lat-${run}-(\\d+)`;
  await a.evaluate((pattern) => {
    const w = window as unknown as { __benchSent: Record<string, number> };
    w.__benchSent = {};
    document.addEventListener(
      'submit',
      () => {
        const m = (document.querySelector('#reply-body') as HTMLTextAreaElement | null)?.value.match(new RegExp(pattern));
        if (m) w.__benchSent[m[0]] ??= performance.timeOrigin + performance.now();
      },
      true
    );
  }, pattern);
  await watchForTokens(b, pattern, '__benchSeen');

  const composer = a.locator('#reply-body');
  const send = a.getByRole('button', { name: 'Send reply' });
  let lost = 0;
  for (let i = 0; i < count; i++) {
    const token = `lat-${run}-${i}`;
    await composer.fill(`${texts[i % texts.length]}\n\n${token}`);
    await send.click();
    const seen = await b
      .waitForFunction((t) => (window as unknown as { __benchSeen: Record<string, number> }).__benchSeen[t] !== undefined, token, {
        timeout: 15_000,
        polling: 10
      })
      .then(
        () => true,
        () => false
      );
    if (!seen) lost++;
    // The composer clears once the reply is stored; writing before that would lose the next text.
    await a.waitForFunction(() => (document.querySelector('#reply-body') as HTMLTextAreaElement | null)?.value === '', null, { timeout: 15_000 });
    if ((i + 1) % 50 === 0) log(`  ${i + 1} / ${count} replies sent`);
  }
  const sent = await a.evaluate(() => (window as unknown as { __benchSent: Record<string, number> }).__benchSent);
  const seen = await b.evaluate(() => (window as unknown as { __benchSeen: Record<string, number> }).__benchSeen);
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const token = `lat-${run}-${i}`;
    if (sent[token] !== undefined && seen[token] !== undefined) latencies.push(seen[token] - sent[token]);
  }
  return { latencies, lost };
}

/**
 * A device back online with its page open all along (both pages on the same thread already, never
 * reloaded): each round one device goes offline (`context.setOffline`), the other replies, and the time
 * runs from the first's going online again until the reply is in its DOM. `rounds` rounds with each
 * device away in turn (`b` first); null for a round whose reply did not come within `timeoutMs`.
 */
export async function resumeLatencies(a: Device, b: Device, rounds: number, timeoutMs: number): Promise<{ away: 'a' | 'b'; ms: number | null }[]> {
  const run = Math.random().toString(36).slice(2, 7);
  for (const page of [a.page, b.page]) await watchForTokens(page, `resume-${run}-\\d+`, '__benchResumed');
  const out: { away: 'a' | 'b'; ms: number | null }[] = [];
  for (let i = 0; i < rounds; i++) {
    const token = `resume-${run}-${i}`;
    const [away, writer] = i % 2 === 0 ? [b, a] : [a, b];
    await away.context.setOffline(true);
    await away.page.getByText('Offline — everything you write is kept on this device.').waitFor();
    await writer.page.locator('#reply-body').fill(`Written while the other device is away. ${token}`);
    await writer.page.getByRole('button', { name: 'Send reply' }).click();
    await writer.page.waitForFunction(() => (document.querySelector('#reply-body') as HTMLTextAreaElement | null)?.value === '', null, { timeout: 15_000 });
    // Long enough for the writer's connection to the device away to close (as with a lost network).
    await away.page.waitForTimeout(2_000);
    const online = Date.now();
    await away.context.setOffline(false);
    const seen = await away.page
      .waitForFunction((t) => (window as unknown as { __benchResumed: Record<string, number> }).__benchResumed[t], token, { timeout: timeoutMs, polling: 20 })
      .then(
        (handle) => handle.jsonValue() as Promise<number>,
        () => null
      );
    out.push({ away: away === a ? 'a' : 'b', ms: seen === null ? null : seen - online });
    // Both devices connected again before the next round (the writer's view of the one back).
    await writer.page
      .waitForFunction((t) => (window as unknown as { __benchResumed: Record<string, number> }).__benchResumed[t] !== undefined, token, { timeout: 15_000 })
      .catch(() => {});
  }
  return out;
}

/**
 * Imports a community file while the page is offline, through the home page reached by the app's
 * own link (a reload would need the network or the service worker), then opens the community again.
 */
export async function importWhileOffline(page: Page, cid: string, file: string): Promise<{ imported: number; rejected: number }> {
  await page.locator('a.brand').click();
  const input = page.getByTestId('community-file-input');
  await input.waitFor({ state: 'attached' });
  await input.setInputFiles(file);
  const outcome = page.locator('[data-testid="community-file-result"], [data-testid="community-file-error"]');
  await outcome.waitFor({ timeout: 120_000 });
  if ((await outcome.getAttribute('data-testid')) === 'community-file-error') throw new Error(`import refused: ${await outcome.textContent()}`);
  const result = { imported: Number(await outcome.getAttribute('data-imported')), rejected: Number(await outcome.getAttribute('data-rejected')) };
  await page.locator(`a[href$="/c/${cid}"]`).first().click();
  await page.locator('section.hero').waitFor();
  return result;
}

/**
 * In the page: notes when the 'online' event fires, then polls the community's record count every
 * 25 ms and notes when it reaches `target`.
 */
export async function watchForRecords(page: Page, cid: string, target: number): Promise<void> {
  await withDexie(page);
  await page.evaluate(
    async ({ cid, target }) => {
      type Db = {
        open(): Promise<unknown>;
        table(n: string): { get(k: string): Promise<unknown>; where(i: string): { equals(v: string): { count(): Promise<number> } } };
      };
      const w = window as unknown as { __benchOnlineAt?: number; __benchAllAt?: number; __benchCount?: number };
      const now = () => performance.timeOrigin + performance.now();
      addEventListener('online', () => (w.__benchOnlineAt ??= now()), { once: true });
      const db = new (window as unknown as { Dexie: new (n: string) => Db }).Dexie('hearth');
      await db.open();
      const poll = async () => {
        const paged = (s: unknown) => (s ? Object.values((s as { counts: Record<string, number> }).counts).reduce((a, b) => a + b, 0) : 0);
        const n =
          (await db.table('records').where('cid').equals(cid).count()) +
          ((await db.table('records').get(cid)) ? 1 : 0) +
          paged(await db.table('recordStamps').get(cid));
        w.__benchCount = n;
        if (n >= target) w.__benchAllAt = now();
        else setTimeout(poll, 25);
      };
      void poll();
    },
    { cid, target }
  );
}

export async function mergeTimes(page: Page): Promise<{ onlineAt?: number; allAt?: number; count?: number }> {
  return page.evaluate(() => {
    const w = window as unknown as { __benchOnlineAt?: number; __benchAllAt?: number; __benchCount?: number };
    return { onlineAt: w.__benchOnlineAt, allAt: w.__benchAllAt, count: w.__benchCount };
  });
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** "Create a community" on the home page, as tests/e2e/journeys.ts createCommunity; returns its id. */
export async function createCommunity(page: Page, name: string, description: string): Promise<string> {
  await page.goto('/');
  await page.getByRole('button', { name: /Create a community/ }).click();
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Description').fill(description);
  await page.getByRole('button', { name: 'Create community' }).click();
  await page.waitForURL(/\/c\/[A-Za-z0-9_-]{43}$/);
  await page.locator('section.hero').waitFor();
  return new URL(page.url()).pathname.split('/').pop()!;
}

/** Every record of a community as this device stores it (the projection's copy; `target` dropped). */
export async function storedRecords(page: Page, cid: string): Promise<AnyRecord[]> {
  await withDexie(page);
  // Ids are stored as 33 bytes (store/compact-ids.ts): the genesis is asked for by its packed id, and
  // packed fields come back as byte arrays, unpacked here.
  const rows = (await page.evaluate(
    async ({ cid, packed }) => {
      type Db = {
        open(): Promise<unknown>;
        close(): void;
        table(n: string): {
          get(k: unknown): Promise<Record<string, unknown> | undefined>;
          where(i: string): { equals(v: string): { toArray(): Promise<Record<string, unknown>[]> } };
        };
      };
      const db = new (window as unknown as { Dexie: new (n: string) => Db }).Dexie('hearth');
      await db.open();
      const genesis = await db.table('records').get(new Uint8Array(packed));
      // Content records are packed in `recordPages` (store/record-store), core kinds are rows.
      const pages = (await (
        db.table('recordPages') as unknown as {
          where(i: string): { between(l: unknown[], u: unknown[]): { toArray(): Promise<{ records: Record<string, unknown>[] }[]> } };
        }
      )
        .where('[cid+kind+shard+seq]')
        .between([cid, -Infinity, -Infinity, -Infinity], [cid, '\uffff', '\uffff', Infinity])
        .toArray()) as { records: Record<string, unknown>[] }[];
      const rows = [...(genesis ? [genesis] : []), ...(await db.table('records').where('cid').equals(cid).toArray()), ...pages.flatMap((p) => p.records)];
      db.close();
      const plain = (v: unknown) => (v instanceof ArrayBuffer ? [...new Uint8Array(v)] : v instanceof Uint8Array ? [...v] : v);
      return rows.map(({ target: _t, ...r }) => ({ ...r, id: plain(r.id) }));
    },
    { cid, packed: [...(packId(cid) as Uint8Array)] }
  )) as Record<string, unknown>[];
  return rows.map((r) => unpackRow({ ...r, id: Array.isArray(r.id) ? Uint8Array.from(r.id as number[]) : r.id }, ['id'])) as unknown as AnyRecord[];
}

/** What the community's health panel says ("N records … were restored", rejected counts), if shown. */
export async function healthNotice(page: Page): Promise<string | null> {
  const panel = page.getByTestId('health-panel');
  return (await panel.count()) ? (await panel.innerText()).replace(/\s+/g, ' ').trim() : null;
}

export async function peerStatus(page: Page): Promise<string> {
  const status = page.getByTestId('sync-status');
  return (await status.count()) ? (await status.innerText()).replace(/\s+/g, ' ').trim() : '';
}
