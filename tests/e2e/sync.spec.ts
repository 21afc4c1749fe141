// Two people on two devices (separate browser contexts: separate storage, no shared
// BroadcastChannel), connected only by WebRTC through the local signaling server.
import { expect, test, type Page } from '@playwright/test';
import {
  createCommunity,
  createIdentity,
  useRelay,
  joinFromLink,
  makeInvite,
  openThread,
  sendReply,
  startThread,
  openDevice,
  repliesWhileAway,
  visit
} from './journeys';

test('a member joins from an invite, both write and both see both; offline writes merge on reconnect', async ({ browser, baseURL }) => {
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Dawn Riders', 'Early rides, every day');
    await startThread(alice.page, 'Welcome thread', 'Say hello 👋');
    await alice.page.getByRole('link', { name: /Dawn Riders/ }).click();
    await expect(alice.page.getByRole('heading', { level: 1, name: /Dawn Riders/ })).toBeVisible();
    const link = await makeInvite(alice.page, { label: 'friends', maxUses: '3' });
    await expect(alice.page.getByTestId('invite-uses').first()).toHaveText('0 of 3 uses');
    await expect(alice.page.getByRole('img', { name: 'QR code of the invite link' })).toBeVisible();

    await createIdentity(bob.page, 'Bob');
    await bob.page.goto(link);
    await expect(bob.page.getByText('Community created by Alice')).toBeVisible();
    await joinFromLink(bob.page, link, 'Dawn Riders');
    // History arrived over WebRTC: Alice's thread written before Bob joined.
    await expect(bob.page.getByRole('link', { name: /Welcome thread/ })).toBeVisible({ timeout: 20_000 });
    await expect(bob.page.getByTestId('peer-count')).toHaveText(/connected with 1 device/);
    // Presence comes from awareness: Bob sees who is online now.
    await expect(bob.page.getByTestId('online-members')).toHaveText('Alice');
    await expect(alice.page.getByTestId('invite-uses').first()).toHaveText('1 of 3 uses', { timeout: 15_000 });
    await expect(alice.page.getByTestId('member-row').filter({ hasText: 'Bob' })).toBeVisible();

    // Both write, both see both.
    await openThread(bob.page, 'Welcome thread');
    await sendReply(bob.page, 'Hi from Bob');
    // Through a link, not a load: the pages stay open from here to the end, as a member's would while
    // the network comes and goes (with a reload before going offline, a glare of both devices' offers
    // on reconnecting went unseen: scripts/patch-deps.js).
    await visit(alice.page, new URL(bob.page.url()).pathname);
    await expect(alice.page.getByText('Hi from Bob')).toBeVisible({ timeout: 15_000 });
    await sendReply(alice.page, 'Welcome, Bob!');
    await expect(bob.page.getByText('Welcome, Bob!')).toBeVisible({ timeout: 15_000 });
    await expect(alice.page.getByTestId('sync-status').or(alice.page.getByText('Welcome, Bob!')).first()).toBeVisible();

    // Alice loses her network. Both keep writing.
    await alice.context.setOffline(true);
    await expect(alice.page.getByText('Offline — everything you write is kept on this device.')).toBeVisible();
    await sendReply(alice.page, 'Alice offline note');
    await sendReply(bob.page, 'Bob note while Alice is away');
    await bob.page.getByTestId('post').first().getByRole('button', { name: 'React', exact: true }).click();
    await bob.page.getByTestId('post').first().getByRole('button', { name: 'React with 🎉: 0' }).click();
    await alice.page.waitForTimeout(1500);
    await expect(alice.page.getByText('Bob note while Alice is away')).toHaveCount(0);
    await expect(bob.page.getByText('Alice offline note')).toHaveCount(0);

    // Back online: everything from both sides on both, in the same order.
    await alice.context.setOffline(false);
    await expect(alice.page.getByText('Bob note while Alice is away')).toBeVisible({ timeout: 30_000 });
    await expect(bob.page.getByText('Alice offline note')).toBeVisible({ timeout: 30_000 });
    await expect(alice.page.getByTestId('post').first().getByRole('button', { name: 'React with 🎉: 1' })).toBeVisible();
    const order = (page: Page) => page.getByTestId('post').locator('.body').allInnerTexts();
    await expect.poll(async () => JSON.stringify(await order(alice.page))).toBe(JSON.stringify(await order(bob.page)));
    expect(await order(alice.page)).toHaveLength(5);

    // Away again, the page still open: a second pause and resume of the same connections.
    await repliesWhileAway(alice, bob, 'Alice away a second time', 'Bob writes again');
    await expect.poll(async () => JSON.stringify(await order(alice.page))).toBe(JSON.stringify(await order(bob.page)));
    expect(await order(alice.page)).toHaveLength(7);
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});

