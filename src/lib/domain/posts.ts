// Projection of posts (threads and replies) from their records: a pure function of the set of
// records that touch a post, so every peer, and a rebuild from scratch, reach the same rows
// whatever order the records arrived in.
import type { Authority, Role } from './authority';
import { firstPerAutoKey, type DigestData } from './automation';
import { compareRecords, type AnyRecord, type AttachmentManifest, type SignedRecord } from './record';
import { countReactions } from './reactions';

export interface PostRow {
  id: string;
  cid: string;
  kind: 'thread' | 'reply';
  /** For a thread its own id, for a reply the thread it belongs to. */
  thread: string;
  parent: string | null;
  author: string;
  createdAt: number;
  title: string | null;
  body: string;
  quote: { id: string; text: string } | null;
  mentions: string[];
  edits: number;
  editedAt: number | null;
  deleted: boolean;
  /** Hidden by a moderator: shown to nobody but moderators, as hidden. */
  hidden: boolean;
  /** Tiers a thread is limited to (empty: everyone). */
  tiers: string[];
  /** `${rule}:${key}` for records written by automation. */
  autoKey: string | null;
  /** emoji -> members who reacted with it, sorted; emoji most used first (domain/reactions). */
  reactions: Record<string, string[]>;
  /** Images and files (manifests; the bytes travel beside the document). Absent in older rows. */
  attachments?: AttachmentManifest[];
  /** A weekly digest's contents as data (each reader's app words it), while its author has not edited it. */
  digest?: DigestData;
}

/** Who is reading, for what tier-limited posts they may see: their key, whether they moderate, their current tier. */
export interface Reader {
  me: string;
  moderator: boolean;
  tier: string | null;
}

/** A post limited to tiers is for those tiers' members, its author and moderators; any other post for everyone. */
export function readableBy(reader: Reader, row: { tiers: readonly string[]; author: string }): boolean {
  if (!row.tiers?.length || row.author === reader.me || reader.moderator) return true;
  return reader.tier !== null && row.tiers.includes(reader.tier);
}

export interface ThreadRow extends PostRow {
  kind: 'thread';
  replyCount: number;
  lastActivity: number;
  pinned: boolean;
  /** Marked featured (精华) by a moderator: by whom, when, and the reason they gave. */
  featured?: { by: string; at: number; reason: string | null } | null;
  /** Feed sort key: pinned threads first, then latest activity; -1 keeps deleted and hidden threads out of the feed. */
  rank: number;
  /** The scope of a sealed thread this device holds no key for: shown as a locked card, never as text. */
  locked?: string;
}

/** The feed row of a sealed thread this device cannot open: who and when, no words. */
export function lockedThread(r: SignedRecord<'sealed'>, auth: Authority): ThreadRow | null {
  if (r.body.of !== 'thread' || !auth.accepts(r)) return null;
  return {
    id: r.id,
    cid: r.cid,
    kind: 'thread',
    thread: r.id,
    parent: null,
    author: r.author,
    createdAt: r.ts,
    title: null,
    body: '',
    quote: null,
    mentions: [],
    edits: 0,
    editedAt: null,
    deleted: false,
    hidden: false,
    tiers: [],
    autoKey: null,
    reactions: {},
    replyCount: 0,
    lastActivity: r.ts,
    pinned: false,
    rank: threadRank(false, r.ts),
    locked: r.body.sealed.scope
  };
}

export const PIN_OFFSET = 2 ** 50;

/**
 * The feed's sort key: pinned threads first, then by activity. Activity is capped below PIN_OFFSET
 * (year 37648; a record may be dated up to year 275760), so no date lifts an unpinned thread into
 * the pinned band. Activity ahead of the clock is handled when the feed is read (domain/feed.ts).
 */
export function threadRank(pinned: boolean, activity: number): number {
  const capped = Math.min(activity, PIN_OFFSET - 1);
  return pinned ? PIN_OFFSET + capped : capped;
}

export function isPost(r: AnyRecord): r is SignedRecord<'thread'> | SignedRecord<'reply'> {
  return r.kind === 'thread' || r.kind === 'reply';
}

/**
 * A post as members see it. `related` are records whose target is the post (edits, tombstones,
 * reactions, pins); unrelated or unauthorised ones are ignored, never trusted.
 */
