import { describe, expect, it } from 'vitest';
import { newCommunity, newMember } from '../../../tests/unit/community-fixture';
import { sealRecord } from './record-seal';
import { decodeInvite, encodeInvite, type InvitePayload } from './invite-token';
import { fromBase64Url, randomId, toBase64Url } from './encoding';
import { generateInviteKey } from './invite-key';

async function payload(expiresAt: number | null = null): Promise<InvitePayload> {
  const alice = await newMember();
  const genesis = await newCommunity(alice);
  const key = generateInviteKey();
  const invite = await sealRecord(alice, {
    kind: 'invite',
    cid: genesis.id,
    ts: 1_700_000_000_100,
    body: { role: 'member', tier: 'gold', expiresAt, maxUses: 3, label: 'friends', nonce: 'n', key: key.publicKey }
  });
  return { cid: genesis.id, secret: randomId(32), signaling: ['ws://localhost:4444'], relay: null, invite, genesis, inviterName: 'Alice', inviteKey: key.seed };
}

describe('invite links', () => {
  it('round-trips a signed invite through the link text', async () => {
    const p = await payload();
    const decoded = await decodeInvite(await encodeInvite(p));
    expect(decoded).toEqual({ ok: true, value: p });
  });

  it('gives each bad link its own reason', async () => {
    expect(await decodeInvite('')).toEqual({ ok: false, reason: 'invite.malformed' });
    expect(await decodeInvite('%%%not-base64%%%')).toEqual({ ok: false, reason: 'invite.malformed' });
    expect(await decodeInvite(toBase64Url(new Uint8Array([1, 2, 3, 4, 5])))).toEqual({ ok: false, reason: 'invite.malformed' });
    expect(await decodeInvite('x'.repeat(20_000))).toEqual({ ok: false, reason: 'invite.malformed' });

    const p = await payload();
    const tampered = { ...p, invite: { ...p.invite, body: { ...p.invite.body, role: 'admin' as const } } };
    expect(await decodeInvite(await encodeInvite(tampered))).toEqual({ ok: false, reason: 'invite.tampered' });
    // A link whose invite key is not the invite's own could never sign a join.
    expect(await decodeInvite(await encodeInvite({ ...p, inviteKey: generateInviteKey().seed }))).toEqual({ ok: false, reason: 'invite.tampered' });

    const other = await payload();
    expect(await decodeInvite(await encodeInvite({ ...p, cid: other.cid }))).toEqual({ ok: false, reason: 'invite.wrong_community' });

    const expired = await payload(1_700_000_000_000);
    expect(await decodeInvite(await encodeInvite(expired), 1_800_000_000_000)).toEqual({ ok: false, reason: 'invite.expired' });

    // A flipped byte in the compressed token never yields a different valid invite.
    const token = await encodeInvite(p);
    const bytes = fromBase64Url(token)!;
    bytes[Math.floor(bytes.length / 2)] ^= 0x40;
    const flipped = await decodeInvite(toBase64Url(bytes));
    expect(flipped.ok).toBe(false);
  });

  it('keeps links short enough for a QR code', async () => {
    expect((await encodeInvite(await payload())).length).toBeLessThan(2000);
  });
});
