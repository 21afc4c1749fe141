// The search index's own IndexedDB database (never synced, never part of the projections): one
// compressed index snapshot per community, and a journal of documents to look at again, written
// as records are accepted and read by the index when it next loads or catches up.
import Dexie, { type Table } from 'dexie';

export interface SnapshotRow {
  cid: string;
  /** SEARCH_INDEX_VERSION and PROJECTION_VERSION it was built with: either changing rebuilds it. */
  version: number;
  projectionVersion: number;
  /** The last journal row already contained in this snapshot. */
  upToSeq: number;
  /** How many records of the community the snapshot (with its journal) accounts for. */
  records: number;
  docs: number;
  /** gzip-compressed MiniSearch JSON. */
  bytes: Uint8Array;
  savedAt: number;
}

export interface DirtyRow {
  seq?: number;
  cid: string;
  /** Documents to read again from the projections. */
  ids: string[];
  /** Compare the whole index with the projections (role or invite changes, huge batches). */
  reconcile: boolean;
  /** Records in the batch, for the count check that notices batches nobody journaled. */
  records: number;
}

export class SearchDb extends Dexie {
  snapshots!: Table<SnapshotRow, string>;
  dirty!: Table<DirtyRow, number>;

  constructor(name = 'hearth-search') {
    super(name);
    this.version(1).stores({ snapshots: 'cid', dirty: '++seq, cid' });
  }
}

let shared: SearchDb | null = null;

export function openSearchDb(): SearchDb {
  return (shared ??= new SearchDb());
}
