// The automation scheduler on a real community: CommunityDocs on Dexie over fake-indexeddb, real
// signed records from the fixture, member stats computed from the stored records as the analysis
// worker computes them (workers/members/member-stats.ts).
import 'fake-indexeddb/auto';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { admit, inviteKey, joinBody, newCommunity, newMember } from '../../../tests/unit/community-fixture';
import { sealRecord } from '../crypto/record-seal';
import { generateIdentity, type Identity } from '../crypto/identity';
import { computeAuthority } from '../domain/authority';
import { currentSettings, memberStats } from '../domain/membership';
import type { AnyRecord, SignedRecord } from '../domain/record';
import { HearthDb } from '../store/db';
import { sealNext } from '../store/record-chain';
import { CommunityDoc } from '../sync/community-doc';
import { writeSyncStep1 } from '../sync/gated-sync-protocol';
import type { MemberStatsSource } from './community-facts';
import { runAutomation, startAutomation } from './scheduler';
import { communityRecords, recordById, recordsOfKind } from '../store/record-store';

const JOINED = 1_700_000_000_501; // the fixture's join, 1 ms after its invite
const MINUTE = 60_000;
let dbs = 0;

/** The creator's device (its identity stored, as the app stores it) with a community Bob has just joined. */
async function community() {
  const { identity: creator, stored } = await generateIdentity();
  const bob = await newMember();
  const genesis = await newCommunity(creator);
  const db = new HearthDb(`scheduler-${dbs++}`);
  await db.identity.put({ key: 'me', ...stored, name: 'Alice', createdAt: 0 });
  const doc = new CommunityDoc(db, genesis.id);
  await doc.open();
  for (const r of [genesis, ...(await admit(creator, bob, genesis.id))]) expect((await doc.append(r as AnyRecord)).ok).toBe(true);
  return { creator, bob, genesis, doc };
}

/** Member stats from the device's stored records, counting how often the scheduler asked (one ask per evaluation). */
function statsFrom(db: HearthDb): MemberStatsSource & { calls: number } {
  const source = Object.assign(
    async (cid: string, now: number) => {
      source.calls++;
      const [genesis, records] = await Promise.all([recordById(db, cid), communityRecords(db, cid) as Promise<AnyRecord[]>]);
      if (genesis?.kind !== 'genesis') return null;
      const auth = computeAuthority(genesis as SignedRecord<'genesis'>, records);
      return memberStats(
        records,
        auth,
        currentSettings(
          records.filter((r) => r.kind === 'settings'),
          auth
        ),
        now
      );
    },
    { calls: 0 }
  );
  return source;
}

async function computeAuthorityOf(doc: CommunityDoc) {
  const [genesis, records] = await Promise.all([recordById(doc.db, doc.cid), communityRecords(doc.db, doc.cid) as Promise<AnyRecord[]>]);
  return computeAuthority(genesis as SignedRecord<'genesis'>, records);
}

async function notices(doc: CommunityDoc): Promise<SignedRecord<'notice'>[]> {
  return (await recordsOfKind(doc.db, doc.cid, 'notice')) as SignedRecord<'notice'>[];
}

/** A record's kind as automation wrote it: a sealed record's own. */
const kindOf = (r: AnyRecord) => (r.kind === 'sealed' ? r.body.of : r.kind);

/** Records the kind and time of everything appended to `doc` from now on; `append` writes without recording (a peer's records). */
function recordAppends(doc: CommunityDoc): { written: { kind: string; at: number }[]; append: CommunityDoc['append'] } {
  const written: { kind: string; at: number }[] = [];
  const append = doc.append.bind(doc);
  doc.append = async (input) => {
    for (const r of (Array.isArray(input) ? input : [input]) as AnyRecord[]) written.push({ kind: kindOf(r), at: Date.now() });
    return append(input);
  };
  return { written, append };
}

async function welcomesFor(doc: CommunityDoc, member: Identity): Promise<number> {
  return (await notices(doc)).filter((n) => n.body.auto?.rule === 'welcome' && n.body.to === member.publicKey).length;
}

