import { describe, expect, it } from 'vitest';
import QRCode from 'qrcode';
import { inviteKey, joinBody, newCommunity, newMember } from '../../../tests/unit/community-fixture';
import { sealRecord } from './record-seal';
import { encodeInvite } from './invite-token';
import { checkFetchedInvite, decodeShortInvite, encodeShortInvite, isShortInvite, judgeFetchedStanding, type ShortInvite } from './short-invite';
import { randomId } from './encoding';
import { generateInviteKey } from './invite-key';

async function community(expiresAt: number | null = null, description = '') {
  const alice = await newMember();
  const genesis = await newCommunity(alice);
  const key = generateInviteKey();
  const invite = await sealRecord(alice, {
    kind: 'invite',
    cid: genesis.id,
    ts: 1_700_000_000_100,
    body: { role: 'member', tier: 'gold', expiresAt, maxUses: 3, label: 'friends', nonce: 'n', key: key.publicKey }
  });
  const link: ShortInvite = { cid: genesis.id, secret: randomId(32), inviteKey: key.seed, addresses: null };
  return { alice, genesis: description ? { ...genesis, body: { ...genesis.body, description } } : genesis, invite, link };
}

const ORIGIN = 'https://hearth.example.org/join#';

describe('short invite links', () => {
  it('round-trips the community, the room secret and the invite key, with or without addresses', async () => {
    const { link } = await community();
    const token = (await encodeShortInvite(link))!;
    expect(isShortInvite(token)).toBe(true);
    expect(await decodeShortInvite(token)).toEqual({ ok: true, value: link });
    const withAddresses = { ...link, addresses: { signaling: ['wss://signal.example.org'], relay: 'wss://relay.example.org' } };
    expect(await decodeShortInvite((await encodeShortInvite(withAddresses))!)).toEqual({ ok: true, value: withAddresses });
  });

  it('says a link with any character changed, cut short or lengthened is damaged', async () => {
    const { link } = await community();
    const token = (await encodeShortInvite(link))!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 2; i < token.length; i++) {
      const c = token[i];
      const other = alphabet[(alphabet.indexOf(c) + 1 + (i % 60)) % 64];
      const changed = token.slice(0, i) + other + token.slice(i + 1);
      const decoded = await decodeShortInvite(changed);
      expect(decoded, `character ${i}`).toEqual({ ok: false, reason: 'invite.damaged' });
    }
    expect(await decodeShortInvite(token.slice(0, -6))).toEqual({ ok: false, reason: 'invite.damaged' });
    expect(await decodeShortInvite(token.slice(0, 40))).toEqual({ ok: false, reason: 'invite.damaged' });
    expect(await decodeShortInvite(`${token}AAAA`)).toEqual({ ok: false, reason: 'invite.damaged' });
    expect(await decodeShortInvite('i.%%%')).toEqual({ ok: false, reason: 'invite.damaged' });
  });

  it('stays under 150 characters and a version 8 QR code, whatever the community description', async () => {
    const { genesis, invite, link } = await community(null, '长'.repeat(1000));
    const token = (await encodeShortInvite(link))!;
    expect(token.length).toBeLessThan(150);
    const short = QRCode.create(ORIGIN + token, { errorCorrectionLevel: 'L' });
    expect(short.version).toBeLessThanOrEqual(8);
    // The long link of the same invite needs a far larger code.
    const long =
      ORIGIN +
      (await encodeInvite({
        cid: link.cid,
        secret: link.secret,
        signaling: [],
        relay: null,
        invite,
        genesis,
        inviterName: 'Alice',
        inviteKey: link.inviteKey
      }));
    expect(QRCode.create(long, { errorCorrectionLevel: 'L' }).version).toBeGreaterThan(short.version + 10);
  });

  it('accepts the fetched genesis and invite only when they are the link’s own', async () => {
    const { genesis, invite, link } = await community();
    expect(await checkFetchedInvite(link, genesis, invite)).toEqual({ ok: true, value: { genesis, invite } });
    // Another community's genesis, an altered invite, an invite of another key: each refused.
    const other = await community();
    expect(await checkFetchedInvite(link, other.genesis, invite)).toEqual({ ok: false, reason: 'invite.tampered' });
    const altered = { ...invite, body: { ...invite.body, role: 'admin' } };
    expect(await checkFetchedInvite(link, genesis, altered)).toEqual({ ok: false, reason: 'invite.tampered' });
    expect(await checkFetchedInvite({ ...link, inviteKey: generateInviteKey().seed }, genesis, invite)).toEqual({ ok: false, reason: 'invite.tampered' });
  });

  it('says an expired invite fetched for a short link has expired', async () => {
    const { genesis, invite, link } = await community(1_700_000_000_000);
    expect(await checkFetchedInvite(link, genesis, invite, 1_800_000_000_000)).toEqual({ ok: false, reason: 'invite.expired' });
  });
});

describe('what the lobby says of a short link’s invite before anything is asked', () => {
  async function open() {
    const alice = await newMember();
    const genesis = await newCommunity(alice);
    const cid = genesis.id;
    const invite = await sealRecord(alice, {
      kind: 'invite',
      cid,
      ts: 1_700_000_000_100,
      body: { role: 'member', expiresAt: null, maxUses: null, label: 'open', nonce: 'n', ...inviteKey() }
    });
    const joins = [];
    for (const at of [200, 300]) {
      const m = await newMember();
      joins.push(await sealRecord(m, { kind: 'join', cid, ts: 1_700_000_000_000 + at, body: joinBody(invite, m) }));
    }
    return { alice, genesis, cid, invite, joins };
  }
  const NOW = 1_700_000_100_000;

  it('counts the creator and the members who joined, leaving out a value whose signature fails', async () => {
    const { genesis, invite, joins } = await open();
    const forged = { ...joins[1], id: joins[1].id.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) };
    expect(await judgeFetchedStanding(genesis, invite, [genesis, invite, ...joins], NOW)).toEqual({ members: 3, failure: null });
    expect(await judgeFetchedStanding(genesis, invite, [genesis, invite, joins[0], forged], NOW)).toEqual({ members: 2, failure: null });
  });

  it('says the invite was revoked when the lobby holds its author’s tombstone', async () => {
    const { alice, genesis, cid, invite, joins } = await open();
    const tombstone = await sealRecord(alice, { kind: 'tombstone', cid, ts: 1_700_000_000_400, body: { target: invite.id } });
    expect((await judgeFetchedStanding(genesis, invite, [invite, ...joins, tombstone], NOW)).failure).toBe('invite.revoked');
  });

  it('says a one-use invite is used up once its seat was confirmed', async () => {
    const { alice, genesis, cid } = await open();
    const once = await sealRecord(alice, {
      kind: 'invite',
      cid,
      ts: 1_700_000_000_100,
      body: { role: 'member', expiresAt: null, maxUses: 1, label: 'once', nonce: 'o', ...inviteKey() }
    });
    const bob = await newMember();
    const join = await sealRecord(bob, { kind: 'join', cid, ts: 1_700_000_000_200, body: joinBody(once, bob) });
    expect(await judgeFetchedStanding(genesis, once, [once, join], NOW)).toEqual({ members: 1, failure: null });
    const admit = await sealRecord(alice, { kind: 'admit', cid, ts: 1_700_000_000_300, body: { invite: once.id, joins: [join.id] } });
    expect(await judgeFetchedStanding(genesis, once, [once, join, admit], NOW)).toEqual({ members: 2, failure: 'invite.used_up' });
  });
});
