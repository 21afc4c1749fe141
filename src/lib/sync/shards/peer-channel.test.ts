// The shard sync over simple-peer stand-ins patched by installChunking, as the real class is: months
// past the frame size cross in frames, y-webrtc's own messages still reach y-webrtc, and a
// connection outside the mesh is not answered.
import { afterEach, describe, expect, it } from 'vitest';
import { CORE_SHARD } from '../../domain/shards';
import { linkedPair } from '../linked-peers';
import { FRAME_PAYLOAD } from '../webrtc-chunking';
import { localEndpoint, ShardPeers } from './peer-channel';
import { MemoryShardStorage, ShardSet } from './shard-set';
import { ShardSync } from './shard-sync';
import { record, until } from './shard-test-kit';

const NOW = Date.UTC(2026, 4, 15);

const stops: (() => void)[] = [];
afterEach(() => stops.splice(0).forEach((f) => f()));

async function device() {
  const set = await new ShardSet({ storage: new MemoryShardStorage(), now: () => NOW }).init();
  const sync = new ShardSync(set, { now: () => NOW });
  stops.push(() => sync.destroy());
  return { set, sync };
}

describe('shard sync over simple-peer connections', () => {
  it('syncs every shard of a mesh peer, large months in frames, leaving y-webrtc’s messages to it', async () => {
    const a = await device();
    const b = await device();
    const long = 'x'.repeat(12_000);
    await a.set.put([record('genesis', Date.UTC(2024, 0, 1), { name: 'C' })]);
    // Three months of 8 posts of 12 KB: each month's step 2 is past the 60 KiB frame size.
    for (let i = 0; i < 3; i++) await a.set.put(Array.from({ length: 8 }, (_, n) => record('thread', Date.UTC(2026, 4 - i, n + 1), { body: long })));
    const [toB, toA] = linkedPair(); // toB lives on A's side: what A sends goes to B
    const peersOfA = new ShardPeers(localEndpoint(a.sync), () => [toB]);
    const peersOfB = new ShardPeers(localEndpoint(b.sync), () => [toA]);
    stops.push(
      () => peersOfA.stop(),
      () => peersOfB.stop()
    );
    peersOfA.refresh();
    peersOfB.refresh();
    await until(() => b.set.catalogue().length === 4, 5_000, 'every shard');
    expect((await b.set.records('2026-04')).size).toBe(8);
    expect(toB.largest).toBeLessThanOrEqual(FRAME_PAYLOAD + 9);
    // A y-webrtc message (sync step 1, type 0) passes by the shard sync to y-webrtc.
    toB.send(new Uint8Array([0, 0, 1, 0]));
    await until(() => toA.read.length === 1, 1_000, 'the plain message');
    expect(toA.read[0]).toEqual(new Uint8Array([0, 0, 1, 0]));
    expect(b.set.isHeld(CORE_SHARD)).toBe(true);
  });

  it('ignores shard messages from connections outside the mesh', async () => {
    const a = await device();
    const b = await device();
    await a.set.put([record('genesis', Date.UTC(2024, 0, 1), { name: 'C' })]);
    const [toB] = linkedPair();
    const peersOfA = new ShardPeers(localEndpoint(a.sync), () => [toB]);
    // B's mesh does not include this connection (a lobby peer, say).
    const peersOfB = new ShardPeers(localEndpoint(b.sync), () => []);
    stops.push(
      () => peersOfA.stop(),
      () => peersOfB.stop()
    );
    peersOfA.refresh();
    peersOfB.refresh();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(b.sync.peers()).toEqual([]);
    expect(b.set.catalogue()).toEqual([]);
  });
});
