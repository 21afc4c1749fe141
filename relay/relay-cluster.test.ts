// Two relay processes on one Redis (Debian's redis-server), on loopback, with member clients on
// both: convergence, a relay killed while 200 members write, Redis restarted, a full disk, and
// clients that may not write (forged and junk updates, no member key).
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { randomId } from '../src/lib/crypto/encoding';
import { sealRecord } from '../src/lib/crypto/record-seal';
import type { Identity } from '../src/lib/crypto/identity';
import type { AnyRecord, SignedRecord } from '../src/lib/domain/record';
import { readRelayMessage, signChallenge, type RelayChallenge, type RelayNotice, type RelayProof } from '../src/lib/crypto/relay-proof';
import { relayRoomName } from '../src/lib/sync/relay-client';
import { inviteKey, joinBody, newCommunity, newMember } from '../tests/unit/community-fixture';
import { memberClient, NodeWebSocket, startRedis, startRelayProcess, waitFor, type MemberClient, type Proc } from './local-cluster';

let redis: Proc;
let a: Awaited<ReturnType<typeof startRelayProcess>>;
let b: Awaited<ReturnType<typeof startRelayProcess>>;
const clients: MemberClient[] = [];

let creator: Identity;
let genesis: SignedRecord<'genesis'>;
let cid: string;
let room: string;
let setup: AnyRecord[];
let members: Identity[];

const client = (addresses: string[], identity: Identity | null) => {
  const c = memberClient(addresses, room, identity);
  clients.push(c);
  return c;
};

let ts = 1_700_000_100_000;
const reply = (author: Identity, text: string) => sealRecord(author, { kind: 'thread', cid, ts: ts++, body: { title: text, body: text } });

const put = (c: MemberClient, records: AnyRecord[]) => c.doc.transact(() => records.forEach((r) => c.records.set(r.id, r)));
const holdsAll = (c: MemberClient, ids: string[]) => ids.every((id) => c.records.has(id));
/** Every record file of a relay's data directory, as text (the relay's whole disk). */
const disk = (dir: string) =>
  readdirSync(dir)
    .map((f) => readFileSync(join(dir, f)).toString('latin1'))
    .join('\n');

/** Reads a room through a relay as a newcomer does (no key) and returns the record ids it holds. */
async function readThrough(url: string, expectIds: string[] = []): Promise<Set<string>> {
  const reader = client([url], null);
  await waitFor('a reader to sync', () => reader.link.provider.isSynced && holdsAll(reader, expectIds), Boolean, 15_000);
  const ids = new Set([...reader.records.keys()]);
  reader.destroy();
  return ids;
}

type Socket = { send: (b: Uint8Array) => void; close: () => void; on: (e: string, f: (...a: never[]) => void) => void };

/** A client that speaks the relay's wire protocol itself (Hocuspocus framing), as a hostile one would. */
function rawClient(url: string) {
  const notices: RelayNotice[] = [];
  let challenge: RelayChallenge | null = null;
  let closedFor: string | null = null;
  let socketClosed: number | null = null;
  const ws = new (NodeWebSocket as new (url: string) => Socket)(url);
  const send = (type: number, write: (e: encoding.Encoder) => void) => {
    const e = encoding.createEncoder();
    encoding.writeVarString(e, room);
    encoding.writeVarUint(e, type);
    write(e);
    ws.send(encoding.toUint8Array(e));
  };
  ws.on('open', () =>
    send(2 /* auth */, (e) => {
      encoding.writeVarUint(e, 0);
      encoding.writeVarString(e, '');
    })
  );
  ws.on('close', (code: number) => {
    socketClosed = code;
  });
  ws.on('message', (data: Buffer) => {
    const d = decoding.createDecoder(new Uint8Array(data));
    decoding.readVarString(d);
    const type = decoding.readVarUint(d);
    // Close: the relay ends this connection to the room (the socket may carry other rooms).
    if (type === 7) closedFor = decoding.readVarString(d);
    if (type !== 5 /* stateless */) return;
    const message = readRelayMessage(decoding.readVarString(d));
    if (message?.t === 'hearth-challenge') challenge = message;
    else if (message) notices.push(message);
  });
  return {
    notices,
    refusals: (reason: string) => notices.filter((n) => n.refused === reason).length,
    /** The reason the relay gave when it closed this connection to the room (null: open). */
    closedFor: () => closedFor,
    /** The close code of the socket itself (null: open). */
    socketClosed: () => socketClosed,
    challenge: () => waitFor('the relay’s challenge', () => challenge, Boolean, 10_000) as Promise<RelayChallenge>,
    prove: (proof: RelayProof) => send(5, (e) => encoding.writeVarString(e, JSON.stringify(proof))),
    /** Sends `bytes` as a sync update, as if it were a Yjs update. */
    update: (bytes: Uint8Array) =>
      send(0, (e) => {
        encoding.writeVarUint(e, 2);
        encoding.writeVarUint8Array(e, bytes);
      }),
    close: () => ws.close()
  };
}

