// Who may do what in a community, computed from the signed authority records alone (genesis,
// invite, join, admit, grant, ban, trust, and tombstones that revoke invites). Records are applied in
// (ts, id) order, so every peer with the same records reaches the same members, roles and bans.
//
// An author picks its own `ts`, so nothing an outsider or a removed member signs may decide order:
// - a join needs the invite key's proof (crypto/invite-key), so only holders of the link can join;
// - uses of a limited invite are counted by `admit` records from staff or the inviter, never by the
//   joiner's `ts`; after a revocation only joins admitted before it stay;
// - a ban (or a demotion) names the removed member's record-chain tips it had seen (`heads`): of
//   that member's records only the causal past of those tips stays (for a demotion: of their
//   authority records), whatever `ts` the others claim.
import { compareRecords, type AnyRecord, type SignedRecord } from './record';

export type Role = 'creator' | 'admin' | 'moderator' | 'member';
const RANK: Record<Role, number> = { creator: 3, admin: 2, moderator: 1, member: 0 };

/**
 * How long after an invite's expiry its joins may still be admitted: a newcomer who joined just in
 * time while every staff device was offline is confirmed when one comes back within this window.
 */
export const ADMIT_GRACE_MS = 24 * 3_600_000;

export interface Membership {
  key: string;
  role: Role;
  tier: string | null;
  joinedAt: number;
  /** The invite this member joined with (null for the creator). */
  invite: string | null;
  /** The id of the join that made them a member (null for the creator). */
  join: string | null;
  invitedBy: string | null;
  /** When a ban took effect (display and order of authority records). What stays is decided by `heads`. */
  bannedAt: number | null;
  /** Trust level published by the creator's or an admin's automation (0 until one is). */
  trust: number;
}

export interface InviteState {
  record: SignedRecord<'invite'>;
  uses: number;
  revokedAt: number | null;
  /** Limited invites admit joins only by an `admit`; so do revoked ones (only admits before the revocation count). */
  needsAdmit: boolean;
  /** Joins on this invite that wait for an admit. */
  pending: SignedRecord<'join'>[];
  /** Joins an admit has confirmed: only these survive a later revocation of an open invite. */
  admitted: Set<string>;
}

/** What authority needs of any record to judge it: who wrote it, when it claims, and its place in the author's chain. */
export type Judged = Pick<SignedRecord, 'id' | 'author' | 'ts'> & { held?: unknown };

export interface Authority {
  creator: string;
  members: ReadonlyMap<string, Membership>;
  invites: ReadonlyMap<string, InviteState>;
  /** Newcomers whose join waits for an admit: joiner key → join. */
  pending: ReadonlyMap<string, SignedRecord<'join'>>;
  /** May this key author a record at `ts`? (Joined at or before it, not banned by then.) Use `accepts` for a record. */
  isMember(key: string, ts?: number): boolean;
  /**
   * Is this record shown? Its author is a member who joined by its `ts`; if banned, the record is in
   * the causal past the ban named; and it is not held back by the receiving side's quota.
   */
  accepts(r: Judged): boolean;
  /** Members whose records need their whole chain to be judged (banned or demoted with `heads`). */
  restricted: ReadonlySet<string>;
  /** A restricted member's removal: what it covers and the ids of their records it keeps (null if not restricted). */
  restrictionOf(key: string): { scope: 'all' | 'authority'; kept: ReadonlySet<string> } | null;
  /**
   * Every key seen here as a member's: the creator, each join's author (accepted or not) and each
   * ban's subject. A key outside it has not been seen at all (its join has not arrived, as on a
   * newcomer's device before the history): key records judge a wrap for it once it is (domain/epochs).
   */
  known: ReadonlySet<string>;
  roleOf(key: string): Role | null;
  /** The member's role at `ts` (null if not a member then: not yet joined, or banned by then). */
  roleAt(key: string, ts: number): Role | null;
  /** The trust level published for the member as of `ts` (0 before any). */
  trustAt(key: string, ts: number): number;
  /** The points level (1–9) published for the member as of `ts` (1 before any). */
  levelAt(key: string, ts: number): number;
  /**
   * Does this record carry its author's authority? `accepts(r)`, and for a member demoted with
   * `heads`, the record is in that causal past: as for grants and bans, a demoted admin cannot
   * backdate key records past the demotion.
   */
  mayAct(r: Judged): boolean;
  /** Moderator or above: may pin, hide, delete others' posts. */
  isModerator(key: string): boolean;
  /** Moderators, and members at trust level 3 (who may hide spam). */
  mayHide(key: string): boolean;
  trustOf(key: string): number;
}

