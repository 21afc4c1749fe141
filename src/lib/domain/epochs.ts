// Epochs of scope keys, judged from `key` and `key-share` records alone (no key material needed):
// which epochs count, how they form a DAG per scope, which are current, and when a rotation is due.
// Deterministic from the records, so every peer accepts the same epochs and rejects the same forgeries.
//
// - An epoch is identified by its `epoch` nonce (random, chosen before signing, shared by all parts of
//   a large rotation; a record id cannot be known before its own body is).
// - Only the creator or an admin at the record's `ts` may publish (`Authority.roleAt`, `mayAct`: a
//   demoted admin's records outside the causal past of the demotion do not count).
// - Every wrap must be for a member entitled to the scope at the record's `ts`; one wrap for anyone
//   else (a banned member, a lapsed tier) rejects the whole epoch, every part of it. A wrap for a key
//   no join or ban seen here names waits to be judged until one does (`Authority.known`).
// - The first record by (ts, id) of a nonce fixes its header; a later one with another header is a
//   replay, one with the same part again a nonce reuse: both rejected, the original stays.
// - Concurrent rotations (two epochs with the same parents) both stay; the current epochs are the
//   DAG's leaves and a later rotation lists all it saw as `parents`, merging them.
import { compareRecords, WRAP_TAG_LENGTH, type AnyRecord, type SignedRecord } from './record';
import { entitledMembers, isEntitled, KEY_ROLES, type Scope, type ScopeContext } from './scopes';

const DAY = 86_400_000;

export type KeyRejectReason =
  | 'key.not_staff'
  | 'key.bad_part'
  | 'key.epoch_replayed'
  | 'key.nonce_reused'
  | 'key.bad_parent'
  | 'key.recipient_not_entitled'
  | 'key.unknown_epoch'
  | 'key.share_before_epoch';

export interface Epoch {
  /** The epoch nonce: what content names (`sealed.epoch`) and later epochs list as parents. */
  id: string;
  scope: Scope;
  author: string;
  ts: number;
  parents: readonly string[];
  commit: string;
  reason: SignedRecord<'key'>['body']['reason'];
  parts: number;
  /** The parts received so far, in part order. */
  records: SignedRecord<'key'>[];
  /** All parts received: until then a member whose wrap is in a missing part cannot read yet. */
  complete: boolean;
}

export interface RejectedKeyRecord {
  record: SignedRecord<'key'> | SignedRecord<'key-share'>;
  reason: KeyRejectReason;
}

export interface EpochView {
  /** Accepted epochs by id. */
  epochs: ReadonlyMap<string, Epoch>;
  /** Accepted epochs per scope, oldest first by (ts, id). */
  byScope: ReadonlyMap<Scope, Epoch[]>;
  /** Accepted key shares, oldest first. */
  shares: SignedRecord<'key-share'>[];
  rejected: RejectedKeyRecord[];
}

/** The recipient tag a wrap starts with: the first characters of the member id. */
export function wrapTag(member: string): string {
  return member.slice(0, WRAP_TAG_LENGTH);
}

const tagIndexes = new WeakMap<ReadonlySet<string> | ReadonlyMap<string, unknown>, ReadonlyMap<string, readonly string[]>>();

/**
 * Member keys by wrap tag (a collision is legal and lists two members), of a set of keys or a map's
 * keys. An authority's sets are not changed once made, so the index is made once for each: judging a
 * join's key share, the key records and each scope's holders asked it of the same authority.
 */
export function tagIndex(members: ReadonlySet<string> | ReadonlyMap<string, unknown>): ReadonlyMap<string, readonly string[]> {
  let index = tagIndexes.get(members);
  if (!index) tagIndexes.set(members, (index = indexTags(members.keys())));
  return index;
}

function indexTags(members: Iterable<string>): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const key of members) {
    const tag = wrapTag(key);
    const list = index.get(tag);
    if (list) list.push(key);
    else index.set(tag, [key]);
  }
  return index;
}

/**
 * Judges every key and key-share record. `records` may hold any records (others are ignored);
 * the result depends only on the set, never on the order they are given in.
 */
