// A community held in shards (docs/shards.md): the core, which every device holds whole, and one
// document per UTC month of content. Each shard's document is a `CommunityDoc` of that shard: gated
// (only records of its shard, then the record gate), repaired, stored under its shard and projected
// into the community's one projection. They share one job queue, so the projection is written by one
// job at a time whichever shard it came from.
//
// The page's surface is `DocHandle`, as for a community held as one document: a write goes to the
// document of its record's shard, an import is split by shard, an export joins them; the document
// y-webrtc is bound to is the core's (`doc`), and the lobby, the first page and the relay are the
// core's. Peers sync the shards through `ShardSync` (sync/shards/shard-sync.ts), for which this is
// the `ShardDocs`: a shard a peer offers is opened (created) when fetched, its step 2 passes that
// shard's gate, and its catalogue entry is saved once it holds a record.
import * as Y from 'yjs';
import type { Identity } from '../crypto/identity';
import type { AnyRecord } from '../domain/record';
import type { Scope } from '../domain/scopes';
import { addMonths, CORE_SHARD, groupByShard, isShardId, monthOf, planEviction, shardOf, syncOrder, type ShardId } from '../domain/shards';
import { shardRoomName } from './relay-rooms';
import { rebuildProjection, rebuildsFor } from '../store/projection';
import { countStoredOf, deleteRecords, recordById, recordsByAuthor, shardRecordIds } from '../store/record-store';
import type { HearthDb } from '../store/db';
import { maintainKeys } from '../automation/keys';
import { startAutomation } from '../automation/scheduler';
import type { MemberStatsSource } from '../automation/community-facts';
import { CommunityDoc, ingestMarkKey, type AppendResult, type CommunityDocOptions, type DocHealth, type ImportCount } from './community-doc';
import type { AcceptedListener, DocHandle, LobbyHandle, LobbyOptions, RelayHandle, RelayOptions, ShardList } from './doc-handle';
import { FIRST_PAGE_WANTED_BELOW } from './first-page';
import { JobQueue } from './job-queue';
import { isShardedCommunity } from './shard-mode';
import { localEndpoint, type ShardEndpoint } from './shards/peer-channel';
import { EMPTY_DIGEST, EMPTY_STATE_VECTOR, type CatalogueListener, type ShardDocs, type UpdateListener } from './shards/shard-set';
import { ShardSync } from './shards/shard-sync';
import type { RelayShards } from './shards/relay-shards';
import { stateDigest, type CatalogueEntry } from './shards/shard-wire';

/** Health counts that add up over shards; `rejected` is counted for the whole community by each. */
const SUMMED = ['records', 'repaired', 'unreadableUpdates', 'repairsWaiting', 'junkItems', 'junkBytes', 'malformedMessages', 'wrongShard'] as const;

export class ShardedCommunity implements DocHandle, ShardDocs {
  health: DocHealth = {
    records: 0,
    rejected: 0,
    repaired: 0,
    unreadableUpdates: 0,
    repairsWaiting: 0,
    junkItems: 0,
    junkBytes: 0,
    malformedMessages: 0,
    wrongShard: 0
  };
  onHealth: (h: DocHealth) => void = () => {};

  readonly #jobs = new JobQueue();
  readonly #options: Pick<CommunityDocOptions, 'repairBackoff'>;
  #shards = new Map<ShardId, CommunityDoc>();
  #opening = new Map<ShardId, Promise<CommunityDoc>>();
  /** Shards held: open, opening, or made held for a fetch. */
  #held = new Set<ShardId>();
  /** Held shards without a record yet: not in the catalogue nor told to peers (a fetch may bring nothing). */
  #unannounced = new Set<ShardId>();
  #evicted = new Map<ShardId, { records: number; digest: string }>();
  #updateListeners = new Set<UpdateListener>();
  #catalogueListeners = new Set<CatalogueListener>();
  #acceptedListeners = new Set<AcceptedListener>();
  #evictedListeners = new Set<(shard: ShardId) => void>();
  #digests = new Map<ShardId, string>();
  #sync: ShardSync | null = null;
  /** The relay's month rooms this device is attached to (`startRelay`). */
  #relay: { shards: RelayShards; months: Set<ShardId> } | null = null;
  #endpoint: ShardEndpoint | null = null;
  #closed = false;

