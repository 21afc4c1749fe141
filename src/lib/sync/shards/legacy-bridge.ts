// The transition after a community moved into shards: a device that split its single document keeps
// taking that document's updates, from a peer still on it (whose whole document reaches the core's
// document over the mesh) or from the relay's old room, and carries what they add into the shards as
// the same items (splitLegacy since what was split before). For `TRANSITION_MS` after the decision
// (then the single document's rows leave the device); after that a device still on the single document of this version splits itself when it sees the
// decision (its own writes go with its split), and an older version's later writes reach no device
// held in shards. docs/shards.md, "Migrating single-document communities".
import * as Y from 'yjs';
import { CORE_SHARD, shardOfEntry, type ShardId } from '../../domain/shards';
import type { HearthDb } from '../../store/db';
import type { RelayOptions } from '../doc-handle';
import { watchPeerUpdates } from '../gated-sync-protocol';
import { filterUpdate } from '../update-filter';
import { splitLegacy } from './legacy-split';
import { filterShardUpdate } from './shard-gate';
import { splitKey, storedShardDecision } from './legacy-migration';

/** How long after the decision a device held in shards still takes the single document's updates. */
export const TRANSITION_MS = 30 * 24 * 3_600_000;

/** Where the bridge puts what it carries: a shard's document, opened (and made held) for the call. */
export interface ShardTarget {
  use<T>(shard: ShardId, fn: (doc: Y.Doc) => T | Promise<T>, create?: boolean): Promise<T | null>;
}

/** Origins of the bridge's own applications: stored rows, and the items it carries into shards. */
const STORED = Symbol('stored');
export const CARRIED = Object.freeze({ origin: 'legacy' });

export class LegacyBridge {
  /** The single document as stored (its records as the placeholders stored for them: only its structure is read). */
  readonly doc = new Y.Doc();
  /** What the shards hold of the single document: everything it held at the split, then what was carried. */
  #carried: Uint8Array;
  #chain: Promise<void> = Promise.resolve();
  #closed = false;
  /** Updates carried into shards (tests, health). */
  carried = 0;

  private constructor(
    readonly db: HearthDb,
    readonly cid: string,
    readonly into: ShardTarget,
    splitAt: Uint8Array
  ) {
    this.#carried = splitAt;
    this.doc.getMap('records');
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === STORED || this.#closed) return;
      // Kept with the single document's rows: a bridge opened again starts from everything it took.
      this.#chain = this.#chain
        .then(() => this.db.docUpdates.add({ cid: this.cid, update }))
        .then(() => this.#carry())
        .catch((error) => console.warn('single document’s update not carried into shards', error));
    });
  }

  /**
   * The bridge of a community split on this device, within the transition (`now` before the
   * decision's time plus `TRANSITION_MS`); null otherwise. Starts by carrying what the single document
   * took between its split and its close (a peer's update in that moment).
   */
  static async open(db: HearthDb, cid: string, into: ShardTarget, now = Date.now()): Promise<LegacyBridge | null> {
    const [split, decision] = await Promise.all([db.settings.get(splitKey(cid)), storedShardDecision(db, cid)]);
    if (!(split?.value instanceof Uint8Array) || !decision) return null;
    if (now > decision.ts + TRANSITION_MS) {
      // Over: the single document's rows leave the device (its records are in the shards and the table).
      await db.transaction('rw', [db.docUpdates, db.settings], async () => {
        await legacyRows(db, cid).delete();
        await db.settings.delete(splitKey(cid));
      });
      return null;
    }
    const bridge = new LegacyBridge(db, cid, into, split.value);
    const rows = await legacyRows(db, cid).toArray();
    bridge.doc.transact(() => {
      for (const row of rows) {
        try {
          Y.applyUpdate(bridge.doc, row.update, STORED);
        } catch (error) {
          console.warn('stored update of the single document unreadable', error);
        }
      }
    }, STORED);
    await bridge.#carry();
    return bridge;
  }

  /**
   * A peer's update of the core's document: taken (its records entries only, like any peer's) when it
   * holds a content record, i.e. it comes from a device still on the single document. A device held in
   * shards sends its core only: neither stored nor carried twice.
   */
  receive(update: Uint8Array): void {
    if (this.#closed) return;
    let content = false;
    const keepEntry = (kind: string | null, ts: number | null) => {
      const shard = shardOfEntry(kind, ts);
      if (shard !== null && shard !== CORE_SHARD) content = true;
      return true;
    };
    const filtered = filterUpdate(update, { root: 'records', doc: this.doc, maxStructs: Infinity, maxBytes: Infinity, keepEntry });
    if (!filtered.ok || !content) return;
    for (const piece of filtered.value.pieces) Y.applyUpdate(this.doc, piece, 'peer');
  }

  /** Settles once everything received so far is stored and carried. */
  async settled(): Promise<void> {
    let chain: Promise<void>;
    do {
      chain = this.#chain;
      await chain;
    } while (chain !== this.#chain);
  }

  /**
   * Reads the relay's old room (the single document's, `room` without a suffix) into the bridge: a
   * device still on the single document that meets only the relay writes there. Read only (no proof):
   * the bridge holds stored records as placeholders, which must never reach a peer or the relay.
   */
  async startRelay(options: Pick<RelayOptions, 'addresses' | 'room'>): Promise<{ connect(): void; disconnect(): void; destroy(): void }> {
    const [{ RelayLink }, { guardedWebSocket }] = await Promise.all([import('../relay-client'), import('../relay-socket')]);
    const link = new RelayLink({
      addresses: options.addresses,
      room: options.room,
      doc: this.doc,
      identity: () => null,
      WebSocketPolyfill: guardedWebSocket(this.doc)
    });
    return { connect: () => link.connect(), disconnect: () => link.disconnect(), destroy: () => link.destroy() };
  }

  close(): void {
    this.#closed = true;
    this.doc.destroy();
  }

  /**
   * Cuts what the single document gained since it was last carried into its shards and applies each
   * shard's part to that shard's document through the shard rule, as the device's own update (the
   * shard's record gate checks the records as any peer's).
   */
  async #carry(): Promise<void> {
    if (this.#closed) return;
    const since = this.#carried;
    const now = Y.encodeStateVector(this.doc);
    if (equal(since, now)) return;
    const parts = splitLegacy(this.doc, since);
    for (const [shard, update] of parts) {
      const cut = filterShardUpdate(update, shard);
      if (!cut.ok) continue;
      await this.into.use(shard, (doc) => cut.value.pieces.forEach((piece) => Y.applyUpdate(doc, piece, CARRIED)), true);
      this.carried++;
    }
    this.#carried = now;
    await this.db.settings.put({ key: splitKey(this.cid), value: now });
  }
}

/**
 * Opens the bridge of a community held in shards that was split on this device, within the
 * transition, and passes it every peer update of the core's document (a device still on the single
 * document sends its whole document there). Null when there is none.
 */
export async function openBridge(db: HearthDb, cid: string, into: ShardTarget & { readonly core: { readonly doc: Y.Doc } }): Promise<LegacyBridge | null> {
  const bridge = await LegacyBridge.open(db, cid, into);
  if (!bridge) return null;
  const unwatch = watchPeerUpdates(into.core.doc, (update) => bridge.receive(update));
  bridge.doc.on('destroy', unwatch);
  return bridge;
}

/** The single document's stored rows (those under no shard). */
function legacyRows(db: HearthDb, cid: string) {
  return db.docUpdates
    .where('cid')
    .equals(cid)
    .filter((row) => row.shard === undefined);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
