// Relay cluster figures (relay.*): simulated members on two relay processes sharing Debian's
// redis-server, on loopback, for a bounded time. Every member is a real member (signed join on an
// open invite), proves its key to its relay and writes signed threads from its own Yjs document at
// a steady pace, half of them on each relay. 50 of them (25 per relay) are full replicas through the
// app's RelayLink: they time arrivals and are checked for losses; the rest are light members
// (light-member.ts) that receive the whole fan-out but only count it.
//   relay.fanout_p50_ms / relay.fanout_p95_ms  write on a client → seen by probe clients on the other relay
//   relay.updates_per_s                          records written and fanned out per second, cluster-wide
//   relay.rss_mb_per_1k_clients                  both relays' resident memory at the end, per 1,000 clients
//   relay.lost_updates                           written records some client lacks once writing stopped
// Run: `npm run bench -- --only relay`, or alone:
//   node --max-old-space-size=8192 --import tsx tests/bench/relay-figures.ts
// Settings (environment): RELAY_BENCH_CLIENTS (1000), RELAY_BENCH_SECONDS (60), RELAY_BENCH_WRITE_EVERY_MS (10000).
import { readFileSync } from 'node:fs';
import { sealRecord } from '../../src/lib/crypto/record-seal';
import { randomId } from '../../src/lib/crypto/encoding';
import { generateIdentity, type Identity } from '../../src/lib/crypto/identity';
import { generateInviteKey, signJoinProof } from '../../src/lib/crypto/invite-key';
import type { AnyRecord } from '../../src/lib/domain/record';
import { relayRoomName } from '../../src/lib/sync/relay-client';
import { memberClient, startRedis, startRelayProcess, waitFor, type MemberClient } from '../../relay/local-cluster';
import { LightMember } from './light-member';