export const AUTHORITY_KINDS = new Set(['genesis', 'invite', 'join', 'admit', 'grant', 'ban', 'trust', 'level']);

/** Does this record change authority (given the invites known so far)? */
export function affectsAuthority(r: AnyRecord, invites: ReadonlyMap<string, unknown>, restricted: ReadonlySet<string> = new Set()): boolean {
  return AUTHORITY_KINDS.has(r.kind) || (r.kind === 'tombstone' && invites.has(r.body.target)) || restricted.has(r.author);
}

/** The tips of one member's record chain: records no other record of theirs names as `prev`. Newest first, at most `max`. */
export function chainHeads(records: Iterable<Pick<SignedRecord, 'id' | 'ts' | 'prev'>>, max = 64): string[] {
  const all = [...records];
  const named = new Set(all.map((r) => r.prev).filter((p): p is string => !!p));
  return all
    .filter((r) => !named.has(r.id))
    .sort((a, b) => compareRecords(b, a))
    .slice(0, max)
    .map((r) => r.id);
}

interface Restriction {
  heads: readonly string[];
  /** Ban: every record of the member. Demotion: their authority records only. */
  scope: 'all' | 'authority';
}

interface Replay {
  members: Map<string, Membership>;
  /** Per member, [ts, role] and [ts, trust] changes in the order applied (ts ascending). */
  roles: Map<string, [number, Role][]>;
  trusts: Map<string, [number, number][]>;
  /** Per member, [ts, points level] as published (ts ascending). */
  levels: Map<string, [number, number][]>;
  invites: Map<string, InviteState>;
  pending: Map<string, SignedRecord<'join'>>;
  restrictions: Map<string, Restriction>;
}

/**
 * `records`: every record that may matter (authority kinds at least). Records of a restricted
 * member beyond those only serve their `prev` links, so callers pass that member's whole chain.
 */
export function computeAuthority(genesis: SignedRecord<'genesis'>, records: Iterable<AnyRecord>): Authority {
  const creator = genesis.author;
  const ordered: AnyRecord[] = [];
  const tombstones: SignedRecord<'tombstone'>[] = [];
  const joins = new Map<string, SignedRecord<'join'>>();
  /** id → [author, prev] for every record seen: the chains a restriction walks. */
  const links = new Map<string, [string, string | undefined]>();
  const byAuthor = new Map<string, string[]>();
  const known = new Set<string>([creator]);
  for (const r of records) {
    if (r.cid !== genesis.id) continue;
    if (r.kind === 'join') known.add(r.author);
    else if (r.kind === 'ban') known.add(r.body.member);
    links.set(r.id, [r.author, r.prev]);
    let mine = byAuthor.get(r.author);
    if (!mine) byAuthor.set(r.author, (mine = []));
    mine.push(r.id);
    if (r.kind === 'tombstone') tombstones.push(r);
    else if (r.kind === 'join') joins.set(r.id, r);
    if (r.kind === 'invite' || r.kind === 'join' || r.kind === 'admit' || r.kind === 'grant' || r.kind === 'ban' || r.kind === 'trust' || r.kind === 'level')
      ordered.push(r);
  }
  ordered.sort(compareRecords);
  const authorityIds = new Set([...ordered, ...tombstones].map((r) => r.id));

  /** The ids in the causal past of `heads` among `author`'s records (the heads included). */
  const causalPast = (author: string, heads: readonly string[]): Set<string> => {
    const past = new Set<string>();
    const stack = [...heads];
    while (stack.length) {
      const id = stack.pop()!;
      if (past.has(id)) continue;
      const link = links.get(id);
      if (link && link[0] !== author) continue;
      past.add(id);
      if (link?.[1]) stack.push(link[1]);
    }
    return past;
  };

  // A removal's causal past decides which authority records of the removed member count; which
  // removals are valid depends on those records in turn, so replay until the void set holds still
  // (once or twice in practice; bounded so a contrived cycle cannot loop).
  let voided = new Set<string>();
  let replay = replayAuthority(genesis, ordered, tombstones, joins, voided);
  for (let round = 0; round < 4; round++) {
    const next = new Set<string>();
    for (const [key, restriction] of replay.restrictions) {
      const past = causalPast(key, restriction.heads);
      for (const id of byAuthor.get(key) ?? []) {
        if (past.has(id)) continue;
        if (restriction.scope === 'all' || authorityIds.has(id)) next.add(id);
      }
    }
    if (sameSet(next, voided)) break;
    voided = next;
    replay = replayAuthority(genesis, ordered, tombstones, joins, voided);
  }
  // What each removal keeps, from the replay the answer comes from (also when the rounds ran out).
  const allowed = new Map([...replay.restrictions].map(([key, r]) => [key, causalPast(key, r.heads)] as const));
  const auth = authorityFrom(creator, replay, known, allowed);
  if (!replay.restrictions.size && !voided.size) {
    const named = new Set<string>();
    for (const r of ordered) if (r.kind === 'admit') for (const id of r.body.joins) named.add(id);
    continuations.set(auth, { genesis, replay, joins, known, tombstones, named, last: ordered.at(-1) ?? null, root: {}, appended: [] });
  }
  return auth;
}

