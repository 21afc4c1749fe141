// CommunityState's staff actions as a page runs them: its own database holds nothing, the
// community's records and answers are the device's (the community worker's store).
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { pageCommunity } from '../../../tests/unit/page-community';
import { admit, newCommunity, newMember } from '../../../tests/unit/community-fixture';
import { sealRecord } from '../crypto/record-seal';
import type { AnyRecord } from '../domain/record';
import { HearthDb } from '../store/db';
import { CommunityDoc } from '../sync/community-doc';
import { CommunityState } from './community.svelte';

describe('a ban or demotion from a page whose store holds nothing', () => {
  it("names the member's chain heads as the device holds them", async () => {
    const alice = await newMember();
    const bob = await newMember();
    const g = await newCommunity(alice);
    const device = new CommunityDoc(new HearthDb('community-state-device'), g.id);
    await device.open();
    const [invite, join] = await admit(alice, bob, g.id);
    // Bob's chain forks after his join: two heads, newest first.
    const thread = await sealRecord(bob, { kind: 'thread', cid: g.id, ts: join.ts + 1000, prev: join.id, body: { title: 'Rides', body: 'Saturday' } });
    const reply = await sealRecord(bob, {
      kind: 'reply',
      cid: g.id,
      ts: join.ts + 2000,
      prev: join.id,
      body: { thread: thread.id, parent: thread.id, body: 'At 8' }
    });
    for (const r of [g, invite, join, thread, reply]) expect((await device.append(r as AnyRecord)).ok).toBe(true);
    const { community, write } = pageCommunity(device.db, g.id, alice);

    await CommunityState.prototype.ban.call(community, bob.publicKey, true);
    expect(write).toHaveBeenLastCalledWith('ban', { member: bob.publicKey, banned: true, heads: [reply.id, thread.id] });
    await CommunityState.prototype.grant.call(community, bob.publicKey, 'member');
    expect(write).toHaveBeenLastCalledWith('grant', { member: bob.publicKey, role: 'member', heads: [reply.id, thread.id] });
  });
});
