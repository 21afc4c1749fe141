// An attacker who holds only what an invite link gives (room secret, signed invite, genesis), as a Node
// y-webrtc peer (hostile-peer.ts), against two real Chromium devices: what each device shows after each attack.
import { expect, test, type Browser, type Page } from '@playwright/test';
import {
  createCommunity,
  createIdentity,
  joinFromLink,
  makeInvite,
  openDevice,
  SHORT_MESH_TRANSITION_MS,
  shortMeshTransition,
  startThread,
  visit,
  type Device
} from './journeys';
import { hostilePeer, sealThreads, type HostilePeer } from './hostile-peer';
import { observeLongTasks } from './seed';
import { CHUNK_BYTES, type AnyRecord, type SignedRecord } from '../../src/lib/domain/record';

// One small world per test, not one serial community: several of these fail on today's code, and a
// serial describe would skip every test after the first failure, hiding which attacks work.
interface World {
  alice: Device;
  bob: Device;
  cid: string;
  /** Alice's first thread ("Alice’s corner"): its page, reached by URL when a flood pushes it out of the feed. */
  cornerUrl: string;
  /** The multi-use member invite: the only link the attacker holds. */
  memberLink: string;
  extra: Device[];
  peers: HostilePeer[];
}

async function world(
  browser: Browser,
  baseURL: string,
  name: string,
  opts: { bobLink?: 'member' | 'admin-once'; beforeAlice?: (d: Device) => Promise<void>; shortTransition?: boolean } = {}
): Promise<World & { adminLink: string | null }> {
  const alice = await openDevice(browser, baseURL);
  await opts.beforeAlice?.(alice);
  const bob = await openDevice(browser, baseURL);
  if (opts.shortTransition) for (const d of [alice, bob]) await shortMeshTransition(d.context);
  await createIdentity(alice.page, 'Alice');
  await createCommunity(alice.page, name);
  const cid = new URL(alice.page.url()).pathname.split('/')[2];
  await startThread(alice.page, 'Alice’s corner', 'Written before anyone else came.');
  const cornerUrl = new URL(alice.page.url()).pathname;
  await visit(alice.page, `/c/${cid}/members`);
  const adminLink = opts.bobLink === 'admin-once' ? await makeInvite(alice.page, { label: 'for Bob', role: 'admin', maxUses: '1' }) : null;
  const memberLink = await makeInvite(alice.page, { label: 'everyone', role: 'member', maxUses: '' });
  await createIdentity(bob.page, 'Bob');
  await joinFromLink(bob.page, adminLink ?? memberLink, name);
  await expect(bob.page.getByRole('link', { name: /Alice’s corner/ })).toBeVisible({ timeout: 20_000 });
  return { alice, bob, cid, cornerUrl, memberLink, adminLink, extra: [], peers: [] };
}

async function closeWorld(w: World | null) {
  if (!w) return;
  for (const p of w.peers) await p.close().catch(() => {});
  for (const d of [w.alice, w.bob, ...w.extra]) await d.context.close().catch(() => {});
}

async function attacker(w: World, link = w.memberLink): Promise<HostilePeer> {
  const peer = await hostilePeer(link);
  w.peers.push(peer);
  await peer.synced();
  return peer;
}

/**
 * An attacker who is also a member: joins through the link, is admitted by Alice's device and, once
 * it holds the community key, enters the mesh where content travels.
 */
async function memberAttacker(w: World, name = 'Mallory') {
  const peer = await attacker(w);
  const identity = await peer.newIdentity();
  const now = Date.now();
  peer.setMany([await peer.join(identity, { ts: now }), await peer.seal(identity, 'profile', { name }, now + 1)]);
  const mesh = await peer.enterMesh(identity);
  return { peer, identity, mesh };
}

/** The number in the feed header's "N threads". */
/** Carol, a newcomer on a device of her own, joins through a fresh one-use invite from Alice (who is on her members page). */
async function newcomer(w: World, browser: Browser, baseURL: string, club: string) {
  const link = await makeInvite(w.alice.page, { label: 'for Carol', role: 'member', maxUses: '1' });
  const carol = await openDevice(browser, baseURL);
  w.extra.push(carol);
  await createIdentity(carol.page, 'Carol');
  await joinFromLink(carol.page, link, club);
  return carol;
}

