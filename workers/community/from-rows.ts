// A community snapshot from the projected rows (threads, replies, members: already past the
// validation gate) and the few raw records the projections do not keep: reaction times, invites
// and which invite each member joined with.
import type { MemberRow, PostRow, ThreadRow } from '../../src/lib/domain/posts';
import type { AnyRecord, SignedRecord } from '../../src/lib/domain/record';
import type { CommunitySnapshot, SnapshotReaction, SnapshotView } from './snapshot';

export interface SnapshotRows {
  cid: string;
  me: string;
  members: MemberRow[];
  threads: ThreadRow[];
  replies: PostRow[];
  /** Reaction, invite and join records of the community (others are ignored). */
  records: AnyRecord[];
  views: SnapshotView[];
}

const visible = (p: PostRow) => !p.deleted && !p.hidden;

export function snapshotFromRows(rows: SnapshotRows): CommunitySnapshot {
  const threads = rows.threads.filter(visible);
  const threadIds = new Set(threads.map((t) => t.id));
  const replies = rows.replies.filter((r) => visible(r) && threadIds.has(r.thread));
  const authorOf = new Map<string, string>();
  for (const p of threads) authorOf.set(p.id, p.author);
  for (const p of replies) authorOf.set(p.id, p.author);

  // The time of each standing reaction: its latest "on" record (the projection keeps who, not when).
  const reactedAt = new Map<string, number>();
  const joinedWith = new Map<string, string>();
  const invites: CommunitySnapshot['invites'] = [];
  for (const r of rows.records) {
    if (r.kind === 'reaction' && r.body.on) {
      const key = `${r.author}|${r.body.target}|${r.body.emoji}`;
      reactedAt.set(key, Math.max(reactedAt.get(key) ?? 0, r.ts));
    } else if (r.kind === 'join') joinedWith.set(r.author, r.body.invite);
    else if (r.kind === 'invite') {
      const inv = r as SignedRecord<'invite'>;
      invites.push({ id: inv.id, author: inv.author, label: inv.body.label, ts: inv.ts });
    }
  }
  const reactions: SnapshotReaction[] = [];
  for (const p of [...threads, ...replies]) {
    for (const [emoji, who] of Object.entries(p.reactions)) {
      for (const author of who) {
        reactions.push({ author, target: p.id, thread: p.thread, targetAuthor: p.author, ts: reactedAt.get(`${author}|${p.id}|${emoji}`) ?? p.createdAt });
      }
    }
  }
  return {
    cid: rows.cid,
    me: rows.me,
    members: rows.members.map((m) => ({
      key: m.key,
      name: m.name,
      role: m.role,
      joinedAt: m.joinedAt,
      invitedBy: m.invitedBy,
      invite: m.invitedBy ? (joinedWith.get(m.key) ?? null) : null,
      banned: m.banned
    })),
    threads: threads.map((t) => ({
      id: t.id,
      author: t.author,
      createdAt: t.createdAt,
      title: t.title ?? '',
      body: t.body,
      ...(t.featured ? { featured: true as const } : {})
    })),
    replies: replies.map((r) => ({
      id: r.id,
      thread: r.thread,
      parentAuthor: (r.parent && authorOf.get(r.parent)) || null,
      author: r.author,
      createdAt: r.createdAt
    })),
    reactions,
    invites: invites.sort((a, b) => a.ts - b.ts),
    views: rows.views.filter((v) => threadIds.has(v.thread))
  };
}
