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
//
// Months open when used (a write, a peer's sync, the relay, an export) and close again past
// `maxOpen` idle ones, least recently used first: a device holding years of history opens the core,
// this month and the months that changed since they last closed. A month closes once everything it
// holds is stored and checked; its catalogue row then keeps its record count, digest and newest
// stored update (`seq`), which is how the next open knows it unchanged without opening it.
import * as Y from 'yjs';
import type { Identity } from '../crypto/identity';
import type { AnyRecord } from '../domain/record';
import type { Scope } from '../domain/scopes';
import { addMonths, CORE_SHARD, groupByShard, isShardId, keepsShard, monthOf, planEviction, syncOrder, type KeepPolicy, type ShardId } from '../domain/shards';
import { MAX_LISTED_MONTHS, shardRoomName } from './relay-rooms';
import { rebuildProjection, rebuildsFor } from '../store/projection';
import { countStoredOf, deleteRecords, recordById, shardRecordIds, shardsOfIds, shardsTargeting, storedIdsOf } from '../store/record-store';
import { keepPolicy, noteRead } from '../store/kept-months';
import type { HearthDb, ShardCatalogueRow } from '../store/db';
import { maintainKeys } from '../automation/keys';
import { startAutomation } from '../automation/scheduler';
import type { MemberStatsSource } from '../automation/community-facts';
import {
  CommunityDoc,
  ImportWrites,
  ingestMarkKey,
  type AppendResult,
  type CommunityDocOptions,
  type DocHealth,
  type ImportCount,
  type ShardImport
} from './community-doc';
import type { AcceptedListener, DocHandle, LobbyHandle, LobbyOptions, MissingMonths, RelayHandle, RelayOptions, ShardList, ThreadFetch } from './doc-handle';
import { FIRST_PAGE_WANTED_BELOW } from './first-page';
import { nextTask } from './gated-sync-protocol';
import { lobbyPageFor, takeLobbyPage } from './lobby-page';
import { JobQueue } from './job-queue';
import { isShardedCommunity } from './shard-mode';
import { localEndpoint, type ShardEndpoint } from './shards/peer-channel';
import { DEFAULT_MAX_OPEN, EMPTY_DIGEST, EMPTY_STATE_VECTOR, type CatalogueListener, type ShardDocs, type UpdateListener } from './shards/shard-set';
import { ShardSync } from './shards/shard-sync';
import type { RelayShards } from './shards/relay-shards';
import { stateDigest, type CatalogueEntry, type LocateMode } from './shards/shard-wire';
import { fetchThread } from './shards/fetch-thread';
import { replyFromStored } from './shards/stored-reply';
import { migrateToShards, storedShardDecision } from './shards/legacy-migration';
import { openBridge, type LegacyBridge } from './shards/legacy-bridge';

/** How often a community held in shards tells its health at most (`#publishHealth`). */
const HEALTH_EVERY_MS = 100;

/** Health counts that add up over shards; `rejected` is counted for the whole community by each. */
const SUMMED = ['records', 'repaired', 'unreadableUpdates', 'repairsWaiting', 'junkItems', 'junkBytes', 'malformedMessages', 'wrongShard'] as const;

export class ShardedCommunity implements DocHandle, ShardDocs {
  #health: DocHealth = {
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
  /** Some month's health changed since `#health` was summed. */
  #healthStale = false;
  #healthTimer: ReturnType<typeof setTimeout> | null = null;
  onHealth: (h: DocHealth) => void = () => {};

  readonly #jobs = new JobQueue();
  readonly #options: Pick<CommunityDocOptions, 'repairBackoff'>;
  readonly #maxOpen: number;
  readonly #idleCloseMs: number;
  #shards = new Map<ShardId, CommunityDoc>();
  #opening = new Map<ShardId, Promise<CommunityDoc>>();
  #closing = new Map<ShardId, Promise<void>>();
  /** Users of an open shard now (a write, a request in flight): not closed while any. */
  #uses = new Map<ShardId, number>();
  /** Shards opening for a use not counted yet in `#uses` (`#acquire`). */
  #acquiring = new Map<ShardId, number>();
  #lastUsed = new Map<ShardId, number>();
  /** Shards held: open, opening, closed, or made held for a fetch. */
  #held = new Set<ShardId>();
  /** Held shards not open: their records and digest as saved when they closed, and their health then. */
  #closed = new Map<ShardId, { records: number; digest: string; health?: DocHealth }>();
  /** Held shards without a record yet: not in the catalogue nor told to peers (a fetch may bring nothing). */
  #unannounced = new Set<ShardId>();
  /** Shards with a catalogue row when the community opened. */
  #catalogued = new Set<string>();
  /** Catalogue rows of months just announced, saved together (`#saveRowSoon`). */
  #unsavedRows = new Map<ShardId, ShardCatalogueRow>();
  /** The write of the rows waiting now, due at `timer`: its promise settles when they are written (or not). */
  #rowsSaved: { promise: Promise<void>; done: (saved: Promise<void>) => void; timer: ReturnType<typeof setTimeout> } | null = null;
  /** Months made held for a fetch whose stored records wait for its answer to be put back (`#restoreFetched`). */
  #fetched = new Set<ShardId>();
  #evicted = new Map<ShardId, { records: number; digest: string }>();
  #updateListeners = new Set<UpdateListener>();
  #catalogueListeners = new Set<CatalogueListener>();
  #acceptedListeners = new Set<AcceptedListener>();
  #evictedListeners = new Set<(shard: ShardId) => void>();
  #digests = new Map<ShardId, string>();
  /** The cap the member chose (`keepMonths`): months past it are not fetched in the background, from peers or the relay. */
  #policy: KeepPolicy | null = null;
  /** Months asked for on demand now (`fetchShard`), and when each evicted one came back so. */
  #fetching = new Map<ShardId, number>();
  #fetchedAt = new Map<ShardId, number>();
  #sync: ShardSync | null = null;
  /** The relay's month rooms this device is attached to (`startRelay`). */
  #relay: RelayState | null = null;
  #idleTimer: ReturnType<typeof setTimeout> | null = null;
  #endpoint: ShardEndpoint | null = null;
  /** The month the community began, once its genesis is stored (`missingMonths`). */
  #firstMonth: ShardId | undefined;
  #ended = false;
  /** Closed months answered to a peer from their stored updates (tests). */
  servedClosed = 0;
  /** Shards opened since the community opened (tests: which months opening it took). */
  readonly opened: ShardId[] = [];
  /** Split from a single document on this device and still in the transition: that document's updates carried into the shards (shards/legacy-bridge). */
  legacy: LegacyBridge | null = null;

