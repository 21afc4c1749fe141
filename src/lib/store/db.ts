// The device's IndexedDB (Dexie): local-only data (identity, settings, drafts, Yjs updates)
// and the projections the UI queries. Projections are derived and can be rebuilt from the docs.
import Dexie, { type Table, type Transaction } from 'dexie';
import type { AnyRecord, SignedRecord } from '../domain/record';
import type { MemberRow, PostRow, ThreadRow } from '../domain/posts';
import type { AnswerRow, QuestionRow } from '../domain/qa';
import type { PollRow } from '../domain/polls';
import type { ChallengeRow } from '../domain/challenges';
import { compactIds, packStoredIds, PACKED_FIELDS } from './compact-ids';
import { postBodies, POST_TABLES, slimStoredPosts } from './post-bodies';
import { PAGE_RECORDS, pageShardOf } from './record-store';
import { abortWhenPageFreezes } from './frozen-page';

export interface IdentityRow {
  key: 'me';
  publicKey: string;
  privateKeyPkcs8: string;
  name: string;
  createdAt: number;
}

export interface SettingRow {
  key: string;
  value: unknown;
}

export interface CommunityRow {
  cid: string;
  name: string;
  description: string;
  emoji: string;
  color: string;
  creator: string;
  createdAt: number;
  /** When this device joined or created it; orders the home list with lastOpened. */
  addedAt: number;
  lastOpened: number;
  /** Local only: the room secret (y-webrtc password), never part of a record. */
  secret?: string;
  signaling?: string[];
  relay?: string | null;
  /** From its genesis: 'month' when the community is held in shards (sync/sharded-community). */
  shards?: 'month';
}

export interface DocUpdateRow {
  seq?: number;
  cid: string;
  update: Uint8Array;
  /**
   * 1: a skeleton (sync/update-skeleton): entries holding binary content are placeholders for the
   * records of the `records` table under their keys. Rows without it (older versions) hold every value.
   */
  skeleton?: 1;
  /** The shard whose document this updates (docs/shards.md); absent for a community held as one document. */
  shard?: string;
}

/**
 * A record that passed the gate, with its target lifted out for indexing and `held` set while the
 * receiving-side quota holds it back (domain/quota). Neither field is part of the signed record.
 */
export type StoredRecord = AnyRecord & { target?: string; held?: 1; sealedAs?: SignedRecord<'sealed'> };

/** The epoch keys this device holds for a community (local only; see store/keyring). */
export interface KeyringRow {
  cid: string;
  keys: { epoch: string; scope: string; ts: number; raw: Uint8Array }[];
}

/** One encrypted chunk of an attachment (media/blob-crypto), named by the SHA-256 of its bytes. */
export interface ChunkRow {
  hash: string;
  cid: string;
  bytes: Uint8Array;
  /** 1 for chunks of this member's own attachments (kept past any storage budget). */
  own: 0 | 1;
  /** Last written or read, for eviction. */
  at: number;
}

export interface RejectedRow {
  /** `${cid}/${map key}` */
  key: string;
  cid: string;
  reason: string;
  at: number;
}

export interface DraftRow {
  key: string;
  title?: string;
  body: string;
  updatedAt: number;
}

/**
 * How far a community's document has passed the gate on this device: a Yjs snapshot (state
 * vector and delete set) taken when every change up to it had been checked and projected.
 */
/** A shard of a community held in shards (sync/sharded-community), held or evicted. */
export interface ShardCatalogueRow {
  cid: string;
  shard: string;
  state: 'held' | 'evicted';
  /** Records in it when last saved (held) or when evicted. */
  records: number;
  /** Its state vector's digest then (sync/shards/shard-wire `stateDigest`). */
  digest: string;
  /**
   * Saved as its document closed, with everything stored: the newest stored update's key then. The
   * shard is unchanged while that is still its newest (sync/sharded-community.ts opens it lazily);
   * absent, the row may be older than the shard's updates and the shard is opened to check.
   */
  seq?: number;
}

export interface IngestMarkRow {
  cid: string;
  snapshot: Uint8Array;
  /** Stored records by non-members at that point (for the health panel; counting reads every record). */
  unauthorised: number | null;
}

