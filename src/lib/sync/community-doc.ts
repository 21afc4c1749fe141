// One community's shared state: a Yjs document holding a grow-only map of signed records,
// persisted on the device as Yjs updates in Dexie and projected through the gate into Dexie tables.
// The stored updates are skeletons (update-skeleton): a record the `records` table holds is not
// stored a second time in them.
import * as Y from 'yjs';
import { checkRecord } from '../crypto/record-seal';
import type { AnyRecord } from '../domain/record';
import { isQuotaError, type DocUpdateRow, type HearthDb, type IngestMarkRow, type StoredRecord } from '../store/db';
import { affectsAuthority } from '../domain/authority';
import { isPost } from '../domain/posts';
import { CORE_SHARD, historyOrder } from '../domain/shards';
import {
  applyRecords,
  authorityOf,
  countUnauthorised,
  projectionIsCurrent,
  rebuildProjection,
  rebuildsFor,
  storeAhead,
  storeRecords
} from '../store/projection';
import { advanceKeyState, affectsKeys, forgetKeyState, openableBy, openSealed, reopenSealed, sharedForm } from '../store/keyring';
import { exactlyEqual, isExactJson, passGate, sameRecord } from './gate';
import { nextTask, registerUpdateGate, whenApplied } from './gated-sync-protocol';
import { malformedMessages, watchMalformed } from './message-faults';
import { filterUpdate, structAt } from './update-filter';
import { fillApplied, fillSkeleton, readSkeleton, toSkeleton } from './update-skeleton';
import { parseRecord } from '../domain/record';
import type { AcceptedListener, DocHandle, LobbyHandle, LobbyOptions, RelayHandle, RelayOptions } from './doc-handle';
import { CoreLobby } from './lobby';
import { decodeFirstPage, FIRST_PAGE_THREADS, FIRST_PAGE_WANTED_BELOW, firstPageMaker, isFreshJoin, type FirstPageMaker } from './first-page';
import { HISTORY_AHEAD_MAX_ENTRIES, HISTORY_KEPT_MS, PreparedHistory } from './history-reply';
import type { Identity } from '../crypto/identity';
import { startAutomation } from '../automation/scheduler';
import { maintainKeys } from '../automation/keys';
import type { Scope } from '../domain/scopes';
import type { MemberStatsSource } from '../automation/community-facts';
import {
  communityRecordIds,
  communityRecords,
  countRecords,
  countStoredOf,
  recordById,
  recordsById,
  shardRecordIds,
  shardRecords,
  storedIdsOf
} from '../store/record-store';
import type { ShardId } from '../domain/shards';
import { belongsTo, shardEntryFilter } from './shards/shard-gate';
import { lobbyPageFor, takeLobbyPage } from './lobby-page';
import { JobQueue } from './job-queue';
import { localDoc } from './local-doc';

/** Past this many stored updates they are merged into one, so opening stays fast. */
const COMPACT_AFTER = 300;
/** Records that change no one's standing, keys or entitlement: posts and reactions. */
const isContent = (r: AnyRecord) => isPost(r) || r.kind === 'reaction';
const LOCAL = Symbol('local');
const STORAGE = Symbol('storage');
const REPAIR = Symbol('repair');
/**
 * A community file's records: checked in slices as any batch, but projected once, at the end. The
 * growing batches a newcomer's history is projected in (so its first rows show early) rebuilt the
 * projection five times over an import's 100,000 records, and each rebuild's rows stay on disk
 * until LevelDB compacts, which an idle database does not do; the importing page waits for the
 * whole import anyway.
 */
const IMPORT = Symbol('import');
/**
 * Core records brought in from the lobby (lobby.ts). An object, as peers' origins are: pages count
 * its updates as received from peers (a newcomer in the lobby waited out the join's whole sync wait,
 * 6 s, for an update from a peer that the lobby's records never counted as).
 */
const LOBBY = Object.freeze({ origin: 'lobby' });
/** Keys checked per macrotask: 500 signature checks and one projection batch stay well under 100 ms. */
const INGEST_SLICE = 500;
/** Past this many keys, stored records are read as one range of the community rather than one by one. */
const RANGE_READ_AFTER = 2_000;
/** Stored records compared with the document's values per read when adopting an older store. */
const ADOPT_SLICE = 2_000;
/**
 * A key broken again soon after its repair waits 1 s, 2 s, 4 s … up to 60 s before the next one:
 * repair never gives up (honest peers hold the same value, so they never fight), and a hostile
 * writer costs at most one batched repair per key a minute.
 */
const REPAIR_BACKOFF = { first: 1_000, max: 60_000 };
/** How long the queue must stay idle before the count of records kept out of view is taken again. */
const RECOUNT_IDLE_MS = 1_000;

/** Up to this many keys, a batch into a device that shows threads already is projected once (`projectsAtOnce`). */
const AT_ONCE_UP_TO = 10_000;

/**
 * Whether a batch of `keys` into a document holding `held` other keys is stored as it passes the gate
 * and projected once at its end, by a rebuild, on a device that shows threads already: it is large
 * enough for a rebuild (`rebuildsFor`) and small enough that its end is seconds away. Past
 * `AT_ONCE_UP_TO` (the history of a 10,000-member community, 100,000 records, takes a minute) its
 * newest records are projected first, as on a device showing nothing yet.
 */
export function projectsAtOnce(keys: number, held: number): boolean {
  return keys <= AT_ONCE_UP_TO && rebuildsFor(keys, Math.max(0, held));
}

export type AppendResult =
  | { ok: true; record: AnyRecord }
  | { ok: false; reason: 'storage.full' | 'storage.failed' | string; params?: Record<string, string | number> };

/** Of the records an import was given, how many were stored before it and how many are after. */
export interface ImportCount {
  already: number;
  present: number;
}

export interface DocHealth {
  records: number;
  /** Records kept out of view: failed the gate, or written by someone who was not a member. */
  rejected: number;
  /** Valid records that a peer deleted or overwrote and this device put back. */
  repaired: number;
  /** Stored updates that could not be decoded and were skipped. */
  unreadableUpdates: number;
  /** Keys broken again soon after a repair, waiting for their backoff before the next one. */
  repairsWaiting?: number;
  /** Yjs items outside the records map (other roots, nested types), received or stored, dropped as GC, and their encoded size. */
  junkItems?: number;
  junkBytes?: number;
  /** Messages from peers for this community that could not be read, counted instead of thrown. */
  malformedMessages?: number;
  /** Values refused by a shard's document because they belong to another shard or to none (counted in `junkItems` too). */
  wrongShard?: number;
}

/** Where the ingest mark of a community's document is stored: under its shard for a shard's document. */
export function ingestMarkKey(cid: string, shard: ShardId | null): string {
  return shard ? `${cid}/${shard}` : cid;
}

export interface CommunityDocOptions {
  /** Repair backoff in ms (tests shorten it). */
  repairBackoff?: { first: number; max: number };
  /**
   * The shard this document holds (docs/shards.md): only records whose `shardOf` it is pass its gate,
   * and its updates and ingest mark are stored under it. Absent: the community's one document.
   */
  shard?: ShardId;
  /** The queue its jobs run in: a sharded community's documents share one (sharded-community.ts). */
  jobs?: JobQueue;
  /** How many records the community holds, for choosing how to project a batch (default: this document's). */
  communitySize?: () => number;
  /**
   * Whether `open` puts back records stored for this shard that the document lacks (default). A month
   * opened to be fetched waits for the peer's answer first (`restoreStored`): put back before it, the
   * records a first page had stored became items of this device's own, sent back to every holder.
   */
  restoreAtOpen?: boolean;
  /**
   * Nothing was ever stored for this document (a month the device never held): `open` reads no stored
   * updates nor ingest mark. Each such read is a transaction that waits behind the checks' writes, ~340 ms
   * a month at load for a newcomer's 145 months of the real community.
   */
  nothingStored?: boolean;
}

/** A month's checked records waiting for the projection pass of its queue (`CommunityDoc.#projectWithOthers`). */
interface ProjectLater {
  doc: CommunityDoc;
  records: AnyRecord[];
  read: ReadonlyMap<string, { item: Y.Item; value: unknown }>;
}

/**
 * One shard's share of a community's import held in shards (`CommunityDoc.importShare`): checked in
 * the shared queue, stored as it passes the gate, projected by the caller with the other shards'.
 */
export interface ShardImport {
  /** What the gate accepted, filled once `done` settles. */
  readonly accepted: AnyRecord[];
  /** Settles once the accepted records are stored (rejects when storing or the check failed). */
  readonly done: Promise<void>;
  /** Settles once the document's update is stored too, after `done` (its skeleton names the records). */
  readonly written: Promise<void>;
}

/** Records an import's writes gather into one transaction at most (`storeAhead` writes this many a transaction). */
const IMPORT_WRITE_GROUP = 2_000;

/**
 * The writes of an import's shares (`CommunityDoc.importShare`), one transaction at a time: records
 * its checks pass while a write runs are written together by the next one, up to
 * `IMPORT_WRITE_GROUP`. A month's slices are often small (the 10k file's 162 months hold ~500
 * records each): written as they came, one transaction a slice, 284 at 10k against 201 as one
 * document, and IndexedDB's cost per transaction made the writes end long after the checks.
 */