  constructor(
    readonly db: HearthDb,
    readonly cid: string,
    options: Pick<CommunityDocOptions, 'repairBackoff'> & { maxOpen?: number; idleCloseMs?: number } = {}
  ) {
    this.#options = { repairBackoff: options.repairBackoff };
    this.#maxOpen = Math.max(0, options.maxOpen ?? DEFAULT_MAX_OPEN);
    this.#idleCloseMs = options.idleCloseMs ?? IDLE_CLOSE_MS;
  }

  /**
   * Opens the core (everything else is judged with it), this month, and every held month whose
   * catalogue row was not saved as it closed or whose stored updates changed since: a tab that died
   * with the month open, or an older version's row. The others stay closed until used.
   */
  async open(): Promise<void> {
    const rows = await this.db.shardCatalogue.where('[cid+shard]').between([this.cid, ''], [this.cid, '\uffff']).toArray();
    for (const row of rows) this.#catalogued.add(row.shard);
    const held: ShardId[] = [CORE_SHARD];
    const unchanged = await this.#unchangedSinceClosed(rows);
    for (const row of rows) {
      if (!isShardId(row.shard) || row.shard === CORE_SHARD) continue;
      if (row.state === 'evicted') this.#evicted.set(row.shard, { records: row.records, digest: row.digest });
      else if (unchanged.has(row.shard) && !this.#alwaysOpen(row.shard)) {
        this.#held.add(row.shard);
        this.#closed.set(row.shard, { records: row.records, digest: row.digest });
      } else held.push(row.shard);
    }
    for (const shard of syncOrder(held, Date.now())) {
      this.#held.add(shard);
      await this.#open(shard);
      this.#closeIdle();
    }
  }

