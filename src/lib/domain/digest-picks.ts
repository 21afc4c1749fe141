// Which threads the weekly digest lists: the week's most replied-to, with featured threads (精华)
// weighing as if they had FEATURED_DIGEST_BONUS more replies, and a thread featured this week
// eligible even when nobody replied to it. Digest threads themselves are never listed.
import type { ThreadRow } from './posts';

export const FEATURED_DIGEST_BONUS = 5;

type Candidate = Pick<ThreadRow, 'id' | 'title' | 'replyCount' | 'lastActivity' | 'featured' | 'autoKey'>;

export function digestTopThreads(threads: readonly Candidate[], since: number, limit = 5): { id: string; title: string; replies: number }[] {
  const weight = (t: Candidate) => t.replyCount + (t.featured ? FEATURED_DIGEST_BONUS : 0);
  return threads
    .filter((t) => !t.autoKey?.startsWith('digest:') && (t.lastActivity >= since || (t.featured && t.featured.at >= since)))
    .sort((a, b) => weight(b) - weight(a) || b.lastActivity - a.lastActivity || (a.id < b.id ? -1 : 1))
    .slice(0, limit)
    .map((t) => ({ id: t.id, title: t.title ?? '', replies: t.replyCount }));
}
