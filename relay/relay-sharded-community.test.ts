// A community held in shards through its relay (in this process, no Redis), with months opened
// lazily: the creator's device, which keeps no idle month open, visits every month's room each time
// its core syncs (opened, synced, let go), so the relay gets months no page opened; a newcomer that
// meets no peer gets them from the relay alone, and months the relay and it hold nothing of are
// forgotten. Real signed records, real fake-indexeddb databases, real WebSockets.
import 'fake-indexeddb/auto';
import { afterAll, describe, expect, it } from 'vitest';
import { randomId } from '../src/lib/crypto/encoding';
import type { Identity } from '../src/lib/crypto/identity';
import type { AnyRecord } from '../src/lib/domain/record';
import { monthOf, shardOf, type ShardId } from '../src/lib/domain/shards';
import { HearthDb } from '../src/lib/store/db';
import { relayRoomName } from '../src/lib/sync/relay-rooms';
import { ShardedCommunity } from '../src/lib/sync/sharded-community';
import type { RelayHandle } from '../src/lib/sync/doc-handle';
import { sealRecord } from '../src/lib/crypto/record-seal';
import { admit, newCommunity, newMember, writer } from '../tests/unit/community-fixture';
import { inProcessRelay, NodeWebSocket, waitFor } from './local-cluster';

// The app's relay sockets extend the platform's WebSocket (relay-socket.ts); Node 20 has none.
(globalThis as { WebSocket?: unknown }).WebSocket ??= NodeWebSocket;

const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

const MONTH = 30 * 24 * 3600_000;
const STARTS = [1_700_000_001_000, 1_700_000_001_000 + MONTH, 1_700_000_001_000 + 2 * MONTH];

async function device(cid: string, maxOpen: number): Promise<ShardedCommunity> {
  const community = new ShardedCommunity(new HearthDb(`relay-sharded-${randomId(8)}`), cid, { maxOpen });
  await community.open();
  cleanup.push(async () => {
    await community.settled();
    community.close();
  });
  return community;
}

function relayOf(community: ShardedCommunity, address: string, room: string, identity: Identity): Promise<RelayHandle> {
  return community
    .startRelay({ addresses: [address], room, identity, onStatus: () => {}, onSynced: () => {} })
    .then((handle) => (cleanup.push(() => handle.destroy()), handle));
}

/** A community founded `months` months ago with a thread a month since: each month a room whose first write crosses its proof. */
async function monthsOfThreads(months: number) {
  const alice = await newMember();
  const bob = await newMember();
  const founded = Date.now() - months * MONTH;
  const g = await sealRecord(alice, {
    kind: 'genesis',
    cid: '',
    ts: founded,
    body: { name: `${months} months of riders`, description: 'A test community', emoji: '🚲', color: '#cc5500', createdAt: founded, nonce: `n${months}` }
  });
  const core: AnyRecord[] = [g, ...(await admit(alice, bob, g.id, founded + 500))];
  const content: AnyRecord[] = [];
  for (let i = 1; i <= months; i++)
    content.push(await writer(alice, g.id, founded + i * MONTH - 5 * 24 * 3600_000)('thread', { title: `month ${i}`, body: 'hello' }));
  return { alice, bob, g, core, content, room: await relayRoomName(g.id, randomId(32)) };
}

/** The creator's device, holding every record, gives the relay its months; a newcomer meets only the relay. */
async function creatorAndNewcomer(address: string, { alice, bob, g, core, content, room }: Awaited<ReturnType<typeof monthsOfThreads>>) {
  const a = await device(g.id, 0);
  for (const r of [...core, ...content]) expect((await a.append(r)).ok).toBe(true);
  await a.settled();
  await relayOf(a, address, room, alice);
  const b = await device(g.id, 0);
  await relayOf(b, address, room, bob);
  await waitFor(
    'every month’s thread on a newcomer that meets only the relay',
    async () => b.db.threads.where('cid').equals(g.id).count(),
    (n) => n === content.length,
    60_000
  );
}