  /** Held months whose row was saved as they closed, with the newest stored update still the one it names. */
  async #unchangedSinceClosed(rows: readonly ShardCatalogueRow[]): Promise<Set<ShardId>> {
    const saved = rows.filter((r) => r.state === 'held' && typeof r.seq === 'number' && isShardId(r.shard) && r.shard !== CORE_SHARD);
    const newest = await this.db.transaction('r', this.db.docUpdates, () =>
      Promise.all(
        saved.map(async (r) => Math.max(0, ...((await this.db.docUpdates.where('[shard+cid]').equals([r.shard, this.cid]).primaryKeys()) as number[])))
      )
    );
    return new Set(saved.filter((r, i) => newest[i] === r.seq).map((r) => r.shard as ShardId));
  }

  /** The core and this month stay open. */
  #alwaysOpen(shard: ShardId): boolean {
    return shard === CORE_SHARD || shard === monthOf(Date.now());
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

  /** The open document of a shard (tests, the shard sync's lookups); undefined when not held or closed. */
  shard(shard: ShardId): CommunityDoc | undefined {
    return this.#shards.get(shard);
  }

  /** Whether a held shard's document is open now. */
  isOpen(shard: ShardId): boolean {
    return this.#shards.has(shard);
  }

  /** Records held over every shard. */
  size(): number {
    let n = 0;
    for (const shard of this.#held) n += this.#count(shard);
    return n;
  }

  /** Records a held shard holds: counted when open, as saved when closed. */
  #count(shard: ShardId): number {
    return this.#shards.get(shard)?.recordCount ?? this.#closed.get(shard)?.records ?? 0;
  }

  // ---- DocHandle ----

  async append(records: AnyRecord | readonly AnyRecord[]): Promise<AppendResult> {
    const all = ([] as AnyRecord[]).concat(records);
    if (!all.length) return { ok: false, reason: 'record.malformed' };
    const groups = this.#byShard(all);
    // An epoch's parts (the records that stand or fall together) are all core records: one append.
    // Records of several shards are appended shard by shard, the core first.
    for (const [shard, group] of groups) {
      const result = (await this.#with(shard, (doc) => doc.append(group))) ?? { ok: false, reason: 'storage.failed' };
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
    // A shard opened or closed while waiting (a peer's fetch, an idle month) is waited for too.
    for (;;) {
      const docs = [...this.#shards.values()];
      await Promise.all([...this.#opening.values(), ...this.#closing.values()]);
      await Promise.all(docs.map((d) => d.settled()));
      if (docs.length === this.#shards.size && !this.#opening.size && !this.#closing.size) return;
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
    const groups = this.#byShard(records);
    // Every month's document opens before anything is stored: one opening after the first month was
    // stored (the projection marked behind until the end) would rebuild it.
    const docs = new Map<ShardId, CommunityDoc>();
    // Read once for the whole import, for its count and every month's gate: counting reads every id
    // the community has stored (the real community's 143 months spent most of their import there when
    // each month counted), and a month's check that read them waited for the months' writes before it.
    const stored = await storedIdsOf(this.db, this.cid);
    const already = records.reduce((n, r) => n + (stored.has(r.id) ? 1 : 0), 0);
    const shares: ShardImport[] = [];
    const writes = new ImportWrites(this.db, this.cid);
    let failed: unknown = null;
    try {
      for (const [shard] of groups) docs.set(shard, (await this.#acquire(shard, true))!);
      for (const [shard, group] of groups) {
        const doc = docs.get(shard)!;
        if (!defer) {
          await doc.importRecords(group);
          continue;
        }
        // Each month's check is queued as it is given; the next month is given between two slices.
        shares.push(doc.importShare(group, stored, writes));
        await nextTask();
      }
      for (const share of shares) await share.done.catch((error) => (failed ??= error));
    } finally {
      // Projected even when a month failed: what was stored is shown (a crash before it rebuilds at the next open).
      const accepted = shares.flatMap((s) => s.accepted);
      const projected = accepted.length ? this.core.projectImported(accepted, [...docs.values()]) : Promise.resolve();
      // The months' updates stored (each waits for its records, as its skeleton names them): an import that returned is on disk.
      const written = Promise.all(shares.map((s) => s.written));
      const ended = await Promise.allSettled([projected, written]);
      for (const shard of docs.keys()) this.release(shard);
      for (const end of ended) if (end.status === 'rejected') failed ??= end.reason;
    }
    if (failed) throw failed;
    return { already, present: await countStoredOf(this.db, this.cid, records) };
  }

  /** Every held shard's records, a closed month opened for the time it takes. */
  async exportRecords(): Promise<AnyRecord[]> {
    await this.settled();
    const out: AnyRecord[] = [];
    for (const shard of syncOrder(this.#held, Date.now())) out.push(...((await this.#with(shard, (doc) => doc.exportRecords(), false)) ?? []));
    return out;
  }

  openLobby(options?: LobbyOptions): Promise<LobbyHandle> {
    return this.core.openLobby(options);
  }

  /**
   * A device that evicted months is no newcomer: a peer's first page would put the newest threads of
   * those months back, loose (stored without their month). Nor is one taken that arrives after an
   * eviction (asked for as the page opened, while the member chose to keep fewer months).
   */
  async wantsFirstPage(): Promise<boolean> {
    return !this.#ended && this.size() < FIRST_PAGE_WANTED_BELOW && !this.#evicted.size;
  }

  takeFirstPage(bytes: Uint8Array): Promise<boolean> {
    return this.#evicted.size ? Promise.resolve(false) : this.core.takeFirstPage(bytes);
  }

  firstPage(): Promise<Uint8Array> {
    return this.core.firstPage();
  }

  lobbyPage(member: string): Promise<Uint8Array | null> {
    return lobbyPageFor(this, member);
  }

  takeLobbyPage(sealed: Uint8Array): Promise<'taken' | 'refused' | 'no-key'> {
    return takeLobbyPage(this, sealed);
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
    // The first page a newcomer just let in will ask for is the core's to make.
    return startAutomation(this.db, this, identity, memberStats, () => this.core.lettingIn());
  }

  maintainKeys(identity: Identity, now = Date.now(), also: readonly Scope[] = []): Promise<number> {
    return maintainKeys(this.db, this, identity, now, also);
  }

  /**
   * The relay holds each shard in a room of its own (docs/shards.md, Relays): the core's document in
   * `<room>.core` (with the awareness, status and proof the page sees), the months over the same
   * address's one socket (`RelayShards`). An open month is attached while it is open; the others are
   * visited two at a time each time the core syncs (opened, synced, let go): the months held, and
   * every month since the community began, so a device that meets no peer (a newcomer while the
   * creator is away) learns of months it does not hold; a month the relay has nothing of is forgotten.
   */
  async startRelay(options: RelayOptions): Promise<RelayHandle> {
    const [{ RelayShards }, { guardedWebSocket }] = await Promise.all([import('./shards/relay-shards'), import('./relay-socket')]);
    const state = { identity: options.identity };
    const shards = new RelayShards({
      address: options.addresses[0],
      room: options.room,
      identity: () => state.identity,
      WebSocketPolyfill: guardedWebSocket(this.core.doc)
    });
    let proved = () => {};
    const relay: RelayState = {
      shards,
      synced: new Set(),
      waiters: new Map(),
      visited: new Set(),
      listed: null,
      proved: new Promise<void>((resolve) => (proved = resolve)),
      sweeping: false,
      again: false
    };
    this.#relay = relay;
    const core = await this.core.startRelay({
      ...options,
      room: shardRoomName(options.room, CORE_SHARD),
      onStatus: (connected) => {
        // Months are visited again after the relay comes back: it may have been given more meanwhile.
        if (!connected) relay.visited.clear();
        options.onStatus(connected);
      },
      onSynced: () => {
        options.onSynced();
        void this.#sweepRelay(relay);
      },
      onNotice: (notice) => {
        options.onNotice?.(notice);
        if (notice.member) proved();
        const listed = listedMonths(notice.months);
        if (!listed) return;
        // The months the relay holds (after the proof, then each month as it first holds something)
        // replace the ten-year window: older ones too, and no visit to empty ones.
        relay.listed = [...new Set([...(relay.listed ?? []), ...listed])];
        void this.#sweepRelay(relay);
      }
    });
    for (const [month, doc] of this.#shards) this.#attachToRelay(month, doc);
    // The transition: the single document's room still read for a device that has not split (shards/legacy-bridge).
    const legacy = this.legacy ? await this.legacy.startRelay(options) : null;
    return {
      get connected() {
        return core.connected;
      },
      connect: () => {
        core.connect();
        legacy?.connect();
        for (const month of shards.attached()) shards.link(month)?.connect();
      },
      disconnect: () => {
        core.disconnect();
        legacy?.disconnect();
        for (const month of shards.attached()) shards.link(month)?.disconnect();
      },
      destroy: () => {
        core.destroy();
        legacy?.destroy();
        shards.destroy();
        if (this.#relay === relay) this.#relay = null;
        for (const settle of relay.waiters.values()) settle(false);
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

  /**
   * The months held, and those the relay says it holds (or, from a relay that does not say, those
   * from the community's first month to this one, ten years at most), less those evicted.
   */
  async #relayMonths(relay: RelayState, now = Date.now()): Promise<ShardId[]> {
    const months = new Set<ShardId>([...this.#held].filter((s) => s !== CORE_SHARD));
    if (relay.listed) {
      for (const m of relay.listed) if (!this.isEvicted(m) && this.#wants(m)) months.add(m);
      return syncOrder(months, now);
    }
    // A newcomer's core has just synced: its genesis is checked and stored once the core settles.
    await this.core.settled();
    const genesis = await recordById(this.db, this.cid);
    const created = genesis?.kind === 'genesis' ? (genesis.body as { createdAt?: unknown }).createdAt : undefined;
    if (typeof created === 'number' && created <= now) {
      // At most ten years back: a community's months past that come from peers, or when read.
      for (let m = monthOf(now), n = 0; m >= monthOf(created) && n < 120; m = addMonths(m, -1), n++) if (!this.isEvicted(m) && this.#wants(m)) months.add(m);
    }
    return syncOrder(months, now);
  }

  /**
   * Visits the months not open, newest first, two at a time; stops when the relay does not answer
   * (its next sync goes on), and starts again when the relay lists its months meanwhile.
   */
  async #sweepRelay(relay: RelayState): Promise<void> {
    if (relay.sweeping) {
      relay.again = true;
      return;
    }
    relay.sweeping = true;
    try {
      // The relay lists its months once this device has proved itself: waited for a moment, so a
      // newcomer does not visit ten years of empty months first (a device without a key never proves).
      await Promise.race([relay.proved, new Promise((resolve) => setTimeout(resolve, PROOF_WAIT_MS))]);
      do {
        relay.again = false;
        const months = (await this.#relayMonths(relay)).filter((m) => !relay.visited.has(m));
        let next = 0;
        let answered = true;
        const visitor = async () => {
          while (answered && !relay.again && next < months.length && this.#relay === relay && !this.#ended) {
            const month = months[next++];
            if (this.#shards.has(month)) continue; // attached while open
            answered = await this.#visitRelay(relay, month);
            if (answered) relay.visited.add(month);
          }
        };
        await Promise.all(Array.from({ length: RELAY_VISITS }, visitor));
      } while (relay.again && this.#relay === relay && !this.#ended);
    } finally {
      relay.sweeping = false;
    }
  }

  /** One month synced with its room: true once the relay answered (or nothing is left to do), false when it did not in time. */
  async #visitRelay(relay: RelayState, month: ShardId): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const synced = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), RELAY_VISIT_MS);
      relay.waiters.set(month, resolve);
    });
    const doc = await this.#acquire(month, true, true);
    if (!doc) {
      clearTimeout(timer);
      relay.waiters.delete(month);
      return true;
    }
    try {
      const answered = relay.synced.has(month) || (await synced);
      if (answered) await this.#restoreFetched(month);
      // What this device sent (its step 2, its updates) acknowledged before the month is let go.
      // (Polled every 100 ms before: ~50 ms a visit on average, two visits at a time over a relay's 143 months.)
      const link = relay.shards.link(month);
      if (answered && link) await link.acknowledged(RELAY_VISIT_MS);
      return answered;
    } finally {
      clearTimeout(timer);
      relay.waiters.delete(month);
      this.release(month);
      // Nothing there, nor here: an older month is forgotten (a peer's offer or a fetch opens it again).
      if (!doc.recordCount && month < monthOf(Date.now())) await this.discardEmpty(month);
    }
  }

  #attachToRelay(month: ShardId, doc: CommunityDoc): void {
    const relay = this.#relay;
    if (!relay || month === CORE_SHARD || relay.shards.link(month)) return;
    relay.shards.attach(month, doc.doc, () => {
      relay.synced.add(month);
      relay.waiters.get(month)?.(true);
    });
  }

  #detachFromRelay(month: ShardId): void {
    this.#relay?.shards.detach(month);
    this.#relay?.synced.delete(month);
  }

  /** The shard sync of this device's connections to the community's peers (started when first asked for). */
  get shards(): ShardEndpoint {
    if (!this.#endpoint) {
      this.#sync = new ShardSync(this, { lookup: (mode, ids) => this.#lookup(mode, ids), wants: (shard) => this.#wants(shard) });
      this.#sync.onArrived((shard) => void this.#restoreFetched(shard));
      this.#endpoint = localEndpoint(this.#sync);
    }
    return this.#endpoint;
  }

  close(): void {
    this.#ended = true;
    this.#saveRows();
    this.legacy?.close();
    this.#sync?.destroy();
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    if (this.#healthTimer) clearTimeout(this.#healthTimer);
    // A month with nothing unstored, unchecked or waiting is saved as closed (not awaited: a row not
    // written in time leaves the month to be opened and checked next time, as after a crash).
    for (const [shard, doc] of this.#shards) {
      const seq = !this.#alwaysOpen(shard) && !this.#unannounced.has(shard) ? this.#quietState(doc) : null;
      if (seq !== null) {
        this.db.shardCatalogue
          .put(this.#heldRow(shard, doc.recordCount, this.digest(shard), seq))
          .catch((error) => console.warn('shard catalogue not saved', error));
      }
      doc.close();
    }
  }

  // ---- what the device keeps ----

  /** Shards held (the core first, then the newest months) and shards evicted, with their record counts. */
  async shardList(): Promise<ShardList> {
    return {
      held: syncOrder(this.#held, Date.now())
        .filter((id) => !this.#unannounced.has(id) || this.#count(id) > 0)
        .map((id) => ({ id, records: this.#count(id) })),
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
   * nor the current month, nor a month in use. In the job queue: no check or projection runs beside the removal.
   */
  async evict(shard: ShardId, now = Date.now()): Promise<boolean> {
    if (shard === CORE_SHARD || shard === monthOf(now) || this.#ended || !this.#held.has(shard)) return false;
    await this.#closing.get(shard);
    await this.settled();
    const doc = this.#shards.get(shard);
    if (this.#uses.get(shard) || !this.#held.has(shard)) return false;
    const entry = { records: this.#count(shard), digest: this.digest(shard) };
    const evicted = await this.#jobs.enqueue(async () => {
      if (this.#shards.get(shard) !== doc || this.#uses.get(shard) || this.#closing.has(shard)) return false;
      this.#detachFromRelay(shard);
      doc?.close();
      this.#forget(shard);
      this.#evicted.set(shard, entry);
      const ids = await shardRecordIds(this.db, this.cid, shard);
      await this.db.transaction('rw', [this.db.docUpdates, this.db.ingestMarks, this.db.shardCatalogue], async () => {
        await this.db.docUpdates.where('[shard+cid]').equals([shard, this.cid]).delete();
        // A mark left behind would say the gate saw the items the month brings when fetched again.
        await this.db.ingestMarks.delete(ingestMarkKey(this.cid, shard));
        this.#unsavedRows.delete(shard);
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

  /**
   * Fetches an evicted (or never held) month now, from the peers and the relay's room at once: true
   * once it is held again. An evicted month fetched is noted as read: the cap keeps it a while
   * (`READ_GRACE_MS`). One never held is only fetched sooner than the background sync would have (a
   * newcomer's feed reaching its end).
   */
  async fetchShard(shard: string, timeoutMs?: number): Promise<boolean> {
    if (!isShardId(shard) || shard === CORE_SHARD) return false;
    if (this.#held.has(shard)) return true;
    const relay = this.#relay;
    if (!this.#sync && !relay) return false;
    const evicted = this.isEvicted(shard);
    this.#fetching.set(shard, (this.#fetching.get(shard) ?? 0) + 1);
    const ok = await anyTrue([
      this.#sync ? this.#sync.want(shard, timeoutMs) : Promise.resolve(false),
      relay ? this.#fetchFromRelay(relay, shard) : Promise.resolve(false)
    ]).finally(() => {
      const n = (this.#fetching.get(shard) ?? 1) - 1;
      if (n) this.#fetching.set(shard, n);
      else this.#fetching.delete(shard);
    });
    if (ok && evicted) this.#fetchedAt.set(shard, Date.now());
    if (ok && evicted) await noteRead(this.db, this.cid, [shard]).catch((error) => console.warn('month read not noted', error));
    return ok;
  }

  /** A month from its relay room (visited as the sweep does): true when it came holding records; an evicted one stays evicted otherwise. */
  async #fetchFromRelay(relay: RelayState, shard: ShardId): Promise<boolean> {
    const evicted = this.#evicted.get(shard);
    await this.#visitRelay(relay, shard);
    const got = this.#held.has(shard) && this.#count(shard) > 0;
    if (!got && evicted && !this.#held.has(shard)) this.#evicted.set(shard, evicted);
    return got;
  }

  /** Asks the peers which shards hold these records (`id`) or records pointing at them (`target`). */
  locate(mode: LocateMode, ids: readonly string[], timeoutMs?: number): Promise<Map<string, Set<ShardId>>> {
    return this.#sync ? this.#sync.locate(mode, ids, timeoutMs) : Promise.resolve(new Map());
  }

  /** A thread a link points at, perhaps in a month not held: located and fetched with the months of its replies (shards/fetch-thread). */
  fetchThread(id: string): Promise<ThreadFetch> {
    return fetchThread(
      {
        db: this.db,
        cid: this.cid,
        isHeld: (s) => this.isHeld(s),
        locate: (m, ids, t) => this.locate(m, ids, t),
        fetchShard: (s, t) => this.fetchShard(s, t),
        settled: () => this.settled(),
        peerCount: () => this.#sync?.peers().length ?? 0
      },
      id
    );
  }

  /** Months up to this one, since the community began, with records on peers or evicted here, not held: newest first. */
  async missingMonths(now = Date.now()): Promise<MissingMonths> {
    const out = new Map<ShardId, { id: string; records: number; evicted: boolean }>();
    for (const [id, e] of this.#evicted) if (!this.#held.has(id)) out.set(id, { id, records: e.records, evicted: true });
    for (const [id, records] of this.#sync?.known() ?? []) if (records > 0 && !this.#held.has(id) && !out.has(id)) out.set(id, { id, records, evicted: false });
    // Read once: the page asks again at every change of the sync's status, and each read of the
    // genesis was an IndexedDB transaction (1.2 s of a newcomer's worker over the real community's sync).
    this.#firstMonth ??= await this.#readFirstMonth();
    const first = this.#firstMonth ?? CORE_SHARD;
    const months = [...out.values()].filter((m) => m.id !== CORE_SHARD && m.id <= monthOf(now) && m.id >= first).sort((a, b) => (a.id < b.id ? 1 : -1));
    return { months, peers: this.#sync?.peers().length ?? 0 };
  }

  /** The month the community began (its genesis's `createdAt`); undefined while the genesis is not stored. */
  async #readFirstMonth(): Promise<ShardId | undefined> {
    const genesis = await recordById(this.db, this.cid);
    const created = genesis?.kind === 'genesis' ? (genesis.body as { createdAt?: unknown }).createdAt : undefined;
    return typeof created === 'number' ? monthOf(created) : undefined;
  }

  /**
   * Keeps the last `keepMonths` months (null: everything) and every month holding a record `member`
   * wrote or a post their writes answer, the threads saved on this device and the months read on
   * demand lately (store/kept-months); evicts the rest, oldest first. Returns the months evicted.
   */
  async keepMonths(keepMonths: number | null, member: string | null, now = Date.now()): Promise<string[]> {
    if (keepMonths === null) {
      this.#policy = null;
      return [];
    }
    const policy = await keepPolicy(this.db, this.cid, member, keepMonths);
    this.#policy = policy;
    const { evict } = planEviction(this.#held, policy, now);
    const out: ShardId[] = [];
    // A month being fetched on demand, or fetched back so since the community opened here, is being
    // read: kept (its read is noted in settings after it arrives; the policy may have been read before).
    const reading = (shard: ShardId) => this.#fetching.has(shard) || this.#fetchedAt.has(shard);
    for (const shard of evict) if (!reading(shard) && (await this.evict(shard, now))) out.push(shard);
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
    for (const shard of this.#held) {
      const records = this.#count(shard);
      if (this.#unannounced.has(shard) || !records) continue;
      out.push({ id: shard, records, digest: this.digest(shard), held: true });
    }
    return out;
  }

  /** Kept until the shard's document changes (each new peer's catalogue and each comparison asks for every month's); a closed month's as saved. */
  digest(shard: ShardId): string {
    const doc = this.#shards.get(shard);
    if (!doc) return this.#closed.get(shard)?.digest ?? EMPTY_DIGEST;
    let digest = this.#digests.get(shard);
    if (digest === undefined) this.#digests.set(shard, (digest = stateDigest(Y.encodeStateVector(doc.doc))));
    return digest;
  }

  async stateVector(shard: ShardId): Promise<Uint8Array> {
    return (await this.#with(shard, (doc) => Y.encodeStateVector(doc.doc), false)) ?? EMPTY_STATE_VECTOR;
  }

  /**
   * A closed month answered from its stored updates (shards/stored-reply), not opened: a holder serving
   * a newcomer its history opens none of it. Null for a month open, opening, closing or never closed
   * here (then `use` opens it).
   */
  async replyStored(shard: ShardId, stateVector: Uint8Array): Promise<Uint8Array | null> {
    const closed = () => this.#closed.has(shard) && !this.#shards.has(shard) && !this.#opening.has(shard) && !this.#closing.has(shard);
    if (shard === CORE_SHARD || !closed()) return null;
    const reply = await replyFromStored(this.db, this.cid, shard, stateVector);
    if (reply) this.servedClosed++;
    return reply;
  }

  /** A peer's sync (shard-sync.ts): with `create`, a month not held is made held for the answer being fetched. */
  use<T>(shard: ShardId, fn: (doc: Y.Doc) => T | Promise<T>, create = false): Promise<T | null> {
    return this.#with(shard, (doc) => fn(doc.doc), create, create);
  }

  async acquire(shard: ShardId, create = false): Promise<Y.Doc | null> {
    return (await this.#acquire(shard, create))?.doc ?? null;
  }

  /** Ends a use (`acquire`); past `maxOpen` idle months, the least recently used close. */
  release(shard: ShardId): void {
    const uses = this.#uses.get(shard);
    if (!uses) return;
    if (uses > 1) this.#uses.set(shard, uses - 1);
    else this.#uses.delete(shard);
    this.#lastUsed.set(shard, Date.now());
    this.#closeIdle();
    this.#closeIdleLater();
  }

  async discardEmpty(shard: ShardId): Promise<boolean> {
    if (!this.#unannounced.has(shard) || this.#uses.get(shard)) return false;
    const doc = await this.#opening.get(shard);
    const open = doc ?? this.#shards.get(shard);
    if (open?.recordCount) return false;
    await open?.settled();
    if (this.#uses.get(shard) || !this.#unannounced.has(shard)) return false;
    this.#detachFromRelay(shard);
    open?.close();
    this.#forget(shard);
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

  /** Answers a peer's LOCATE from the stored records (store/record-store), naming held shards only. */
  async #lookup(mode: LocateMode, ids: string[]): Promise<[string, ShardId][]> {
    const found = mode === 'id' ? await shardsOfIds(this.db, this.cid, ids) : await shardsTargeting(this.db, this.cid, ids);
    return found.filter((pair): pair is [string, ShardId] => isShardId(pair[1]) && this.#held.has(pair[1]));
  }

  /** Whether a month not held is fetched in the background: under the member's cap, if any. */
  #wants(shard: ShardId): boolean {
    return !this.#policy || keepsShard(shard, this.#policy, Date.now());
  }

  /** Records grouped by shard, in sync order (the core first, then the newest months). */
  #byShard(records: readonly AnyRecord[]): [ShardId, AnyRecord[]][] {
    const groups = groupByShard(records);
    return syncOrder([...groups.keys()], Date.now()).map((s) => [s, groups.get(s)!]);
  }

  /** Runs `fn` with the shard's document open (held for it: with `create`, a shard not held becomes held, see `#acquire` for `fetch`); null when not held. */
  async #with<T>(shard: ShardId, fn: (doc: CommunityDoc) => T | Promise<T>, create = true, fetch = false): Promise<T | null> {
    const doc = await this.#acquire(shard, create, fetch);
    if (!doc) return null;
    try {
      return await fn(doc);
    } finally {
      this.release(shard);
    }
  }

  /**
   * A held shard's document, opened if closed and kept open until `release`; with `create`, a shard
   * not held becomes held (announced with its first record); with `fetch`, for an answer from a peer
   * or the relay, which comes before the records stored for it are put back (`#restoreFetched`).
   * Null when not held, or once closed.
   */
  async #acquire(shard: ShardId, create: boolean, fetch = false): Promise<CommunityDoc | null> {
    if (!isShardId(shard)) throw new RangeError(`not a shard id: ${shard}`);
    for (;;) {
      if (this.#ended) return null;
      const closing = this.#closing.get(shard);
      if (closing) {
        await closing;
        continue;
      }
      const open = this.#shards.get(shard);
      if (open) {
        this.#uses.set(shard, (this.#uses.get(shard) ?? 0) + 1);
        this.#lastUsed.set(shard, Date.now());
        return open;
      }
      if (!this.#held.has(shard)) {
        if (!create) return null;
        this.#held.add(shard);
        this.#unannounced.add(shard);
        this.#evicted.delete(shard);
        if (fetch) this.#fetched.add(shard);
      }
      // Not closed as idle between its open and this use (months of one peer's answer open side by
      // side, and each release closes the idle past `maxOpen`): it would only be opened again.
      this.#acquiring.set(shard, (this.#acquiring.get(shard) ?? 0) + 1);
      try {
        await this.#open(shard);
      } finally {
        const n = (this.#acquiring.get(shard) ?? 1) - 1;
        if (n) this.#acquiring.set(shard, n);
        else this.#acquiring.delete(shard);
      }
    }
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
    const doc = new CommunityDoc(this.db, this.cid, {
      ...this.#options,
      shard,
      jobs: this.#jobs,
      communitySize: () => this.size(),
      restoreAtOpen: !this.#fetched.has(shard),
      // A month with no catalogue row when the community opened, and not opened since, has nothing
      // stored: its updates are stored only once it is open, its row written as it is announced.
      nothingStored: shard !== CORE_SHARD && !this.#catalogued.has(shard) && !this.opened.includes(shard)
    });
    await doc.open();
    doc.onHealth = () => this.#publishHealth();
    doc.onAccepted((records) => {
      for (const listener of this.#acceptedListeners) {
        Promise.resolve(listener(records, this)).catch((e) => console.error('accepted-record listener failed', e));
      }
    });
    doc.doc.on('update', (update: Uint8Array, origin: unknown) => {
      this.#digests.delete(shard);
      if (doc.recordCount && this.#unannounced.delete(shard)) this.#announce(shard, doc);
      for (const listener of this.#updateListeners) listener(shard, update, origin);
    });
    this.#closed.delete(shard);
    this.#shards.set(shard, doc);
    this.#lastUsed.set(shard, Date.now());
    this.opened.push(shard);
    // Records put back at open (stored before the shard was held: a first page's, an import's) make it
    // held: peers are told, or they never ask for what this device wrote there.
    if (doc.recordCount && this.#unannounced.has(shard)) {
      this.#unannounced.delete(shard);
      this.#announce(shard, doc);
    }
    this.#attachToRelay(shard, doc);
    this.#publishHealth();
    this.#closeIdleLater();
    return doc;
  }

  /**
   * Months idle for a minute close even under `maxOpen`: a closed month's row is current, so the next
   * open (after the worker dies with the tab, which saves nothing) leaves it closed.
   */
  #closeIdleLater(): void {
    if (this.#idleTimer || this.#ended) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      if (this.#ended) return;
      const now = Date.now();
      let waiting = false;
      for (const shard of this.#shards.keys()) {
        if (!this.#isIdle(shard)) continue;
        if (now - (this.#lastUsed.get(shard) ?? 0) >= this.#idleCloseMs)
          void this.#close(shard).catch((error) => console.warn('shard not closed', shard, error));
        else waiting = true;
      }
      if (waiting) this.#closeIdleLater();
    }, this.#idleCloseMs);
    (this.#idleTimer as { unref?: () => void }).unref?.();
  }

  /** An open month that may close: not the core nor this month, not in use, not closing already. */
  #isIdle(shard: ShardId): boolean {
    return !this.#uses.get(shard) && !this.#acquiring.has(shard) && !this.#alwaysOpen(shard) && !this.#closing.has(shard);
  }

  /** A month's newest stored update key when nothing of the community is being checked and the month has nothing unstored nor a repair waiting; else null. */
  #quietState(doc: CommunityDoc): number | null {
    return !this.#jobs.pending && !doc.health.repairsWaiting ? doc.storedState() : null;
  }

  /** Closes the least recently used idle months past `maxOpen` (never the core, this month, nor one in use). */
  #closeIdle(): void {
    const idle = [...this.#shards.keys()].filter((s) => this.#isIdle(s));
    let excess = idle.length - this.#maxOpen;
    if (excess <= 0) return;
    idle.sort((a, b) => (this.#lastUsed.get(a) ?? 0) - (this.#lastUsed.get(b) ?? 0));
    for (const shard of idle) {
      if (excess-- <= 0) break;
      void this.#close(shard).catch((error) => console.warn('shard not closed', shard, error));
    }
  }

  /**
   * Closes a month once everything it holds is stored and checked (and no repair waits): its catalogue
   * row then names its newest stored update, so the next open leaves it closed. A month used again
   * meanwhile, or still busy after a few tries, stays open.
   */
  #close(shard: ShardId): Promise<void> {
    const running = this.#closing.get(shard);
    if (running) return running;
    const doc = this.#shards.get(shard);
    if (!doc) return Promise.resolve();
    const closing = (async () => {
      let seq: number | null = null;
      for (let tries = 0; seq === null && tries < CLOSE_TRIES; tries++) {
        await doc.settled();
        if (this.#uses.get(shard) || this.#acquiring.has(shard) || this.#ended || this.#shards.get(shard) !== doc) return;
        seq = this.#quietState(doc);
      }
      if (seq === null) return;
      // Nothing awaited from here to the row's put: no update comes in between.
      const entry = { records: doc.recordCount, digest: this.digest(shard), health: { ...doc.health } };
      const announced = !this.#unannounced.has(shard);
      this.#detachFromRelay(shard);
      doc.close();
      this.#fetched.delete(shard); // the next open puts back what it still lacks
      this.#shards.delete(shard);
      this.#digests.delete(shard);
      this.#uses.delete(shard);
      if (!announced) {
        this.#forget(shard); // made held for a fetch that brought nothing
        return;
      }
      this.#closed.set(shard, entry);
      // With the rows of the months closing or announced beside it (idle months close together past `maxOpen`).
      await this.#saveRowSoon(this.#heldRow(shard, entry.records, entry.digest, seq));
    })().finally(() => this.#closing.delete(shard));
    this.#closing.set(shard, closing);
    return closing;
  }

  /** A shard is no longer held (evicted, or made held for nothing). */
  /** A month fetched has its answer: the records stored for it that the answer did not bring are put back (a failure logged: the next open puts them back). */
  async #restoreFetched(shard: ShardId): Promise<void> {
    if (!this.#fetched.delete(shard)) return;
    await this.#shards
      .get(shard)
      ?.restoreStored()
      .catch((error) => console.warn('stored records not put back', shard, error));
  }

  #forget(shard: ShardId): void {
    this.#fetched.delete(shard);
    this.#shards.delete(shard);
    this.#closed.delete(shard);
    this.#digests.delete(shard);
    this.#held.delete(shard);
    this.#unannounced.delete(shard);
    this.#uses.delete(shard);
    this.#lastUsed.delete(shard);
  }

  #announce(shard: ShardId, doc: CommunityDoc): void {
    const entry: CatalogueEntry = { id: shard, records: doc.recordCount, digest: this.digest(shard), held: true };
    this.#saveRowSoon(this.#heldRow(shard, entry.records, entry.digest));
    for (const listener of this.#catalogueListeners) listener(entry);
  }

  /**
   * Months announced or closed together have their rows saved in one write: a newcomer's months arrive
   * 16 to an answer and close as others open, and a write each (a transaction of its own) was ~300 ms
   * of its sync of the real community. A later row for the month replaces its unsaved one; an eviction
   * drops it (its own write says evicted).
   */
  #saveRowSoon(row: ShardCatalogueRow): Promise<void> {
    this.#unsavedRows.set(row.shard, row);
    if (!this.#rowsSaved) {
      let done!: (saved: Promise<void>) => void;
      const promise = new Promise<void>((resolve) => (done = resolve));
      promise.catch(() => undefined); // told below; a close awaiting it sees the failure
      this.#rowsSaved = { promise, done, timer: setTimeout(() => this.#saveRows(), 0) };
    }
    return this.#rowsSaved.promise;
  }

  #saveRows(): void {
    const waiting = this.#rowsSaved;
    if (waiting) clearTimeout(waiting.timer);
    const rows = [...this.#unsavedRows.values()];
    this.#unsavedRows.clear();
    this.#rowsSaved = null;
    const saved = rows.length ? this.db.shardCatalogue.bulkPut(rows).then(() => undefined) : Promise.resolve();
    waiting?.done(saved);
    // An announcement waits for nothing: its failure is only told.
    saved.catch((error) => console.warn('shard catalogue not saved', error));
  }

  /** A held month's catalogue row (`seq`: saved as it closed, everything it held stored and checked). */
  #heldRow(shard: ShardId, records: number, digest: string, seq?: number): ShardCatalogueRow {
    return { cid: this.cid, shard, state: 'held', records, digest, ...(seq === undefined ? {} : { seq }) };
  }

  /** The community's health: every month's summed (read when asked, so always current). */
  get health(): DocHealth {
    if (this.#healthStale) {
      this.#healthStale = false;
      const health: DocHealth = { ...this.#health };
      for (const key of SUMMED) health[key] = 0;
      health.rejected = 0;
      const all = [...[...this.#shards.values()].map((d) => d.health), ...[...this.#closed.values()].map((c) => c.health ?? { records: c.records })];
      for (const h of all) {
        for (const key of SUMMED) health[key] = (health[key] ?? 0) + ((h as Partial<DocHealth>)[key] ?? 0);
        health.rejected = Math.max(health.rejected, (h as Partial<DocHealth>).rejected ?? 0);
      }
      this.#health = health;
    }
    return this.#health;
  }

  /**
   * Tells `onHealth` once per burst of changes: summing every month's health at each month's change
   * (each of a newcomer's 143 months changes its health several times) cost it about a second.
   */
  #publishHealth(): void {
    this.#healthStale = true;
    if (this.#healthTimer || this.#ended) return;
    this.#healthTimer = setTimeout(() => {
      this.#healthTimer = null;
      if (!this.#ended) this.onHealth(this.health);
    }, HEALTH_EVERY_MS);
  }
}

interface RelayState {
  shards: RelayShards;
  /** Months whose room has synced since attached. */
  synced: Set<ShardId>;
  /** A visit waiting for its month's room to sync. */
  waiters: Map<ShardId, (synced: boolean) => void>;
  /** Months visited since the relay last connected. */
  visited: Set<ShardId>;
  /** The months the relay said it holds, after this device's proof on the core's room (null: it did not say). */
  listed: ShardId[] | null;
  /** Settles once the relay has confirmed this device's proof on the core's room. */
  proved: Promise<void>;
  sweeping: boolean;
  /** Asked to sweep while sweeping: the sweep starts over (skipping months visited). */
  again: boolean;
}

/** True as soon as one of them is; false once all are false. */
function anyTrue(all: Promise<boolean>[]): Promise<boolean> {
  return new Promise((resolve) => {
    let left = all.length;
    for (const p of all) {
      p.then(
        (ok) => (ok ? resolve(true) : --left || resolve(false)),
        () => --left || resolve(false)
      );
    }
  });
}

/** A relay's list of months as a list of months: at most 1,200, each a month's shard id; anything else is null. */
export function listedMonths(value: unknown): ShardId[] | null {
  if (!Array.isArray(value) || value.length > MAX_LISTED_MONTHS) return null;
  const months = value.filter((m): m is ShardId => typeof m === 'string' && m !== CORE_SHARD && isShardId(m));
  return months.length === value.length ? months : null;
}

/** Idle months close after this long, whatever `maxOpen` says. */
const IDLE_CLOSE_MS = 60_000;
/** How long the first sweep waits for the relay's list of months. */
const PROOF_WAIT_MS = 2_000;
/**
 * Months visited on the relay at once. Eight took a newcomer's 36 months from a relay in about half the
 * time in Node, but a device giving the relay the real community's 143 months eight at a time sent
 * past the relay's message budget (50 a second, 300 at once, per socket): 122 of its 4,644 records were
 * not on the relay 30 s later, and a newcomer from the relay never had them. The relay now asks again
 * for what its budget refused, but four at once then gave a newcomer from the relay its history in
 * 12,983 and 10,743 ms against 11,904–15,331 for two (browser bench, load 3–7): no gain shown, and
 * two keep within the budget more often.
 */
const RELAY_VISITS = 2;
/** How long a month's visit waits for the relay before the sweep stops (the next sync of the core goes on). */
const RELAY_VISIT_MS = 20_000;
/** Settles a closing month waits through before it stays open (the device is busy: tried again later). */
const CLOSE_TRIES = 5;

/**
 * Opens a community's document handle on this thread: held in shards if its genesis or a split of its
 * single document says so, else as one document. A single document whose community decided to move
 * into shards (a split the tab did not finish, or a decision stored before this version) is split
 * first (shards/legacy-migration).
 */
export async function openCommunityHandle(db: HearthDb, cid: string): Promise<CommunityDoc | ShardedCommunity> {
  if (await isShardedCommunity(db, cid)) return openSharded(db, cid);
  const doc = new CommunityDoc(db, cid);
  await doc.open();
  if (!(await storedShardDecision(db, cid))) return doc;
  await migrateToShards(doc);
  doc.close();
  return openSharded(db, cid);
}

async function openSharded(db: HearthDb, cid: string): Promise<ShardedCommunity> {
  const doc = new ShardedCommunity(db, cid);
  await doc.open();
  doc.legacy = await openBridge(db, cid, doc);
  return doc;
}