test('malformed, tampered and expired invite links each get their own message', async ({ browser, baseURL }) => {
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Strict Club');
    const link = await makeInvite(alice.page, { label: 'short', days: '' });
    await createIdentity(bob.page, 'Bob');

    await bob.page.goto('/join#not-a-real-invite');
    await expect(bob.page.getByRole('alert')).toHaveText('This invite link is damaged or incomplete. Ask for a new link.');

    // Decode, change the role inside the signed invite, encode again: the signature no longer matches.
    const tampered = await bob.page.evaluate(async (url) => {
      const token = url.split('#')[1];
      const b64 = token.replace(/-/g, '+').replace(/_/g, '/');
      const bytes = Uint8Array.from(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0));
      const text = await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate-raw'))).text();
      const payload = JSON.parse(text);
      payload.invite.body.role = 'admin';
      const packed = new Uint8Array(
        await new Response(new Blob([JSON.stringify(payload)]).stream().pipeThrough(new CompressionStream('deflate-raw'))).arrayBuffer()
      );
      let bin = '';
      packed.forEach((b) => (bin += String.fromCharCode(b)));
      return url.split('#')[0] + '#' + btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    }, link);
    await bob.page.goto(tampered);
    await expect(bob.page.getByRole('alert')).toHaveText('This invite link was altered after it was made and cannot be trusted.');

    // An invite that expires: Bob's clock is moved past its expiry.
    const expiring = await makeInvite(alice.page, { label: 'one day', days: '1' });
    await bob.page.goto('about:blank');
    await bob.page.clock.install({ time: Date.now() + 2 * 86_400_000 });
    await bob.page.goto(expiring);
    await expect(bob.page.getByRole('alert')).toHaveText('This invite has expired. Ask for a new one.');
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});

test('revoked and used-up invites are refused once the community is reached', async ({ browser, baseURL }) => {
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  const carol = await openDevice(browser, baseURL!);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Tiny Club');
    const once = await makeInvite(alice.page, { label: 'single', maxUses: '1' });
    const revoked = await makeInvite(alice.page, { label: 'to revoke' });
    await alice.page.getByTestId('invite-row').filter({ hasText: 'to revoke' }).getByRole('button', { name: 'Revoke' }).click();
    await expect(alice.page.getByTestId('invite-row').filter({ hasText: 'to revoke' })).toContainText('revoked');

    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, once, 'Tiny Club');

    await createIdentity(carol.page, 'Carol');
    await carol.page.goto(once);
    await carol.page.getByRole('button', { name: 'Join community' }).click();
    await expect(carol.page.getByRole('alert')).toHaveText('This invite has been used the maximum number of times.', { timeout: 20_000 });
    await carol.page.goto(revoked);
    await carol.page.getByRole('button', { name: 'Join community' }).click();
    await expect(carol.page.getByRole('alert')).toHaveText('This invite was revoked by the community.', { timeout: 20_000 });
  } finally {
    await alice.context.close();
    await bob.context.close();
    await carol.context.close();
  }
});

