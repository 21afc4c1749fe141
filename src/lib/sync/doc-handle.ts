// What the page's code holds of a community's document: one surface, whether the document lives in
// the community worker (doc-host.ts, remote-doc.ts: the normal case in a browser with SharedWorker)
// or on this thread (CommunityDoc: Node tests, benchmarks, and browsers with no worker to hold it).
// Every write goes through `append`: seal first (store/record-chain), then the gate and the
// projection, then the shared document.
import type { Awareness } from 'y-protocols/awareness';
import type * as Y from 'yjs';
import type { Identity } from '../crypto/identity';
import type { AnyRecord } from '../domain/record';
import type { Scope } from '../domain/scopes';
import type { RelayNotice } from '../crypto/relay-proof';
import type { HearthDb } from '../store/db';
import type { AppendResult, DocHealth, ImportCount } from './community-doc';
import type { MemberStatsSource } from '../automation/community-facts';
import type { ShardEndpoint } from './shards/peer-channel';
import type { MigrationProgress } from './shards/legacy-migration';

/**
 * What y-webrtc is bound to: the document itself, or its stand-in on the page (remote-doc.ts), which
 * relays the peers' sync messages to the worker and the worker's updates to the peers.
 */
export interface RemoteDocLike {
  readonly remote: true;
  readonly clientID: number;
  // biome-ignore lint/suspicious/noExplicitAny: Y.Doc's own listener signature varies per event name
  on(name: string, f: (...args: any[]) => void): void;
  // biome-ignore lint/suspicious/noExplicitAny: Y.Doc's own listener signature varies per event name
  off(name: string, f: (...args: any[]) => void): void;
}

export type SyncedDoc = Y.Doc | RemoteDocLike;

/**
 * `share`: core records found in the lobby go into the community document as this device's own
 * entries, and the mesh from there (a member's device: a newcomer's join reaches the others through
 * it). Off on a device still waiting for its key: the mesh it is about to enter holds those records
 * already, so they are checked, stored and projected only; as its own entries every newcomer sent
 * the whole core back to every member (10 MB, 20,000 records checked again by the creator, at 10k).
 */
export interface LobbyOptions {
  share: boolean;
  /**
   * The lobby as a short link's invite page fetched it (a Yjs update of a throw-away document, unchecked):
   * applied once the lobby holds this device's own entries, as a peer's update is (the gate, then the
   * lobby's checks), so the first sync asks the peers only for what it lacks (sync/invite-fetch.ts).
   */
  seed?: Uint8Array;
}

export interface LobbyHandle {
  readonly doc: SyncedDoc;
  readonly awareness: Awareness;
  settled(): Promise<void>;
  destroy(): void;
}

export interface RelayOptions {
  addresses: string[];
  room: string;
  identity: Identity | null;
  onStatus: (connected: boolean) => void;
  onSynced: () => void;
  /** The page's mesh awareness client id: presence claims are signed for it. */
  clientID?: number;
  /** On this thread: the mesh's awareness, shared with the relay so presence crosses both. */
  awareness?: Awareness | null;
  /** Other members' presence seen through the relay changed (the worker's relay has its own awareness). */
  onPresence?: () => void;
  /** What the relay says of this device's writes and proof (its core room's, for a community held in shards). */
  onNotice?: (notice: RelayNotice) => void;
}

export interface RelayHandle {
  readonly connected: boolean;
  connect(): void;
  disconnect(): void;
  destroy(): void;
  /** Answers the relay's challenge with this identity. */
  prove(identity: Identity): void;
  /** This member's signed presence, for the relay's awareness. */
  present(state: Record<string, unknown> | null): void;
  /** Awareness states seen through the relay (client id → state), when they are not the mesh's. */
  states(): Map<number, unknown> | null;
}

export type AcceptedListener = (records: AnyRecord[], doc: DocHandle) => void | Promise<void>;

