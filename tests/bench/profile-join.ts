// Dev tool (not a benchmark): CPU profiles of both community workers (and both pages) while a newcomer joins the real
// community over WebRTC (what `sync.initial_realdata_ms` times), with the newcomer's record count over time.
// While investigating, a worker may leave `globalThis.__trace` (lines "<Date.now()> what") and
// `globalThis.__dexieProbe` ({ "table.op.index": { n, rows, ms } }, from a DBCore middleware): both
// are printed when present. Neither is in the app.
// Usage: node --import tsx tests/bench/profile-join.ts [out-prefix] [port] [signaling-port]
// PROFILE_DATASET=generated-10k (or generated-10k-shards, held in shards) joins the 10k community instead and stops at the first feed row
// (what `sync.first_feed_10k_ms` times); PROFILE_CREATOR_DIR=<dir> keeps the creator's browser profile
// there, so later runs skip the import (1–1.5 min at 10k); PROFILE_CREATOR_WAIT_S=<s> lets the creator's
// device settle before the newcomer opens the link (the bench's creator has just imported).
// PROFILE_SHORT_LINK=1 opens the invite's short link (the QR code's: the invite page fetches the genesis,
// the invite and the lobby from the creator's lobby) instead of the full one (which carries them).
// PROFILE_TRACE_BEFORE_S=<s>: the workers' trace lines from that long before Join (default 2; the creator's
// automation runs before it, say). `zero` is printed: Date.now() at Join.
// Printed too: what each of the newcomer's WebRTC connections received (data-channel bytes), in the
// order they were made: before Join the invite page's (short link only), then the lobby's, then the mesh's.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { importCommunityFile, openDevice, waitForServer, type Device } from './browser-bench';
import { giveRoomSecret, importIdentity, joinUntilThreads, makeInviteLink, openFeed, openPeer, recordCount } from './sync-bench';
import { ensureDataset } from '../../scripts/data/datasets';
import { DEMO_CREATOR } from '../../scripts/data/community-plan';
import { storedKeysFor } from '../../scripts/data/member-keys';
import { NEWCOMER_NAMESPACE } from './sync-figures';
import { workerProfiler, type Profile } from './worker-profiler';
import { decodeInvite } from '../../src/lib/crypto/invite-token';
import { encodeShortInvite } from '../../src/lib/crypto/short-invite';

const [out = '/tmp/join', portArg, signalingArg] = process.argv.slice(2);
const port = Number(portArg ?? 4386);
const base = `http://127.0.0.1:${port}`;
const server = spawn(process.execPath, ['scripts/serve.js', '--port', String(port), '--signaling-port', String(signalingArg ?? 4387)], { stdio: 'inherit' });

