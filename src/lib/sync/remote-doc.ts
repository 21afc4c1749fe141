// The page's side of the community worker (workers/community.worker.ts, one per device, shared by
// every tab: a SharedWorker, or the leader tab's dedicated worker, leader-worker.ts). The page holds
// no Yjs document: `RemoteYDoc` is what y-webrtc binds to — a stand-in that hands each peer's sync
// message to the worker and sends the worker's answer back to that peer, and whose 'update' events
// are the worker document's updates, which y-webrtc sends to the peers. `RemoteCommunityDoc` is the
// page's handle (DocHandle) on one community.
import { afterFirstContent } from '../state/first-content';
import * as Comlink from 'comlink';
import { Observable } from 'lib0/observable';
import * as Y from 'yjs';
import { Awareness, applyAwarenessUpdate } from 'y-protocols/awareness';
import type { AnyRecord } from '../domain/record';
import type { Scope } from '../domain/scopes';
import type { Identity } from '../crypto/identity';
import { openDb, type HearthDb } from '../store/db';
import { forgetKeyState, KEY_CONTEXT_KINDS } from '../store/keyring';
import { forgetAuthority } from '../store/projection';
import { AUTHORITY_KINDS } from '../domain/authority';
import type { AppendResult, DocHealth, ImportCount } from './community-doc';
import type { AcceptedListener, DocHandle, LobbyHandle, LobbyOptions, RelayHandle, RelayOptions, ShardList, MissingMonths, ThreadFetch } from './doc-handle';
import type { HostEvent, OpenedDoc, PageEvent, WorkerPort } from './doc-port';
import type { CommunityReads } from './community-reads';
import { registerRemote } from './gated-sync-protocol';
import { messageSender } from './webrtc-chunking';
import { updateOfWire, type FramedUpdate } from './wire-message';
import type { ShardEndpoint, ShardLink } from './shards/peer-channel';
import type { MigrationProgress } from './shards/legacy-migration';
import { canLead, electLeader, type FollowerEvent } from './leader-worker';

/** Records after which the page's cached authority and key state are read again. */
const CACHE_KINDS = new Set<string>([...AUTHORITY_KINDS, ...KEY_CONTEXT_KINDS, 'tombstone']);

export class RemoteYDoc extends Observable<string> {
  readonly remote = true as const;
  readonly clientID = Math.floor(Math.random() * 0xffffffff);
  isDestroyed = false;
  #sv: Uint8Array;

  constructor(
    readonly id: string,
    sv: Uint8Array,
    client: HostClient
  ) {
    super();
    this.#sv = sv;
    registerRemote(this, {
      stateVector: () => this.#sv,
      receive: (message) => client.receive(id, message, messageSender())
    });
  }

  setStateVector(sv: Uint8Array): void {
    this.#sv = sv;
  }

  /** The worker document's update, framed as y-webrtc's message to peers (`wireUpdate`): no-echo.ts sends those bytes as they are. */
  applied(message: Uint8Array, fromPeer: boolean, peer?: object): void {
    if (this.isDestroyed) return;
    const origin: FramedUpdate = peer ? { remote: 'peers', peer, message } : fromPeer ? { remote: 'peers', message } : { message };
    this.emit('update', [updateOfWire(message), origin, this]);
  }

  override destroy(): void {
    if (this.isDestroyed) return;
    this.isDestroyed = true;
    this.emit('destroy', [this]);
    super.destroy();
  }
}

interface Sender {
  destroyed: boolean;
  send(data: Uint8Array): void;
}

export class HostClient {
  readonly port: Comlink.Remote<WorkerPort>;
  #docs = new Map<string, RemoteYDoc>();
  #communities = new Map<string, RemoteCommunityDoc>();
  /** This page's names for its peers, unique among the worker's tabs (another tab's name finds none here). */
  #names = new WeakMap<Sender, string>();
  #senders = new Map<string, WeakRef<Sender>>();
  #tab = Math.random().toString(36).slice(2, 10);
  #nextName = 0;

  /**
   * `events`: 'port' sends the worker a port of their own; 'here' (a follower tab, leader-worker.ts,
   * whose channel cannot carry a port) has them come beside the answers; a promise, once elected.
   */
  constructor(endpoint: Comlink.Endpoint, events: 'port' | 'here' | Promise<'port' | 'here'> = 'port') {
    this.port = Comlink.wrap<WorkerPort>(endpoint);
    void Promise.resolve(events).then((via) => {
      if (via === 'here') {
        endpoint.addEventListener('message', ((e: MessageEvent<FollowerEvent<PageEvent> | undefined>) => {
          if (e.data?.hearthEvent) this.#event(e.data.hearthEvent);
        }) as EventListener);
        void this.port.listenHere();
        return;
      }
      const channel = new MessageChannel();
      channel.port1.onmessage = (e: MessageEvent<PageEvent>) => this.#event(e.data);
      void this.port.listen(Comlink.transfer(channel.port2, [channel.port2]));
    });
  }

