// Reactions on a post: which records count (projection) and which emoji a post shows (UI). Both are
// bounded, because one member with a modified client can sign thousands of reactions on a post.
import { compareRecords, type SignedRecord } from './record';

/** Distinct emoji a member may have on one post; their first ones by (ts, id) count. */
export const MAX_EMOJI_PER_MEMBER = 5;
/** Distinct emoji a post shows; the rest are summed up as "+N more". */
export const MAX_SHOWN_EMOJI = 12;

/**
 * The counted reactions of a post: emoji -> members, members sorted, emoji in display order (most
 * members first, ties by the earliest counted record). `records` are reactions by members, already
 * authorised. Per (member, emoji) the latest record decides on or off; of a member's emoji that are
 * on, the first MAX_EMOJI_PER_MEMBER by their deciding record's (ts, id) count, so a member's own
 * later reactions cannot push anyone else's off the post. Order of `records` does not matter.
 */
export function countReactions(records: readonly SignedRecord<'reaction'>[]): Record<string, string[]> {
  const latest = new Map<string, SignedRecord<'reaction'>>();
  for (const r of [...records].sort(compareRecords)) latest.set(JSON.stringify([r.author, r.body.emoji]), r);
  const onByMember = new Map<string, SignedRecord<'reaction'>[]>();
  for (const r of latest.values()) {
    if (!r.body.on) continue;
    let list = onByMember.get(r.author);
    if (!list) onByMember.set(r.author, (list = []));
    list.push(r);
  }
  const byEmoji = new Map<string, { members: string[]; first: SignedRecord<'reaction'> }>();
  for (const list of onByMember.values()) {
    for (const r of list.sort(compareRecords).slice(0, MAX_EMOJI_PER_MEMBER)) {
      const entry = byEmoji.get(r.body.emoji);
      if (!entry) byEmoji.set(r.body.emoji, { members: [r.author], first: r });
      else {
        entry.members.push(r.author);
        if (compareRecords(r, entry.first) < 0) entry.first = r;
      }
    }
  }
  const ordered = [...byEmoji.entries()].sort(([, a], [, b]) => b.members.length - a.members.length || compareRecords(a.first, b.first));
  const reactions: Record<string, string[]> = {};
  for (const [emoji, { members }] of ordered) reactions[emoji] = members.sort();
  return reactions;
}

/**
 * The emoji a post shows: at most `max`, most members first (ties keep the projection's order),
 * always including the reader's own so they can be taken back; `more` counts the emoji left out.
 */
export function visibleReactions(reactions: Record<string, string[]>, me: string, max = MAX_SHOWN_EMOJI): { shown: [string, string[]][]; more: number } {
  const ranked = Object.entries(reactions)
    .filter(([, who]) => who.length > 0)
    .sort(([, a], [, b]) => b.length - a.length);
  const mine = ranked.filter(([, who]) => who.includes(me)).slice(0, max);
  const picked = new Set([...mine, ...ranked.filter(([, who]) => !who.includes(me)).slice(0, max - mine.length)]);
  const shown = ranked.filter((entry) => picked.has(entry));
  return { shown, more: ranked.length - shown.length };
}