export class ImportWrites {
  #tail: Promise<void> = Promise.resolve();
  #next: { rows: AnyRecord[]; done: Promise<void> } | null = null;
  /** Transactions begun (tests). */
  groups = 0;

  constructor(
    readonly db: HearthDb,
    readonly cid: string
  ) {}

  /** Settles once these records are stored (rejects if their group's write failed). */
  write(rows: readonly AnyRecord[]): Promise<void> {
    const next = this.#next;
    if (next && next.rows.length + rows.length <= IMPORT_WRITE_GROUP) {
      next.rows.push(...rows);
      return next.done;
    }
    const group = { rows: [...rows], done: Promise.resolve() };
    group.done = this.#tail.then(() => {
      if (this.#next === group) this.#next = null;
      this.groups++;
      return storeAhead(this.db, this.cid, group.rows);
    });
    group.done.catch(() => undefined); // each share awaits its own groups
    this.#next = group;
    // A failed group does not stop the next (each share is told of its own groups' failures).
    this.#tail = group.done.catch(() => undefined);
    return group.done;
  }
}

/** A `ShardImport` while its check is queued or running. */
interface ImportShare extends ShardImport {
  written: Promise<void>;
  /** Ids stored on the device when the import began: the only keys the gate looks up (`passGate`'s `mayBeStored`). */
  stored: ReadonlySet<string>;
  /** Its accepted records being stored, once its check has passed them (`#check`). */
  storing?: Promise<void>;
  /** The import's writes, shared by its shares. */
  writes: ImportWrites;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Whether `records` are exactly every record of the community stored on the device, its genesis among them. */
async function isEveryStored(db: HearthDb, cid: string, records: readonly AnyRecord[]): Promise<boolean> {
  const ids = new Set(records.map((r) => r.id));
  if (!ids.has(cid)) return false;
  const stored = await storedIdsOf(db, cid);
  if (stored.size !== ids.size) return false;
  for (const id of stored) if (!ids.has(id)) return false;
  return true;
}

/** `records` less those the receiving quota holds back: stored, never shown, so never announced. */
function withoutHeld<R extends AnyRecord>(records: R[], held: ReadonlySet<string>): R[] {
  return held.size ? records.filter((r) => !held.has(r.id)) : records;
}

export class CommunityDoc implements DocHandle {
  /** Documents sharing a job queue: a community's shards (`CommunityDocOptions.jobs`), whose recount is one. */
  static readonly #sharing = new WeakMap<JobQueue, Set<CommunityDoc>>();
  /** The last count of a community's refused rows read by a document of a queue (`#check`): the count is the community's, not a shard's. */
  static readonly #rejectsCounted = new WeakMap<JobQueue, Map<string, number>>();
  /** Months' checked records waiting for one projection pass together, by their shared queue (`#projectWithOthers`). */
  static readonly #toProject = new WeakMap<JobQueue, ProjectLater[]>();
  /** Queues whose community shows a first page of threads: their passes of months' records wait behind the checks queued (`#projectWaiting`). */
  static readonly #pageShown = new WeakSet<JobQueue>();
  readonly doc = localDoc();
  readonly records: Y.Map<unknown>;
  health: DocHealth = { records: 0, rejected: 0, repaired: 0, unreadableUpdates: 0, repairsWaiting: 0, junkItems: 0, junkBytes: 0, malformedMessages: 0 };
  onHealth: (h: DocHealth) => void = () => {};
  /** Held as one document: no shard sync (sharded-community.ts holds one of these per shard). */
  readonly shards = null;

  #persisted: Promise<unknown> = Promise.resolve();
  #storedUpdates = 0;
  /** The newest stored update's key (0: none): a shard saved as closed at this key has not changed since (sharded-community.ts). */
  #storedSeq = 0;
  /** Updates made and not stored yet. */
  #unstored = 0;
  #closed = false;
  /** Per key: repairs in a row, each soon after the last, and when the last one was made. */
  #repairs = new Map<string, { streak: number; last: number }>();
  /** Keys waiting for their backoff, and the timer that checks them again. */
  #deferred = new Set<string>();
  #repairTimer: ReturnType<typeof setTimeout> | null = null;
  #repairDue = Infinity;
  readonly #backoff: { first: number; max: number };
  /** The shard this document holds, or null for a community held as one document. */
  readonly shard: ShardId | null;
  readonly #jobs: JobQueue;
  readonly #restoreAtOpen: boolean;
  readonly #nothingStored: boolean;
  readonly #communitySize: () => number;
  /** Where this document's ingest mark is stored. */
  readonly #markKey: string;
  readonly #keepEntry: ((kind: string | null, ts: number | null) => boolean) | undefined;
  #unauthorised: number | null = null;
  /** The count of records kept out of view needs a recount (`#recount`), run once the queue is idle. */
  #recountDue = false;
  #recountTimer: ReturnType<typeof setTimeout> | null = null;
  #gateRejects: number | null = null;
  /** Keys of the ingest job queued and not started yet, which later transactions' keys join. */
  #gathering: Set<string> | null = null;
  /** This device's first page for newcomers, made ahead as one is in the lobby or a fresh join is taken (`firstPage`). */
  #firstPages: FirstPageMaker | null = null;
  /** The whole history encoded ahead for a newcomer this device just let in (`historyReply`). */
  #history = new PreparedHistory(this.doc);
  /** When a join written in the last minutes was last taken (0: none): its newcomer asks for the history soon. */
  #freshJoinAt = 0;
  /** Records stored beside the document and not projected yet: the next job beside it projects them (`#check`). */
  #behind: AnyRecord[] = [];
  /** A share of an import held in shards being put into the document: its check (queued by the observer) takes it. */
  #importShare: ImportShare | null = null;
  /** Records from beside the document waiting together for one check (`storeAside`). */
  #aside: { source: Map<string, unknown>; done: Promise<void> } | null = null;
  #ingestFailed = false;
  /** Settles when the latest import's records have been checked and stored (see `#persist`). */
  #importChecked: Promise<void> = Promise.resolve();
  #acceptedListeners = new Set<AcceptedListener>();
  /**
   * Items (client → clocks) whose value is exactly the shared form of the record stored under their
   * key: stored as placeholders. Records are never removed from the table, and a record's shared
   * form never changes, so an entry stays true once made.
   */
  #backed = new Map<number, Set<number>>();
  /** Stored rows holding values that may since have been backed: rewritten when the queue drains. */
  #rewrite = new Set<number>();

  #recordCount: number | null = null;