  constructor(
    readonly db: HearthDb,
    readonly cid: string,
    options: Pick<CommunityDocOptions, 'repairBackoff'> = {}
  ) {
    this.#options = options;
  }

  /** Opens the core and every shard the catalogue holds (the core first: everything else is judged with it). */
  async open(): Promise<void> {
    const rows = await this.db.shardCatalogue.where('[cid+shard]').between([this.cid, ''], [this.cid, '\uffff']).toArray();
    const held: ShardId[] = [CORE_SHARD];
    for (const row of rows) {
      if (!isShardId(row.shard)) continue;
      if (row.state === 'evicted') this.#evicted.set(row.shard, { records: row.records, digest: row.digest });
      else if (row.shard !== CORE_SHARD) held.push(row.shard);
    }
    for (const shard of syncOrder(held, Date.now())) {
      this.#held.add(shard);
      await this.#open(shard);
    }
  }

  /** The core's document: what y-webrtc is bound to. */
  get doc(): Y.Doc {
    return this.core.doc;
  }

  get core(): CommunityDoc {
    const core = this.#shards.get(CORE_SHARD);
    if (!core) throw new Error('sharded community not open');
    return core;
  }

  /** The open document of a shard, if held (tests, the shard sync's lookups). */
  shard(shard: ShardId): CommunityDoc | undefined {
    return this.#shards.get(shard);
  }