/**
 * What `appendToAuthority` continues from: an authority that restricts no one, with the replay it
 * was read from, the records that replay looked things up in, and the last record it applied.
 */
interface Continuation {
  genesis: SignedRecord<'genesis'>;
  replay: Replay;
  joins: ReadonlyMap<string, SignedRecord<'join'>>;
  known: ReadonlySet<string>;
  tombstones: readonly SignedRecord<'tombstone'>[];
  /** Joins some admit of the replay names (admitted, or refused for a reason, whatever their order). */
  named: ReadonlySet<string>;
  last: AnyRecord | null;
  /** The full replay this authority continues (the same object for every authority appended from it). */
  root: object;
  /** The records appended since that replay, in the order applied (null once past `MAX_APPENDED`). */
  appended: readonly AnyRecord[] | null;
}
const continuations = new WeakMap<Authority, Continuation>();
/** Appended records an authority keeps the list of: each append copies it. */
const MAX_APPENDED = 4_096;

/** Kinds whose records, replayed after all the others, only add to what an authority holds. */
const APPENDABLE = new Set(['invite', 'join', 'admit', 'trust', 'level']);

/**
 * `before` with records added that come after everything it was computed from: the same authority
 * `computeAuthority` gives over all the records, without replaying the others. At 10,000 members a
 * newcomer's join replayed some 30,000 authority records on the creator's device (0.2–0.4 s, twice
 * with its admission) between the join arriving and its key share going out. Null when that cannot
 * be known this way, and the caller replays everything:
 * - `before` restricts someone (a ban or demotion walks chains) or was not computed here;
 * - a record is of another kind (a grant, a ban, a tombstone revoking an invite);
 * - a record does not sort after every one `before` replayed (a join from the past arriving late);
 * - a join an earlier admit named arrives now (the full replay admits it at that admit's place).
 */
export function appendToAuthority(before: Authority, added: readonly AnyRecord[]): Authority | null {
  const from = continuations.get(before);
  if (!from) return null;
  const records = added.filter((r) => r.cid === from.genesis.id);
  if (!records.every((r) => APPENDABLE.has(r.kind))) return null;
  const ordered = [...records].sort(compareRecords);
  if (from.last && ordered.length && compareRecords(from.last, ordered[0]) >= 0) return null;
  for (let i = 1; i < ordered.length; i++) if (compareRecords(ordered[i - 1], ordered[i]) === 0) return null;
  if (ordered.some((r) => r.kind === 'join' && from.named.has(r.id))) return null;
  const joins = new Map(from.joins);
  const known = new Set(from.known);
  const named = new Set(from.named);
  for (const r of ordered) {
    if (r.kind === 'join') {
      joins.set(r.id, r);
      known.add(r.author);
    } else if (r.kind === 'admit') for (const id of r.body.joins) named.add(id);
  }
  const replay = continueReplay(from.genesis.author, copyReplayFor(from.replay, ordered, joins), ordered, from.tombstones, joins, new Set());
  // Only grants and bans restrict, and neither is appended.
  const auth = authorityFrom(from.genesis.author, replay, known, new Map());
  const appended = from.appended && from.appended.length + ordered.length <= MAX_APPENDED ? [...from.appended, ...ordered] : null;
  continuations.set(auth, { ...from, replay, joins, known, named, last: ordered.at(-1) ?? from.last, appended });
  return auth;
}

