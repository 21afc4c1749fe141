// Attachment chunks on a relay (relay/chunk-store.ts) through the app's own client
// (sync/relay-chunks.ts): members upload, others may not, bytes that are not what their name says
// are refused both ways, anyone in the room reads by name, and a full disk or a spent budget refuses
// uploads while reads go on. A relay in this process (no Redis), clients over real HTTP and WebSocket.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../src/lib/crypto/encoding';
import type { Identity } from '../src/lib/crypto/identity';
import { sealRecord } from '../src/lib/crypto/record-seal';
import { signChunkChallenge } from '../src/lib/crypto/relay-proof';
import { sealChunks, type SealedChunk } from '../src/lib/media/blob-crypto';
import { readAttachment, storeAttachment } from '../src/lib/media/blob-store';
import { HearthDb } from '../src/lib/store/db';
import { exchangeCounts, fetchChunk, serveChunks, uploadOwnChunks } from '../src/lib/sync/blob-exchange';
import { installChunking, SIDE_MAGIC } from '../src/lib/sync/webrtc-chunking';
import { fetchRelayChunk, relayChunkCounts, uploadRelayChunks, type RelayTarget } from '../src/lib/sync/relay-chunks';
import { relayRoomName } from '../src/lib/sync/relay-client';
import { inviteKey, joinBody, newCommunity, newMember } from '../tests/unit/community-fixture';
import { freePort, memberClient, waitFor, type MemberClient } from './local-cluster';
import { startRelay } from './relay-server';

type Relay = Awaited<ReturnType<typeof startRelay>> & { url: string; dataDir: string };
const relays: Relay[] = [];
const clients: MemberClient[] = [];
let creator: Identity;
let member: Identity;
let stranger: Identity;
let room: string;
let setup: Awaited<ReturnType<typeof sealRecord>>[];

async function relay(o: { maxDataBytes?: number; memberChunkBytes?: number; dataDir?: string } = {}): Promise<Relay> {
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'hearth-chunks-'));
  const started = await startRelay({ port: await freePort(), host: '127.0.0.1', dataDir, log: () => {}, ...o });
  const r = { ...started, url: `ws://127.0.0.1:${started.port}`, dataDir };
  relays.push(r);
  return r;
}

/** Opens the room on `r` with the community's records and keeps `who`'s proven connection open. */
async function openRoom(r: Relay, who: Identity): Promise<void> {
  const c = memberClient([r.url], room, who);
  clients.push(c);
  await c.proven();
  c.doc.transact(() => setup.forEach((x) => c.records.set(x.id, x)));
  await waitFor(
    'the room’s records acknowledged',
    () => c.link.unsynced,
    (n) => n === 0,
    10_000
  );
}

const target = (r: Relay): RelayTarget => ({ addresses: [r.url], room });
const sealed = async (bytes: number): Promise<SealedChunk[]> => (await sealChunks(new Uint8Array(randomBytes(bytes)))).chunks;
const reader = (chunks: SealedChunk[]) => async (hash: string) => chunks.find((c) => c.hash === hash)?.bytes ?? null;
const http = (r: Relay) => `http://127.0.0.1:${r.port}/hearth-chunks`;

beforeAll(async () => {
  creator = await newMember();
  member = await newMember();
  stranger = await newMember();
  const genesis = await newCommunity(creator);
  const cid = genesis.id;
  room = await relayRoomName(cid, randomId(32));
  const invite = await sealRecord(creator, {
    kind: 'invite',
    cid,
    ts: 1_700_000_000_500,
    body: { role: 'member', expiresAt: null, maxUses: null, label: 'all', nonce: 'n', ...inviteKey() }
  });
  const join_ = await sealRecord(member, { kind: 'join', cid, ts: 1_700_000_001_000, body: joinBody(invite, member) });
  setup = [genesis, invite, join_];
}, 30_000);

afterAll(async () => {
  clients.forEach((c) => c.destroy());
  await Promise.all(relays.map((r) => r.close()));
});

