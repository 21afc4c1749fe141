// One community's link to its relays (relay/: Hocuspocus with the app's gate): a Hocuspocus
// provider on the relay room, the relay's membership challenge answered with the member key, and
// failover across a list of relay addresses (a relay that closes or cannot be reached hands over
// to the next; Yjs' sync brings the new relay whatever it lacks).
// Runs in the page and in Node (tests, benchmarks); Node passes `ws` as the WebSocket.
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import type { Awareness } from 'y-protocols/awareness';
import type * as Y from 'yjs';
import type { Identity } from '../crypto/identity';
import { readRelayMessage, signChallenge, type RelayChallenge, type RelayNotice } from '../crypto/relay-proof';

export { relayRoomName } from './relay-rooms';

/** A community's relay setting: one address, or several separated by commas or spaces. */
export function relayAddresses(setting: string | null | undefined): string[] {
  return (setting ?? '')
    .split(/[\s,]+/)
    .map((a) => a.trim())
    .filter((a) => /^wss?:\/\/\S+$/.test(a));
}

/** One socket to a relay, with the reconnect pacing every relay client uses. */
export function relaySocket(url: string, options: Pick<RelayLinkOptions, 'delay' | 'maxDelay' | 'WebSocketPolyfill'>): HocuspocusProviderWebsocket {
  return new HocuspocusProviderWebsocket({
    url,
    delay: options.delay ?? 500,
    minDelay: options.delay ?? 500,
    maxDelay: options.maxDelay ?? 10_000,
    factor: 2,
    jitter: true,
    // A relay that stops answering is left for the next one after 30 s, not the default 30 s × 3.
    messageReconnectTimeout: 30_000,
    ...(options.WebSocketPolyfill ? { WebSocketPolyfill: options.WebSocketPolyfill as never } : {})
  });
}

export interface RelayLinkOptions {
  addresses: string[];
  room: string;
  doc: Y.Doc;
  /** Shared with the mesh so presence crosses both; null: no awareness on this link. */
  awareness?: Awareness | null;
  /** Who answers the relay's challenge (null: this link only reads). */
  identity: () => Identity | null;
  WebSocketPolyfill?: unknown;
  onStatus?: (connected: boolean) => void;
  onSynced?: () => void;
  onNotice?: (notice: RelayNotice) => void;
  /** Reconnect pacing (ms): first delay and ceiling. */
  delay?: number;
  maxDelay?: number;
  /**
   * A socket shared with other links to the same relay (Hocuspocus multiplexes documents over one
   * socket: a community's shards, sync/shards/relay-shards.ts). Its owner connects, fails over and
   * destroys it; this link only attaches its document.
   */
  socket?: HocuspocusProviderWebsocket;
}

export class RelayLink {
  readonly socket: HocuspocusProviderWebsocket;
  readonly provider: HocuspocusProvider;
  /** The key the relay confirmed it writes for on this connection. */
  member: string | null = null;
  /** Writes the relay refused, by reason, and records it dropped or held back. */
  readonly refused = new Map<string, number>();
  dropped = 0;
  held = 0;
  #challenge: RelayChallenge | null = null;
  #index = 0;
  #connected = false;

  constructor(readonly options: RelayLinkOptions) {
    if (!options.addresses.length) throw new Error('RelayLink needs at least one address');
    this.socket = options.socket ?? relaySocket(options.addresses[0], options);
    if (!options.socket) this.socket.on('close', () => this.#failover());
    // A shared socket may be connected already: it says so again only when that changes.
    this.#connected = (this.socket.status as string) === 'connected';
    this.socket.on('status', this.#onStatus);
    this.provider = new HocuspocusProvider({
      websocketProvider: this.socket,
      name: options.room,
      document: options.doc,
      awareness: options.awareness ?? null,
      onSynced: () => options.onSynced?.(),
      onStateless: ({ payload }) => this.#onRelayMessage(payload)
    });
    this.provider.attach();
  }

  #onStatus = ({ status }: { status: string }) => {
    const connected = status === 'connected';
    if (connected !== this.#connected) {
      this.#connected = connected;
      if (!connected) this.member = null;
      this.options.onStatus?.(connected);
    }
  };

  get connected(): boolean {
    return this.#connected;
  }

  /** The address in use (or being tried). */
  get address(): string {
    return this.options.addresses[this.#index];
  }

  /** Updates sent that the relay has not acknowledged yet. */
  get unsynced(): number {
    return this.provider.unsyncedChanges;
  }

  /**
   * True once the relay has acknowledged every update sent on this link (at once if it has), false
   * after `ms` without it.
   */
  acknowledged(ms: number): Promise<boolean> {
    if (this.provider.unsyncedChanges === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => this.provider.unsyncedChanges === 0 && done(true);
      const done = (all: boolean) => {
        clearTimeout(timer);
        this.provider.off('unsyncedChanges', check);
        resolve(all);
      };
      const timer = setTimeout(() => done(false), ms);
      this.provider.on('unsyncedChanges', check);
    });
  }

  /** Answers the relay's challenge again (a sync started before the member's identity was known). */
  prove(): void {
    if (this.#challenge) void this.#answer(this.#challenge);
  }

  connect(): void {
    void this.socket.connect();
  }

  disconnect(): void {
    this.socket.disconnect();
    // Offline, the socket's close event can take long to come, and until it does the provider thinks
    // it is connected and a later connect() does nothing: close it for the provider now.
    const socket = this.socket as unknown as { webSocket: unknown; emit: (event: string, payload: unknown) => void };
    if (socket.webSocket) socket.emit('close', { event: { code: 1000, reason: 'disconnected by the app' } });
  }

  destroy(): void {
    this.provider.destroy();
    this.socket.off('status', this.#onStatus);
    if (!this.options.socket) this.socket.destroy();
  }

  /** Moves to the next address; with one address this just lets the provider retry it. */
  #failover(): void {
    const list = this.options.addresses;
    if (list.length < 2) return;
    this.#index = (this.#index + 1) % list.length;
    this.socket.configuration.url = list[this.#index];
  }

  #onRelayMessage(payload: string): void {
    const message = readRelayMessage(payload);
    if (!message) return;
    if (message.t === 'hearth-challenge') {
      this.#challenge = message;
      void this.#answer(message);
      return;
    }
    if (message.member) this.member = message.member;
    if (message.refused) this.refused.set(message.refused, (this.refused.get(message.refused) ?? 0) + 1);
    this.dropped += message.dropped ?? 0;
    this.held += message.held ?? 0;
    this.options.onNotice?.(message);
  }

  async #answer(challenge: RelayChallenge): Promise<void> {
    const identity = this.options.identity();
    if (!identity) return;
    const proof = await signChallenge(identity, this.options.room, challenge);
    if (this.#challenge === challenge) this.provider.sendStateless(JSON.stringify(proof));
  }
}