  /** Records held over every shard. */
  size(): number {
    let n = 0;
    for (const doc of this.#shards.values()) n += doc.records.size;
    return n;
  }

  // ---- DocHandle ----

  async append(records: AnyRecord | readonly AnyRecord[]): Promise<AppendResult> {
    const all = ([] as AnyRecord[]).concat(records);
    if (!all.length) return { ok: false, reason: 'record.malformed' };
    const groups = this.#byShard(all);
    // An epoch's parts (the records that stand or fall together) are all core records: one append.
    // Records of several shards are appended shard by shard, the core first.
    for (const [shard, group] of groups) {
      const result = await (await this.#shard(shard, true))!.append(group);
      if (!result.ok) return result;
    }
    return { ok: true, record: all[0] };
  }

  onAccepted(listener: AcceptedListener): () => void {
    this.#acceptedListeners.add(listener);
    return () => this.#acceptedListeners.delete(listener);
  }

  onEvicted(listener: (shard: ShardId) => void): () => void {
    this.#evictedListeners.add(listener);
    return () => this.#evictedListeners.delete(listener);
  }

  async settled(): Promise<void> {
    // A shard opened while waiting (a peer's fetch) is waited for too.
    for (;;) {
      const docs = [...this.#shards.values()];
      await Promise.all([...this.#opening.values()]);
      await Promise.all(docs.map((d) => d.settled()));
      if (docs.length === this.#shards.size && !this.#opening.size) return;
    }
  }

  async healthSettled(): Promise<void> {
    await this.settled();
    for (const doc of this.#shards.values()) await doc.healthSettled();
  }

  /**
   * The core first, then the newest months. An import large enough for a rebuild is projected once
   * at its end (each month's import rebuilt the projection from everything stored so far: tens of
   * rebuilds at 10k); a small one month by month, as it is checked.
   */
  async importRecords(records: AnyRecord[]): Promise<ImportCount> {
    const defer = rebuildsFor(records.length, this.size());
    const accepted: AnyRecord[] = [];
    const groups = this.#byShard(records);
    // Every month's document opens before anything is stored: one opening after the first month was
    // stored (the projection marked behind until the end) would rebuild it.
    const docs = new Map<ShardId, CommunityDoc>();
    for (const [shard] of groups) docs.set(shard, (await this.#shard(shard, true))!);
    // Counted once for the whole import: counting reads every id the community has stored, and a
    // month's import counted twice (the real community's 143 months spent most of their import there).
    const already = await countStoredOf(this.db, this.cid, records);
    try {
      for (const [shard, group] of groups) {
        const doc = docs.get(shard)!;
        if (defer) accepted.push(...(await doc.importDeferred(group)));
        else await doc.importRecords(group);
      }
    } finally {
      // Projected even when a month failed: what was stored is shown (a crash before it rebuilds at the next open).
      if (accepted.length) await this.core.projectImported(accepted);
    }
    return { already, present: await countStoredOf(this.db, this.cid, records) };
  }

  async exportRecords(): Promise<AnyRecord[]> {
    await this.settled();
    const out: AnyRecord[] = [];
    for (const doc of this.#shards.values()) out.push(...(await doc.exportRecords()));
    return out;
  }

  openLobby(options?: LobbyOptions): Promise<LobbyHandle> {
    return this.core.openLobby(options);
  }

  async wantsFirstPage(): Promise<boolean> {
    return !this.#closed && this.size() < FIRST_PAGE_WANTED_BELOW;
  }

  takeFirstPage(bytes: Uint8Array): Promise<boolean> {
    return this.core.takeFirstPage(bytes);
  }

  firstPage(): Promise<Uint8Array> {
    return this.core.firstPage();
  }

  newcomerInLobby(): void {
    this.core.newcomerInLobby();
  }

  /** The core's history for a newcomer's step 1 on the core document; the months come through the shard sync. */
  historyReply(step1: Uint8Array): Uint8Array[] | null {
    return this.core.historyReply(step1);
  }

  noteJunk(items: number, bytes: number): void {
    this.core.noteJunk(items, bytes);
  }

  automate(identity: Identity, memberStats: MemberStatsSource): () => void {
    // Writes of the automation (welcome posts, scheduled content) go to their own month through `append`.
    return startAutomation(this.db, this, identity, memberStats);
  }

  maintainKeys(identity: Identity, now = Date.now(), also: readonly Scope[] = []): Promise<number> {
    return maintainKeys(this.db, this, identity, now, also);
  }

  /**
   * The relay holds each shard in a room of its own (docs/shards.md, Relays): the core's document in
   * `<room>.core` (with the awareness, status and proof the page sees), the months over the same
   * address's one socket (`RelayShards`): those held, and every month since the community began, so
   * a device that meets no peer (a newcomer while the creator is away) learns of months it does not
   * hold; a month the relay has nothing of is let go once synced.
   */
  async startRelay(options: RelayOptions): Promise<RelayHandle> {
    const core = await this.core.startRelay({ ...options, room: shardRoomName(options.room, CORE_SHARD) });
    const [{ RelayShards }, { guardedWebSocket }] = await Promise.all([import('./shards/relay-shards'), import('./relay-socket')]);
    const state = { identity: options.identity };
    const shards = new RelayShards({
      address: options.addresses[0],
      room: options.room,
      identity: () => state.identity,
      WebSocketPolyfill: guardedWebSocket(this.core.doc)
    });
    const relay = { shards, months: new Set<ShardId>() };
    this.#relay = relay;
    for (const month of await this.#relayMonths()) void this.#attachToRelay(month);
    return {
      get connected() {
        return core.connected;
      },
      connect: () => {
        core.connect();
        for (const month of shards.attached()) shards.link(month)?.connect();
      },
      disconnect: () => {
        core.disconnect();
        for (const month of shards.attached()) shards.link(month)?.disconnect();
      },
      destroy: () => {
        core.destroy();
        shards.destroy();
        if (this.#relay === relay) this.#relay = null;
      },
      prove: (who) => {
        state.identity = who;
        core.prove(who);
        for (const month of shards.attached()) shards.link(month)?.prove();
      },
      present: (s) => core.present(s),
      states: () => core.states()
    };
  }

  /** The months held and those from the community's first month to this one, less those evicted. */
  async #relayMonths(now = Date.now()): Promise<ShardId[]> {
    const months = new Set<ShardId>([...this.#held].filter((s) => s !== CORE_SHARD));
    const genesis = await recordById(this.db, this.cid);
    const created = genesis?.kind === 'genesis' ? (genesis.body as { createdAt?: unknown }).createdAt : undefined;
    if (typeof created === 'number' && created <= now) {
      // At most ten years back: a community's months past that come from peers, or when read.
      for (let m = monthOf(now), n = 0; m >= monthOf(created) && n < 120; m = addMonths(m, -1), n++) if (!this.isEvicted(m)) months.add(m);
    }
    return syncOrder(months, now);
  }

  async #attachToRelay(month: ShardId): Promise<void> {
    const relay = this.#relay;
    if (!relay || relay.months.has(month)) return;
    relay.months.add(month);
    const doc = await this.#shard(month, true);
    if (!doc || this.#relay !== relay) return;
    relay.shards.attach(month, doc.doc, () => {
      // Nothing there, nor here: an older month's room is let go (a peer's offer or a fetch opens it
      // again). This month's stays: this member's next post goes there.
      if (doc.records.size || !this.#unannounced.has(month) || month >= monthOf(Date.now())) return;
      relay.shards.detach(month);
      relay.months.delete(month);
      void this.discardEmpty(month);
    });
  }

  /** The shard sync of this device's connections to the community's peers (started when first asked for). */
  get shards(): ShardEndpoint {
    if (!this.#endpoint) {
      this.#sync = new ShardSync(this);
      this.#endpoint = localEndpoint(this.#sync);
    }
    return this.#endpoint;
  }

  close(): void {
    this.#closed = true;
    this.#sync?.destroy();
    for (const doc of this.#shards.values()) doc.close();
  }

  // ---- what the device keeps ----

  /** Shards held (the core first, then the newest months) and shards evicted, with their record counts. */
  async shardList(): Promise<ShardList> {
    return {
      held: syncOrder(this.#shards.keys(), Date.now()).map((id) => ({ id, records: this.#shards.get(id)!.records.size })),
      evicted: [...this.#evicted]
        .filter(([id]) => !this.#held.has(id))
        .map(([id, e]) => ({ id, records: e.records }))
        .sort((a, b) => (a.id < b.id ? 1 : -1))
    };
  }

  /**
   * Evicts a month (docs/shards.md, Eviction): its document closes, its stored updates, ingest mark and
   * records leave the device, the projection is rebuilt without them, and the catalogue remembers it as
   * evicted (told to peers, not fetched again in the background; `fetch` brings it back). Never the core
   * nor the current month. In the job queue: no check or projection runs beside the removal.
   */
  async evict(shard: ShardId, now = Date.now()): Promise<boolean> {
    if (shard === CORE_SHARD || shard === monthOf(now) || this.#closed) return false;
    const doc = await this.#shard(shard, false);
    if (!doc) return false;
    await this.settled();
    const entry = { records: doc.records.size, digest: this.digest(shard) };
    const evicted = await this.#jobs.enqueue(async () => {
      if (this.#shards.get(shard) !== doc) return false;
      this.#relay?.shards.detach(shard);
      this.#relay?.months.delete(shard);
      doc.close();
      this.#shards.delete(shard);
      this.#digests.delete(shard);
      this.#held.delete(shard);
      this.#unannounced.delete(shard);
      this.#evicted.set(shard, entry);
      const ids = await shardRecordIds(this.db, this.cid, shard);
      await this.db.transaction('rw', [this.db.docUpdates, this.db.ingestMarks, this.db.shardCatalogue], async () => {
        await this.db.docUpdates.where('[shard+cid]').equals([shard, this.cid]).delete();
        // A mark left behind would say the gate saw the items the month brings when fetched again.
        await this.db.ingestMarks.delete(ingestMarkKey(this.cid, shard));
        await this.db.shardCatalogue.put({ cid: this.cid, shard, state: 'evicted', ...entry });
      });
      await deleteRecords(this.db, ids);
      await rebuildProjection(this.db, this.cid);
      return true;
    });
    if (!evicted) return false;
    for (const listener of this.#catalogueListeners) listener({ id: shard, ...entry, held: false });
    for (const listener of this.#evictedListeners) listener(shard);
    this.#publishHealth();
    return true;
  }

  /** Fetches an evicted (or never held) month from the peers now: true once it is held again. */
  async fetchShard(shard: string, timeoutMs?: number): Promise<boolean> {
    if (!isShardId(shard) || shard === CORE_SHARD) return false;
    if (this.#held.has(shard)) return true;
    if (!this.#sync) return false;
    return this.#sync.want(shard, timeoutMs);
  }

  /**
   * Keeps the last `keepMonths` months (null: everything) and every month holding a record `member`
   * wrote; evicts the rest, oldest first. Returns the months evicted.
   */
  async keepMonths(keepMonths: number | null, member: string | null, now = Date.now()): Promise<string[]> {
    if (keepMonths === null) return [];
    const kept = new Set<ShardId>();
    if (member) for (const r of await recordsByAuthor(this.db, this.cid, member)) kept.add(shardOf(r));
    const { evict } = planEviction(this.#shards.keys(), { keepMonths, kept }, now);
    const out: ShardId[] = [];
    for (const shard of evict) if (await this.evict(shard, now)) out.push(shard);
    return out;
  }

  // ---- ShardDocs ----

  isHeld(shard: ShardId): boolean {
    return this.#held.has(shard);
  }

  isEvicted(shard: ShardId): boolean {
    return !this.#held.has(shard) && this.#evicted.has(shard);
  }

  catalogue(): CatalogueEntry[] {
    const out: CatalogueEntry[] = [];
    for (const [shard, doc] of this.#shards) {
      if (this.#unannounced.has(shard) || !doc.records.size) continue;
      out.push({ id: shard, records: doc.records.size, digest: this.digest(shard), held: true });
    }
    return out;
  }

  /** Kept until the shard's document changes: each new peer's catalogue and each comparison asks for every month's. */
  digest(shard: ShardId): string {
    const doc = this.#shards.get(shard);
    if (!doc) return EMPTY_DIGEST;
    let digest = this.#digests.get(shard);
    if (digest === undefined) this.#digests.set(shard, (digest = stateDigest(Y.encodeStateVector(doc.doc))));
    return digest;
  }

  async stateVector(shard: ShardId): Promise<Uint8Array> {
    const doc = await this.#shard(shard, false);
    return doc ? Y.encodeStateVector(doc.doc) : EMPTY_STATE_VECTOR;
  }

  async use<T>(shard: ShardId, fn: (doc: Y.Doc) => T | Promise<T>, create = false): Promise<T | null> {
    const doc = await this.#shard(shard, create);
    return doc ? fn(doc.doc) : null;
  }

  async acquire(shard: ShardId, create = false): Promise<Y.Doc | null> {
    return (await this.#shard(shard, create))?.doc ?? null;
  }

  /** Every held document stays open (a bound on open months is docs/shards.md's next step). */
  release(_shard: ShardId): void {}

  async discardEmpty(shard: ShardId): Promise<boolean> {
    if (!this.#unannounced.has(shard)) return false;
    const doc = await this.#opening.get(shard);
    const open = doc ?? this.#shards.get(shard);
    if (open?.records.size) return false;
    await open?.settled();
    open?.close();
    this.#shards.delete(shard);
    this.#digests.delete(shard);
    this.#held.delete(shard);
    this.#unannounced.delete(shard);
    return true;
  }

  onUpdate(listener: UpdateListener): () => void {
    this.#updateListeners.add(listener);
    return () => this.#updateListeners.delete(listener);
  }

  onCatalogue(listener: CatalogueListener): () => void {
    this.#catalogueListeners.add(listener);
    return () => this.#catalogueListeners.delete(listener);
  }

  // ---- inside ----

  /** Records grouped by shard, in sync order (the core first, then the newest months). */
  #byShard(records: readonly AnyRecord[]): [ShardId, AnyRecord[]][] {
    const groups = groupByShard(records);
    return syncOrder([...groups.keys()], Date.now()).map((s) => [s, groups.get(s)!]);
  }

  /** A held shard's document; with `create`, a shard not held becomes held (announced with its first record). */
  async #shard(shard: ShardId, create: boolean): Promise<CommunityDoc | null> {
    if (!isShardId(shard)) throw new RangeError(`not a shard id: ${shard}`);
    const open = this.#shards.get(shard);
    if (open) return open;
    if (!this.#held.has(shard)) {
      if (!create || this.#closed) return null;
      this.#held.add(shard);
      this.#unannounced.add(shard);
      this.#evicted.delete(shard);
    }
    return this.#open(shard);
  }

  #open(shard: ShardId): Promise<CommunityDoc> {
    let opening = this.#opening.get(shard);
    if (!opening) {
      opening = this.#load(shard).finally(() => this.#opening.delete(shard));
      this.#opening.set(shard, opening);
    }
    return opening;
  }

  async #load(shard: ShardId): Promise<CommunityDoc> {
    const doc = new CommunityDoc(this.db, this.cid, { ...this.#options, shard, jobs: this.#jobs, communitySize: () => this.size() });
    await doc.open();
    doc.onHealth = () => this.#publishHealth();
    doc.onAccepted((records) => {
      for (const listener of this.#acceptedListeners) {
        Promise.resolve(listener(records, this)).catch((e) => console.error('accepted-record listener failed', e));
      }
    });
    doc.doc.on('update', (update: Uint8Array, origin: unknown) => {
      this.#digests.delete(shard);
      if (doc.records.size && this.#unannounced.delete(shard)) this.#announce(shard, doc);
      for (const listener of this.#updateListeners) listener(shard, update, origin);
    });
    this.#shards.set(shard, doc);
    // Records put back at open (stored before the shard was held: a first page's, an import's) make it
    // held: peers are told, or they never ask for what this device wrote there.
    if (doc.records.size && this.#unannounced.has(shard)) {
      this.#unannounced.delete(shard);
      this.#announce(shard, doc);
    }
    if (shard !== CORE_SHARD && this.#relay) void this.#attachToRelay(shard);
    this.#publishHealth();
    return doc;
  }

  #announce(shard: ShardId, doc: CommunityDoc): void {
    const entry: CatalogueEntry = { id: shard, records: doc.records.size, digest: this.digest(shard), held: true };
    this.db.shardCatalogue
      .put({ cid: this.cid, shard, state: 'held', records: entry.records, digest: entry.digest })
      .catch((error) => console.warn('shard catalogue not saved', error));
    for (const listener of this.#catalogueListeners) listener(entry);
  }

  #publishHealth(): void {
    const health: DocHealth = { ...this.health };
    for (const key of SUMMED) health[key] = 0;
    health.rejected = 0;
    for (const doc of this.#shards.values()) {
      for (const key of SUMMED) health[key] = (health[key] ?? 0) + (doc.health[key] ?? 0);
      health.rejected = Math.max(health.rejected, doc.health.rejected);
    }
    this.health = health;
    this.onHealth(health);
  }
}

/** Opens a community's document handle on this thread: held in shards if its genesis says so, else as one document. */
export async function openCommunityHandle(db: HearthDb, cid: string): Promise<CommunityDoc | ShardedCommunity> {
  const doc = (await isShardedCommunity(db, cid)) ? new ShardedCommunity(db, cid) : new CommunityDoc(db, cid);
  await doc.open();
  return doc;
}