/**
 * The members whose standing differs between `before` and `after`, when `after` is `before` with
 * joins and admissions appended (`appendToAuthority`, in one step or several): each appended join's
 * author and each admitted join's author. Replaying a join or an admission changes only the
 * membership and role history of those (beside invites' uses and the pending joins), so what anyone
 * else may do and read at any time is as it was, which lets the key state skip judging again what
 * names none of them. Null when that is not known: `after` does not continue `before` by appends
 * alone, or something else was appended (an invite, trust, a level).
 */
export function membersMoved(after: Authority, before: Authority): Set<string> | null {
  const a = continuations.get(after);
  const b = continuations.get(before);
  if (!a?.appended || !b?.appended || a.root !== b.root || b.appended.length > a.appended.length) return null;
  for (let i = 0; i < b.appended.length; i++) if (a.appended[i] !== b.appended[i]) return null;
  const moved = new Set<string>();
  for (let i = b.appended.length; i < a.appended.length; i++) {
    const r = a.appended[i];
    if (r.kind === 'join') moved.add(r.author);
    else if (r.kind === 'admit') {
      for (const id of r.body.joins) {
        const join = a.joins.get(id);
        if (join) moved.add(join.author);
      }
    } else return null;
  }
  return moved;
}

/**
 * A replay's state, copied so that continuing it with `ordered` (appendable kinds only) leaves the
 * original (and its authority) as it was. The maps are copied; of their values, only those the
 * records can change in place: the members a join, an admission, trust or a level names (their entry
 * and role, trust and level histories) and the invites a join or an admission uses. Copying every
 * value made one join at 10,000 members cost ~0.1 s of copies and as much again of their garbage
 * collection on the creator's device, between the join arriving and its key share going out.
 */
function copyReplayFor(r: Replay, ordered: readonly AnyRecord[], joins: ReadonlyMap<string, SignedRecord<'join'>>): Replay {
  const copy: Replay = {
    members: new Map(r.members),
    roles: new Map(r.roles),
    trusts: new Map(r.trusts),
    levels: new Map(r.levels),
    invites: new Map(r.invites),
    pending: new Map(r.pending),
    restrictions: new Map(r.restrictions)
  };
  const members = new Set<string>();
  const invites = new Set<string>();
  for (const record of ordered) {
    if (record.kind === 'join') {
      members.add(record.author);
      invites.add(record.body.invite);
    } else if (record.kind === 'admit') {
      invites.add(record.body.invite);
      for (const id of record.body.joins) {
        const join = joins.get(id);
        if (join) members.add(join.author);
      }
    } else if (record.kind === 'trust' || record.kind === 'level') members.add(record.body.member);
  }
  for (const key of members) {
    const member = copy.members.get(key);
    if (member) copy.members.set(key, { ...member });
    for (const history of [copy.roles, copy.trusts, copy.levels] as Map<string, [number, unknown][]>[]) {
      const h = history.get(key);
      if (h) history.set(key, h.slice());
    }
  }
  for (const id of invites) {
    const invite = copy.invites.get(id);
    if (invite) copy.invites.set(id, { ...invite, pending: invite.pending.slice(), admitted: new Set(invite.admitted) });
  }
  return copy;
}

