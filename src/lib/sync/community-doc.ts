// One community's shared state: a Yjs document holding a grow-only map of signed records,
// persisted on the device as Yjs updates in Dexie and projected through the gate into Dexie tables.
import * as Y from 'yjs';
import { checkRecord } from '../crypto/record-seal';
import type { AnyRecord } from '../domain/record';
import { isQuotaError, type HearthDb } from '../store/db';
import { affectsAuthority } from '../domain/authority';
import { applyRecords, authorityOf, countUnauthorised, projectionIsCurrent, rebuildProjection } from '../store/projection';
import { passGate } from './gate';

/** Past this many stored updates they are merged into one, so opening stays fast. */
const COMPACT_AFTER = 300;
const LOCAL = Symbol('local');
const STORAGE = Symbol('storage');
const REPAIR = Symbol('repair');
const MAX_REPAIRS_PER_KEY = 3;

export type AppendResult =
  | { ok: true; record: AnyRecord }
  | { ok: false; reason: 'storage.full' | 'storage.failed' | string; params?: Record<string, string | number> };

export interface DocHealth {
  records: number;
  /** Records kept out of view: failed the gate, or written by someone who was not a member. */
  rejected: number;
  /** Valid records that a peer deleted or overwrote and this device put back. */
  repaired: number;
  /** Stored updates that could not be decoded and were skipped. */
  unreadableUpdates: number;
}

export class CommunityDoc {
  readonly doc = new Y.Doc();
  readonly records: Y.Map<unknown>;
  health: DocHealth = { records: 0, rejected: 0, repaired: 0, unreadableUpdates: 0 };
  onHealth: (h: DocHealth) => void = () => {};

  #queue: Promise<void> = Promise.resolve();
  #persisted: Promise<unknown> = Promise.resolve();
  #storedUpdates = 0;
  #closed = false;
  #repairs = new Map<string, number>();
  #unauthorised: number | null = null;
  #gateRejects: number | null = null;
  /** Jobs queued or running; the ingest mark is saved only when the last one ends. */
  #pending = 0;
  #ingestFailed = false;
  #acceptedListeners = new Set<(records: AnyRecord[], doc: CommunityDoc) => void | Promise<void>>();

  constructor(
    readonly db: HearthDb,
    readonly cid: string
  ) {
    this.records = this.doc.getMap('records');
  }