export function validKeyRecords(records: Iterable<AnyRecord>, ctx: ScopeContext): EpochView {
  const keys: SignedRecord<'key'>[] = [];
  const shares: SignedRecord<'key-share'>[] = [];
  for (const r of records) {
    if (r.kind === 'key') keys.push(r);
    else if (r.kind === 'key-share') shares.push(r);
  }
  keys.sort(compareRecords);
  shares.sort(compareRecords);
  const rejected: RejectedKeyRecord[] = [];

  // Group by nonce: the first record by (ts, id) fixes the epoch's header.
  const groups = new Map<string, { head: SignedRecord<'key'>; parts: Map<number, SignedRecord<'key'>> }>();
  for (const r of keys) {
    if (!mayPublishKeys(ctx, r)) rejected.push({ record: r, reason: 'key.not_staff' });
    else if (r.body.part >= r.body.parts) rejected.push({ record: r, reason: 'key.bad_part' });
    else {
      const group = groups.get(r.body.epoch);
      if (!group) groups.set(r.body.epoch, { head: r, parts: new Map([[r.body.part, r]]) });
      else if (headerOf(group.head) !== headerOf(r)) rejected.push({ record: r, reason: 'key.epoch_replayed' });
      else if (group.parts.has(r.body.part)) rejected.push({ record: r, reason: 'key.nonce_reused' });
      else group.parts.set(r.body.part, r);
    }
  }

  const wrapsEntitled = entitlementOfWraps(ctx);

  const epochs = new Map<string, Epoch>();
  for (const [id, { head, parts }] of groups) {
    const records = [...parts.values()].sort((a, b) => a.body.part - b.body.part);
    const { scope, parents } = head.body;
    const badParent = parents.some((p) => {
      const parent = groups.get(p)?.head;
      return p === id || (parent !== undefined && (parent.body.scope !== scope || parent.ts >= head.ts));
    });
    let reason: KeyRejectReason | null = badParent ? 'key.bad_parent' : null;
    if (!reason && !records.every((r) => wrapsEntitled(r.body.wraps, scope as Scope, head.ts))) reason = 'key.recipient_not_entitled';
    if (reason) {
      for (const record of records) rejected.push({ record, reason });
      continue;
    }
    epochs.set(id, {
      id,
      scope: scope as Scope,
      author: head.author,
      ts: head.ts,
      parents: [...parents],
      commit: head.body.commit,
      reason: head.body.reason,
      parts: head.body.parts,
      records,
      complete: records.length === head.body.parts
    });
  }

  const acceptedShares: SignedRecord<'key-share'>[] = [];
  const judgeShare = shareJudge(epochs, ctx, wrapsEntitled);
  for (const r of shares) {
    const reason = judgeShare(r);
    if (reason) rejected.push({ record: r, reason });
    else acceptedShares.push(r);
  }

  const byScope = new Map<Scope, Epoch[]>();
  for (const e of [...epochs.values()].sort(compareEpochs)) {
    const list = byScope.get(e.scope);
    if (list) list.push(e);
    else byScope.set(e.scope, [e]);
  }
  rejected.sort((a, b) => compareRecords(a.record, b.record));
  return { epochs, byScope, shares: acceptedShares, rejected };
}

/**
 * A wrap is for a member entitled then if its tag names one (a colliding tag needs only one of
 * them). A tag naming no key seen here is not judged: that member's join has not arrived (a
 * newcomer holds the core without the joins of ordinary members until the history comes), and
 * once it has, the wrap is judged like any other.
 */
function entitlementOfWraps(ctx: ScopeContext): (wraps: readonly string[], scope: Scope, ts: number) => boolean {
  const tags = tagIndex(ctx.auth.known);
  const entitled = new Map<string, boolean>();
  return (wraps, scope, ts) =>
    wraps.every((w) => {
      const named = tags.get(w.slice(0, WRAP_TAG_LENGTH));
      return (
        !named ||
        named.some((m) => {
          const key = `${m}\u0000${scope}\u0000${ts}`;
          let ok = entitled.get(key);
          if (ok === undefined) entitled.set(key, (ok = isEntitled(ctx, m, scope, ts)));
          return ok;
        })
      );
    });
}

