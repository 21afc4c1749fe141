// A community's shards on a relay (in this process, no Redis), each its own Hocuspocus document,
// synced by clients over one WebSocket each (sync/shards/relay-shards.ts): the core and a month
// travel side by side, the relay keeps a month's records out of the core and the core's out of the
// month, and judges a month's writers by its core even when no client has the core open.
import { afterAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { randomId } from '../src/lib/crypto/encoding';
import type { Identity } from '../src/lib/crypto/identity';
import { CORE_SHARD, monthOf } from '../src/lib/domain/shards';
import { relayRoomName } from '../src/lib/sync/relay-rooms';
import { RelayShards } from '../src/lib/sync/shards/relay-shards';
import { emptyGateCounts, registerShardGate } from '../src/lib/sync/shards/shard-gate';
import { admit, newCommunity, newMember, writer } from '../tests/unit/community-fixture';
import { inProcessRelay, NodeWebSocket, waitFor } from './local-cluster';

const Base = NodeWebSocket as new (...args: unknown[]) => object;
let sockets = 0;
/** Node's WebSocket, counted: each RelayShards must open one, whatever the number of shards. */
class CountedWebSocket extends Base {
  constructor(...args: unknown[]) {
    super(...args);
    sockets++;
  }
}

const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

const MONTH = monthOf(1_700_000_001_000);

function client(address: string, room: string, identity: Identity) {
  const shards = new RelayShards({ address, room, identity: () => identity, WebSocketPolyfill: CountedWebSocket, delay: 100, maxDelay: 1000 });
  cleanup.push(() => shards.destroy());
  const docs = new Map<string, Y.Doc>();
  const open = async (shard: string) => {
    const doc = new Y.Doc();
    registerShardGate(doc, shard, emptyGateCounts());
    docs.set(shard, doc);
    const link = shards.attach(shard, doc);
    await waitFor(
      `the proof for ${shard}`,
      () => link.member,
      (m) => m === identity.publicKey,
      20_000
    );
    return doc;
  };
  const acknowledged = (shard: string) =>
    waitFor(
      `${shard} acknowledged`,
      () => shards.link(shard)?.unsynced,
      (n) => n === 0,
      20_000
    );
  return { shards, docs, open, acknowledged };
}

describe('shards on a relay', { timeout: 60_000 }, () => {
  it('serves each shard as its own document over one socket per client, gated to its shard; a month let go and attached again on the same socket syncs again', async () => {
    const { relay, address } = await inProcessRelay('hearth-shards-');
    cleanup.push(() => relay.close());
    const creator = await newMember();
    const bob = await newMember();
    const genesis = await newCommunity(creator);
    const cid = genesis.id;
    const room = await relayRoomName(cid, randomId(32));
    const [invite, joined] = await admit(creator, bob, cid);
    const thread = await writer(creator, cid)('thread', { title: 'Hello', body: 'month one' });
    const profile = await writer(bob, cid)('profile', { name: 'Bob' });

    const before = sockets;
    const a = client(address, room, creator);
    const aCore = await a.open(CORE_SHARD);
    const aMonth = await a.open(MONTH);
    aCore.transact(() => [genesis, invite, joined].forEach((r) => aCore.getMap('records').set(r.id, r)));
    // A core record written into the month's document by a careless client: the relay keeps it out.
    aMonth.transact(() => [thread, profile].forEach((r) => aMonth.getMap('records').set(r.id, r)));
    await a.acknowledged(CORE_SHARD);
    await a.acknowledged(MONTH);
    expect(sockets - before).toBe(1);

    const b = client(address, room, bob);
    const bMonth = await b.open(MONTH);
    const bCore = await b.open(CORE_SHARD);
    await waitFor(
      'the month on B',
      () => bMonth.getMap('records').has(thread.id),
      (x) => x,
      20_000
    );
    await waitFor(
      'the core on B',
      () => bCore.getMap('records').size,
      (n) => n === 3,
      20_000
    );
    expect(bMonth.getMap('records').has(profile.id)).toBe(false);
    expect(sockets - before).toBe(2);
    expect(relay.counters.dropped).toBeGreaterThanOrEqual(1);

    // With the core's clients gone, the relay keeps the core loaded for the month it judges.
    a.shards.detach(CORE_SHARD);
    b.shards.detach(CORE_SHARD);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const reply = await writer(bob, cid, 1_700_000_005_000)('reply', { thread: thread.id, parent: thread.id, body: 'from the month alone' });
    bMonth.getMap('records').set(reply.id, reply);
    await b.acknowledged(MONTH);
    await waitFor(
      'the reply on A',
      () => aMonth.getMap('records').has(reply.id),
      (x) => x,
      20_000
    );
    expect(b.shards.link(MONTH)?.refused.size).toBe(0);

    // A month let go (an older month synced empty, an evicted one) and attached again over the same
    // socket, as a fetch does: it proves itself again and gets what was written meanwhile.
    b.shards.detach(MONTH);
    const later = await writer(creator, cid, 1_700_000_006_000)('reply', { thread: thread.id, parent: thread.id, body: 'while B was away' });
    aMonth.getMap('records').set(later.id, later);
    await a.acknowledged(MONTH);
    const again = await b.open(MONTH);
    await waitFor(
      'the later reply on B’s month attached again',
      () => again.getMap('records').has(later.id) && again.getMap('records').has(reply.id),
      (x) => x,
      20_000
    );
    expect(sockets - before).toBe(2);
  });
});