const CLIENTS = Number(process.env.RELAY_BENCH_CLIENTS ?? 1000);
const SECONDS = Number(process.env.RELAY_BENCH_SECONDS ?? 60);
const WRITE_EVERY_MS = Number(process.env.RELAY_BENCH_WRITE_EVERY_MS ?? 10_000);
/** Full replicas per relay: they time arrivals and are checked for losses at the end. */
const PROBES = 25;
const CONNECT_BATCH = 50;

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
  const lights: LightMember[] = [];
  for (const [name, relay] of [['A', a], ['B', b]] as const) {
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
    const setup: AnyRecord[] = [genesis, invite];
    for (let i = 0; i < CLIENTS; i++) {
      const m = (await generateIdentity()).identity;
      members.push(m);
      const proof = signJoinProof(key.seed, { cid, invite: invite.id, member: m.publicKey });
      setup.push(await sealRecord(m, { kind: 'join', cid, ts: Date.now(), body: { invite: invite.id, key: key.publicKey, proof } }));
    }
    const first = memberClient([a.url], room, creator);
    clients.push(first);
    await first.proven();
    first.doc.transact(() => setup.forEach((r) => first.records.set(r.id, r)));
    await waitFor('the community on the relay', () => first.link.unsynced, (n) => n === 0, 60_000);
    log(`community of ${setup.length} records on relay A`);

    // Members connect in batches, alternating relays; the first 2 × PROBES are full replicas (each
    // lists the other relay as its failover).
    type Member = { relay: 'a' | 'b'; identity: Identity; full?: MemberClient; light?: LightMember };
    const all: Member[] = [];
    const t0 = Date.now();
    for (let i = 0; i < CLIENTS; i += CONNECT_BATCH) {
      const batch: Member[] = [];
      for (let j = i; j < Math.min(CLIENTS, i + CONNECT_BATCH); j++) {
        const relay = j % 2 === 0 ? 'a' : 'b';
        const [mine, other] = relay === 'a' ? [a.url, b.url] : [b.url, a.url];
        const m: Member =
          j < 2 * PROBES
            ? { relay, identity: members[j], full: memberClient([mine, other], room, members[j], { delay: 500, maxDelay: 5000 }) }
            : { relay, identity: members[j], light: new LightMember(mine, room, members[j]) };
        if (m.light) lights.push(m.light);
        if (m.full) clients.push(m.full);
        batch.push(m);
      }
      all.push(...batch);
      await waitFor('a batch to prove itself', () => batch.every((m) => (m.full ? m.full.link.member === m.identity.publicKey : m.light!.member)), Boolean, 120_000, 100);
      await waitFor('full replicas to sync', () => batch.every((m) => !m.full || m.full.records.size >= setup.length), Boolean, 120_000, 100);
    }
    const replicas = all.filter((m) => m.full);
    log(`${all.length} members connected (${replicas.length} full replicas) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const sentAt = new Map<string, { at: number; relay: 'a' | 'b' }>();
    const samples: number[] = [];
    for (const m of replicas) {
      m.full!.records.observe((event) => {
        const t = now();
        for (const k of event.keysChanged) {
          const sent = sentAt.get(k);
          if (sent && sent.relay !== m.relay) samples.push(t - sent.at);
        }
      });
    }

    const written: string[] = [];
    const rssBefore = rssMb(a.child.pid) + rssMb(b.child.pid);
    const start = now();
    const end = start + SECONDS * 1000;
    const progress = setInterval(() => {
      log(`  ${((now() - start) / 1000).toFixed(0)} s: ${written.length} written, ${samples.length} timed arrivals, relays' RSS ${(rssMb(a.child.pid) + rssMb(b.child.pid)).toFixed(0)} MB, this process's ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`);
    }, 10_000);
    // Each member writes every WRITE_EVERY_MS from a random offset: a steady cluster-wide rate.
    await Promise.all(
      all.map(async (m, i) => {
        let next = start + Math.random() * WRITE_EVERY_MS;
        let n = 0;
        while (next < end) {
          await new Promise((r) => setTimeout(r, Math.max(0, next - now())));
          const record = await sealRecord(m.identity, { kind: 'thread', cid, ts: Date.now(), body: { title: `m${i} #${n++}`, body: 'Riding on Sunday?' } });
          sentAt.set(record.id, { at: now(), relay: m.relay });
          if (m.full) m.full.records.set(record.id, record);
          else m.light!.write(record.id, record);
          written.push(record.id);
          next += WRITE_EVERY_MS;
        }
      })
    );
    clearInterval(progress);
    const writingSeconds = (now() - start) / 1000;
    const missing = () => written.filter((id) => replicas.some((m) => !m.full!.records.has(id))).length;
    log(`writing done; waiting for every full replica to hold all ${written.length} threads`);
    const lost = await waitFor('every replica to hold every record', missing, (n) => n === 0, 60_000, 1_000).catch(() => missing());
    const acked = all.reduce((n, m) => n + (m.light?.acked ?? 0), 0);
    const received = all.reduce((n, m) => n + (m.light?.received ?? 0), 0);
    log(`light members: ${acked} writes acknowledged, ${received} updates received (${(received / writingSeconds).toFixed(0)} per second)`);
    const rss = rssMb(a.child.pid) + rssMb(b.child.pid);
    samples.sort((x, y) => x - y);
    log(`${written.length} threads in ${writingSeconds.toFixed(1)} s, ${samples.length} timed arrivals; relays' RSS ${rssBefore.toFixed(0)} MB before writing, ${rss.toFixed(0)} MB after`);
    log(`fan-out: ${((written.length * all.length) / writingSeconds).toFixed(0)} deliveries per second to members`);
    emit('relay.fanout_p50_ms', percentile(samples, 50), 'ms');
    emit('relay.fanout_p95_ms', percentile(samples, 95), 'ms');
    emit('relay.updates_per_s', written.length / writingSeconds, 'updates/s');
    emit('relay.rss_mb_per_1k_clients', rss / (all.length / 1000), 'mb');
    emit('relay.lost_updates', lost, 'count');
  } finally {
    lights.forEach((l) => l.close());
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
