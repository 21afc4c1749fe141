// A newcomer's first page through the lobby (lobby-page.ts), on real storage (fake-indexeddb): sealed
// under the community's newest key for a member only, opened by a device holding that key and taken as
// a first page; nothing a device without the key, a forger or a liar sends is taken.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { inviteKey, joinBody, memberDevice, newCommunity } from '../../../tests/unit/community-fixture';
import { maintainKeys } from '../automation/keys';
import { generateIdentity } from '../crypto/identity';
import { sealRecord } from '../crypto/record-seal';
import type { AnyRecord } from '../domain/record';
import type { HearthDb } from '../store/db';
import { keyState } from '../store/keyring';
import { sealNext } from '../store/record-chain';
import { CommunityDoc } from './community-doc';
import { lobbyPageFor, memberKeyOf, openLobbyPage, sealLobbyPage, takeLobbyPage } from './lobby-page';

const device = () => memberDevice('lobby-page');

/**
 * Alice's community with its first key, a sealed thread, and Bob's device holding the core only (his
 * join and his key share, as a newcomer's device does once let in), and Mallory's device holding the
 * core but no key (she holds the room secret, not a membership).
 */
async function community() {
  const alice = await device();
  const bob = await device();
  const mallory = await device();
  const now = Date.now();
  const genesis = await newCommunity(alice.identity);
  const cid = genesis.id;
  const a = new CommunityDoc(alice.db, cid);
  await a.open();
  const invite = await sealRecord(alice.identity, {
    kind: 'invite',
    cid,
    ts: now - 30 * 60_000,
    body: { role: 'member', expiresAt: null, maxUses: null, label: 'all', nonce: 'n', ...inviteKey() }
  });
  // Joined 20 minutes ago: no page is made ahead at his join (first-page.ts), so it holds the thread.
  const join = await sealRecord(bob.identity, { kind: 'join', cid, ts: now - 20 * 60_000, body: joinBody(invite, bob.identity) });
  for (const r of [genesis, invite, join] as AnyRecord[]) expect((await a.append(r)).ok).toBe(true);
  expect(await maintainKeys(alice.db, a, alice.identity, now)).toBeGreaterThanOrEqual(1);
  const thread = await sealNext(alice.db, alice.identity, { kind: 'thread', cid, ts: Date.now(), body: { title: 'Saddle heights', body: 'LOBBYTOKEN-5d1e' } });
  expect(thread.kind).toBe('sealed');
  expect((await a.append(thread)).ok).toBe(true);
  await a.settled();
  const core = (await alice.db.records.where('cid').equals(cid).toArray()).filter((r) => r.kind !== 'sealed' && r.kind !== 'thread') as AnyRecord[];
  const holding = async (who: { db: HearthDb }) => {
    const doc = new CommunityDoc(who.db, cid);
    await doc.open();
    for (const r of [genesis, ...core] as AnyRecord[]) await doc.append(r);
    await doc.settled();
    return doc;
  };
  return { alice, bob, mallory, cid, a, b: await holding(bob), m: await holding(mallory) };
}

const titles = async (db: HearthDb, cid: string) => (await db.threads.where('cid').equals(cid).toArray()).map((t) => t.title);

describe('a first page through the lobby', () => {
  it('is sealed for a member, opens on their device with the key they were given and shows the feed; never in clear', async () => {
    const { alice, bob, cid, a, b } = await community();
    expect(await titles(bob.db, cid)).toEqual([]);
    const sealed = await lobbyPageFor(a, bob.identity.publicKey);
    expect(sealed).not.toBeNull();
    const plain = new TextDecoder().decode(await a.firstPage());
    // Who wrote what is in clear in a page (its content is sealed already), never in the lobby's.
    expect(plain).toContain(alice.identity.publicKey);
    expect(new TextDecoder().decode(sealed!)).not.toContain(alice.identity.publicKey);
    expect(await takeLobbyPage(b, sealed!)).toBe('taken');
    expect(await titles(bob.db, cid)).toEqual(['Saddle heights']);
    a.close();
    b.close();
  });

  it('is not made for a key that is no member here, and a device without the community’s key cannot open one', async () => {
    const { bob, mallory, cid, a, m } = await community();
    expect(await lobbyPageFor(a, mallory.identity.publicKey)).toBeNull();
    // Mallory asks naming Bob: she gets what she cannot open, and nothing of it is taken.
    const sealed = await lobbyPageFor(a, bob.identity.publicKey);
    expect(await takeLobbyPage(m, sealed!)).toBe('no-key');
    expect(await titles(mallory.db, cid)).toEqual([]);
    a.close();
    m.close();
  });

  it('refuses a page damaged, cut short, too large, of another version, or sealed for another community; names an epoch it lacks', async () => {
    const { alice, cid, a } = await community();
    const state = await keyState(alice.db, cid);
    const [key] = [...state!.keys.values()];
    const keyOf = (epoch: string) => state!.keys.get(epoch);
    const page = new TextEncoder().encode('[]');
    const sealed = await sealLobbyPage(cid, key, page);
    expect(await openLobbyPage(cid, sealed, keyOf)).toEqual(page);
    const damaged = sealed.slice();
    damaged[damaged.length - 1] ^= 1;
    expect(await openLobbyPage(cid, damaged, keyOf)).toBeNull();
    expect(await openLobbyPage(cid, sealed.subarray(0, 20), keyOf)).toBeNull();
    expect(await openLobbyPage(cid, new Uint8Array(3 * 1024 * 1024), keyOf)).toBeNull();
    const version = sealed.slice();
    version[0] = 2;
    expect(await openLobbyPage(cid, version, keyOf)).toBeNull();
    expect(await openLobbyPage('another-community', sealed, keyOf)).toBeNull();
    expect(await openLobbyPage(cid, await sealLobbyPage(cid, { ...key, epoch: 'an-epoch-not-held' }, page), keyOf)).toBe('no-key');
    a.close();
  });

  it('is asked naming a member key only: 32 bytes in base64url', async () => {
    const { identity } = await generateIdentity();
    expect(memberKeyOf(new TextEncoder().encode(identity.publicKey))).toBe(identity.publicKey);
    for (const junk of ['', 'short', 'x'.repeat(101), '%%%%']) expect(memberKeyOf(new TextEncoder().encode(junk))).toBeNull();
    expect(memberKeyOf(new Uint8Array([0xff, 0xfe]))).toBeNull();
  });
});