  doc(id: string, sv: Uint8Array): RemoteYDoc {
    let doc = this.#docs.get(id);
    if (!doc || doc.isDestroyed) this.#docs.set(id, (doc = new RemoteYDoc(id, sv, this)));
    return doc;
  }

  /** The worker's answers about authority and keys (community-reads.ts): its port's methods by those names. */
  get reads(): CommunityReads {
    return this.port as unknown as CommunityReads;
  }

  #nameOf(sender: Sender): string {
    let name = this.#names.get(sender);
    if (!name) {
      name = `${this.#tab}:${this.#nextName++}`;
      this.#names.set(sender, name);
      this.#senders.set(name, new WeakRef(sender));
      // Peers come and go for as long as the page is open: names of peers gone are dropped now and then.
      if (this.#senders.size > 256)
        for (const [n, ref] of this.#senders) {
          const peer = ref.deref();
          if (!peer || peer.destroyed) this.#senders.delete(n);
        }
    }
    return name;
  }

  /** A name for one of this page's connections, unique among the worker's tabs. */
  connectionName(): string {
    return `${this.#tab}:c${this.#nextName++}`;
  }

  forget(id: string): void {
    this.#docs.get(id)?.destroy();
    this.#docs.delete(id);
  }

  async community(db: HearthDb, cid: string): Promise<RemoteCommunityDoc> {
    let handle = this.#communities.get(cid);
    if (!handle) {
      const opened = await this.port.open(cid);
      handle = this.#communities.get(cid) ?? new RemoteCommunityDoc(db, cid, this, opened);
      this.#communities.set(cid, handle);
    }
    return handle;
  }

  /**
   * A peer's sync message: the worker applies it; its answer to a step 1 goes back to that peer, and
   * the updates it applies are not sent back to it (they name it: `from`).
   */
  receive(id: string, message: Uint8Array, sender: Sender | null): void {
    void this.port.receive(id, Comlink.transfer(message, [message.buffer]), sender ? this.#nameOf(sender) : undefined).then((replies) => {
      for (const reply of replies ?? []) {
        if (!sender || sender.destroyed) return;
        try {
          sender.send(reply);
        } catch {
          return; // the channel closed meanwhile: the peer asks again when it reconnects
        }
      }
    });
  }

  #event(event: PageEvent): void {
    switch (event.t) {
      case 'update':
        this.#docs.get(event.doc)?.applied(event.message, event.fromPeer, event.from === undefined ? undefined : this.#senders.get(event.from)?.deref());
        break;
      case 'sv':
        this.#docs.get(event.doc)?.setStateVector(event.sv);
        break;
      default:
        this.#communities.get(event.cid)?.event(event);
    }
  }
}

export class RemoteCommunityDoc implements DocHandle {
  readonly doc: RemoteYDoc;
  /** For a community held in shards: each mesh connection's shard messages relayed to the worker's shard sync. */
  readonly shards: ShardEndpoint | null;
  health: DocHealth;
  /** Sends to this page's connections, by the name the worker knows each by. */
  #shardSends = new Map<string, (bytes: Uint8Array) => void>();
  onHealth: (h: DocHealth) => void = () => {};
  #listeners = new Set<AcceptedListener>();
  #migration = new Set<(progress: MigrationProgress) => void>();
  #relay: { connected: boolean; view: Awareness; options: RelayOptions } | null = null;