describe('attachment chunks on a relay', { timeout: 30_000 }, () => {
  it('a member uploads the chunks of an attachment and anyone who knows the room fetches each by name', async () => {
    const r = await relay();
    await openRoom(r, creator);
    const chunks = await sealed(600 * 1024); // three chunks
    const up = await uploadRelayChunks(
      target(r),
      member,
      chunks.map((c) => c.hash),
      reader(chunks)
    );
    expect(up).toEqual({ ok: true, uploaded: 3, had: 0 });
    for (const c of chunks) expect(await fetchRelayChunk(target(r), c.hash)).toEqual(c.bytes);
    // Asked again, the relay already has them all: nothing is sent twice.
    expect(
      await uploadRelayChunks(
        target(r),
        member,
        chunks.map((c) => c.hash),
        reader(chunks)
      )
    ).toEqual({ ok: true, uploaded: 0, had: 3 });
    // Another room name finds nothing.
    expect(await fetchRelayChunk({ addresses: [r.url], room: `${room.slice(0, -2)}xx` }, chunks[0].hash)).toBeNull();
  });

  it('someone who is not a member of the room, proves no key, or brings a proof for another room or nonce may not upload', async () => {
    const r = await relay();
    await openRoom(r, creator);
    const chunks = await sealed(1000);
    const up = await uploadRelayChunks(target(r), stranger, [chunks[0].hash], reader(chunks));
    expect(up).toEqual({ ok: false, reason: 'relay.not_member', uploaded: 0 });
    const bare = await fetch(`${http(r)}/${room}/${chunks[0].hash}`, { method: 'PUT', body: chunks[0].bytes as BufferSource });
    expect(bare.status).toBe(401);
    expect(await bare.json()).toEqual({ refused: 'relay.no_proof' });
    // A member's proof for another room, or over a nonce this relay never gave, opens nothing.
    const { nonce } = (await (await fetch(`${http(r)}/challenge`)).json()) as { nonce: string };
    for (const [proof, reason] of [
      [await signChunkChallenge(member, `${room.slice(0, -2)}xx`, nonce), 'proof.bad_signature'],
      [await signChunkChallenge(member, room, randomId(24)), 'relay.stale_nonce']
    ] as const) {
      const put = await fetch(`${http(r)}/${room}/${chunks[0].hash}`, {
        method: 'PUT',
        headers: { 'X-Hearth-Key': proof.key, 'X-Hearth-Nonce': proof.nonce, 'X-Hearth-Sig': proof.sig },
        body: chunks[0].bytes as BufferSource
      });
      expect(put.status).toBe(401);
      expect(await put.json()).toEqual({ refused: reason });
    }
    expect(await fetchRelayChunk(target(r), chunks[0].hash)).toBeNull();
  });

  it('bytes that are not what their name says are refused on upload, and a relay that serves such bytes is not believed', async () => {
    const r = await relay();
    await openRoom(r, creator);
    const [a, b] = await sealed(300 * 1024);
    const { nonce } = (await (await fetch(`${http(r)}/challenge`)).json()) as { nonce: string };
    const proof = await signChunkChallenge(member, room, nonce);
    const headers = { 'X-Hearth-Key': proof.key, 'X-Hearth-Nonce': proof.nonce, 'X-Hearth-Sig': proof.sig };
    const tampered = a.bytes.slice();
    tampered[10] ^= 1;
    const put = await fetch(`${http(r)}/${room}/${a.hash}`, { method: 'PUT', headers, body: tampered as BufferSource });
    expect(put.status).toBe(422);
    expect(await put.json()).toEqual({ refused: 'relay.chunk_mismatch' });
    expect(await fetchRelayChunk(target(r), a.hash)).toBeNull();
    // The same proof with the right bytes is accepted.
    expect((await fetch(`${http(r)}/${room}/${a.hash}`, { method: 'PUT', headers, body: a.bytes as BufferSource })).status).toBe(201);
    // A hostile relay's disk: b's name on other bytes. The client checks and refuses them.
    writeFileSync(join(r.dataDir, 'chunks', room, b.hash), a.bytes);
    const before = relayChunkCounts.tampered;
    expect(await fetchRelayChunk(target(r), b.hash)).toBeNull();
    expect(relayChunkCounts.tampered).toBe(before + 1);
  });

  it('a member past their byte budget is refused and what they kept stays readable', async () => {
    const r = await relay({ memberChunkBytes: 300 * 1024 });
    await openRoom(r, creator);
    const chunks = await sealed(600 * 1024);
    const up = await uploadRelayChunks(
      target(r),
      member,
      chunks.map((c) => c.hash),
      reader(chunks)
    );
    expect(up).toEqual({ ok: false, reason: 'relay.chunk_budget', uploaded: 1 });
    expect(await fetchRelayChunk(target(r), chunks[0].hash)).toEqual(chunks[0].bytes);
    expect(await fetchRelayChunk(target(r), chunks[1].hash)).toBeNull();
  });

  it('a relay whose disk is full refuses uploads with relay.disk_full and keeps serving the chunks it has', async () => {
    const kept = await sealed(1000);
    const dataDir = mkdtempSync(join(tmpdir(), 'hearth-chunks-full-'));
    mkdirSync(join(dataDir, 'chunks', room), { recursive: true });
    writeFileSync(join(dataDir, 'chunks', room, kept[0].hash), kept[0].bytes);
    // Room enough for the community's records, not for a whole chunk more.
    const r = await relay({ dataDir, maxDataBytes: 64 * 1024 });
    await openRoom(r, creator);
    const fresh = await sealed(256 * 1024);
    const up = await uploadRelayChunks(target(r), member, [fresh[0].hash], reader(fresh));
    expect(up).toEqual({ ok: false, reason: 'relay.disk_full', uploaded: 0 });
    expect(readdirSync(join(dataDir, 'chunks', room))).toEqual([kept[0].hash]);
    expect(await fetchRelayChunk(target(r), kept[0].hash)).toEqual(kept[0].bytes);
  });

  it('a device hands the relay its own attachment; another, whose only peer serves tampered chunks, completes it from the relay', async () => {
    const r = await relay();
    await openRoom(r, creator);
    const cid = setup[0].id;
    const bytes = new Uint8Array(randomBytes(700 * 1024));
    // The author's device: the attachment is stored as its own and uploaded.
    const mine = new HearthDb('relay-author');
    const manifest = await storeAttachment(mine, cid, { kind: 'file', name: 'lesson.bin', type: 'application/octet-stream', bytes });
    let stop = serveChunks(
      cid,
      mine,
      () => [],
      () => ({ target: target(r), identity: member })
    );
    expect(await uploadOwnChunks(cid)).toEqual({ ok: true, uploaded: 3, had: 0 });
    stop();
    // The reader's device: its one peer flips a byte in every chunk it sends.
    const theirs = new HearthDb('relay-reader');
    const liar = new FakePeer(async (peer, want) => {
      if (want[0] !== SIDE_MAGIC || want[1] !== 1) return;
      const real = (await mine.chunks.get(new TextDecoder().decode(want.subarray(6))))!.bytes;
      const out = new Uint8Array(6 + real.length);
      out.set(want.subarray(0, 6));
      out[1] = 2;
      out.set(real, 6);
      out[out.length - 1] ^= 1;
      peer.receive(out);
    });
    stop = serveChunks(
      cid,
      theirs,
      () => [liar],
      () => ({ target: target(r), identity: null })
    );
    const before = exchangeCounts.tampered;
    const read = await readAttachment(theirs, cid, manifest, (hash) => fetchChunk(cid, hash));
    stop();
    expect(read.ok && read.bytes).toEqual(bytes);
    expect(exchangeCounts.tampered).toBe(before + 3);
  });
});

/** A simple-peer stand-in whose answers the test writes (installChunking patches it like the real class). */
class FakePeer {
  destroyed = false;
  _channel = { readyState: 'open', bufferedAmount: 0 } as unknown as RTCDataChannel;
  constructor(readonly answer: (peer: FakePeer, bytes: Uint8Array) => void) {}
  send(data: Uint8Array) {
    const copy = data.slice();
    queueMicrotask(() => this.answer(this, copy));
  }
  receive(bytes: Uint8Array) {
    (this as unknown as { _onChannelMessage(e: { data: ArrayBuffer }): void })._onChannelMessage({ data: bytes.slice().buffer });
  }
  _onChannelMessage(_e: { data: unknown }) {}
}
installChunking(FakePeer as never);
