// A community in the shared data layout (posts.csv, comments.csv) as the analysis worker's snapshot,
// for tests of the app's recommendations on real data: questions are threads, answers reply to
// their question, comments reply to the post they comment on. Node only (reads files).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { CommunitySnapshot } from '../community/snapshot';

const utc = (s: string) => Date.parse(`${s}Z`);

/** The folder of a shared community (`se-beer`, …): ../shared/data beside the repository, then /work/shared/data. */
export function sharedDataDir(name: string): string | null {
  const here = new URL('.', import.meta.url).pathname;
  return [join(here, '..', '..', '..', 'shared', 'data', name), join('/work/shared/data', name)].find((d) => existsSync(join(d, 'posts.csv'))) ?? null;
}

/** Everything written before `until` (default: all), as the member `me` would have it on their device. */
export function seSnapshot(dir: string, me: string, until = Infinity): CommunitySnapshot {
  const read = (f: string) => parse(readFileSync(join(dir, f)), { columns: true, skip_empty_lines: true, relax_quotes: true }) as Record<string, string>[];
  const posts = read('posts.csv');
  const byId = new Map(posts.map((p) => [p.id, p]));
  const threadOf = (p: Record<string, string>) => (p.type === 'question' ? p.id : p.parent_id);
  const threads = posts
    .filter((p) => p.type === 'question' && p.owner_user_id && utc(p.creation_date) < until)
    .map((p) => ({
      id: p.id,
      author: p.owner_user_id,
      createdAt: utc(p.creation_date),
      title: p.title,
      body: `${p.body}\n${(p.tags ?? '').split(';').join(' ')}`
    }));
  const ids = new Set(threads.map((t) => t.id));
  const replies: CommunitySnapshot['replies'] = [];
  for (const p of posts)
    if (p.type === 'answer' && p.owner_user_id && ids.has(p.parent_id) && utc(p.creation_date) < until)
      replies.push({
        id: `p${p.id}`,
        thread: p.parent_id,
        parentAuthor: byId.get(p.parent_id)?.owner_user_id || null,
        author: p.owner_user_id,
        createdAt: utc(p.creation_date)
      });
  for (const c of read('comments.csv')) {
    const post = byId.get(c.post_id);
    if (!post || !c.user_id || !ids.has(threadOf(post)) || utc(c.creation_date) >= until) continue;
    replies.push({ id: `c${c.id}`, thread: threadOf(post), parentAuthor: post.owner_user_id || null, author: c.user_id, createdAt: utc(c.creation_date) });
  }
  const keys = new Set([...threads.map((t) => t.author), ...replies.map((r) => r.author)]);
  const members = [...keys].map((key) => ({ key, name: key, role: 'member' as const, joinedAt: 0, invitedBy: null, invite: null, banned: false }));
  return { cid: dir, me, members, threads, replies, reactions: [], invites: [], views: [] };
}
