// The shards a device holds of one community: one Yjs document per shard (a `records` map, behind the
// shard gate), stored as Yjs updates, with a catalogue of what is held and what was evicted.
// Documents are opened when used and closed again past `maxOpen` (least recently used first, never
// one in use nor one `alwaysOpen` keeps: the core and the current month), so a device holding years
// of history keeps a few months in memory. Eviction drops a shard from storage and memory and
// remembers it in the catalogue as evicted, to be fetched again on demand.
import * as Y from 'yjs';
import { CORE_SHARD, groupByShard, isShardId, shardOf, type ShardId } from '../../domain/shards';
import type { AnyRecord } from '../../domain/record';
import { whenApplied } from '../gated-sync-protocol';
import { emptyGateCounts, filterShardUpdate, registerShardGate, type ShardGateCounts } from './shard-gate';
import { stateDigest, type CatalogueEntry } from './shard-wire';
import { localDoc } from '../local-doc';

export type ShardState = 'held' | 'evicted';

export interface StoredShard {
  id: ShardId;
  state: ShardState;
  /** Records in it when last closed (held) or when evicted. */
  records: number;
  /** State-vector digest when last closed or evicted (see shard-wire `stateDigest`). */
  digest: string;
}

/** Where a device keeps its shards: the catalogue and each shard's updates. */
export interface ShardStorage {
  catalogue(): Promise<StoredShard[]>;
  saveEntry(entry: StoredShard): Promise<void>;
  load(shard: ShardId): Promise<Uint8Array[]>;
  append(shard: ShardId, update: Uint8Array): Promise<void>;
  /** Replaces a shard's updates with one (compaction). */
  replace(shard: ShardId, update: Uint8Array): Promise<void>;
  drop(shard: ShardId): Promise<void>;
}

/** Storage in memory (tests, benchmarks). */
export class MemoryShardStorage implements ShardStorage {
  readonly entries = new Map<ShardId, StoredShard>();
  readonly updates = new Map<ShardId, Uint8Array[]>();

  async catalogue(): Promise<StoredShard[]> {
    return [...this.entries.values()].map((e) => ({ ...e }));
  }
  async saveEntry(entry: StoredShard): Promise<void> {
    this.entries.set(entry.id, { ...entry });
  }
  async load(shard: ShardId): Promise<Uint8Array[]> {
    return [...(this.updates.get(shard) ?? [])];
  }
  async append(shard: ShardId, update: Uint8Array): Promise<void> {
    const list = this.updates.get(shard) ?? [];
    list.push(update);
    this.updates.set(shard, list);
  }
  async replace(shard: ShardId, update: Uint8Array): Promise<void> {
    this.updates.set(shard, [update]);
  }
  async drop(shard: ShardId): Promise<void> {
    this.updates.delete(shard);
  }
}

export interface ShardSetOptions {
  storage: ShardStorage;
  /** Documents open at once besides those in use and those always open. */
  maxOpen?: number;
  /** Kept open whatever `maxOpen` says. Default: the core and the current month. */
  alwaysOpen?: (shard: ShardId) => boolean;
  now?: () => number;
}

interface OpenShard {
  doc: Y.Doc;
  records: Y.Map<unknown>;
  /** Users now (a request in flight, a message being handled): not closed while > 0. */
  uses: number;
  lastUsed: number;
  stored: number;
  digest: string | null;
}

const STORAGE = Symbol('shard-storage');
const LOCAL = Symbol('shard-local');
/** Past this many stored updates a shard's are merged into one when it is closed. */
const COMPACT_AFTER = 100;
/** Idle documents open at once, besides those in use and those always open (the core, this month). */
export const DEFAULT_MAX_OPEN = 4;

export type UpdateListener = (shard: ShardId, update: Uint8Array, origin: unknown) => void;
export type CatalogueListener = (entry: CatalogueEntry) => void;

/**
 * What the shard sync needs of a device's shards: `ShardSet` (documents of their own), or a community
 * held in shards, whose documents are its gated, projected shard documents (sync/sharded-community).
 */
