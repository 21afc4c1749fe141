// Who may do what in a community, computed from the signed authority records alone
// (genesis, invite, join, grant, ban, and tombstones that revoke invites). Records are applied in
// (ts, id) order, so every peer with the same records reaches the same members, roles and bans.
import { compareRecords, type AnyRecord, type SignedRecord } from './record';

export type Role = 'creator' | 'admin' | 'moderator' | 'member';
const RANK: Record<Role, number> = { creator: 3, admin: 2, moderator: 1, member: 0 };

export interface Membership {
  key: string;
  role: Role;
  tier: string | null;
  joinedAt: number;
  /** The invite this member joined with (null for the creator). */
  invite: string | null;
  invitedBy: string | null;
  /** When a ban took effect; records from then on are not accepted. */
  bannedAt: number | null;
  /** Trust level published by the creator's or an admin's automation (0 until one is). */
  trust: number;
}

export interface InviteState {
  record: SignedRecord<'invite'>;
  uses: number;
  revokedAt: number | null;
}

export interface Authority {
  creator: string;
  members: ReadonlyMap<string, Membership>;
  invites: ReadonlyMap<string, InviteState>;
  /** May this key author a record at `ts`? (Joined at or before it, not banned by then.) */
  isMember(key: string, ts?: number): boolean;
  roleOf(key: string): Role | null;
  /** Moderator or above: may pin, hide, delete others' posts. */
  isModerator(key: string): boolean;
  /** Moderators, and members at trust level 3 (who may hide spam). */
  mayHide(key: string): boolean;
  trustOf(key: string): number;
}

export const AUTHORITY_KINDS = new Set(['genesis', 'invite', 'join', 'grant', 'ban', 'trust']);

/** Does this record change authority (given the invites known so far)? */
export function affectsAuthority(r: AnyRecord, invites: ReadonlyMap<string, unknown>): boolean {
  return AUTHORITY_KINDS.has(r.kind) || (r.kind === 'tombstone' && invites.has(r.body.target));
}

export function computeAuthority(genesis: SignedRecord<'genesis'>, records: Iterable<AnyRecord>): Authority {
  const creator = genesis.author;
  const members = new Map<string, Membership>([
    [creator, { key: creator, role: 'creator', tier: null, joinedAt: genesis.ts, invite: null, invitedBy: null, bannedAt: null, trust: 3 }]
  ]);
  const invites = new Map<string, InviteState>();
  const tombstones: SignedRecord<'tombstone'>[] = [];
  const ordered: AnyRecord[] = [];
  for (const r of records) {
    if (r.cid !== genesis.id) continue;
    if (r.kind === 'tombstone') tombstones.push(r);
    else if (r.kind === 'invite' || r.kind === 'join' || r.kind === 'grant' || r.kind === 'ban' || r.kind === 'trust') ordered.push(r);
  }
  ordered.sort(compareRecords);
  const role = (key: string, ts: number): Role | null => {
    const m = members.get(key);
    return m && m.joinedAt <= ts && (m.bannedAt === null || m.bannedAt > ts) ? m.role : null;
  };
  const atLeast = (key: string, ts: number, min: Role) => {
    const r = role(key, ts);
    return r !== null && RANK[r] >= RANK[min];
  };

  const mayInviteByTrust = (key: string, ts: number) => role(key, ts) !== null && (members.get(key)?.trust ?? 0) >= 2;

  for (const r of ordered) {
    switch (r.kind) {
      case 'invite': {
        // Admins may invite members and moderators; only the creator may invite admins; members at
        // trust level 2 may invite members.
        if (!atLeast(r.author, r.ts, 'admin') && !(mayInviteByTrust(r.author, r.ts) && r.body.role === 'member')) break;
        if (r.body.role === 'admin' && r.author !== creator) break;
        const revokers = tombstones.filter((t) => t.body.target === r.id && (t.author === r.author || t.author === creator));
        const revokedAt = revokers.length ? Math.min(...revokers.map((t) => t.ts)) : null;
        invites.set(r.id, { record: r, uses: 0, revokedAt });
        break;
      }
      case 'join': {
        const invite = invites.get(r.body.invite);
        if (!invite || members.has(r.author)) break;
        const { expiresAt, maxUses } = invite.record.body;
        if (expiresAt !== null && r.ts > expiresAt) break;
        if (invite.revokedAt !== null && r.ts >= invite.revokedAt) break;
        if (maxUses !== null && invite.uses >= maxUses) break;
        // The inviter must still hold invite rights when the invite is used.
        if (!atLeast(invite.record.author, r.ts, 'admin') && !mayInviteByTrust(invite.record.author, r.ts)) break;
        invite.uses++;
        members.set(r.author, {
          key: r.author,
          role: invite.record.body.role,
          tier: invite.record.body.tier ?? null,
          joinedAt: r.ts,
          invite: invite.record.id,
          invitedBy: invite.record.author,
          bannedAt: null,
          trust: 0
        });
        break;
      }
      case 'grant': {
        const target = members.get(r.body.member);
        if (!target || target.role === 'creator') break;
        const granter = role(r.author, r.ts);
        const allowed =
          granter === 'creator' || (granter === 'admin' && r.body.role !== 'admin' && target.role !== 'admin');
        if (allowed) target.role = r.body.role;
        break;
      }
      case 'trust': {
        const target = members.get(r.body.member);
        if (target && atLeast(r.author, r.ts, 'admin')) target.trust = r.body.level;
        break;
      }
      case 'ban': {
        const target = members.get(r.body.member);
        const banner = role(r.author, r.ts);
        if (!target || !banner || target.role === 'creator') break;
        if (RANK[banner] < RANK.moderator || RANK[banner] <= RANK[target.role]) break;
        target.bannedAt = r.body.banned ? (target.bannedAt ?? r.ts) : null;
        break;
      }
    }
  }

  return {
    creator,
    members,
    invites,
    isMember: (key, ts) => {
      const m = members.get(key);
      if (!m) return false;
      if (ts === undefined) return m.bannedAt === null;
      return m.joinedAt <= ts && (m.bannedAt === null || ts < m.bannedAt);
    },
    roleOf: (key) => members.get(key)?.role ?? null,
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

/** Members whose standing differs between two authorities: their records must be re-projected. */
export function changedMembers(before: Authority | undefined, after: Authority): Set<string> {
  const changed = new Set<string>();
  const keys = new Set([...(before?.members.keys() ?? []), ...after.members.keys()]);
  for (const key of keys) {
    const a = before?.members.get(key);
    const b = after.members.get(key);
    if (!a || !b || a.role !== b.role || a.joinedAt !== b.joinedAt || a.bannedAt !== b.bannedAt || a.trust !== b.trust) changed.add(key);
  }
  return changed;
}
