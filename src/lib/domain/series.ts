// Series (专栏) from their signed records: the newest revision of each by the creator or an admin,
// parts in order, with a member's reading position (kept on the device) and the links between parts.
import type { Authority } from './authority';
import { compareRecords, type AnyRecord, type SignedRecord } from './record';

export interface Series {
  id: string;
  title: string;
  description: string;
  cover: string | null;
  tier: string | null;
  /** Points level its parts are for (null: everyone); the index stays readable to every member. */
  level: number | null;
  /** Thread ids in reading order, as the newest revision lists them. */
  parts: string[];
  author: string;
  createdAt: number;
  updatedAt: number;
}

/** Every series, newest first; revisions by anyone but the creator or an admin are ignored. */
export function projectSeries(records: readonly AnyRecord[], auth: Authority): Series[] {
  const byId = new Map<string, Series>();
  const all = records.filter((r): r is SignedRecord<'series'> => r.kind === 'series').sort(compareRecords);
  for (const r of all) {
    const role = auth.roleAt(r.author, r.ts);
    if ((role !== 'creator' && role !== 'admin') || !auth.accepts(r)) continue;
    const id = r.body.of ?? r.id;
    const before = byId.get(id);
    // A revision of a series nobody made is ignored; so is a second "new" record reusing an id.
    if (r.body.of && !before) continue;
    byId.set(id, {
      id,
      title: r.body.title,
      description: r.body.description,
      cover: r.body.cover ?? null,
      tier: r.body.tier ?? null,
      level: r.body.level ?? null,
      parts: [...new Set(r.body.parts)],
      author: before?.author ?? r.author,
      createdAt: before?.createdAt ?? r.ts,
      updatedAt: r.ts
    });
  }
  return [...byId.values()].sort((a, b) => b.updatedAt - a.updatedAt);
}

export interface SeriesPosition {
  /** Parts whose threads exist on this device (deleted, hidden or not yet due ones are left out). */
  parts: string[];
  read: number;
  /** The first part not read yet (null when all are). */
  next: string | null;
}

/** Where a member stands in a series: `shown` says which threads exist for them, `read` what they opened. */
export function seriesPosition(series: Series, shown: (id: string) => boolean, read: ReadonlySet<string>): SeriesPosition {
  const parts = series.parts.filter(shown);
  return { parts, read: parts.filter((p) => read.has(p)).length, next: parts.find((p) => !read.has(p)) ?? null };
}

/** The series a thread is a part of, with the parts before and after it. */
export function seriesOf(
  thread: string,
  all: readonly Series[],
  shown: (id: string) => boolean
): { series: Series; index: number; count: number; prev: string | null; next: string | null }[] {
  const out = [];
  for (const series of all) {
    const parts = series.parts.filter(shown);
    const index = parts.indexOf(thread);
    if (index < 0) continue;
    out.push({ series, index, count: parts.length, prev: parts[index - 1] ?? null, next: parts[index + 1] ?? null });
  }
  return out;
}