describe('runAutomation', () => {
  it('welcomes a newcomer once from the creator’s device, as a signed notice marked with its rule, key and device', async () => {
    const { creator, bob, doc } = await community();
    const now = JOINED + 15 * MINUTE;
    const first = await runAutomation(doc.db, doc, creator, statsFrom(doc.db), now, 'Test browser');
    expect(first.map((a) => `${a.rule}:${a.key}`)).toEqual([`welcome:${bob.publicKey}`]);
    const [notice] = await notices(doc);
    expect(notice.author).toBe(creator.publicKey);
    expect(notice.body.to).toBe(bob.publicKey);
    expect(notice.body.auto).toEqual({ rule: 'welcome', key: bob.publicKey, device: 'Test browser' });

    // The notice is now in the community: a later run (this device or another staff device) finds it.
    expect(await runAutomation(doc.db, doc, creator, statsFrom(doc.db), now + MINUTE, 'Test browser')).toEqual([]);
    expect(await welcomesFor(doc, bob)).toBe(1);
  });

  it('waits ten minutes for a nameless newcomer’s profile before welcoming them', async () => {
    const { creator, bob, doc } = await community();
    expect(await runAutomation(doc.db, doc, creator, statsFrom(doc.db), JOINED + 5 * MINUTE)).toEqual([]);
    expect((await runAutomation(doc.db, doc, creator, statsFrom(doc.db), JOINED + 11 * MINUTE)).map((a) => a.rule)).toEqual(['welcome']);
    expect(await welcomesFor(doc, bob)).toBe(1);
  });

  it('takes no action on a plain member’s device, and does not even ask for member stats', async () => {
    const { bob, doc } = await community();
    const stats = statsFrom(doc.db);
    expect(await runAutomation(doc.db, doc, bob, stats, JOINED + 15 * MINUTE)).toEqual([]);
    expect(stats.calls).toBe(0);
    expect(await notices(doc)).toEqual([]);
  });

  it('takes no action when the member stats are not available yet', async () => {
    const { creator, doc } = await community();
    expect(await runAutomation(doc.db, doc, creator, async () => null, JOINED + 15 * MINUTE)).toEqual([]);
    expect(await notices(doc)).toEqual([]);
  });
});

