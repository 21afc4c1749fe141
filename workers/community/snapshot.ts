// What the analyses read of one community: plain rows, already past the validation gate (they
// come from the projections), plus this device's private view history. Pure data, so every
// analysis runs the same in the worker, in Node tests and in the evaluation scripts.
import type { DiversitySetting } from '../../src/lib/domain/record';

export interface SnapshotMember {
  key: string;
  name: string;
  role: 'creator' | 'admin' | 'moderator' | 'member';
  joinedAt: number;
  invitedBy: string | null;
  /** The invite this member joined with (null for the creator). */
  invite: string | null;
  banned: boolean;
}

export interface SnapshotThread {
  id: string;
  author: string;
  createdAt: number;
  title: string;
  body: string;
  /** Marked featured (精华) now. */
  featured?: true;
}

export interface SnapshotReply {
  id: string;
  thread: string;
  /** Author of the post replied to (the thread or another reply); null when unknown. */
  parentAuthor: string | null;
  author: string;
  createdAt: number;
}

export interface SnapshotReaction {
  author: string;
  /** The post reacted to, its thread and its author. */
  target: string;
  thread: string;
  targetAuthor: string;
  ts: number;
}

export interface SnapshotInvite {
  id: string;
  author: string;
  label: string;
  ts: number;
}

export interface SnapshotView {
  thread: string;
  /** Times this device opened the thread, and the latest. */
  count: number;
  at: number;
}

export interface CommunitySnapshot {
  cid: string;
  /** Whose device this is: views belong to this member. */
  me: string;
  members: SnapshotMember[];
  threads: SnapshotThread[];
  replies: SnapshotReply[];
  reactions: SnapshotReaction[];
  invites: SnapshotInvite[];
  views: SnapshotView[];
  /** Answers (answer author → question author), for the social graph. */
  answers?: { author: string; to: string; ts: number }[];
  /** Note edits (who edited which note), for co-editing ties. */
  coedits?: { note: string; author: string; ts: number }[];
  /** The creator's recommendation diversity (settings.diversity as the authority accepts it); absent: off. */
  diversity?: DiversitySetting;
}

/** One act of a member, for activity metrics: writing a thread or reply, or reacting. */
export interface Activity {
  member: string;
  ts: number;
  kind: 'thread' | 'reply' | 'reaction';
}

export function activitiesOf(s: CommunitySnapshot): Activity[] {
  const out: Activity[] = [];
  for (const t of s.threads) out.push({ member: t.author, ts: t.createdAt, kind: 'thread' });
  for (const r of s.replies) out.push({ member: r.author, ts: r.createdAt, kind: 'reply' });
  for (const r of s.reactions) out.push({ member: r.author, ts: r.ts, kind: 'reaction' });
  return out.sort((a, b) => a.ts - b.ts);
}

/** The time the analyses speak of: the latest activity (a quiet or imported community is not measured against today). */
export function asOfTime(activities: Activity[], now: number): number {
  return activities.length ? Math.min(now, activities[activities.length - 1].ts) : now;
}