  /** The document's records (`records.size`), counted once and kept by an observer. */
  get recordCount(): number {
    return (this.#recordCount ??= this.records.size);
  }

  constructor(
    readonly db: HearthDb,
    readonly cid: string,
    options: CommunityDocOptions = {}
  ) {
    this.records = this.doc.getMap('records');
    this.#backoff = options.repairBackoff ?? REPAIR_BACKOFF;
    this.shard = options.shard ?? null;
    this.#restoreAtOpen = options.restoreAtOpen ?? true;
    this.#nothingStored = options.nothingStored ?? false;
    this.#jobs = options.jobs ?? new JobQueue();
    if (options.jobs) {
      let sharing = CommunityDoc.#sharing.get(options.jobs);
      if (!sharing) CommunityDoc.#sharing.set(options.jobs, (sharing = new Set()));
      sharing.add(this);
    }
    this.#communitySize = options.communitySize ?? (() => this.recordCount);
    // Kept from the first count on: Y.Map's `size` walks (and copies) every entry, and a join's check
    // at 10,000 members counted the core's 30,000 entries three times (~60 ms with its garbage).
    this.records.observe((event) => {
      if (this.#recordCount === null) return;
      for (const { action } of event.changes.keys.values()) {
        if (action === 'add') this.#recordCount++;
        else if (action === 'delete') this.#recordCount--;
      }
    });
    this.#markKey = ingestMarkKey(cid, this.shard);
    // Peers' updates reach the document through the gated sync protocol (see vite.config.ts); a
    // shard's only the values of its shard (shard-gate.ts).
    const keepEntry = this.shard ? shardEntryFilter(this.shard, () => this.#countWrongShard()) : undefined;
    this.#keepEntry = keepEntry;
    registerUpdateGate(this.doc, { root: 'records', keepEntry, onJunk: (items, bytes) => this.#countJunk(items, bytes) });
    watchMalformed(this.doc, () => {
      this.health = { ...this.health, malformedMessages: malformedMessages(this.doc) };
      this.onHealth(this.health);
    });
  }

  /** Counts junk dropped on this community's behalf elsewhere (the lobby's document). */
  noteJunk(items: number, bytes: number): void {
    this.#countJunk(items, bytes);
  }

  /**
   * Adds records that arrived in the lobby and that this document lacks, as this device's own
   * entries: they reach the gate like any peer's, and the mesh from here.
   */
  adopt(records: readonly AnyRecord[]): void {
    const fresh = records.filter((r) => !this.records.has(r.id));
    if (!fresh.length || this.#closed) return;
    this.doc.transact(() => fresh.forEach((r) => this.records.set(r.id, r)), LOBBY);
  }

  /**
   * Checks, stores and projects records that came beside the document (the lobby's core on a device
   * waiting for its key, `LobbyOptions.share` off; a peer's first page, first-page.ts) without putting
   * them into it: the gate judges them as it judges a peer's, and the peers' own entries for them,
   * when the history comes, are found stored and only backed. Resolves once they are through the gate
   * and projected.
   */
  storeAside(records: readonly AnyRecord[]): Promise<void> {
    if (this.#closed) return Promise.resolve();
    // Records arriving while a job waits in the queue join it: one check and two projection passes
    // for the whole core, as a peer's history gets (`#gather`), not a pass per piece of the update.
    const gathering = this.#aside ?? { source: new Map<string, unknown>(), done: Promise.resolve() };
    this.#notInDocument(records, gathering.source);
    if (gathering === this.#aside) return gathering.done;
    if (!gathering.source.size) return Promise.resolve();
    this.#aside = gathering;
    gathering.done = this.#jobs.enqueue(() => {
      if (this.#aside === gathering) this.#aside = null;
      return this.#check([...gathering.source.keys()], false, gathering.source);
    });
    return gathering.done;
  }

  /** Adds to `into` the records under keys the document does not hold (the values a check beside it reads). */
  #notInDocument(records: readonly AnyRecord[], into: Map<string, unknown>): Map<string, unknown> {
    for (const r of records) if (!this.records.has(r.id)) into.set(r.id, r);
    return into;
  }

  #countWrongShard(): void {
    this.health = { ...this.health, wrongShard: (this.health.wrongShard ?? 0) + 1 };
  }

  #countJunk(items: number, bytes: number): void {
    this.health = { ...this.health, junkItems: (this.health.junkItems ?? 0) + items, junkBytes: (this.health.junkBytes ?? 0) + bytes };
    this.onHealth(this.health);
  }

  /**
   * Loads the stored document, checks what changed since the gate last left off (everything, the
   * first time) and starts persisting updates.
   */
  async open(): Promise<void> {
    // One transaction for both reads: every month a newcomer fetches (or a holder serves closed) opens here.
    const [rows, mark] = this.#nothingStored
      ? [[], undefined]
      : await this.db.transaction('r', [this.db.docUpdates, this.db.ingestMarks], () =>
          Promise.all([this.#storedRows().toArray(), this.db.ingestMarks.get(this.#markKey)])
        );
    this.#storedUpdates = rows.length;
    for (const row of rows) if (row.seq !== undefined && row.seq > this.#storedSeq) this.#storedSeq = row.seq;
    let junk = 0;
    let older = false;
    for (const row of rows) {
      if (row.skeleton) {
        junk += await this.#loadSkeleton(row.update, row.seq);
        continue;
      }
      older = true;
      // Older versions stored junk roots as they came: filtered like a peer's update, then compacted away.
      junk += this.#load(row.update) ?? 0;
    }
    // Stored in full by an older version: values that are the stored records become placeholders.
    if (older) await this.#adopt();
    if (junk || older) await this.#compact();
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      // The observer below has queued the import's check (observers run before update handlers).
      if (origin === IMPORT) this.#persist(update, this.#importChecked);
      else if (origin !== STORAGE) this.#persist(update);
    });
    this.records.observe((event) => {
      const keys = [...event.keysChanged];
      if (event.transaction.origin === IMPORT) {
        let checked = () => {};
        this.#importChecked = new Promise<void>((resolve) => (checked = resolve));
        const share = this.#importShare ?? undefined;
        this.#importShare = null;
        const job = this.#jobs.enqueue(() => this.#ingest(keys, true, checked, share));
        if (share) job.catch(() => undefined); // its `done` carries the failure to the import
      } else this.#gather(keys);
    });
    const changed = this.#changedSince(mark?.snapshot);
    if (this.#restoreAtOpen) await this.#restoreUnstored();
    // The community's one projection is brought current by the document that opens first (the core,
    // of a community held in shards). A month opens later and waits for no job: waiting behind the
    // shared queue held each month a newcomer fetched for as long as the checks before it (3.5 s).
    if (this.#month) {
      if (mark) this.#unauthorised = mark.unauthorised ?? null;
    } else
      await this.#jobs.enqueue(async () => {
        if (!(await projectionIsCurrent(this.db, this.cid))) await rebuildProjection(this.db, this.cid);
        else if (mark) this.#unauthorised = mark.unauthorised ?? null; // counted again only when it can change
      });
    // What changed since the last check is checked in the queue, not before the document is open: a
    // worker that restarted during a flood's check (its last page closed) checks all of it again, and
    // the page's first write, opening the document, waited 20 s for that. `settled` waits for it.
    // A month with nothing to check has no job: a newcomer's 143 months each opened empty, and a
    // holder's closed months each opened unchanged to be served, and each job (a check of nothing, the
    // ingest mark written again) held the shared queue 1–250 ms (2.3 s and 2.0 s of the two devices'
    // queues in the real community's join). The community's counts are the core's.
    if (changed.length || !this.#month) this.#jobs.enqueue(() => this.#ingest(changed)).catch((error) => console.error('community check failed', error));
    this.#firstPages ??= firstPageMaker(this);
    this.onAccepted((records) => {
      if (records.some(isFreshJoin)) this.#freshJoinAt = Date.now();
    });
  }

  /** A month of a community held in shards (not its core, nor a community's one document). */
  get #month(): boolean {
    return this.shard !== null && this.shard !== CORE_SHARD;
  }

  /** This document's stored updates: its shard's, or, for the community's one document, those stored under no shard. */
  #storedRows() {
    if (this.shard) return this.db.docUpdates.where('[shard+cid]').equals([this.shard, this.cid]);
    return this.db.docUpdates
      .where('cid')
      .equals(this.cid)
      .filter((row) => row.shard === undefined);
  }

  /**
   * Filters and applies a stored update (as a peer's); returns the junk items dropped, or null when
   * it does not decode (counted: a corrupted update loses only itself).
   */
  #load(update: Uint8Array, placeholders = false): number | null {
    const filtered = filterUpdate(update, {
      root: 'records',
      doc: this.doc,
      maxStructs: Infinity,
      maxBytes: Infinity,
      placeholders,
      keepEntry: this.#keepEntry
    });
    if (!filtered.ok) {
      this.health.unreadableUpdates++;
      return null;
    }
    if (filtered.value.junkItems) this.#countJunk(filtered.value.junkItems, filtered.value.junkBytes);
    try {
      Y.applyUpdate(this.doc, filtered.value.pieces[0], STORAGE);
    } catch {
      this.health.unreadableUpdates++;
      return null;
    }
    return filtered.value.junkItems;
  }

  /**
   * Applies a stored skeleton with its records put back from the records table. Usually applied as
   * it is, each placeholder then given its record in place; a skeleton that would leave structs
   * pending, or whose records are not all stored, gets its records written into the update instead,
   * a missing one as a gap for peers to fill (counted as an unreadable update). Returns the junk
   * dropped.
   */
  async #loadSkeleton(update: Uint8Array, seq: number | undefined): Promise<number> {
    let skeleton: ReturnType<typeof readSkeleton>;
    try {
      skeleton = readSkeleton(update, this.doc);
    } catch {
      this.health.unreadableUpdates++;
      return 0;
    }
    if (skeleton.values && seq !== undefined) this.#rewrite.add(seq);
    const keys = skeleton.placeholders.map((s) => s.key).filter((k) => k !== null);
    const records = new Map<string, AnyRecord>();
    for (const row of (await this.#storedRecords(keys)).values()) {
      const shared = sharedForm(row);
      // Only a plain-JSON record under its own id stands for what a placeholder held.
      if (isExactJson(shared)) records.set(shared.id, shared);
    }
    const recordOf = (key: string) => records.get(key);
    let filled: { client: number; clock: number }[];
    let junk: number | null;
    if (skeleton.whole && skeleton.placeholders.every((s) => s.key !== null && records.has(s.key))) {
      junk = this.#load(update, true);
      filled = fillApplied(this.doc, skeleton.placeholders, recordOf);
    } else {
      const written = fillSkeleton(skeleton, recordOf);
      if (written.missing) this.health.unreadableUpdates++;
      junk = this.#load(written.update);
      filled = written.filled;
    }
    if (junk === null) return 0;
    for (const s of filled) this.#back(s.client, s.clock);
    return junk;
  }

  /** Stored rows of these ids: one by one for a few, as the community's whole range for many. */
  async #storedRecords(ids: string[]): Promise<Map<string, StoredRecord>> {
    const out = new Map<string, StoredRecord>();
    if (ids.length > RANGE_READ_AFTER && this.shard) {
      for (const row of await shardRecords(this.db, this.cid, this.shard)) out.set(row.id, row);
      return out;
    }
    if (ids.length > RANGE_READ_AFTER) {
      const [genesis, rows] = await Promise.all([recordById(this.db, this.cid), communityRecords(this.db, this.cid)]);
      if (genesis) out.set(genesis.id, genesis);
      for (const row of rows) out.set(row.id, row);
      return out;
    }
    // A month's records are content kinds only: in pages, never rows.
    for (const row of await recordsById(this.db, ids, this.#month ? () => true : undefined)) if (row) out.set(row.id, row);
    return out;
  }

  /**
   * Backs the values an older version stored in full that are exactly the stored records (the gate
   * accepted them then; it does not check them again), so the store compacts to a skeleton.
   */
  async #adopt(): Promise<void> {
    const live: [string, Y.Item][] = [];
    for (const [key, item] of this.records._map) {
      if (!item.deleted && !this.#isBacked(item.id.client, item.id.clock)) live.push([key, item]);
    }
    for (let i = 0; i < live.length; i += ADOPT_SLICE) {
      const slice = live.slice(i, i + ADOPT_SLICE);
      const stored = await recordsById(
        this.db,
        slice.map(([key]) => key)
      );
      slice.forEach(([key, item], j) => {
        const row = stored[j];
        if (row && sameRecord(row, this.records.get(key))) this.#back(item.id.client, item.id.clock);
      });
    }
  }

  #back(client: number, clock: number): void {
    let clocks = this.#backed.get(client);
    if (!clocks) this.#backed.set(client, (clocks = new Set()));
    clocks.add(clock);
  }

  #isBacked(client: number, clock: number): boolean {
    return this.#backed.get(client)?.has(clock) ?? false;
  }

  /** Puts back the records stored for this shard that the document lacks (`restoreAtOpen`). */
  async restoreStored(): Promise<void> {
    if (!this.#closed) await this.#restoreUnstored();
  }

  /**
   * Records projected but missing from the document: the tab or worker died between a write's
   * projection (which the page may already show) and storing the document's update, or a stored
   * update was lost. They are put back as this device's own entries, so they reach peers.
   */
  async #restoreUnstored(): Promise<void> {
    if (this.shard) {
      const ids = await shardRecordIds(this.db, this.cid, this.shard);
      await this.#repair(ids.filter((id) => !this.records.has(id)));
      return;
    }
    // The genesis is stored under the community's id with an empty cid: counted in the map, not the index.
    const stored = await countRecords(this.db, this.cid);
    if (stored + 1 <= this.recordCount) return;
    const ids = (await communityRecordIds(this.db, this.cid)) as string[];
    // Put back as repair does a value a peer deleted: from the stored row, as plain JSON, counted.
    await this.#repair([this.cid, ...ids].filter((id) => !this.records.has(id)));
  }

  /**
   * Map keys whose value differs from what the gate saw at `mark`: a value added since, or a value
   * deleted since. Anything stored without being ingested (a crash between persisting a peer's
   * update and checking it) is past the mark, so it is checked now. No mark: every key.
   */
  #changedSince(mark: Uint8Array | undefined): string[] {
    let seen: Y.Snapshot | null = null;
    try {
      if (mark) seen = Y.decodeSnapshot(mark);
    } catch {
      seen = null; // an unreadable mark only costs a full check
    }
    if (!seen) return [...this.records.keys()];
    const keys: string[] = [];
    // `_map` holds each key's latest item, deleted or not: its id tells whether the gate saw it.
    for (const [key, item] of this.records._map) {
      const before = (seen.sv.get(item.id.client) ?? 0) > item.id.clock;
      if (!before || (item.deleted && !Y.isDeleted(seen.ds, item.id))) keys.push(key);
    }
    return keys;
  }

