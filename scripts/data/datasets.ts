// The two benchmark communities as Hearth community files, cached under .bench/data/ and keyed by
// DATA_VERSION and the generator options, so only the first run pays for signing ~100k records.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { communityFileText } from '../../src/lib/domain/community-file';
import type { AnyRecord } from '../../src/lib/domain/record';
import { sealPlan, type CommunityPlan } from './community-plan';
import { generatedCommunityPlan, type GenerateOptions } from './generate';
import { loadSeData, SE_DATA_NAME } from './se-csv';
import { seCommunityPlan, seConversations } from './se-community';

/** Bump when the import or the generator changes what they produce. */
export const DATA_VERSION = 1;

/** The two communities as signed before shards: one document each (their genesis has no `shards`). */
export type BaseDatasetName = typeof SE_DATA_NAME | 'generated-10k';
/**
 * The same plans signed with `shards: 'month'` in the genesis, as the app makes new communities since
 * 2026-12-06 (docs/shards.md): a new genesis, so new ids for every record, and files cached under names
 * of their own. Every record but the genesis says the same thing and is signed by the same key.
 */
export type ShardedDatasetName = `${BaseDatasetName}-shards`;
export type DatasetName = BaseDatasetName | ShardedDatasetName;
export const DATASETS: BaseDatasetName[] = [SE_DATA_NAME, 'generated-10k'];
export const SHARDED_DATASETS: ShardedDatasetName[] = DATASETS.map((name) => shardedDataset(name));
export const ALL_DATASETS: DatasetName[] = [...DATASETS, ...SHARDED_DATASETS];

export function shardedDataset(name: BaseDatasetName): ShardedDatasetName {
  return `${name}-shards`;
}
export function isShardedDataset(name: DatasetName): name is ShardedDatasetName {
  return name.endsWith('-shards');
}
/** The single-document dataset a name was made from (itself for a single-document one). */
export function baseDataset(name: DatasetName): BaseDatasetName {
  return (isShardedDataset(name) ? name.slice(0, -'-shards'.length) : name) as BaseDatasetName;
}

export const GENERATED_10K: GenerateOptions = { members: 10_000, minRecords: 100_000, seed: 'hearth-bench-1' };

export interface DatasetMeta {
  name: DatasetName;
  version: number;
  cid: string;
  communityName: string;
  records: number;
  members: number;
  /** Members with at least one thread, reply or reaction. */
  activeMembers: number;
  threads: number;
  replies: number;
  reactions: number;
  bytes: number;
  sealMs: number;
}

export interface Dataset {
  meta: DatasetMeta;
  file: string;
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DATA_CACHE_DIR = join(repoRoot, '.bench', 'data');

function cacheKey(name: DatasetName): string {
  const o = GENERATED_10K;
  return baseDataset(name) === 'generated-10k' ? `${name}.v${DATA_VERSION}.${o.members}m-${o.minRecords}r-${o.seed}` : `${name}.v${DATA_VERSION}`;
}

function planFor(name: DatasetName): CommunityPlan {
  const data = loadSeData();
  const plan = baseDataset(name) === 'generated-10k' ? generatedCommunityPlan(seConversations(data), GENERATED_10K) : seCommunityPlan(data);
  return isShardedDataset(name) ? { ...plan, genesis: { ...plan.genesis, shards: 'month' } } : plan;
}

export function describeRecords(name: DatasetName, cid: string, records: AnyRecord[], extra: { bytes: number; sealMs: number }): DatasetMeta {
  const count = (kind: string) => records.filter((r) => r.kind === kind).length;
  const genesis = records.find((r) => r.kind === 'genesis');
  const active = new Set(records.filter((r) => r.kind === 'thread' || r.kind === 'reply' || r.kind === 'reaction').map((r) => r.author));
  return {
    name,
    version: DATA_VERSION,
    cid,
    communityName: genesis && genesis.kind === 'genesis' ? genesis.body.name : '',
    records: records.length,
    members: count('join') + 1,
    activeMembers: active.size,
    threads: count('thread'),
    replies: count('reply'),
    reactions: count('reaction'),
    ...extra
  };
}

/** The community file of a dataset, built and signed on first use. */
export async function ensureDataset(name: DatasetName, options: { force?: boolean; log?: (line: string) => void } = {}): Promise<Dataset> {
  const log = options.log ?? (() => {});
  const key = cacheKey(name);
  const file = join(DATA_CACHE_DIR, `${key}.hearth-community.json`);
  const metaFile = join(DATA_CACHE_DIR, `${key}.meta.json`);
  if (!options.force && existsSync(file) && existsSync(metaFile)) {
    return { meta: JSON.parse(readFileSync(metaFile, 'utf8')) as DatasetMeta, file };
  }
  log(`building ${name} (cache key ${key})`);
  const plan = planFor(name);
  log(`  plan: ${plan.members.length} members, ${plan.posts.length} posts and reactions; signing…`);
  const started = performance.now();
  const { cid, records } = await sealPlan(plan, (done, total) => log(`  signed ${done} / ${total}`));
  const sealMs = Math.round(performance.now() - started);
  const text = communityFileText(cid, records);
  mkdirSync(DATA_CACHE_DIR, { recursive: true });
  // Written under a temporary name first: an interrupted run never leaves a half file behind a valid key.
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
  const meta = describeRecords(name, cid, records, { bytes: Buffer.byteLength(text), sealMs });
  // Also through a temporary name: renaming replaces a link left dangling where the cache was shared
  // from a worktree since removed (writing through it failed after the data file had been replaced).
  writeFileSync(`${metaFile}.tmp`, JSON.stringify(meta, null, 2));
  renameSync(`${metaFile}.tmp`, metaFile);
  log(`  ${meta.records} records, ${(meta.bytes / 1e6).toFixed(1)} MB, signed in ${(sealMs / 1000).toFixed(1)} s -> ${file}`);
  return { meta, file };
}
