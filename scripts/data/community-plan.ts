// A community described before signing: members by handle, posts referring to each other by local
// refs. `sealPlan` turns it into the signed records a real creator and real members would have made:
// genesis and an open invite by the creator, then for each member a join and a profile, then
// threads, replies and reactions, each signed by its author's deterministic key.
import { sealRecord } from '../../src/lib/crypto/record-seal';
import type { Identity } from '../../src/lib/crypto/identity';
import type { AnyRecord, BodyOf, Kind, SignedRecord } from '../../src/lib/domain/record';
import { compareRecords } from '../../src/lib/domain/record';
import { identityFor } from './member-keys';
import { inviteKeyOf, signJoinProof } from '../../src/lib/crypto/invite-key';
import { sha256, toBase64Url } from '../../src/lib/crypto/encoding';

export interface PlanMember {
  handle: string;
  name: string;
  /** When they joined, if the data says; otherwise shortly before their first record. */
  joinedAt?: number;
}

export type PlanPost =
  | { ref: string; kind: 'thread'; author: string; ts: number; title: string; body: string }
  | { ref: string; kind: 'reply'; author: string; ts: number; thread: string; parent: string; body: string }
  | { kind: 'reaction'; author: string; ts: number; target: string; emoji: string };

export interface CommunityPlan {
  /** Namespace of the member key seeds (see member-keys.ts). */
  keyNamespace: string;
  genesis: { name: string; description: string; emoji: string; color: string; createdAt: number; nonce: string; shards?: 'month' };
  invite: { label: string; nonce: string };
  members: PlanMember[];
  posts: PlanPost[];
}

/** The synthetic creator of every demo and benchmark community. */
export const DEMO_CREATOR = { namespace: 'hearth-demo', handle: 'creator', name: 'Hearth demo' };

export interface SealedCommunity {
  cid: string;
  records: AnyRecord[];
  /** Member handle -> member id (public key). */
  keys: Map<string, string>;
}

/** Runs `jobs` with at most `width` in flight: WebCrypto work is async, but 100k promises at once only cost memory. */
async function inBatches<T, R>(items: readonly T[], width: number, job: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width) out.push(...(await Promise.all(items.slice(i, i + width).map(job))));
  return out;
}