describe('startAutomation', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /**
   * Until a run has asked for the member stats, and no run has asked since for longer than a run
   * asked for during another waits (a second) plus the slow stats' half second. On a loaded machine
   * the run at start took longer than one such wait before it reached the stats: "quiet" came first,
   * and that run's rules then welcomed a join that arrived meanwhile.
   */
  async function quiet(stats: { calls: number }): Promise<number> {
    await vi.waitFor(() => expect(stats.calls).toBeGreaterThan(0), { timeout: 15_000 });
    let seen = -1;
    while (seen !== stats.calls) {
      seen = stats.calls;
      await sleep(2_000);
    }
    return seen;
  }

  it('runs at start, when a join arrives and every minute; not for a record no rule reads; not after stop', async () => {
    // The clock and the minute's interval are the test's; IndexedDB's own timers stay real. Each run
    // also admits and keeps the keys: the first starts the community's epoch and admits Bob.
    vi.useFakeTimers({ now: JOINED + 15 * MINUTE, toFake: ['Date', 'setInterval', 'clearInterval'] });
    const { creator, bob, doc } = await community();
    const stats = statsFrom(doc.db);
    const stop = startAutomation(doc.db, doc, creator, stats);
    await vi.waitFor(async () => expect(await welcomesFor(doc, bob)).toBe(1), { timeout: 10_000 });

    // Carol's join arrives (made 11 minutes ago, so she is welcome without a name): a run welcomes her,
    // held for twice the last run (over a second on a loaded machine).
    const carol = await newMember();
    for (const r of await admit(creator, carol, doc.cid, Date.now() - 11 * MINUTE)) expect((await doc.append(r as AnyRecord)).ok).toBe(true);
    await vi.waitFor(async () => expect(await welcomesFor(doc, carol)).toBe(1), { timeout: 10_000 });

    // A notice (what the automation itself writes) is accepted: no rule reads it, no run starts.
    let runs = await quiet(stats);
    const note = await sealNext(doc.db, creator, { kind: 'notice', cid: doc.cid, ts: Date.now(), body: { to: bob.publicKey, text: 'Ride at 8' } });
    expect((await doc.append(note as AnyRecord)).ok).toBe(true);
    expect(await quiet(stats)).toBe(runs);

    // A minute later: one more run, which finds nothing left to do.
    vi.advanceTimersByTime(MINUTE);
    await vi.waitFor(() => expect(stats.calls).toBe(runs + 1));
    runs = await quiet(stats);
    expect(await welcomesFor(doc, bob)).toBe(1);
    expect(await welcomesFor(doc, carol)).toBe(1);

    stop();
    const dave = await newMember();
    for (const r of await admit(creator, dave, doc.cid, Date.now() - 11 * MINUTE)) expect((await doc.append(r as AnyRecord)).ok).toBe(true);
    vi.advanceTimersByTime(MINUTE);
    expect(await quiet(stats)).toBe(runs);
    expect(await welcomesFor(doc, dave)).toBe(0);
  }, 60_000);
  it('after a join, admits and shares the key at once and holds the rest of the run for twice the last run', async () => {
    // A run whose member stats take half a second, as reading every record does at 10,000 members:
    // Carol's key goes out at once, her welcome (a rule of the run) a second after her join at the earliest.
    const { creator, doc } = await community();
    const stats = statsFrom(doc.db);
    const slow: MemberStatsSource = async (cid, now) => {
      await sleep(500);
      return stats(cid, now);
    };
    const { written, append } = recordAppends(doc);
    const stop = startAutomation(doc.db, doc, creator, slow);
    try {
      await quiet(stats);
      const carol = await newMember();
      const joinedAt = Date.now();
      written.length = 0;
      for (const r of await admit(creator, carol, doc.cid, Date.now() - 11 * MINUTE)) expect((await append(r as AnyRecord)).ok).toBe(true);
      await vi.waitFor(async () => expect(await welcomesFor(doc, carol)).toBe(1), { timeout: 10_000 });
      const key = written.find((w) => w.kind === 'key-share' || w.kind === 'key');
      const welcome = written.find((w) => w.kind === 'notice');
      expect(key, JSON.stringify(written)).toBeDefined();
      expect(welcome!.at - joinedAt).toBeGreaterThanOrEqual(1_000);
      expect(key!.at).toBeLessThan(welcome!.at);
      expect(key!.at - joinedAt).toBeLessThan(1_000);
    } finally {
      stop();
    }
  }, 60_000);

  it('a joiner on an open invite gets their key before their admission is written; on a limited invite, right after it', async () => {
    const { creator, doc } = await community();
    const stats = statsFrom(doc.db);
    const { written: log, append } = recordAppends(doc);
    const written = () => log.map((w) => w.kind);
    const stop = startAutomation(doc.db, doc, creator, stats);
    try {
      await quiet(stats);
      const [carol, dave] = [await newMember(), await newMember()];
      log.length = 0;
      for (const r of await admit(creator, carol, doc.cid, Date.now())) expect((await append(r as AnyRecord)).ok).toBe(true);
      await vi.waitFor(() => expect(written()).toContain('admit'), { timeout: 10_000 });
      expect(written().indexOf('key-share')).toBeGreaterThanOrEqual(0);
      expect(written().indexOf('key-share')).toBeLessThan(written().indexOf('admit'));

      // One use: Dave is pending until admitted, and entitled to the key only then.
      await quiet(stats);
      log.length = 0;
      const invite = await sealNext(doc.db, creator, {
        kind: 'invite',
        cid: doc.cid,
        ts: Date.now(),
        body: { role: 'member', expiresAt: null, maxUses: 1, label: 'one', nonce: 'y', ...inviteKey() }
      });
      expect((await append(invite as AnyRecord)).ok).toBe(true);
      const join = await sealRecord(dave, { kind: 'join', cid: doc.cid, ts: Date.now(), body: joinBody(invite as SignedRecord<'invite'>, dave) });
      expect((await append(join as AnyRecord)).ok).toBe(true);
      await vi.waitFor(() => expect(written()).toContain('key-share'), { timeout: 10_000 });
      expect(written().indexOf('admit')).toBeGreaterThanOrEqual(0);
      expect(written().indexOf('admit')).toBeLessThan(written().indexOf('key-share'));
      expect((await computeAuthorityOf(doc)).isMember(dave.publicKey)).toBe(true);
    } finally {
      stop();
    }
  }, 60_000);

  it("writes a run's trust records in one append, not one each", async () => {
    const { creator, doc } = await community();
    const members = await Promise.all(Array.from({ length: 5 }, () => newMember()));
    for (const m of members) for (const r of await admit(creator, m, doc.cid)) expect((await doc.append(r as AnyRecord)).ok).toBe(true);
    const stats = statsFrom(doc.db);
    // Every member computed at trust level 1 (published: 0).
    const raised: MemberStatsSource = async (cid, now) => {
      const s = await stats(cid, now);
      if (s) for (const m of members) s.trust.set(m.publicKey, { ...s.trust.get(m.publicKey)!, level: 1 });
      return s;
    };
    const appends: string[][] = [];
    const append = doc.append.bind(doc);
    doc.append = async (input) => {
      appends.push((Array.isArray(input) ? input : [input]).map((r) => r.kind));
      return append(input);
    };
    const actions = await runAutomation(doc.db, doc, creator, raised);
    expect(actions.filter((a) => a.kind === 'trust')).toHaveLength(5);
    expect(appends.filter((kinds) => kinds.includes('trust'))).toEqual([['trust', 'trust', 'trust', 'trust', 'trust']]);
    const auth = await computeAuthorityOf(doc);
    for (const m of members) expect(auth.trustOf(m.publicKey)).toBe(1);
  });

  it('a join that arrives while a run writes its actions gets its key before the rest of the run', async () => {
    // Five members joined 11 minutes ago, so the run writes five welcomes; Carol joins right after
    // the first is written. Her key must not wait behind the other four (after an import a run
    // writes every member's trust and level: a newcomer waited 20 s for them).
    vi.useFakeTimers({ now: JOINED + 15 * MINUTE, toFake: ['Date', 'setInterval', 'clearInterval'] });
    const { creator, doc } = await community();
    for (let i = 0; i < 4; i++) for (const r of await admit(creator, await newMember(), doc.cid)) expect((await doc.append(r as AnyRecord)).ok).toBe(true);
    const carol = await newMember();
    const written: string[] = [];
    const append = doc.append.bind(doc);
    let joined = false;
    doc.append = async (input) => {
      const list = (Array.isArray(input) ? input : [input]) as AnyRecord[];
      written.push(...list.map(kindOf));
      const out = await append(input);
      if (!joined && list.some((r) => kindOf(r) === 'notice')) {
        joined = true;
        for (const r of await admit(creator, carol, doc.cid, Date.now() - 11 * MINUTE)) expect((await append(r as AnyRecord)).ok).toBe(true);
        written.push('carol joins');
      }
      return out;
    };
    const stop = startAutomation(doc.db, doc, creator, statsFrom(doc.db));
    try {
      await vi.waitFor(() => expect(written.filter((k) => k === 'notice')).toHaveLength(5), { timeout: 20_000 });
      const after = written.slice(written.indexOf('carol joins'));
      const key = after.findIndex((k) => k === 'key' || k === 'key-share');
      expect(key, written.join(', ')).toBeGreaterThan(0);
      // Her key comes before the run's last welcomes, not after them.
      expect(after.slice(key).filter((k) => k === 'notice').length, written.join(', ')).toBeGreaterThanOrEqual(2);
    } finally {
      stop();
    }
  }, 30_000);
});