/** Why a key share is refused (null: accepted): it depends on its epoch, its author and its wraps alone, never on the other shares. */
function shareJudge(
  epochs: ReadonlyMap<string, Epoch>,
  ctx: ScopeContext,
  wrapsEntitled: (wraps: readonly string[], scope: Scope, ts: number) => boolean
): (r: SignedRecord<'key-share'>) => KeyRejectReason | null {
  return (r) => {
    const epoch = epochs.get(r.body.epoch);
    if (!mayPublishKeys(ctx, r)) return 'key.not_staff';
    if (!epoch || epoch.scope !== r.body.scope) return 'key.unknown_epoch';
    if (r.ts < epoch.ts) return 'key.share_before_epoch';
    if (!wrapsEntitled(r.body.wraps, epoch.scope, r.ts)) return 'key.recipient_not_entitled';
    return null;
  };
}

function mayPublishKeys(ctx: ScopeContext, r: SignedRecord<'key'> | SignedRecord<'key-share'>): boolean {
  const role = ctx.auth.roleAt(r.author, r.ts);
  return role !== null && KEY_ROLES.has(role) && ctx.auth.mayAct(r);
}

/**
 * `view` (judged under `ctx`) with key shares added, judged as `validKeyRecords` judges them under the
 * same context: what it gives over the view's records and these. A staff device's key share for a
 * newcomer judged the community's every key record again (0.3–0.5 s at 10,000 members) before the
 * newcomer's first page could be sealed with the key.
 */
export function withShares(view: EpochView, ctx: ScopeContext, shares: readonly SignedRecord<'key-share'>[]): EpochView {
  const seen = new Set([...view.shares.map((r) => r.id), ...view.rejected.map((r) => r.record.id)]);
  const judge = shareJudge(view.epochs, ctx, entitlementOfWraps(ctx));
  const accepted = [...view.shares];
  const rejected = [...view.rejected];
  for (const r of shares) {
    if (seen.has(r.id)) continue;
    seen.add(r.id);
    const reason = judge(r);
    if (reason) rejected.push({ record: r, reason });
    else accepted.push(r);
  }
  accepted.sort(compareRecords);
  rejected.sort((a, b) => compareRecords(a.record, b.record));
  return { ...view, shares: accepted, rejected };
}

/**
 * Whether `validKeyRecords` over `records` judges alike under two contexts that differ only in these
 * members' standing (joined, admitted: `membersMoved`), the context's other parts read from the same
 * records. It reads a member's standing where the member authored a record (a key published, a tier
 * defined) and where a wrap's tag names them, and nowhere else: when neither happens, every epoch and
 * share is judged as before. A join at 10,000 members made the creator's device judge every key record
 * again (0.56 s at load 19) before the newcomer's key share could go out.
 */
export function judgedAlike(records: Iterable<AnyRecord>, members: ReadonlySet<string>): boolean {
  if (!members.size) return true;
  const tags = new Set([...members].map(wrapTag));
  for (const r of records) {
    if (members.has(r.author)) return false;
    if ((r.kind === 'key' || r.kind === 'key-share') && r.body.wraps.some((w) => tags.has(w.slice(0, WRAP_TAG_LENGTH)))) return false;
  }
  return true;
}

/** What every part of one epoch must agree on (the wraps and the ephemeral key differ per part). */
function headerOf(r: SignedRecord<'key'>): string {
  const b = r.body;
  return JSON.stringify([r.author, r.ts, b.scope, [...b.parents].sort(), b.commit, b.parts, b.reason]);
}

