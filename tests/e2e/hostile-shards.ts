// The shards a hostile Node peer holds of a community held in shards (docs/shards.md): one plain Yjs
// document per shard, all in memory and always open, with no gate at all (this peer writes whatever
// it likes), spoken over the shard sync beside y-webrtc like an honest device's. Its core is the
// document y-webrtc syncs, so what it writes there reaches the honest core as before; a record of a
// month goes into that month's document, which crosses only through the shard sync.
import * as Y from 'yjs';
import { CORE_SHARD, isShardId, type ShardId } from '../../src/lib/domain/shards';
import type { CatalogueListener, ShardDocs, UpdateListener } from '../../src/lib/sync/shards/shard-set';
import { EMPTY_DIGEST, EMPTY_STATE_VECTOR } from '../../src/lib/sync/shards/shard-set';
import { stateDigest, type CatalogueEntry } from '../../src/lib/sync/shards/shard-wire';

export class MemoryShardDocs implements ShardDocs {
  readonly #docs = new Map<ShardId, Y.Doc>();
  /** Shards announced to peers (those that hold a record). */
  readonly #announced = new Set<ShardId>();
  readonly #updates = new Set<UpdateListener>();
  readonly #catalogues = new Set<CatalogueListener>();
  readonly #added = new Set<(shard: ShardId, doc: Y.Doc) => void>();

  constructor(core: Y.Doc) {
    this.#add(CORE_SHARD, core);
  }

  /** Told of each document made from now on (a month fetched from a peer or written to). */
  onDoc(listener: (shard: ShardId, doc: Y.Doc) => void): () => void {
    this.#added.add(listener);
    return () => this.#added.delete(listener);
  }

  /** Every document held, the core first. */
  docs(): [ShardId, Y.Doc][] {
    return [...this.#docs.entries()];
  }

  /** The shard's document, made when `create` and not held yet. */
  doc(shard: ShardId, create = false): Y.Doc | null {
    const held = this.#docs.get(shard);
    if (held || !create) return held ?? null;
    if (!isShardId(shard)) throw new RangeError(`not a shard id: ${shard}`);
    return this.#add(shard, new Y.Doc());
  }

  isHeld(shard: ShardId): boolean {
    return this.#docs.has(shard);
  }

  isEvicted(): boolean {
    return false;
  }

  catalogue(): CatalogueEntry[] {
    return [...this.#announced].map((id) => this.#entry(id));
  }

  digest(shard: ShardId): string {
    const doc = this.#docs.get(shard);
    return doc ? stateDigest(Y.encodeStateVector(doc)) : EMPTY_DIGEST;
  }

  async stateVector(shard: ShardId): Promise<Uint8Array> {
    const doc = this.#docs.get(shard);
    return doc ? Y.encodeStateVector(doc) : EMPTY_STATE_VECTOR;
  }

  async use<T>(shard: ShardId, fn: (doc: Y.Doc) => T | Promise<T>, create = false): Promise<T | null> {
    const doc = this.doc(shard, create);
    return doc ? fn(doc) : null;
  }

  async acquire(shard: ShardId, create = false): Promise<Y.Doc | null> {
    return this.doc(shard, create);
  }

  release(): void {}

  async discardEmpty(shard: ShardId): Promise<boolean> {
    const doc = this.#docs.get(shard);
    if (!doc || shard === CORE_SHARD || this.#announced.has(shard)) return false;
    this.#docs.delete(shard);
    doc.destroy();
    return true;
  }

  onUpdate(listener: UpdateListener): () => void {
    this.#updates.add(listener);
    return () => this.#updates.delete(listener);
  }

  onCatalogue(listener: CatalogueListener): () => void {
    this.#catalogues.add(listener);
    return () => this.#catalogues.delete(listener);
  }

  destroy(): void {
    for (const [shard, doc] of this.#docs) if (shard !== CORE_SHARD) doc.destroy();
    this.#docs.clear();
  }

  #entry(id: ShardId): CatalogueEntry {
    return { id, records: this.#docs.get(id)?.getMap('records').size ?? 0, digest: this.digest(id), held: true };
  }

  #add(shard: ShardId, doc: Y.Doc): Y.Doc {
    this.#docs.set(shard, doc);
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (!this.#announced.has(shard) && doc.getMap('records').size > 0) {
        this.#announced.add(shard);
        const entry = this.#entry(shard);
        for (const listener of this.#catalogues) listener(entry);
      }
      for (const listener of this.#updates) listener(shard, update, origin);
    });
    for (const listener of this.#added) listener(shard, doc);
    return doc;
  }
}
