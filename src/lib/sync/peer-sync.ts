// Connects one community's document to its peers: y-webrtc (room = community id, password =
// room secret; BroadcastChannel between tabs, see tab-sync.ts) and, when configured, a relay running a Yjs
// websocket server. Presence travels in awareness; records only travel in the document.
import { Room, WebrtcProvider } from 'y-webrtc';
// The same simple-peer build y-webrtc uses: patched so that histories past 256 KiB cross the channel.
import SimplePeer from 'simple-peer/simplepeer.min.js';
import { installChunking } from './webrtc-chunking';
import { installTabSync } from './tab-sync';
import { guardedWebSocket } from './relay-socket';
import { WebsocketProvider } from 'y-websocket';
import { sha256, toBase64Url } from '../crypto/encoding';
import type { CommunityDoc } from './community-doc';

export interface SyncSettings {
  secret: string;
  signaling: string[];
  relay: string | null;
}

export interface Presence {
  key: string;
  name: string;
}

export interface SyncStatus {
  connected: boolean;
  /** Peers reachable now: WebRTC connections plus other tabs of this browser. */
  peers: number;
  relayConnected: boolean;
  online: Presence[];
  lastSyncAt: number | null;
  paused: boolean;
}

function isLocal(url: string): boolean {
  return /^wss?:\/\/(localhost|127\.|\[::1\])/.test(url);
}

/** The relay's room name is derived from the secret, so knowing the community id alone finds nothing there. */
export async function relayRoomName(cid: string, secret: string): Promise<string> {
  return toBase64Url(await sha256(new TextEncoder().encode(`hearth-relay:${cid}:${secret}`)));
}

export class PeerSync {
  status: SyncStatus = { connected: false, peers: 0, relayConnected: false, online: [], lastSyncAt: null, paused: false };
  readonly listeners = new Set<(s: SyncStatus) => void>();
  #webrtc: WebrtcProvider | null = null;
  #relay: WebsocketProvider | null = null;
  #detach: (() => void)[] = [];

  constructor(
    readonly community: CommunityDoc,
    readonly settings: SyncSettings,
    readonly me: Presence
  ) {}

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
    webrtc.awareness.setLocalStateField('member', this.me);
    const onPeers = () => this.#update();
    webrtc.on('peers', onPeers);
    webrtc.on('synced', onPeers);
    webrtc.on('status', onPeers);
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

    if (this.settings.relay) {
      const room = await relayRoomName(this.community.cid, this.settings.secret);
      const relay = new WebsocketProvider(this.settings.relay, room, doc, {
        awareness: webrtc.awareness,
        maxBackoffTime: 10_000,
        WebSocketPolyfill: guardedWebSocket(doc)
      });
      relay.on('status', () => this.#update());
      relay.on('sync', () => this.#update());
      this.#relay = relay;
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
  }

  #update(): void {
    const webrtc = this.#webrtc;
    const room = webrtc?.room;
    const online: Presence[] = [];
    webrtc?.awareness.getStates().forEach((state, clientId) => {
      const m = (state as { member?: Presence }).member;
      if (m && typeof m.key === 'string' && typeof m.name === 'string' && clientId !== webrtc.awareness.clientID) {
        if (!online.some((o) => o.key === m.key)) online.push({ key: m.key.slice(0, 43), name: m.name.slice(0, 60) });
      }
    });
    this.status = {
      ...this.status,
      connected: !!webrtc?.connected,
      peers: room ? room.webrtcConns.size + room.bcConns.size : 0,
      relayConnected: !!this.#relay?.wsconnected,
      online
    };
    for (const listener of this.listeners) listener(this.status);
  }
}
