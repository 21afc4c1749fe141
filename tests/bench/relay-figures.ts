// Relay cluster figures (relay.*): simulated members on two relay processes sharing Debian's
// redis-server, on loopback, for a bounded time. Every member is a real member (signed join on an
// open invite), proves its key to its relay and writes signed threads from its own Yjs document at
// a steady pace, half of them on each relay. 20 of them (10 per relay) are full replicas through the
// app's RelayLink, in this process: they time arrivals (writes by replicas on one relay, seen by
// replicas on the other) and are checked for losses; the rest are light members (light-member.ts,
// in two child processes, light-fleet.ts) that write as often and receive the whole fan-out but
// only count it.
//   relay.fanout_p50_ms / relay.fanout_p95_ms  write on a client → seen by probe clients on the other relay
//   relay.updates_per_s                          records written and fanned out per second, cluster-wide
//   relay.rss_mb_per_1k_clients                  both relays' resident memory at the end, per 1,000 clients
//   relay.lost_updates                           written records some client lacks once writing stopped
// Run: `npm run bench -- --only relay`, or alone:
//   node --max-old-space-size=8192 --import tsx tests/bench/relay-figures.ts
// Settings (environment): RELAY_BENCH_CLIENTS (1000), RELAY_BENCH_SECONDS (60), RELAY_BENCH_WRITE_EVERY_MS (30000).
import { readFileSync } from 'node:fs';
import { sealRecord } from '../../src/lib/crypto/record-seal';
import { randomId } from '../../src/lib/crypto/encoding';
import { generateIdentity, type Identity, type StoredKeys } from '../../src/lib/crypto/identity';
import { generateInviteKey, signJoinProof } from '../../src/lib/crypto/invite-key';
import type { AnyRecord } from '../../src/lib/domain/record';
import { relayRoomName } from '../../src/lib/sync/relay-client';
import { memberClient, startRedis, startRelayProcess, waitFor, type MemberClient } from '../../relay/local-cluster';
import { fork, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';

const CLIENTS = Number(process.env.RELAY_BENCH_CLIENTS ?? 1000);
const SECONDS = Number(process.env.RELAY_BENCH_SECONDS ?? 60);
const WRITE_EVERY_MS = Number(process.env.RELAY_BENCH_WRITE_EVERY_MS ?? 30_000);
/** Full replicas per relay: they time arrivals and are checked for losses at the end. */
const PROBES = 10;
/** Child processes for the light members. */
const FLEETS = 2;

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
  const [a, b] = await Promise.all([startRelayProcess({ redis: url, name: 'bench-a' }), startRelayProcess({ redis: url, name: 'bench-b' })]);
  const clients: MemberClient[] = [];
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

    // The full replicas (the app's RelayLink, alternating relays, each listing the other as its
    // failover) live here and take the measurements; the light members live in FLEETS child processes.
    const replicas: { relay: 'a' | 'b'; identity: Identity; full: MemberClient }[] = [];
    const t0 = Date.now();
    for (let j = 0; j < Math.min(CLIENTS, 2 * PROBES); j++) {
      const relay = j % 2 === 0 ? 'a' : 'b';
      const full = memberClient(relay === 'a' ? [a.url, b.url] : [b.url, a.url], room, members[j], { delay: 500, maxDelay: 5000 });
      clients.push(full);
      replicas.push({ relay, identity: members[j], full });
    }
    await waitFor('full replicas to sync', () => replicas.every((m) => m.full.link.member && m.full.records.size >= setup.length), Boolean, 120_000, 100);
    const rest = stored.slice(replicas.length);
    const fleets = Array.from({ length: FLEETS }, (_, f) => rest.filter((_, i) => i % FLEETS === f)).filter((part) => part.length);
    const children = fleets.map((part) => {
      const child = fork(fileURLToPath(new URL('./light-fleet.ts', import.meta.url)), [], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc']
      });
      fleetProcs.push(child);
      // The load generators stand in for a thousand devices elsewhere: on this machine they yield the
      // CPU to the relays and the measuring replicas, so the figures are the relays' and not the simulators'.
      if (child.pid) setPriority(child.pid, 15);
      const messages: Record<string, unknown>[] = [];
      child.on('message', (m) => messages.push(m as Record<string, unknown>));
      child.send({ members: part, urls: [a.url, b.url], room, cid });
      return { child, messages, wait: (key: string) => waitFor(`a light fleet's ${key}`, () => messages.find((m) => key in m), Boolean, 300_000, 100) };
    });
    await Promise.all(children.map((c) => c.wait('ready')));
    log(
      `${CLIENTS} members connected (${replicas.length} full replicas here, ${rest.length} light in ${children.length} processes) in ${((Date.now() - t0) / 1000).toFixed(1)} s`
    );

    const sentAt = new Map<string, { at: number; relay: 'a' | 'b' }>();
    const samples: number[] = [];
    for (const m of replicas) {
      m.full.records.observe((event) => {
        const t = now();
        for (const k of event.keysChanged) {
          const sent = sentAt.get(k);
          if (sent && sent.relay !== m.relay) samples.push(t - sent.at);
        }
      });
    }

    const written: string[] = [];
    const rssBefore = rssMb(a.child.pid) + rssMb(b.child.pid);
    const start = now() + 500;
    const end = start + SECONDS * 1000;
    children.forEach((c) => c.child.send({ start, end, writeEveryMs: WRITE_EVERY_MS }));
    const progress = setInterval(() => {
      log(
        `  ${((now() - start) / 1000).toFixed(0)} s: ${samples.length} timed arrivals, relays' RSS ${(rssMb(a.child.pid) + rssMb(b.child.pid)).toFixed(0)} MB`
      );
    }, 10_000);
    // Each member writes every WRITE_EVERY_MS from a random offset: a steady cluster-wide rate.
    await Promise.all(
      replicas.map(async (m, i) => {
        let next = start + Math.random() * WRITE_EVERY_MS;
        let n = 0;
        while (next < end) {
          await new Promise((r) => setTimeout(r, Math.max(0, next - now())));
          const record = await sealRecord(m.identity, { kind: 'thread', cid, ts: Date.now(), body: { title: `m${i} #${n++}`, body: 'Riding on Sunday?' } });
          sentAt.set(record.id, { at: now(), relay: m.relay });
          m.full.records.set(record.id, record);
          written.push(record.id);
          next += WRITE_EVERY_MS;
        }
      })
    );
    const reports = (await Promise.all(children.map((c) => c.wait('done')))) as { written: string[]; acked: number; received: number }[];
    clearInterval(progress);
    for (const r of reports) written.push(...r.written);
    const writingSeconds = SECONDS;
    const missing = () => written.filter((id) => replicas.some((m) => !m.full.records.has(id))).length;
    log(`writing done; waiting for every full replica to hold all ${written.length} threads`);
    const lost = await waitFor('every replica to hold every record', missing, (n) => n === 0, 60_000, 1_000).catch(() => missing());
    const acked = reports.reduce((n, r) => n + r.acked, 0);
    const received = reports.reduce((n, r) => n + r.received, 0);
    log(`light members: ${acked} writes acknowledged, ${received} updates received (${(received / writingSeconds).toFixed(0)} per second)`);
    const rss = rssMb(a.child.pid) + rssMb(b.child.pid);
    samples.sort((x, y) => x - y);
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
