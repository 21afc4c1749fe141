// A community's shards through its relay: each shard is a room of its own (`<room>.<shard>`,
// sync/relay-rooms.ts) and a Hocuspocus document on the relay, all over one WebSocket per relay
// (Hocuspocus multiplexes documents by name on a socket). A shard is attached while the device
// holds it open for syncing (the core and the newest months always; an old month while it is
// fetched or read) and detached after, so a device with years of history keeps a few rooms open.
// Each attachment is a RelayLink: the relay's challenge is per document, so the member proves
// itself for each shard's room. The shard's document has its gate registered (ShardSet), so what
// the relay sends passes the update filter and the shard rule like a peer's.
import type { HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import type * as Y from 'yjs';
import type { Identity } from '../../crypto/identity';
import type { ShardId } from '../../domain/shards';
import { RelayLink, relaySocket } from '../relay-client';
import { shardRoomName } from '../relay-rooms';

export interface RelayShardsOptions {
  /** One relay address (failover across several is the owner's: one RelayShards per address in use). */
  address: string;
  /** The community's room on the relay (relayRoomName). */
  room: string;
  identity: () => Identity | null;
  WebSocketPolyfill?: unknown;
  delay?: number;
  maxDelay?: number;
}

export class RelayShards {
  readonly socket: HocuspocusProviderWebsocket;
  #links = new Map<ShardId, RelayLink>();

  constructor(readonly options: RelayShardsOptions) {
    this.socket = relaySocket(options.address, options);
  }

  /** Syncs a shard's document with its room on the relay, over the shared socket. */
  attach(shard: ShardId, doc: Y.Doc, onSynced?: () => void): RelayLink {
    const existing = this.#links.get(shard);
    if (existing) return existing;
    const link = new RelayLink({
      addresses: [this.options.address],
      room: shardRoomName(this.options.room, shard),
      doc,
      awareness: null,
      identity: this.options.identity,
      socket: this.socket,
      onSynced
    });
    this.#links.set(shard, link);
    return link;
  }

  detach(shard: ShardId): void {
    this.#links.get(shard)?.destroy();
    this.#links.delete(shard);
  }

  link(shard: ShardId): RelayLink | undefined {
    return this.#links.get(shard);
  }

  attached(): ShardId[] {
    return [...this.#links.keys()];
  }

  destroy(): void {
    for (const shard of [...this.#links.keys()]) this.detach(shard);
    this.socket.destroy();
  }
}
