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
  genesis: { name: string; description: string; emoji: string; color: string; createdAt: number; nonce: string };
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
    const join = await seal(who, 'join', joinTs, { invite: invite.id, key: invite.body.key, proof: signJoinProof(inviteSeed, { cid, invite: invite.id, member: who.publicKey }) });
    const profile = await seal(who, 'profile', joinTs + 1, { name: m.name });
    tick();
    tick();
    return [join, profile];
  });

  // Posts are sealed parents first: a reply's body names its thread's and parent's record ids.
  const ids = new Map<string, string>();
  const posts: AnyRecord[] = [];
  let pending = plan.posts;
  while (pending.length) {
    const ready = pending.filter((p) =>
      p.kind === 'thread' ? true : p.kind === 'reply' ? ids.has(p.thread) && ids.has(p.parent) : ids.has(p.target)
    );
    if (ready.length === 0) throw new Error(`${pending.length} posts refer to posts that are not in the plan`);
    const readySet = new Set(ready);
    pending = pending.filter((p) => !readySet.has(p));
    const sealed = await inBatches(ready, 512, async (p) => {
      const who = identities.get(p.author);
      if (!who) throw new Error(`post by unknown member ${p.author}`);
      let record: AnyRecord;
      if (p.kind === 'thread') record = await seal(who, 'thread', p.ts, { title: p.title, body: p.body });
      else if (p.kind === 'reply')
        record = await seal(who, 'reply', p.ts, { thread: ids.get(p.thread)!, parent: ids.get(p.parent)!, body: p.body });
      else record = await seal(who, 'reaction', p.ts, { target: ids.get(p.target)!, emoji: p.emoji, on: true });
      tick();
      return [p, record] as const;
    });
    for (const [p, record] of sealed) {
      if (p.kind !== 'reaction') ids.set(p.ref, record.id);
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
