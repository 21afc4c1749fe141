// The shard sync over the simple-peer connections y-webrtc opens: one link per connection of the
// community's mesh, its messages sent and received beside y-webrtc's (first byte SHARD_MAGIC; the
// simple-peer patch in webrtc-chunking.ts frames large ones and hands them to side handlers, so a
// month's history past 256 KiB crosses like the whole document did). Connections of other rooms
// (the lobby, other communities) are not this sync's peers: their shard messages are ignored here.
//
// The sync itself sits behind a `ShardEndpoint`: a `ShardSync` on this thread (`localEndpoint`), or
// the community worker's, which the page relays each connection's bytes to (remote-doc.ts): workers
// have no RTCPeerConnection.
import { onSideMessage, SHARD_MAGIC, sendSide } from '../webrtc-chunking';
import type { ShardSync } from './shard-sync';

/** One peer connection as the shard sync sees it. */
export interface ShardLink {
  receive(bytes: Uint8Array): void;
  close(): void;
}

/** Where a connection's shard messages go, and whence its answers come (`send`). */
export interface ShardEndpoint {
  connect(send: (bytes: Uint8Array) => void): ShardLink;
}

/** A shard sync on this thread as an endpoint. */
export function localEndpoint(sync: ShardSync): ShardEndpoint {
  return {
    connect(send) {
      const peer = sync.addPeer({ send });
      return { receive: (bytes) => peer.receive(bytes), close: () => sync.removePeer(peer) };
    }
  };
}

export class ShardPeers {
  #bound = new Map<object, ShardLink>();
  #off: () => void;

  /**
   * `peers`: the simple-peer objects of the mesh's open connections now (PeerSync.meshPeers);
   * `knows`: whether a connection is the mesh's, open or opening (a peer's first message can come
   * before this side's 'connect', and a message proves the channel open).
   */
  constructor(
    readonly endpoint: ShardEndpoint,
    readonly peers: () => Iterable<object>,
    readonly knows: (peer: object) => boolean = (peer) => [...peers()].includes(peer)
  ) {
    this.#off = onSideMessage((peer, bytes) => this.#receive(peer, bytes), SHARD_MAGIC);
  }

  /** Binds new connections and lets go of closed ones: call on y-webrtc's `peers` event. */
  refresh(): void {
    const now = new Set(this.peers());
    for (const [peer, bound] of this.#bound) {
      if (!now.has(peer) && !this.knows(peer)) {
        this.#bound.delete(peer);
        bound.close();
      }
    }
    for (const peer of now) this.#bind(peer);
  }

  stop(): void {
    this.#off();
    for (const bound of this.#bound.values()) bound.close();
    this.#bound.clear();
  }

  #bind(peer: object): ShardLink {
    let bound = this.#bound.get(peer);
    if (!bound) {
      bound = this.endpoint.connect((bytes) => void sendSide(peer, bytes));
      this.#bound.set(peer, bound);
    }
    return bound;
  }

  #receive(peer: object, bytes: Uint8Array): void {
    if (!this.#bound.has(peer) && !this.knows(peer)) return;
    this.#bind(peer).receive(bytes);
  }
}