  constructor(
    readonly db: HearthDb,
    readonly cid: string,
    readonly client: HostClient,
    opened: OpenedDoc
  ) {
    this.doc = client.doc(cid, opened.sv);
    this.health = opened.health;
    this.shards = opened.sharded ? { connect: (send) => this.#shardConnect(send) } : null;
  }

  async shardList(): Promise<ShardList> {
    return (await this.client.port.shardList(this.cid)) ?? { held: [], evicted: [] };
  }

  keepMonths(months: number | null, member: string | null): Promise<string[]> {
    return this.client.port.keepMonths(this.cid, months, member);
  }

  fetchShard(shard: string): Promise<boolean> {
    return this.client.port.fetchShard(this.cid, shard);
  }

  async missingMonths(): Promise<MissingMonths> {
    return (await this.client.port.missingMonths(this.cid)) ?? { months: [], peers: 0 };
  }

  async fetchThread(id: string): Promise<ThreadFetch> {
    return (await this.client.port.fetchThread(this.cid, id)) ?? { found: false, fetched: [], failed: [], peers: 0 };
  }

  #shardConnect(send: (bytes: Uint8Array) => void): ShardLink {
    const conn = this.client.connectionName();
    const port = this.client.port;
    this.#shardSends.set(conn, send);
    void port.shardConnect(this.cid, conn);
    return {
      receive: (bytes) => {
        const own = bytes.slice();
        void port.shardReceive(this.cid, conn, Comlink.transfer(own, [own.buffer]));
      },
      close: () => {
        this.#shardSends.delete(conn);
        void port.shardClose(this.cid, conn);
      }
    };
  }

  async append(records: AnyRecord | readonly AnyRecord[]): Promise<AppendResult> {
    const result = await this.client.port.append(this.cid, records);
    if (result.ok && ([] as AnyRecord[]).concat(records).some((r) => CACHE_KINDS.has(r.kind))) this.#forgetCaches();
    return result;
  }

