// The media figures of `npm run bench` (media.*): photos and a large file between two devices over
// WebRTC, through the app's UI. tests/bench/README.md says how each is taken.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import type { Page } from '@playwright/test';
import { createIdentity, median, type Device } from './browser-bench';
import { createCommunity, makeInviteLink, openPeer } from './sync-bench';

/** Photos posted for media.image_visible_on_peer_ms (HEARTH_BENCH_PHOTOS overrides, for a quick look). */
export const PHOTOS = Number(process.env.HEARTH_BENCH_PHOTOS ?? 20);
/** The large file: the 50 MB, as 50 MiB (the largest attachment a community accepts, MAX_ATTACHMENT_BYTES). */
export const BIG_FILE_MIB = 50;
/** A photo's size for media.image_visible_on_peer_ms: the 2–4 MB. */
const PHOTO_MIN_BYTES = 2 * 1024 * 1024;
const PHOTO_MAX_BYTES = 4 * 1024 * 1024;
const RAW_MIB = 64;

export interface MediaBenchOptions {
  baseURL: string;
  emit: (bench: string, value: number, unit: 'ms' | 'kb' | 'mb/s', data: 'none') => void;
  fail: (bench: string, unit: 'ms' | 'kb', data: 'none', reason: string) => void;
  log: (line: string) => void;
}

/** A camera-like JPEG of 2–4 MB made in the page: a 4000×3000 gradient with fine noise, at the best quality that fits. */
async function photo(page: Page, seed: number): Promise<Buffer> {
  const b64 = await page.evaluate(
    async ({ seed, max }) => {
      const w = 4000;
      const h = 3000;
      const canvas = new OffscreenCanvas(w, h);
      const ctx = canvas.getContext('2d')!;
      const g = ctx.createLinearGradient(0, 0, w, h);
      g.addColorStop(0, `hsl(${(seed * 47) % 360} 60% 45%)`);
      g.addColorStop(1, `hsl(${(seed * 47 + 120) % 360} 60% 55%)`);
      ctx.fillStyle = g;
      ctx.fillRect(0, 0, w, h);
      const img = ctx.getImageData(0, 0, w, h);
      let x = seed * 2654435761;
      for (let i = 0; i < img.data.length; i += 4) {
        x = (x * 1103515245 + 12345) >>> 0;
        const n = ((x >>> 24) & 31) - 16;
        img.data[i] += n;
        img.data[i + 1] += n;
        img.data[i + 2] += n;
      }
      ctx.putImageData(img, 0, 0);
      for (const q of [0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4]) {
        const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: q });
        if (blob.size <= max || q === 0.4) {
          const bytes = new Uint8Array(await blob.arrayBuffer());
          let s = '';
          for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
          return btoa(s);
        }
      }
      return '';
    },
    { seed, max: PHOTO_MAX_BYTES }
  );
  const jpeg = Buffer.from(b64, 'base64');
  if (jpeg.length < PHOTO_MIN_BYTES || jpeg.length > PHOTO_MAX_BYTES) throw new Error(`photo ${seed} is ${jpeg.length} bytes, outside 2–4 MB`);
  return jpeg;
}

/** On B: the wall-clock time each full image (a blob: URL, decoded) was painted, by alt text. */
function watchPaints() {
  const w = window as unknown as { __painted: Record<string, number> };
  w.__painted = {};
  const seen = new WeakSet<HTMLImageElement>();
  const check = () => {
    for (const img of document.querySelectorAll<HTMLImageElement>('[data-testid="attachment-image"] img')) {
      if (seen.has(img) || !img.src.startsWith('blob:')) continue;
      seen.add(img);
      img
        .decode()
        .then(() => requestAnimationFrame(() => setTimeout(() => (w.__painted[img.alt] ??= performance.timeOrigin + performance.now()), 0)))
        .catch(() => seen.delete(img));
    }
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['src'] });
}

