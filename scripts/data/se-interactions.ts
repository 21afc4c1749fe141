// The real community's interactions as the recommenders' input: members × threads from
// interactions.csv, each thread's text (title, tags, body), author and creation time from posts.csv.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { seDataDir } from './se-csv';
import type { Catalogue, Row } from '../../workers/recommend/evaluate';
import { TfIdf } from '../../workers/recommend/tfidf';

/** Interaction strengths: writing a question says more than a comment. EASE and item-kNN use 0/1. */
const KIND_WEIGHT: Record<string, number> = { asked: 3, answered: 2, commented: 1, accepted: 1 };

const utc = (s: string) => Date.parse(`${s}Z`);

export function loadSeInteractions(): { rows: Row[]; cat: Catalogue } {
  const dir = seDataDir();
  if (!dir) throw new Error('se-bicycles-meta CSVs not found: set HEARTH_SE_DATA');
  const read = (f: string) => parse(readFileSync(join(dir, f)), { columns: true, skip_empty_lines: true, relax_quotes: true }) as Record<string, string>[];
  const interactions = read('interactions.csv');
  const questions = read('posts.csv')
    .filter((p) => p.type === 'question')
    .sort((a, b) => Number(a.id) - Number(b.id));
  const itemOf = new Map(questions.map((q, i) => [q.id, i]));
  const memberIds = [...new Set(interactions.map((r) => r.user_id))].sort((a, b) => Number(a) - Number(b));
  const memberOf = new Map(memberIds.map((m, i) => [m, i]));
  const rows: Row[] = interactions.map((r) => {
    const item = itemOf.get(r.thread_id);
    if (item === undefined) throw new Error(`interaction on unknown thread ${r.thread_id}`);
    return { member: memberOf.get(r.user_id)!, item, ts: utc(r.timestamp), weight: KIND_WEIGHT[r.kind] ?? 1 };
  });
  const text = questions.map((q) => `${q.title}\n${(q.tags ?? '').split(';').join(' ')}\n${q.body}`);
  return {
    rows,
    cat: {
      members: memberIds.length,
      items: questions.length,
      meta: {
        created: Float64Array.from(questions, (q) => utc(q.creation_date)),
        author: Int32Array.from(questions, (q) => memberOf.get(q.owner_user_id) ?? -1)
      },
      index: new TfIdf(text)
    }
  };
}

