// Creators publish photos and files: a photo is scaled and re-encoded on Alice's device (no EXIF, no
// location), its chunks travel beside the document from her device to Bob's over WebRTC, a file
// arrives byte for byte, and a file over the community's limit is refused with the text kept.
import { expect, test, type Page } from '@playwright/test';
import { createCommunity, createIdentity, joinFromLink, makeInvite, openDevice, visit } from './journeys';

/** A real 3000×2000 JPEG drawn in the page, with an APP1 Exif segment holding a GPS marker spliced in. */
async function photoWithExif(page: Page, marker: string): Promise<Buffer> {
  const b64 = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(3000, 2000);
    const ctx = canvas.getContext('2d')!;
    const g = ctx.createLinearGradient(0, 0, 3000, 2000);
    g.addColorStop(0, '#c0392b');
    g.addColorStop(1, '#2980b9');
    ctx.fillStyle = g;
    ctx.fillRect(0, 0, 3000, 2000);
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.8 });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  });
  const jpeg = Buffer.from(b64, 'base64');
  const payload = Buffer.concat([Buffer.from('Exif\0\0MM\0*\0\0\0\x08', 'latin1'), Buffer.from(`GPSLatitude ${marker}`, 'latin1')]);
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]), payload]);
  return Buffer.concat([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]);
}