/** Raw throughput of a fresh RTCDataChannel between the two pages (signalled through Node), paced like the app's frames. */
async function rawChannelMbS(a: Page, b: Page, mib: number): Promise<number> {
  type W = { __pc: RTCPeerConnection; __ch?: RTCDataChannel; __got?: number; __done?: Promise<number> };
  const offer = await a.evaluate(async () => {
    const w = window as unknown as W;
    w.__pc = new RTCPeerConnection();
    w.__ch = w.__pc.createDataChannel('raw', { ordered: true });
    await w.__pc.setLocalDescription(await w.__pc.createOffer());
    await new Promise<void>((r) =>
      w.__pc.iceGatheringState === 'complete' ? r() : w.__pc.addEventListener('icegatheringstatechange', () => w.__pc.iceGatheringState === 'complete' && r())
    );
    return w.__pc.localDescription!.toJSON();
  });
  const answer = await b.evaluate(
    async ({ offer, total }) => {
      const w = window as unknown as W;
      w.__pc = new RTCPeerConnection();
      w.__done = new Promise<number>((resolve) => {
        w.__pc.addEventListener('datachannel', (e) => {
          let got = 0;
          let start = 0;
          e.channel.binaryType = 'arraybuffer';
          e.channel.onmessage = (m) => {
            if (!start) start = performance.now();
            got += (m.data as ArrayBuffer).byteLength;
            if (got >= total) resolve(performance.now() - start);
          };
        });
      });
      await w.__pc.setRemoteDescription(offer);
      await w.__pc.setLocalDescription(await w.__pc.createAnswer());
      await new Promise<void>((r) =>
        w.__pc.iceGatheringState === 'complete' ? r() : w.__pc.addEventListener('icegatheringstatechange', () => w.__pc.iceGatheringState === 'complete' && r())
      );
      return w.__pc.localDescription!.toJSON();
    },
    { offer, total: mib * 1024 * 1024 }
  );
  await a.evaluate(
    async ({ answer, total }) => {
      const w = window as unknown as W;
      await w.__pc.setRemoteDescription(answer);
      const ch = w.__ch!;
      if (ch.readyState !== 'open') await new Promise((r) => ch.addEventListener('open', r, { once: true }));
      // The app's pacing (sync/webrtc-chunking): 60 KiB frames, wait below 1 MiB once past 4 MiB buffered.
      const frame = new Uint8Array(60 * 1024 + 9);
      ch.bufferedAmountLowThreshold = 1024 * 1024;
      for (let sent = 0; sent < total; sent += 60 * 1024) {
        if (ch.bufferedAmount > 4 * 1024 * 1024) await new Promise((r) => ch.addEventListener('bufferedamountlow', r, { once: true }));
        ch.send(frame.subarray(0, Math.min(frame.length, total - sent + 9)));
      }
    },
    { answer, total: mib * 1024 * 1024 }
  );
  const ms = await b.evaluate(() => (window as unknown as W).__done!);
  await Promise.all([a, b].map((p) => p.evaluate(() => (window as unknown as W).__pc.close())));
  return mib / (ms / 1000);
}

/** Bytes of every stored attachment chunk in the page's IndexedDB (`hearth`, table `chunks`). */
async function chunkBytes(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open('hearth');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          let total = 0;
          const cursor = open.result.transaction('chunks').objectStore('chunks').openCursor();
          cursor.onsuccess = () => {
            const c = cursor.result;
            if (!c) return resolve(total);
            total += (c.value.bytes as Uint8Array).byteLength;
            c.continue();
          };
          cursor.onerror = () => reject(cursor.error);
        };
      })
  );
}

async function join(page: Page, link: string) {
  await page.goto(link);
  await page.getByRole('button', { name: 'Join community' }).click();
  await page.locator('section.hero').waitFor({ timeout: 60_000 });
}