/** Oldest first by (ts, id): the order "newest leaf" is taken in. */
export function compareEpochs(a: Pick<Epoch, 'ts' | 'id'>, b: Pick<Epoch, 'ts' | 'id'>): number {
  return a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The current epochs of a scope: those no accepted epoch of the scope lists as a parent. Newest first. */
export function currentEpochs(view: EpochView, scope: Scope): Epoch[] {
  const all = view.byScope.get(scope) ?? [];
  const named = new Set(all.flatMap((e) => e.parents));
  return all.filter((e) => !named.has(e.id)).reverse();
}

/**
 * The epoch new content of `scope` is sealed under: the newest current epoch (by (ts, id)) the
 * author holds. Null when the author holds none (then ask for a share, or rotate if staff).
 */
export function epochForSealing(view: EpochView, scope: Scope, holds: (epoch: string) => boolean): Epoch | null {
  return currentEpochs(view, scope).find((e) => holds(e.id)) ?? null;
}

/** Members a wrap of this epoch may be for (its parts and its accepted shares), by tag. */
export function holdersOf(view: EpochView, epoch: string, tags: ReadonlyMap<string, readonly string[]>): Set<string> {
  const out = new Set<string>();
  const add = (wraps: readonly string[]) => {
    for (const w of wraps) for (const m of tags.get(w.slice(0, WRAP_TAG_LENGTH)) ?? []) out.add(m);
  };
  for (const r of view.epochs.get(epoch)?.records ?? []) add(r.body.wraps);
  for (const s of view.shares) if (s.body.epoch === epoch) add(s.body.wraps);
  return out;
}

export type RotationReason =
  | { kind: 'none' }
  | { kind: 'removal'; members: string[] }
  | { kind: 'schedule'; since: number }
  | { kind: 'incomplete'; epochs: string[] };

/**
 * An epoch still missing parts this long after its time lost them: they are published together
 * (one document update), so a part that has not arrived by now was never written (its author's tab
 * died between parts, before they went out together). Its missing members, and its author's own
 * device if its wrap was there, can never read it: a new epoch takes its place.
 */
export const INCOMPLETE_EPOCH_MS = 10 * 60_000;

export interface ScopeStatus {
  scope: Scope;
  /** Accepted epochs of the scope, oldest first. */
  epochs: Epoch[];
  /** Current epochs (DAG leaves), newest first; more than one after concurrent rotations. */
  current: Epoch[];
  /** Members entitled now. */
  entitled: string[];
  /** Why a new epoch is due now (empty: not due). A rotation lists every current epoch as a parent. */
  due: RotationReason[];
  /** Per current epoch, members entitled now who hold no wrap of it: a key share is due for them. */
  missing: { epoch: string; members: string[] }[];
}

/**
 * Where a scope stands at `now`. A rotation is due when there is no epoch yet, when anyone who may
 * hold a current epoch key is no longer entitled (banned, lapsed past grace, downgraded, gone, a
 * demoted admin), or when the newest epoch is older than the settings' `rotateDays`.
 */
export function scopeStatus(view: EpochView, ctx: ScopeContext, scope: Scope, now: number): ScopeStatus {
  const epochs = view.byScope.get(scope) ?? [];
  const current = currentEpochs(view, scope);
  const entitled = entitledMembers(ctx, scope, now);
  const entitledSet = new Set(entitled);
  const tags = tagIndex(ctx.auth.members);
  const due: RotationReason[] = [];
  const missing: { epoch: string; members: string[] }[] = [];
  if (!current.length) due.push({ kind: 'none' });
  const removed = new Set<string>();
  for (const e of current) {
    const holders = holdersOf(view, e.id, tags);
    for (const h of holders) if (!entitledSet.has(h)) removed.add(h);
    const lacking = entitled.filter((m) => !holders.has(m));
    if (lacking.length) missing.push({ epoch: e.id, members: lacking });
  }
  if (removed.size) due.push({ kind: 'removal', members: [...removed].sort() });
  const incomplete = current.filter((e) => !e.complete && now >= e.ts + INCOMPLETE_EPOCH_MS).map((e) => e.id);
  if (incomplete.length) due.push({ kind: 'incomplete', epochs: incomplete });
  const newest = current[0];
  if (newest && ctx.rotateDays !== null && now >= newest.ts + ctx.rotateDays * DAY) due.push({ kind: 'schedule', since: newest.ts + ctx.rotateDays * DAY });
  return { scope, epochs, current, entitled, due, missing };
}

/** A scope's key as the staff view shows it: since when, how many of the entitled hold it, who waits. */
export interface ScopeKeyRow {
  scope: string;
  since: number | null;
  holders: number;
  entitled: number;
  waiting: string[];
}