export function projectPost(post: SignedRecord<'thread'> | SignedRecord<'reply'>, related: AnyRecord[], auth: Authority): PostRow {
  const sorted = related.filter((r) => r.cid === post.cid && 'target' in r.body && r.body.target === post.id).sort(compareRecords);
  let title = post.kind === 'thread' ? post.body.title : null;
  let body = post.body.body;
  let edits = 0;
  let editedAt: number | null = null;
  let deleted = false;
  let hidden = false;
  const reactionRecords: SignedRecord<'reaction'>[] = [];
  for (const r of sorted) {
    if (!auth.accepts(r)) continue;
    if (r.kind === 'edit' && r.author === post.author) {
      body = r.body.body;
      if (post.kind === 'thread' && r.body.title) title = r.body.title;
      edits++;
      editedAt = r.ts;
    } else if (r.kind === 'tombstone' && (r.author === post.author || auth.isModerator(r.author))) {
      deleted = true;
    } else if (r.kind === 'hide' && auth.mayHide(r.author)) {
      hidden = r.body.hidden;
    } else if (r.kind === 'reaction') {
      reactionRecords.push(r);
    }
  }
  // One reaction per member per emoji (latest record decides), at most five emoji per member.
  const reactions = countReactions(reactionRecords);
  return {
    id: post.id,
    cid: post.cid,
    kind: post.kind,
    thread: post.kind === 'thread' ? post.id : post.body.thread,
    parent: post.kind === 'reply' ? post.body.parent : null,
    author: post.author,
    createdAt: post.ts,
    title,
    body: deleted ? '' : body,
    quote: post.kind === 'reply' && !deleted ? (post.body.quote ?? null) : null,
    mentions: post.body.mentions ?? [],
    edits,
    editedAt,
    deleted,
    hidden,
    tiers: post.kind === 'thread' ? (post.body.tiers ?? []) : [],
    autoKey: post.body.auto ? `${post.body.auto.rule}:${post.body.auto.key}` : null,
    reactions,
    attachments: deleted ? [] : (post.body.attachments ?? []),
    ...(post.kind === 'thread' && post.body.digest && edits === 0 && !deleted ? { digest: post.body.digest } : {})
  };
}

/** A thread row for the feed: its post plus what its visible replies add. */
/**
 * `superseded`: another record with the same automation key came first, so this one is not shown
 * (two admin devices ran the same rule).
 */
/** What a thread row takes from its replies: how many are shown and when the last was written. */
export interface ReplyStats {
  replyCount: number;
  lastActivity: number;
}

/** A reply that counts for its thread: shown, neither deleted nor hidden. */
function countsFor(thread: string, reply: PostRow | undefined): reply is PostRow {
  return !!reply && reply.thread === thread && !reply.deleted && !reply.hidden;
}

/** A thread's reply stats from all of its reply rows. */
export function replyStats(thread: { id: string; createdAt: number }, replies: readonly PostRow[]): ReplyStats {
  const live = replies.filter((r) => countsFor(thread.id, r));
  return { replyCount: live.length, lastActivity: live.reduce((max, r) => Math.max(max, r.createdAt), thread.createdAt) };
}

/**
 * A thread's reply stats after some of its replies changed, from the stats its stored row holds:
 * each change is a reply's row before and after (undefined: none). Null when they cannot be told
 * without every reply: a reply that counted stops counting while as late as the last activity (an
 * earlier one may be the last now). What `replyStats` gives for the same rows, without reading them.
 */
export function nextReplyStats(stored: ReplyStats, thread: string, changes: readonly { before?: PostRow; after?: PostRow }[]): ReplyStats | null {
  let { replyCount, lastActivity } = stored;
  for (const { before, after } of changes) {
    const was = countsFor(thread, before);
    const is = countsFor(thread, after);
    if (was && (!is || after.createdAt !== before.createdAt) && before.createdAt >= stored.lastActivity) return null;
    replyCount += Number(is) - Number(was);
    if (is) lastActivity = Math.max(lastActivity, after.createdAt);
  }
  return { replyCount, lastActivity };
}