async function threadCount(page: Page, cid: string): Promise<number> {
  if (new URL(page.url()).pathname !== `/c/${cid}`) await visit(page, `/c/${cid}`);
  const text = await page
    .getByText(/\d[\d,]* threads/)
    .first()
    .innerText({ timeout: 20_000 });
  return Number(/(\d[\d,]*) threads/.exec(text)![1].replace(/,/g, ''));
}

/** The health panel's largest number (0 without a panel): rejected and held-back records. */
async function healthNumber(page: Page): Promise<number> {
  const panel = page.getByTestId('health-panel');
  if (!(await panel.count())) return 0;
  const nums = ((await panel.innerText()).match(/\d[\d,]*/g) ?? []).map((n) => Number(n.replace(/,/g, '')));
  return Math.max(0, ...nums);
}

/**
 * Sends a malformed marker after the attack and waits until the device's health panel counts more
 * than before: the attack, sent earlier on the same channel, has been received and checked. Tolerant:
 * a device that drops such updates whole shows nothing, and the test goes on after the wait.
 */
async function delivered(peer: HostilePeer, pages: Page[], cid: string, before: number[]) {
  peer.setRaw(`marker-${Date.now()}`, { not: 'a record' });
  await Promise.all(
    pages.map(async (page, i) => {
      if (new URL(page.url()).pathname !== `/c/${cid}`) await visit(page, `/c/${cid}`);
      await expect
        .poll(() => healthNumber(page), { timeout: 20_000 })
        .toBeGreaterThan(before[i])
        .catch(() => {});
    })
  );
  await pages[0].waitForTimeout(1500);
}