/** The authority a replay describes; `allowed`: for each restricted member, the records their removal keeps. */
function authorityFrom(creator: string, replay: Replay, known: ReadonlySet<string>, allowed: ReadonlyMap<string, Set<string>>): Authority {
  const { members, invites, pending, restrictions, roles, trusts, levels } = replay;
  const banned = new Map<string, Set<string>>();
  for (const [key, r] of restrictions) if (r.scope === 'all') banned.set(key, allowed.get(key)!);
  return {
    creator,
    members,
    invites,
    pending,
    restricted: new Set(restrictions.keys()),
    restrictionOf: (key) => {
      const r = restrictions.get(key);
      return r ? { scope: r.scope, kept: allowed.get(key) ?? new Set() } : null;
    },
    known,
    isMember: (key, ts) => {
      const m = members.get(key);
      if (!m) return false;
      if (ts === undefined) return m.bannedAt === null;
      return m.joinedAt <= ts && (m.bannedAt === null || ts < m.bannedAt);
    },
    accepts: (r) => {
      if (r.held) return false;
      const m = members.get(r.author);
      if (!m || m.joinedAt > r.ts) return false;
      if (m.bannedAt === null) return true;
      const past = banned.get(r.author);
      return past ? past.has(r.id) : r.ts < m.bannedAt;
    },
    roleOf: (key) => members.get(key)?.role ?? null,
    roleAt: (key, ts) => {
      const m = members.get(key);
      if (!m || m.joinedAt > ts || (m.bannedAt !== null && ts >= m.bannedAt)) return null;
      return valueAt(roles.get(key), ts) ?? m.role;
    },
    trustAt: (key, ts) => valueAt(trusts.get(key), ts) ?? 0,
    levelAt: (key, ts) => valueAt(levels.get(key), ts) ?? 1,
    mayAct: (r) => {
      if (r.held) return false;
      const m = members.get(r.author);
      if (!m || m.joinedAt > r.ts) return false;
      const past = allowed.get(r.author);
      // Restricted (banned or demoted with heads): only the causal past the removal named.
      if (past && restrictions.has(r.author)) return past.has(r.id);
      return m.bannedAt === null || r.ts < m.bannedAt;
    },
    isModerator: (key) => {
      const m = members.get(key);
      return !!m && m.bannedAt === null && RANK[m.role] >= RANK.moderator;
    },
    mayHide: (key) => {
      const m = members.get(key);
      return !!m && m.bannedAt === null && (RANK[m.role] >= RANK.moderator || m.trust >= 3);
    },
    trustOf: (key) => members.get(key)?.trust ?? 0
  };
}

