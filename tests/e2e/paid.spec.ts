// Paid content stays paid, on real devices: content is sealed in the shared document, a Gold
// member reads a Gold thread, a free member sees a locked card and holds no trace of its words.
import { expect, test, type Page } from '@playwright/test';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createCommunity,
  createIdentity,
  createTier,
  joinFromLink,
  makeInvite,
  openDevice,
  SHORT_MESH_TRANSITION_MS,
  shortMeshTransition,
  startThread,
  useRelay,
  visit
} from './journeys';

/** Every file the e2e relays keep (tests/playwright.config.ts: tmpdir/hearth-e2e-relay-<pid>), as text. */
function relayFiles(): string {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(readFileSync(path).toString('latin1'));
    }
  };
  for (const name of readdirSync(tmpdir())) if (name.startsWith('hearth-e2e-relay-')) walk(join(tmpdir(), name));
  return out.join('\n');
}

/** Every value of every object store of every IndexedDB database of the page, as text (bytes decoded). */
function everythingStored(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const out: string[] = [];
    const decode = (v: unknown): unknown => (v instanceof Uint8Array || v instanceof ArrayBuffer ? new TextDecoder('utf-8', { fatal: false }).decode(v) : v);
    for (const info of await indexedDB.databases()) {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open(info.name!);
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      for (const name of [...db.objectStoreNames]) {
        const rows = await new Promise<unknown[]>((resolve, reject) => {
          const req = db.transaction(name).objectStore(name).getAll();
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(req.error);
        });
        for (const row of rows) out.push(JSON.stringify(row, (_k, v) => decode(v)));
      }
      db.close();
    }
    return out.join('\n');
  });
}

test('a Gold thread is sealed: the Gold member reads it, the free member sees a locked card and holds none of its words', async ({ browser, baseURL }) => {
  test.setTimeout(150_000);
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  const carol = await openDevice(browser, baseURL!);
  const token = `GOLD-${Math.random().toString(36).slice(2, 10)}`;
  const relay = `ws://127.0.0.1:${process.env.E2E_RELAY_PORT ?? 4457}`;
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Gold Studio');
    await useRelay(alice.page, relay);
    await createTier(alice.page, 'gold', '¥99 / month', '30');
    const free = await makeInvite(alice.page, { label: 'free' });
    await alice.page.getByLabel('Tier (optional)').fill('gold');
    const gold = await makeInvite(alice.page, { label: 'gold' });

    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, gold, 'Gold Studio');
    await createIdentity(carol.page, 'Carol');
    await joinFromLink(carol.page, free, 'Gold Studio');

    // Alice writes one thread for everyone and one for Gold; both travel sealed.
    await alice.page
      .getByRole('link', { name: /Gold Studio/ })
      .first()
      .click();
    await startThread(alice.page, 'Hello all', 'OPEN words for everyone');
    await alice.page
      .getByRole('link', { name: /Gold Studio/ })
      .first()
      .click();
    await alice.page.getByRole('link', { name: /New thread/ }).click();
    await alice.page.getByLabel('Title', { exact: true }).fill('Gold lesson');
    await alice.page.getByLabel(/Write in Markdown/).fill(`The secret is ${token}`);
    await alice.page.getByRole('radio', { name: 'gold' }).check();
    await alice.page.getByRole('button', { name: 'Post thread' }).click();
    await expect(alice.page.getByRole('heading', { level: 1, name: 'Gold lesson' })).toBeVisible();

    // Bob and Carol are on the community's page since they joined.
    await expect(bob.page.getByRole('link', { name: /Gold lesson/ })).toBeVisible({ timeout: 30_000 });
    await bob.page.getByRole('link', { name: /Gold lesson/ }).click();
    await expect(bob.page.getByText(token)).toBeVisible();

    await expect(carol.page.getByRole('link', { name: /Hello all/ })).toBeVisible({ timeout: 30_000 });
    await expect(carol.page.getByTestId('locked-row')).toHaveAccessibleName('gold members only', { timeout: 30_000 });
    await expect(carol.page.getByRole('link', { name: /Gold lesson/ })).toHaveCount(0);
    expect(await everythingStored(carol.page)).not.toContain(token);
    // The words are nowhere in clear in the shared document either, on any device's stored updates.
    // Its records are stored once, in the records table, where a sealed one keeps its sealed original.
    const aliceStored = await alice.page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((resolve) => {
        const open = indexedDB.open('hearth');
        open.onsuccess = () => resolve(open.result);
      });
      const all = <T>(table: string) =>
        new Promise<T[]>((resolve) => {
          const req = db.transaction(table).objectStore(table).getAll();
          req.onsuccess = () => resolve(req.result);
        });
      const rows = await all<{ update: Uint8Array }>('docUpdates');
      // Core kinds are rows of `records`, content is packed in `recordPages` (store/record-store).
      type Stored = { kind: string; sealedAs?: { kind: string } };
      const records = [...(await all<Stored>('records')), ...(await all<{ records: Stored[] }>('recordPages')).flatMap((p) => p.records)];
      return {
        updates: rows.map((r) => new TextDecoder('utf-8', { fatal: false }).decode(r.update)).join(''),
        sealed: records.filter((r) => r.kind === 'thread' && r.sealedAs?.kind === 'sealed').length
      };
    });
    expect(aliceStored.sealed).toBeGreaterThanOrEqual(2); // the document holds sealed records…
    expect(aliceStored.updates).not.toContain('OPEN words for everyone'); // …and no content in clear
    expect(aliceStored.updates).not.toContain(token);
    // Nor on the relay's disk (its snapshot and log files, of this and earlier runs): it stores the genesis in
    // clear (the community's name is there), the Gold words never.
    // Alice's profile (in clear) is written after her Gold thread over the same relay connection: once
    // the relay holds it, it holds the thread too.
    const marker = `BIO-${token}`.replace('GOLD-', '');
    await alice.page
      .getByRole('link', { name: /Gold Studio/ })
      .first()
      .click();
    await alice.page.getByRole('link', { name: 'Me', exact: true }).click();
    await alice.page.getByLabel('About me').fill(marker);
    await alice.page.getByRole('button', { name: 'Save profile' }).click();
    await expect.poll(() => relayFiles().includes(marker), { timeout: 30_000 }).toBe(true);
    expect(relayFiles()).toContain('Gold Studio');
    expect(relayFiles()).not.toContain(token);

    // The audit log lists the authority actions from the signed records, keys included.
    await alice.page.getByRole('link', { name: 'Manage', exact: true }).click();
    await alice.page
      .getByRole('main')
      .getByRole('link', { name: /^Audit log/ })
      .click();
    const log = alice.page.getByTestId('audit-entry');
    await expect(log.filter({ hasText: 'Alice defined the tier gold (¥99 / month)' })).toHaveCount(1);
    await expect(log.filter({ hasText: 'Alice started a new key for Tier gold' }).first()).toBeVisible();
    await expect(log.filter({ hasText: 'Alice started a new key for Everyone (start)' })).toHaveCount(1);
    await expect(log.filter({ hasText: /Alice shared the key of Everyone with 1 member\b/ }).first()).toBeVisible();
  } finally {
    await alice.context.close();
    await bob.context.close();
    await carol.context.close();
  }
});

