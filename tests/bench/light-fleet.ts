// A child process of the relay benchmark holding light members (light-member.ts): they connect,
// prove their keys, write one thread each every `writeEveryMs` between `start` and `end`, and
// receive the fan-out. Running them outside the measuring process keeps its event loop free, so
// the arrival times it takes are the relays' and not this load's.
// Protocol (IPC): parent → {members, urls, room, cid}; child → {ready}; parent → {start, end, writeEveryMs};
// child → {done, written: [{id, at, relay}], acked, received, loopDelayMs, cpuPct}. Any time: parent → {ping: t}, child → {pong: t, at}.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadIdentity, type Identity, type StoredKeys } from '../../src/lib/crypto/identity';
import { sealRecord } from '../../src/lib/crypto/record-seal';
import { waitFor } from '../../relay/local-cluster';
import { LightMember } from './light-member';

interface Setup {
  members: StoredKeys[];
  urls: [string, string];
  room: string;
  cid: string;
}
interface Go {
  start: number;
  end: number;
  writeEveryMs: number;
}

const send = (m: unknown) => process.send?.(m);
const now = () => performance.timeOrigin + performance.now();

// The parent's clock and this one's differ by a little: it measures the offset with pings.
process.on('message', (m: { ping?: number }) => {
  if (typeof m.ping === 'number') send({ pong: m.ping, at: now() });
});
/** The next message from the parent that has `key`. */
const receive = <T>(key: string) =>
  new Promise<T>((resolve) => {
    const on = (m: Record<string, unknown>) => {
      if (!(key in m)) return;
      process.off('message', on);
      resolve(m as T);
    };
    process.on('message', on);
  });
const setup = await receive<Setup>('members');
const identities: Identity[] = [];
for (const stored of setup.members) {
  const loaded = await loadIdentity(stored);
  if (!loaded.ok) throw new Error(loaded.reason);
  identities.push(loaded.value);
}
const lights: LightMember[] = [];
for (let i = 0; i < identities.length; i += 50) {
  const batch = identities.slice(i, i + 50).map((id, j) => new LightMember(setup.urls[(i + j) % 2], setup.room, id));
  lights.push(...batch);
  await waitFor('light members to prove themselves', () => batch.every((l) => l.member), Boolean, 120_000, 100);
}
const going = receive<Go>('writeEveryMs');
send({ ready: true });
const go = await going;
/** Each record written, when (this process's clock) and on which relay (0: the first address). */
const written: { id: string; at: number; relay: number }[] = [];
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
const cpu = process.cpuUsage();
const t0 = performance.now();
await Promise.all(
  lights.map(async (l, i) => {
    let next = go.start + Math.random() * go.writeEveryMs;
    let n = 0;
    while (next < go.end) {
      await new Promise((r) => setTimeout(r, Math.max(0, next - now())));
      const record = await sealRecord(l.identity, {
        kind: 'thread',
        cid: setup.cid,
        ts: Date.now(),
        body: { title: `light ${i} #${n++}`, body: 'Riding on Sunday?' }
      });
      written.push({ id: record.id, at: now(), relay: i % 2 });
      l.write(record.id, record);
      next += go.writeEveryMs;
    }
  })
);
await new Promise((r) => setTimeout(r, 2000));
loop.disable();
const used = process.cpuUsage(cpu);
const ms = (ns: number) => Math.round(ns / 1e5) / 10;
send({
  done: true,
  written,
  acked: lights.reduce((n, l) => n + l.acked, 0),
  received: lights.reduce((n, l) => n + l.received, 0),
  loopDelayMs: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) },
  cpuPct: Math.round(((used.user + used.system) / 1000 / (performance.now() - t0)) * 100)
});
lights.forEach((l) => l.close());
setTimeout(() => process.exit(0), 200);
