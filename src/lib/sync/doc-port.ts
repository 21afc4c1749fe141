// The one typed port between the pages and the community worker (as Actual Budget's handlers and
// server events): what a page may ask (`DocPort`, implemented by DocHost) and what it is told
// (`HostEvent`). Every write is `append`; pages read the projections from IndexedDB, and what
// takes a community's authority or key state to answer through `CommunityReads`.
import type { Identity } from '../crypto/identity';
import type { AnyRecord } from '../domain/record';
import type { Scope } from '../domain/scopes';
import type { AppendResult, DocHealth, ImportCount } from './community-doc';
import type { CommunityReads } from './community-reads';
import type { LobbyOptions, MissingMonths, ShardList, ThreadFetch } from './doc-handle';
import type { MigrationProgress } from './shards/legacy-migration';

export interface OpenedDoc {
  health: DocHealth;
  /** The document's state vector, for the page's step 1 to peers. */
  sv: Uint8Array;
  /** Held in shards (docs/shards.md): the page relays its connections' shard messages (`shardConnect`). */
  sharded?: boolean;
}

export type HostEvent =
  /**
   * A document changed (any origin): the page sends it to its peers in that document's rooms. `from`:
   * the page's name for the peer whose message it was (`receive`), which it is not sent back to.
   */
  | { t: 'update'; doc: string; update: Uint8Array; fromPeer: boolean; from?: string }
  | { t: 'sv'; doc: string; sv: Uint8Array }
  /** Records newly accepted and projected (local writes and peers'), for the inbox, search and automation. */
  | { t: 'accepted'; cid: string; records: AnyRecord[] }
  | { t: 'health'; cid: string; health: DocHealth }
  | { t: 'relay'; cid: string; connected?: boolean; synced?: boolean; presence?: Uint8Array }
  /** A shard message for the page's connection `conn` (its name for it in `shardConnect`). */
  | { t: 'shard'; cid: string; conn: string; bytes: Uint8Array }
  /** A community made as one document splitting into shards (shards/legacy-migration): how far; at `done` pages open it again. */
  | { t: 'migration'; cid: string; progress: MigrationProgress };

export interface DocPort extends CommunityReads {
  open(cid: string): Promise<OpenedDoc>;
  append(cid: string, records: AnyRecord | readonly AnyRecord[]): Promise<AppendResult>;
  settled(cid: string): Promise<void>;
  importRecords(cid: string, records: AnyRecord[]): Promise<ImportCount>;
  exportRecords(cid: string): Promise<AnyRecord[]>;
  receive(doc: string, message: Uint8Array, from?: string): Uint8Array[] | null | Promise<Uint8Array[] | null>;
  openLobby(cid: string, options?: LobbyOptions): Promise<OpenedDoc & { id: string }>;
  wantsFirstPage(cid: string): Promise<boolean>;
  takeFirstPage(cid: string, bytes: Uint8Array): Promise<boolean>;
  firstPage(cid: string): Promise<Uint8Array>;
  lobbyPage(cid: string, member: string): Promise<Uint8Array | null>;
  takeLobbyPage(cid: string, sealed: Uint8Array): Promise<'taken' | 'refused' | 'no-key'>;
  closeLobby(id: string): void;
  startRelay(cid: string, options: { addresses: string[]; room: string; identity: Identity | null; clientID: number }): Promise<void>;
  relay(cid: string, action: 'connect' | 'disconnect'): void;
  proveRelay(cid: string, identity: Identity): void;
  presentRelay(cid: string, state: Record<string, unknown> | null): void;
  stopRelay(cid: string): void;
  /** Starts (or holds) the automation for this member; `release` lets go of one hold. */
  automate(cid: string, identity: Identity): Promise<void>;
  release(cid: string): void;
  maintainKeys(cid: string, identity: Identity, now: number, also: readonly Scope[]): Promise<number>;
  /** A page's mesh connection `conn` (a name unique among the tabs) to a peer of a community held in shards opened. */
  shardConnect(cid: string, conn: string): Promise<void>;
  /** A shard message from that connection's peer. */
  shardReceive(cid: string, conn: string, bytes: Uint8Array): Promise<void>;
  shardClose(cid: string, conn: string): Promise<void>;
  /** A community held in shards: what this device keeps (null for one held as one document). */
  shardList(cid: string): Promise<ShardList | null>;
  keepMonths(cid: string, months: number | null, member: string | null): Promise<string[]>;
  fetchShard(cid: string, shard: string): Promise<boolean>;
  missingMonths(cid: string): Promise<MissingMonths | null>;
  fetchThread(cid: string, id: string): Promise<ThreadFetch | null>;
}

/**
 * What the worker serves on each tab's port: the surface, and `listen` for the tab's event port. What
 * a page only passes on to its peers comes framed as y-webrtc's messages (wire-message.ts), buffers
 * transferred: `receive`'s answers, and each update as `PageEvent`'s `message`.
 */
export type WorkerPort = Omit<DocPort, 'receive'> & {
  listen(events: MessagePort): void;
  /** A follower tab's `listen` (leader-worker.ts): its events come on the channel its calls do. */
  listenHere(): void;
  /** A port to a signature-check helper the tab started (crypto/verify-pool). */
  addVerifier(port: MessagePort): void;
  /** `DocPort.receive`'s answers, each framed for the peer (`wireSync`). */
  receive(doc: string, message: Uint8Array, from?: string): Promise<Uint8Array[] | null>;
};

/** A `HostEvent` as a page's event port receives it: an update comes as the message its peers are sent (`wireUpdate`). */
export type PageEvent = Exclude<HostEvent, { t: 'update' }> | { t: 'update'; doc: string; message: Uint8Array; fromPeer: boolean; from?: string };
