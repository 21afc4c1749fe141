// Paid content end to end on three devices' real storage (fake-indexeddb): the creator's device
// starts epochs and seals, a free member and a Gold member receive the same shared document.
import 'fake-indexeddb/auto';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { sealRecord } from '../crypto/record-seal';
import { inviteKey, joinBody, memberDevice, newCommunity } from '../../../tests/unit/community-fixture';
import { maintainKeys } from '../automation/keys';
import type { HearthDb } from '../store/db';
import { headsOf, sealNext } from '../store/record-chain';
import type { AnyRecord } from '../domain/record';
import { CommunityDoc } from './community-doc';
import { forgetKeyState, KEY_CONTEXT_KINDS, keyState, openableBy, type KeyState } from '../store/keyring';
import { isEntitled } from '../domain/scopes';
import { sealContent } from '../crypto/content-seal';
import { exactlyEqual } from './gate';
import { rotate } from '../../../tests/unit/keys-fixture';

const device = () => memberDevice('paid');

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

/** The device's stored Yjs updates, as text. */
async function everythingStored(db: HearthDb): Promise<string> {
  return (await db.docUpdates.toArray()).map((row) => new TextDecoder().decode(row.update)).join('\n');
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

/** Alice's community with a Gold tier: Bob a free member, Carol a Gold one, an open and a Gold thread, all synced. */
async function paidCommunity() {
  const alice = await device();
  const bob = await device(); // free member
  const carol = await device(); // Gold member
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
  return { alice, bob, carol, cid, a, b, c, post };
}

const titles = async (db: HearthDb, cid: string) =>
  (await db.threads.where('cid').equals(cid).toArray())
    .filter((t) => !t.locked)
    .map((t) => t.title)
    .sort();
const locked = async (db: HearthDb, cid: string) => (await db.threads.where('cid').equals(cid).toArray()).filter((t) => t.locked).map((t) => t.locked);

describe('paid content stays paid', () => {
  it('a Gold thread is readable by Gold members only; after a ban nothing new opens for the banned member', { timeout: 60_000 }, async () => {
    const { alice, bob, carol, cid, a, b, c, post } = await paidCommunity();

    // The shared document holds ciphertext only.
    expect(JSON.stringify([...a.records.values()])).not.toContain('GOLDTOKEN');
    expect(JSON.stringify([...a.records.values()])).not.toContain('OPENTOKEN');
    expect(await titles(alice.db, cid)).toEqual(['Gold lesson', 'Open thread']);
    expect(await titles(bob.db, cid)).toEqual(['Open thread']);
    expect(await locked(bob.db, cid)).toEqual(['tier:gold']); // a locked card: who and when, no words
    expect(await locked(carol.db, cid)).toEqual([]);
    expect(await titles(carol.db, cid)).toEqual(['Gold lesson', 'Open thread']);
    expect(await everything(bob.db)).not.toContain('GOLDTOKEN');

    // Bob, a free member, somehow holds the Gold key (say a Gold friend passed it on) and writes in
    // Gold: Carol's device can decrypt it but shows nothing, since Bob was not entitled to the scope.
    const goldKey = [...(await keyState(alice.db, cid))!.keys.values()].find((k) => k.scope === 'tier:gold')!;
    const ts = Date.now();
    const smuggled = await sealContent({ cid, author: bob.identity.publicKey, ts }, 'thread', { title: 'Bob in Gold', body: 'not his to write' }, goldKey);
    expect(smuggled.ok).toBe(true);
    if (smuggled.ok) expect((await b.append(await sealRecord(bob.identity, { kind: 'sealed', cid, ts, body: smuggled.value }))).ok).toBe(true);
    await settle([a, b, c]);
    expect(await titles(carol.db, cid)).toEqual(['Gold lesson', 'Open thread']);
    expect(await titles(alice.db, cid)).toEqual(['Gold lesson', 'Open thread']);

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
    expect(await titles(alice.db, cid)).toEqual(['After the ban', 'Gold lesson', 'Open thread']);
    const carolHolds = await everything(carol.db);
    expect(carolHolds).not.toContain('AFTERBAN');
    expect(carolHolds).toContain('GOLDTOKEN'); // history she was entitled to stays readable
    expect(await everything(bob.db)).not.toContain('AFTERBAN');
  });

  it('reopened from storage, each device holds the same ciphertext in its document and shows the same threads', { timeout: 60_000 }, async () => {
    const { alice, bob, carol, cid, a, b, c } = await paidCommunity();
    const devices = [
      { db: alice.db, doc: a },
      { db: bob.db, doc: b },
      { db: carol.db, doc: c }
    ];
    const before = await Promise.all(
      devices.map(async ({ db, doc }) => ({ values: new Map(doc.records.entries()), titles: await titles(db, cid), locked: await locked(db, cid) }))
    );
    for (const { doc } of devices) doc.close();
    // The stored updates hold no sealed record (nor anything else accepted): the records table keeps the sealed originals.
    for (const [i, { db }] of devices.entries()) {
      const stored = await everythingStored(db);
      expect(stored).not.toContain('sealed');
      for (const value of before[i].values.values()) expect(stored).not.toContain((value as AnyRecord).sig);
    }
    const reopened = await Promise.all(
      devices.map(async ({ db }) => {
        const doc = new CommunityDoc(db, cid);
        await doc.open();
        await doc.settled();
        return doc;
      })
    );
    for (const [i, doc] of reopened.entries()) {
      expect(doc.records.size).toBe(before[i].values.size);
      for (const [key, value] of before[i].values) expect(exactlyEqual(doc.records.get(key), value)).toBe(true);
      expect(await titles(devices[i].db, cid)).toEqual(before[i].titles);
      expect(await locked(devices[i].db, cid)).toEqual(before[i].locked);
      expect(doc.health).toMatchObject({ unreadableUpdates: 0, repaired: 0 });
    }
    expect(before[1].locked).toEqual(['tier:gold']);
    // Nothing is new to anyone: the reopened documents are the ones that were synced.
    const [ra, rb, rc] = reopened;
    for (const other of [rb, rc]) expect(Y.encodeStateVector(other.doc)).toEqual(Y.encodeStateVector(ra.doc));
  });

  it('a batch of payments and levels moves the key state on without reading key records, to the state storage gives', { timeout: 60_000 }, async () => {
    const { alice, bob, cid, a } = await paidCommunity();
    const cached = await keyState(alice.db, cid);
    expect(isEntitled(cached!.ctx, bob.identity.publicKey, 'tier:gold', Date.now())).toBe(false);
    // Which kinds the records table is read by from here on.
    const kindsRead: string[] = [];
    const where = alice.db.records.where.bind(alice.db.records);
    alice.db.records.where = ((index: string) => {
      const clause = where(index);
      if (index !== '[cid+kind]') return clause;
      const equals = clause.equals.bind(clause);
      clause.equals = ((value: [string, string]) => (kindsRead.push(value[1]), equals(value))) as typeof clause.equals;
      return clause;
    }) as typeof alice.db.records.where;

    const now = Date.now();
    const batch = [
      await sealRecord(alice.identity, {
        kind: 'payment',
        cid,
        ts: now,
        body: { member: bob.identity.publicKey, tier: 'gold', amount: 99, currency: 'CNY', paidOn: today() }
      }),
      await sealRecord(alice.identity, { kind: 'level', cid, ts: now, body: { member: bob.identity.publicKey, level: 2 } })
    ];
    expect((await a.append(batch)).ok).toBe(true);
    const moved = (await keyState(alice.db, cid))!;
    const keyKindsRead = () => kindsRead.filter((k) => (KEY_CONTEXT_KINDS as readonly string[]).includes(k));
    expect(keyKindsRead()).toEqual([]);
    expect(isEntitled(moved.ctx, bob.identity.publicKey, 'tier:gold', Date.now() + 1)).toBe(true);
    expect(isEntitled(moved.ctx, bob.identity.publicKey, 'points:2', Date.now() + 1)).toBe(true);

    forgetKeyState(alice.db, cid);
    const read = (await keyState(alice.db, cid))!;
    expect(keyKindsRead()).toContain('level'); // the reads are seen when they happen
    const summary = (s: KeyState) => ({
      epochs: [...s.view.epochs.keys()].sort(),
      shares: s.view.shares.map((r) => r.id).sort(),
      rejected: s.view.rejected.map((r) => `${r.record.id}:${r.reason}`).sort(),
      keys: [...s.keys.keys()].sort(),
      tiers: [...s.ctx.tiers.keys()].sort(),
      payments: [...s.ctx.payments.entries()].map(([m, ps]) => `${m}:${ps.map((p) => p.id).sort()}`).sort(),
      bobGold: isEntitled(s.ctx, bob.identity.publicKey, 'tier:gold', now + 1)
    });
    expect(summary(moved)).toEqual(summary(read));
  });

  it("a member's sealed thread that came before their join opens with the join, which reads no one else's", { timeout: 60_000 }, async () => {
    const { alice, bob, cid, a, b } = await paidCommunity();
    const dave = await device();
    const d = new CommunityDoc(dave.db, cid);
    await d.open();
    exchange(a.doc, d.doc);
    await d.settled();
    const invite = [...a.records.values()].find((r) => (r as AnyRecord).kind === 'invite') as AnyRecord & { kind: 'invite' };
    const join = await sealRecord(dave.identity, { kind: 'join', cid, ts: Date.now(), body: joinBody(invite as never, dave.identity) });
    expect((await d.append(join)).ok).toBe(true);
    await settle([a, d]);
    expect(await maintainKeys(alice.db, a, alice.identity)).toBeGreaterThanOrEqual(1); // Dave's share of the `all` key
    await settle([a, d]);
    const thread = await sealNext(dave.db, dave.identity, { kind: 'thread', cid, ts: Date.now(), body: { title: "Dave's ride", body: 'DAVETOKEN-4e1f' } });
    expect(thread.kind).toBe('sealed');
    expect((await d.append(thread)).ok).toBe(true);

    // Bob's device gets Dave's thread first, alone (the join on its way), then the join alone.
    const alone = (record: AnyRecord) => {
      const doc = new Y.Doc();
      doc.getMap('records').set(record.id, record);
      return Y.encodeStateAsUpdate(doc);
    };
    Y.applyUpdate(b.doc, alone(thread), 'peer');
    await b.settled();
    expect(await titles(bob.db, cid)).toEqual(['Open thread']);
    // What a batch may open: only the joiner's rows for a join; anyone's once keys or entitlement move.
    const invites = new Map([[invite.id, invite]]);
    expect(await openableBy(bob.db, [join], invites)).toEqual([dave.identity.publicKey]);
    expect(await openableBy(bob.db, [thread], invites)).toEqual([]);
    const share = [...a.records.values()].find((r) => (r as AnyRecord).kind === 'key-share') as AnyRecord;
    expect(await openableBy(bob.db, [join, share], invites)).toBeNull();
    Y.applyUpdate(b.doc, alone(join), 'peer');
    await b.settled();
    expect(await titles(bob.db, cid)).toEqual(["Dave's ride", 'Open thread']);
  });

  it("a newcomer's key share moves the key state on judging only the share, to the state storage gives", { timeout: 60_000 }, async () => {
    const { alice, cid, a } = await paidCommunity();
    const dave = await device();
    expect((await a.append(await sealRecord(dave.identity, { kind: 'join', cid, ts: Date.now(), body: joinBody(inviteOf(a), dave.identity) }))).ok).toBe(true);
    await a.settled();
    const before = (await keyState(alice.db, cid))!;
    expect(await maintainKeys(alice.db, a, alice.identity)).toBeGreaterThanOrEqual(1);
    const moved = (await keyState(alice.db, cid))!;
    // The epochs were not judged again: the view is the one before, with the share.
    expect(moved.view.epochs).toBe(before.view.epochs);
    const daves = moved.view.shares.filter((r) => !before.view.shares.some((b) => b.id === r.id));
    expect(daves.length).toBeGreaterThanOrEqual(1);
    forgetKeyState(alice.db, cid);
    const read = (await keyState(alice.db, cid))!;
    expect(summary(moved)).toEqual(summary(read));
    // Nothing is left to share: the state storage gives sees Dave holding the key.
    expect(await maintainKeys(alice.db, a, alice.identity)).toBe(0);
  });

  it("a newcomer's join moves the key state on without judging the key records again, to the state storage gives", { timeout: 60_000 }, async () => {
    const { alice, cid, a } = await paidCommunity();
    const dave = await device();
    const before = (await keyState(alice.db, cid))!;
    expect((await a.append(await sealRecord(dave.identity, { kind: 'join', cid, ts: Date.now(), body: joinBody(inviteOf(a), dave.identity) }))).ok).toBe(true);
    await a.settled();
    const joined = (await keyState(alice.db, cid))!;
    expect(joined.ctx.auth.isMember(dave.identity.publicKey)).toBe(true);
    expect(joined.view.epochs).toBe(before.view.epochs);
    forgetKeyState(alice.db, cid);
    expect(summary(joined)).toEqual(summary((await keyState(alice.db, cid))!));
  });

  it('a join that a key record already wraps for is judged again with every key record', { timeout: 60_000 }, async () => {
    const { alice, bob, carol, cid, a } = await paidCommunity();
    const dave = await device();
    // An epoch wrapped for Dave before his join: while his join is unknown here the wrap is not judged.
    const early = await rotate(
      alice.identity,
      cid,
      Date.now(),
      'all',
      [alice, bob, carol, dave].map((d) => d.identity.publicKey)
    );
    for (const r of early.records) expect((await a.append(r)).ok).toBe(true);
    await a.settled();
    const before = (await keyState(alice.db, cid))!;
    expect(before.view.epochs.has(early.epoch)).toBe(true);
    const join = await sealRecord(dave.identity, { kind: 'join', cid, ts: Date.now() + 1000, body: joinBody(inviteOf(a), dave.identity) });
    expect((await a.append(join)).ok).toBe(true);
    await a.settled();
    const joined = (await keyState(alice.db, cid))!;
    // Dave joined after the epoch: it wrapped its key for someone not a member then.
    expect(joined.view.epochs.has(early.epoch)).toBe(false);
    forgetKeyState(alice.db, cid);
    expect(summary(joined)).toEqual(summary((await keyState(alice.db, cid))!));
  });
});

/** The community's invite, as the creator's document holds it. */
function inviteOf(doc: CommunityDoc) {
  return [...doc.records.values()].find((r) => (r as AnyRecord).kind === 'invite') as AnyRecord & { kind: 'invite' };
}

/** What a key state says: its epochs, shares, refusals and keys. */
function summary(s: KeyState) {
  const { tiers, payments, graceDays, rotateDays } = s.ctx;
  return {
    epochs: [...s.view.epochs.keys()].sort(),
    shares: s.view.shares.map((r) => r.id),
    rejected: s.view.rejected.map((r) => `${r.record.id}:${r.reason}`),
    keys: [...s.keys.keys()].sort(),
    // The context beside the authority: tiers, settings and payments read from the key records' basis.
    context: { tiers: [...tiers].sort(), payments: [...payments].map(([m, p]) => [m, p.map((r) => r.id)]).sort(), graceDays, rotateDays }
  };
}