export function projectThread(post: PostRow, { replyCount, lastActivity }: ReplyStats, pins: AnyRecord[], auth: Authority, superseded = false): ThreadRow {
  let pinned = false;
  for (const p of pins.filter((r) => r.kind === 'pin' && r.body.target === post.id).sort(compareRecords)) {
    if (p.kind === 'pin' && auth.isModerator(p.author) && auth.accepts(p)) pinned = p.body.pinned;
  }
  let featured: ThreadRow['featured'] = null;
  for (const f of pins.filter((r) => r.kind === 'feature' && r.body.target === post.id).sort(compareRecords)) {
    if (f.kind !== 'feature' || !auth.isModerator(f.author) || !auth.accepts(f)) continue;
    featured = f.body.featured ? { by: f.author, at: f.ts, reason: f.body.reason ?? null } : null;
  }
  return {
    ...post,
    kind: 'thread',
    replyCount,
    lastActivity,
    pinned,
    featured,
    rank: post.deleted || post.hidden || superseded ? -1 : threadRank(pinned, lastActivity)
  };
}

/** A reply is shown only where its parent is the thread or a reply of the same thread. */
export function replyBelongs(reply: PostRow, postsById: ReadonlyMap<string, PostRow>): boolean {
  if (reply.parent === reply.thread) return true;
  const parent = reply.parent ? postsById.get(reply.parent) : undefined;
  return !!parent && parent.thread === reply.thread;
}

/**
 * Every post and thread row of a community from its full record set. Used to rebuild projections
 * and as the reference that incremental projection must equal.
 */
export function projectCommunity(records: AnyRecord[], auth: Authority): { threads: ThreadRow[]; replies: PostRow[] } {
  const byTarget = new Map<string, AnyRecord[]>();
  for (const r of records) {
    if (!auth.accepts(r)) continue;
    const target = 'target' in r.body ? r.body.target : null;
    if (target) {
      let list = byTarget.get(target);
      if (!list) byTarget.set(target, (list = []));
      list.push(r);
    }
  }
  const posts = records.filter(isPost).filter((r) => auth.accepts(r));
  const replies = posts.filter((r) => r.kind === 'reply').map((r) => projectPost(r, byTarget.get(r.id) ?? [], auth));
  const repliesByThread = new Map<string, PostRow[]>();
  for (const r of replies) {
    let list = repliesByThread.get(r.thread);
    if (!list) repliesByThread.set(r.thread, (list = []));
    list.push(r);
  }
  const threadRecords = posts.filter((r): r is SignedRecord<'thread'> => r.kind === 'thread');
  const shown = new Set(firstPerAutoKey(threadRecords));
  const threads = threadRecords.map((r) => {
    const related = byTarget.get(r.id) ?? [];
    const post = projectPost(r, related, auth);
    return projectThread(post, replyStats(post, repliesByThread.get(r.id) ?? []), related, auth, !shown.has(r));
  });
  for (const r of records) {
    const locked = r.kind === 'sealed' ? lockedThread(r, auth) : null;
    if (locked) threads.push(locked);
  }
  return { threads, replies };
}

export interface MemberRow {
  cid: string;
  key: string;
  name: string;
  bio: string;
  avatar: string;
  links: string[];
  role: Role;
  tier: string | null;
  joinedAt: number;
  invitedBy: string | null;
  banned: boolean;
  profileTs: number;
}

/** Member rows: every member the authority knows, named by their latest profile. */
export function projectMember(cid: string, key: string, profiles: AnyRecord[], auth: Authority): MemberRow | null {
  const m = auth.members.get(key);
  if (!m) return null;
  let name = '';
  let bio = '';
  let avatar = '';
  let links: string[] = [];
  let profileTs = -1;
  for (const r of [...profiles].sort(compareRecords)) {
    if (r.kind !== 'profile' || r.author !== key || !auth.accepts(r)) continue;
    name = r.body.name;
    bio = r.body.bio ?? '';
    avatar = r.body.avatar ?? '';
    links = r.body.links ?? [];
    profileTs = r.ts;
  }
  return {
    cid,
    key,
    name,
    bio,
    avatar,
    links,
    role: m.role,
    tier: m.tier,
    joinedAt: m.joinedAt,
    invitedBy: m.invitedBy,
    banned: m.bannedAt !== null,
    profileTs
  };
}

export function projectMembers(cid: string, records: AnyRecord[], auth: Authority): MemberRow[] {
  const profiles = new Map<string, AnyRecord[]>();
  for (const r of records) {
    if (r.kind !== 'profile') continue;
    let list = profiles.get(r.author);
    if (!list) profiles.set(r.author, (list = []));
    list.push(r);
  }
  return [...auth.members.keys()].map((key) => projectMember(cid, key, profiles.get(key) ?? [], auth)!);
}

