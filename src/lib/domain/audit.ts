// The audit trail: every authority action in a community, read from the signed records themselves
// (who, when, what), so any member's device can show the same list and nobody can edit it.
import type { Authority } from './authority';
import { compareRecords, type AnyRecord } from './record';

export type AuditAction =
  | 'grant'
  | 'ban'
  | 'unban'
  | 'hide'
  | 'unhide'
  | 'invite'
  | 'revoke'
  | 'admit'
  | 'key'
  | 'key_share'
  | 'payment'
  | 'tier'
  | 'settings'
  | 'shards'
  | 'trust_lock'
  | 'slowmode'
  | 'pin'
  | 'feature';

export interface AuditEntry {
  id: string;
  ts: number;
  actor: string;
  action: AuditAction;
  /** The member or record the action is about, when there is one. */
  subject: string | null;
  /** Facts for the sentence: a role, a tier, an amount, a scope, a count. */
  detail: Record<string, string | number>;
}

/** Authority actions that count (their author may take them, or they would not change anything), newest first. */
export function auditEntries(records: readonly AnyRecord[], auth: Authority): AuditEntry[] {
  const out: AuditEntry[] = [];
  const invites = auth.invites;
  const RANK = { creator: 3, admin: 2, moderator: 1, member: 0 } as const;
  // The role the author held when they acted (a later demotion does not erase what they did then).
  const atLeast = (r: AnyRecord, min: keyof typeof RANK) => {
    const role = auth.roleAt(r.author, r.ts);
    return role !== null && RANK[role] >= RANK[min] && auth.mayAct(r);
  };
  const STAFF_KINDS = new Set(['grant', 'payment', 'tier', 'settings', 'shards', 'trust-lock', 'key', 'key-share']);
  const MOD_KINDS = new Set(['ban', 'hide', 'slowmode', 'pin', 'feature']);
  for (const r of records) {
    if (r.kind === 'genesis' || !auth.accepts(r)) continue;
    if (STAFF_KINDS.has(r.kind) && !atLeast(r, 'admin')) continue;
    if (MOD_KINDS.has(r.kind) && !atLeast(r, 'moderator') && !(r.kind === 'hide' && auth.mayHide(r.author))) continue;
    const base = { id: r.id, ts: r.ts, actor: r.author };
    switch (r.kind) {
      case 'grant':
        out.push({ ...base, action: 'grant', subject: r.body.member, detail: { role: r.body.role } });
        break;
      case 'ban':
        out.push({ ...base, action: r.body.banned ? 'ban' : 'unban', subject: r.body.member, detail: r.body.reason ? { reason: r.body.reason } : {} });
        break;
      case 'hide':
        out.push({ ...base, action: r.body.hidden ? 'hide' : 'unhide', subject: r.body.target, detail: {} });
        break;
      case 'invite':
        if (invites.has(r.id))
          out.push({ ...base, action: 'invite', subject: null, detail: { role: r.body.role, label: r.body.label, uses: r.body.maxUses ?? '∞' } });
        break;
      case 'tombstone':
        if (invites.has(r.body.target))
          out.push({ ...base, action: 'revoke', subject: r.body.target, detail: { label: invites.get(r.body.target)!.record.body.label } });
        break;
      case 'admit':
        out.push({ ...base, action: 'admit', subject: r.body.invite, detail: { count: r.body.joins.length } });
        break;
      case 'key':
        if (r.body.part === 0) out.push({ ...base, action: 'key', subject: null, detail: { scope: r.body.scope, reason: r.body.reason } });
        break;
      case 'key-share':
        out.push({ ...base, action: 'key_share', subject: null, detail: { scope: r.body.scope, count: r.body.wraps.length } });
        break;
      case 'payment':
        out.push({
          ...base,
          action: 'payment',
          subject: r.body.member,
          detail: { tier: r.body.tier, amount: r.body.amount, currency: r.body.currency, paidOn: r.body.paidOn }
        });
        break;
      case 'tier':
        out.push({ ...base, action: 'tier', subject: null, detail: { tier: r.body.name, price: r.body.price } });
        break;
      case 'settings':
        out.push({ ...base, action: 'settings', subject: null, detail: {} });
        break;
      case 'shards':
        out.push({ ...base, action: 'shards', subject: null, detail: {} });
        break;
      case 'trust-lock':
        out.push({ ...base, action: 'trust_lock', subject: r.body.member, detail: { level: r.body.level ?? '–' } });
        break;
      case 'slowmode':
        out.push({ ...base, action: 'slowmode', subject: r.body.thread, detail: { seconds: r.body.seconds } });
        break;
      case 'pin':
        out.push({ ...base, action: 'pin', subject: r.body.target, detail: { pinned: r.body.pinned ? 1 : 0 } });
        break;
      case 'feature':
        out.push({ ...base, action: 'feature', subject: r.body.target, detail: { featured: r.body.featured ? 1 : 0 } });
        break;
    }
  }
  return out.sort((a, b) => compareRecords(b, a));
}