export interface DocHandle {
  readonly cid: string;
  readonly db: HearthDb;
  readonly doc: SyncedDoc;
  health: DocHealth;
  onHealth: (h: DocHealth) => void;
  /**
   * Publishes this member's record, or several at once (an epoch's parts): all of them or none, in
   * one projection transaction and one document update, so a tab that dies midway leaves no part.
   */
  append(records: AnyRecord | readonly AnyRecord[]): Promise<AppendResult>;
  onAccepted(listener: AcceptedListener): () => void;
  /** A community held in shards: told when a month leaves the device (its records and projection rows are gone). */
  onEvicted?(listener: (shard: string) => void): () => void;
  /**
   * A community held as one document in the community worker: told how far its split into shards is
   * (shards/legacy-migration); at `done` it is held in shards and the page opens it again.
   */
  onMigration?(listener: (progress: MigrationProgress) => void): () => void;
  /** Everything received so far is applied, checked, projected and stored. */
  settled(): Promise<void>;
  /**
   * Adds many records at once (a community file): one transaction, one gate pass, one projection.
   * Says how many of them were stored before and are after (the rest the gate refused).
   */
  importRecords(records: AnyRecord[]): Promise<ImportCount>;
  /** Every value in the document that parses as a record (the community file). */
  exportRecords(): Promise<AnyRecord[]>;
  openLobby(options?: LobbyOptions): Promise<LobbyHandle>;
  /** True while this device holds no history yet (a newcomer): it asks mesh peers for a first page. */
  wantsFirstPage(): Promise<boolean>;
  /** A peer's first page, checked, stored and projected beside the document; false when it does not decode. */
  takeFirstPage(bytes: Uint8Array): Promise<boolean>;
  /**
   * This device's first page for a newcomer (first-page.ts), made by the community worker, where the
   * catalogue of stored records is kept warm: made ahead as a newcomer asks the lobby for its core (or
   * as a fresh join is taken), kept a minute.
   */
  firstPage(): Promise<Uint8Array>;
  /**
   * This device's first page sealed for `member` under the community's newest key (lobby-page.ts),
   * for a newcomer in the lobby; null while they are no member here or this device lacks that key.
   */
  lobbyPage(member: string): Promise<Uint8Array | null>;
  /** A sealed page from the lobby, opened with this device's keys and taken as a first page. */
  takeLobbyPage(sealed: Uint8Array): Promise<'taken' | 'refused' | 'no-key'>;
  /**
   * Runs the automation (admissions, keys, expiring invites, checkpoints, rules) for this member on
   * this device, where the document is: the community worker, once per device however many tabs
   * ask. Returns a function that releases this caller's hold.
   */
  automate(identity: Identity, memberStats: MemberStatsSource): () => void;
  /**
   * Key upkeep now, for a staff member (a scope's first epoch before its first post, say), where the
   * document is: wrapping a key for 10,000 members is 10,000 key agreements, off the page.
   * `also`: scopes to start even before anything in them exists (a first post at a new level).
   * Returns the key records written.
   */
  maintainKeys(identity: Identity, now?: number, also?: readonly Scope[]): Promise<number>;
  startRelay(options: RelayOptions): Promise<RelayHandle>;
  /**
   * A community held in shards (docs/shards.md): where the mesh's connections' shard messages go
   * (its shard sync, here or in the community worker). Absent for a community held as one document.
   */
  readonly shards?: ShardEndpoint | null;
  /** A community held in shards: the months this device holds and those it evicted. */
  shardList?(): Promise<ShardList>;
  /** Keeps the last `months` months and those holding `member`'s writes; evicts the rest (docs/shards.md, Eviction). */
  keepMonths?(months: number | null, member: string | null): Promise<string[]>;
  /** Brings an evicted month back from the peers now; false when none brought it in time. */
  fetchShard?(shard: string): Promise<boolean>;
  /** Months of the community with records this device does not hold (evicted, or offered by peers), newest first. */
  missingMonths?(): Promise<MissingMonths>;
  /**
   * A thread this device may not hold (a link into an evicted month): the months holding it and what
   * points at it, asked of the peers (LOCATE) and fetched (docs/shards.md).
   */
  fetchThread?(id: string): Promise<ThreadFetch>;
}

export interface ShardList {
  held: { id: string; records: number }[];
  evicted: { id: string; records: number }[];
}

/** Months not on this device, newest first (`evicted`: it held them and let them go), and how many peers it syncs months with now. */
export interface MissingMonths {
  months: { id: string; records: number; evicted: boolean }[];
  peers: number;
}

/** What `fetchThread` did: whether the thread is stored now, the months fetched and those no peer brought. */
export interface ThreadFetch {
  found: boolean;
  fetched: string[];
  failed: string[];
  peers: number;
}
