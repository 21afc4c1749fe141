import { describe, expect, it } from 'vitest';
import { sealRecord } from '../crypto/record-seal';
import { admit, newCommunity, newMember } from '../../../tests/unit/community-fixture';
import { computeAuthority } from './authority';
import { auditEntries } from './audit';

describe('audit trail', () => {
  it('lists the authority actions that count, newest first, and leaves out a member’s forged ones', async () => {
    const alice = await newMember();
    const [bob, mallory] = await Promise.all([newMember(), newMember()]);
    const g = await newCommunity(alice);
    const T = 1_700_000_010_000;
    const base = [...(await admit(alice, bob, g.id)), ...(await admit(alice, mallory, g.id, 1_700_000_000_700))];
    const grant = await sealRecord(alice, { kind: 'grant', cid: g.id, ts: T, body: { member: bob.publicKey, role: 'moderator' } });
    const payment = await sealRecord(alice, {
      kind: 'payment',
      cid: g.id,
      ts: T + 1,
      body: { member: bob.publicKey, tier: 'gold', amount: 99, currency: 'CNY', paidOn: '2023-11-15' }
    });
    const ban = await sealRecord(bob, { kind: 'ban', cid: g.id, ts: T + 2, body: { member: mallory.publicKey, banned: true } });
    // Mallory, a member, signs a ban of Alice and a payment to herself: they change nothing and are not listed as such.
    const forgedBan = await sealRecord(mallory, { kind: 'ban', cid: g.id, ts: T - 1, body: { member: alice.publicKey, banned: true } });
    const records = [g, ...base, grant, payment, ban, forgedBan];
    const entries = auditEntries(records, computeAuthority(g, records));
    const actions = entries.map((e) => `${e.action}:${e.actor === alice.publicKey ? 'alice' : e.actor === bob.publicKey ? 'bob' : 'other'}`);
    expect(actions.slice(0, 3)).toEqual(['ban:bob', 'payment:alice', 'grant:alice']);
    expect(entries.find((e) => e.action === 'payment')?.detail).toMatchObject({ tier: 'gold', amount: 99 });
    expect(entries.some((e) => e.actor === mallory.publicKey && e.action === 'ban')).toBe(false);
  });

  it('lists the creator’s move into shards and leaves out a member’s', async () => {
    const alice = await newMember();
    const mallory = await newMember();
    const g = await newCommunity(alice);
    const decide = (who: typeof alice, ts: number) => sealRecord(who, { kind: 'shards', cid: g.id, ts, body: { mode: 'month' } });
    const records = [g, ...(await admit(alice, mallory, g.id)), await decide(mallory, 1_700_000_010_000), await decide(alice, 1_700_000_020_000)];
    const entries = auditEntries(records, computeAuthority(g, records)).filter((e) => e.action === 'shards');
    expect(entries.map((e) => e.actor)).toEqual([alice.publicKey]);
  });
});
