// Connects one community's document to its peers: y-webrtc (the mesh, keyed by the community
// scope's newest epoch, and the lobby of core records keyed by the room secret: see mesh.ts and
// lobby.ts; BroadcastChannel between tabs, see tab-sync.ts) and, when configured, the community's
// relays (relay-client.ts: Hocuspocus, membership challenge, failover across addresses). Presence
// travels in the mesh's awareness, signed (crypto/presence); records only travel in the documents.
import { Room, WebrtcProvider } from 'y-webrtc';
import { uuidv4 } from 'lib0/random';
import { Awareness } from 'y-protocols/awareness';
// The same simple-peer build y-webrtc uses: patched so that histories past 256 KiB cross the channel.
import SimplePeer from 'simple-peer/simplepeer.min.js';
import { holdSyncStep1, installChunking } from './webrtc-chunking';
import { installTabSync } from './tab-sync';
import { relayAddresses, relayRoomName } from './relay-client';
import type { DocHandle, LobbyHandle, RelayHandle } from './doc-handle';
import type * as Y from 'yjs';
import type { Identity } from '../crypto/identity';
import { PRESENCE_REFRESH_MS, signPresence } from '../crypto/presence';
import { PresenceRoster, type OnlinePeer } from './presence-roster';
import { forgetDeparted } from './departed-presence';
import { LEGACY_PLAN, LONELY_AFTER_MS, meshTransitionMs, type MeshPlan } from './mesh';
import { AUTHORITY_KINDS } from '../domain/authority';
import { KEY_CONTEXT_KINDS } from '../store/keyring';
import { serveChunks, uploadOwnChunks } from './blob-exchange';
import { askFirstPage, askLobbyPage, serveFirstPage, serveLobbyPage } from './first-page-exchange';
import { installNoEcho } from './no-echo';
import { isOwnUpdate } from './wire-message';
import type { RelayTarget } from './relay-chunks';
import { ShardPeers } from './shards/peer-channel';

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
  /** Peers in the lobby (core records only), and whether this device is there waiting for a key. */
  lobbyPeers?: number;
  waitingForKey?: boolean;
}

export interface PeerSyncOptions {
  /** Which rooms to be in (mesh.ts `meshPlanOf`); without it, one room keyed by the room secret. */
  plan?: (member: string | null) => Promise<MeshPlan>;
  transitionMs?: number;
  /** How long a peer connection may stay unopened before it is dropped (`UNOPENED_CONN_MS`). */
  unopenedConnMs?: number;
}

/** Record kinds after which the rooms are planned again (keys, shares, entitlement, roles). */
const PLAN_KINDS = new Set<string>([...AUTHORITY_KINDS, ...KEY_CONTEXT_KINDS]);
/** How long a newcomer's sync step 1 waits at most for the first page (`#holdStep1`). */
const STEP1_HOLD_MS = 10_000;
/**
 * A peer connection not open after this long is dropped (`#dropUnopened`): an offer lost on the way
 * (its peer paused or left the room just after announcing) leaves y-webrtc waiting on it for good,
 * and it answers no new announce from that peer id meanwhile. WebRTC connects here in under 1 s, and
 * at most a few seconds on a loaded machine.
 */
export const UNOPENED_CONN_MS = 30_000;

interface Mesh {
  provider: WebrtcProvider;
  /** When this device leaves it: null for the newest mesh. */
  retireAt: number | null;
}

function isLocal(url: string): boolean {
  return /^wss?:\/\/(localhost|127\.|\[::1\])/.test(url);
}

export { relayRoomName };

/**
 * Patches y-webrtc and its simple-peer for every room of this page (once): large messages framed and
 * deflated, the tab channel, no echo. Any page that opens a y-webrtc room calls it first: a page
 * without it cannot read a framed history nor a deflated one (the short-link invite fetch read a
 * peer's hello as an unknown message, and a lobby past 60 KiB would not have reassembled).
 */
export function installPatches(): void {
  installChunking(SimplePeer as never);
  installTabSync(Room);
  installNoEcho(Room);
}