export interface ShardDocs {
  isHeld(shard: ShardId): boolean;
  isEvicted(shard: ShardId): boolean;
  /** The shards held, as this device tells peers (those without a record yet left out). */
  catalogue(): CatalogueEntry[];
  digest(shard: ShardId): string;
  stateVector(shard: ShardId): Promise<Uint8Array>;
  use<T>(shard: ShardId, fn: (doc: Y.Doc) => T | Promise<T>, create?: boolean): Promise<T | null>;
  /**
   * A y-protocols step 2 answering this state vector for a held shard, made from what is stored
   * without opening its document; null when it cannot be (open, or stored in a form that needs
   * opening): the shard is then opened to answer (`use`).
   */
  replyStored?(shard: ShardId, stateVector: Uint8Array): Promise<Uint8Array | null>;
  acquire(shard: ShardId, create?: boolean): Promise<Y.Doc | null>;
  release(shard: ShardId): void;
  /** Forgets a shard made held for a fetch that brought nothing. */
  discardEmpty(shard: ShardId): Promise<boolean>;
  onUpdate(listener: UpdateListener): () => void;
  onCatalogue(listener: CatalogueListener): () => void;
}

export class ShardSet implements ShardDocs {
  /** What the shard gate refused, over every shard. */
  readonly gate: ShardGateCounts = emptyGateCounts();
  /** Stored updates that did not decode (skipped). */
  unreadableUpdates = 0;
  readonly #storage: ShardStorage;
  readonly #maxOpen: number;
  readonly #alwaysOpen: (shard: ShardId) => boolean;
  readonly #now: () => number;
  #entries = new Map<ShardId, StoredShard>();
  #open = new Map<ShardId, OpenShard>();
  #opening = new Map<ShardId, Promise<OpenShard>>();
  #closing = new Map<ShardId, Promise<void>>();
  /** Shards being acquired (opening for a use not counted yet): not closed as idle. */
  #acquiring = new Map<ShardId, number>();
  #persisted: Promise<unknown> = Promise.resolve();
  /** Held shards not stored in the catalogue nor announced yet: no record has reached them. */
  #unannounced = new Set<ShardId>();
  #updateListeners = new Set<UpdateListener>();
  #catalogueListeners = new Set<CatalogueListener>();
  /** Most documents open at once so far (tests hold it to the bound). */
  peakOpen = 0;

  constructor(options: ShardSetOptions) {
    this.#storage = options.storage;
    this.#maxOpen = options.maxOpen ?? DEFAULT_MAX_OPEN;
    this.#now = options.now ?? Date.now;
    this.#alwaysOpen = options.alwaysOpen ?? ((shard) => shard === CORE_SHARD || shard === shardOf({ kind: 'thread', ts: this.#now() }));
  }

