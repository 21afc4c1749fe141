// The invite tree (who brought whom) and the referral funnel: invites sent → joins → members
// still active 30 days after joining, for the community and for each inviter.

export interface InvitedMember {
  key: string;
  joinedAt: number;
  invitedBy: string | null;
}

export interface SentInvite {
  id: string;
  author: string;
  ts: number;
  /** Members who joined with it. */
  joins: string[];
}

export interface Referrals {
  member: string;
  invitesSent: number;
  joins: number;
  /** Joins at least 30 days old whose member was active from day 30 on. */
  active30: number;
  /** Joins at least 30 days old: the denominator of active30. */
  eligible30: number;
  /** Everyone below this member in the tree. */
  descendants: number;
}

export interface InviteTree {
  /** Parent of each member (null for the creator and for members whose inviter is unknown). */
  parent: Map<string, string | null>;
  children: Map<string, string[]>;
  depth: Map<string, number>;
  referrals: Referrals[];
  funnel: { invitesSent: number; joins: number; eligible30: number; active30: number; joinsPerInvite: number; active30Rate: number };
}

const DAY = 86_400_000;

export function inviteTree(members: InvitedMember[], invites: SentInvite[], lastActive: ReadonlyMap<string, number>, now: number): InviteTree {
  const parent = new Map<string, string | null>();
  const children = new Map<string, string[]>();
  const known = new Set(members.map((m) => m.key));
  for (const m of members) {
    const p = m.invitedBy && known.has(m.invitedBy) && m.invitedBy !== m.key ? m.invitedBy : null;
    parent.set(m.key, p);
    if (p) {
      let list = children.get(p);
      if (!list) children.set(p, (list = []));
      list.push(m.key);
    }
  }
  const depth = new Map<string, number>();
  const descendants = new Map<string, number>();
  // Iterative walk from the roots: a community of 10,000 must not overflow the stack.
  const roots = members.filter((m) => parent.get(m.key) === null).map((m) => m.key);
  const order: string[] = [];
  const stack = roots.map((r) => [r, 0] as [string, number]);
  while (stack.length) {
    const [k, d] = stack.pop()!;
    if (depth.has(k)) continue;
    depth.set(k, d);
    order.push(k);
    for (const c of children.get(k) ?? []) stack.push([c, d + 1]);
  }
  for (let i = order.length - 1; i >= 0; i--) {
    const k = order[i];
    descendants.set(
      k,
      (children.get(k) ?? []).reduce((s, c) => s + 1 + (descendants.get(c) ?? 0), 0)
    );
  }

  const joinedAt = new Map(members.map((m) => [m.key, m.joinedAt]));
  const byInviter = new Map<string, Referrals>();
  const row = (member: string) => {
    let r = byInviter.get(member);
    if (!r) byInviter.set(member, (r = { member, invitesSent: 0, joins: 0, active30: 0, eligible30: 0, descendants: descendants.get(member) ?? 0 }));
    return r;
  };
  let joins = 0;
  let eligible30 = 0;
  let active30 = 0;
  for (const inv of invites) {
    const r = row(inv.author);
    r.invitesSent++;
    for (const j of inv.joins) {
      const at = joinedAt.get(j);
      if (at === undefined) continue;
      r.joins++;
      joins++;
      if (at + 30 * DAY > now) continue;
      r.eligible30++;
      eligible30++;
      if ((lastActive.get(j) ?? -Infinity) >= at + 30 * DAY) {
        r.active30++;
        active30++;
      }
    }
  }
  return {
    parent,
    children,
    depth,
    referrals: [...byInviter.values()].sort((a, b) => b.joins - a.joins || (a.member < b.member ? -1 : 1)),
    funnel: {
      invitesSent: invites.length,
      joins,
      eligible30,
      active30,
      joinsPerInvite: invites.length ? joins / invites.length : 0,
      active30Rate: eligible30 ? active30 / eligible30 : 0
    }
  };
}
