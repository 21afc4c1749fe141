// What pages ask the community worker instead of replaying authority and key state themselves
// (community-reads.ts), asked of a DocHost as the page's port asks it. Real signed records on
// Dexie over fake-indexeddb; the answers cross a port, so they must survive structured cloning.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { admit, inviteKey, joinBody, newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import { generateIdentity } from '../crypto/identity';
import { sealRecord } from '../crypto/record-seal';
import type { AnyRecord } from '../domain/record';
import { HearthDb } from '../store/db';
import { meshPlanOf } from './mesh';
import { DocHost } from './doc-host';
import { communityReads } from './registry';

let n = 0;

/** A device: its database with its member's identity stored (key state reads it), and its community worker's host. */
async function device(name: string) {
  const { identity, stored } = await generateIdentity();
  const db = new HearthDb(`community-reads-${name}-${n++}`);
  await db.identity.put({ key: 'me', ...stored, name, createdAt: 0 });
  return { identity, db, host: new DocHost(db) };
}

async function appendAll(host: DocHost, cid: string, records: readonly AnyRecord[]) {
  for (const r of records) expect((await host.append(cid, r)).ok).toBe(true);
}

describe('CommunityReads (asked of the community worker)', () => {
  it('a member’s standing is answered from the stored records by a host that has not opened the document', async () => {
    const alice = await device('alice');
    const bob = await newMember();
    const carol = await newMember();
    const g = await newCommunity(alice.identity);
    const a = writer(alice.identity, g.id, 1_700_000_010_000);
    // Carol's join uses an invite limited to one use: it waits for an admit.
    const limited = await a('invite', { role: 'member', expiresAt: null, maxUses: 1, label: 'once', nonce: 'l', ...inviteKey() });
    const carolJoin = await sealRecord(carol, { kind: 'join', cid: g.id, ts: 1_700_000_020_000, body: joinBody(limited, carol) });
    await appendAll(alice.host, g.id, [g, ...(await admit(alice.identity, bob, g.id)), limited, carolJoin] as AnyRecord[]);
    await appendAll(alice.host, g.id, [await a('trust', { member: bob.publicKey, level: 2 })] as AnyRecord[]);

    // Another tab's worker over the same database: no document opened, the answers come from the records.
    const fresh = new DocHost(alice.db);
    const now = 1_700_000_100_000;
    const creator = await fresh.standing(g.id, alice.identity.publicKey, now);
    expect(creator).toMatchObject({ role: 'creator', banned: false, pending: null, members: 2, currentMembers: 2 });
    expect(await fresh.standing(g.id, bob.publicKey, now)).toMatchObject({ role: 'member', trust: 2, level: 1, tier: { status: 'free' } });
    const waiting = await fresh.standing(g.id, carol.publicKey, now);
    expect(waiting).toMatchObject({ role: null, banned: false, pending: { invite: limited.id, inviter: alice.identity.publicKey }, tier: null });
    expect(structuredClone(creator)).toEqual(creator);

    await appendAll(alice.host, g.id, [await a('ban', { member: bob.publicKey, banned: true })] as AnyRecord[]);
    expect(await alice.host.standing(g.id, bob.publicKey, now)).toMatchObject({ role: null, banned: true, members: 2, currentMembers: 1 });
  });

  it('the key to seal with comes from the host: none before the scope’s first epoch, then the newest, and a wait for a member not given it', async () => {
    const alice = await device('alice');
    const bob = await device('bob');
    const g = await newCommunity(alice.identity);
    await appendAll(alice.host, g.id, [g] as AnyRecord[]);
    const draft = { title: 'Sealed for members', body: 'only members read this' };
    expect(await alice.host.sealingKey(g.id, 'thread', draft)).toEqual({ scope: 'all', key: null, waiting: false });
    expect(await alice.host.sealingKey(g.id, 'invite', {})).toEqual({ scope: null, key: null, waiting: false });

    expect(await alice.host.maintainKeys(g.id, alice.identity, Date.now())).toBeGreaterThanOrEqual(1);
    const sealing = await alice.host.sealingKey(g.id, 'thread', draft);
    expect(sealing.waiting).toBe(false);
    expect(sealing.key?.scope).toBe('all');
    expect(sealing.key?.raw).toBeInstanceOf(Uint8Array);

    // Bob joins after the epoch was made, and no staff device has shared it with him yet.
    const records = [...(await alice.host.exportRecords(g.id)), ...(await admit(alice.identity, bob.identity, g.id, Date.now()))];
    await bob.host.importRecords(g.id, records as AnyRecord[]);
    expect(await bob.host.sealingKey(g.id, 'reply', { thread: 'unknown', parent: 'unknown', body: 'hi' })).toEqual({ scope: 'all', key: null, waiting: true });
  });

  it('the inbox is told which records authority shows and who moderates, without the authority crossing the port', async () => {
    const alice = await device('alice');
    const bob = await newMember();
    const mallory = await newMember();
    const g = await newCommunity(alice.identity);
    await appendAll(alice.host, g.id, [g, ...(await admit(alice.identity, bob, g.id))] as AnyRecord[]);
    await appendAll(alice.host, g.id, [await writer(alice.identity, g.id)('grant', { member: bob.publicKey, role: 'moderator' })] as AnyRecord[]);
    const post = await writer(bob, g.id, 1_700_000_100_000)('thread', { title: 'From a member', body: 'shown' });
    const stranger = await writer(mallory, g.id, 1_700_000_100_000)('thread', { title: 'From nobody', body: 'never shown' });

    const judged = await alice.host.judge(
      g.id,
      [post, stranger].map(({ id, author, ts }) => ({ id, author, ts }))
    );
    expect(judged?.accepted).toEqual([post.id]);
    expect(new Set(judged?.moderators)).toEqual(new Set([alice.identity.publicKey, bob.publicKey]));
    expect(judged?.staff).toEqual([alice.identity.publicKey]);
    expect(await alice.host.judge('no-such-community', [])).toBeNull();
  });

  it('the inbox’s catch-up gets from the host only the records dated since a time, and deletions whatever their date', async () => {
    const alice = await device('alice');
    const g = await newCommunity(alice.identity);
    const a = writer(alice.identity, g.id, 1_700_000_010_000);
    const old = await a('thread', { title: 'Before I came', body: 'old' });
    const gone = await a('tombstone', { target: old.id });
    const fresh = await a('thread', { title: 'After I came', body: 'new' }, 1_700_000_500_000);
    await appendAll(alice.host, g.id, [g, old, gone, fresh] as AnyRecord[]);

    const found = await alice.host.recordsSince(g.id, ['thread', 'tombstone'], 1_700_000_400_000, ['tombstone']);
    expect(found.map((r) => r.id).sort()).toEqual([gone.id, fresh.id].sort());
  });

  it('the rooms a page joins are planned by the host as this thread would plan them', async () => {
    const alice = await device('alice');
    const g = await newCommunity(alice.identity);
    await appendAll(alice.host, g.id, [g] as AnyRecord[]);
    await alice.host.maintainKeys(g.id, alice.identity, Date.now());
    const plan = await alice.host.meshPlan(g.id, alice.identity.publicKey);
    expect(plan).toEqual(await meshPlanOf(alice.db, g.id, alice.identity.publicKey));
    expect(plan).toMatchObject({ legacy: false, waitingForKey: false, lobby: true });
    expect(plan.mesh?.room.startsWith(`${g.id}.`)).toBe(true);
  });

  it('mentions and "@" suggestions are found by the host among every member’s name', async () => {
    const alice = await device('alice');
    const bob = await newMember();
    const g = await newCommunity(alice.identity);
    await appendAll(alice.host, g.id, [g, ...(await admit(alice.identity, bob, g.id))] as AnyRecord[]);
    await appendAll(alice.host, g.id, [
      await writer(alice.identity, g.id)('profile', { name: 'Alice Liddell' }),
      await writer(bob, g.id, 1_700_000_100_000)('profile', { name: 'Bob' })
    ] as AnyRecord[]);

    expect(await alice.host.findMembers(g.id, 'ali', 6)).toEqual([{ key: alice.identity.publicKey, name: 'Alice Liddell' }]);
    expect(await alice.host.mentionsIn(g.id, 'thanks @Alice Liddell and @Bob!')).toHaveLength(2);
    expect(await alice.host.mentionsIn(g.id, 'no one here')).toEqual([]);
  });

  it('without a community worker (Node, `hearth:worker` off) a page asks the same questions of its own thread', async () => {
    const alice = await device('alice');
    const g = await newCommunity(alice.identity);
    await appendAll(alice.host, g.id, [g] as AnyRecord[]);
    const reads = communityReads(alice.db);
    expect(reads).toBe(communityReads(alice.db));
    expect(await reads.standing(g.id, alice.identity.publicKey, Date.now())).toMatchObject({ role: 'creator', members: 1 });
  });
});
