// Media between devices, the hard cases: a 20 MB file with progress, byte for byte; a peer that
// serves tampered chunks is refused and the file completes from another; offline, a photo seen
// earlier still shows; a photo kept by the relay reaches a member after its author closed the app.
import { createHash, randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { launchDevice } from './browser';
import { createCommunity, createIdentity, joinFromLink, makeInvite, openDevice, useRelay, visit } from './journeys';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * Attaches files as a person's file picker does, from disk (the test's output folder, the browser
 * telling their type by extension): handed over as buffers, Playwright sent them through its
 * protocol in base64, and the 20 MB one took 56 s to attach at load 20.
 */
async function postWithFiles(page: Page, cid: string, title: string, files: { name: string; buffer: Buffer }[]) {
  const paths = files.map(({ name, buffer }) => {
    const path = test.info().outputPath(name);
    writeFileSync(path, buffer);
    return path;
  });
  await visit(page, `/c/${cid}/new`);
  await page.getByLabel('Title', { exact: true }).fill(title);
  await page.getByLabel(/Write in Markdown/).fill(`${title}, attached.`);
  await page.getByLabel('Attach photos or files').setInputFiles(paths);
  await page.getByRole('button', { name: 'Post thread' }).click();
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible({ timeout: 60_000 });
}

async function downloaded(page: Page, name: string): Promise<Buffer> {
  const download = page.waitForEvent('download', { timeout: 90_000 });
  await page.getByRole('button', { name: new RegExp(`Download ${name.replace('.', '\\.')}`) }).click();
  return readFile((await (await download).path())!);
}

test('a 20 MB file reaches the other device with progress shown, byte for byte', async ({ browser, baseURL }) => {
  test.setTimeout(180_000);
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Archive');
    const cid = new URL(alice.page.url()).pathname.split('/')[2];
    const link = await makeInvite(alice.page, { label: 'all' });
    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, link, 'Archive');

    const big = randomBytes(20 * 1024 * 1024);
    await postWithFiles(alice.page, cid, 'Scans', [{ name: 'scans.bin', buffer: big }]);

    await visit(bob.page, `/c/${cid}`);
    await bob.page.getByRole('link', { name: /Scans/ }).click({ timeout: 30_000 });
    // Every progress value the page shows while the file arrives.
    await bob.page.evaluate(() => {
      const seen: number[] = ((window as unknown as { __progress: number[] }).__progress = []);
      const note = () => document.querySelectorAll('progress').forEach((p) => seen.at(-1) !== p.value && seen.push(p.value));
      new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['value'] });
    });
    const started = Date.now();
    const received = await downloaded(bob.page, 'scans.bin');
    const seconds = (Date.now() - started) / 1000;
    const progress = await bob.page.evaluate(() => (window as unknown as { __progress: number[] }).__progress);
    expect(received.length).toBe(big.length);
    expect(sha(received), 'the file Bob received is the file Alice attached').toBe(sha(big));
    expect(
      progress.some((p) => p > 0 && p < 1),
      `progress between 0 and 1 (saw ${progress.length} values)`
    ).toBe(true);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    test.info().annotations.push({ type: 'transfer', description: `20 MiB in ${seconds.toFixed(1)} s (${(20 / seconds).toFixed(1)} MiB/s)` });
  } finally {
    for (const d of [alice, bob]) await d.context.close().catch(() => {});
  }
});

