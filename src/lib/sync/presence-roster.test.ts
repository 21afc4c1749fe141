import { describe, expect, it, vi } from 'vitest';
import { newMember } from '../../../tests/unit/community-fixture';
import { signPresence } from '../crypto/presence';
import { PresenceRoster } from './presence-roster';

const cid = 'community-one';
const now = 1_700_000_000_000;

/** Sorts until every pending signature check has answered, as the sync status settles. */
async function settle(roster: PresenceRoster, states: Map<number, unknown>, at = now) {
  let result = roster.sort(states, 1, at);
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 5));
    result = roster.sort(states, 1, at);
  }
  return result;
}

describe('presence roster', async () => {
  const creator = await newMember();
  const bob = await newMember();

  it('lists a peer whose signed claim verifies for its client id, and not this device itself', async () => {
    const roster = new PresenceRoster(cid, () => {});
    const states = new Map<number, unknown>([
      [1, { member: await signPresence(bob, cid, 1, now) }],
      [2, { member: await signPresence(creator, cid, 2, now - 10_000) }]
    ]);
    expect(await settle(roster, states)).toEqual({ online: [{ key: creator.publicKey, clientId: 2, at: now - 10_000 }], unverified: 0 });
  });

  it('never lists an unsigned state naming the creator, nor the creator’s claim copied under another client id', async () => {
    const roster = new PresenceRoster(cid, () => {});
    const genuine = await signPresence(creator, cid, 2, now);
    const states = new Map<number, unknown>([
      [3, { member: { key: creator.publicKey, name: 'Creator' } }],
      [4, { member: genuine }],
      [5, {}]
    ]);
    expect(await settle(roster, states)).toEqual({ online: [], unverified: 3 });
  });

  it('drops a claim once it is stale, without checking its signature again', async () => {
    const roster = new PresenceRoster(cid, () => {});
    const states = new Map<number, unknown>([[2, { member: await signPresence(creator, cid, 2, now) }]]);
    expect((await settle(roster, states)).online).toHaveLength(1);
    for (let i = 0; i < 50; i++) roster.sort(states, 1, now + i * 1000);
    expect(roster.verifications, 'one check for one claim, however often the status is sorted').toBe(1);
    expect(roster.sort(states, 1, now + 3 * 60_000 + 1)).toEqual({ online: [], unverified: 1 });
  });

  it('asks the caller to sort again when a check answers', async () => {
    let calls = 0;
    const roster = new PresenceRoster(cid, () => calls++);
    const states = new Map<number, unknown>([[2, { member: await signPresence(creator, cid, 2, now) }]]);
    expect(roster.sort(states, 1, now)).toEqual({ online: [], unverified: 0 });
    await vi.waitFor(() => expect(calls).toBe(1));
    expect(roster.sort(states, 1, now).online.map((p) => p.key)).toEqual([creator.publicKey]);
  });
});