/** `records` entries as a Yjs update from a fresh client. */
function updateWith(records: AnyRecord[]): Uint8Array {
  const doc = new Y.Doc();
  doc.transact(() => records.forEach((r) => doc.getMap('records').set(r.id, r)));
  return Y.encodeStateAsUpdate(doc);
}

beforeAll(async () => {
  redis = await startRedis();
  const url = `redis://127.0.0.1:${redis.port}`;
  [a, b] = await Promise.all([startRelayProcess({ redis: url, name: 'relay-a' }), startRelayProcess({ redis: url, name: 'relay-b' })]);
  creator = await newMember();
  genesis = await newCommunity(creator);
  cid = genesis.id;
  room = await relayRoomName(cid, randomId(32));
  members = await Promise.all(Array.from({ length: 200 }, () => newMember()));
  const invite = await sealRecord(creator, {
    kind: 'invite',
    cid,
    ts: 1_700_000_000_500,
    body: { role: 'member', expiresAt: null, maxUses: null, label: 'all', nonce: 'n', ...inviteKey() }
  });
  const joins = await Promise.all(members.map((m, i) => sealRecord(m, { kind: 'join', cid, ts: 1_700_000_001_000 + i, body: joinBody(invite, m) })));
  setup = [genesis, invite, ...joins];
  // The creator opens the room on relay A.
  const first = client([a.url], creator);
  await first.proven();
  put(first, setup);
  await waitFor(
    'the creator’s records acknowledged',
    () => first.link.unsynced,
    (n) => n === 0,
    15_000
  );
}, 60_000);

afterAll(async () => {
  clients.forEach((c) => c.destroy());
  await Promise.all([a?.stop(), b?.stop(), redis?.stop()]);
});