test('a newcomer joins and gets the history from the relay while the creator is offline', async ({ browser, baseURL }) => {
  const relay = `ws://127.0.0.1:${process.env.E2E_RELAY_PORT ?? 4457}`;
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Relay Readers', 'Books, slowly');
    await useRelay(alice.page, relay);
    const link = await makeInvite(alice.page, { label: 'relay' });
    await alice.page.getByRole('link', { name: /Relay Readers/ }).click();
    await expect(alice.page.getByText('Relay connected')).toBeVisible({ timeout: 15_000 });
    await startThread(alice.page, 'Kept by the relay', 'Read chapter one');
    await alice.page.waitForTimeout(1000);
    await alice.context.setOffline(true);

    // The history arrives from the relay, sealed: Bob sees that it is there before he can read it.
    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, link, 'Relay Readers');
    await expect(bob.page.getByTestId('locked-row')).toHaveAccessibleName('Encrypted: waiting for a key from the creator or an admin', { timeout: 20_000 });
    await expect(bob.page.getByText('Relay connected')).toBeVisible();
    await expect(bob.page.getByTestId('member-row').or(bob.page.getByText(/2 members/))).toBeVisible();
    // Alice's device comes back and shares the key, through the relay alone.
    await alice.context.setOffline(false);
    await expect(bob.page.getByRole('link', { name: /Kept by the relay/ })).toBeVisible({ timeout: 30_000 });
  } finally {
    await alice.context.close().catch(() => {});
    await bob.context.close();
  }
});

test('random bytes and a malformed Yjs update on the WebRTC channel are ignored and nothing is lost', async ({ browser, baseURL }) => {
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  // Bob's device is hostile: the test keeps a handle on its WebRTC data channels to inject bytes.
  await bob.context.addInitScript(() => {
    const channels: RTCDataChannel[] = ((window as unknown as { __channels: RTCDataChannel[] }).__channels = []);
    const create = RTCPeerConnection.prototype.createDataChannel;
    RTCPeerConnection.prototype.createDataChannel = function (...args: Parameters<typeof create>) {
      const ch = create.apply(this, args);
      channels.push(ch);
      return ch;
    };
    const Original = RTCPeerConnection;
    window.RTCPeerConnection = class extends Original {
      constructor(...args: ConstructorParameters<typeof Original>) {
        super(...args);
        this.addEventListener('datachannel', (e) => channels.push(e.channel));
      }
    } as typeof RTCPeerConnection;
  });
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Sturdy Club');
    await startThread(alice.page, 'Before the noise', 'Everything here must survive');
    await alice.page.getByRole('link', { name: /Sturdy Club/ }).click();
    const link = await makeInvite(alice.page, { label: 'bob' });
    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, link, 'Sturdy Club');
    await expect(bob.page.getByRole('link', { name: /Before the noise/ })).toBeVisible({ timeout: 20_000 });
    // The thread can show from the first page the lobby brought, before Bob's mesh connection is open.
    const openChannels = () =>
      bob.page.evaluate(() => (window as unknown as { __channels: RTCDataChannel[] }).__channels.filter((c) => c.readyState === 'open').length);
    await expect.poll(openChannels, { timeout: 20_000 }).toBeGreaterThan(0);

    const sent = await bob.page.evaluate(() => {
      const open = (window as unknown as { __channels: RTCDataChannel[] }).__channels.filter((c) => c.readyState === 'open');
      let seed = 42;
      const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256;
      for (const ch of open) {
        for (let i = 0; i < 30; i++) ch.send(Uint8Array.from({ length: 1 + ((i * 7) % 90) }, rnd));
        // messageSync (0), sync step "update" (2), a length, then bytes that are not a Yjs update.
        ch.send(Uint8Array.from([0, 2, 40, ...Array.from({ length: 40 }, rnd)]));
        ch.send(Uint8Array.from([0, 0, 5, 1, 2, 3, 4, 5]));
      }
      return open.length;
    });
    expect(sent).toBeGreaterThan(0);

    // Alice's app keeps working, keeps its data, and still syncs with Bob.
    await alice.page.getByRole('link', { name: /Sturdy Club/ }).click();
    await alice.page.getByRole('link', { name: /Before the noise/ }).click();
    await expect(alice.page.getByText('Everything here must survive')).toBeVisible();
    await sendReply(alice.page, 'Still here after the noise');
    await bob.page.getByRole('link', { name: /Before the noise/ }).click();
    await expect(bob.page.getByText('Still here after the noise')).toBeVisible({ timeout: 30_000 });
    await sendReply(bob.page, 'Bob still gets through');
    await expect(alice.page.getByText('Bob still gets through')).toBeVisible({ timeout: 30_000 });
    await alice.page.reload();
    await expect(alice.page.getByText('Everything here must survive')).toBeVisible();
    await expect(alice.page.getByText('Bob still gets through')).toBeVisible();
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});