/**
 * Stands in a stored post row for a field its record holds as it is (store/post-bodies): the row is
 * read back with the record's value there. No post field is ever a number, so it cannot be mistaken.
 */
export const FROM_RECORD = 0;

type PostFields = Pick<PostRow, 'author' | 'parent' | 'title' | 'body' | 'quote' | 'mentions' | 'attachments' | 'autoKey' | 'digest'>;
type PostRecord = SignedRecord<'thread'> | SignedRecord<'reply'>;

/**
 * What `projectPost` took from the post's record without change, for a row of this record (whose
 * edits, deletion and kind the row tells): the fields a stored row need not keep. Undefined where the
 * row's value is not the record's (an edited body, a deleted post's cleared text).
 */
function fromRecord(row: PostRow, post: PostRecord | null): { [K in keyof PostFields]?: PostFields[K] } {
  const b = post?.body as Partial<SignedRecord<'thread'>['body'] & SignedRecord<'reply'>['body']> | undefined;
  const original = row.edits === 0 && !row.deleted;
  return {
    author: post?.author ?? '',
    ...(row.kind === 'reply' ? { parent: b?.parent ?? null } : {}),
    ...(row.kind === 'thread' && original ? { title: b?.title ?? null } : {}),
    ...(original ? { body: b?.body ?? '' } : {}),
    ...(row.kind === 'reply' && !row.deleted ? { quote: b?.quote ?? null } : {}),
    mentions: b?.mentions ?? [],
    ...(!row.deleted ? { attachments: b?.attachments ?? [] } : {}),
    autoKey: b?.auto ? `${b.auto.rule}:${b.auto.key}` : null,
    ...(row.kind === 'thread' && original ? { digest: b?.digest } : {})
  };
}

/** Fields of a post row that a stored row may leave to its record (`FROM_RECORD`). */
const SLIM_FIELDS = ['author', 'parent', 'title', 'body', 'quote', 'mentions', 'attachments', 'autoKey', 'digest'] as const;

/**
 * A post row as stored: each field `projectPost` copied from the record unchanged, and that holds
 * something (not null, not empty), replaced by `FROM_RECORD` in place, so the key order stays. Whether
 * a field is the record's follows from the row alone (its edits, deletion and kind). Locked threads
 * (no plaintext) are kept whole. A copy; the row given is not changed.
 */
export function slimPost<T extends PostRow>(row: T): T {
  if (!row || typeof row !== 'object' || (row as Partial<ThreadRow>).locked !== undefined || (row.kind !== 'thread' && row.kind !== 'reply')) return row;
  const derivable = fromRecord(row, null);
  let out: Record<string, unknown> | null = null;
  for (const field of SLIM_FIELDS) {
    if (!(field in derivable)) continue;
    const value = (row as Record<string, unknown>)[field];
    if (value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) continue;
    (out ??= { ...(row as Record<string, unknown>) })[field] = FROM_RECORD;
  }
  return (out ?? row) as T;
}

/** True when a stored post row left fields to its record. */
export function isSlimPost(row: unknown): row is PostRow {
  if (!row || typeof row !== 'object') return false;
  for (const field of SLIM_FIELDS) if ((row as Record<string, unknown>)[field] === FROM_RECORD) return true;
  return false;
}

/**
 * A stored post row made whole again from its record, in place (key order kept). A missing record
 * (damaged storage) gives empty text, never a wrong one. `copy`: the row gets copies of the record's
 * objects (a quote, a list), for a record that is kept and handed to other rows later.
 */
export function fillPost<T extends PostRow>(row: T, record: AnyRecord | undefined, copy = false): T {
  const post = record && record.id === row.id && record.kind === row.kind ? (record as PostRecord) : null;
  const values = fromRecord(row, post) as Record<string, unknown>;
  const target = row as Record<string, unknown>;
  for (const field of SLIM_FIELDS) {
    if (target[field] !== FROM_RECORD) continue;
    const value = values[field];
    if (value === undefined) delete target[field];
    else target[field] = copy && typeof value === 'object' && value !== null ? structuredClone(value) : value;
  }
  return row;
}