/** The value in force at `ts` in a history of [ts, value] changes (ascending); undefined before the first. */
function valueAt<T>(history: [number, T][] | undefined, ts: number): T | undefined {
  let out: T | undefined;
  for (const [at, value] of history ?? []) {
    if (at > ts) break;
    out = value;
  }
  return out;
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

function replayAuthority(
  genesis: SignedRecord<'genesis'>,
  ordered: readonly AnyRecord[],
  allTombstones: readonly SignedRecord<'tombstone'>[],
  joins: ReadonlyMap<string, SignedRecord<'join'>>,
  voided: ReadonlySet<string>
): Replay {
  const creator = genesis.author;
  const start: Replay = {
    members: new Map([
      [creator, { key: creator, role: 'creator', tier: null, joinedAt: genesis.ts, invite: null, join: null, invitedBy: null, bannedAt: null, trust: 3 }]
    ]),
    invites: new Map(),
    pending: new Map(),
    restrictions: new Map(),
    roles: new Map([[creator, [[genesis.ts, 'creator']]]]),
    trusts: new Map([[creator, [[genesis.ts, 3]]]]),
    levels: new Map()
  };
  return continueReplay(creator, start, ordered, allTombstones, joins, voided);
}

/** Applies `ordered` (in `compareRecords` order, after everything `state` holds) to `state`, which it changes. */
function continueReplay(
  creator: string,
  state: Replay,
  ordered: readonly AnyRecord[],
  allTombstones: readonly SignedRecord<'tombstone'>[],
  joins: ReadonlyMap<string, SignedRecord<'join'>>,
  voided: ReadonlySet<string>
): Replay {
  const { members, invites, pending, restrictions, roles, trusts, levels } = state;
  const record = <T>(history: Map<string, [number, T][]>, key: string, ts: number, value: T) => {
    let h = history.get(key);
    if (!h) history.set(key, (h = []));
    h.push([ts, value]);
  };
  const tombstones = allTombstones.filter((t) => !voided.has(t.id));

  const role = (key: string, ts: number): Role | null => {
    const m = members.get(key);
    return m && m.joinedAt <= ts && (m.bannedAt === null || m.bannedAt > ts) ? m.role : null;
  };
  const atLeast = (key: string, ts: number, min: Role) => {
    const r = role(key, ts);
    return r !== null && RANK[r] >= RANK[min];
  };
  const mayInviteByTrust = (key: string, ts: number) => role(key, ts) !== null && (members.get(key)?.trust ?? 0) >= 2;
  const mayInvite = (key: string, ts: number) => atLeast(key, ts, 'admin') || mayInviteByTrust(key, ts);

  const admitMember = (j: SignedRecord<'join'>, invite: InviteState, joinedAt: number) => {
    invite.uses++;
    invite.pending = invite.pending.filter((p) => p.id !== j.id);
    pending.delete(j.author);
    members.set(j.author, {
      key: j.author,
      role: invite.record.body.role,
      tier: invite.record.body.tier ?? null,
      joinedAt,
      invite: invite.record.id,
      join: j.id,
      invitedBy: invite.record.author,
      bannedAt: null,
      trust: 0
    });
    record(roles, j.author, joinedAt, invite.record.body.role as Role);
  };

  for (const r of ordered) {
    if (voided.has(r.id)) continue;
    switch (r.kind) {
      case 'invite': {
        // Admins may invite members and moderators; only the creator may invite admins; members at
        // trust level 2 may invite members.
        if (!atLeast(r.author, r.ts, 'admin') && !(mayInviteByTrust(r.author, r.ts) && r.body.role === 'member')) break;
        if (r.body.role === 'admin' && r.author !== creator) break;
        const revokers = tombstones.filter((t) => t.body.target === r.id && (t.author === r.author || t.author === creator));
        const revokedAt = revokers.length ? Math.min(...revokers.map((t) => t.ts)) : null;
        invites.set(r.id, { record: r, uses: 0, revokedAt, needsAdmit: r.body.maxUses !== null || revokedAt !== null, pending: [], admitted: new Set() });
        break;
      }
      case 'join': {
        const invite = invites.get(r.body.invite);
        if (!invite || members.has(r.author) || r.body.key !== invite.record.body.key) break;
        const { expiresAt } = invite.record.body;
        if (expiresAt !== null && r.ts > expiresAt) break;
        if (invite.needsAdmit) {
          if (!pending.has(r.author)) {
            pending.set(r.author, r);
            invite.pending.push(r);
          }
          break;
        }
        // An open invite: the inviter must still hold invite rights when it is used.
        if (!mayInvite(invite.record.author, r.ts)) break;
        admitMember(r, invite, r.ts);
        break;
      }
      case 'admit': {
        const invite = invites.get(r.body.invite);
        if (!invite) break;
        const by = invite.record;
        const mayAdmit = r.author === creator || atLeast(r.author, r.ts, 'admin') || (r.author === by.author && mayInvite(r.author, r.ts));
        if (!mayAdmit || !mayInvite(by.author, r.ts)) break;
        if (invite.revokedAt !== null && r.ts >= invite.revokedAt) break;
        if (by.body.expiresAt !== null && r.ts > by.body.expiresAt + ADMIT_GRACE_MS) break;
        for (const id of r.body.joins) {
          const j = joins.get(id);
          if (!j || voided.has(id) || j.body.invite !== by.id || j.body.key !== by.body.key) continue;
          if (by.body.expiresAt !== null && j.ts > by.body.expiresAt) continue;
          if (members.has(j.author)) {
            if (members.get(j.author)!.invite === by.id) invite.admitted.add(id);
            continue;
          }
          if (by.body.maxUses !== null && invite.uses >= by.body.maxUses) break;
          admitMember(j, invite, Math.min(j.ts, r.ts));
          invite.admitted.add(id);
        }
        break;
      }
      case 'grant': {
        const target = members.get(r.body.member);
        if (!target || target.role === 'creator') break;
        const granter = role(r.author, r.ts);
        const allowed = granter === 'creator' || (granter === 'admin' && r.body.role !== 'admin' && target.role !== 'admin');
        if (!allowed) break;
        const demoted = RANK[r.body.role] < RANK[target.role];
        target.role = r.body.role;
        record(roles, target.key, r.ts, r.body.role);
        // The latest role change decides: a demotion with heads restricts, a later promotion lifts it.
        const current = restrictions.get(target.key);
        if (current?.scope !== 'all') {
          if (demoted && r.body.heads) restrictions.set(target.key, { heads: r.body.heads, scope: 'authority' });
          else if (!demoted) restrictions.delete(target.key);
        }
        break;
      }
      case 'trust': {
        const target = members.get(r.body.member);
        if (target && atLeast(r.author, r.ts, 'admin')) {
          target.trust = r.body.level;
          record(trusts, target.key, r.ts, r.body.level);
        }
        break;
      }
      case 'level': {
        // Points levels are computed by staff devices, which read every scope; published like trust.
        const target = members.get(r.body.member);
        if (target && atLeast(r.author, r.ts, 'admin')) record(levels, target.key, r.ts, r.body.level);
        break;
      }
      case 'ban': {
        const target = members.get(r.body.member);
        const banner = role(r.author, r.ts);
        if (!target || !banner || target.role === 'creator') break;
        if (RANK[banner] < RANK.moderator || RANK[banner] <= RANK[target.role]) break;
        if (r.body.banned) {
          // The first ban in force keeps its heads: a later one may have seen records written while banned.
          if (target.bannedAt === null) {
            target.bannedAt = r.ts;
            if (r.body.heads) restrictions.set(target.key, { heads: r.body.heads, scope: 'all' });
          }
        } else {
          target.bannedAt = null;
          restrictions.delete(target.key);
        }
        break;
      }
    }
  }
  return state;
}

/**
 * How members' standing moved between two authorities, split by what a projection must redo for it:
 * - `shown`: whose records are shown or not differently, or whose moderation counts differently, or
 *   whose member row differs (a join, a ban or its lifting, a role, a restriction whose kept records
 *   moved): everything they wrote, and what it targets, is projected again;
 * - `hides`: whose hides count or not now (`mayHide`: trust crossed the level that may hide), the
 *   others being unchanged: the posts they hid;
 * - `quota`: whose receiving quota moved (trust, or staff who are not limited): their records' held
 *   flags, hour by hour.
 * Trust and points levels change nothing else a projection holds (no row carries them; pages read
 * them from the authority), and only a restriction that moved changes which of its member's records
 * are kept. Re-projecting every post of each restricted member and of each member whose trust moved
 * held the 10k creator's projection transaction 153–216 s for an append of the automation's trust
 * records (Chromium, load ~5), and every reader of posts or records behind it.
 */
export interface StandingMoved {
  shown: Set<string>;
  hides: Set<string>;
  quota: Set<string>;
}

/** Members whose standing differs between `before` (none: no authority yet) and `after`, by what depends on it (`StandingMoved`). */
export function standingMoved(before: Authority | undefined, after: Authority): StandingMoved {
  const out: StandingMoved = { shown: new Set(), hides: new Set(), quota: new Set() };
  // Joins and admissions appended alone move their authors only (at 10,000 members this saves
  // comparing them all for each join); anyone else may be judged.
  const keys =
    (before && membersMoved(after, before)) ??
    new Set([...(before?.members.keys() ?? []), ...after.members.keys(), ...after.restricted, ...(before?.restricted ?? [])]);
  for (const key of keys) {
    const a = before?.members.get(key);
    const b = after.members.get(key);
    if (
      !a ||
      !b ||
      a.role !== b.role ||
      a.joinedAt !== b.joinedAt ||
      a.bannedAt !== b.bannedAt ||
      a.tier !== b.tier ||
      a.invitedBy !== b.invitedBy ||
      a.join !== b.join
    )
      out.shown.add(key);
    else if (!sameRestriction(before!.restrictionOf(key), after.restrictionOf(key))) out.shown.add(key);
    else if (before!.mayHide(key) !== after.mayHide(key)) out.hides.add(key);
    if (!before || before.trustOf(key) !== after.trustOf(key) || before.isModerator(key) !== after.isModerator(key)) out.quota.add(key);
  }
  return out;
}

function sameRestriction(a: ReturnType<Authority['restrictionOf']>, b: ReturnType<Authority['restrictionOf']>): boolean {
  if (!a || !b) return a === b;
  return a.scope === b.scope && sameSet(a.kept, b.kept);
}
