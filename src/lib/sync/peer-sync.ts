// Connects one community's document to its peers: y-webrtc (room = community id, password =
// room secret; BroadcastChannel between tabs, see tab-sync.ts) and, when configured, the community's
// relays (relay-client.ts: Hocuspocus, membership challenge, failover across addresses).
// Presence travels in awareness, signed (crypto/presence); records only travel in the document.
import { Room, WebrtcProvider } from 'y-webrtc';
// The same simple-peer build y-webrtc uses: patched so that histories past 256 KiB cross the channel.
import SimplePeer from 'simple-peer/simplepeer.min.js';
import { installChunking } from './webrtc-chunking';
import { installTabSync } from './tab-sync';
import { guardedWebSocket } from './relay-socket';
import { RelayLink, relayAddresses, relayRoomName } from './relay-client';
import type { CommunityDoc } from './community-doc';
import type { Identity } from '../crypto/identity';
import { PRESENCE_REFRESH_MS, signPresence } from '../crypto/presence';
import { PresenceRoster, type OnlinePeer } from './presence-roster';

export type { OnlinePeer };

export interface SyncSettings {
  secret: string;
  signaling: string[];
  relay: string | null;
}

/**
 * Who this device is in a community. Only a device given the member's identity announces presence
 * (it must sign it); the name is not sent: receivers name members from their profiles.
 */
export interface Presence {
  key: string;
  name?: string;
  identity?: Identity;
}


export interface SyncStatus {
  connected: boolean;
  /** Peers reachable now: WebRTC connections plus other tabs of this browser. */
  peers: number;
  relayConnected: boolean;
  online: OnlinePeer[];
  /** Other peers' awareness states without a claim that verified (never named). */
  unverified: number;
  lastSyncAt: number | null;
  paused: boolean;
}

function isLocal(url: string): boolean {
  return /^wss?:\/\/(localhost|127\.|\[::1\])/.test(url);
}

export { relayRoomName };

export class PeerSync {
  status: SyncStatus = { connected: false, peers: 0, relayConnected: false, online: [], unverified: 0, lastSyncAt: null, paused: false };
  readonly listeners = new Set<(s: SyncStatus) => void>();
  #webrtc: WebrtcProvider | null = null;
  #relay: RelayLink | null = null;
  #detach: (() => void)[] = [];
  #identity: Identity | null;
  #announcedAt = 0;
  readonly #roster: PresenceRoster;

  constructor(
    readonly community: CommunityDoc,
    readonly settings: SyncSettings,
    me: Presence
  ) {
    this.#identity = me.identity ?? null;
    this.#roster = new PresenceRoster(community.cid, () => this.#update());
  }

  /** Announces this member's presence from now on (a sync started without the identity, e.g. by the inbox). */
  announceAs(identity: Identity): void {
    if (this.#identity?.publicKey === identity.publicKey) return;
    this.#identity = identity;
    void this.#announce();
    this.#relay?.prove();
  }

  async start(): Promise<void> {
    if (this.#webrtc) return;
    installChunking(SimplePeer as never);
    installTabSync(Room);
    const doc = this.community.doc;
    const iceServers = this.settings.signaling.every(isLocal) ? [] : [{ urls: 'stun:stun.l.google.com:19302' }];
    const webrtc = new WebrtcProvider(this.community.cid, doc, {
      signaling: this.settings.signaling,
      password: this.settings.secret,
      peerOpts: { config: { iceServers } }
    });
    this.#webrtc = webrtc;
    void this.#announce();
    const onPeers = () => this.#update();
    webrtc.on('peers', onPeers);
    webrtc.on('synced', onPeers);
    // A disconnect clears the local awareness state: sign a fresh claim on every (re)connect.
    webrtc.on('status', ({ connected }: { connected: boolean }) => {
      if (connected) void this.#announce();
      this.#update();
    });
    // Re-sign before receivers find the claim stale, and drop peers whose claims went stale.
    const tick = setInterval(() => {
      if (Date.now() - this.#announcedAt >= PRESENCE_REFRESH_MS - 5_000) void this.#announce();
      this.#update();
    }, PRESENCE_REFRESH_MS / 2);
    this.#detach.push(() => clearInterval(tick));
    const onAwareness = () => this.#update();
    webrtc.awareness.on('change', onAwareness);
    const onUpdate = (_u: Uint8Array, origin: unknown) => {
      if (origin && typeof origin === 'object' && origin !== this.community) {
        this.status.lastSyncAt = Date.now();
        this.#update();
      }
    };
    doc.on('update', onUpdate);
    this.#detach.push(() => doc.off('update', onUpdate));

    const addresses = relayAddresses(this.settings.relay);
    if (addresses.length) {
      const room = await relayRoomName(this.community.cid, this.settings.secret);
      if (this.#webrtc !== webrtc) return;
      this.#relay = new RelayLink({
        addresses,
        room,
        doc,
        awareness: webrtc.awareness,
        identity: () => this.#identity,
        WebSocketPolyfill: guardedWebSocket(doc),
        onStatus: (connected) => {
          if (connected) void this.#announce();
          this.#update();
        },
        onSynced: () => this.#update()
      });
    }
    this.#update();
  }

  /** Stops talking to peers (offline, or paused by the member); the document keeps working locally. */
  pause(paused: boolean): void {
    this.status.paused = paused;
    if (paused) {
      this.#webrtc?.disconnect();
      this.#relay?.disconnect();
    } else {
      this.#webrtc?.connect();
      this.#relay?.connect();
    }
    this.#update();
  }

  destroy(): void {
    this.#detach.forEach((f) => f());
    this.#relay?.destroy();
    this.#webrtc?.destroy();
    this.#webrtc = null;
    this.#relay = null;
    this.#roster.clear();
  }

  /** Signs a fresh presence claim for this device's awareness client id. */
  async #announce(): Promise<void> {
    const webrtc = this.#webrtc;
    const identity = this.#identity;
    if (!webrtc || !identity) return;
    const at = Date.now();
    const claim = await signPresence(identity, this.community.cid, webrtc.awareness.clientID, at);
    if (this.#webrtc !== webrtc || this.#identity !== identity || at < this.#announcedAt) return;
    this.#announcedAt = at;
    // Not setLocalStateField: after a disconnect the local state is null and that call does nothing.
    webrtc.awareness.setLocalState({ ...(webrtc.awareness.getLocalState() ?? {}), member: claim });
  }

  #update(): void {
    const webrtc = this.#webrtc;
    const room = webrtc?.room;
    this.status = {
      ...this.status,
      connected: !!webrtc?.connected,
      peers: room ? room.webrtcConns.size + room.bcConns.size : 0,
      relayConnected: !!this.#relay?.connected,
      ...(webrtc ? this.#roster.sort(webrtc.awareness.getStates(), webrtc.awareness.clientID, Date.now()) : { online: [], unverified: 0 })
    };
    for (const listener of this.listeners) listener(this.status);
  }
}
