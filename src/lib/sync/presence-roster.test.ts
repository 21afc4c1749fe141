import { describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { applyAwarenessUpdate, Awareness, encodeAwarenessUpdate, outdatedTimeout } from 'y-protocols/awareness';
import { newMember } from '../../../tests/unit/community-fixture';
import { signPresence } from '../crypto/presence';
import { awarenessTimeoutMs, expireAwareness, PresenceRoster } from './presence-roster';

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

describe('awareness timeout', () => {
  it('is y-protocols’ 30 s unless a device sets a shorter one, never under 6 s', () => {
    expect(awarenessTimeoutMs()).toBe(outdatedTimeout);
    const stored = new Map<string, string>();
    vi.stubGlobal('localStorage', { getItem: (k: string) => stored.get(k) ?? null });
    try {
      expect(awarenessTimeoutMs()).toBe(outdatedTimeout);
      stored.set('hearth:awareness-timeout-ms', '12000');
      expect(awarenessTimeoutMs()).toBe(12_000);
      stored.set('hearth:awareness-timeout-ms', '1000');
      expect(awarenessTimeoutMs()).toBe(6_000);
      stored.set('hearth:awareness-timeout-ms', '600000');
      expect(awarenessTimeoutMs()).toBe(outdatedTimeout);
      stored.set('hearth:awareness-timeout-ms', 'soon');
      expect(awarenessTimeoutMs()).toBe(outdatedTimeout);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('with a shorter timeout renews this device’s state after half of it and drops a peer unheard for all of it', () => {
    const mine = new Awareness(new Y.Doc());
    const theirs = new Awareness(new Y.Doc());
    const other = new Awareness(new Y.Doc());
    try {
      mine.setLocalState({ member: 'me' });
      theirs.setLocalState({ member: 'them' });
      other.setLocalState({ member: 'other' });
      applyAwarenessUpdate(mine, encodeAwarenessUpdate(theirs, [theirs.clientID]), 'peer');
      applyAwarenessUpdate(mine, encodeAwarenessUpdate(other, [other.clientID]), 'peer');
      const heard = mine.meta.get(theirs.clientID)!.lastUpdated;
      const renewed: number[] = [];
      mine.on('update', ({ updated }: { updated: number[] }) => renewed.push(...updated));

      // The default leaves everything to y-protocols' own timer.
      expireAwareness(mine, outdatedTimeout, heard + 20_000);
      expect([...mine.states.keys()].sort()).toEqual([mine.clientID, theirs.clientID, other.clientID].sort());
      expect(renewed).toEqual([]);

      // 12 s: not yet at 5 s; this device renews at 6 s; at 12 s the peers not heard since are gone,
      // except one heard again meanwhile.
      expireAwareness(mine, 12_000, heard + 5_000);
      expect(renewed).toEqual([]);
      expect(mine.states.size).toBe(3);
      expireAwareness(mine, 12_000, heard + 6_500);
      expect(renewed).toEqual([mine.clientID]);
      mine.meta.get(other.clientID)!.lastUpdated = heard + 6_000;
      expireAwareness(mine, 12_000, heard + 12_000);
      expect(mine.states.has(theirs.clientID)).toBe(false);
      expect(mine.states.has(other.clientID)).toBe(true);
      expect(mine.getLocalState()).toEqual({ member: 'me' });
    } finally {
      for (const a of [mine, theirs, other]) a.destroy();
    }
  });
});