  close(): void {
    this.#closed = true;
    this.#firstPages?.stop();
    this.#history.stop();
    if (this.#repairTimer) clearTimeout(this.#repairTimer);
    if (this.#recountTimer) clearTimeout(this.#recountTimer);
    CommunityDoc.#sharing.get(this.#jobs)?.delete(this);
    this.doc.destroy();
  }

  /**
   * Waits until everything received so far is applied, checked, projected and stored. Repairs
   * waiting for their backoff are not waited for (see `repairsSettled`).
   */
  async settled(): Promise<void> {
    await whenApplied(this.doc);
    // A pass of months' records that waited behind other checks is queued again after them.
    do await this.#jobs.idle();
    while (CommunityDoc.#toProject.has(this.#jobs) && !this.#closed);
    await this.#persisted;
  }

  /** Waits, in addition, for the health counts to be current (`#recount`, otherwise deferred until idle). */
  async healthSettled(): Promise<void> {
    await this.settled();
    while (this.#recountDue && !this.#closed) {
      await this.#jobs.enqueue(() => this.#recount());
      await this.settled();
    }
  }

  /** Waits, in addition, for repairs held back by their backoff. */
  async repairsSettled(): Promise<void> {
    await this.settled();
    // A check a backoff timer queued while `settled` waited on storage is waited for too.
    while ((this.#deferred.size || this.#jobs.pending) && !this.#closed) {
      if (this.#repairTimer) await new Promise((resolve) => setTimeout(resolve, Math.max(0, this.#repairDue - Date.now()) + 1));
      await this.settled();
    }
  }

  /**
   * Publishes this member's record, or several that stand or fall together (an epoch's parts): one
   * projection transaction, one document transaction, so a tab that dies between them leaves all or
   * none (stored rows the document lacks are put back at the next open). The projection write comes
   * first: if the disk is full nothing enters the shared document and the caller keeps its draft.
   * The result names the first record.
   */
  async append(records: AnyRecord | readonly AnyRecord[]): Promise<AppendResult> {
    const all = ([] as AnyRecord[]).concat(records);
    if (!all.length) return { ok: false, reason: 'record.malformed' };
    for (const record of all) {
      const checked = await checkRecord(record, { cid: this.cid, key: record.id });
      if (!checked.ok) return { ok: false, reason: checked.reason };
    }
    try {
      await this.#jobs.write(async () => {
        // The author holds the key of what they sealed: their own rows are plaintext at once.
        const rows = await openSealed(this.db, this.cid, all);
        if (rows.every(isContent)) {
          // Posts and reactions go out before they are projected here (the projection took 15–30 ms
          // of every reply's latency): stored first, so the update needs no copy of them and a tab
          // that dies before the projection finds them at its next open (`#restoreUnstored`, the check).
          await storeRecords(this.db, rows);
          this.#publish(all);
          await applyRecords(this.db, this.cid, rows).catch((error) => this.#projectLater(error));
        } else {
          await applyRecords(this.db, this.cid, rows);
          if (affectsKeys(all, (await authorityOf(this.db, this.cid))?.invites ?? new Map())) advanceKeyState(this.db, this.cid, all);
          this.#publish(all);
        }
        this.#announce(rows);
      });
      await this.#persisted;
    } catch (error) {
      return { ok: false, reason: isQuotaError(error) ? 'storage.full' : 'storage.failed' };
    }
    return { ok: true, record: all[0] };
  }

  /** Puts this member's records, already stored, into the document: peers get them now. */
  #publish(records: readonly AnyRecord[]): void {
    this.doc.transact(() => {
      for (const record of records) this.records.set(record.id, record);
    }, LOCAL);
    // Their rows are written: the stored update needs no copy of the records.
    for (const record of records) {
      const item = this.records._map.get(record.id);
      if (item && isExactJson(record)) this.#back(item.id.client, item.id.clock);
    }
  }

  /**
   * A write stored and sent whose projection failed (a full disk, say): the projection is marked
   * stale so that the next open rebuilds it from the records, which hold the write.
   */
  async #projectLater(error: unknown): Promise<void> {
    console.error('own write stored and sent, not projected', error);
    await this.db.projectionMeta.delete(this.cid).catch(() => undefined);
  }

  /**
   * Subscribes to records newly accepted and projected (local writes and records from peers), for
   * derived local data such as the search index and the notification inbox. Returns unsubscribe.
   */
  onAccepted(listener: AcceptedListener): () => void {
    this.#acceptedListeners.add(listener);
    return () => this.#acceptedListeners.delete(listener);
  }

  async importRecords(records: AnyRecord[]): Promise<ImportCount> {
    // Counted here, where the catalogue is the writer's own and current: a page counting them read
    // every page of the community into its own catalogue, on its main thread, after a 10k import.
    const already = await countStoredOf(this.db, this.cid, records);
    this.#importAll(records);
    await this.settled();
    return { already, present: await countStoredOf(this.db, this.cid, records) };
  }

  /**
   * One shard's share of an import held in shards (sharded-community.ts): its records put into the
   * document now and their check queued, stored as they pass the gate but not projected (the caller
   * projects every shard's in one rebuild, `projectImported`). Returns without waiting: the next
   * shard's check starts while this one's records are still being written, as one document's slices
   * do (waiting for each month's writes, its stored update and its ingest mark before the next
   * month's check made the 10k import held in shards slower than as one document). The document's
   * update is stored once `done` (its skeleton needs the records stored); the ingest mark is saved by
   * `projectImported`. `stored`: the ids the device held when the import began, read once for all
   * the shards (each month read them again, and that read waited for the writes before it).
   */
  importShare(records: AnyRecord[], stored: ReadonlySet<string>, writes = new ImportWrites(this.db, this.cid)): ShardImport {
    let resolve = () => {};
    let reject: (error: unknown) => void = () => {};
    const done = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    done.catch(() => undefined); // the caller awaits it; a share nobody awaits must not be an unhandled rejection
    const share: ImportShare = { accepted: [], done, written: Promise.resolve(), stored, writes, resolve, reject };
    this.#importShare = share;
    this.#importAll(records);
    // Nothing new for the document (every record already in it): no check was queued.
    if (this.#importShare === share) {
      this.#importShare = null;
      resolve();
    }
    // Its update's storage, which the caller awaits at the import's end: a failure (a full disk, a tab
    // closing) is the import's, not an unhandled rejection while the later months are checked.
    share.written = this.#persisted.then(() => undefined);
    share.written.catch(() => undefined);
    return share;
  }

  #importAll(records: AnyRecord[]): void {
    // One transaction: the observer sees one batch, checks it through the gate and projects it once
    // (a full rebuild past a few thousand records), and one update is stored.
    this.doc.transact(() => {
      for (const r of records) if (!this.records.has(r.id)) this.records.set(r.id, r);
    }, IMPORT);
  }

  async exportRecords(): Promise<AnyRecord[]> {
    await this.settled();
    const records: AnyRecord[] = [];
    for (const value of this.records.values()) {
      // Junk a peer put in the map stays out; the importing device's gate checks the rest.
      const parsed = parseRecord(value);
      if (parsed.ok) records.push(parsed.value);
    }
    return records;
  }

  automate(identity: Identity, memberStats: MemberStatsSource): () => void {
    // Once this device has let a newcomer in (their key share or admission), their step 1 for the whole
    // history is a second or two away: encoded now, it is answered without the wait.
    return startAutomation(this.db, this, identity, memberStats, () => {
      this.lettingIn();
      if (Date.now() - this.#freshJoinAt < HISTORY_KEPT_MS && this.recordCount <= HISTORY_AHEAD_MAX_ENTRIES) this.#history.prepare();
    });
  }

  /** This device has just let a newcomer in (their key share or admission written): the first page they will ask for is made now. */
  lettingIn(): void {
    this.#firstPages?.lettingIn();
  }

  /** The answer to a peer's sync step 1 from the history encoded ahead, or null (the peer holds something, or nothing is kept). */
  historyReply(step1: Uint8Array): Uint8Array[] | null {
    return this.#history.reply(step1);
  }

  maintainKeys(identity: Identity, now = Date.now(), also: readonly Scope[] = []): Promise<number> {
    return maintainKeys(this.db, this, identity, now, also);
  }

  async wantsFirstPage(): Promise<boolean> {
    return !this.#closed && this.recordCount < FIRST_PAGE_WANTED_BELOW;
  }

  firstPage(): Promise<Uint8Array> {
    this.#firstPages ??= firstPageMaker(this);
    return this.#firstPages.page();
  }

  lobbyPage(member: string): Promise<Uint8Array | null> {
    return lobbyPageFor(this, member);
  }

  takeLobbyPage(sealed: Uint8Array): Promise<'taken' | 'refused' | 'no-key'> {
    return takeLobbyPage(this, sealed);
  }

  /**
   * A device holding next to nothing asked this device's lobby for its core: a newcomer, who asks for
   * the first page once admitted, 2–3 s from now. Unless a page can be sent as it is, one is made once
   * this device has let them in (`lettingIn`), or soon after on a device that lets no one in: the join
   * comes with the newcomer's first lobby message, and a page made at once read the store (about 2 s
   * at 10,000 members) ahead of the join's check and key share (first-page.ts `WARM_DELAY_MS`).
   */
  newcomerInLobby(): void {
    if (this.#closed) return;
    this.#firstPages ??= firstPageMaker(this);
    this.#firstPages.warm();
  }

  async takeFirstPage(bytes: Uint8Array): Promise<boolean> {
    const records = decodeFirstPage(bytes);
    if (!records) return false;
    // Checked at the next slice boundary of a check under way (as this member's writes are), and
    // projected onto what is there: at 10k the page came while 10,000 profiles of the lobby's core
    // were being checked, and waited 7 s for them and then a rebuild (the history's first pieces
    // being applied meanwhile) before the first row showed. Their names follow with that rebuild.
    const source = this.#notInDocument(records, new Map());
    // Its threads and their starters' joins and profiles first, then the rest (replies and their
    // authors): the first rows show after a check of a tenth of the page. At 10,000 members the whole
    // page's check took 1.7 s on a quiet machine; its first 82 records take 0.4 s.
    const starters = new Set<string>();
    for (const value of source.values()) if (isThread(value as AnyRecord)) starters.add((value as AnyRecord).author);
    const lead = new Map<string, unknown>();
    const rest = new Map<string, unknown>();
    for (const [key, value] of source) (leadsPage(value as AnyRecord, starters) ? lead : rest).set(key, value);
    for (const part of [lead, rest]) if (part.size) await this.#jobs.write(() => this.#check([...part.keys()], false, part, true));
    return true;
  }

  async openLobby(options: LobbyOptions = { share: true }): Promise<LobbyHandle> {
    // A device that serves the lobby may let a newcomer in: its first page is made ahead of them.
    if (options.share && !this.#closed) (this.#firstPages ??= firstPageMaker(this)).ahead();
    const core = new CoreLobby(this, options);
    await core.open();
    return core;
  }

  /** On this thread the relay shares the mesh's awareness (`awareness`), so presence crosses both. */
  async startRelay(options: RelayOptions): Promise<RelayHandle> {
    let identity = options.identity;
    // The Hocuspocus provider is loaded when a community has a relay.
    const [{ RelayLink }, { guardedWebSocket }] = await Promise.all([import('./relay-client'), import('./relay-socket')]);
    const link = new RelayLink({
      addresses: options.addresses,
      room: options.room,
      doc: this.doc,
      awareness: options.awareness ?? null,
      identity: () => identity,
      WebSocketPolyfill: guardedWebSocket(this.doc),
      onStatus: options.onStatus,
      onSynced: options.onSynced,
      onNotice: options.onNotice
    });
    return {
      get connected() {
        return link.connected;
      },
      connect: () => link.connect(),
      disconnect: () => link.disconnect(),
      destroy: () => link.destroy(),
      prove: (who) => ((identity = who), link.prove()),
      present: () => {},
      states: () => null
    };
  }

  #announce(records: AnyRecord[]): void {
    if (!records.length) return;
    for (const listener of this.#acceptedListeners) {
      Promise.resolve(listener(records, this)).catch((e) => console.error('accepted-record listener failed', e));
    }
  }

  /**
   * Keys observed while the gate is busy wait for one job together, checked in `historyOrder`: the
   * gated protocol applies a peer's history in pieces of 500 structs, one transaction each, and one
   * job per piece was one projection pass per 500 records (about 1.2 s each for a newcomer to the
   * 10k community: 52 s to the first row). Gathered, the core goes first and then the newest records,
   * so the first rows show after one pass, and a write from another member that arrives during a
   * flood is checked before the flood's older records, not behind every piece applied before it.
   */
  #gather(keys: string[]): void {
    if (this.#gathering) {
      for (const key of keys) this.#gathering.add(key);
      return;
    }
    const gathered = (this.#gathering = new Set(keys));
    this.#jobs.enqueue(() => {
      if (this.#gathering === gathered) this.#gathering = null;
      return this.#ingest([...gathered]);
    });
  }

  /**
   * Records how far the gate has got. Called with the queue otherwise empty: every change applied
   * to the document so far was observed (observers run inside the update's transaction) and its
   * keys checked, so the whole current state is covered. Only a stored state is marked, so an
   * update that is lost and arrives again is checked again. After a failed ingest the mark stays
   * where it was for the rest of the session, so the next open checks those keys again.
   */
  async #saveMark(): Promise<void> {
    const mark = await this.#markNow();
    // A mark that cannot be written only means more checking at the next open.
    if (mark) await this.db.ingestMarks.put(mark).catch((error) => console.warn('ingest mark not saved', error));
  }

  /** The marks of several documents (the shards an import went into), saved in one transaction. */
  static async #saveMarks(docs: readonly CommunityDoc[]): Promise<void> {
    const marks: IngestMarkRow[] = [];
    for (const doc of docs) {
      const mark = await doc.#markNow();
      if (mark) marks.push(mark);
    }
    if (marks.length) await docs[0].db.ingestMarks.bulkPut(marks).catch((error) => console.warn('ingest marks not saved', error));
  }