/** Self time per function, the busiest first, and busy time per second of the run. */
function summary(name: string, p: Profile, zero: number): void {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const perSecond: number[] = [];
  let t = p.startTime;
  p.samples.forEach((s, i) => {
    t += p.timeDeltas[i];
    const n = byId.get(s)!;
    const f = n.callFrame;
    const dt = p.timeDeltas[i + 1] ?? 0;
    const key = `${f.functionName || '(anon)'} ${f.url.split('/').pop()}:${f.lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    if (f.functionName !== '(idle)' && f.functionName !== '(program)') {
      const sec = Math.floor((t / 1000 - zero) / 1000);
      if (sec >= 0) perSecond[sec] = (perSecond[sec] ?? 0) + dt / 1000;
    }
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0) / 1000;
  console.log(`\n== ${name}: ${total.toFixed(0)} ms sampled; busy ms per second after Join: ${[...perSecond].map((x) => (x ?? 0).toFixed(0)).join(' ')}`);
  for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`);
}

/** The short link (QR code) of the invite a full link carries, with the link's sync addresses. */
async function shortLinkOf(link: string): Promise<string> {
  const url = new URL(link);
  const decoded = await decodeInvite(url.hash.slice(1));
  if (!decoded.ok) throw new Error(`the invite link does not decode: ${decoded.reason}`);
  const p = decoded.value;
  const token = await encodeShortInvite({ cid: p.cid, secret: p.secret, inviteKey: p.inviteKey, addresses: { signaling: p.signaling, relay: p.relay } });
  if (!token) throw new Error('no short link for this invite');
  return `${url.origin}${url.pathname}#${token}`;
}

/** Counts what each WebRTC connection of the page receives on its data channels (`window.__rtc`). Runs in the page: no helpers. */
function countRtcBytes(): void {
  type Entry = { at: number; bytes: number; messages: number };
  const w = window as unknown as { __rtc: Entry[]; RTCPeerConnection: typeof RTCPeerConnection };
  w.__rtc = [];
  const Original = w.RTCPeerConnection;
  const count = (entry: Entry, channel: RTCDataChannel) =>
    channel.addEventListener('message', (e: MessageEvent) => {
      entry.messages++;
      entry.bytes += typeof e.data === 'string' ? e.data.length : e.data instanceof Blob ? e.data.size : (e.data as ArrayBuffer).byteLength;
    });
  function Counted(this: unknown, ...args: ConstructorParameters<typeof RTCPeerConnection>): RTCPeerConnection {
    const pc = new Original(...args);
    const entry: Entry = { at: Date.now(), bytes: 0, messages: 0 };
    w.__rtc.push(entry);
    pc.addEventListener('datachannel', (e) => count(entry, e.channel));
    const create = pc.createDataChannel.bind(pc);
    pc.createDataChannel = (...a: Parameters<RTCPeerConnection['createDataChannel']>) => {
      const channel = create(...a);
      count(entry, channel);
      return channel;
    };
    return pc;
  }
  Counted.prototype = Original.prototype;
  Object.setPrototypeOf(Counted, Original);
  w.RTCPeerConnection = Counted as unknown as typeof RTCPeerConnection;
}

/** Clicks Join and returns ms from the click until the first thread row is in the DOM (null: not within `timeout`). */
async function joinUntilFirstRow(page: Device['page'], timeout: number): Promise<number | null> {
  const at = await page.evaluate(() => performance.now());
  await page.getByRole('button', { name: 'Join community' }).click();
  const shown = await page
    .waitForFunction(() => document.querySelector('[data-testid="thread-row"]') !== null, null, { timeout, polling: 100 })
    .then(
      () => true,
      () => false
    );
  return shown ? (await page.evaluate(() => performance.now())) - at : null;
}

try {
  await waitForServer(base, server);
  const dataset = (process.env.PROFILE_DATASET ?? 'se-bicycles-meta') as
    | 'se-bicycles-meta'
    | 'se-bicycles-meta-shards'
    | 'generated-10k'
    | 'generated-10k-shards';
  const firstRow = dataset.startsWith('generated-10k');
  const { file, meta } = await ensureDataset(dataset, { log: console.error });
  const kept = process.env.PROFILE_CREATOR_DIR;
  const a: Device = kept ? await openDevice(kept, base) : await openPeer(base);
  a.page.on('console', (m) => m.type() === 'error' && console.log('creator page:', m.text().slice(0, 400)));
  a.page.on('pageerror', (e) => console.log('creator pageerror:', String(e).slice(0, 400)));
  let imported: { cid: string };
  if (kept && existsSync(`${kept}/hearth-cid`)) {
    imported = { cid: readFileSync(`${kept}/hearth-cid`, 'utf8') };
    // The kept profile's service worker would serve the build it cached (another build's, in interleaved
    // runs: the creator's side of an A/B then ran the other build). Unregistered with its caches, the
    // page loads this build from the server.
    await a.page.goto('/');
    await a.page.evaluate(async () => {
      for (const r of await navigator.serviceWorker.getRegistrations()) await r.unregister();
      for (const k of await caches.keys()) await caches.delete(k);
    });
    await a.page.reload();
  } else {
    await importIdentity(a.page, await storedKeysFor(DEMO_CREATOR.namespace, DEMO_CREATOR.handle), DEMO_CREATOR.name);
    imported = await importCommunityFile(a.page, file);
    await giveRoomSecret(a.page, imported.cid);
    if (kept) writeFileSync(`${kept}/hearth-cid`, imported.cid);
  }
  // A kept creator's device reopens the 10k community first: its invite took over a minute in 8 of 13
  // runs on a loaded machine (6.7 min once), the same before and after a change.
  a.page.setDefaultTimeout(900_000);
  const full = await makeInviteLink(a.page, imported.cid, 'profile newcomer');
  a.page.setDefaultTimeout(60_000);
  const link = process.env.PROFILE_SHORT_LINK === '1' ? await shortLinkOf(full) : full;
  console.log(`newcomer opens the ${link === full ? 'full' : 'short'} link (${link.length} characters)`);
  await openFeed(a.page, imported.cid);
  // PROFILE_CREATOR_WAIT_S: the creator's device settles first (its document open), as in the bench.
  await a.page.waitForTimeout(Number(process.env.PROFILE_CREATOR_WAIT_S ?? 0) * 1000);
  const b = await openPeer(base);
  const pageTrace: string[] = [];
  for (const [who, d] of [
    ['A', a],
    ['B', b]
  ] as const)
    d.page.on('console', (m) => m.text().startsWith('TRACE ') && pageTrace.push(`${who} ${m.text().slice(6)}`));
  // A kept creator remembers every newcomer it admitted: each run's newcomer is a new member there,
  // not one coming back (whose join, key share and mesh came from the core alone).
  const handle = process.env.PROFILE_CREATOR_DIR ? `member-b-${Date.now()}` : 'member-b';
  await importIdentity(b.page, await storedKeysFor(NEWCOMER_NAMESPACE, handle), 'Profile B');
  await b.page.addInitScript(countRtcBytes);
  await b.page.goto(link);
  await b.page.getByRole('button', { name: 'Join community' }).waitFor();
  const [pa, pb] = await Promise.all([workerProfiler(a.page, { intervalUs: 500 }), workerProfiler(b.page, { intervalUs: 500 })]);
  await Promise.all([pa.start(), pb.start()]);
  // The creator's page too: it relays every byte of its worker's and answers first pages.
  const pageCdp = await a.page.context().newCDPSession(a.page);
  await pageCdp.send('Profiler.enable');
  await pageCdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await pageCdp.send('Profiler.start');
  // And the newcomer's: it relays every byte of its worker's, and renders the sync's status as it changes.
  const newcomerCdp = await b.page.context().newCDPSession(b.page);
  await newcomerCdp.send('Profiler.enable');
  await newcomerCdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await newcomerCdp.send('Profiler.start');
  // The workers' console errors (a SharedWorker's console reaches no page): printed at the end.
  const keepErrors = `globalThis.__errors = []; { const error = console.error; console.error = (...a) => { globalThis.__errors.push(new Date().toISOString() + ' ' + a.map((x) => (x && x.stack) || String(x)).join(' ').slice(0, 600)); error(...a); }; }`;
  await Promise.all([pa.evaluate(keepErrors), pb.evaluate(keepErrors)]);
  const zero = Date.now();
  console.log(`zero ${zero}`);
  const counts: string[] = [];
  let done = false;
  const sampling = (async () => {
    while (!done) {
      counts.push(`${((Date.now() - zero) / 1000).toFixed(1)}s:${await recordCount(b.page, imported.cid).catch(() => -1)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  const ms = firstRow
    ? await joinUntilFirstRow(b.page, Number(process.env.PROFILE_TIMEOUT_S ?? 180) * 1000)
    : await joinUntilThreads(b.page, link, meta.threads, 60_000, false);
  done = true;
  await sampling;
  const [profA, profB] = await Promise.all([pa.stop(), pb.stop()]);
  const profPage = ((await pageCdp.send('Profiler.stop')) as { profile: Profile }).profile;
  const profNewcomerPage = ((await newcomerCdp.send('Profiler.stop')) as { profile: Profile }).profile;
  writeFileSync(`${out}-creator-page.cpuprofile`, JSON.stringify(profPage));
  writeFileSync(`${out}-newcomer-page.cpuprofile`, JSON.stringify(profNewcomerPage));
  writeFileSync(`${out}-creator.cpuprofile`, JSON.stringify(profA));
  writeFileSync(`${out}-newcomer.cpuprofile`, JSON.stringify(profB));
  console.log(`${firstRow ? 'first row' : 'threads'} shown ${ms?.toFixed(0)} ms after Join; newcomer's records over time: ${counts.join(' ')}`);
  const rtc = (await b.page.evaluate(() => (window as unknown as { __rtc?: { at: number; bytes: number; messages: number }[] }).__rtc ?? [])) as {
    at: number;
    bytes: number;
    messages: number;
  }[];
  console.log(
    `newcomer's WebRTC connections (made at s after Join: bytes received in messages): ${rtc.map((c) => `${((c.at - zero) / 1000).toFixed(1)}s: ${c.bytes} B in ${c.messages}`).join('; ')}`
  );
  // Profile times are the worker's monotonic clock in µs; align by the first sample instead.
  summary('creator worker', profA, profA.startTime / 1000);
  summary('newcomer worker', profB, profB.startTime / 1000);
  summary("creator's page", profPage, profPage.startTime / 1000);
  summary("newcomer's page", profNewcomerPage, profNewcomerPage.startTime / 1000);
  console.log('\n== page traces (s after Join)');
  for (const line of pageTrace) {
    const [who, t, ...rest] = line.split(' ');
    console.log(`${who} ${((Number(t) - zero) / 1000).toFixed(2)} ${rest.join(' ')}`);
  }
  for (const [who, p] of [
    ['creator', pa],
    ['newcomer', pb]
  ] as const) {
    const trace = (await p.evaluate('JSON.stringify(globalThis.__trace ?? [])')) as string;
    console.log(`\n== ${who}'s worker trace (s after Join)`);
    for (const line of JSON.parse(trace) as string[]) {
      const [t, ...rest] = line.split(' ');
      if (Number(t) >= zero - Number(process.env.PROFILE_TRACE_BEFORE_S ?? 2) * 1000)
        console.log(`${((Number(t) - zero) / 1000).toFixed(2)} ${rest.join(' ')}`);
    }
  }
  for (const [who, p] of [
    ['creator', pa],
    ['newcomer', pb]
  ] as const) {
    for (const line of JSON.parse((await p.evaluate('JSON.stringify(globalThis.__errors ?? [])')) as string) as string[])
      console.log(`${who} worker error: ${line}`);
    const probe = (await p.evaluate('JSON.stringify(globalThis.__dexieProbe ?? null)')) as string | null;
    if (!probe || probe === 'null') continue;
    const rows = Object.entries(JSON.parse(probe) as Record<string, { n: number; rows: number; ms: number }>).sort((x, y) => y[1].ms - x[1].ms);
    console.log(`\n== ${who}'s Dexie calls (since the worker started): calls, rows, ms (wall, overlapping)`);
    for (const [k, v] of rows.slice(0, 25)) console.log(`${String(v.n).padStart(7)} ${String(v.rows).padStart(9)} ${v.ms.toFixed(0).padStart(8)}  ${k}`);
  }
  await Promise.all([a.close(), b.close()]);
} finally {
  server.kill();
}
process.exit(0);