/**
 * Resolves once y-webrtc has let go of a destroyed provider's room name (it deletes the room when
 * the provider's key has resolved), so a provider for the same name can open.
 */
async function letGo(provider: WebrtcProvider): Promise<void> {
  await provider.key;
  await new Promise((resolve) => setTimeout(resolve, 0));
}

/** Lobbies fetched by a short link's invite page, by community, until that community's sync opens its lobby. */
const lobbySeeds = new Map<string, Uint8Array>();

/**
 * Hands the lobby a short link's invite page fetched (sync/invite-fetch.ts; unchecked) to this page's
 * sync of that community: the first lobby it opens is seeded with it (`LobbyOptions.seed`), and asks
 * its peers only for what the seed lacks. Offered before the community is stored on this device, so
 * whichever start comes first (the join, the background sync) finds it.
 */
export function offerLobbySeed(cid: string, update: Uint8Array): void {
  lobbySeeds.set(cid, update);
}

export class PeerSync {
  status: SyncStatus = { connected: false, peers: 0, relayConnected: false, online: [], unverified: 0, lastSyncAt: null, paused: false };
  readonly listeners = new Set<(s: SyncStatus) => void>();
  /** Mesh rooms by name: the newest, and the previous ones during their transition. */
  #meshes = new Map<string, Mesh>();
  #current: string | null = null;
  #lobby: { provider: WebrtcProvider; core: LobbyHandle } | null = null;
  #relay: RelayHandle | null = null;
  #relayTarget: RelayTarget | null = null;
  #uploadTimer: ReturnType<typeof setTimeout> | null = null;
  #uploadFailures = 0;
  #detach: (() => void)[] = [];
  #identity: Identity | null;
  #member: string | null;
  #announcedAt = 0;
  #plan: MeshPlan = LEGACY_PLAN;
  #planning: Promise<void> = Promise.resolve();
  #firstPage: 'unknown' | 'wanted' | 'done' = 'unknown';
  #askedFirstPage = new Set<object>();
  #firstPageAsking: Promise<void> = Promise.resolve();
  /** Settles when the first answer to a first-page ask came (a page taken or not): held step 1s go then. */
  #firstPageAnswered: Promise<void>;
  #answeredFirstPage = () => {};
  /** Lobby connections asked for this newcomer's first page, sealed (first-page-exchange.ts), at most 2. */
  #askedLobby = new Set<object>();
  /** The sealed first page a lobby peer sent, until this device holds the key to open it. */
  #lobbySealed: Uint8Array | null = null;
  /** Settles when the sealed page was opened and taken, or refused (then the mesh is asked). */
  #lobbyTaking: Promise<void> | null = null;
  #replanTimer: ReturnType<typeof setTimeout> | null = null;
  /** How long the last planning took (`#schedulePlan` waits twice that). */
  #planMs = 0;
  #lonelySince: number | null = null;
  /** The lobby fetched by the invite page (`offerLobbySeed`), for the first lobby this sync opens. */
  #lobbySeed: Uint8Array | undefined;
  #started = false;
  #destroyed = false;
  /** A community held in shards: the shard sync over the mesh's connections (docs/shards.md). */
  #shardPeers: ShardPeers | null = null;
  readonly #awareness: Awareness;
  readonly #roster: PresenceRoster;
  readonly #transitionMs: number;
  readonly #unopenedConnMs: number;
  /** When each peer connection not yet open was first seen by `#dropUnopened`. */
  readonly #unopenedSince = new WeakMap<object, number>();
  /** Peer connections whose opening is listened for (`#openMesh`). */
  readonly #watchedOpen = new WeakSet<object>();

  constructor(
    readonly community: DocHandle,
    readonly settings: SyncSettings,
    me: Presence,
    readonly options: PeerSyncOptions = {}
  ) {
    this.#identity = me.identity ?? null;
    this.#member = me.identity?.publicKey ?? (me.key || null);
    this.#roster = new PresenceRoster(community.cid, () => this.#update());
    this.#awareness = new Awareness(community.doc as Y.Doc);
    this.#transitionMs = options.transitionMs ?? meshTransitionMs();
    this.#unopenedConnMs = options.unopenedConnMs ?? UNOPENED_CONN_MS;
    this.#firstPageAnswered = new Promise<void>((resolve) => (this.#answeredFirstPage = resolve));
  }

