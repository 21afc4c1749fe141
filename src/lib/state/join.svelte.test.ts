// A newcomer's join from a long link, on a page beside the community's document (two connections to
// one database, as a page and the community worker hold): the invite and the newcomer's standing are
// the document's side's answers, and the join and profile go out through the one write path.
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { newCommunity, newMember } from '../../../tests/unit/community-fixture';
import { generateInviteKey, signJoinProof } from '../crypto/invite-key';
import type { InvitePayload } from '../crypto/invite-token';
import { sealRecord } from '../crypto/record-seal';
import type { Identity } from '../crypto/identity';
import type { AnyRecord } from '../domain/record';
import { HearthDb } from '../store/db';
import * as keyring from '../store/keyring';
import * as projection from '../store/projection';
import { recordsOfKind } from '../store/record-store';
import { CommunityDoc } from '../sync/community-doc';
import { readsOver } from '../sync/community-reads';
import { JoinFlow } from './join.svelte';

// The document's side (the community worker's, here on this thread), and no peers to sync with.
const side = vi.hoisted(() => ({ doc: null as CommunityDoc | null, atSync: null as (() => Promise<void>) | null }));
vi.mock('../sync/registry', () => ({
  openCommunityDoc: async () => side.doc,
  // What reaches the device once its sync starts (the community's core), and no peer after.
  startSync: async () => {
    await side.atSync?.();
    side.atSync = null;
    return null;
  },
  communityReads: () => {
    throw new Error('the test gives the reads');
  }
}));
vi.mock('../store/projection', async (original) => {
  const actual = await original<typeof import('../store/projection')>();
  return { ...actual, authorityOf: vi.fn(actual.authorityOf) };
});
vi.mock('../store/keyring', async (original) => {
  const actual = await original<typeof import('../store/keyring')>();
  return { ...actual, keyState: vi.fn(actual.keyState) };
});

let n = 0;

/** A community with an open invite, its document open on the worker's connection, and the newcomer's link. */
async function invited(banned?: (creator: Identity, newcomer: Identity, cid: string) => Promise<AnyRecord[]>, maxUses: number | null = null) {
  const creator = await newMember();
  const newcomer = await newMember();
  const genesis = await newCommunity(creator);
  const key = generateInviteKey();
  const invite = await sealRecord(creator, {
    kind: 'invite',
    cid: genesis.id,
    ts: Date.now() - 60_000,
    body: { role: 'member', expiresAt: null, maxUses, label: 'link', nonce: 'j', key: key.publicKey }
  });
  const name = `join-${n++}`;
  const worker = new HearthDb(name);
  side.doc = new CommunityDoc(worker, genesis.id);
  await side.doc.open();
  for (const r of [genesis, invite, ...((await banned?.(creator, newcomer, genesis.id)) ?? [])]) await side.doc.append(r as AnyRecord);
  const payload: InvitePayload = {
    cid: genesis.id,
    secret: 'room',
    signaling: [],
    relay: null,
    genesis,
    invite,
    inviterName: 'Alice',
    inviteKey: key.seed
  };
  const page = new HearthDb(name);
  const flow = new JoinFlow(page, () => readsOver(worker));
  flow.invite = payload;
  return { flow, page, worker, newcomer, creator, cid: genesis.id, key, invite };
}

/** An earlier invite of the creator's and the newcomer's join on it: a membership from before this join. */
async function earlierMembership(creator: Identity, newcomer: Identity, cid: string): Promise<AnyRecord[]> {
  const key = generateInviteKey();
  const first = await sealRecord(creator, {
    kind: 'invite',
    cid,
    ts: Date.now() - 50_000,
    body: { role: 'member', expiresAt: null, maxUses: null, label: 'first', nonce: 'f', key: key.publicKey }
  });
  const proof = signJoinProof(key.seed, { cid, invite: first.id, member: newcomer.publicKey });
  const join = await sealRecord(newcomer, { kind: 'join', cid, ts: Date.now() - 40_000, body: { invite: first.id, key: key.publicKey, proof } });
  return [first, join] as AnyRecord[];
}