describe('a relay cluster on Redis', () => {
  it('members on two relays write and every member ends with every record', async () => {
    const onA = client([a.url], members[0]);
    const onB = client([b.url], members[1]);
    await Promise.all([onA.proven(), onB.proven()]);
    const fromA = await reply(members[0], 'from A');
    const fromB = await reply(members[1], 'from B');
    put(onA, [fromA]);
    put(onB, [fromB]);
    const all = [...setup.map((r) => r.id), fromA.id, fromB.id];
    await waitFor('both members to converge', () => holdsAll(onA, all) && holdsAll(onB, all), Boolean, 15_000);
    expect(onA.records.toJSON()).toEqual(onB.records.toJSON());
    expect(onB.records.get(fromA.id)).toEqual(fromA);
  }, 30_000);

  it('killing one relay while 200 members write loses no acknowledged record, and the restarted relay reloads what it acknowledged', async () => {
    const writers = members.map((m, i) => client(i % 2 ? [b.url, a.url] : [a.url, b.url], m));
    await Promise.all(writers.map((w) => w.proven()));
    const written: string[] = [];
    const acked: string[] = [];
    const ackedByA: string[] = [];
    let killed = false;
    const rounds = 4;
    const write = async (w: MemberClient, i: number) => {
      for (let round = 0; round < rounds; round++) {
        const r = await reply(members[i], `w${i} r${round}`);
        const via = w.link.address;
        put(w, [r]);
        written.push(r.id);
        // Acknowledged = the relay said it stored this update (SyncStatus), on the same connection.
        const ok = await waitFor('ack', () => w.link.unsynced === 0 && w.link.connected, Boolean, 4_000).then(
          () => true,
          () => false
        );
        if (ok && w.link.address === via) {
          acked.push(r.id);
          if (via === a.url && !killed) ackedByA.push(r.id);
        }
        await new Promise((res) => setTimeout(res, 150));
      }
    };
    const writing = Promise.all(writers.map((w, i) => write(w, i)));
    // Killed while the members write, once it has acknowledged something (on a loaded machine the
    // first acknowledgements can take longer than a fixed pause).
    await waitFor(
      'relay A to acknowledge a write',
      () => ackedByA.length,
      (n) => n > 0,
      10_000,
      20
    );
    killed = true;
    await a.stop('SIGKILL');
    // Relay A comes back on its own disk whatever this test finds, so a failure here is not also
    // every later test's (they use both relays).
    const restartA = () => startRelayProcess({ port: a.port, dataDir: a.dataDir, redis: `redis://127.0.0.1:${redis.port}`, name: 'relay-a' });
    let restarted = false;
    try {
      await writing;
      const survivors = [...writers];
      await waitFor('every member to hold every acknowledged record', () => survivors.every((w) => holdsAll(w, acked)), Boolean, 30_000, 200);
      await waitFor('every member to hold every record written', () => survivors.every((w) => holdsAll(w, written)), Boolean, 30_000, 200);
      expect(acked.length).toBeGreaterThan(written.length / 2);
      expect(ackedByA.length).toBeGreaterThan(0);
      const onB = await readThrough(b.url, written);
      expect(written.filter((id) => !onB.has(id))).toEqual([]);
      // Relay A comes back on its own disk: what it acknowledged before the kill is there.
      a = await restartA();
      restarted = true;
      const onA = await readThrough(a.url, ackedByA);
      expect(ackedByA.filter((id) => !onA.has(id))).toEqual([]);
    } finally {
      writers.forEach((w) => w.destroy());
      if (!restarted) a = await restartA();
    }
  }, 60_000);

  it('after Redis restarts, a write on one relay reaches members on the other', async () => {
    const onA = client([a.url], members[2]);
    const onB = client([b.url], members[3]);
    await Promise.all([onA.proven(), onB.proven()]);
    await redis.stop();
    redis = await startRedis(redis.port);
    const r = await reply(members[2], 'after the Redis restart');
    put(onA, [r]);
    await waitFor('the record to cross to relay B', () => onB.records.has(r.id), Boolean, 15_000).catch((e) => {
      console.log(a.output(), b.output());
      throw e;
    });
    expect(onB.records.get(r.id)).toEqual(r);
  }, 30_000);
});