  /** The mark to save now (`#saveMark`), or null when none may be saved. */
  async #markNow(): Promise<IngestMarkRow | null> {
    try {
      await this.#persisted;
    } catch {
      return null; // the last update is not stored: leave the mark where it is
    }
    if (this.#ingestFailed || this.#closed || this.#jobs.pending !== 1) return null;
    // Values the gate has now matched with stored records leave the stored rows before the mark says so.
    if (this.#rewrite.size) {
      this.#persisted = this.#persisted.then(() => this.#rewriteStored());
      try {
        await this.#persisted;
      } catch {
        return null;
      }
      if (this.#closed || this.#jobs.pending !== 1) return null;
    }
    return { cid: this.#markKey, snapshot: Y.encodeSnapshot(Y.snapshot(this.doc)), unauthorised: this.#recountDue ? null : this.#unauthorised };
  }

  /**
   * Stores an update (after those before it). An import's update waits for `after`, its check: by
   * then its accepted records are stored and it is written as a skeleton (5 MB for 100,000 records),
   * where written at once it held every record in full (50 MB), rewritten after the check. Updates
   * after it wait too, so the stored updates keep their order. A tab that dies during the check
   * leaves the records stored so far, which the next open puts back into the document (`#restoreUnstored`).
   */
  #persist(update: Uint8Array, after?: Promise<void>): void {
    this.#unstored++;
    this.#persisted = this.#persisted
      .catch(() => undefined)
      .then(() => after)
      .then(async () => {
        const stored = this.#skeleton(update);
        const seq = await this.db.docUpdates.add(this.#row(stored.update));
        this.#storedSeq = Math.max(this.#storedSeq, seq);
        // A peer's records are stored in full until the gate has checked and stored them.
        if (stored.values) this.#rewrite.add(seq);
        if (++this.#storedUpdates > COMPACT_AFTER && !this.#closed) await this.#compact();
      })
      .finally(() => this.#unstored--);
  }

  /**
   * The newest stored update's key when everything this document holds is stored and checked, else
   * null: what a shard's catalogue row records as it closes, so the next open can tell it is unchanged.
   */
  storedState(): number | null {
    return this.#unstored === 0 && !this.#closed ? this.#storedSeq : null;
  }

  /**
   * An update of this document's own items (a shard's cut from it, shards/legacy-migration) in the
   * form this document stores them: values it holds as stored records become placeholders. Call once
   * everything is stored (`settled`).
   */
  storedForm(update: Uint8Array): Uint8Array {
    return this.#skeleton(update, true).update;
  }

  #row(update: Uint8Array): DocUpdateRow {
    return this.shard ? { cid: this.cid, shard: this.shard, update, skeleton: 1 } : { cid: this.cid, update, skeleton: 1 };
  }

  /**
   * The stored form of an update: backed values as placeholders; with `dropDeleted` (every update
   * so far is stored), values since overwritten or deleted are dropped as Yjs drops them.
   */
  #skeleton(update: Uint8Array, dropDeleted = false) {
    return toSkeleton(update, (client, clock) => {
      if (this.#isBacked(client, clock)) return 'backed';
      if (!dropDeleted) return null;
      const struct = structAt(this.doc, client, clock);
      return struct instanceof Y.Item && struct.deleted ? 'deleted' : null;
    });
  }

  async #compact(): Promise<void> {
    const state = this.#skeleton(Y.encodeStateAsUpdate(this.doc));
    let seq = 0;
    await this.db.transaction('rw', this.db.docUpdates, async () => {
      await this.#storedRows().delete();
      seq = await this.db.docUpdates.add(this.#row(state.update));
    });
    this.#storedSeq = Math.max(this.#storedSeq, seq);
    this.#storedUpdates = 1;
    this.#rewrite = new Set(state.values ? [seq] : []);
  }

  /**
   * Rewrites the stored rows that held values in full with the values now backed by stored records
   * as placeholders. Runs in the persistence chain (never beside a compaction). A row that cannot be
   * rewritten stays as it is, whole, and is tried again later.
   */
  async #rewriteStored(): Promise<void> {
    for (const seq of [...this.#rewrite]) {
      if (this.#closed) return;
      try {
        const row = await this.db.docUpdates.get(seq);
        this.#rewrite.delete(seq);
        if (!row?.skeleton) continue;
        const stored = this.#skeleton(row.update, true);
        // Values still in the row after a drain are not records this device accepted: left as they are.
        if (stored.placed) await this.db.docUpdates.put({ ...row, update: stored.update });
      } catch (error) {
        console.warn('stored update not rewritten', error);
        return;
      }
    }
  }

  /**
   * `checked` is told when the check has ended, however it ended (before the mark, which waits for
   * storage). A share of an import held in shards ends its job before its records are stored: the
   * next shard's check runs beside those writes; `checked` (which the update's skeleton waits for)
   * and the share wait for them, and the mark is saved at the import's end (`projectImported`).
   */
  async #ingest(keys: string[], projectOnce = false, checked = () => {}, share?: ImportShare): Promise<void> {
    try {
      await this.#check(keys, projectOnce, undefined, false, share);
    } catch (error) {
      this.#ingestFailed = true;
      checked();
      share?.reject(error);
      throw error;
    }
    if (share) {
      (share.storing ?? Promise.resolve()).then(
        () => {
          checked();
          share.resolve();
        },
        (error) => {
          this.#ingestFailed = true;
          checked();
          share.reject(error);
        }
      );
      return;
    }
    checked();
    if (this.#jobs.pending === 1) await this.#saveMark();
  }

  /**
   * Passes the values under `keys` through the gate and repairs them, in slices with a macrotask
   * between them so a flood of records never holds the thread, and projects and announces what was
   * accepted in two batches: the core and 500 more keys (`historyOrder`: the core first, then the
   * newest records), so a newcomer's first rows show after one pass, then all the rest at once. A
   * large batch rebuilds the projection from every stored record, so passes that grew fourfold
   * (2,000 keys, then 8,000 …) each rebuilt what the last had built: a newcomer to the real community
   * (4,255 records) spent 4 s in three passes where two take 2.4 s. `projectOnce` (an import)
   * projects everything accepted in one batch at the end. `overtaking` (a first page, run between two
   * slices of another check): projected onto the projection as it is, never deferred into a rebuild.
   */
  async #check(unordered: string[], projectOnce = false, source?: ReadonlyMap<string, unknown>, overtaking = false, share?: ImportShare): Promise<void> {
    await this.#jobs.letWritesOvertake();
    const { keys, core } = historyOrder(unordered, (key) => (source ? source.get(key) : this.records.get(key)), Date.now());
    // An import that a rebuild will project stores each slice's records as soon as the gate has passed
    // them, without waiting for the write: IndexedDB stores one slice while the next one's signatures
    // are checked (the import waited ~0.4 ms a record for a write after the whole check). The gate
    // then looks up only keys the records table held when the check began, so its reads never wait
    // for those writes.
    // Beside the document (`storeAside`) the map holds none of the community, so its size says nothing
    // of what is stored: the stored ids tell. A newcomer's lobby core comes in three or four jobs as it
    // arrives, and each one rebuilt the projection from every record stored so far (3.5, 7.7 and 5 s
    // at 10k); its first page (570 records) was taken for a large share of a map of 30 and rebuilt
    // everything once more (7.8 s) before the first row showed. Counted: the ids are read only for a
    // bulk job (a key share or a first page at 10k read 20,000 keys for their number).
    const stored = source ? await this.#storedCount() : null;
    const bulkAside = stored !== null && !overtaking && (this.#behind.length > 0 || rebuildsFor(keys.length, stored));
    // A batch into the document that a rebuild will project, on a device already showing threads (a
    // first page taken, or what it held before): its first rows need no first pass, so it is stored
    // slice by slice as the gate passes it, as an import is, and projected once. A newcomer to the
    // real community projected its history in three passes (the update's first piece, the core and
    // 500 keys, then the rest: 0.6 + 0.9 + 2.0 s) after its first page already showed the feed.
    const large = !source && !projectOnce && !overtaking && projectsAtOnce(keys.length, this.#communitySize() - keys.length) && (await this.#showsThreads());
    // A share of an import held in shards looks up the ids the import read once for every shard.
    const ahead = share
      ? share.stored
      : bulkAside || large || (projectOnce && rebuildsFor(keys.length, this.#communitySize()))
        ? await this.#storedIds()
        : null;
    // A community with nothing stored yet, into which no write of this member comes during the check:
    // the records this check stores are all there is, and the rebuild need not read them back.
    const fresh = !bulkAside && ahead !== null && ahead.size === 1 && !(await recordById(this.db, this.cid));
    const writesBefore = this.#jobs.writes;
    /** How many stored records the authority refuses, when the projection counted them (a rebuild). */
    let counted: number | null = null;
    let storing: Promise<void> = Promise.resolve();
    const accepted: AnyRecord[] = [];
    let rejectedAny = false;
    let waiting: AnyRecord[] = [];
    /** The items the accepted values were read from, to back once their records are stored. */
    const read = new Map<string, { item: Y.Item; value: unknown }>();
    // Where in `keys` the records accepted so far are projected: after the core whole and the first
    // slice of the rest (a thread shows once its author's join is in), then at the end. Counted in
    // keys, not in records accepted: a history whose core this device already holds (from the lobby)
    // accepts none of it, and its first rows waited for 8,000 new records.
    let projectAt = projectOnce || bulkAside || large ? Infinity : core + INGEST_SLICE;
    for (let i = 0; i < keys.length; i += INGEST_SLICE) {
      if (i > 0) {
        await nextTask();
        await this.#jobs.letWritesOvertake();
      }
      if (this.#closed) return;
      const outcome = await this.#gateSlice(keys.slice(i, i + INGEST_SLICE), ahead ? (key) => ahead.has(key) : undefined, source);
      if (ahead && outcome.accepted.length) {
        const rows = outcome.accepted;
        // The shares of an import write together, one transaction at a time (`ImportWrites`): each
        // month writing beside the others queued 284 transactions at once in IndexedDB at 10k.
        storing = share ? Promise.all([storing, share.writes.write(rows)]).then(() => undefined) : storing.then(() => storeAhead(this.db, this.cid, rows));
        storing.catch(() => undefined); // awaited (and thrown) below, before anything is projected
      }
      for (const [key, entry] of outcome.read) read.set(key, entry);
      accepted.push(...outcome.accepted);
      waiting.push(...outcome.accepted);
      rejectedAny ||= outcome.rejected.length > 0;
      const through = i + INGEST_SLICE;
      if (through >= projectAt || through >= keys.length) {
        if (share) {
          // Stored as they pass the gate; projected by the caller with the other documents' (`projectImported`).
          // Not waited for here: the next shard's check runs beside these writes (`#ingest`).
          const rows = waiting;
          storing = storing.then(() => {
            share.accepted.push(...rows);
            this.#backStored(rows, read);
          });
          storing.catch(() => undefined); // handled by `#ingest`
          waiting = [];
          projectAt = Infinity;
          continue;
        }
        if (bulkAside || large || this.#behind.length) {
          // Stored as they passed the gate, or now (this job joins records a job before it left here).
          if (ahead) await storing;
          else await storeAhead(this.db, this.cid, waiting);
          this.#behind.push(...waiting);
          // More is gathered for the next job (the rest of the lobby's core, or of a history whose
          // first piece this job checked while the other pieces were being applied), and nothing else
          // is queued: one rebuild when the last of it is stored, not one per job. The projection is
          // behind meanwhile (`storeAhead` marked it so: an open after a crash rebuilds).
          const more = bulkAside ? this.#aside !== null : large && this.#gathering !== null;
          if (!(more && this.#jobs.pending === 2)) counted = await this.#projectStored(this.#behind.splice(0), false);
        } else if (ahead) {
          await storing;
          counted = await this.#projectStored(waiting, fresh && this.#jobs.writes === writesBefore);
        } else if (this.#month && !projectOnce && !source && !overtaking) {
          this.#projectWithOthers(waiting, read);
          waiting = [];
        } else {
          // About what the projection holds: the map less the keys not yet through the gate. Counted
          // only here: a community held in shards counts every month's map (each month's share of an
          // import counted 162 maps at 10k: 2 s of the worker).
          const held = Math.max(this.#communitySize() - Math.max(0, keys.length - through), stored !== null ? stored + through : 0);
          await this.#project(waiting, Math.max(held, waiting.length));
        }
        // Stored now, exactly as the map holds them (sealed ones as their sealed original).
        this.#backStored(waiting, read);
        waiting = [];
        projectAt = Infinity;
      }
    }
    await this.#jobs.letWritesOvertake();
    const auth = await authorityOf(this.db, this.cid);
    if (counted !== null) {
      this.#unauthorised = counted;
      this.#recountDue = false;
    } else if (this.#unauthorised === null || (auth && accepted.some((r) => !auth.accepts(r) || affectsAuthority(r, auth.invites, auth.restricted)))) {
      this.#recountDue = true;
      this.#scheduleRecount();
    }
    // Every refused row is written by a document of this queue, which counts them again after: a
    // month's first check that refused nothing takes the count its queue last read (a newcomer's 143
    // months each read it, one IndexedDB transaction a month on both devices).
    const lastCount = CommunityDoc.#rejectsCounted.get(this.#jobs)?.get(this.cid);
    if (this.#gateRejects === null && !rejectedAny && lastCount !== undefined) this.#gateRejects = lastCount;
    else if (this.#gateRejects === null || rejectedAny) {
      this.#gateRejects = await this.db.rejected.where('cid').equals(this.cid).count();
      if (!CommunityDoc.#rejectsCounted.has(this.#jobs)) CommunityDoc.#rejectsCounted.set(this.#jobs, new Map());
      CommunityDoc.#rejectsCounted.get(this.#jobs)!.set(this.cid, this.#gateRejects);
    }
    this.#publishHealth();
    if (share) share.storing = storing;
  }

  #publishHealth(): void {
    this.health = {
      ...this.health,
      records: this.recordCount,
      rejected: (this.#gateRejects ?? 0) + (this.#unauthorised ?? 0),
      repairsWaiting: this.#deferred.size
    };
    this.onHealth(this.health);
  }

  /**
   * The recount of records kept out of view waits until no job is queued: it reads every record of
   * the community, and inside the check it held the queue for 2.3 s on the creator's device after each
   * join of the real community (4,500 records), so the newcomer's next records (its profile, the
   * answer to its key) waited behind a figure of the health line. A newcomer's first check paid it too.
   */
  #scheduleRecount(): void {
    if (this.#recountTimer || this.#closed) return;
    this.#recountTimer = setTimeout(() => {
      this.#recountTimer = null;
      if (!this.#recountDue || this.#closed) return;
      if (this.#jobs.pending > 0) return this.#scheduleRecount();
      this.#jobs.enqueue(() => this.#recount()).catch((error) => console.error('community recount failed', error));
    }, RECOUNT_IDLE_MS);
  }

  async #recount(): Promise<void> {
    if (!this.#recountDue || this.#closed) return;
    // The count is the community's: the documents of its other shards waiting for one take this one
    // (their own recounts then find nothing due). Each month's document recounted every record of the
    // community: a community held in shards left one recount a month after an import or a newcomer's
    // sync (143 for the real community, ~0.2 s each in Node; 162 at 10k, each reading 100,000 records).
    const due: CommunityDoc[] = [this];
    for (const doc of CommunityDoc.#sharing.get(this.#jobs) ?? []) if (doc !== this && doc.cid === this.cid && doc.#recountDue && !doc.#closed) due.push(doc);
    for (const doc of due) doc.#recountDue = false;
    const unauthorised = await countUnauthorised(this.db, this.cid, () => this.#jobs.letWritesOvertake());
    for (const doc of due) {
      if (doc.#closed) continue;
      doc.#unauthorised = unauthorised;
      doc.#publishHealth();
      if (this.#jobs.pending === 1) await doc.#saveMark();
    }
  }

  /** Ids of the records this community has stored (the genesis's is always included: it is stored without a `cid`). */
  async #storedIds(): Promise<Set<string>> {
    const ids = new Set((await communityRecordIds(this.db, this.cid)) as string[]);
    ids.add(this.cid);
    return ids;
  }

  /** Whether this device's projection shows a thread of the community. */
  async #showsThreads(): Promise<boolean> {
    return (await this.db.threads.where('cid').equals(this.cid).limit(1).primaryKeys()).length > 0;
  }

  /** How many ids `#storedIds` holds, without reading them. */
  async #storedCount(): Promise<number> {
    return (await countRecords(this.db, this.cid)) + 1;
  }

  /**
   * The gate and repair for some keys: what was accepted, and what was refused (counted and repaired).
   * With `source` (the lobby's records), the values are read from it and nothing is repaired: the
   * document holds none of them.
   */
  async #gateSlice(keys: string[], mayBeStored?: (key: string) => boolean, source?: ReadonlyMap<string, unknown>) {
    const entries: [string, unknown][] = [];
    const removed: string[] = [];
    const read = new Map<string, { item: Y.Item; value: unknown }>();
    if (source) {
      const outcome = await passGate(
        this.db,
        this.cid,
        keys.map((key) => [key, source.get(key)]),
        mayBeStored
      );
      if (outcome.rejected.length) await this.#noteRejected(outcome.rejected);
      return { ...outcome, read };
    }
    const misplaced: { key: string; reason: string }[] = [];
    for (const key of keys) {
      this.#deferred.delete(key); // checked now; deferred again below if still broken and held back
      const item = this.records._map.get(key);
      if (item && !item.deleted) {
        const value = this.records.get(key);
        // A value of another shard (written here some way other than a peer's update, which the gate
        // filters): kept out of view and not repaired, as the right shard's document holds the record.
        if (this.shard && !belongsTo(value, this.shard)) {
          misplaced.push({ key, reason: 'shard.wrong' });
          continue;
        }
        entries.push([key, value]);
        read.set(key, { item, value });
      } else removed.push(key);
    }
    const outcome = await passGate(this.db, this.cid, entries, mayBeStored);
    // Values that are exactly a stored record are stored as placeholders from now on.
    for (const key of outcome.known) {
      const item = read.get(key)?.item;
      if (item) this.#back(item.id.client, item.id.clock);
    }
    await this.#repair([...removed, ...outcome.rejected.map((r) => r.key)]);
    if (outcome.rejected.length) await this.#noteRejected(outcome.rejected);
    if (misplaced.length) await this.#noteRejected(misplaced);
    return { ...outcome, rejected: [...outcome.rejected, ...misplaced], read };
  }

  async #noteRejected(rejected: readonly { key: string; reason: string }[]): Promise<void> {
    await this.db.rejected.bulkPut(rejected.map((r) => ({ key: `${this.cid}/${r.key}`, cid: this.cid, reason: r.reason, at: Date.now() })));
  }

  /** Backs the items the records were read from, once the records are stored exactly as the map holds them. */
  #backStored(records: readonly AnyRecord[], read: ReadonlyMap<string, { item: Y.Item; value: unknown }>): void {
    for (const r of records) {
      const entry = read.get(r.id);
      if (entry && exactlyEqual(r, entry.value)) this.#back(entry.item.id.client, entry.item.id.clock);
    }
  }

  /**
   * A month's checked records wait for one projection pass with the other months checked meanwhile:
   * the pass is queued behind the checks already waiting, so a newcomer fetching 143 months of about
   * 27 records pays a pass (one transaction over every projection table, the quota, the related
   * threads) per batch of months, not per month (0.2–0.4 s each, most of its sync after the transfer).
   * Until then nothing of them is stored: the ingest mark is saved only with the queue empty, so a tab
   * that dies first checks them again at its next open.
   */
  #projectWithOthers(records: AnyRecord[], read: ReadonlyMap<string, { item: Y.Item; value: unknown }>): void {
    if (!records.length) return;
    let waiting = CommunityDoc.#toProject.get(this.#jobs);
    if (!waiting) {
      CommunityDoc.#toProject.set(this.#jobs, (waiting = []));
      const jobs = this.#jobs;
      // Until the feed shows a first page, the pass goes ahead of the checks queued (the next slice
      // boundary): a newcomer's first rows do not wait for the whole history's checks.
      const pass = () => CommunityDoc.#projectWaiting(jobs);
      (CommunityDoc.#pageShown.has(jobs) ? jobs.enqueue(pass) : jobs.ahead(pass)).catch((error) => console.error('community projection failed', error));
    }
    waiting.push({ doc: this, records, read });
  }

  static async #projectWaiting(jobs: JobQueue): Promise<void> {
    // Once the feed shows a first page of threads (a newcomer's newest months), a pass waits behind the
    // months' checks queued after it and takes their records too. Each pass past a quarter of the
    // community rebuilds the projection from everything stored (`rebuildsFor`): the real community's
    // newcomer made 12 passes (7.9 s of its queue, the last three 0.7–1.4 s each) while its months
    // were being checked. Its job stays queued meanwhile, so `settled` waits for it.
    const waiting = CommunityDoc.#toProject.get(jobs) ?? [];
    if (jobs.pending > 1 && waiting.length && (await CommunityDoc.#showsFirstPage(jobs, waiting[0].doc))) {
      jobs.enqueue(() => CommunityDoc.#projectWaiting(jobs)).catch((error) => console.error('community projection failed', error));
      return;
    }
    const batch = (CommunityDoc.#toProject.get(jobs) ?? []).filter((b) => !b.doc.#closed);
    CommunityDoc.#toProject.delete(jobs);
    if (!batch.length) return;
    const first = batch[0].doc;
    const all = batch.flatMap((b) => b.records);
    try {
      const shown = await first.#projectRows(all, Math.max(first.#communitySize(), all.length));
      for (const { doc, records, read } of batch) {
        const mine = new Set(records.map((r) => r.id));
        doc.#announce(shown.filter((r) => mine.has(r.id)));
        doc.#backStored(records, read);
      }
      // Reopened sealed records belong to no month's batch: told once, by the first.
      const told = new Set(all.map((r) => r.id));
      first.#announce(shown.filter((r) => !told.has(r.id)));
    } catch (error) {
      for (const { doc } of batch) doc.#ingestFailed = true; // their keys are checked again at the next open
      throw error;
    }
    if (jobs.pending === 1) for (const { doc } of batch) await doc.#saveMark();
  }

  /** Whether the community of a queue's documents shows a first page of threads (read until it does, then known). */
  static async #showsFirstPage(jobs: JobQueue, doc: CommunityDoc): Promise<boolean> {
    if (CommunityDoc.#pageShown.has(jobs)) return true;
    const shown = await doc.db.threads.where('cid').equals(doc.cid).limit(FIRST_PAGE_THREADS).primaryKeys();
    if (shown.length < FIRST_PAGE_THREADS) return false;
    CommunityDoc.#pageShown.add(jobs);
    return true;
  }

  /** Stores and projects accepted records (opened where this device holds the key) and announces them. */
  async #project(accepted: AnyRecord[], communitySize: number): Promise<void> {
    this.#announce(await this.#projectRows(accepted, communitySize));
  }

  /** Stores and projects accepted records; returns those to announce (shown, opened where sealed). */
  async #projectRows(accepted: AnyRecord[], communitySize: number): Promise<AnyRecord[]> {
    if (!accepted.length) return [];
    const invites = (await authorityOf(this.db, this.cid))?.invites ?? new Map();
    if (affectsKeys(accepted, invites)) {
      // Keys or entitlement changed: sealed rows already stored may open now.
      const openable = await openableBy(this.db, accepted, invites);
      const held = await applyRecords(this.db, this.cid, accepted, communitySize);
      advanceKeyState(this.db, this.cid, accepted);
      const reopened = await reopenSealed(this.db, this.cid, openable);
      await applyRecords(this.db, this.cid, reopened);
      return [...withoutHeld(accepted, held).filter((r) => r.kind !== 'sealed'), ...reopened];
    }
    const rows = await openSealed(this.db, this.cid, accepted);
    const held = await applyRecords(this.db, this.cid, rows, communitySize);
    return withoutHeld(rows, held);
  }

  /**
   * Projects records `storeAhead` has stored (a large import): one rebuild, then what this device can
   * open of them, as `#project` does with a batch it stores itself. `whole`: they are every record the
   * community has stored, so the rebuild takes them as they are. Returns the records the authority
   * refuses, as the rebuild counted them (null when records opened after it were projected again).
   */
  async #projectStored(accepted: AnyRecord[], whole: boolean): Promise<number | null> {
    if (!accepted.length) return null;
    if (affectsKeys(accepted, (await authorityOf(this.db, this.cid))?.invites ?? new Map())) {
      const { unauthorised, held } = await rebuildProjection(this.db, this.cid, whole ? accepted : undefined);
      forgetKeyState(this.db, this.cid);
      const reopened = await reopenSealed(this.db, this.cid);
      await applyRecords(this.db, this.cid, reopened);
      this.#announce([...withoutHeld(accepted, held).filter((r) => r.kind !== 'sealed'), ...reopened]);
      return reopened.length ? null : unauthorised;
    }
    const rows = await openSealed(this.db, this.cid, accepted);
    // Sealed records this device can open are stored as their plaintext (with their sealed original).
    await storeAhead(
      this.db,
      this.cid,
      rows.filter((r, i) => r !== accepted[i])
    );
    const { unauthorised, held } = await rebuildProjection(this.db, this.cid, whole ? rows : undefined);
    this.#announce(withoutHeld(rows, held));
    return unauthorised;
  }

  /**
   * Projects records the shares of an import stored without projecting them (`importShare`), in one
   * rebuild, in the job queue; then saves the ingest marks of the documents they went into (their
   * checks left it to here: a mark saved before a share's records were stored would call them seen).
   * When they are every record the community has stored (an import into a community holding nothing
   * else), the rebuild takes them as they are instead of reading them back: reading the 10k import's
   * 100,000 records back from IndexedDB held the worker ~8 s, idle, before the projection began.
   */
  projectImported(accepted: AnyRecord[], docs: readonly CommunityDoc[] = []): Promise<void> {
    return this.#jobs.enqueue(async () => {
      // Read in the job: no other check stores anything between this read and the rebuild.
      const counted = await this.#projectStored(accepted, await isEveryStored(this.db, this.cid, accepted));
      if (counted !== null) {
        // The rebuild counted the community's refused records: the months, which their checks left due
        // a recount, take its count as a recount gives it to each (one read every record of the
        // community again a second after the import: 63 kinds, 100,000 records at 10k).
        for (const doc of new Set([this, ...docs])) {
          doc.#unauthorised = counted;
          doc.#recountDue = false;
          doc.#publishHealth();
        }
      }
      if (this.#jobs.pending === 1 && docs.length) await CommunityDoc.#saveMarks(docs);
    });
  }

  /**
   * Repair: records are never removed or replaced (edits and deletions are new records), so a
   * valid record that a peer deleted or overwrote is put back from this device's copy, exactly as
   * accepted, all keys in one transaction. A key broken again soon after its repair is held back
   * by its backoff and checked again when that ends; it is repaired then, however often it breaks.
   */
  async #repair(broken: string[]): Promise<void> {
    if (!broken.length) return;
    const originals = (await recordsById(this.db, broken)).filter((r) => r !== undefined);
    if (!originals.length || this.#closed) return;
    const now = Date.now();
    const due: AnyRecord[] = [];
    // `target`, `held` and opened plaintext are this device's own: the shared record is `sharedForm`.
    for (const stored of originals.map(sharedForm)) {
      const key = stored.id;
      let state = this.#repairs.get(key);
      // Broken long after its last repair: a fresh start, not part of a fight.
      if (state && now - state.last > 2 * this.#backoff.max) state = undefined;
      const wait = state ? Math.min(this.#backoff.max, this.#backoff.first * 2 ** (state.streak - 1)) : 0;
      if (state && now < state.last + wait) {
        this.#defer(key, state.last + wait);
        continue;
      }
      this.#repairs.set(key, { streak: (state?.streak ?? 0) + 1, last: now });
      // The stored copy as plain JSON: rows written by older versions may hold undefined keys.
      due.push(JSON.parse(JSON.stringify(stored)) as AnyRecord);
    }
    if (!due.length) return;
    this.doc.transact(() => {
      for (const record of due) this.records.set(record.id, record);
    }, REPAIR);
    this.health = { ...this.health, repaired: this.health.repaired + due.length };
  }

  #defer(key: string, at: number): void {
    this.#deferred.add(key);
    if (this.#repairTimer && at >= this.#repairDue) return;
    if (this.#repairTimer) clearTimeout(this.#repairTimer);
    this.#repairDue = at;
    this.#repairTimer = setTimeout(() => this.#recheckDeferred(), Math.max(0, at - Date.now()) + 1);
  }

  #recheckDeferred(): void {
    this.#repairTimer = null;
    this.#repairDue = Infinity;
    if (this.#closed) return;
    // Keys still held back get a new timer from this check; everything due is repaired by it.
    const keys = [...this.#deferred];
    this.#jobs.enqueue(() => this.#ingest(keys)).catch((e) => console.error('repair check failed', e));
  }
}

const isThread = (r: AnyRecord): boolean => r.kind === 'thread' || (r.kind === 'sealed' && (r.body as { of?: string }).of === 'thread');

/** A first page's thread, or its starter's join or profile: what its first rows need. */
function leadsPage(r: AnyRecord, starters: ReadonlySet<string>): boolean {
  return isThread(r) || ((r.kind === 'join' || r.kind === 'profile') && starters.has(r.author));
}