  /**
   * Loads the stored document, checks what changed since the gate last left off (everything, the
   * first time) and starts persisting updates.
   */
  async open(): Promise<void> {
    const [rows, mark] = await Promise.all([
      this.db.docUpdates.where('cid').equals(this.cid).toArray(),
      this.db.ingestMarks.get(this.cid)
    ]);
    this.#storedUpdates = rows.length;
    for (const row of rows) {
      try {
        Y.applyUpdate(this.doc, row.update, STORAGE);
      } catch {
        // A corrupted update loses only itself; the rest of the community still opens.
        this.health.unreadableUpdates++;
      }
    }
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin !== STORAGE) this.#persist(update);
    });
    this.records.observe((event) => {
      const keys = [...event.keysChanged];
      this.#enqueue(() => this.#ingest(keys));
    });
    const changed = this.#changedSince(mark?.snapshot);
    await this.#enqueue(async () => {
      if (!(await projectionIsCurrent(this.db, this.cid))) await rebuildProjection(this.db, this.cid);
      else if (mark) this.#unauthorised = mark.unauthorised ?? null; // counted again only when it can change
      await this.#ingest(changed);
    });
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
    this.doc.destroy();
  }

  /** Waits until everything received so far is checked, projected and stored. */
  async settled(): Promise<void> {
    await this.#queue;
    await this.#persisted;
  }

  /**
   * Publishes one of this member's records. The projection write comes first: if the disk is full
   * nothing enters the shared document and the caller keeps its draft.
   */
  async append(record: AnyRecord): Promise<AppendResult> {
    const checked = await checkRecord(record, { cid: this.cid, key: record.id });
    if (!checked.ok) return { ok: false, reason: checked.reason };
    try {
      await this.#enqueue(async () => {
        await applyRecords(this.db, this.cid, [record]);
        this.#announce([record]);
      });
      this.doc.transact(() => this.records.set(record.id, record), LOCAL);
      await this.#persisted;
    } catch (error) {
      return { ok: false, reason: isQuotaError(error) ? 'storage.full' : 'storage.failed' };
    }
    return { ok: true, record };
  }

  /**
   * Subscribes to records newly accepted and projected (local writes and records from peers), for
   * derived local data such as the search index and the notification inbox. Returns unsubscribe.
   */
  onAccepted(listener: (records: AnyRecord[], doc: CommunityDoc) => void | Promise<void>): () => void {
    this.#acceptedListeners.add(listener);
    return () => this.#acceptedListeners.delete(listener);
  }

  #announce(records: AnyRecord[]): void {
    if (!records.length) return;
    for (const listener of this.#acceptedListeners) {
      Promise.resolve(listener(records, this)).catch((e) => console.error('accepted-record listener failed', e));
    }
  }

  #enqueue<T>(job: () => Promise<T>): Promise<T> {
    this.#pending++;
    const run = this.#queue.then(job).finally(() => this.#pending--);
    this.#queue = run.then(
      () => undefined,
      () => undefined
    );
    return run;
  }

  /**
   * Records how far the gate has got. Called with the queue otherwise empty: every change applied
   * to the document so far was observed (observers run inside the update's transaction) and its
   * keys checked, so the whole current state is covered. Only a stored state is marked, so an
   * update that is lost and arrives again is checked again. After a failed ingest the mark stays
   * where it was for the rest of the session, so the next open checks those keys again.
   */
  async #saveMark(): Promise<void> {
    try {
      await this.#persisted;
    } catch {
      return; // the last update is not stored: leave the mark where it is
    }
    if (this.#ingestFailed || this.#closed || this.#pending !== 1) return;
    const snapshot = Y.encodeSnapshot(Y.snapshot(this.doc));
    // A mark that cannot be written only means more checking at the next open.
    await this.db.ingestMarks
      .put({ cid: this.cid, snapshot, unauthorised: this.#unauthorised })
      .catch((error) => console.warn('ingest mark not saved', error));
  }

  #persist(update: Uint8Array): void {
    const cid = this.cid;
    this.#persisted = this.#persisted
      .catch(() => undefined)
      .then(async () => {
        await this.db.docUpdates.add({ cid, update });
        if (++this.#storedUpdates > COMPACT_AFTER && !this.#closed) await this.#compact();
      });
  }

  async #compact(): Promise<void> {
    const state = Y.encodeStateAsUpdate(this.doc);
    await this.db.transaction('rw', this.db.docUpdates, async () => {
      await this.db.docUpdates.where('cid').equals(this.cid).delete();
      await this.db.docUpdates.add({ cid: this.cid, update: state });
    });
    this.#storedUpdates = 1;
  }

  async #ingest(keys: string[]): Promise<void> {
    try {
      await this.#check(keys);
    } catch (error) {
      this.#ingestFailed = true;
      throw error;
    }
    if (this.#pending === 1) await this.#saveMark();
  }

  /** Passes the values under `keys` through the gate, repairs, projects and announces them. */
  async #check(keys: string[]): Promise<void> {
    const entries: [string, unknown][] = [];
    const removed: string[] = [];
    for (const key of keys) {
      if (this.records.has(key)) entries.push([key, this.records.get(key)]);
      else removed.push(key);
    }
    const outcome = await passGate(this.db, this.cid, entries);
    // Repair: records are never removed or replaced (edits and deletions are new records), so a
    // valid record that a peer deleted or overwrote is put back from this device's copy.
    // A key repaired again and again means a peer keeps fighting it: stop feeding the exchange.
    const broken = [...removed, ...outcome.rejected.map((r) => r.key)].filter((k) => {
      const n = (this.#repairs.get(k) ?? 0) + 1;
      this.#repairs.set(k, n);
      return n <= MAX_REPAIRS_PER_KEY;
    });
    if (broken.length) {
      const originals = (await this.db.records.bulkGet(broken)).filter((r) => r !== undefined);
      if (originals.length && !this.#closed) {
        this.doc.transact(() => {
          for (const { target: _t, ...record } of originals) this.records.set(record.id, record);
        }, REPAIR);
        this.health.repaired += originals.length;
      }
    }
    if (outcome.rejected.length) {
      await this.db.rejected.bulkPut(
        outcome.rejected.map((r) => ({ key: `${this.cid}/${r.key}`, cid: this.cid, reason: r.reason, at: Date.now() }))
      );
    }
    await applyRecords(this.db, this.cid, outcome.accepted);
    this.#announce(outcome.accepted);
    const auth = await authorityOf(this.db, this.cid);
    if (
      this.#unauthorised === null ||
      (auth && outcome.accepted.some((r) => !auth.accepts(r) || affectsAuthority(r, auth.invites)))
    ) {
      this.#unauthorised = await countUnauthorised(this.db, this.cid);
    }
    if (this.#gateRejects === null || outcome.rejected.length) {
      this.#gateRejects = await this.db.rejected.where('cid').equals(this.cid).count();
    }
    this.health = {
      records: this.records.size,
      rejected: this.#gateRejects + this.#unauthorised,
      repaired: this.health.repaired,
      unreadableUpdates: this.health.unreadableUpdates
    };
    this.onHealth(this.health);
  }
}