test('a newcomer receives a history larger than one WebRTC message (256 KiB)', async ({ browser, baseURL }) => {
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Long Reads');
    await startThread(alice.page, 'Chapter by chapter', 'Each reply is a long chapter.');
    // 18 replies of 19,000 characters: about 340 KB of history, over Chromium's 256 KiB message limit.
    for (let i = 1; i <= 18; i++) {
      await alice.page.locator('#reply-body').fill(`Chapter ${i}. ` + `words of chapter ${i} `.repeat(900).slice(0, 19_000));
      await alice.page.getByRole('button', { name: 'Send reply' }).click();
      await expect(alice.page.locator('#reply-body')).toHaveValue('');
    }
    await alice.page.getByRole('link', { name: /Long Reads/ }).click();
    const link = await makeInvite(alice.page, { label: 'reader' });
    await createIdentity(bob.page, 'Bob');
    await joinFromLink(bob.page, link, 'Long Reads');
    await bob.page.getByRole('link', { name: /Chapter by chapter/ }).click({ timeout: 30_000 });
    await expect(bob.page.getByText(/^Chapter 18\./)).toBeVisible({ timeout: 30_000 });
    await expect(bob.page.getByRole('heading', { name: '18 replies' })).toBeVisible();
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});

test('a newcomer on a one-use invite waits while the creator is offline and is confirmed when she comes back', async ({ browser, baseURL }) => {
  test.setTimeout(150_000);
  const relay = `ws://127.0.0.1:${process.env.E2E_RELAY_PORT ?? 4457}`;
  const alice = await openDevice(browser, baseURL!);
  const bob = await openDevice(browser, baseURL!);
  try {
    await createIdentity(alice.page, 'Alice');
    await createCommunity(alice.page, 'Patient Club', 'One seat at a time');
    await useRelay(alice.page, relay);
    const link = await makeInvite(alice.page, { label: 'one seat', maxUses: '1' });
    await alice.page.getByRole('link', { name: /Patient Club/ }).click();
    await expect(alice.page.getByText('Relay connected')).toBeVisible({ timeout: 15_000 });
    await startThread(alice.page, 'Seat taken?', 'Say hi when you are in');
    await alice.page.waitForTimeout(1000);
    await alice.context.setOffline(true);

    // Bob joins through the relay: he reads the history, and his membership waits for Alice.
    await createIdentity(bob.page, 'Bob');
    await bob.page.goto(link);
    await bob.page.getByRole('button', { name: 'Join community' }).click();
    await expect(bob.page.getByRole('heading', { level: 1, name: /Patient Club/ })).toBeVisible({ timeout: 30_000 });
    await expect(bob.page.getByTestId('pending-join')).toContainText('waits for Alice or an admin');
    // The history is there, sealed: he has no key until a staff device confirms him.
    await expect(bob.page.getByTestId('locked-row')).toHaveAccessibleName('Encrypted: waiting for a key from the creator or an admin', { timeout: 20_000 });

    // Alice comes back: her device admits Bob's join and shares the key; he reads and replies.
    await alice.context.setOffline(false);
    await expect(bob.page.getByRole('link', { name: /Seat taken\?/ })).toBeVisible({ timeout: 30_000 });
    await bob.page.getByRole('link', { name: /Seat taken\?/ }).click();
    await sendReply(bob.page, 'Hi, Bob here');
    await expect(alice.page.getByText('Hi, Bob here')).toBeVisible({ timeout: 30_000 });
    await bob.page
      .getByRole('link', { name: /Patient Club/ })
      .first()
      .click();
    await expect(bob.page.getByTestId('pending-join')).toHaveCount(0);
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});