/** Up to `PAGE_RECORDS` content records of one community, kind and UTC month (store/record-store). */
export interface RecordPageRow {
  cid: string;
  kind: string;
  /** The month, `YYYY-MM` (domain/shards). */
  shard: string;
  seq: number;
  /** The community's stamp version at the page's last write (`[cid+v]`: the pages written since a version). */
  v: number;
  records: StoredRecord[];
}

/** Per community: bumped by every write of content records, with their counts (store/record-store). */
export interface RecordStampRow {
  cid: string;
  v: number;
  /** Content records stored, by kind. */
  counts: Record<string, number>;
  /** Content records the receiving quota holds back. */
  held: number;
}

/** Content records of one kind stored for a community (store/record-store): what a live count of a kind watches. */
export interface RecordCountRow {
  cid: string;
  kind: string;
  n: number;
}

export interface ProjectionMetaRow {
  cid: string;
  version: number;
}

export class HearthDb extends Dexie {
  identity!: Table<IdentityRow, string>;
  settings!: Table<SettingRow, string>;
  communities!: Table<CommunityRow, string>;
  docUpdates!: Table<DocUpdateRow, number>;
  records!: Table<StoredRecord, string>;
  recordPages!: Table<RecordPageRow, [string, string, string, number]>;
  recordStamps!: Table<RecordStampRow, string>;
  recordCounts!: Table<RecordCountRow, [string, string]>;
  threads!: Table<ThreadRow, string>;
  replies!: Table<PostRow, string>;
  members!: Table<MemberRow, [string, string]>;
  rejected!: Table<RejectedRow, string>;
  drafts!: Table<DraftRow, string>;
  projectionMeta!: Table<ProjectionMetaRow, string>;
  questions!: Table<QuestionRow, string>;
  answers!: Table<AnswerRow, string>;
  polls!: Table<PollRow, string>;
  challenges!: Table<ChallengeRow, string>;
  ingestMarks!: Table<IngestMarkRow, string>;
  shardCatalogue!: Table<ShardCatalogueRow, [string, string]>;
  keyrings!: Table<KeyringRow, string>;
  chunks!: Table<ChunkRow, string>;

  constructor(name = 'hearth') {
    super(name);
    // Versions 1–7 as one declaration: the schema a device has at version 7, whatever it started
    // from. Since Dexie 3 only versions with an upgrade need declaring (it diffs the schema the
    // database holds, not earlier declarations), and each `stores()` call merges and parses every
    // version declared before it: nine versions took 11–15 ms of the page's first task (Node, a
    // loaded machine; about as much in Chromium), three take a third of that.
    // What each version brought: 1 the core tables; 2 questions, answers, polls, challenges;
    // 3 ingestMarks (where each document's gate left off); 4 `held` and one member's records by
    // time (the quota reads an author's hour); 5 keyrings (epoch keys); 6 chunks (attachments).
    // 7: one copy on disk: an index a longer compound one already starts with is dropped (each entry
    // holds 43-character ids; at 100,000 records an index costs ~12 MB). `where('cid')` and
    // `where('[cid+author]')` are then served by Dexie's virtual indexes, from the first parts of
    // `[cid+kind]` / `[cid+rank]` / `[cid+key]` / `[cid+createdAt]` and `[cid+author+ts]`. So every
    // compound index that starts with `cid` must index every row of its table: the sparse ones
    // (`held`, `askTo`) put `cid` second, or `where('cid')` could read only their rows (db.test.ts).
    this.version(7).stores({
      identity: 'key',
      settings: 'key',
      communities: 'cid, lastOpened',
      docUpdates: '++seq, cid',
      records: 'id, [cid+kind], target, [held+cid], [cid+author+ts]',
      threads: 'id, [cid+rank]',
      replies: 'id, cid, [thread+createdAt]',
      members: '[cid+key]',
      rejected: 'key, cid',
      drafts: 'key',
      projectionMeta: 'cid',
      questions: 'id, [cid+rank], [askTo+cid]',
      answers: 'id, cid, question',
      polls: 'id, [cid+createdAt], thread',
      challenges: 'id, [cid+createdAt]',
      ingestMarks: 'cid',
      keyrings: 'cid',
      chunks: 'hash, cid, [cid+own], at'
    });
    // Record ids on disk as 33 bytes, not 43 UTF-16 characters (store/compact-ids): the same indexes,
    // the rows of older versions packed in place. Everything above the middleware sees string ids.
    this.version(8)
      .stores({})
      .upgrade((tx) => Promise.all(Object.entries(PACKED_FIELDS).map(([table, fields]) => packStoredIds(tx.idbtrans.objectStore(table), fields))));
    // Thread and reply rows without what their record holds (store/post-bodies): the rows of older
    // versions lose those fields in place; rows are read whole through the middleware either way.
    this.version(9)
      .stores({})
      .upgrade((tx) => Promise.all(POST_TABLES.map((table) => slimStoredPosts(tx.idbtrans.objectStore(table)))));
    // Content records packed by kind and month, core kinds staying rows (store/record-store): the
    // rows of older versions moved in place.
    this.version(10)
      .stores({ recordPages: '[cid+kind+shard+seq], [cid+v]', recordStamps: 'cid', recordCounts: '[cid+kind]' })
      .upgrade((tx) => packContentRows(tx));
    // A community held in shards stores each shard's document's updates under it (sync/sharded-community):
    // sparse, so `shard` comes first and `where('cid')` keeps its own index.
    // Its catalogue: the shards it holds and those it evicted (to fetch again on demand).
    this.version(11).stores({ docUpdates: '++seq, cid, [shard+cid]', shardCatalogue: '[cid+shard]' });
    this.use(compactIds);
    this.use(postBodies);
  }
}

