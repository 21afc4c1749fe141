// Paid content end to end on three devices' real storage (fake-indexeddb): the creator's device
// starts epochs and seals, a free member and a Gold member receive the same shared document.
import 'fake-indexeddb/auto';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { generateIdentity, type Identity } from '../crypto/identity';
import { sealRecord } from '../crypto/record-seal';
import { inviteKey, joinBody, newCommunity } from '../../../tests/unit/community-fixture';
import { maintainKeys } from '../automation/keys';
import { HearthDb } from '../store/db';
import { headsOf, sealNext } from '../store/record-chain';
import type { AnyRecord } from '../domain/record';
import { CommunityDoc } from './community-doc';
import { keyState } from '../store/keyring';
import { sealContent } from '../crypto/content-seal';

let dbs = 0;

async function device(): Promise<{ identity: Identity; db: HearthDb }> {
  const { identity, stored } = await generateIdentity();
  const db = new HearthDb(`paid-${dbs++}`);
  await db.identity.put({ key: 'me', ...stored, name: 'x', createdAt: 0 });
  return { identity, db };
}

function exchange(a: Y.Doc, b: Y.Doc): void {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)), 'peer');
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)), 'peer');
}

async function settle(docs: CommunityDoc[]): Promise<void> {
  for (let round = 0; round < 3; round++) {
    await Promise.all(docs.map((d) => d.settled()));
    for (let i = 1; i < docs.length; i++) exchange(docs[0].doc, docs[i].doc);
  }
  await Promise.all(docs.map((d) => d.settled()));
}

/** Everything a device holds for the community: every table row as JSON and the stored Yjs updates. */
async function everything(db: HearthDb): Promise<string> {
  const parts: string[] = [];
  for (const table of db.tables) {
    for (const row of await table.toArray()) {
      parts.push(JSON.stringify(row, (_k, v) => (v instanceof Uint8Array ? new TextDecoder().decode(v) : v)));
    }
  }
  return parts.join('\n');
}

const today = () => new Date().toISOString().slice(0, 10);

describe('paid content stays paid', () => {
  it('a Gold thread is readable by Gold members only; after a ban nothing new opens for the banned member', { timeout: 60_000 }, async () => {
    const alice = await device();
    const bob = await device(); // free member
    const carol = await device(); // Gold member, banned later
    const now = Date.now();
    const genesis = await newCommunity(alice.identity);
    const cid = genesis.id;
    const a = await new CommunityDoc(alice.db, cid);
    await a.open();
    const invite = await sealRecord(alice.identity, {
      kind: 'invite',
      cid,
      ts: now - 5000,
      body: { role: 'member', expiresAt: null, maxUses: null, label: 'all', nonce: 'n', ...inviteKey() }
    });
    const setup: AnyRecord[] = [
      genesis,
      await sealRecord(alice.identity, { kind: 'tier', cid, ts: now - 6000, body: { name: 'gold', price: '¥99', benefits: 'lessons', durationDays: 30 } }),
      invite,
      await sealRecord(bob.identity, { kind: 'join', cid, ts: now - 4000, body: joinBody(invite, bob.identity) }),
      await sealRecord(carol.identity, { kind: 'join', cid, ts: now - 4000, body: joinBody(invite, carol.identity) }),
      await sealRecord(alice.identity, {
        kind: 'payment',
        cid,
        ts: now - 3000,
        body: { member: carol.identity.publicKey, tier: 'gold', amount: 99, currency: 'CNY', paidOn: today() }
      })
    ];
    for (const r of setup) expect((await a.append(r)).ok).toBe(true);
    expect(await maintainKeys(alice.db, a, alice.identity, now)).toBeGreaterThanOrEqual(2); // the `all` and `tier:gold` epochs

    const post = async (title: string, body: string, tiers?: string[]) => {
      const record = await sealNext(alice.db, alice.identity, { kind: 'thread', cid, ts: Date.now(), body: { title, body, tiers } });
      expect(record.kind).toBe('sealed');
      expect((await a.append(record)).ok).toBe(true);
    };
    await post('Open thread', 'OPENTOKEN-1b2c');
    await post('Gold lesson', 'GOLDTOKEN-7f3a', ['gold']);

    const b = new CommunityDoc(bob.db, cid);
    const c = new CommunityDoc(carol.db, cid);
    await Promise.all([b.open(), c.open()]);
    await settle([a, b, c]);

    // The shared document holds ciphertext only.
    expect(JSON.stringify([...a.records.values()])).not.toContain('GOLDTOKEN');
    expect(JSON.stringify([...a.records.values()])).not.toContain('OPENTOKEN');
    const titles = async (db: HearthDb) =>
      (await db.threads.where('cid').equals(cid).toArray())
        .filter((t) => !t.locked)
        .map((t) => t.title)
        .sort();
    const locked = async (db: HearthDb) => (await db.threads.where('cid').equals(cid).toArray()).filter((t) => t.locked).map((t) => t.locked);
    expect(await titles(alice.db)).toEqual(['Gold lesson', 'Open thread']);
    expect(await titles(bob.db)).toEqual(['Open thread']);
    expect(await locked(bob.db)).toEqual(['tier:gold']); // a locked card: who and when, no words
    expect(await locked(carol.db)).toEqual([]);
    expect(await titles(carol.db)).toEqual(['Gold lesson', 'Open thread']);
    expect(await everything(bob.db)).not.toContain('GOLDTOKEN');

    // Bob, a free member, somehow holds the Gold key (say a Gold friend passed it on) and writes in
    // Gold: Carol's device can decrypt it but shows nothing, since Bob was not entitled to the scope.
    const goldKey = [...(await keyState(alice.db, cid))!.keys.values()].find((k) => k.scope === 'tier:gold')!;
    const ts = Date.now();
    const smuggled = await sealContent({ cid, author: bob.identity.publicKey, ts }, 'thread', { title: 'Bob in Gold', body: 'not his to write' }, goldKey);
    expect(smuggled.ok).toBe(true);
    if (smuggled.ok) expect((await b.append(await sealRecord(bob.identity, { kind: 'sealed', cid, ts, body: smuggled.value }))).ok).toBe(true);
    await settle([a, b, c]);
    expect(await titles(carol.db)).toEqual(['Gold lesson', 'Open thread']);
    expect(await titles(alice.db)).toEqual(['Gold lesson', 'Open thread']);

    // Carol is banned: the creator's device rotates every scope she held; what is posted after stays closed to her.
    const ban = await sealNext(alice.db, alice.identity, {
      kind: 'ban',
      cid,
      ts: Date.now(),
      body: { member: carol.identity.publicKey, banned: true, heads: await headsOf(alice.db, cid, carol.identity.publicKey) }
    });
    expect((await a.append(ban)).ok).toBe(true);
    expect(await maintainKeys(alice.db, a, alice.identity)).toBeGreaterThanOrEqual(2);
    await post('After the ban', 'AFTERBAN-9d8e', ['gold']);
    await settle([a, b, c]);
    expect(await titles(alice.db)).toEqual(['After the ban', 'Gold lesson', 'Open thread']);
    const carolHolds = await everything(carol.db);
    expect(carolHolds).not.toContain('AFTERBAN');
    expect(carolHolds).toContain('GOLDTOKEN'); // history she was entitled to stays readable
    expect(await everything(bob.db)).not.toContain('AFTERBAN');
  });
});
