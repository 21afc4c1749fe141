// Reads the Bicycles Meta Stack Exchange dump (shared/data/se-bicycles-meta/*.csv) into typed rows.
// Dates in the dump are UTC without a zone suffix; votes carry a day only.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';

export const SE_DATA_NAME = 'se-bicycles-meta';
export const SE_ATTRIBUTION = 'Bicycles Meta Stack Exchange contributors, Stack Exchange data dump';
export const SE_LICENCE = 'CC BY-SA 4.0';

export interface SeUser {
  id: string;
  name: string;
  created: number;
}

export interface SePost {
  id: string;
  type: 'question' | 'answer' | 'other';
  /** The question an answer belongs to. */
  parentId: string | null;
  /** null when the author's account was deleted. */
  owner: string | null;
  created: number;
  tags: string[];
  title: string;
  body: string;
}

export interface SeComment {
  id: string;
  postId: string;
  user: string | null;
  created: number;
  text: string;
}

export interface SeVote {
  postId: string;
  kind: string;
  /** Midnight UTC of the vote's day: the dump keeps no time of day. */
  day: number;
  /** Absent for upvotes and downvotes in every public dump. */
  user: string | null;
}

export interface SeData {
  users: SeUser[];
  posts: SePost[];
  comments: SeComment[];
  votes: SeVote[];
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the CSVs are: $HEARTH_SE_DATA, then shared/ beside the repository (as CI lays it), then /work/shared. */
export function seDataDir(): string | null {
  const candidates = [process.env.HEARTH_SE_DATA, resolve(repoRoot, '..', 'shared', 'data', SE_DATA_NAME), join('/work/shared/data', SE_DATA_NAME)].filter(
    (p): p is string => !!p
  );
  return candidates.find((p) => existsSync(join(p, 'posts.csv'))) ?? null;
}

function rows(dir: string, file: string): Record<string, string>[] {
  return parse(readFileSync(join(dir, file)), { columns: true, skip_empty_lines: true, relax_quotes: true });
}

function utc(text: string): number {
  const ms = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : `${text}Z`);
  if (Number.isNaN(ms)) throw new Error(`bad date in the dump: ${text}`);
  return ms;
}

const orNull = (s: string | undefined) => (s && s.trim() ? s.trim() : null);

export function loadSeData(dir = seDataDir()): SeData {
  if (!dir) throw new Error(`The ${SE_DATA_NAME} CSVs were not found: set HEARTH_SE_DATA to their folder.`);
  const users = rows(dir, 'users.csv').map((r) => ({ id: r.id, name: r.display_name, created: utc(r.creation_date) }));
  const posts = rows(dir, 'posts.csv').map(
    (r): SePost => ({
      id: r.id,
      type: r.type === 'question' || r.type === 'answer' ? r.type : 'other',
      parentId: orNull(r.parent_id),
      owner: orNull(r.owner_user_id),
      created: utc(r.creation_date),
      tags: r.tags ? r.tags.split(';').filter(Boolean) : [],
      title: r.title ?? '',
      body: r.body ?? ''
    })
  );
  const comments = rows(dir, 'comments.csv').map((r) => ({
    id: r.id,
    postId: r.post_id,
    user: orNull(r.user_id),
    created: utc(r.creation_date),
    text: r.text ?? ''
  }));
  const votes = rows(dir, 'votes.csv').map((r) => ({ postId: r.post_id, kind: r.kind, day: utc(r.creation_date), user: orNull(r.user_id) }));
  return { users, posts, comments, votes };
}