test('a photo and a file reach another member’s device: the photo’s thumbnail first, then the full photo scaled and stripped of EXIF, the file byte for byte', async ({
  browser,
  baseURL
}) => {
  test.setTimeout(150_000);
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  const marker = `GPS-${Math.random().toString(36).slice(2, 10)}`;
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Photo Club');
    const cid = new URL(alice.page.url()).pathname.split('/')[2];
    const link = await makeInvite(alice.page, { label: 'all' });
    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, link, 'Photo Club');
    // On Bob's device: what each photo shows, in order (its thumbnail from the record, then the full image).
    await bob.context.addInitScript(() => {
      const w = window as unknown as { __shown: string[] };
      w.__shown = [];
      const note = (img: Element | null) => {
        const src = img?.getAttribute('src') ?? '';
        if (src && w.__shown.at(-1) !== src.slice(0, 5)) w.__shown.push(src.slice(0, 5));
      };
      new MutationObserver((changes) => {
        for (const c of changes) {
          if (c.type === 'attributes') note(c.target as Element);
          else for (const n of c.addedNodes) if (n instanceof Element) n.querySelectorAll('[data-testid="attachment-image"] img').forEach(note);
        }
      }).observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['src'] });
    });

    const photo = await photoWithExif(alice.page, marker);
    expect(photo.includes(Buffer.from(marker)), 'the original carries the marker').toBe(true);
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.from(`lesson notes ${marker}\n`.repeat(30_000))]); // ~0.8 MB: several chunks

    // The creator sets the file limit to 1 MB; a file over it is refused and the draft keeps its text.
    await visit(alice.page, `/c/${cid}/automation`);
    await alice.page.getByLabel(/Largest file members may attach/).fill('1');
    await alice.page.getByRole('button', { name: 'Save rules' }).click();
    await expect(alice.page.getByText('Rules saved.')).toBeVisible();
    await visit(alice.page, `/c/${cid}/new`);
    await alice.page.getByLabel('Title', { exact: true }).fill('Ride photos');
    await alice.page.getByLabel(/Write in Markdown/).fill('From Sunday’s ride.');
    await alice.page
      .getByLabel('Attach photos or files')
      .setInputFiles({ name: 'huge.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(2 * 1024 * 1024, 1) });
    await alice.page.getByRole('button', { name: 'Post thread' }).click();
    await expect(alice.page.getByRole('alert')).toContainText('larger than this community allows (1 MB)');
    await expect(alice.page.getByLabel(/Write in Markdown/)).toHaveValue('From Sunday’s ride.');
    await alice.page.getByRole('button', { name: 'Remove huge.bin' }).click();

    await alice.page.getByLabel('Attach photos or files').setInputFiles([
      { name: 'ride.jpg', mimeType: 'image/jpeg', buffer: photo },
      { name: 'notes.pdf', mimeType: 'application/pdf', buffer: pdf }
    ]);
    await alice.page.getByRole('button', { name: 'Post thread' }).click();
    await expect(alice.page.getByRole('heading', { level: 1, name: 'Ride photos' })).toBeVisible({ timeout: 20_000 });
    await expect(alice.page.getByTestId('attachment-image')).toHaveAttribute('data-state', 'ready');

    // Bob's device gets the post, then the photo's and the file's chunks from Alice's device.
    await visit(bob.page, `/c/${cid}`);
    await bob.page.getByRole('link', { name: /Ride photos/ }).click({ timeout: 20_000 });
    const image = bob.page.getByTestId('attachment-image');
    await expect(image).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
    expect(await bob.page.evaluate(() => (window as unknown as { __shown: string[] }).__shown), 'the thumbnail, then the full image').toEqual([
      'data:',
      'blob:'
    ]);
    const shown = await image.locator('img').evaluate(async (img: HTMLImageElement) => {
      const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
      await img.decode();
      return {
        head: String.fromCharCode(...bytes.subarray(0, 12)),
        text: new TextDecoder('latin1').decode(bytes),
        width: img.naturalWidth,
        height: img.naturalHeight
      };
    });
    expect(shown.head.slice(0, 4) + shown.head.slice(8), 'a WebP made on Alice’s device').toBe('RIFFWEBP');
    expect(shown.text.includes(marker), 'the GPS marker in the bytes Bob received').toBe(false);
    expect(shown.text.includes('Exif'), 'an Exif block in the bytes Bob received').toBe(false);
    expect(Math.max(shown.width, shown.height)).toBe(2048);
    expect(shown.width / shown.height).toBeCloseTo(1.5, 1);

    const download = bob.page.waitForEvent('download');
    await bob.page.getByRole('button', { name: /Download notes\.pdf/ }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('notes.pdf');
    const stream = await file.createReadStream();
    const received = await new Promise<Buffer>((resolve, reject) => {
      const parts: Buffer[] = [];
      stream.on('data', (c: Buffer) => parts.push(c));
      stream.on('end', () => resolve(Buffer.concat(parts)));
      stream.on('error', reject);
    });
    expect(received.equals(pdf), 'the file Bob downloaded is the file Alice attached').toBe(true);

    // Bob replies with a photo alone (no text): Alice sees it.
    await bob.page.getByLabel('Attach photos or files').setInputFiles({ name: 'reply.jpg', mimeType: 'image/jpeg', buffer: photo });
    await bob.page.getByRole('button', { name: 'Send reply' }).click();
    await expect(bob.page.getByTestId('attachment-image')).toHaveCount(2, { timeout: 20_000 });
    await alice.page.reload();
    await expect(alice.page.getByTestId('attachment-image')).toHaveCount(2, { timeout: 30_000 });
    await expect(alice.page.getByTestId('attachment-image').nth(1)).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
  } finally {
    for (const d of [alice, bob]) await d.context.close().catch(() => {});
  }
});

