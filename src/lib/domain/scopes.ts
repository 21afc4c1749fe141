// Read scopes and who is entitled to them: a pure function of the authority (members, roles,
// bans, published trust levels) and tier status (payments), at a given moment. Every peer with
// the same records gives the same answer, so every peer judges key records alike (domain/epochs).
import type { Authority, Role } from './authority';
import { dayNumber } from './challenges';
import { currentSettings, memberTier, tierDefinitions, type TierDefinition } from './membership';
import { SCOPE_PATTERN, type AnyRecord, type SignedRecord } from './record';

/** Every member; a paid tier (active, in grace, or lifetime); trust level n and above; points level n and above. */
export type Scope = 'all' | `tier:${string}` | `level:${1 | 2 | 3}` | `points:${PointsLevel}`;
export type PointsLevel = 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

/** Staff read every scope: they moderate and rotate keys. */
export const STAFF_ROLES: ReadonlySet<Role> = new Set(['creator', 'admin', 'moderator']);
/** Who may publish key records and key shares. */
export const KEY_ROLES: ReadonlySet<Role> = new Set(['creator', 'admin']);

export function parseScope(text: string): Scope | null {
  return SCOPE_PATTERN.test(text) ? (text as Scope) : null;
}

export function tierScope(name: string): Scope {
  return `tier:${name}`;
}

/** Content for points level `level` and above (level 1 is everyone: `all`). */
export function pointsScope(level: number): Scope {
  return level >= 2 && level <= 9 ? `points:${Math.floor(level) as PointsLevel}` : 'all';
}

/** The points level a scope asks for, or null when it asks for none. */
export function pointsLevelOf(scope: string): number | null {
  return scope.startsWith('points:') ? Number(scope.slice(7)) : null;
}

/** Everything entitlement needs besides the member and the moment, gathered once from the records. */
export interface ScopeContext {
  auth: Authority;
  tiers: ReadonlyMap<string, TierDefinition>;
  /** Payment records by member (memberTier filters by member; pre-grouping keeps 10,000 checks linear). */
  payments: ReadonlyMap<string, SignedRecord<'payment'>[]>;
  graceDays: number;
  /** From settings: a new epoch is due this many days after the newest (null: only on removals). */
  rotateDays: number | null;
}

export function scopeContext(records: readonly AnyRecord[], auth: Authority): ScopeContext {
  const settings = currentSettings(records, auth);
  const payments = new Map<string, SignedRecord<'payment'>[]>();
  for (const r of records) {
    if (r.kind !== 'payment') continue;
    let mine = payments.get(r.body.member);
    if (!mine) payments.set(r.body.member, (mine = []));
    mine.push(r);
  }
  return { auth, tiers: tierDefinitions(records, auth), payments, graceDays: settings.graceDays, rotateDays: settings.rotateDays ?? null };
}

const DAY = 86_400_000;

/**
 * The paid tier a member holds at `ts` (active, grace or lifetime), or null. Only payments dated
 * (paidOn) by then count: memberTier extends a period by every payment it is given, so a payment
 * made later would otherwise make the member look paid before they were.
 */
export function tierAt(ctx: ScopeContext, member: string, ts: number): string | null {
  const payments = (ctx.payments.get(member) ?? []).filter((p) => dayNumber(p.body.paidOn) * DAY <= ts);
  return memberTier(member, ctx.auth, ctx.tiers as Map<string, TierDefinition>, payments, ctx.graceDays, ts).tier;
}

/**
 * May `member` read `scope` at `ts`? A member then (joined, not banned); staff always; `all` any
 * member; `tier:X` holders of tier X then (a lapsed tier counts through its grace days, not after);
 * `level:n` members whose published trust level then was n or more; `points:n` members whose
 * published points level (`level` records, by staff automation) then was n or more. Tiers are not ordered: the
 * creator defines names and prices, not a hierarchy, so a post for two tiers is sealed twice.
 */
export function isEntitled(ctx: ScopeContext, member: string, scope: Scope, ts: number): boolean {
  const role = ctx.auth.roleAt(member, ts);
  if (role === null) return false;
  if (STAFF_ROLES.has(role) || scope === 'all') return true;
  if (scope.startsWith('level:')) return ctx.auth.trustAt(member, ts) >= Number(scope.slice(6));
  if (scope.startsWith('points:')) return ctx.auth.levelAt(member, ts) >= Number(scope.slice(7));
  return tierAt(ctx, member, ts) === scope.slice(5);
}

/** Every member entitled to `scope` at `ts`, in member-key order. */
export function entitledMembers(ctx: ScopeContext, scope: Scope, ts: number): string[] {
  return [...ctx.auth.members.keys()].filter((k) => isEntitled(ctx, k, scope, ts)).sort();
}

/** The scopes a community reads in: everyone, each defined tier, and any scope an epoch already exists for. */
export function knownScopes(ctx: ScopeContext, withEpochs: Iterable<Scope> = []): Scope[] {
  const out = new Set<Scope>(['all']);
  for (const name of ctx.tiers.keys()) out.add(tierScope(name));
  for (const s of withEpochs) out.add(s);
  return [...out].sort();
}
