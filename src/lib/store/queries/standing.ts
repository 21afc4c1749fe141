// One member's standing in a community, in a few hundred bytes: what a page shows and decides by
// (role, ban, a join waiting for its admit, published trust and points level, paid tier, the
// community's settings and tiers, the notices addressed to them). Worked out from the authority,
// which replays every member's records: where the document is (the community worker), never on a
// page that only needs the answer for one member.
import type { Role } from '../../domain/authority';
import { firstPerAutoKey } from '../../domain/automation';
import { currentSettings, memberTier, tierDefinitions, type MemberTier, type Settings, type TierDefinition } from '../../domain/membership';
import type { SignedRecord } from '../../domain/record';
import type { HearthDb } from '../db';
import { authorityOf } from '../projection';
import { recordsOfKind } from '../record-store';

export interface Standing {
  /** The member's role now; null when not a member (never joined, banned, or a join still waiting). */
  role: Role | null;
  banned: boolean;
  /** The member's join while it waits for an admit (limited invites): the invite and who can admit. */
  pending: { invite: string; inviter: string } | null;
  /** Trust level published for the member (0 until one is). */
  trust: number;
  /** Points level published for the member as of now (1 until one is): what level-limited content opens by. */
  level: number;
  /** The member's paid tier now (null: not a member). */
  tier: MemberTier | null;
  /** Members the authority knows, removed ones included (the member rows), and those not removed. */
  members: number;
  currentMembers: number;
  settings: Settings;
  tiers: TierDefinition[];
  /** Notices addressed to the member (welcomes, reminders), newest first. */
  notices: SignedRecord<'notice'>[];
}

/** `me`'s standing in the community at `now`; null until its genesis is known. */
export async function standingOf(db: HearthDb, cid: string, me: string, now: number): Promise<Standing | null> {
  const auth = await authorityOf(db, cid);
  if (!auth) return null;
  const [settingsRecords, tierRecords, payments, notices] = await Promise.all([
    recordsOfKind(db, cid, 'settings'),
    recordsOfKind(db, cid, 'tier'),
    recordsOfKind(db, cid, 'payment'),
    recordsOfKind(db, cid, 'notice')
  ]);
  const settings = currentSettings(settingsRecords, auth);
  const tiers = tierDefinitions(tierRecords, auth);
  const membership = auth.members.get(me);
  const banned = membership !== undefined && membership.bannedAt !== null;
  const join = auth.pending.get(me);
  let currentMembers = 0;
  for (const m of auth.members.values()) if (m.bannedAt === null) currentMembers++;
  // As the community's facts show them (automation/community-facts): accepted, and automation's only from staff, first per key.
  const shown = firstPerAutoKey(notices.filter((n) => auth.accepts(n) && (!n.body.auto || ['creator', 'admin'].includes(auth.roleOf(n.author) ?? ''))));
  return {
    role: membership && !banned ? membership.role : null,
    banned,
    pending: join && !auth.isMember(me) ? { invite: join.body.invite, inviter: auth.invites.get(join.body.invite)?.record.author ?? auth.creator } : null,
    trust: auth.trustOf(me),
    level: auth.levelAt(me, now),
    tier: membership
      ? memberTier(
          me,
          auth,
          tiers,
          payments.filter((p) => p.body.member === me && auth.accepts(p)),
          settings.graceDays,
          now
        )
      : null,
    members: auth.members.size,
    currentMembers,
    settings,
    tiers: [...tiers.values()],
    notices: shown.filter((n) => n.body.to === me).sort((a, b) => b.ts - a.ts)
  };
}