describe('the history encoded ahead for a newcomer this device lets in', () => {
  /** A newcomer's step 1: its document holds only its own join and profile. */
  function newcomerStep1(): Uint8Array {
    const own = new Y.Doc();
    own.getMap('records').set('own-join', { id: 'own-join' });
    const encoder = encoding.createEncoder();
    writeSyncStep1(encoder, own);
    return encoding.toUint8Array(encoder);
  }

  it('answers a fresh joiner’s step 1 from the encoding made once their key went out, and a join from long ago from none', async () => {
    const { creator, doc } = await community();
    const stop = doc.automate(creator, statsFrom(doc.db));
    try {
      // An old join (a history's, or the fixture's): nothing is encoded ahead for it.
      const dave = await newMember();
      for (const r of await admit(creator, dave, doc.cid, Date.now() - 11 * MINUTE)) expect((await doc.append(r as AnyRecord)).ok).toBe(true);
      await doc.settled();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(doc.historyReply(newcomerStep1())).toBeNull();
      // Carol joins now: once her key share is written, her step 1 is answered from the kept encoding.
      const carol = await newMember();
      for (const r of await admit(creator, carol, doc.cid, Date.now())) expect((await doc.append(r as AnyRecord)).ok).toBe(true);
      await vi.waitFor(() => expect(doc.historyReply(newcomerStep1())).not.toBeNull(), { timeout: 10_000 });
      const reply = doc.historyReply(newcomerStep1())!;
      const newcomer = new Y.Doc();
      for (const message of reply) {
        const decoder = decoding.createDecoder(message);
        decoding.readVarUint(decoder);
        Y.applyUpdate(newcomer, decoding.readVarUint8Array(decoder));
      }
      expect([...newcomer.getMap('records').keys()].sort()).toEqual([...doc.records.keys()].sort());
    } finally {
      stop();
    }
  }, 30_000);
});