describe('a community held in shards on its relay', { timeout: 90_000 }, () => {
  it('a device that keeps no idle month open still gives the relay every month, and a newcomer meeting no peer gets them from it', async () => {
    const { relay, address } = await inProcessRelay('hearth-sharded-');
    cleanup.push(() => relay.close());
    const alice = await newMember();
    const bob = await newMember();
    const g = await newCommunity(alice);
    const core: AnyRecord[] = [g, ...(await admit(alice, bob, g.id))];
    const content: AnyRecord[] = [];
    for (const start of STARTS) {
      const a = writer(alice, g.id, start);
      for (let i = 0; i < 2; i++) content.push(await a('thread', { title: `thread ${start} ${i}`, body: 'hello' }));
    }
    const months = [...new Set(content.map(shardOf))] as ShardId[];
    const room = await relayRoomName(g.id, randomId(32));

    const a = await device(g.id, 0);
    for (const r of [...core, ...content]) expect((await a.append(r)).ok).toBe(true);
    await a.settled();
    expect(
      months.map((m) => a.isOpen(m)),
      'written months closed again'
    ).toEqual([false, false, false]);

    await relayOf(a, address, room, alice);
    const b = await device(g.id, 0);
    await relayOf(b, address, room, bob);
    await waitFor(
      'the three months’ threads on the newcomer',
      async () => b.db.threads.where('cid').equals(g.id).count(),
      (n) => n === 6,
      // Within the relay's 30 s reconnect: a month the creator pushed after the newcomer proved itself is told to it at once.
      20_000
    );
    await b.settled();
    for (const m of months) expect(b.digest(m), m).toBe(a.digest(m));
    await waitFor(
      'the creator’s visited months closed again',
      async () => (await a.settled(), months.filter((m) => a.isOpen(m))),
      (open) => open.length === 0,
      20_000
    );
    // The relay listed its three months: the newcomer visited those (and this month, where it writes), not ten years of empty ones.
    expect(b.opened.filter((m) => m !== 'core' && m !== monthOf(Date.now())).sort(), String(b.opened)).toEqual([...months].sort());
    // Evicted by the cap, a month comes back from the relay alone when read (no peer here).
    // (A month the relay's sweep is visiting now is in use, not evicted: asked again.)
    await waitFor(
      'the three months evicted',
      async () => (await b.keepMonths(1, null), months.every((m) => b.isEvicted(m))),
      (all) => all,
      10_000
    );
    expect(await b.db.threads.where('cid').equals(g.id).count()).toBe(0);
    expect(await b.fetchShard(months[0], 10_000)).toBe(true);
    await b.settled();
    expect(await b.db.threads.where('cid').equals(g.id).count()).toBe(2);
    expect(b.isEvicted(months[1])).toBe(true);
    // Months from the genesis to now that nobody wrote in are not kept as held.
    expect(
      (await b.shardList()).held
        .map((s) => s.id)
        .filter((id) => id !== 'core')
        .sort()
    ).toEqual([months[0]]);
  });
  it('a device holding more months than the relay lets a socket be refused gives a fresh relay every one of them on one socket', async () => {
    const { relay, address } = await inProcessRelay('hearth-sharded-');
    cleanup.push(() => relay.close());
    // Founded five years ago, a thread a month since.
    const community = await monthsOfThreads(60);
    expect(new Set(community.content.map(shardOf)).size).toBeGreaterThan(50);
    await creatorAndNewcomer(address, community);
    // Each month's first write came before its proof and was refused (then asked for again), without a strike.
    expect(relay.counters.refused['relay.no_proof'] ?? 0).toBeGreaterThan(50);
    expect(relay.counters.closed).toBe(0);
  });

  it('what the relay refuses over its message rate it asks for again: a device sweeping more months than the budget allows leaves none off the relay', async () => {
    // A budget a sweep overruns within its first months (the default, 50 a second after 300, is overrun by the real community's 143).
    const { relay, address } = await inProcessRelay('hearth-sharded-', {
      limits: { messagesPerSecond: 10, messageBurst: 30, bytesPerSecond: 64 * 1024 * 1024, byteBurst: 64 * 1024 * 1024 }
    });
    cleanup.push(() => relay.close());
    await creatorAndNewcomer(address, await monthsOfThreads(24));
    expect(relay.counters.refused['relay.rate_limited'] ?? 0, 'the budget was overrun').toBeGreaterThan(0);
    expect(relay.counters.closed).toBe(0);
  });
});
