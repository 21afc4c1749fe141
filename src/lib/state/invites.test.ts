// The invites manager over a real CommunityDoc on fake-indexeddb: links decode to what was made,
// the invite's private key stays on the device that made it, and revoking writes the tombstone.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { newCommunity, newMember } from '../../../tests/unit/community-fixture';
import { randomId } from '../crypto/encoding';
import { decodeInvite } from '../crypto/invite-token';
import { decodeShortInvite } from '../crypto/short-invite';
import { sealRecord } from '../crypto/record-seal';
import type { Identity } from '../crypto/identity';
import type { SignedRecord } from '../domain/record';
import { HearthDb } from '../store/db';
import { recordsOfKind } from '../store/record-store';
import { CommunityDoc } from '../sync/community-doc';
import { Invites } from './invites';

let n = 0;
const SECRET = randomId(32);
afterEach(() => vi.unstubAllGlobals());

async function creatorWithCommunity(signaling = ['ws://localhost:4444']) {
  // The default addresses come from the page's origin (no config file is served here).
  vi.stubGlobal('location', { protocol: 'http:', hostname: 'localhost', origin: 'http://localhost:5173' });
  const alice = await newMember();
  const g = await newCommunity(alice);
  const db = new HearthDb(`invites-${n++}`);
  await db.communities.put({
    cid: g.id,
    name: 'Morning riders',
    description: '',
    emoji: '🚲',
    color: '#cc5500',
    creator: alice.publicKey,
    createdAt: g.ts,
    addedAt: g.ts,
    lastOpened: g.ts,
    secret: SECRET,
    signaling,
    relay: null
  });
  const doc = new CommunityDoc(db, g.id);
  await doc.open();
  expect((await doc.append(g)).ok).toBe(true);
  return { alice, g, db, doc, invites: manager(db, g.id, alice, doc) };
}

function manager(db: HearthDb, cid: string, identity: Identity, doc: CommunityDoc) {
  let ts = Date.now();
  return new Invites({
    db,
    cid,
    identity,
    write: async (kind, body) => doc.append(await sealRecord(identity, { kind, cid, ts: ts++, body })),
    inviterName: async () => 'Alice',
    currentMembers: async () => 1,
    document: async () => doc,
    origin: 'http://localhost:5173'
  });
}

const draft = { role: 'member' as const, expiresAt: null, maxUses: 5, label: 'riders' };

describe('Invites', () => {
  it('makes an invite whose link carries the signed invite, the genesis, the room secret and its own key, in the fragment only', async () => {
    const { g, invites, doc } = await creatorWithCommunity();
    const made = await invites.create(draft);
    expect(made.ok).toBe(true);
    const invite = (made as { record: SignedRecord<'invite'> }).record;
    expect(await invites.hasKey(invite.id)).toBe(true);

    const url = new URL(await invites.link(invite));
    expect(url.origin).toBe('http://localhost:5173');
    expect(url.search).toBe('');
    const decoded = await decodeInvite(url.hash.slice(1));
    if (!decoded.ok) throw new Error(decoded.reason);
    expect(decoded.value.cid).toBe(g.id);
    expect(decoded.value.invite.id).toBe(invite.id);
    expect(decoded.value.secret).toBe(SECRET);
    expect(decoded.value.inviterName).toBe('Alice');

    // The short link (QR code) carries the community, the secret and the invite's key; addresses at their defaults stay out.
    const { short } = await invites.links(invite);
    const token = new URL(short!).hash.slice(1);
    const shortDecoded = await decodeShortInvite(token);
    if (!shortDecoded.ok) throw new Error(shortDecoded.reason);
    expect(shortDecoded.value).toMatchObject({ cid: g.id, secret: SECRET, inviteKey: decoded.value.inviteKey, addresses: null });
    doc.close();
  });

  it('has no link on a device that did not make the invite, and a revoked invite is tombstoned', async () => {
    const { alice, g, db, invites, doc } = await creatorWithCommunity(['wss://signal.example.org']);
    const invite = ((await invites.create(draft)) as { record: SignedRecord<'invite'> }).record;
    // Another device of the same member: same records, none of this device's settings.
    const other = new HearthDb(`invites-${n++}`);
    await other.communities.put((await db.communities.get(g.id))!);
    const elsewhere = new CommunityDoc(other, g.id);
    await elsewhere.open();
    for (const r of [g, invite]) expect((await elsewhere.append(r)).ok).toBe(true);
    const theirs = manager(other, g.id, alice, elsewhere);
    expect(await theirs.hasKey(invite.id)).toBe(false);
    await expect(theirs.link(invite)).rejects.toThrow('invite key is on the device that made the invite');
    // Addresses other than the defaults travel in the short link.
    const { short } = await invites.links(invite);
    const shortDecoded = await decodeShortInvite(new URL(short!).hash.slice(1));
    expect(shortDecoded.ok && shortDecoded.value.addresses).toEqual({ signaling: ['wss://signal.example.org'], relay: null });

    await invites.revoke(invite.id);
    await doc.settled();
    expect((await recordsOfKind(db, g.id, 'tombstone')).map((t) => t.body.target)).toEqual([invite.id]);
    elsewhere.close();
    doc.close();
  });
});
