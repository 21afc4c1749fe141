import { describe, expect, it } from 'vitest';
import { newMember } from '../../../tests/unit/community-fixture';
import { checkPresence, onlineMembers, PRESENCE_MAX_AGE_MS, signPresence } from './presence';

const cid = 'community-one';
const now = 1_700_000_000_000;

describe('signed presence', async () => {
  const alice = await newMember();
  const mallory = await newMember();
  const members = new Set([alice.publicKey]);
  const isMember = (key: string) => members.has(key);
  const expected = { cid, clientId: 7, now, isMember };

  it('accepts a member’s claim signed for this community and this client id', async () => {
    const claim = await signPresence(alice, cid, 7, now - 30_000);
    expect(await checkPresence(claim, expected)).toEqual({ ok: true, key: alice.publicKey });
    expect(await checkPresence(JSON.parse(JSON.stringify(claim)), expected), 'after a JSON round trip').toEqual({ ok: true, key: alice.publicKey });
  });

  it('rejects a claim naming a member but signed by someone else', async () => {
    const own = await signPresence(mallory, cid, 7, now);
    expect(await checkPresence({ ...own, key: alice.publicKey }, expected)).toEqual({ ok: false, reason: 'presence.bad_signature' });
  });

  it('rejects a member’s claim copied under another client id', async () => {
    const claim = await signPresence(alice, cid, 7, now);
    expect(await checkPresence(claim, { ...expected, clientId: 8 })).toEqual({ ok: false, reason: 'presence.bad_signature' });
  });

  it('rejects a claim signed for another community', async () => {
    const claim = await signPresence(alice, 'community-two', 7, now);
    expect(await checkPresence(claim, expected)).toEqual({ ok: false, reason: 'presence.bad_signature' });
  });

  it('rejects a stale claim and one dated more than a minute ahead', async () => {
    const stale = await signPresence(alice, cid, 7, now - PRESENCE_MAX_AGE_MS - 1);
    const ahead = await signPresence(alice, cid, 7, now + 61_000);
    expect(await checkPresence(stale, expected)).toEqual({ ok: false, reason: 'presence.stale' });
    expect(await checkPresence(ahead, expected)).toEqual({ ok: false, reason: 'presence.stale' });
  });

  it('rejects a correctly signed claim by someone who is not a member', async () => {
    const claim = await signPresence(mallory, cid, 7, now);
    expect(await checkPresence(claim, expected)).toEqual({ ok: false, reason: 'presence.not_member' });
  });

  it('rejects the old unsigned shape that carried a name', async () => {
    expect(await checkPresence({ key: alice.publicKey, name: 'Alice' }, expected)).toEqual({ ok: false, reason: 'presence.malformed' });
  });
});

describe('who the sync status shows online', () => {
  it('names verified members once each and only counts non-members and unverified peers', () => {
    const isMember = (key: string) => key === 'alice' || key === 'bob';
    const verified = [{ key: 'alice' }, { key: 'mallory' }, { key: 'alice' }, { key: 'bob' }];
    expect(onlineMembers(verified, 2, isMember)).toEqual({ keys: ['alice', 'bob'], unverified: 3 });
  });
});