test('a peer serving tampered chunks is refused and the file completes from another; offline, the photo seen earlier still shows', async ({
  browser,
  baseURL
}) => {
  test.setTimeout(180_000);
  const alice = await openDevice(browser, baseURL!);
  const carol = await openDevice(browser, baseURL!);
  const bobDevice = await launchDevice(baseURL!);
  const bob = await bobDevice.context.newPage();
  // Carol's device is modified: once told to, it flips a byte in every chunk it sends (side
  // messages, op 2 "have", whole or as the last frame of a framed message).
  await carol.context.addInitScript(() => {
    const w = window as unknown as { __tamper?: boolean; __tampered: number };
    w.__tampered = 0;
    const side = new Set<number>();
    const send = RTCDataChannel.prototype.send;
    RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: never) {
      const d = data as unknown;
      if (w.__tamper && (d instanceof Uint8Array || d instanceof ArrayBuffer)) {
        const b = d instanceof Uint8Array ? d : new Uint8Array(d);
        const flip = () => {
          const c = b.slice();
          c[c.length - 1] ^= 1;
          w.__tampered++;
          return send.call(this, c as never);
        };
        if (b[0] === 0xf8 && b[1] === 2) return flip();
        if (b[0] === 0xf7 && b.length > 11) {
          const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
          const id = v.getUint32(1);
          const index = v.getUint16(5);
          const count = v.getUint16(7);
          if (index === 0 && b[9] === 0xf8 && b[10] === 2) side.add(id);
          if (side.has(id) && index === count - 1) {
            side.delete(id);
            return flip();
          }
        }
      }
      return send.call(this, data);
    };
  });
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Darkroom');
    const cid = new URL(alice.page.url()).pathname.split('/')[2];
    const link = await makeInvite(alice.page, { label: 'all' });
    for (const [page, name] of [
      [carol.page, 'Carol'],
      [bob, 'Bob']
    ] as const) {
      await createIdentity(page, name);
      await joinFromLink(page, link, 'Darkroom');
    }
    const photo = Buffer.from(
      await alice.page.evaluate(async () => {
        const canvas = new OffscreenCanvas(800, 600);
        const ctx = canvas.getContext('2d')!;
        ctx.fillStyle = '#2c7';
        ctx.fillRect(0, 0, 800, 600);
        ctx.fillStyle = '#722';
        ctx.fillRect(100, 100, 300, 200);
        const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 })).arrayBuffer());
        return btoa(String.fromCharCode(...bytes));
      }),
      'base64'
    );
    const film = randomBytes(1024 * 1024 + 5); // five chunks
    await postWithFiles(alice.page, cid, 'Contact sheet', [
      { name: 'sheet.jpg', buffer: photo },
      { name: 'film.bin', buffer: film }
    ]);

    // Carol gets the photo and the file from Alice, then turns hostile.
    await visit(carol.page, `/c/${cid}`);
    await carol.page.getByRole('link', { name: /Contact sheet/ }).click({ timeout: 30_000 });
    await expect(carol.page.getByTestId('attachment-image')).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
    expect(sha(await downloaded(carol.page, 'film.bin'))).toBe(sha(film));
    // Bob sees the photo while Alice is online (it stays on his device).
    await visit(bob, `/c/${cid}`);
    await bob.getByRole('link', { name: /Contact sheet/ }).click({ timeout: 30_000 });
    await expect(bob.getByTestId('attachment-image')).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
    await carol.page.evaluate(() => ((window as unknown as { __tamper: boolean }).__tamper = true));

    // Alice leaves: only Carol can serve the file, and every chunk she sends is refused.
    await alice.page.close();
    await bob.getByRole('button', { name: /Download film\.bin/ }).click();
    await expect(bob.getByTestId('attachment-file').getByRole('status')).toHaveText(/Not on this device yet/, { timeout: 60_000 });
    expect(await carol.page.evaluate(() => (window as unknown as { __tampered: number }).__tampered)).toBeGreaterThan(0);

    // Alice is back: the same file completes, whichever peer Bob asks first.
    alice.page = await alice.context.newPage();
    await visit(alice.page, `/c/${cid}`);
    await visit(bob, `/c/${cid}`);
    await expect(bob.getByTestId('online-members')).toContainText('Alice', { timeout: 60_000 });
    await expect(bob.getByTestId('peer-count')).toContainText('2', { timeout: 60_000 });
    await bob.getByRole('link', { name: /Contact sheet/ }).click();
    const received = await downloaded(bob, 'film.bin');
    expect(sha(received), 'the file is Alice’s, not Carol’s').toBe(sha(film));

    // Bob goes offline and reloads: the photo he saw still shows, from his device.
    await bob.evaluate(() => navigator.serviceWorker.ready);
    await bob.reload();
    await expect(bob.getByTestId('attachment-image')).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
    await bobDevice.context.setOffline(true);
    await bob.reload();
    await expect(bob.getByTestId('attachment-image')).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
    const shown = await bob
      .getByTestId('attachment-image')
      .locator('img')
      .evaluate(async (img: HTMLImageElement) => {
        await img.decode();
        return { src: img.src.slice(0, 5), width: img.naturalWidth };
      });
    expect(shown).toEqual({ src: 'blob:', width: 800 });
  } finally {
    await bobDevice.context.setOffline(false).catch(() => {});
    for (const d of [alice, carol]) await d.context.close().catch(() => {});
    await bobDevice.close().catch(() => {});
  }
});