/** Stored bytes of the community's Yjs document on this device (IndexedDB `hearth`, table `docUpdates`). */
async function storedDocBytes(page: Page, cid: string): Promise<number> {
  return page.evaluate(async (cid) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('hearth');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const rows = await new Promise<{ cid: string; update: Uint8Array }[]>((resolve, reject) => {
      const req = db.transaction('docUpdates').objectStore('docUpdates').getAll();
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    db.close();
    return rows.filter((r) => r.cid === cid).reduce((n, r) => n + r.update.byteLength, 0);
  }, cid);
}

/** The role shown in a member's row ("admin · joined …"), or null when the row is absent. */
async function roleShown(page: Page, cid: string, name: string): Promise<string | null> {
  if (new URL(page.url()).pathname !== `/c/${cid}/members`) await visit(page, `/c/${cid}/members`);
  await expect(page.getByTestId('member-row').first()).toBeVisible();
  const row = page.getByTestId('member-row').filter({ has: page.locator('strong', { hasText: name }) });
  if (!(await row.count())) return null;
  const text = (await row.first().locator(':scope > span.muted').first().innerText()).trim();
  const banned = (await row.first().locator('.badge').allInnerTexts()).includes('banned');
  return text.split('·')[0].trim() + (banned ? ' (banned)' : '');
}

let w: (World & { adminLink: string | null }) | null = null;
test.afterEach(async () => {
  await closeWorld(w);
  w = null;
});

test('a thief of a one-use admin invite read from the map cannot take it from the member who used its link, nor ban him', async ({ browser, baseURL }) => {
  w = await world(browser, baseURL!, 'Invite Theft Club', { bobLink: 'admin-once' });
  const { alice, bob, cid } = w;
  await visit(bob.page, `/c/${cid}`);
  await startThread(bob.page, 'Bob’s plan', 'Bob wrote this as an admin.');
  // Alice was on her members page (the invites): her feed shows Bob's thread.
  await visit(alice.page, `/c/${cid}`);
  await expect(alice.page.getByRole('link', { name: /Bob’s plan/ })).toBeVisible({ timeout: 20_000 });
  // Polled: once invites are capabilities, a limited invite's use also waits for Alice's device to admit it.
  await expect.poll(() => roleShown(alice.page, cid, 'Bob'), { timeout: 20_000 }).toBe('admin');

  // The attacker holds only the member link. It finds the admin invite in the shared map and joins on it
  // "before" Bob did: once without any proof, once with a proof signed by a key of its own.
  const peer = await attacker(w);
  const bobKey = peer.list('profile').find((r) => (r as SignedRecord<'profile'>).body.name === 'Bob')!.author;
  const adminInvite = peer.list('invite').find((r) => (r as SignedRecord<'invite'>).body.role === 'admin') as SignedRecord<'invite'>;
  expect(adminInvite.body.maxUses).toBe(1);
  const writes: AnyRecord[] = [];
  for (const proof of ['none', 'forged'] as const) {
    const thief = await peer.newIdentity();
    writes.push(
      await peer.join(thief, { invite: adminInvite, ts: adminInvite.ts + 1, proof }),
      await peer.seal(thief, 'profile', { name: `Mallory ${proof}` }, adminInvite.ts + 2),
      await peer.seal(thief, 'ban', { member: bobKey, banned: true, reason: 'mine now' })
    );
  }
  const before = [await healthNumber(alice.page), await healthNumber(bob.page)];
  peer.setMany(writes);
  await delivered(peer, [alice.page, bob.page], cid, before);

  for (const [who, page] of [
    ['Alice', alice.page],
    ['Bob', bob.page]
  ] as const) {
    await expect.soft(page.getByRole('link', { name: /Bob’s plan/ }), `${who}'s feed still shows Bob's thread`).toBeVisible();
    expect.soft(await roleShown(page, cid, 'Bob'), `${who}'s device: Bob's role`).toBe('admin');
    for (const proof of ['none', 'forged']) {
      expect.soft(await roleShown(page, cid, `Mallory ${proof}`), `${who}'s device: the thief with proof "${proof}" is no member`).toBeNull();
    }
  }
});

test('a banned member cannot post by backdating nor rejoin the mesh after its transition, and a new key cannot join through an open invite read from the map', async ({
  browser,
  baseURL
}) => {
  test.setTimeout(150_000); // it waits out the mesh's (shortened) transition after the ban
  w = await world(browser, baseURL!, 'Ban Club', { shortTransition: true });
  const { alice, bob, cid } = w;
  // An open invite whose link the attacker never gets.
  const daveLink = await makeInvite(alice.page, { label: 'for Dave', role: 'member', maxUses: '' });
  expect(daveLink).not.toBe(w.memberLink);

  // The attacker joins legitimately with the member link it holds, and posts.
  const peer = await attacker(w);
  const mallory = await peer.newIdentity();
  const now = Date.now();
  const first = await peer.seal(mallory, 'thread', { title: 'Mallory’s first words', body: 'Hello, honest for now.' }, now + 2);
  peer.setMany([await peer.join(mallory, { ts: now }), await peer.seal(mallory, 'profile', { name: 'Mallory' }, now + 1)]);
  // Admitted and given the community key by Alice's device, Mallory's peer enters the mesh where content travels.
  const oldMesh = await peer.enterMesh(mallory);
  peer.setRecord(first);
  for (const page of [alice.page, bob.page]) {
    await visit(page, `/c/${cid}`);
    await expect(page.getByRole('link', { name: /Mallory’s first words/ })).toBeVisible({ timeout: 20_000 });
  }

  // Alice bans Mallory on the members page; Bob's device gets the ban from Alice.
  await visit(alice.page, `/c/${cid}/members`);
  alice.page.once('dialog', (d) => d.accept());
  await alice.page.getByTestId('member-row').filter({ hasText: 'Mallory' }).getByRole('button', { name: 'Ban' }).click();
  await expect(alice.page.getByTestId('member-row').filter({ hasText: 'Mallory' })).toContainText('banned');
  await visit(bob.page, `/c/${cid}/members`);
  await expect(bob.page.getByTestId('member-row').filter({ hasText: 'Mallory' })).toContainText('banned', { timeout: 20_000 });
  await peer.waitFor('the ban', () => peer.list('ban').some((r) => (r as SignedRecord<'ban'>).body.member === mallory.publicKey));
  const bannedSeen = Date.now();
  const ban = peer.list('ban').find((r) => (r as SignedRecord<'ban'>).body.member === mallory.publicKey)!;

  // Backdated writes, and two new keys joining through Dave's invite found in the map (no proof; a forged one).
  const daveInvite = peer.list('invite').find((r) => (r as SignedRecord<'invite'>).body.label === 'for Dave') as SignedRecord<'invite'>;
  const writes: AnyRecord[] = [
    await peer.seal(mallory, 'reply', { thread: first.id, parent: first.id, body: 'Backdated reply' }, ban.ts - 1),
    await peer.seal(mallory, 'thread', { title: 'Backdated thread', body: 'written after the ban' }, ban.ts - 2)
  ];
  for (const proof of ['none', 'forged'] as const) {
    const fresh = await peer.newIdentity();
    const t = Date.now();
    writes.push(
      await peer.join(fresh, { invite: daveInvite, ts: t, proof }),
      await peer.seal(fresh, 'profile', { name: `Mallory new key ${proof}` }, t + 1),
      await peer.seal(fresh, 'thread', { title: `New key thread ${proof}`, body: 'a fresh start' }, t + 2)
    );
  }
  const before = [];
  for (const page of [alice.page, bob.page]) {
    await visit(page, `/c/${cid}`);
    before.push(await healthNumber(page));
  }
  peer.setMany(writes);
  await delivered(peer, [alice.page, bob.page], cid, before);

  for (const [who, page] of [
    ['Alice', alice.page],
    ['Bob', bob.page]
  ] as const) {
    await visit(page, `/c/${cid}`);
    await expect(page.getByRole('link', { name: /Mallory’s first words/ }), `${who}: the thread from before the ban stays`).toBeVisible();
    await expect.soft(page.getByRole('link', { name: /Backdated thread/ }), `${who}: the backdated thread`).toHaveCount(0);
    await expect.soft(page.getByRole('link', { name: /New key thread/ }), `${who}: threads of keys that joined without the link`).toHaveCount(0);
    await page.getByRole('link', { name: /Mallory’s first words/ }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Mallory’s first words' })).toBeVisible();
    await expect.soft(page.getByText('Backdated reply'), `${who}: the backdated reply`).toHaveCount(0);
    for (const proof of ['none', 'forged']) {
      expect.soft(await roleShown(page, cid, `Mallory new key ${proof}`), `${who}: the new key (proof "${proof}") is no member`).toBeNull();
    }
  }

  // What Alice writes after the ban reaches the banned peer, if at all, only as ciphertext (paid content: sealed).
  const token = `AFTER-BAN-${Math.random().toString(36).slice(2, 10)}`;
  await visit(alice.page, `/c/${cid}`);
  await startThread(alice.page, 'After the ban', `Only for members: ${token}`);
  await visit(bob.page, `/c/${cid}`);
  await expect(bob.page.getByRole('link', { name: /After the ban/ })).toBeVisible({ timeout: 20_000 });
  await alice.page.waitForTimeout(3_000);
  expect(Buffer.from(peer.held()).includes(token), 'the token in the bytes the banned peer holds').toBe(false);

  // The mesh password rotated with the ban. Once the transition is over nobody is left in the old mesh:
  // the banned peer, trying it again with the old password, finds no one and receives no content.
  await alice.page.waitForTimeout(Math.max(0, bannedSeen + SHORT_MESH_TRANSITION_MS + 10_000 - Date.now()));
  await peer.leaveRoom(oldMesh);
  peer.joinRoom(oldMesh);
  // Content records that reach the peer from now on (by key; the lobby's filter may also delete items
  // the peer had, so a count would not tell).
  const known = new Set(peer.list().map((r) => r.id));
  const arrived: string[] = [];
  const unwatch = peer.observeRecords((key, value) => {
    const v = value as AnyRecord | undefined;
    if (v && typeof v === 'object' && v.kind === 'sealed' && !known.has(key)) arrived.push(key);
  });
  const later = `LATER-${Math.random().toString(36).slice(2, 10)}`;
  await visit(alice.page, `/c/${cid}`);
  await startThread(alice.page, 'Later still', `Only for members: ${later}`);
  await visit(bob.page, `/c/${cid}`);
  await expect(bob.page.getByRole('link', { name: /Later still/ }), 'Bob, in the new mesh, gets it').toBeVisible({ timeout: 20_000 });
  await alice.page.waitForTimeout(5_000);
  // Polled: a connection of a page that has left (the reloads above) takes a while to close on a loaded
  // machine (1 still counted 5 s after, once in four runs of two journeys at a time); a device still in
  // the old mesh would stay counted.
  await expect.poll(() => peer.roomPeers(oldMesh), { message: 'peers the banned member finds in the old mesh after the transition', timeout: 20_000 }).toBe(0);
  unwatch();
  expect(arrived, 'content records reaching the banned member after the transition').toEqual([]);
  expect(Buffer.from(peer.held()).includes(later), 'the later token in the bytes the banned peer holds').toBe(false);
});

test('a newcomer syncing from the creator sees every thread after a peer re-set each record as a twin with an extra field', async ({ browser, baseURL }) => {
  test.setTimeout(150_000);
  w = await world(browser, baseURL!, 'Twin Club');
  const { alice, bob, cid } = w;
  // 19 more threads through the composer: 20 with Alice's corner.
  for (let i = 1; i <= 19; i++) {
    await visit(alice.page, `/c/${cid}/new`);
    await alice.page.getByLabel('Title', { exact: true }).fill(`Topic ${i}`);
    await alice.page.getByLabel(/Write in Markdown/).fill(`Notes on topic ${i}`);
    await alice.page.getByRole('button', { name: 'Post thread' }).click();
    await expect(alice.page.getByRole('heading', { level: 1, name: `Topic ${i}` })).toBeVisible();
  }
  await expect.poll(() => threadCount(alice.page, cid)).toBe(20);
  await expect.poll(() => threadCount(bob.page, cid), { timeout: 20_000 }).toBe(20);

  // A member holding the key: content travels only in the mesh.
  const { peer } = await memberAttacker(w);
  // Threads travel sealed (paid content): count them by what they are, not by what they say.
  const isThread = (r: AnyRecord) => r.kind === 'thread' || (r.kind === 'sealed' && r.body.of === 'thread');
  await peer.waitFor('all 20 threads', () => peer.list().filter(isThread).length >= 20);
  // `undefined` survives in Yjs (lib0 encodes it) but not in JSON: the twin canonicalizes like the original.
  const n = peer.rewriteAll((value) => ({ ...(value as object), x: undefined }));
  expect(n).toBeGreaterThan(20);
  await alice.page.waitForTimeout(3000);
  await peer.close();

  await visit(alice.page, `/c/${cid}/members`);
  const carol = await newcomer(w, browser, baseURL!, 'Twin Club');
  await expect
    .configure({ soft: true })
    .poll(() => threadCount(carol.page, cid), { timeout: 20_000, message: 'Carol, a newcomer, sees all 20 threads' })
    .toBe(20);
  await expect.soft(carol.page.getByTestId('locked-row'), 'and can read them (she holds the key)').toHaveCount(0, { timeout: 20_000 });
  // Polled: a feed just opened reads "0 threads" until its first query answers (one read once failed so).
  await expect
    .configure({ soft: true })
    .poll(() => threadCount(alice.page, cid), { timeout: 20_000, message: 'Alice still shows 20 threads' })
    .toBe(20);
  await expect
    .configure({ soft: true })
    .poll(() => threadCount(bob.page, cid), { timeout: 20_000, message: 'Bob still shows 20 threads' })
    .toBe(20);
});

// Alone (playwright.config.ts): 20,000 signature checks on each device, timed against its page.
test('20,000 valid threads from one member in one update keep the page responsive and are held back past a quota', { tag: '@alone' }, async ({
  browser,
  baseURL
}) => {
  test.setTimeout(300_000);
  w = await world(browser, baseURL!, 'Flood Club', { beforeAlice: async (d) => void (await d.context.addInitScript(observeLongTasks)) });
  const { alice, bob, cid } = w;
  const peer = await attacker(w);
  const mallory = await peer.newIdentity();
  const now = Date.now();
  peer.setMany([await peer.join(mallory, { ts: now }), await peer.seal(mallory, 'profile', { name: 'Mallory' }, now + 1)]);
  await alice.page.goto(`/c/${cid}/members`);
  await expect(alice.page.getByTestId('member-row').filter({ hasText: 'Mallory' })).toBeVisible({ timeout: 20_000 });
  await peer.enterMesh(mallory);
  const flood = await sealThreads(peer, mallory, 20_000, { ts: now + 10 });
  for (const page of [alice.page, bob.page]) await page.goto(`/c/${cid}`);
  await alice.page.waitForTimeout(2000);

  // What the flood changes on Alice's feed: the header's thread count and the health panel.
  const shownNow = () =>
    alice.page.evaluate(
      () =>
        `${document.querySelector('.hero')?.textContent?.match(/\d[\d,]* threads/)?.[0]}|${document.querySelector('[data-testid="health-panel"]')?.textContent}`
    );
  const initial = await shownNow();
  const t0 = await alice.page.evaluate(() => performance.now());
  peer.setMany(flood);
  // Until Alice's page has shown the flood (more threads, or a health notice) and then settled: what it
  // shows unchanged and no long task for 3 s (at most 150 s in all).
  let last = initial;
  let arrived = false;
  let stableSince = Date.now();
  const until = Date.now() + 150_000;
  while (Date.now() < until) {
    await alice.page.waitForTimeout(1000);
    const state = await shownNow().catch(() => 'busy');
    const quiet = await alice.page
      .evaluate(() => {
        const tasks = (window as unknown as { __longTasks: { start: number; duration: number }[] }).__longTasks;
        return !tasks.length || performance.now() - (tasks[tasks.length - 1].start + tasks[tasks.length - 1].duration) > 3000;
      })
      .catch(() => false);
    arrived ||= state !== initial && state !== 'busy';
    if (state !== last || !quiet || !arrived) {
      last = state;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= 3000) break;
  }
  expect(arrived, 'the flood reached Alice’s page (its thread count or health panel changed)').toBe(true);
  const tasks = await alice.page.evaluate(
    (t) => (window as unknown as { __longTasks: { start: number; duration: number }[] }).__longTasks.filter((x) => x.start >= t),
    t0
  );
  const longest = Math.max(0, ...tasks.map((x) => x.duration));
  console.log(
    `flood: ${tasks.length} long tasks on Alice's page, longest ${longest.toFixed(0)} ms, total ${tasks.reduce((n, x) => n + x.duration, 0).toFixed(0)} ms`
  );
  // Before the slicing and quotas: 4–13 s. The figure itself is `gate.flood_20k_max_task_ms` (npm run
  // bench, one receiving page); here two browsers and the Node peer share two cores, so the bound only
  // tells a frozen page from a responsive one.
  expect.soft(longest, 'longest main-thread task on Alice’s page while the flood arrives (ms)').toBeLessThanOrEqual(500);

  // Alice can still write and see her own reply at once.
  await alice.page.goto(w.cornerUrl);
  await alice.page.locator('#reply-body').fill('Still here, despite the flood');
  await alice.page.getByRole('button', { name: 'Send reply' }).click();
  const sentAt = Date.now();
  await expect
    .soft(alice.page.getByTestId('post').filter({ hasText: 'Still here, despite the flood' }), 'Alice’s reply shows within 5 s')
    .toBeVisible({ timeout: 5000 });
  // Shown at once as sending; then stored (the post that takes the sending one's place).
  await expect
    .soft(alice.page.locator('[data-testid="post"]:not([data-sending])').filter({ hasText: 'Still here, despite the flood' }), 'and is stored')
    .toBeVisible({ timeout: 60_000 });
  console.log(`flood: Alice's reply stored ${Date.now() - sentAt} ms after Send`);

  for (const [who, page] of [
    ['Alice', alice.page],
    ['Bob', bob.page]
  ] as const) {
    const shown = await threadCount(page, cid);
    console.log(`flood: ${who} shows ${shown} threads, health panel number ${await healthNumber(page)}`);
    expect.soft(shown, `${who}: threads shown (a per-member quota's worth at most)`).toBeLessThan(500);
  }
  // TODO(gate): the held-back wording is not written yet; this asks only that the panel counts ≥ 19,000 somewhere.
  // The counts come from the community worker, which may still be projecting the flood when the feed opens.
  await expect
    .configure({ soft: true })
    .poll(() => healthNumber(alice.page), { message: 'Alice’s health panel counts the held-back records', timeout: 30_000 })
    .toBeGreaterThanOrEqual(19_000);
});

test('junk root types (2 MB of text, 100,000 array items) are not stored, nor passed on to a newcomer', async ({ browser, baseURL }) => {
  test.setTimeout(150_000);
  w = await world(browser, baseURL!, 'Junk Club');
  const { alice, bob, cid } = w;
  for (const page of [alice.page, bob.page]) await page.goto(`/c/${cid}`);
  await alice.page.waitForTimeout(1500);
  const before = [await storedDocBytes(alice.page, cid), await storedDocBytes(bob.page, cid)];
  const health = [await healthNumber(alice.page), await healthNumber(bob.page)];

  const { peer } = await memberAttacker(w);
  peer.addJunkRoot('junk-text', 'text', 2_000_000);
  peer.addJunkRoot('junk-array', 'array', 100_000);
  await delivered(peer, [alice.page, bob.page], cid, health);
  await alice.page.waitForTimeout(2000);
  const after = [await storedDocBytes(alice.page, cid), await storedDocBytes(bob.page, cid)];
  console.log(`junk: stored doc bytes Alice ${before[0]} → ${after[0]}, Bob ${before[1]} → ${after[1]}`);
  expect.soft(after[0] - before[0], 'growth of Alice’s stored document (bytes)').toBeLessThan(100_000);
  expect.soft(after[1] - before[1], 'growth of Bob’s stored document (bytes)').toBeLessThan(100_000);
  await peer.close();

  // A newcomer syncs from Alice and Bob only.
  await visit(alice.page, `/c/${cid}/members`);
  const carol = await newcomer(w, browser, baseURL!, 'Junk Club');
  await expect(carol.page.getByRole('link', { name: /Alice’s corner/ })).toBeVisible({ timeout: 20_000 });
  await carol.page.waitForTimeout(2000);
  const carolBytes = await storedDocBytes(carol.page, cid);
  console.log(`junk: newcomer Carol stores ${carolBytes} bytes of document`);
  expect.soft(carolBytes, 'Carol’s whole stored document (bytes): no junk received').toBeLessThan(100_000);
});

test('an unsigned presence claiming to be Alice does not show Alice online on Bob’s device', async ({ browser, baseURL }) => {
  w = await world(browser, baseURL!, 'Presence Club');
  const { alice, bob, cid } = w;
  await visit(bob.page, `/c/${cid}`);
  await expect(bob.page.getByTestId('online-members')).toHaveText('Alice', { timeout: 20_000 });
  // The attacker is a member (it needs the community key to reach the mesh) and leaves the mesh again.
  const { peer, mesh } = await memberAttacker(w);
  await peer.leaveRoom(mesh);

  // Alice closes her tab (no beforeunload: y-webrtc's goodbye is never sent): Bob no longer sees her
  // once her connection closes (y-protocols' own timeout took 30 s). The attacker comes back only then,
  // so it cannot pass on Alice's real presence (y-webrtc forwards every awareness change it hears).
  await alice.page.close();
  const closedAt = Date.now();
  const online = async () => (await bob.page.getByTestId('online-members').allInnerTexts()).join(' ');
  await expect.poll(online, { timeout: 5_000, message: 'Alice gone from Bob’s online members within 5 s of her tab closing' }).not.toContain('Alice');
  console.log(`presence: Alice gone from Bob's online members ${Date.now() - closedAt} ms after her tab closed`);
  peer.joinRoom(mesh);
  const aliceKey = (peer.records.get(cid) as AnyRecord).author;
  await expect(bob.page.getByTestId('peer-count')).toHaveText(/connected with 1 device/, { timeout: 20_000 });

  peer.setPresence({ member: { key: aliceKey, name: 'Alice' } });
  await bob.page.waitForTimeout(4000);
  expect(await online(), 'who Bob’s device shows online while Alice’s device is closed').not.toContain('Alice');
});

test('a member’s modified client cannot show files past its upload allowance, nor take a place at an event below its level', async ({ browser, baseURL }) => {
  test.setTimeout(150_000);
  w = await world(browser, baseURL!, 'Print Club');
  const { alice, bob, cid } = w;
  // New members (trust level 0) may attach 1 MB a day.
  await visit(alice.page, `/c/${cid}/automation`);
  await alice.page.getByLabel('Trust level 0').fill('1');
  await alice.page.getByRole('button', { name: 'Save rules' }).click();
  await expect(alice.page.getByText('Rules saved.')).toBeVisible();
  // An event for level 3 and above, one place.
  const { start, end } = await alice.page.evaluate(() => {
    const local = (ms: number) => {
      const d = new Date(ms);
      const p = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
    };
    const s = Math.ceil((Date.now() + 2 * 3_600_000) / 60_000) * 60_000;
    return { start: local(s), end: local(s + 3_600_000) };
  });
  await visit(alice.page, `/c/${cid}/events`);
  await alice.page.getByLabel('Event title').fill('Studio night');
  await alice.page.getByLabel('What is it about?').fill('For regulars.');
  await alice.page.getByLabel('Starts').fill(start);
  await alice.page.getByLabel('Ends').fill(end);
  await alice.page.getByLabel(/Places/).fill('1');
  await alice.page.getByLabel(/Lowest level/).fill('3');
  await alice.page.getByRole('button', { name: 'Schedule event' }).click();
  await expect(alice.page.getByRole('heading', { level: 1, name: /Studio night/ })).toBeVisible();
  const eventUrl = new URL(alice.page.url()).pathname;
  const eventId = eventUrl.split('/').pop()!;

  // Mallory's client skips its own checks: a 5 MB file past the 1 MB allowance, a small one within
  // it, and "going" to the level-3 event at level 1, all in one update.
  const { peer, identity: mallory } = await memberAttacker(w);
  const file = (name: string, size: number) => ({
    kind: 'file' as const,
    name,
    type: 'application/octet-stream',
    size,
    key: 'k'.repeat(43),
    chunks: Array.from({ length: Math.ceil(size / CHUNK_BYTES) }, () => 'c'.repeat(43))
  });
  const now = Date.now();
  peer.setMany([
    await peer.seal(mallory, 'thread', { title: 'Small print', body: 'Within the allowance.', attachments: [file('small.bin', 300 * 1024)] }, now + 10),
    await peer.seal(mallory, 'thread', { title: 'Huge print', body: 'Past the allowance.', attachments: [file('huge.bin', 5 * 1024 * 1024)] }, now + 20),
    await peer.seal(mallory, 'rsvp', { event: eventId, status: 'going' }, now + 30)
  ]);
  for (const page of [alice.page, bob.page]) {
    await visit(page, `/c/${cid}`);
    await page.getByRole('link', { name: /Huge print/ }).click({ timeout: 20_000 });
    await expect(page.getByTestId('attachments-refused')).toBeVisible();
    await expect(page.getByText('huge.bin')).toHaveCount(0);
    await visit(page, `/c/${cid}`);
    await page.getByRole('link', { name: /Small print/ }).click();
    await expect(page.getByText('small.bin')).toBeVisible();
    await expect(page.getByTestId('attachments-refused')).toHaveCount(0);
    // Mallory's answer holds no place: the creator still takes the only one, nobody waits.
    await visit(page, eventUrl);
    await expect(page.getByTestId('event-counts')).toContainText('0 going');
  }
  await alice.page.getByRole('button', { name: /^✅ Going$/ }).click();
  await expect(alice.page.getByTestId('my-rsvp')).toHaveText('You are going.');
  for (const page of [alice.page, bob.page]) {
    await expect(page.getByTestId('event-counts')).toContainText('1 going', { timeout: 20_000 });
    await expect(page.getByTestId('event-counts')).not.toContainText('on the waitlist');
  }
});