test('the creator features a thread and orders lessons into a series; a member follows it part by part and finds people by points', async ({
  browser,
  baseURL
}) => {
  test.setTimeout(150_000);
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Wheel School');
    const cid = new URL(alice.page.url()).pathname.split('/')[2];
    const link = await makeInvite(alice.page, { label: 'all' });
    for (const [title, body] of [
      ['Lesson 1: hubs', 'Start with the hub.'],
      ['Lesson 2: spokes', 'Then the spokes.'],
      ['Chat', 'Anything else.']
    ]) {
      await visit(alice.page, `/c/${cid}/new`);
      await alice.page.getByLabel('Title', { exact: true }).fill(title);
      await alice.page.getByLabel(/Write in Markdown/).fill(body);
      await alice.page.getByRole('button', { name: 'Post thread' }).click();
      await expect(alice.page.getByRole('heading', { level: 1, name: title })).toBeVisible();
    }
    // Featured, with a reason.
    alice.page.once('dialog', (d) => d.accept('The best first read'));
    await alice.page.getByTestId('post').first().getByText('Moderate', { exact: true }).click();
    await alice.page.getByRole('button', { name: /^Feature$/ }).click();
    await expect(alice.page.getByTestId('featured-badge')).toBeVisible();

    // A series of the two lessons, in order.
    await visit(alice.page, `/c/${cid}/series`);
    await alice.page.getByLabel('Series title').fill('Build a wheel');
    await alice.page.getByLabel('Description').fill('Two lessons, one wheel.');
    await alice.page.getByRole('button', { name: 'Create series' }).click();
    await expect(alice.page.getByRole('heading', { level: 1, name: /Build a wheel/ })).toBeVisible();
    for (const title of ['Lesson 1: hubs', 'Lesson 2: spokes']) {
      await alice.page.getByLabel('Add a thread').selectOption({ label: title });
      await alice.page.getByRole('button', { name: 'Add', exact: true }).click();
    }
    await alice.page.getByRole('button', { name: 'Save series' }).click();
    await expect(alice.page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
    await expect(alice.page.getByTestId('series-part')).toHaveCount(2);

    // Bob joins, finds the featured thread and follows the series.
    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, link, 'Wheel School');
    await visit(bob.page, `/c/${cid}/featured`);
    await expect(bob.page.getByTestId('featured-row')).toHaveCount(1, { timeout: 20_000 });
    await expect(bob.page.getByTestId('featured-row')).toContainText('The best first read');
    await visit(bob.page, `/c/${cid}/series`);
    await bob.page.getByRole('link', { name: /Build a wheel/ }).click({ timeout: 20_000 });
    await expect(bob.page.getByText('0 of 2 read')).toBeVisible();
    await bob.page.getByTestId('series-continue').click();
    await expect(bob.page.getByRole('heading', { level: 1, name: 'Lesson 1: hubs' })).toBeVisible();
    await expect(bob.page.getByTestId('series-nav')).toContainText('Part 1 of 2 in Build a wheel');
    await bob.page.getByRole('link', { name: /Next: Lesson 2: spokes/ }).click();
    await expect(bob.page.getByRole('heading', { level: 1, name: 'Lesson 2: spokes' })).toBeVisible();
    // Back to the series by the lesson's own link: both parts read. (A reload at once, as a goto did
    // here, could cut the read mark's write short: 1 of 2 in one run of many.)
    await bob.page
      .getByTestId('series-nav')
      .getByRole('link', { name: /Part 2 of 2 in Build a wheel/ })
      .click();
    await expect(bob.page.getByText('2 of 2 read')).toBeVisible();
    await visit(bob.page, `/c/${cid}/series`);
    await expect(bob.page.getByTestId('series-row')).toContainText('2 of 2 read');
    // Progress is kept on Bob's device: it survives a reload.
    await bob.page.reload();
    await expect(bob.page.getByTestId('series-row')).toContainText('2 of 2 read');
    // The featured thread is in Featured on Alice's device too.
    await visit(alice.page, `/c/${cid}/featured`);
    await expect(alice.page.getByTestId('featured-row')).toHaveCount(1);
    await expect(alice.page.getByTestId('featured-row')).toContainText('The best first read');

    // The directory ranks Alice (three threads, one featured) first; her profile shows her level and points.
    await visit(bob.page, `/c/${cid}/people`);
    await expect(bob.page.getByTestId('person-row').first()).toContainText('Alice', { timeout: 20_000 });
    await expect(bob.page.getByTestId('person-row').first()).toContainText('14 points');
    await bob.page.getByRole('link', { name: /Alice/ }).first().click();
    await expect(bob.page.getByTestId('profile-points')).toContainText('Level 2');
    await expect(bob.page.getByRole('link', { name: 'Lesson 2: spokes' })).toBeVisible();
  } finally {
    for (const d of [alice, bob]) await d.context.close().catch(() => {});
  }
});