test('a photo posted with a relay configured reaches a member who opens it after its author closed the app', async ({ browser, baseURL }) => {
  test.setTimeout(180_000);
  const relayPort = process.env.E2E_RELAY_PORT ?? 4457;
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Kiln Club');
    const cid = new URL(alice.page.url()).pathname.split('/')[2];
    await useRelay(alice.page, `ws://127.0.0.1:${relayPort}`);
    const link = await makeInvite(alice.page, { label: 'all' });
    const photo = Buffer.from(
      await alice.page.evaluate(async () => {
        const canvas = new OffscreenCanvas(1200, 900);
        const ctx = canvas.getContext('2d')!;
        ctx.fillStyle = '#c63';
        ctx.fillRect(0, 0, 1200, 900);
        ctx.fillStyle = '#236';
        ctx.fillRect(200, 150, 500, 400);
        const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 })).arrayBuffer());
        return btoa(String.fromCharCode(...bytes));
      }),
      'base64'
    );
    await postWithFiles(alice.page, cid, 'Glaze test', [{ name: 'glaze.jpg', buffer: photo }]);

    // Alice's device hands the relay the photo's chunks: asked about them, the relay lacks none.
    const invite = JSON.parse(inflateRawSync(Buffer.from(new URL(link).hash.slice(1), 'base64url')).toString()) as { cid: string; secret: string };
    const room = createHash('sha256').update(`hearth-relay:${invite.cid}:${invite.secret}`).digest('base64url');
    const own = await alice.page.evaluate(
      () =>
        new Promise<string[]>((resolve, reject) => {
          const open = indexedDB.open('hearth');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const all = open.result.transaction('chunks').objectStore('chunks').getAll();
            all.onsuccess = () => resolve((all.result as { hash: string; own: number }[]).filter((c) => c.own === 1).map((c) => c.hash));
            all.onerror = () => reject(all.error);
          };
        })
    );
    expect(own.length).toBeGreaterThan(0);
    const missing = async () =>
      (await fetch(`http://127.0.0.1:${relayPort}/hearth-chunks/${room}/missing`, { method: 'POST', body: JSON.stringify(own) })).json() as Promise<string[]>;
    await expect.poll(missing, { timeout: 30_000 }).toEqual([]);

    // Bob joins (Alice's device admits him and hands him the key), then Alice closes the app.
    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, link, 'Kiln Club');
    await expect(bob.page.getByRole('link', { name: /Glaze test/ })).toBeVisible({ timeout: 30_000 });
    await alice.context.close();

    // Nobody else has the photo: it comes from the relay, checked, and shows whole.
    await bob.page.getByRole('link', { name: /Glaze test/ }).click();
    await expect(bob.page.getByTestId('attachment-image')).toHaveAttribute('data-state', 'ready', { timeout: 40_000 });
    const shown = await bob.page
      .getByTestId('attachment-image')
      .locator('img')
      .evaluate(async (img: HTMLImageElement) => {
        await img.decode();
        return { src: img.src.slice(0, 5), width: img.naturalWidth };
      });
    expect(shown).toEqual({ src: 'blob:', width: 1200 });
  } finally {
    for (const d of [alice, bob]) await d.context.close().catch(() => {});
  }
});