test('a member who was away while a ban rotated the key catches up through the lobby and reads what came after', async ({ browser, baseURL }) => {
  test.setTimeout(180_000);
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  const carol = await openDevice(browser, baseURL!);
  for (const d of [alice, bob, carol]) await shortMeshTransition(d.context);
  const token = `AWAY-${Math.random().toString(36).slice(2, 10)}`;
  try {
    // No relay: what Bob misses can only reach him from Alice's device.
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Away Club');
    const cid = new URL(alice.page.url()).pathname.split('/')[2];
    const link = await makeInvite(alice.page, { label: 'all' });
    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, link, 'Away Club');
    await createIdentity(carol.page, 'Carol');
    await joinFromLink(carol.page, link, 'Away Club');
    await visit(alice.page, `/c/${cid}`);
    await startThread(alice.page, 'Before', 'Everyone reads this');
    await visit(bob.page, `/c/${cid}`);
    await expect(bob.page.getByRole('link', { name: /Before/ })).toBeVisible({ timeout: 20_000 });

    // Bob's phone loses its network; Alice bans Carol, which starts a new key and a new mesh.
    await bob.context.setOffline(true);
    await alice.page.goto(`/c/${cid}/members`);
    await expect(alice.page.getByTestId('member-row').filter({ hasText: 'Carol' })).toBeVisible({ timeout: 20_000 });
    alice.page.once('dialog', (d) => d.accept());
    await alice.page.getByTestId('member-row').filter({ hasText: 'Carol' }).getByRole('button', { name: 'Ban' }).click();
    await expect(alice.page.getByTestId('member-row').filter({ hasText: 'Carol' })).toContainText('banned');
    // Past the transition Alice's device has left the old mesh: Bob will find nobody there.
    await alice.page.waitForTimeout(SHORT_MESH_TRANSITION_MS + 5_000);
    await alice.page.goto(`/c/${cid}`);
    await startThread(alice.page, 'While Bob was away', `Members only: ${token}`);

    // Bob comes back: alone in the old mesh, his device looks in the lobby, gets the new key there and
    // moves to the new mesh, where the new thread is.
    await bob.context.setOffline(false);
    await bob.page.goto(`/c/${cid}`);
    await expect(bob.page.getByRole('link', { name: /While Bob was away/ })).toBeVisible({ timeout: 90_000 });
    await bob.page.getByRole('link', { name: /While Bob was away/ }).click();
    await expect(bob.page.getByText(token)).toBeVisible();
    // Carol, banned, holds none of it.
    expect(await everythingStored(carol.page)).not.toContain(token);
  } finally {
    for (const d of [alice, bob, carol]) await d.context.close().catch(() => {});
  }
});