/** A two-second WebM video recorded from a canvas in the page (a real file the browser can play). */
async function shortVideo(page: Page): Promise<Buffer> {
  const b64 = await page.evaluate(async () => {
    const canvas = document.createElement('canvas');
    canvas.width = 320;
    canvas.height = 240;
    const ctx = canvas.getContext('2d')!;
    const stream = canvas.captureStream(15);
    const rec = new MediaRecorder(stream, { mimeType: 'video/webm' });
    const parts: Blob[] = [];
    rec.ondataavailable = (e) => parts.push(e.data);
    const done = new Promise((r) => (rec.onstop = r));
    rec.start(200);
    const t0 = performance.now();
    while (performance.now() - t0 < 2000) {
      ctx.fillStyle = `hsl(${(performance.now() - t0) / 6}, 70%, 50%)`;
      ctx.fillRect(0, 0, 320, 240);
      await new Promise((r) => setTimeout(r, 50));
    }
    rec.stop();
    await done;
    const bytes = new Uint8Array(await new Blob(parts).arrayBuffer());
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  });
  return Buffer.from(b64, 'base64');
}

test('a voice note recorded in the app and a short video reach the other member, with length, waveform and poster', async ({ browser, baseURL }) => {
  test.setTimeout(150_000);
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Voice Club');
    const cid = new URL(alice.page.url()).pathname.split('/')[2];
    const link = await makeInvite(alice.page, { label: 'all' });
    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, link, 'Voice Club');

    // Alice posts a short video.
    const video = await shortVideo(alice.page);
    await visit(alice.page, `/c/${cid}/new`);
    await alice.page.getByLabel('Title', { exact: true }).fill('Warm-up');
    await alice.page.getByLabel(/Write in Markdown/).fill('Watch this first.');
    await alice.page.getByLabel('Attach photos or files').setInputFiles({ name: 'warmup.webm', mimeType: 'video/webm', buffer: video });
    await alice.page.getByRole('button', { name: 'Post thread' }).click();
    await expect(alice.page.getByRole('heading', { level: 1, name: 'Warm-up' })).toBeVisible({ timeout: 20_000 });

    // Bob plays it, then answers with a voice note recorded in the app (a fake microphone).
    await visit(bob.page, `/c/${cid}`);
    await bob.page.getByRole('link', { name: /Warm-up/ }).click({ timeout: 20_000 });
    await bob.page.getByRole('button', { name: /Play video warmup\.webm/ }).click();
    const player = bob.page.getByTestId('attachment-video').locator('video');
    await expect(player).toBeVisible({ timeout: 30_000 });
    expect(
      await player.evaluate(
        (v: HTMLVideoElement) =>
          new Promise<number>((resolve) => (v.readyState >= 1 ? resolve(v.videoWidth) : (v.onloadedmetadata = () => resolve(v.videoWidth))))
      )
    ).toBe(320);

    await bob.page.getByRole('button', { name: 'Record a voice note' }).click();
    await bob.page.waitForTimeout(3_000);
    await bob.page.getByRole('button', { name: /Stop recording/ }).click();
    await expect(bob.page.getByRole('list', { name: 'Attached' })).toContainText('voice-note-');
    await bob.page.getByRole('button', { name: 'Send reply' }).click();
    await expect(bob.page.getByTestId('attachment-audio')).toHaveCount(1, { timeout: 20_000 });

    await alice.page.reload();
    const voice = alice.page.getByTestId('attachment-audio');
    await expect(voice).toHaveAttribute('data-state', 'ready', { timeout: 40_000 });
    await expect(voice).toContainText(/Voice note, 0:0[2-4]/);
    expect(await voice.locator('svg rect').count()).toBe(64);
    expect(await voice.locator('audio').evaluate((a: HTMLAudioElement) => a.src.startsWith('blob:'))).toBe(true);
  } finally {
    for (const d of [alice, bob]) await d.context.close().catch(() => {});
  }
});
