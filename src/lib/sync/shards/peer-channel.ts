// The shard sync over the simple-peer connections y-webrtc opens: one ShardPeer per connection of the
// community's mesh, its messages sent and received beside y-webrtc's (first byte SHARD_MAGIC; the
// simple-peer patch in webrtc-chunking.ts frames large ones and hands them to side handlers, so a
// month's history past 256 KiB crosses like the whole document did). Connections of other rooms
// (the lobby, other communities) are not this sync's peers: their shard messages are ignored here.
import { onSideMessage, SHARD_MAGIC, sendSide } from '../webrtc-chunking';
import type { ShardPeer, ShardSync } from './shard-sync';

export class ShardPeers {
  #bound = new Map<object, ShardPeer>();
  #off: () => void;

  /** `peers`: the simple-peer objects of the mesh's connections now (PeerSync.meshPeers). */
  constructor(
    readonly sync: ShardSync,
    readonly peers: () => Iterable<object>
  ) {
    this.#off = onSideMessage((peer, bytes) => this.#receive(peer, bytes), SHARD_MAGIC);
  }

  /** Binds new connections and lets go of closed ones: call on y-webrtc's `peers` event. */
  refresh(): void {
    const now = new Set(this.peers());
    for (const [peer, bound] of this.#bound) {
      if (!now.has(peer)) {
        this.#bound.delete(peer);
        this.sync.removePeer(bound);
      }
    }
    for (const peer of now) this.#bind(peer);
  }

  stop(): void {
    this.#off();
    for (const bound of this.#bound.values()) this.sync.removePeer(bound);
    this.#bound.clear();
  }

  #bind(peer: object): ShardPeer {
    let bound = this.#bound.get(peer);
    if (!bound) {
      bound = this.sync.addPeer({ send: (bytes) => void sendSide(peer, bytes) });
      this.#bound.set(peer, bound);
    }
    return bound;
  }

  #receive(peer: object, bytes: Uint8Array): void {
    // A message can come before y-webrtc's `peers` event names the connection.
    if (!this.#bound.has(peer) && ![...this.peers()].includes(peer)) return;
    this.#bind(peer).receive(bytes);
  }
}