export async function mediaFigures(o: MediaBenchOptions): Promise<void> {
  let a: Device | null = null;
  let b: Device | null = null;
  try {
    a = await openPeer(o.baseURL);
    b = await openPeer(o.baseURL);
    await createIdentity(a.page, 'Bench Alice');
    const cid = await createCommunity(a.page, 'Media bench', 'Photos and files.');
    // The largest file a community can allow.
    await a.page.goto(`/c/${cid}/automation`);
    await a.page.getByLabel(/Largest file members may attach/).fill(String(BIG_FILE_MIB));
    await a.page.getByRole('button', { name: 'Save rules' }).click();
    await a.page.getByText('Rules saved.').waitFor();
    const link = await makeInviteLink(a.page, cid, 'bench');
    await createIdentity(b.page, 'Bench Bob');
    await join(b.page, link);

    // Photos: A replies to one thread with one photo each; B stays on the thread and paints each full image.
    await a.page.goto(`/c/${cid}/new`);
    await a.page.getByLabel('Title', { exact: true }).fill('Photo roll');
    await a.page.getByLabel(/Write in Markdown/).fill('One photo a reply.');
    await a.page.getByRole('button', { name: 'Post thread' }).click();
    await a.page.getByRole('heading', { level: 1, name: 'Photo roll' }).waitFor();
    const threadPath = new URL(a.page.url()).pathname;
    await b.context.addInitScript(watchPaints);
    await b.page.goto(threadPath);
    await b.page.getByRole('heading', { level: 1, name: 'Photo roll' }).waitFor({ timeout: 60_000 });
    const latencies: number[] = [];
    /** Until A shows its own reply with the photo: preparing (scale, re-encode, seal) and storing on A. */
    const onA: number[] = [];
    let originalBytes = 0;
    let minBytes = Infinity;
    let maxBytes = 0;
    const chunksBefore = await chunkBytes(b.page);
    for (let i = 0; i < PHOTOS; i++) {
      const jpeg = await photo(a.page, i + 1);
      originalBytes += jpeg.length;
      minBytes = Math.min(minBytes, jpeg.length);
      maxBytes = Math.max(maxBytes, jpeg.length);
      const name = `photo-${i + 1}.jpg`;
      await a.page.getByLabel('Attach photos or files').setInputFiles({ name, mimeType: 'image/jpeg', buffer: jpeg });
      const sent = Date.now();
      await a.page.getByRole('button', { name: 'Send reply' }).click();
      const shownOnA = a.page
        .getByTestId('attachment-image')
        .nth(i)
        .waitFor({ timeout: 60_000 })
        .then(() => onA.push(Date.now() - sent));
      try {
        await b.page.waitForFunction((alt) => !!(window as unknown as { __painted: Record<string, number> }).__painted[alt], name, {
          timeout: 60_000,
          polling: 50
        });
        const painted = await b.page.evaluate((alt) => (window as unknown as { __painted: Record<string, number> }).__painted[alt], name);
        latencies.push(painted - sent);
      } catch {
        o.log(`media: ${name} (${(jpeg.length / 1024 / 1024).toFixed(1)} MB) never painted on B`);
      }
      await shownOnA;
    }
    const stored = (await chunkBytes(b.page)) - chunksBefore;
    o.log(
      `media: ${latencies.length}/${PHOTOS} photos of ${(originalBytes / PHOTOS / 1024 / 1024).toFixed(1)} MB on average (${(minBytes / 1024 / 1024).toFixed(1)}–${(maxBytes / 1024 / 1024).toFixed(1)}) painted on B: ${latencies.map((x) => x.toFixed(0)).join(', ')} ms; shown on A (prepared and stored there) after ${median(onA).toFixed(0)} ms (median)`
    );
    if (latencies.length) o.emit('media.image_visible_on_peer_ms', median(latencies), 'ms', 'none');
    else o.fail('media.image_visible_on_peer_ms', 'ms', 'none', 'no photo painted on the peer');
    if (latencies.length === PHOTOS) o.emit('media.storage_kb_per_photo', stored / PHOTOS / 1024, 'kb', 'none');

    // The large file: posted on A, downloaded on B from A's chunks.
    const big = Buffer.alloc(BIG_FILE_MIB * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2654435761) >>> 0, i);
    await a.page.goto(`/c/${cid}/new`);
    await a.page.getByLabel('Title', { exact: true }).fill('Big file');
    await a.page.getByLabel(/Write in Markdown/).fill('The whole archive.');
    // Playwright passes buffers up to 50 MB: a larger file goes by path.
    const bigPath = joinPath(mkdtempSync(joinPath(tmpdir(), 'hearth-bench-media-')), 'archive.bin');
    writeFileSync(bigPath, big);
    await a.page.getByLabel('Attach photos or files').setInputFiles(bigPath);
    await a.page.getByRole('button', { name: 'Post thread' }).click();
    await a.page.getByRole('heading', { level: 1, name: 'Big file' }).waitFor({ timeout: 120_000 });
    rmSync(bigPath); // read by the browser when it was attached
    await b.page.goto(new URL(a.page.url()).pathname);
    const button = b.page.getByRole('button', { name: /Download archive\.bin/ });
    await button.waitFor({ timeout: 60_000 });
    const download = b.page.waitForEvent('download', { timeout: 300_000 });
    const started = Date.now();
    await button.click();
    const file = await download;
    await file.path();
    const seconds = (Date.now() - started) / 1000;
    const transfer = BIG_FILE_MIB / seconds;
    const raw = await rawChannelMbS(a.page, b.page, RAW_MIB);
    o.log(
      `media: ${BIG_FILE_MIB} MiB in ${seconds.toFixed(1)} s (${transfer.toFixed(1)} MiB/s); a fresh data channel between the same pages: ${raw.toFixed(1)} MiB/s`
    );
    o.emit('media.transfer_mb_s', transfer, 'mb/s', 'none');
    o.emit('media.channel_raw_mb_s', raw, 'mb/s', 'none');
  } finally {
    await a?.close();
    await b?.close();
  }
}
