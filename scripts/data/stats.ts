// Side-by-side distributions of the real and the generated community, read back from their
// community files: the figures quoted in docs/data-generator.md.
// Usage: npx tsx scripts/data/stats.ts
import { readFileSync } from 'node:fs';
import { parseCommunityFile } from '../../src/lib/domain/community-file';
import type { AnyRecord } from '../../src/lib/domain/record';
import { DATASETS, ensureDataset } from './datasets';

const HOUR = 3_600_000;

function quantiles(values: number[], qs = [0.5, 0.9, 0.99]): string {
  if (!values.length) return '–';
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1));
  return `mean ${fmt(mean)}, ${qs.map((q) => `p${q * 100} ${fmt(at(q))}`).join(', ')}, max ${fmt(sorted[sorted.length - 1])}`;
}

function describe(records: AnyRecord[]) {
  const byId = new Map(records.map((r) => [r.id, r]));
  const posts = records.filter((r) => r.kind === 'thread' || r.kind === 'reply');
  const perMember = new Map<string, number>();
  for (const p of posts) perMember.set(p.author, (perMember.get(p.author) ?? 0) + 1);
  const threadSize = new Map<string, number>();
  const delays: number[] = [];
  let selfReplies = 0;
  let replies = 0;
  const pairs = new Set<string>();
  for (const r of records) {
    if (r.kind === 'thread') threadSize.set(r.id, threadSize.get(r.id) ?? 0);
    if (r.kind !== 'reply') continue;
    replies++;
    threadSize.set(r.body.thread, (threadSize.get(r.body.thread) ?? 0) + 1);
    const parent = byId.get(r.body.parent);
    if (!parent) continue;
    if (parent.author === r.author) selfReplies++;
    else pairs.add(`${r.author}>${parent.author}`);
    delays.push((r.ts - parent.ts) / HOUR);
  }
  const reactions = records.filter((r) => r.kind === 'reaction').length;
  const years = posts.map((p) => new Date(p.ts).getUTCFullYear());
  const perYear = new Map<number, number>();
  for (const y of years) perYear.set(y, (perYear.get(y) ?? 0) + 1);
  return {
    members: records.filter((r) => r.kind === 'join').length + 1,
    writers: perMember.size,
    posts: posts.length,
    reactions,
    'posts per writer': quantiles([...perMember.values()]),
    'replies per thread': quantiles([...threadSize.values()]),
    'reply delay after parent (hours)': quantiles(delays),
    'replies to own post': `${((100 * selfReplies) / Math.max(1, replies)).toFixed(1)} %`,
    'distinct who→whom pairs per writer': (pairs.size / Math.max(1, perMember.size)).toFixed(2),
    'posts by year (share %)': [...perYear]
      .sort((a, b) => a[0] - b[0])
      .map(([y, n]) => `${y}:${((100 * n) / posts.length).toFixed(0)}`)
      .join(' ')
  };
}

for (const name of DATASETS) {
  const { file } = await ensureDataset(name, { log: (l) => console.error(l) });
  const parsed = parseCommunityFile(readFileSync(file, 'utf8'));
  if (!parsed.ok) throw new Error(`${file}: ${parsed.reason}`);
  console.log(`## ${name}`);
  for (const [k, v] of Object.entries(describe(parsed.value.records))) console.log(`- ${k}: ${v}`);
}