  /** Announces this member's presence from now on (a sync started without the identity, e.g. by the inbox). */
  announceAs(identity: Identity): void {
    if (this.#identity?.publicKey === identity.publicKey) return;
    this.#identity = identity;
    this.#member = identity.publicKey;
    void this.#announce();
    this.#schedulePlan(); // a creator's or admin's device also serves the lobby
    this.#relay?.prove(identity);
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#lobbySeed = lobbySeeds.get(this.community.cid);
    lobbySeeds.delete(this.community.cid);
    installPatches();
    this.#detach.push(holdSyncStep1((peer) => this.#holdStep1(peer)));
    const doc = this.community.doc;
    // A disconnect clears the local awareness state: sign a fresh claim on every (re)connect.
    const onAwareness = () => this.#update();
    this.#awareness.on('change', onAwareness);
    this.#detach.push(() => this.#awareness.off('change', onAwareness));
    // A peer whose connection closed is no longer shown online (its tab closed, its network dropped).
    this.#detach.push(forgetDeparted(this.#awareness));
    // Re-sign before receivers find the claim stale, drop peers whose claims went stale, leave meshes
    // whose transition is over, and look for rotations in the lobby when alone in the mesh.
    const tick = setInterval(() => {
      if (Date.now() - this.#announcedAt >= PRESENCE_REFRESH_MS - 5_000) void this.#announce();
      this.#housekeep();
      this.#shardPeers?.refresh();
      this.#update();
    }, 2_000);
    this.#detach.push(() => clearInterval(tick));
    const onUpdate = (_u: Uint8Array, origin: unknown) => this.#received(origin);
    doc.on('update', onUpdate);
    this.#detach.push(() => doc.off('update', onUpdate));
    this.#detach.push(
      this.community.onAccepted((records) => {
        // A tombstone may revoke an invite, which can end this device's reason to be in the lobby.
        if (records.some((r) => PLAN_KINDS.has(r.kind) || r.kind === 'tombstone')) this.#schedulePlan();
        // A post of this member's may name new attachments: hand their chunks to the relay.
        if (this.#relayTarget && records.some((r) => r.author === this.#member)) this.#scheduleUpload(1000);
      })
    );
    // Served before the rooms are entered: a newcomer asks as its channel opens and holds its step 1
    // until the answer. Also a peer whose connection simple-peer has not called connected yet: the ask
    // can come before this side's 'connect' (it was dropped, and the newcomer waited out its hold).
    this.#detach.push(serveFirstPage(this.community, () => this.meshPeers(true)));
    this.#detach.push(serveLobbyPage(this.community, () => this.#lobbyPeers(true)));
    // The months of a community held in shards cross beside y-webrtc's messages, which carry its core.
    const shards = this.community.shards;
    if (shards) {
      // A month's messages are news from the peers too (the sync line's "receiving updates").
      const counted = {
        connect: (send: (bytes: Uint8Array) => void) => {
          const link = shards.connect(send);
          return {
            receive: (bytes: Uint8Array) => {
              this.#received(link);
              link.receive(bytes);
            },
            close: () => link.close()
          };
        }
      };
      const peers = new ShardPeers(
        counted,
        () => this.meshPeers(),
        (peer) => this.meshPeers(true).includes(peer)
      );
      this.#shardPeers = peers;
      this.#detach.push(() => peers.stop());
    }
    // Chunks too: a page reopened meets its peers while the plan still opens the lobby, and an ask
    // that came then went unanswered for its whole 15 s wait (a 5-chunk download took 40 s and more).
    this.#detach.push(
      serveChunks(
        this.community.cid,
        this.community.db,
        () => this.meshPeers(),
        () => (this.#relayTarget ? { target: this.#relayTarget, identity: this.#identity } : null)
      )
    );
    await this.#replan();

    const addresses = relayAddresses(this.settings.relay);
    if (addresses.length) {
      const room = await relayRoomName(this.community.cid, this.settings.secret);
      if (this.#destroyed) return;
      this.#relayTarget = { addresses, room };
      const relay = await this.community.startRelay({
        addresses,
        room,
        awareness: this.#awareness,
        clientID: this.#awareness.clientID,
        identity: this.#identity,
        onStatus: (connected) => {
          if (connected) void this.#announce();
          this.#update();
        },
        onSynced: () => {
          this.#update();
          this.#scheduleUpload(0);
        },
        onPresence: () => this.#update()
      });
      if (this.#destroyed) return relay.destroy();
      this.#relay = relay;
      if (this.status.paused) relay.disconnect();
    }
    this.#update();
  }

  /** Stops talking to peers (offline, or paused by the member); the document keeps working locally. */
  pause(paused: boolean): void {
    this.status.paused = paused;
    for (const p of this.#providers()) hold(p, paused);
    if (paused) this.#relay?.disconnect();
    else this.#relay?.connect();
    this.#update();
  }

  destroy(): void {
    this.#destroyed = true;
    if (this.#replanTimer) clearTimeout(this.#replanTimer);
    if (this.#uploadTimer) clearTimeout(this.#uploadTimer);
    this.#detach.forEach((f) => f());
    this.#relay?.destroy();
    for (const mesh of this.#meshes.values()) mesh.provider.destroy();
    this.#meshes.clear();
    this.#closeLobby();
    this.#awareness.destroy();
    this.#relay = null;
    this.#roster.clear();
  }

  /** The simple-peer connections of every mesh this device is in (attachments are asked of them). */
  meshPeers(connecting = false): object[] {
    const out: object[] = [];
    for (const mesh of this.#meshes.values())
      for (const conn of mesh.provider.room?.webrtcConns.values() ?? []) if (conn.connected || connecting) out.push(conn.peer);
    return out;
  }

  #lobbyPeers(connecting = false): object[] {
    const out: object[] = [];
    for (const conn of this.#lobby?.provider.room?.webrtcConns.values() ?? []) if (conn.connected || connecting) out.push(conn.peer);
    return out;
  }

  /** Rooms this device is in now, for tests and the health panel. */
  rooms(): { mesh: string[]; lobby: boolean } {
    return { mesh: [...this.#meshes.keys()], lobby: !!this.#lobby };
  }

  #providers(): WebrtcProvider[] {
    return [...[...this.#meshes.values()].map((m) => m.provider), ...(this.#lobby ? [this.#lobby.provider] : [])];
  }

  /**
   * Hands the relay this member's attachment chunks it lacks, `ms` from now. A refusal that may pass
   * (the relay has not loaded the room or seen the join yet, or was unreachable) is tried again later.
   */
  #scheduleUpload(ms: number): void {
    if (this.#uploadTimer || this.#destroyed || !this.#relayTarget || this.status.paused) return;
    this.#uploadTimer = setTimeout(() => {
      this.#uploadTimer = null;
      void uploadOwnChunks(this.community.cid).then((result) => {
        if (!result || result.ok) {
          this.#uploadFailures = 0;
          return;
        }
        if (result.reason === 'relay.chunk_budget' || result.reason === 'relay.disk_full') return;
        if (++this.#uploadFailures <= 5) this.#scheduleUpload(5000 * this.#uploadFailures);
      });
    }, ms);
  }

  #schedulePlan(): void {
    if (this.#replanTimer || this.#destroyed) return;
    // Twice as long as the last planning took, so that planning holds this page a third of the time
    // at most: a creator's page at 10,000 members replanned back to back on its automation's
    // batches, 1.5–4.2 s each (the authority and key state read again on the main thread), and a
    // newcomer's first page, read from this page's store, waited 3.8–5.8 s behind them.
    this.#replanTimer = setTimeout(
      () => {
        this.#replanTimer = null;
        void this.#replan();
      },
      Math.max(100, 2 * this.#planMs)
    );
  }

  /** Joins and leaves rooms as the plan says; one planning at a time. */
  #replan(): Promise<void> {
    this.#planning = this.#planning
      .then(async () => {
        if (this.#destroyed) return;
        const start = Date.now();
        this.#plan = this.options.plan ? await this.options.plan(this.#member) : LEGACY_PLAN;
        this.#planMs = Date.now() - start;
        await this.#apply();
      })
      .catch((error) => console.error('sync: planning rooms failed', error));
    return this.#planning;
  }

  async #apply(): Promise<void> {
    const plan = this.#plan;
    const cid = this.community.cid;
    if (plan.legacy) {
      // Before the community has an epoch: one room, the room secret, the whole document. It takes
      // the lobby's room name: wait until y-webrtc has let go of it, as the lobby does below. Without
      // the wait a newcomer leaving the lobby for it on joining the 10k community met nobody there in
      // 3 of 3 runs (3 records, "Up to date · connected with 1 device"); with it, 2 of 2 synced.
      const lobby = this.#lobby?.provider;
      // The legacy room is the whole document, not a lobby: a fetched lobby has no use here.
      this.#lobbySeed = undefined;
      this.#closeLobby();
      if (lobby) {
        await letGo(lobby);
        if (this.#destroyed) return;
      }
      if (!this.#meshes.has(cid)) this.#openMesh(cid, this.settings.secret);
      // The room's peers are the ones the status counts.
      this.#current = cid;
      this.#update();
      return;
    }
    // A sealed first page from the lobby opens with the key this plan's mesh is keyed by: taken before
    // the mesh is entered, so that its connections neither ask again nor hold their step 1 for it.
    if (plan.mesh) this.#takeLobbyPage();
    const legacy = this.#meshes.get(cid);
    if (legacy) {
      // The lobby takes the legacy room's name: wait until y-webrtc has let go of it.
      this.#meshes.delete(cid);
      legacy.provider.destroy();
      await letGo(legacy.provider);
      if (this.#current === cid) this.#current = null;
    }
    if (plan.mesh && this.#current !== plan.mesh.room) {
      const now = Date.now();
      for (const [name, mesh] of this.#meshes) if (name !== plan.mesh.room && mesh.retireAt === null) mesh.retireAt = now + this.#transitionMs;
      const existing = this.#meshes.get(plan.mesh.room);
      if (existing) existing.retireAt = null;
      else this.#openMesh(plan.mesh.room, plan.mesh.password);
      this.#current = plan.mesh.room;
      this.#lonelySince = now;
    }
    await this.#lobbyAsPlanned();
    this.#update();
  }

  async #lobbyAsPlanned(): Promise<void> {
    if (this.#plan.legacy) return;
    const want = this.#plan.lobby || Date.now() < this.#plan.invitesOpenUntil || !this.#plan.mesh || this.#lonely();
    if (want && !this.#lobby) {
      const seed = this.#lobbySeed;
      this.#lobbySeed = undefined;
      const core = await this.community.openLobby({ share: !this.#plan.waitingForKey, ...(seed ? { seed } : {}) });
      if (this.#destroyed || this.#lobby) return core.destroy();
      const provider = new WebrtcProvider(this.community.cid, core.doc as Y.Doc, {
        signaling: this.settings.signaling,
        password: this.settings.secret,
        awareness: core.awareness,
        peerOpts: { config: { iceServers: this.#iceServers() } }
      });
      provider.on('peers', () => this.#update());
      // What arrives in the lobby counts as received too: a newcomer's device no longer puts the
      // lobby's records into its community document (LobbyOptions.share), so nothing else says so.
      core.doc.on('update', (_u: Uint8Array, origin: unknown) => this.#received(origin));
      if (this.status.paused) hold(provider, true);
      this.#lobby = { provider, core };
    } else if (!want && this.#lobby) this.#closeLobby();
  }

  #closeLobby(): void {
    if (!this.#lobby) return;
    this.#lobby.provider.destroy();
    this.#lobby.core.destroy();
    this.#lobby = null;
  }

  /** Alone in the newest mesh for a while: rotations may have happened while this device was away. */
  #lonely(): boolean {
    const mesh = this.#current ? this.#meshes.get(this.#current) : undefined;
    if (!mesh || this.status.paused) return false;
    const room = mesh.provider.room;
    if (room && room.webrtcConns.size + room.bcConns.size > 0) {
      this.#lonelySince = null;
      return false;
    }
    this.#lonelySince ??= Date.now();
    return Date.now() - this.#lonelySince >= LONELY_AFTER_MS;
  }

  #housekeep(): void {
    const now = Date.now();
    let left = false;
    for (const [name, mesh] of this.#meshes) {
      if (mesh.retireAt !== null && now >= mesh.retireAt) {
        this.#meshes.delete(name);
        mesh.provider.destroy();
        left = true;
      }
    }
    // Leaving a room removes this device's awareness state: sign it again for the rooms it stays in.
    if (left) void this.#announce();
    void this.#planning.then(() => this.#lobbyAsPlanned());
    this.#dropUnopened(now);
  }

  /**
   * Drops the peer connections still not open `#unopenedConnMs` after they were first seen. Closing
   * one makes y-webrtc forget it and announce this device again, so the peer, if it is there, is met
   * afresh. Seen when a device paused right after announcing itself: the peer's offer never reached
   * it, the peer kept that connection pending for good and ignored every later announce from it.
   */
  #dropUnopened(now: number): void {
    for (const provider of this.#providers()) {
      for (const conn of provider.room?.webrtcConns.values() ?? []) {
        if (conn.connected) continue;
        const since = this.#unopenedSince.get(conn);
        if (since === undefined) this.#unopenedSince.set(conn, now);
        else if (now - since >= this.#unopenedConnMs) conn.destroy();
      }
    }
  }

  #iceServers(): { urls: string }[] {
    return this.settings.signaling.every(isLocal) ? [] : [{ urls: 'stun:stun.l.google.com:19302' }];
  }

  #openMesh(room: string, password: string): void {
    const provider = new WebrtcProvider(room, this.community.doc as Y.Doc, {
      signaling: this.settings.signaling,
      password,
      awareness: this.#awareness,
      peerOpts: { config: { iceServers: this.#iceServers() } }
    });
    const onOpen = () => {
      this.#shardPeers?.refresh();
      this.#update();
    };
    const onPeers = () => {
      // y-webrtc tells of a peer as its connection is made, not as it opens: the months' sync on a
      // connection starts as it opens, not at the next tick (up to 2 s later on each side).
      for (const conn of provider.room?.webrtcConns.values() ?? []) {
        if (conn.connected || this.#watchedOpen.has(conn.peer)) continue;
        this.#watchedOpen.add(conn.peer);
        conn.peer.once('connect', onOpen);
      }
      onOpen();
    };
    provider.on('peers', onPeers);
    provider.on('synced', onPeers);
    provider.on('status', ({ connected }: { connected: boolean }) => {
      if (connected) void this.#announce();
      this.#update();
    });
    if (this.status.paused) hold(provider, true);
    this.#meshes.set(room, { provider, retireAt: null });
    // Known before the first connection, so that its step 1 can wait for the first page (#holdStep1).
    if (this.#firstPage === 'unknown')
      void this.community.wantsFirstPage().then(
        (wanted) => this.#firstPage === 'unknown' && (this.#firstPage = wanted ? 'wanted' : 'done'),
        () => {}
      );
    void this.#announce();
  }

  /** Signs a fresh presence claim for this device's awareness client id. */
  async #announce(): Promise<void> {
    const identity = this.#identity;
    if (!identity || this.#destroyed || !this.#meshes.size) return;
    const awareness = this.#awareness;
    const at = Date.now();
    const claim = await signPresence(identity, this.community.cid, awareness.clientID, at);
    if (this.#destroyed || this.#identity !== identity || at < this.#announcedAt) return;
    this.#announcedAt = at;
    // Not setLocalStateField: after a disconnect the local state is null and that call does nothing.
    const state = { ...(awareness.getLocalState() ?? {}), member: claim };
    awareness.setLocalState(state);
    this.#relay?.present(state);
  }

  /** The mesh's awareness states, and those the relay's own awareness saw (community worker). */
  #presenceStates(): Map<number, unknown> {
    const relay = this.#relay?.states();
    if (!relay?.size) return this.#awareness.getStates();
    return new Map([...relay, ...this.#awareness.getStates()]);
  }

  /** Something arrived from a peer (an update with an object origin other than this device's own). */
  #received(origin: unknown): void {
    if (origin && typeof origin === 'object' && origin !== this.community && !isOwnUpdate(origin)) {
      this.status.lastSyncAt = Date.now();
      this.#update();
    }
  }

  /**
   * A newcomer waiting for its key asks its first two lobby peers for its first page, sealed under the
   * community's newest key (lobby-page.ts): sent once the peer counts it a member, it is there when the
   * key comes, and the mesh's connection and ask (1.5–2.3 s at 10,000 members) are off the way.
   */
  #askLobbyPages(): void {
    const member = this.#member;
    if (this.#firstPage === 'done' || this.#destroyed || !member || !this.#plan.waitingForKey || this.#askedLobby.size >= 2) return;
    const fresh = this.#lobbyPeers().filter((peer) => !this.#askedLobby.has(peer));
    if (!fresh.length) return;
    void this.#knowFirstPage().then(() => {
      for (const peer of fresh) {
        if (this.#firstPage !== 'wanted' || this.#askedLobby.has(peer) || this.#askedLobby.size >= 2) continue;
        this.#askedLobby.add(peer);
        askLobbyPage(peer, member, (sealed) => {
          // The first to come; none once the mesh was asked.
          if (this.#firstPage !== 'wanted' || this.#lobbySealed || this.#askedFirstPage.size) return;
          this.#lobbySealed = sealed;
          if (this.#plan.mesh) this.#takeLobbyPage();
        });
      }
    });
  }

  async #knowFirstPage(): Promise<void> {
    if (this.#firstPage === 'unknown') this.#firstPage = (await this.community.wantsFirstPage()) ? 'wanted' : 'done';
  }

  /** Opens and takes the sealed page from the lobby; refused (or sealed under a key this device lacks), the mesh is asked. */
  #takeLobbyPage(): void {
    const sealed = this.#lobbySealed;
    if (!sealed || this.#lobbyTaking || this.#firstPage !== 'wanted') return;
    this.#lobbyTaking = this.community
      .takeLobbyPage(sealed)
      .then(
        (outcome) => {
          if (outcome === 'taken') this.#firstPage = 'done';
        },
        (error) => console.warn('sync: lobby page not taken', error)
      )
      .finally(() => {
        this.#lobbySealed = null;
        this.#lobbyTaking = null;
        this.#answeredFirstPage();
        this.#askFirstPage();
      });
  }

  /**
   * A newcomer's first page (first-page-exchange.ts): asked of the first two mesh peers that connect
   * while this device holds no history, until one is taken (not while a page from the lobby is taken).
   */
  #askFirstPage(): void {
    if (this.#firstPage === 'done' || this.#destroyed || this.#lobbyTaking) return;
    const fresh = this.meshPeers().filter((peer) => !this.#askedFirstPage.has(peer));
    if (!fresh.length || this.#askedFirstPage.size >= 2) return;
    this.#firstPageAsking = this.#firstPageAsking
      .then(async () => {
        await this.#knowFirstPage();
        for (const peer of fresh) {
          if (this.#firstPage !== 'wanted' || this.#lobbyTaking || this.#askedFirstPage.has(peer) || this.#askedFirstPage.size >= 2) continue;
          this.#askedFirstPage.add(peer);
          void askFirstPage(this.community, peer, () => this.#answeredFirstPage()).then((taken) => {
            if (taken) this.#firstPage = 'done';
            this.#answeredFirstPage();
          });
        }
      })
      .catch((error) => console.warn('sync: first page not asked', error));
  }

  /**
   * A newcomer's sync step 1 to a mesh peer waits for the first answer to its first-page ask (asked
   * now, on the connection, not at the next status tick), at most `STEP1_HOLD_MS`: the step 1 asks
   * for the whole history, and at 10,000 members the page queued behind the 57 MB reply to it
   * whenever the peer's worker had that ready first (an ask that waited 14 s and timed out). It goes
   * as the page arrives, not once the page is checked and projected: the history's reply is made,
   * sent and received meanwhile (a newcomer to the real community got it ~0.9 s after its step 1,
   * while its first page took ~0.6 s to check), and its check queues behind the page's.
   */
  #holdStep1(peer: object): Promise<void> | null {
    // A page from the lobby being taken is the page: the step 1 goes at once.
    if (this.#firstPage !== 'wanted' || this.#lobbyTaking || !this.meshPeers().includes(peer)) return null;
    this.#askFirstPage();
    return Promise.race([this.#firstPageAnswered, new Promise<void>((resolve) => setTimeout(resolve, STEP1_HOLD_MS))]);
  }

  /**
   * How far this device's first exchange with its WebRTC peers (lobby and meshes) has got: 'synced'
   * once a peer's whole reply to its sync step 1 came (y-webrtc marks a connection synced on its
   * step 2, which a reply in parts sends last: history-reply.ts `splitReply`), 'waiting' while there are
   * open connections and none has, 'none' without any (a connection that never opens is not waited
   * for). y-webrtc marks no connection after its room once counted as synced with every peer (a room
   * whose only peer left), so such a room says 'none'.
   */
  firstExchange(): 'none' | 'waiting' | 'synced' {
    const rooms = this.#providers().flatMap((p) => (p.room ? [p.room] : []));
    const conns = rooms.flatMap((room) => [...room.webrtcConns.values()]);
    if (conns.some((conn) => conn.synced)) return 'synced';
    return conns.some((conn) => conn.connected) && !rooms.some((room) => room.synced) ? 'waiting' : 'none';
  }

  #update(): void {
    this.#askFirstPage();
    this.#askLobbyPages();
    const count = (p: WebrtcProvider | undefined) => (p?.room ? p.room.webrtcConns.size + p.room.bcConns.size : 0);
    const current = this.#current ? this.#meshes.get(this.#current)?.provider : undefined;
    const lobby = this.#lobby?.provider;
    this.status = {
      ...this.status,
      connected: this.#providers().some((p) => p.connected),
      peers: current ? count(current) : count(lobby),
      lobbyPeers: count(lobby),
      waitingForKey: !this.#plan.legacy && this.#plan.waitingForKey,
      relayConnected: !!this.#relay?.connected,
      ...(this.#meshes.size || this.#relay?.connected
        ? this.#roster.sort(this.#presenceStates(), this.#awareness.clientID, Date.now())
        : { online: [], unverified: 0 })
    };
    for (const listener of this.listeners) listener(this.status);
  }
}

/** The connection limit a held provider had before it was held. */
const heldConns = new WeakMap<WebrtcProvider, number>();

/**
 * Disconnects a provider for a pause, or connects it again. y-webrtc's room subscribes and announces
 * itself again whenever one of its connections closes, also after `disconnect()` closed them all,
 * and answers an announce whatever its state: a paused device was connected to again at once
 * (the paused-device test saw Alice keep Bob as a peer for 75 s under load). A room allowed no
 * connections neither announces nor answers an announce, so a held provider also gets a limit of 0.
 */
function hold(provider: WebrtcProvider, paused: boolean): void {
  if (paused) {
    if (!heldConns.has(provider)) heldConns.set(provider, provider.maxConns);
    provider.maxConns = 0;
    provider.disconnect();
  } else {
    if (!heldConns.has(provider) && provider.shouldConnect) return;
    provider.maxConns = heldConns.get(provider) ?? provider.maxConns;
    heldConns.delete(provider);
    // Back under a new peer id: a peer whose offer to the old one was lost (sent as this device
    // paused) keeps that connection pending and would ignore the old id's announce.
    if (provider.room) provider.room.peerId = uuidv4();
    provider.connect();
  }
}