  async init(): Promise<this> {
    for (const entry of await this.#storage.catalogue()) if (isShardId(entry.id)) this.#entries.set(entry.id, entry);
    return this;
  }

  isHeld(shard: ShardId): boolean {
    return this.#entries.get(shard)?.state === 'held';
  }

  isEvicted(shard: ShardId): boolean {
    return this.#entries.get(shard)?.state === 'evicted';
  }

  /** Held and evicted shards. */
  entries(): StoredShard[] {
    return [...this.#entries.values()].map((e) => {
      const open = this.#open.get(e.id);
      return open ? { ...e, records: open.records.size, digest: this.#digestOf(open) } : { ...e };
    });
  }

  /** What this device tells peers: the shards it holds, with their record counts and digests. */
  catalogue(): CatalogueEntry[] {
    return this.entries()
      .filter((e) => e.state === 'held' && !this.#unannounced.has(e.id))
      .map((e) => ({ id: e.id, records: e.records, digest: e.digest, held: true }));
  }

  /** The digest of a shard as held now (the empty state's when not held). */
  digest(shard: ShardId): string {
    const open = this.#open.get(shard);
    if (open) return this.#digestOf(open);
    return this.isHeld(shard) ? this.#entries.get(shard)!.digest : EMPTY_DIGEST;
  }

  /** The state vector to ask a peer with (empty when the shard is not held). */
  async stateVector(shard: ShardId): Promise<Uint8Array> {
    if (!this.isHeld(shard)) return EMPTY_STATE_VECTOR;
    return this.use(shard, (doc) => Y.encodeStateVector(doc)) as Promise<Uint8Array>;
  }

  openCount(): number {
    return this.#open.size;
  }

  isOpen(shard: ShardId): boolean {
    return this.#open.has(shard);
  }

  onUpdate(listener: UpdateListener): () => void {
    this.#updateListeners.add(listener);
    return () => this.#updateListeners.delete(listener);
  }

  /** Told whenever a shard becomes held or stops being held (what peers are sent as a catalogue delta). */
  onCatalogue(listener: CatalogueListener): () => void {
    this.#catalogueListeners.add(listener);
    return () => this.#catalogueListeners.delete(listener);
  }

  /**
   * Runs `fn` with the shard's document open, and keeps it open until `fn` settles. `create`: a
   * shard not held becomes held (empty); otherwise null is returned for it.
   */
  async use<T>(shard: ShardId, fn: (doc: Y.Doc) => T | Promise<T>, create = false): Promise<T | null> {
    const open = await this.acquire(shard, create);
    if (!open) return null;
    try {
      return await fn(open);
    } finally {
      this.release(shard);
    }
  }

  /** Opens a shard for a longer use (a request in flight); `release` ends it. */
  async acquire(shard: ShardId, create = false): Promise<Y.Doc | null> {
    if (!isShardId(shard)) throw new RangeError(`not a shard id: ${shard}`);
    if (!this.isHeld(shard)) {
      if (!create) return null;
      await this.#hold(shard);
    }
    // Counted as a use from here: shards opened side by side (a peer's answer of several months) each
    // close the idle past `maxOpen` as they load, and one loaded but not yet returned here was idle.
    this.#acquiring.set(shard, (this.#acquiring.get(shard) ?? 0) + 1);
    try {
      for (;;) {
        const open = await this.#openShard(shard);
        if (this.#open.get(shard) !== open) continue; // closed before this use was counted: opened again
        open.uses++;
        open.lastUsed = this.#now();
        return open.doc;
      }
    } finally {
      const n = (this.#acquiring.get(shard) ?? 1) - 1;
      if (n) this.#acquiring.set(shard, n);
      else this.#acquiring.delete(shard);
    }
  }

  release(shard: ShardId): void {
    const open = this.#open.get(shard);
    if (!open) return;
    open.uses = Math.max(0, open.uses - 1);
    open.lastUsed = this.#now();
    this.#closeIdle();
  }

  /** Writes records of this device into their shards (each to `shardOf` its own). */
  async put(records: readonly AnyRecord[]): Promise<void> {
    for (const [shard, list] of groupByShard(records)) {
      await this.use(
        shard,
        (doc) => {
          const map = doc.getMap('records');
          doc.transact(() => list.forEach((r) => map.has(r.id) || map.set(r.id, r)), LOCAL);
        },
        true
      );
    }
  }

  /**
   * Applies an update of this device's own to a shard (legacy-split.ts: the single document's
   * entries of that shard, with their item ids). It passes the shard rule like a peer's would.
   */
  async applyOwn(shard: ShardId, update: Uint8Array): Promise<void> {
    const cut = filterShardUpdate(update, shard, undefined, () => this.gate.wrongShard++);
    if (!cut.ok) throw new Error('not a readable update');
    await this.use(shard, (doc) => cut.value.pieces.forEach((piece) => Y.applyUpdate(doc, piece, LOCAL)), true);
  }

  /** Records of a shard (opened for the call). */
  async records(shard: ShardId): Promise<Map<string, unknown>> {
    return (await this.use(shard, (doc) => new Map(doc.getMap('records').entries()))) ?? new Map();
  }

  /**
   * Evicts a shard: its document is closed, its updates dropped from storage, and the catalogue
   * remembers it as evicted (with its last count and digest), so it is fetched again on demand.
   * The core is never evicted; nor is a shard in use (false).
   */
  async evict(shard: ShardId): Promise<boolean> {
    if (shard === CORE_SHARD || !this.isHeld(shard)) return false;
    const open = this.#open.get(shard);
    if (open?.uses) return false;
    if (open) await this.#close(shard);
    const entry = this.#entries.get(shard)!;
    const evicted: StoredShard = { ...entry, state: 'evicted' };
    this.#entries.set(shard, evicted);
    await this.#storage.drop(shard);
    await this.#storage.saveEntry(evicted);
    this.#emitCatalogue({ id: shard, records: evicted.records, digest: evicted.digest, held: false });
    return true;
  }

  /** Waits until every update so far is applied and stored. */
  async settled(): Promise<void> {
    await Promise.all([...this.#open.values()].map((o) => whenApplied(o.doc)));
    await Promise.all([...this.#opening.values(), ...this.#closing.values()]);
    await this.#persisted;
  }

  /** Closes every document (their updates are stored first). */
  async close(): Promise<void> {
    await this.settled();
    await Promise.all([...this.#open.keys()].map((s) => this.#close(s)));
  }

  /**
   * A shard becomes held; it is stored in the catalogue and announced to peers with its first
   * record, so a peer that offers a shard and sends nothing leaves nothing behind (`discardEmpty`).
   */
  async #hold(shard: ShardId): Promise<void> {
    this.#entries.set(shard, { id: shard, state: 'held', records: 0, digest: EMPTY_DIGEST });
    this.#unannounced.add(shard);
  }

  /** Forgets a held shard that never received a record (a fetch that brought nothing). */
  async discardEmpty(shard: ShardId): Promise<boolean> {
    const open = this.#open.get(shard);
    if (!this.#unannounced.has(shard) || open?.uses || (open && open.records.size > 0)) return false;
    if (open) await this.#close(shard);
    if (!this.#unannounced.has(shard)) return false;
    this.#unannounced.delete(shard);
    this.#entries.delete(shard);
    await this.#storage.drop(shard);
    return true;
  }

  #announce(shard: ShardId, open: OpenShard): void {
    if (!this.#unannounced.delete(shard)) return;
    const entry: StoredShard = { id: shard, state: 'held', records: open.records.size, digest: this.#digestOf(open) };
    this.#persisted = this.#persisted.catch(() => undefined).then(() => this.#storage.saveEntry(entry));
    this.#emitCatalogue({ id: shard, records: entry.records, digest: entry.digest, held: true });
  }

  #emitCatalogue(entry: CatalogueEntry): void {
    for (const listener of this.#catalogueListeners) listener(entry);
  }

  #digestOf(open: OpenShard): string {
    open.digest ??= stateDigest(Y.encodeStateVector(open.doc));
    return open.digest;
  }

  async #openShard(shard: ShardId): Promise<OpenShard> {
    const open = this.#open.get(shard);
    if (open) return open;
    let opening = this.#opening.get(shard);
    if (!opening) {
      opening = this.#load(shard).finally(() => this.#opening.delete(shard));
      this.#opening.set(shard, opening);
    }
    return opening;
  }

  async #load(shard: ShardId): Promise<OpenShard> {
    await this.#closing.get(shard);
    const doc = localDoc();
    const records = doc.getMap('records');
    registerShardGate(doc, shard, this.gate);
    const updates = await this.#storage.load(shard);
    for (const update of updates) {
      // Stored updates pass the same gate: a device that stored junk before keeps none of it.
      const filtered = filterShardUpdate(update, shard, doc, () => this.gate.wrongShard++);
      if (!filtered.ok) {
        this.unreadableUpdates++;
        continue;
      }
      Y.applyUpdate(doc, filtered.value.pieces[0], STORAGE);
    }
    const open: OpenShard = { doc, records, uses: 0, lastUsed: this.#now(), stored: updates.length, digest: null };
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      open.digest = null;
      if (origin === STORAGE) return;
      open.stored++;
      this.#persisted = this.#persisted.catch(() => undefined).then(() => this.#storage.append(shard, update));
      if (open.records.size > 0) this.#announce(shard, open);
      for (const listener of this.#updateListeners) listener(shard, update, origin);
    });
    this.#open.set(shard, open);
    this.peakOpen = Math.max(this.peakOpen, this.#open.size);
    this.#closeIdle();
    return open;
  }

  /** Closes the least recently used idle documents past `maxOpen`. */
  #closeIdle(): void {
    const idle = [...this.#open.entries()].filter(([s, o]) => o.uses === 0 && !this.#acquiring.has(s) && !this.#alwaysOpen(s) && !this.#closing.has(s));
    const always = [...this.#open.keys()].filter((s) => this.#alwaysOpen(s)).length;
    const busy = this.#open.size - idle.length - always;
    let excess = busy + idle.length - this.#maxOpen;
    idle.sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [shard] of idle) {
      if (excess-- <= 0) break;
      void this.#close(shard);
    }
  }

  #close(shard: ShardId): Promise<void> {
    const running = this.#closing.get(shard);
    if (running) return running;
    const open = this.#open.get(shard);
    if (!open) return Promise.resolve();
    const closing = (async () => {
      await whenApplied(open.doc);
      await this.#persisted;
      if (open.uses > 0 || this.#acquiring.has(shard)) return; // used again meanwhile: stays open
      this.#open.delete(shard);
      const entry: StoredShard = { id: shard, state: 'held', records: open.records.size, digest: this.#digestOf(open) };
      if (open.stored > COMPACT_AFTER) await this.#storage.replace(shard, Y.encodeStateAsUpdate(open.doc));
      open.doc.destroy();
      if (this.#entries.get(shard)?.state === 'held' && !this.#unannounced.has(shard)) {
        this.#entries.set(shard, entry);
        await this.#storage.saveEntry(entry);
      }
    })().finally(() => this.#closing.delete(shard));
    this.#closing.set(shard, closing);
    return closing;
  }
}

export const EMPTY_STATE_VECTOR = Y.encodeStateVector(new Y.Doc());
export const EMPTY_DIGEST = stateDigest(EMPTY_STATE_VECTOR);