export async function sealPlan(plan: CommunityPlan, onProgress: (done: number, total: number) => void = () => {}): Promise<SealedCommunity> {
  const creator = await identityFor(DEMO_CREATOR.namespace, DEMO_CREATOR.handle);
  const start = plan.genesis.createdAt;
  const genesis = await sealRecord(creator, { kind: 'genesis', cid: '', ts: start, body: plan.genesis });
  const cid = genesis.id;
  const seal = <K extends Kind>(who: Identity, kind: K, ts: number, body: BodyOf<K>) => sealRecord(who, { kind, cid, ts, body });
  const creatorProfile = await seal(creator, 'profile', start + 1, { name: DEMO_CREATOR.name });
  // The invite key is derived like members' keys, so the same plan always seals the same records.
  const inviteSeed = toBase64Url((await sha256(new TextEncoder().encode(`hearth-invite-key:${plan.keyNamespace}:${plan.invite.nonce}`))).slice(0, 32));
  const invite = await seal(creator, 'invite', start + 2, {
    role: 'member',
    expiresAt: null,
    maxUses: null,
    label: plan.invite.label,
    nonce: plan.invite.nonce,
    key: inviteKeyOf(inviteSeed)!
  });

  const firstRecord = new Map<string, number>();
  for (const p of plan.posts) firstRecord.set(p.author, Math.min(firstRecord.get(p.author) ?? Infinity, p.ts));

  const identities = new Map<string, Identity>();
  const keys = new Map<string, string>();
  await inBatches(plan.members, 256, async (m) => {
    const id = await identityFor(plan.keyNamespace, m.handle);
    identities.set(m.handle, id);
    keys.set(m.handle, id.publicKey);
  });

  const total = plan.members.length * 2 + plan.posts.length;
  let done = 0;
  const tick = () => {
    if (++done % 5000 === 0) onProgress(done, total);
  };

  // A member must have joined at or before each record they author; the profile follows the join.
  const membership = await inBatches(plan.members, 256, async (m) => {
    const first = firstRecord.get(m.handle) ?? Infinity;
    const latest = Math.min(first - 2, m.joinedAt ?? first - 60_000);
    const joinTs = Math.max(invite.ts + 1, Math.round(latest));
    const who = identities.get(m.handle)!;
    const join = await seal(who, 'join', joinTs, {
      invite: invite.id,
      key: invite.body.key,
      proof: signJoinProof(inviteSeed, { cid, invite: invite.id, member: who.publicKey })
    });
    const profile = await sealRecord(who, { kind: 'profile', cid, ts: joinTs + 1, body: { name: m.name }, prev: join.id });
    tick();
    tick();
    return [join, profile];
  });

  // Each member's records form a chain through `prev` (join, profile, then posts by time), as the
  // app writes them, so a ban on an imported member keeps exactly what it names. A post can be
  // sealed once its parent and its author's previous post are: posts go in waves ("levels") of
  // records whose dependencies are all in earlier waves.
  const order = plan.posts.map((p, i) => ({ p, i })).sort((a, b) => a.p.ts - b.p.ts || a.i - b.i);
  const previous = new Map<PlanPost, PlanPost | null>();
  const lastOf = new Map<string, PlanPost>();
  for (const { p } of order) {
    previous.set(p, lastOf.get(p.author) ?? null);
    lastOf.set(p.author, p);
  }
  const byRef = new Map(plan.posts.filter((p): p is Extract<PlanPost, { ref: string }> => 'ref' in p).map((p) => [p.ref, p]));
  const refsOf = (p: PlanPost) => (p.kind === 'thread' ? [] : p.kind === 'reply' ? [p.thread, p.parent] : [p.target]);
  for (const p of plan.posts) for (const ref of refsOf(p)) if (!byRef.has(ref)) throw new Error(`a post refers to ${ref}, which is not in the plan`);
  const level = new Map<PlanPost, number>();
  const visiting = new Set<PlanPost>();
  // Iterative depth-first levels; a cycle (a parent dated after its child in odd data) drops that chain link.
  const brokenLink = new Set<PlanPost>();
  const levelOf = (start: PlanPost): number => {
    const stack: PlanPost[] = [start];
    while (stack.length) {
      const p = stack[stack.length - 1];
      if (level.has(p)) {
        stack.pop();
        continue;
      }
      visiting.add(p);
      const prev = brokenLink.has(p) ? null : (previous.get(p) ?? null);
      const deps = [...refsOf(p).map((r) => byRef.get(r)!), ...(prev ? [prev] : [])];
      const waiting = deps.filter((d) => !level.has(d));
      const cyclic = waiting.find((d) => visiting.has(d));
      if (cyclic) {
        if (cyclic === prev) brokenLink.add(p);
        else throw new Error('posts refer to each other in a cycle');
        continue;
      }
      if (waiting.length) {
        stack.push(...waiting);
        continue;
      }
      level.set(p, 1 + Math.max(0, ...deps.map((d) => level.get(d)!)));
      visiting.delete(p);
      stack.pop();
    }
    return level.get(start)!;
  };
  const waves: PlanPost[][] = [];
  for (const { p } of order) (waves[levelOf(p) - 1] ??= []).push(p);

  const ids = new Map<string, string>();
  const sealedId = new Map<PlanPost, string>();
  const profileOf = new Map<string, string>();
  for (const [, profile] of membership) profileOf.set(profile.author, profile.id);
  const posts: AnyRecord[] = [];
  for (const wave of waves) {
    if (!wave) continue;
    const sealed = await inBatches(wave, 512, async (p) => {
      const who = identities.get(p.author);
      if (!who) throw new Error(`post by unknown member ${p.author}`);
      const before = brokenLink.has(p) ? null : previous.get(p);
      const prev = before ? sealedId.get(before) : profileOf.get(who.publicKey);
      const sealChained = <K extends Kind>(kind: K, body: BodyOf<K>) => sealRecord(who, { kind, cid, ts: p.ts, body, prev });
      let record: AnyRecord;
      if (p.kind === 'thread') record = await sealChained('thread', { title: p.title, body: p.body });
      else if (p.kind === 'reply') record = await sealChained('reply', { thread: ids.get(p.thread)!, parent: ids.get(p.parent)!, body: p.body });
      else record = await sealChained('reaction', { target: ids.get(p.target)!, emoji: p.emoji, on: true });
      tick();
      return [p, record] as const;
    });
    for (const [p, record] of sealed) {
      if (p.kind !== 'reaction') ids.set(p.ref, record.id);
      sealedId.set(p, record.id);
      posts.push(record);
    }
  }
  onProgress(total, total);

  const rest = [...membership.flat(), ...posts].sort(compareRecords);
  // Equal content gives an equal id; keep one copy so the file holds each record once.
  const seen = new Set<string>([genesis.id, creatorProfile.id, invite.id]);
  const unique = rest.filter((r) => !seen.has(r.id) && !!seen.add(r.id));
  return { cid, records: [genesis as SignedRecord<'genesis'>, creatorProfile, invite, ...unique], keys };
}