describe('joining from an invite', () => {
  it('judges the invite and the newcomer by the community’s reads, never replaying authority or keys on the page', async () => {
    const { flow, page, worker, newcomer, cid } = await invited();
    vi.mocked(projection.authorityOf).mockClear();
    vi.mocked(keyring.keyState).mockClear();
    expect(await flow.join(newcomer, 'Bob')).toBe(cid);
    expect(flow.phase).toBe('joined');
    const stored = await recordsOfKind(worker, cid, 'join');
    expect(stored.map((r) => r.author)).toEqual([newcomer.publicKey]);
    expect((await recordsOfKind(worker, cid, 'profile')).map((r) => r.body.name)).toEqual(['Bob']);
    expect(vi.mocked(projection.authorityOf).mock.calls.filter(([db]) => db === page)).toEqual([]);
    expect(vi.mocked(keyring.keyState).mock.calls.filter(([db]) => db === page)).toEqual([]);
    side.doc?.close();
  });

  it('a removed member’s join is refused by the posting policy, as any write of theirs', async () => {
    const { flow, worker, newcomer, cid } = await invited(async (creator, newcomer, cid) => {
      const ban = await sealRecord(creator, { kind: 'ban', cid, ts: Date.now() - 30_000, body: { member: newcomer.publicKey, banned: true } });
      return [...(await earlierMembership(creator, newcomer, cid)), ban];
    });
    expect(await flow.join(newcomer, 'Bob')).toBeNull();
    expect(flow.error).toBe('standing.banned_post');
    expect(await recordsOfKind(worker, cid, 'join')).toHaveLength(1);
    side.doc?.close();
  });

  it('signs the join before the sync starts when the link’s genesis and invite allow it', async () => {
    const { flow, worker, newcomer, cid } = await invited();
    let atSync: string[] | null = null;
    side.atSync = async () => void (atSync = (await recordsOfKind(worker, cid, 'join')).map((r) => r.author));
    expect(await flow.join(newcomer, 'Bob')).toBe(cid);
    expect(atSync).toEqual([newcomer.publicKey]);
    expect((await recordsOfKind(worker, cid, 'profile')).map((r) => r.body.name)).toEqual(['Bob']);
    side.doc?.close();
  });

  it('a join signed before the core came is refused once the core shows the invite used up by another, and says so', async () => {
    const { flow, worker, newcomer, creator, cid, key, invite } = await invited(undefined, 1);
    const other = await newMember();
    // Another newcomer's join on the one-use invite and the creator's admission of it arrive with the core.
    side.atSync = async () => {
      const proof = signJoinProof(key.seed, { cid, invite: invite.id, member: other.publicKey });
      const join = await sealRecord(other, { kind: 'join', cid, ts: Date.now() - 10_000, body: { invite: invite.id, key: key.publicKey, proof } });
      const admit = await sealRecord(creator, { kind: 'admit', cid, ts: Date.now() - 5_000, body: { invite: invite.id, joins: [join.id] } });
      await side.doc!.append([join, admit] as AnyRecord[]);
    };
    expect(await flow.join(newcomer, 'Bob')).toBeNull();
    expect(flow.error).toBe('invite.used_up');
    expect((await recordsOfKind(worker, cid, 'join')).map((r) => r.author).sort()).toEqual([newcomer.publicKey, other.publicKey].sort());
    expect(await recordsOfKind(worker, cid, 'profile')).toEqual([]);
    side.doc?.close();
  });

  it('a member joining again from a device that did not know it is told so and keeps their name: no profile is written', async () => {
    const { flow, worker, newcomer, creator, cid } = await invited();
    // Their membership (an earlier invite and their join on it) arrives with the core, after the new join was signed.
    side.atSync = async () => {
      await side.doc!.append(await earlierMembership(creator, newcomer, cid));
    };
    expect(await flow.join(newcomer, 'Someone else')).toBe(cid);
    expect(flow.notice).toBe('join.already');
    expect(await recordsOfKind(worker, cid, 'join')).toHaveLength(2);
    expect(await recordsOfKind(worker, cid, 'profile')).toEqual([]);
    side.doc?.close();
  });
});