describe('what a relay refuses', () => {
  it('forged, junk and non-member records from a member are refused: not stored, not fanned out', async () => {
    const hostile = client([a.url], members[4]);
    const watcher = client([b.url], members[5]);
    await Promise.all([hostile.proven(), watcher.proven()]);
    const honest = await reply(members[4], 'honest');
    const forged = { ...(await reply(members[4], 'forged')), body: { title: 'FORGED-TEXT', body: 'x' } };
    const stranger = await newMember();
    const outsider = await reply(stranger, 'OUTSIDER-TEXT');
    const twin = { ...(await reply(members[4], 'twin')), extra: undefined };
    hostile.doc.transact(() => {
      hostile.records.set(honest.id, honest);
      hostile.records.set(forged.id, forged);
      hostile.records.set(outsider.id, outsider);
      hostile.records.set(twin.id, twin);
      hostile.records.set('not-an-id', { kind: 'thread', junk: 'JUNK-VALUE' });
      hostile.doc.getArray('junk-root').push(['JUNK-ROOT-TEXT']);
      hostile.records.set('nested', new Y.Map([['x', 'NESTED-TEXT']]));
    });
    await waitFor('the watcher to receive the honest record', () => watcher.records.has(honest.id), Boolean, 15_000);
    await waitFor(
      'the relay to report what it refused',
      () => hostile.link.dropped + hostile.link.held,
      (n) => n >= 4,
      5_000
    );
    await new Promise((r) => setTimeout(r, 500));
    for (const id of [forged.id, outsider.id, twin.id, 'not-an-id', 'nested']) expect(watcher.records.has(id)).toBe(false);
    expect(watcher.doc.share.has('junk-root')).toBe(false);
    const stored = await readThrough(a.url, [honest.id]);
    for (const id of [forged.id, outsider.id, twin.id, 'not-an-id', 'nested']) expect(stored.has(id)).toBe(false);
    for (const text of ['FORGED-TEXT', 'OUTSIDER-TEXT', 'JUNK-VALUE', 'JUNK-ROOT-TEXT', 'NESTED-TEXT']) {
      expect(disk(a.dataDir)).not.toContain(text);
      expect(disk(b.dataDir)).not.toContain(text);
    }
  }, 30_000);

  it('a client without a member key cannot write: a stranger’s key and no key are both refused', async () => {
    const stranger = await newMember();
    const outsider = client([a.url], stranger);
    const anonymous = client([b.url], null);
    await outsider.proven();
    await waitFor('the anonymous reader to sync', () => anonymous.link.provider.isSynced, Boolean, 10_000);
    const byStranger = await reply(stranger, 'STRANGER-TEXT');
    // A member's valid record sent by a client that is no member is refused too: the writer must prove membership.
    const relayed = await reply(members[6], 'RELAYED-BY-ANONYMOUS');
    put(outsider, [byStranger]);
    put(anonymous, [relayed]);
    await waitFor(
      'refusals',
      () => [outsider.link.refused.get('relay.not_member'), anonymous.link.refused.get('relay.no_proof')],
      (r) => r.every((n) => (n ?? 0) > 0),
      10_000
    );
    const stored = await readThrough(a.url);
    expect(stored.has(byStranger.id)).toBe(false);
    expect(stored.has(relayed.id)).toBe(false);
    expect(disk(a.dataDir) + disk(b.dataDir)).not.toContain('STRANGER-TEXT');
  }, 30_000);

  it('a proof replayed on another connection opens nothing: that connection’s write is refused and not stored', async () => {
    const owner = rawClient(b.url);
    const thief = rawClient(b.url);
    const proof = await signChallenge(members[8], room, await owner.challenge());
    await thief.challenge();
    owner.prove(proof);
    thief.prove(proof);
    await waitFor(
      'the owner to be accepted and the thief refused',
      () => [owner.notices.some((n) => n.member === members[8].publicKey), thief.refusals('proof.bad_signature')],
      ([ok, refused]) => ok === true && refused === 1
    );
    const stolen = await reply(members[8], 'WRITTEN-WITH-A-STOLEN-PROOF');
    thief.update(updateWith([stolen]));
    await waitFor(
      'the write to be refused',
      () => thief.refusals('relay.no_proof'),
      (n) => n === 1
    );
    expect(thief.notices.some((n) => n.member)).toBe(false);
    expect((await readThrough(b.url)).has(stolen.id)).toBe(false);
    expect(disk(a.dataDir) + disk(b.dataDir)).not.toContain('WRITTEN-WITH-A-STOLEN-PROOF');
    owner.close();
    thief.close();
  }, 30_000);

  it('a member’s connection that sends malformed updates is refused each time, closed after 50, and none of it is stored', async () => {
    const hostile = rawClient(b.url);
    hostile.prove(await signChallenge(members[9], room, await hostile.challenge()));
    await waitFor('the proof to be accepted', () => hostile.notices.some((n) => n.member === members[9].publicKey), Boolean);
    const junk = new TextEncoder().encode('\xff\xff\xff\xff\xff MALFORMED-UPDATE-BYTES');
    for (let i = 0; i < 60; i++) hostile.update(junk);
    await waitFor(
      'the relay to close the connection',
      () => hostile.closedFor(),
      (reason) => reason !== null,
      10_000
    );
    expect(hostile.closedFor()).toContain('too many refused messages (update.malformed)');
    expect(hostile.refusals('update.malformed')).toBeGreaterThan(50);
    // The socket goes too: it cannot authenticate and prove itself again with a clean slate.
    await waitFor(
      'the socket to close',
      () => hostile.socketClosed(),
      (code) => code !== null,
      10_000
    );
    expect(hostile.socketClosed()).toBe(4429);
    const after = await reply(members[9], 'SENT-AFTER-THE-CLOSE');
    hostile.update(updateWith([after]));
    await new Promise((r) => setTimeout(r, 1000));
    expect((await readThrough(b.url)).has(after.id)).toBe(false);
    expect(disk(a.dataDir) + disk(b.dataDir)).not.toContain('MALFORMED-UPDATE-BYTES');
    expect(disk(a.dataDir) + disk(b.dataDir)).not.toContain('SENT-AFTER-THE-CLOSE');
    hostile.close();
  }, 30_000);

  it('a member’s connection that floods past its message budget is refused with relay.rate_limited, then closed', async () => {
    const flooder = rawClient(b.url);
    flooder.prove(await signChallenge(members[10], room, await flooder.challenge()));
    await waitFor('the proof to be accepted', () => flooder.notices.some((n) => n.member === members[10].publicKey), Boolean);
    // 400 messages at once: the burst is 300, then 50 per second.
    const empty = Y.encodeStateAsUpdate(new Y.Doc());
    for (let i = 0; i < 400; i++) flooder.update(empty);
    await waitFor(
      'the relay to close the connection',
      () => flooder.closedFor(),
      (reason) => reason !== null,
      10_000
    );
    expect(flooder.refusals('relay.rate_limited')).toBeGreaterThan(50);
    expect(flooder.closedFor()).toContain('too many refused messages (relay.rate_limited)');
    flooder.close();
  }, 30_000);

  it('a member’s key has one budget over all its sockets: twelve sockets flooding together are refused past four sockets’ worth, and closed', async () => {
    const floods = Array.from({ length: 12 }, () => rawClient(b.url));
    for (const flood of floods) flood.prove(await signChallenge(members[11], room, await flood.challenge()));
    await waitFor('the proofs to be accepted', () => floods.every((f) => f.notices.some((n) => n.member === members[11].publicKey)), Boolean);
    // 280 messages per socket: under one socket's burst of 300, so without a key's budget nothing is
    // refused; 3,360 in all against the key's 1,200 (refilled at 200 a second while they arrive).
    const empty = Y.encodeStateAsUpdate(new Y.Doc());
    for (const flood of floods) for (let i = 0; i < 280; i++) flood.update(empty);
    const refused = () => floods.reduce((n, f) => n + f.refusals('relay.rate_limited'), 0);
    await waitFor('the key’s budget to run dry', refused, (n) => n > 100, 20_000);
    // A socket refused 50 times is closed, as one socket alone would be.
    await waitFor(
      'sockets past the budget to close',
      () => floods.filter((f) => f.socketClosed() === 4429).length,
      (n) => n >= 2,
      20_000
    );
    floods.forEach((f) => f.close());
  }, 60_000);

  it('a relay whose disk is full refuses writes with relay.disk_full and keeps serving reads', async () => {
    // A disk that is already full: 20 KB of other files under a 10 KB quota.
    const dataDir = mkdtempSync(join(tmpdir(), 'hearth-relay-full-'));
    writeFileSync(join(dataDir, 'other-files'), new Uint8Array(20_000));
    const full = await startRelayProcess({ dataDir, redis: `redis://127.0.0.1:${redis.port}`, maxDataMb: 0.01, name: 'relay-full' });
    try {
      const member = client([full.url], members[7]);
      await member.proven();
      await waitFor(
        'the member to read the community through the full relay',
        () =>
          holdsAll(
            member,
            setup.map((r) => r.id)
          ),
        Boolean,
        15_000
      );
      const r = await reply(members[7], 'while the disk is full');
      put(member, [r]);
      await waitFor(
        'a disk_full refusal',
        () => member.link.refused.get('relay.disk_full') ?? 0,
        (n) => n > 0,
        10_000
      );
      // Reads still work: a newcomer syncs the whole community through the full relay, without the refused write.
      const read = await readThrough(
        full.url,
        setup.map((x) => x.id)
      );
      expect(read.has(genesis.id)).toBe(true);
      expect(read.has(r.id)).toBe(false);
      expect(disk(dataDir)).not.toContain(r.id);
      expect(full.output()).toContain('relay.disk_full');
    } finally {
      await full.stop();
    }
  }, 40_000);
});
