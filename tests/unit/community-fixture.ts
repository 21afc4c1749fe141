// Builds real signed records for unit tests: real keys, real signatures, no stubs.
import { generateIdentity, type Identity } from '../../src/lib/crypto/identity';
import { sealRecord } from '../../src/lib/crypto/record-seal';
import { generateInviteKey, signJoinProof } from '../../src/lib/crypto/invite-key';
import type { AnyRecord, BodyOf, Kind, SignedRecord } from '../../src/lib/domain/record';
import { HearthDb } from '../../src/lib/store/db';

export async function newMember(): Promise<Identity> {
  return (await generateIdentity()).identity;
}

export async function newCommunity(creator: Identity, name = 'Morning riders'): Promise<SignedRecord<'genesis'>> {
  return sealRecord(creator, {
    kind: 'genesis',
    cid: '',
    ts: 1_700_000_000_000,
    body: { name, description: 'A test community', emoji: '🚲', color: '#cc5500', createdAt: 1_700_000_000_000, nonce: 'n1' }
  });
}

export function writer(identity: Identity, cid: string, start = 1_700_000_001_000) {
  let ts = start;
  return <K extends Kind>(kind: K, body: BodyOf<K>, at?: number): Promise<SignedRecord<K>> => sealRecord(identity, { kind, cid, ts: at ?? (ts += 1000), body });
}

export type AnyWriter = ReturnType<typeof writer>;

/** Invite private keys made by `inviteKey`, by public key: the fixture plays the link's holder. */
const inviteSeeds = new Map<string, string>();

/** A fresh invite key for an invite body (`{ key }`); its private half is kept for `joinBody`. */
export function inviteKey(): { key: string } {
  const pair = generateInviteKey();
  inviteSeeds.set(pair.publicKey, pair.seed);
  return { key: pair.publicKey };
}

/** An invite to `cid` by `creator` at `ts`: an open invite for members unless `body` says otherwise. */
export function sealInvite(creator: Identity, cid: string, ts: number, body: Partial<BodyOf<'invite'>> = {}): Promise<SignedRecord<'invite'>> {
  return sealRecord(creator, {
    kind: 'invite',
    cid,
    ts,
    body: { role: 'member', expiresAt: null, maxUses: null, label: 'l', nonce: 'n', ...inviteKey(), ...body }
  }) as Promise<SignedRecord<'invite'>>;
}

/** The body of a valid join on `invite` by `member`: signed with the invite's private key, as the link's holder does. */
export function joinBody(invite: SignedRecord<'invite'>, member: Identity): BodyOf<'join'> {
  const seed = inviteSeeds.get(invite.body.key);
  if (!seed) throw new Error('invite key not made by this fixture');
  return { invite: invite.id, key: invite.body.key, proof: signJoinProof(seed, { cid: invite.cid, invite: invite.id, member: member.publicKey }) };
}
export type { AnyRecord };

/** An open invite from the creator and the member's join with it: makes `member` a member. */
export async function admit(creator: Identity, member: Identity, cid: string, at = 1_700_000_000_500, role: 'member' | 'moderator' | 'admin' = 'member') {
  const invite = await sealRecord(creator, {
    kind: 'invite',
    cid,
    ts: at,
    body: { role, expiresAt: null, maxUses: null, label: 'test', nonce: 'x', ...inviteKey() }
  });
  const join = await sealRecord(member, { kind: 'join', cid, ts: at + 1, body: joinBody(invite, member) });
  return [invite, join] as const;
}

/** A creator's community where Bob joined and replied to the creator's thread. */
export async function smallCommunity(name?: string) {
  const creator = await newMember();
  const bob = await newMember();
  const genesis = await newCommunity(creator, name);
  const cid = genesis.id;
  const a = writer(creator, cid);
  const b = writer(bob, cid, 1_700_000_100_000);
  const thread = await a('thread', { title: 'Ride', body: 'Sunday' });
  const reply = await b('reply', { thread: thread.id, parent: thread.id, body: 'In' });
  const records: AnyRecord[] = [genesis, ...(await admit(creator, bob, cid)), thread, reply];
  return { creator, bob, genesis, cid, a, b, thread, reply, records };
}

const MONTH = 30 * 24 * 3600_000;
/** Three months of 2023–24 (the genesis is dated 2023-11-14): the times `monthsCommunity` writes in. */
export const THREE_MONTHS = [1_700_000_001_000, 1_700_000_001_000 + MONTH, 1_700_000_001_000 + 2 * MONTH];

/** Alice's community, Bob a member, two threads of Alice's and a reply of Bob's to each in each of `THREE_MONTHS`. */
export async function monthsCommunity() {
  const alice = await newMember();
  const bob = await newMember();
  const g = await newCommunity(alice);
  const core: AnyRecord[] = [g, ...(await admit(alice, bob, g.id))];
  const content: AnyRecord[] = [];
  for (const start of THREE_MONTHS) {
    const a = writer(alice, g.id, start);
    const b = writer(bob, g.id, start + 500_000);
    for (let i = 0; i < 2; i++) {
      const thread = await a('thread', { title: `thread ${start} ${i}`, body: 'hello' });
      content.push(thread, await b('reply', { thread: thread.id, parent: thread.id, body: 'hi' }));
    }
  }
  return { alice, bob, g, core, content };
}

/** Like `writer`, but each record names the previous one as `prev`: the member's record chain, as the app writes it. */
export function chainWriter(identity: Identity, cid: string, start = 1_700_000_001_000, first?: string) {
  let ts = start;
  let prev = first;
  return async <K extends Kind>(kind: K, body: BodyOf<K>, at?: number, from?: string): Promise<SignedRecord<K>> => {
    const record = await sealRecord(identity, { kind, cid, ts: at ?? (ts += 1000), body, prev: from ?? prev });
    if (from === undefined) prev = record.id;
    return record;
  };
}

let devices = 0;

/** A device: its own database (named from `prefix`) with its member's identity stored, which its key state reads. */
export async function memberDevice(prefix: string): Promise<{ identity: Identity; db: HearthDb }> {
  const { identity, stored } = await generateIdentity();
  const db = new HearthDb(`${prefix}-${devices++}`);
  await db.identity.put({ key: 'me', ...stored, name: 'x', createdAt: 0 });
  return { identity, db };
}