  onAccepted(listener: AcceptedListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  settled(): Promise<void> {
    return this.client.port.settled(this.cid);
  }

  importRecords(records: AnyRecord[]): Promise<ImportCount> {
    return this.client.port.importRecords(this.cid, records);
  }

  exportRecords(): Promise<AnyRecord[]> {
    return this.client.port.exportRecords(this.cid);
  }

  /** The worker reads member stats itself (workers/members); `memberStats` serves a page-held document only. */
  automate(identity: Identity): () => void {
    void this.client.port.automate(this.cid, identity);
    let held = true;
    return () => {
      if (held) void this.client.port.release(this.cid);
      held = false;
    };
  }

  maintainKeys(identity: Identity, now = Date.now(), also: readonly Scope[] = []): Promise<number> {
    // The worker's `accepted` event comes on another port, maybe later: the page's key state goes now.
    return this.client.port.maintainKeys(this.cid, identity, now, also).then((written) => {
      if (written) forgetKeyState(this.db, this.cid);
      return written;
    });
  }

  wantsFirstPage(): Promise<boolean> {
    return this.client.port.wantsFirstPage(this.cid);
  }

  takeFirstPage(bytes: Uint8Array): Promise<boolean> {
    return this.client.port.takeFirstPage(this.cid, bytes);
  }

  firstPage(): Promise<Uint8Array> {
    return this.client.port.firstPage(this.cid);
  }

  lobbyPage(member: string): Promise<Uint8Array | null> {
    return this.client.port.lobbyPage(this.cid, member);
  }

  takeLobbyPage(sealed: Uint8Array): Promise<'taken' | 'refused' | 'no-key'> {
    return this.client.port.takeLobbyPage(this.cid, sealed);
  }

  async openLobby(options?: LobbyOptions): Promise<LobbyHandle> {
    const opened = await this.client.port.openLobby(this.cid, options);
    const doc = this.client.doc(opened.id, opened.sv);
    const awareness = new Awareness(doc as unknown as Y.Doc);
    awareness.setLocalState(null);
    return {
      doc,
      awareness,
      settled: () => this.settled(),
      destroy: () => {
        awareness.destroy();
        this.client.forget(opened.id);
        void this.client.port.closeLobby(opened.id);
      }
    };
  }

  async startRelay(options: RelayOptions): Promise<RelayHandle> {
    const view = new Awareness(new Y.Doc());
    view.setLocalState(null);
    const relay = { connected: false, view, options };
    this.#relay = relay;
    const port = this.client.port;
    const cid = this.cid;
    await port.startRelay(cid, { addresses: options.addresses, room: options.room, identity: options.identity, clientID: options.clientID ?? 0 });
    return {
      get connected() {
        return relay.connected;
      },
      connect: () => void port.relay(cid, 'connect'),
      disconnect: () => void port.relay(cid, 'disconnect'),
      destroy: () => {
        if (this.#relay === relay) this.#relay = null;
        view.destroy();
        void port.stopRelay(cid);
      },
      prove: (identity) => void port.proveRelay(cid, identity),
      present: (state) => void port.presentRelay(cid, state),
      states: () => view.getStates()
    };
  }

  onMigration(listener: (progress: MigrationProgress) => void): () => void {
    this.#migration.add(listener);
    return () => this.#migration.delete(listener);
  }

  event(event: Exclude<HostEvent, { t: 'update' | 'sv' }>): void {
    if (event.t === 'migration') {
      for (const listener of this.#migration) listener(event.progress);
    } else if (event.t === 'shard') {
      this.#shardSends.get(event.conn)?.(event.bytes);
    } else if (event.t === 'accepted') {
      if (event.records.some((r) => CACHE_KINDS.has(r.kind))) this.#forgetCaches();
      for (const listener of this.#listeners) {
        Promise.resolve(listener(event.records, this)).catch((e) => console.error('accepted-record listener failed', e));
      }
    } else if (event.t === 'health') {
      this.health = event.health;
      this.onHealth(event.health);
    } else if (event.t === 'relay' && this.#relay) {
      const relay = this.#relay;
      if (event.presence) {
        applyAwarenessUpdate(relay.view, event.presence, 'relay');
        relay.options.onPresence?.();
      }
      if (event.connected !== undefined) {
        relay.connected = event.connected;
        relay.options.onStatus(event.connected);
      }
      if (event.synced) relay.options.onSynced();
    }
  }

  /** The worker changed authority or keys: this page's caches of them are read again. */
  #forgetCaches(): void {
    forgetAuthority(this.db, this.cid);
    forgetKeyState(this.db, this.cid);
  }
}

let client: HostClient | null | undefined;

/**
 * Signature-check helpers for the community worker, one per core but the one it runs on (at most
 * two), from this tab: a SharedWorker cannot start workers itself. A helper lives as long as its tab;
 * the worker stops asking one that goes quiet.
 */
function startVerifiers(host: HostClient): void {
  const n = Math.max(1, Math.min(2, (navigator.hardwareConcurrency || 2) - 1));
  for (let i = 0; i < n; i++) {
    try {
      const helper = new Worker(new URL('../../../workers/verify.worker.ts', import.meta.url), { type: 'module', name: 'hearth-verify' });
      const channel = new MessageChannel();
      helper.postMessage({ port: channel.port1 }, [channel.port1]);
      void host.port.addVerifier(Comlink.transfer(channel.port2, [channel.port2]));
    } catch (error) {
      console.warn('no signature-check helper; the community worker checks alone', error);
      return;
    }
  }
}

/**
 * The device's community worker: a SharedWorker where the browser has one, else a dedicated worker
 * in the leader tab (leader-worker.ts), which this tab runs or is served through. Null when
 * `localStorage['hearth:worker']` is 'off' or the browser has neither: the page holds its documents.
 */
export function hostClient(): HostClient | null {
  if (client !== undefined) return client;
  client = null;
  // Where this tab's documents are held, on the root element for diagnostics (the journeys read it).
  const holds = (where: 'shared' | 'leader' | 'follower' | 'page') => {
    if (typeof document !== 'undefined') document.documentElement.dataset.communityWorker = where;
  };
  holds('page');
  try {
    const off = typeof localStorage !== 'undefined' && localStorage.getItem('hearth:worker') === 'off';
    if (!off && typeof SharedWorker !== 'undefined') {
      const worker = new SharedWorker(new URL('../../../workers/community.worker.ts', import.meta.url), { type: 'module', name: 'hearth-community' });
      worker.onerror = (e) => console.error('community worker failed', e);
      client = new HostClient(worker.port);
      holds('shared');
      // Not on the way to the first screen: until then, the worker checks alone.
      const host = client;
      void afterFirstContent().then(() => startVerifiers(host));
    } else if (!off && canLead()) {
      const { endpoint, role } = electLeader(
        (name) => {
          const worker = new Worker(new URL('../../../workers/community.worker.ts', import.meta.url), { type: 'module', name });
          worker.onerror = (e) => console.error('community worker failed', e);
          return worker;
        },
        // Until it opens again, the page reads nothing more: closed, not reopened by the next query.
        { onStepDown: () => openDb().close() }
      );
      const host = new HostClient(
        endpoint,
        role.then((r) => (r === 'leader' ? 'port' : 'here'))
      );
      client = host;
      // Helpers are handed over as ports, which only the leader's own port carries.
      void role
        .then(async (r) => {
          holds(r);
          if (r !== 'leader') return;
          await afterFirstContent();
          startVerifiers(host);
        })
        .catch(() => {}); // said by electLeader
    }
  } catch (error) {
    console.warn('community worker unavailable; documents stay on the page', error);
    client = null;
  }
  return client;
}