let shared: HearthDb | null = null;

export function openDb(): HearthDb {
  if (!shared) abortWhenPageFreezes((shared = new HearthDb()));
  return shared;
}

/** True for the browser's "disk full" errors, however the storage layer wrapped them. */
export function isQuotaError(error: unknown): boolean {
  let e = error as { name?: string; inner?: unknown } | undefined;
  for (let depth = 0; e && depth < 4; depth++) {
    if (e.name === 'QuotaExceededError') return true;
    e = e.inner as typeof e;
  }
  return false;
}

/**
 * Moves the content records of older versions from `records` rows into pages (version 10): grouped
 * by community, kind and month, `PAGE_RECORDS` to a page, with each community's counts.
 */
async function packContentRows(tx: Transaction): Promise<void> {
  const records = tx.table<StoredRecord, string>('records');
  const groups = new Map<string, StoredRecord[]>();
  const moved: string[] = [];
  await records.each((r) => {
    const shard = pageShardOf(r);
    if (shard === null || !r.cid) return;
    const key = JSON.stringify([r.cid, r.kind, shard]);
    const group = groups.get(key);
    if (group) group.push(r);
    else groups.set(key, [r]);
    moved.push(r.id);
  });
  const pages: RecordPageRow[] = [];
  const stamps = new Map<string, RecordStampRow>();
  for (const [key, group] of groups) {
    const [cid, kind, shard] = JSON.parse(key) as [string, string, string];
    for (let i = 0; i < group.length; i += PAGE_RECORDS)
      pages.push({ cid, kind, shard, seq: i / PAGE_RECORDS, v: 1, records: group.slice(i, i + PAGE_RECORDS) });
    const stamp = stamps.get(cid) ?? { cid, v: 1, counts: {}, held: 0 };
    stamp.counts[kind] = (stamp.counts[kind] ?? 0) + group.length;
    stamp.held += group.filter((r) => r.held === 1).length;
    stamps.set(cid, stamp);
  }
  await tx.table('recordPages').bulkPut(pages);
  await tx.table('recordStamps').bulkPut([...stamps.values()]);
  await tx
    .table('recordCounts')
    .bulkPut([...stamps.values()].flatMap((stamp) => Object.entries(stamp.counts).map(([kind, n]) => ({ cid: stamp.cid, kind, n }))));
  await records.bulkDelete(moved);
}
