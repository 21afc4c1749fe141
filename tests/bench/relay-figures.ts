// Relay cluster figures (relay.*): simulated members on two relay processes sharing Debian's
// redis-server, on loopback, for a bounded time. Every member is a real member (signed join on an
// open invite), proves its key to its relay and writes signed threads from its own Yjs document at
// a steady pace, half of them on each relay. In this process: 4 full replicas (the app's
// RelayLink, 2 per relay), checked for losses at the end, and 16 probes (light members, 8 per relay)
// that stamp every record they receive. The other 980 are light members (light-member.ts) in two
// child processes (light-fleet.ts, at nice 15), which write as often and receive the whole fan-out
// but only count it; their writes are stamped with their own clock, corrected by its offset from
// this one (measured over IPC). So every write is timed, not only this process's.
//   relay.fanout_p50_ms / relay.fanout_p95_ms  write by any member on one relay → read by each probe on the other
//   relay.updates_per_s                          records written and fanned out per second, cluster-wide
//   relay.rss_mb_per_1k_clients                  both relays' resident memory at the end, per 1,000 clients
//   relay.lost_updates                           written records some full replica or probe lacks once writing stopped
// Also logged: each relay's load lines (relay-stats.ts: event-loop delay, time queued, judged,
// appended, applied and fanned out) and the event-loop delay of this process and of the fleets.
// Run: `npm run bench -- --only relay`, or alone:
//   node --max-old-space-size=8192 --import tsx tests/bench/relay-figures.ts
// Settings (environment): RELAY_BENCH_CLIENTS (1000), RELAY_BENCH_SECONDS (60), RELAY_BENCH_WRITE_EVERY_MS (30000),
// RELAY_BENCH_NODE_ARGS (extra Node options for the relays, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
import { readFileSync } from 'node:fs';
import { sealRecord } from '../../src/lib/crypto/record-seal';
import { randomId } from '../../src/lib/crypto/encoding';
import { generateIdentity, type Identity, type StoredKeys } from '../../src/lib/crypto/identity';
import { generateInviteKey, signJoinProof } from '../../src/lib/crypto/invite-key';
import type { AnyRecord } from '../../src/lib/domain/record';
import { relayRoomName } from '../../src/lib/sync/relay-client';
import { memberClient, startRedis, startRelayProcess, waitFor, type MemberClient } from '../../relay/local-cluster';
import { fork, type ChildProcess } from 'node:child_process';
import * as Y from 'yjs';
import { LightMember } from './light-member';
import { setPriority } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const CLIENTS = Number(process.env.RELAY_BENCH_CLIENTS ?? 1000);
const SECONDS = Number(process.env.RELAY_BENCH_SECONDS ?? 60);
const WRITE_EVERY_MS = Number(process.env.RELAY_BENCH_WRITE_EVERY_MS ?? 30_000);
/** Full replicas per relay (the app's RelayLink): checked for losses at the end. */
const FULL = 2;
/** Light members per relay in this process that time every arrival (and are checked for losses). */
const PROBES = 8;
/** Child processes for the light members. */
const FLEETS = 2;
/** Extra Node options for the relay processes (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`). */
const RELAY_NODE_ARGS = (process.env.RELAY_BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
/** How often the relays log their load figures (relay-stats.ts). */
const STATS_EVERY_MS = 10_000;

const log = (line: string) => console.error(`[bench relay] ${line}`);
const emit = (bench: string, value: number, unit: string) => console.log(JSON.stringify({ bench, value: Math.round(value * 10) / 10, unit, data: 'none' }));
const now = () => performance.timeOrigin + performance.now();

function rssMb(pid: number | undefined): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return NaN; // the process is gone
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

export async function relayFigures(): Promise<void> {
  const redis = await startRedis();
  const url = `redis://127.0.0.1:${redis.port}`;
  const relayOptions = { redis: url, statsEveryMs: STATS_EVERY_MS, nodeArgs: RELAY_NODE_ARGS };
  const [a, b] = await Promise.all([startRelayProcess({ ...relayOptions, name: 'bench-a' }), startRelayProcess({ ...relayOptions, name: 'bench-b' })]);
  const clients: MemberClient[] = [];
  const lights: LightMember[] = [];
  const fleetProcs: ChildProcess[] = [];
  for (const [name, relay] of [
    ['A', a],
    ['B', b]
  ] as const) {
    relay.child.once('exit', (code, signal) => log(`relay ${name} exited (${code ?? signal}): ${relay.output().slice(-2000)}`));
  }
  try {
    log(`${CLIENTS} members on two relays (${a.url}, ${b.url}), Redis ${url}; ${SECONDS} s, one thread per member every ${WRITE_EVERY_MS / 1000} s`);
    const creator = (await generateIdentity()).identity;
    const genesis = await sealRecord(creator, {
      kind: 'genesis',
      cid: '',
      ts: Date.now(),
      body: { name: 'Relay bench', description: '', emoji: '🚲', color: '#cc5500', createdAt: Date.now(), nonce: randomId() }
    });
    const cid = genesis.id;
    const room = await relayRoomName(cid, randomId(32));
    const key = generateInviteKey();
    const invite = await sealRecord(creator, {
      kind: 'invite',
      cid,
      ts: Date.now(),
      body: { role: 'member', expiresAt: null, maxUses: null, label: 'bench', nonce: randomId(), key: key.publicKey }
    });
    const members: Identity[] = [];
    const stored: StoredKeys[] = [];
    const setup: AnyRecord[] = [genesis, invite];
    for (let i = 0; i < CLIENTS; i++) {
      const generated = await generateIdentity();
      const m = generated.identity;
      members.push(m);
      stored.push(generated.stored);
      const proof = signJoinProof(key.seed, { cid, invite: invite.id, member: m.publicKey });
      setup.push(await sealRecord(m, { kind: 'join', cid, ts: Date.now(), body: { invite: invite.id, key: key.publicKey, proof } }));
    }
    const first = memberClient([a.url], room, creator);
    clients.push(first);
    await first.proven();
    first.doc.transact(() => setup.forEach((r) => first.records.set(r.id, r)));
    await waitFor(
      'the community on the relay',
      () => first.link.unsynced,
      (n) => n === 0,
      60_000
    );
    log(`community of ${setup.length} records on relay A`);

    // Here: FULL full replicas per relay (the app's RelayLink, each listing the other relay as its
    // failover), checked for losses at the end, and PROBES light members per relay that time every
    // arrival; the other light members live in FLEETS child processes. Every member writes.
    const writers: { relay: 'a' | 'b'; identity: Identity; write: (id: string, record: AnyRecord) => void }[] = [];
    const replicas: { relay: 'a' | 'b'; full: MemberClient }[] = [];
    const probes: { relay: 'a' | 'b'; light: LightMember; seen: Map<string, number> }[] = [];
    const t0 = Date.now();
    let j = 0;
    for (; j < Math.min(CLIENTS, 2 * FULL); j++) {
      const relay = j % 2 === 0 ? 'a' : 'b';
      const full = memberClient(relay === 'a' ? [a.url, b.url] : [b.url, a.url], room, members[j], { delay: 500, maxDelay: 5000 });
      clients.push(full);
      replicas.push({ relay, full });
      writers.push({ relay, identity: members[j], write: (id, record) => full.records.set(id, record) });
    }
    for (; j < Math.min(CLIENTS, 2 * FULL + 2 * PROBES); j++) {
      const relay = j % 2 === 0 ? 'a' : 'b';
      const seen = new Map<string, number>();
      // A probe stamps each record when its frame is read: decoding the update is all it does.
      const light = new LightMember(relay === 'a' ? a.url : b.url, room, members[j], (update) => {
        const t = now();
        for (const struct of Y.decodeUpdate(update).structs) {
          if (struct instanceof Y.Item && typeof struct.parentSub === 'string' && !seen.has(struct.parentSub)) seen.set(struct.parentSub, t);
        }
      });
      lights.push(light);
      probes.push({ relay, light, seen });
      writers.push({ relay, identity: members[j], write: (id, record) => light.write(id, record) });
    }
    await waitFor(
      'full replicas and probes to be members',
      () => replicas.every((m) => m.full.link.member && m.full.records.size >= setup.length) && probes.every((p) => p.light.member),
      Boolean,
      120_000,
      100
    );
    const rest = stored.slice(j);
    const fleets = Array.from({ length: FLEETS }, (_, f) => rest.filter((_, i) => i % FLEETS === f)).filter((part) => part.length);
    const children = fleets.map((part) => {
      const child = fork(fileURLToPath(new URL('./light-fleet.ts', import.meta.url)), [], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc']
      });
      fleetProcs.push(child);
      // The load generators stand in for a thousand devices elsewhere: on this machine they yield the
      // CPU to the relays and the probes, so the figures are the relays' and not the simulators'.
      if (child.pid) setPriority(child.pid, 15);
      const messages: Record<string, unknown>[] = [];
      child.on('message', (m) => messages.push(m as Record<string, unknown>));
      child.send({ members: part, urls: [a.url, b.url], room, cid });
      const wait = (key: string) => waitFor(`a light fleet's ${key}`, () => messages.find((m) => key in m), Boolean, 300_000, 20);
      return { child, messages, wait, offset: 0 };
    });
    await Promise.all(children.map((c) => c.wait('ready')));
    log(
      `${CLIENTS} members connected (${replicas.length} full replicas and ${probes.length} probes here, ${rest.length} light in ${children.length} processes) in ${((Date.now() - t0) / 1000).toFixed(1)} s`
    );
    // Each fleet stamps its writes with its own clock: its offset from this one, from the ping with
    // the shortest round trip (the offset is within half that round trip).
    for (const c of children) {
      let best = { rtt: Infinity, offset: 0 };
      for (let k = 0; k < 20; k++) {
        const sent = now();
        const pong = await new Promise<{ at: number }>((resolve) => {
          const on = (m: { pong?: number; at: number }) => {
            if (m.pong !== sent) return;
            c.child.off('message', on);
            resolve(m);
          };
          c.child.on('message', on);
          c.child.send({ ping: sent });
        });
        const back = now();
        if (back - sent < best.rtt) best = { rtt: back - sent, offset: pong.at - (sent + back) / 2 };
      }
      c.offset = best.offset;
      log(`light fleet clock offset ${best.offset.toFixed(2)} ms (± ${(best.rtt / 2).toFixed(2)} ms)`);
    }

    const sentAt = new Map<string, { at: number; relay: 'a' | 'b' }>();
    const written: string[] = [];
    // This process's own lateness: arrivals are stamped when its loop gets to them.
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const rssBefore = rssMb(a.child.pid) + rssMb(b.child.pid);
    const start = now() + 500;
    const end = start + SECONDS * 1000;
    children.forEach((c) => c.child.send({ start, end, writeEveryMs: WRITE_EVERY_MS }));
    const progress = setInterval(() => {
      log(`  ${((now() - start) / 1000).toFixed(0)} s: ${sentAt.size} written here, relays' RSS ${(rssMb(a.child.pid) + rssMb(b.child.pid)).toFixed(0)} MB`);
    }, 10_000);
    // Each member writes every WRITE_EVERY_MS from a random offset: a steady cluster-wide rate.
    await Promise.all(
      writers.map(async (m, i) => {
        let next = start + Math.random() * WRITE_EVERY_MS;
        let n = 0;
        while (next < end) {
          await new Promise((r) => setTimeout(r, Math.max(0, next - now())));
          const record = await sealRecord(m.identity, { kind: 'thread', cid, ts: Date.now(), body: { title: `m${i} #${n++}`, body: 'Riding on Sunday?' } });
          sentAt.set(record.id, { at: now(), relay: m.relay });
          m.write(record.id, record);
          written.push(record.id);
          next += WRITE_EVERY_MS;
        }
      })
    );
    const reports = (await Promise.all(children.map((c) => c.wait('done')))) as {
      written: { id: string; at: number; relay: number }[];
      acked: number;
      received: number;
      loopDelayMs: Record<string, number>;
      cpuPct: number;
    }[];
    clearInterval(progress);
    loop.disable();
    const ms = (ns: number) => Math.round(ns / 1e5) / 10;
    log(`this process's loop delay while writing: p50 ${ms(loop.percentile(50))}, p99 ${ms(loop.percentile(99))}, max ${ms(loop.max)} ms`);
    reports.forEach((r, i) => log(`light fleet ${i}: loop delay ${JSON.stringify(r.loopDelayMs)} ms, CPU ${r.cpuPct} %`));
    for (const [name, relay] of [
      ['A', a],
      ['B', b]
    ] as const) {
      for (const line of relay
        .output()
        .split('\n')
        .filter((l) => l.includes('"relay-stats"')))
        log(`relay ${name}: ${line}`);
    }
    reports.forEach((r, i) => {
      for (const w of r.written) {
        sentAt.set(w.id, { at: w.at - children[i].offset, relay: w.relay === 0 ? 'a' : 'b' });
        written.push(w.id);
      }
    });
    const writingSeconds = SECONDS;
    const missing = () => written.filter((id) => replicas.some((m) => !m.full.records.has(id)) || probes.some((p) => !p.seen.has(id))).length;
    log(`writing done; waiting for every full replica and probe to hold all ${written.length} threads`);
    const lost = await waitFor('every replica to hold every record', missing, (n) => n === 0, 60_000, 1_000).catch(() => missing());
    const acked = reports.reduce((n, r) => n + r.acked, 0);
    const received = reports.reduce((n, r) => n + r.received, 0);
    log(`light members: ${acked} writes acknowledged, ${received} updates received (${(received / writingSeconds).toFixed(0)} per second)`);
    const rss = rssMb(a.child.pid) + rssMb(b.child.pid);
    // Write on a member of one relay → read by a probe on the other.
    const samples: number[] = [];
    for (const p of probes) {
      for (const [id, at] of p.seen) {
        const sent = sentAt.get(id);
        if (sent && sent.relay !== p.relay) samples.push(at - sent.at);
      }
    }
    samples.sort((x, y) => x - y);
    log(`fan-out latency p50 / p95 / p99 / max: ${[50, 95, 99, 100].map((q) => percentile(samples, q).toFixed(0)).join(' / ')} ms`);
    log(
      `${written.length} threads in ${writingSeconds.toFixed(1)} s, ${samples.length} timed arrivals; relays' RSS ${rssBefore.toFixed(0)} MB before writing, ${rss.toFixed(0)} MB after`
    );
    log(`fan-out: ${((written.length * CLIENTS) / writingSeconds).toFixed(0)} deliveries per second to members`);
    emit('relay.fanout_p50_ms', percentile(samples, 50), 'ms');
    emit('relay.fanout_p95_ms', percentile(samples, 95), 'ms');
    emit('relay.updates_per_s', written.length / writingSeconds, 'updates/s');
    emit('relay.rss_mb_per_1k_clients', rss / (CLIENTS / 1000), 'mb');
    emit('relay.lost_updates', lost, 'count');
  } finally {
    fleetProcs.forEach((c) => c.kill());
    clients.forEach((c) => c.destroy());
    lights.forEach((l) => l.close());
    await Promise.all([a.stop(), b.stop()]);
    await redis.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  relayFigures().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    }
  );
}
