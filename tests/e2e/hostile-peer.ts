// A hostile Node peer for e2e tests and benches: joins a community's y-webrtc room holding only what an
// invite link gives (room secret, signed invite, genesis) and writes whatever it likes into the shared document.
//
//   const peer = await hostilePeer(link);      // a link from makeInvite (journeys.ts): `/join#<token>`
//   await peer.synced();                       // a browser peer is connected and the map holds the genesis
//   const me = await peer.newIdentity();
//   peer.setMany([await peer.join(me), await peer.seal(me, 'profile', { name: 'Mallory' })]);
//   ...
//   await peer.close();
//
// It talks to the browsers over real WebRTC (@roamhq/wrtc) through the signaling server named in the link, so
// it needs the e2e config's servers (or the bench's). Runs under Playwright's TypeScript loader and under tsx.
// A process that made a peer does not exit by itself afterwards (wrtc's native threads): scripts call process.exit.
import * as Y from 'yjs';
import { WebrtcProvider } from 'y-webrtc';
// The simple-peer build y-webrtc itself imports: patched like the app's, or nothing over 256 KiB crosses.
import SimplePeer from 'simple-peer/simplepeer.min.js';
import { wrtc } from '../node/webrtc';
import { installChunking } from '../../src/lib/sync/webrtc-chunking';
import { decodeInvite, type InvitePayload } from '../../src/lib/crypto/invite-token';
import { generateIdentity, type Identity } from '../../src/lib/crypto/identity';
import { sealRecord } from '../../src/lib/crypto/record-seal';
import { fromBase64Url } from '../../src/lib/crypto/encoding';
import type { AnyRecord, BodyOf, Kind, SignedRecord } from '../../src/lib/domain/record';
import { generateInviteKey, signJoinProof } from '../../src/lib/crypto/invite-key';
import { computeAuthority } from '../../src/lib/domain/authority';
import { scopeContext } from '../../src/lib/domain/scopes';
import { currentEpochs, validKeyRecords } from '../../src/lib/domain/epochs';
import { buildKeyring } from '../../src/lib/crypto/epoch-keys';
import { memberBoxKeyOf } from '../../src/lib/crypto/member-box';
import { meshRoomOf, type MeshRoom } from '../../src/lib/sync/mesh';
import { CORE_SHARD, shardOf } from '../../src/lib/domain/shards';
import { ShardSync } from '../../src/lib/sync/shards/shard-sync';
import { localEndpoint, ShardPeers } from '../../src/lib/sync/shards/peer-channel';
import { MemoryShardDocs } from './hostile-shards';

installChunking(SimplePeer as never);

export type Junk = 'text' | 'array' | 'map';

/** How a join proves it holds the invite link (the invite-capability fix: `body.proof`, signed by the invite key). */
export type ProofMode =
  /** Made from the link's private half, through `signJoinProof` once src/lib/crypto/invite-token.ts exports it; none before. */
  | 'link'
  /** A signature by a random key of the attacker's own: what a thief who read the invite from the map can make. */
  | 'forged'
  /** No proof at all (today's `join { invite }`). */
  | 'none';

export interface HostilePeer {
  readonly cid: string;
  /** The document y-webrtc syncs: the whole community, or the core of a community held in shards. */
  readonly doc: Y.Doc;
  readonly records: Y.Map<unknown>;
  /** Whether the community is held in shards (its genesis says so): then months cross through the shard sync. */
  readonly sharded: boolean;
  /** Everything this peer holds, every shard's document included, as bytes. */
  held(): Uint8Array;
  /** Calls `listener` for each key set or deleted in any of this peer's documents (those made later too). */
  observeRecords(listener: (key: string, value: unknown) => void): () => void;
  /** The lobby: room = community id, password = the link's room secret (honest peers send core records only there). */
  readonly provider: WebrtcProvider;
  /** The link's checked payload, and the raw JSON inside the token (fields the checked payload does not know yet). */
  readonly invite: InvitePayload;
  readonly tokenJson: Record<string, unknown>;
  /** Resolves once a browser peer is connected and the map holds the genesis (the first sync is done). */
  synced(timeoutMs?: number): Promise<void>;
  /** WebRTC connections open now, in every room this peer is in. */
  peers(): number;
  /**
   * Enters the mesh as `identity` once it holds a key of the community scope's newest epoch (after the
   * creator's device admitted it and shared the key): a member holding the room secret and a member key.
   * Returns the room (keep it: it is what a banned member tries again later).
   */
  enterMesh(identity: Identity, timeoutMs?: number): Promise<MeshRoom>;
  /** Joins a room with a password this peer holds (an old mesh after a ban, say), syncing the same document. */
  joinRoom(room: MeshRoom): void;
  leaveRoom(room: MeshRoom): Promise<void>;
  /** WebRTC connections in one room. */
  roomPeers(room: MeshRoom): number;
  newIdentity(): Promise<Identity>;
  /** Signs a record as `identity` with any `ts` (default now). */
  seal<K extends Kind>(identity: Identity, kind: K, body: BodyOf<K>, ts?: number): Promise<SignedRecord<K>>;
  /** A join of `identity` through `invite` (default: the link's), with the proof mode asked for. */
  join(identity: Identity, opts?: { invite?: SignedRecord<'invite'>; ts?: number; proof?: ProofMode; token?: Record<string, unknown> }): Promise<AnyRecord>;
  /** Records of the shared maps (every shard's) that parse as records (values as they are, unchecked). */
  list(kind?: Kind): AnyRecord[];
  setRecord(record: AnyRecord): void;
  /** Sends many records in ONE transaction (per shard, in a community held in shards): one Yjs update, one WebRTC message (framed). */
  setMany(records: readonly AnyRecord[]): void;
  setRaw(key: string, value: unknown): void;
  /** Re-sets every key of the map to what `f` makes of its value, in one transaction. */
  rewriteAll(f: (value: unknown, key: string) => unknown): number;
  deleteKey(key: string): void;
  /** Adds a root type the app never uses: `size` characters of text, `size` array items or `size` map keys. */
  addJunkRoot(name: string, kind: Junk, size: number): void;
  /** Replaces this peer's awareness state (presence): unsigned, whatever it claims. */
  setPresence(state: Record<string, unknown> | null): void;
  /** Waits for a condition on the peer's own copy of the document. */
  waitFor(what: string, check: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** The token inside an invite link (`/join#<token>`), inflated to its JSON, unchecked. */
async function tokenJsonOf(link: string): Promise<Record<string, unknown>> {
  const token = link.includes('#') ? link.slice(link.indexOf('#') + 1) : link;
  const bytes = fromBase64Url(token.trim());
  if (!bytes) throw new Error('invite link: token is not base64url');
  const text = await new Response(new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('deflate-raw'))).text();
  return JSON.parse(text) as Record<string, unknown>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Joins the room of the community an invite link is for. Call `synced()` before reading the map. */
export async function hostilePeer(link: string, opts: { log?: (line: string) => void } = {}): Promise<HostilePeer> {
  const token = link.slice(link.indexOf('#') + 1);
  const decoded = await decodeInvite(token);
  if (!decoded.ok) throw new Error(`invite link refused: ${decoded.reason}`);
  const invite = decoded.value;
  const tokenJson = await tokenJsonOf(link);
  const doc = new Y.Doc();
  const records = doc.getMap<unknown>('records');
  const provider = new WebrtcProvider(invite.cid, doc, {
    signaling: invite.signaling,
    password: invite.secret,
    // Loopback only, as the app does for local signaling servers.
    peerOpts: { wrtc, config: { iceServers: [] } }
  });
  const log = opts.log ?? (() => {});
  provider.on('peers', (e: { webrtcPeers: string[] }) => log(`hostile peer: ${e.webrtcPeers.length} WebRTC peers`));

  const rooms = new Map<string, WebrtcProvider>();
  const peers = () => [provider, ...rooms.values()].reduce((n, p) => n + (p.room?.webrtcConns.size ?? 0), 0);
  // A community held in shards: its months cross through the shard sync over the mesh's connections
  // (as an honest device's do, sync/peer-sync.ts), the core through y-webrtc.
  const sharded = (invite.genesis.body as { shards?: unknown }).shards === 'month';
  const shards = sharded ? new MemoryShardDocs(doc) : null;
  const shardSync = shards ? new ShardSync(shards) : null;
  const meshConns = (connecting: boolean) =>
    [...rooms.values()].flatMap((p) => [...(p.room?.webrtcConns.values() ?? [])].filter((c) => c.connected || connecting).map((c) => c.peer as object));
  const shardPeers = shardSync
    ? new ShardPeers(
        localEndpoint(shardSync),
        () => meshConns(false),
        (p) => meshConns(true).includes(p)
      )
    : null;
  const joinRoom = (room: MeshRoom) => {
    if (rooms.has(room.room)) return;
    const mesh = new WebrtcProvider(room.room, doc, { signaling: invite.signaling, password: room.password, peerOpts: { wrtc, config: { iceServers: [] } } });
    mesh.on('peers', () => shardPeers?.refresh());
    rooms.set(room.room, mesh);
  };
  /** Every document this peer holds: the one y-webrtc syncs, and each month's. */
  const docs = (): Y.Doc[] => (shards ? shards.docs().map(([, d]) => d) : [doc]);
  /** Where a record goes: its month's document in a community held in shards, else the one document. */
  const docOf = (record: AnyRecord): Y.Doc => {
    if (!shards || typeof record?.kind !== 'string' || typeof record.ts !== 'number') return doc;
    const shard = shardOf(record);
    return shard === CORE_SHARD ? doc : shards.doc(shard, true)!;
  };
  /** Sets records, one transaction per document they go to. */
  const setAll = (list: readonly AnyRecord[]) => {
    const byDoc = new Map<Y.Doc, AnyRecord[]>();
    for (const r of list) {
      const d = docOf(r);
      const rs = byDoc.get(d);
      if (rs) rs.push(r);
      else byDoc.set(d, [r]);
    }
    for (const [d, rs] of byDoc) d.transact(() => rs.forEach((r) => d.getMap('records').set(r.id, r)), 'hostile');
  };
  /** The newest `all` epoch whose key `identity` can open from the records this peer holds, as a mesh room. */
  const meshFor = async (identity: Identity): Promise<MeshRoom | null> => {
    const records = peer.list();
    const genesis = records.find((r) => r.kind === 'genesis' && r.id === invite.cid) as SignedRecord<'genesis'> | undefined;
    const box = await memberBoxKeyOf(identity);
    if (!genesis || !box) return null;
    const auth = computeAuthority(genesis, records);
    const view = validKeyRecords(records, scopeContext(records, auth));
    const ring = await buildKeyring(view, invite.cid, box);
    const held = currentEpochs(view, 'all').find((e) => ring.has(e.id));
    return held ? meshRoomOf(invite.cid, ring.get(held.id)!) : null;
  };
  const waitFor = async (what: string, check: () => boolean, timeoutMs = 30_000) => {
    const until = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > until) throw new Error(`hostile peer: timed out waiting for ${what}`);
      await sleep(100);
    }
  };
  const transact = (f: () => void) => doc.transact(f, 'hostile');

  const peer: HostilePeer = {
    cid: invite.cid,
    doc,
    records,
    sharded,
    held: () => Y.mergeUpdates(docs().map((d) => Y.encodeStateAsUpdate(d))),
    observeRecords(listener) {
      const watch = (d: Y.Doc) => {
        const map = d.getMap<unknown>('records');
        const f = (e: Y.YMapEvent<unknown>) => e.keysChanged.forEach((key) => listener(key, map.get(key)));
        map.observe(f);
        return () => map.unobserve(f);
      };
      const offs = docs().map(watch);
      if (shards) offs.push(shards.onDoc((_, d) => offs.push(watch(d))));
      return () => offs.forEach((off) => off());
    },
    provider,
    invite,
    tokenJson,
    synced: (timeoutMs = 30_000) => waitFor('a browser peer and the genesis', () => peers() > 0 && records.has(invite.cid), timeoutMs),
    peers,
    async enterMesh(identity, timeoutMs = 30_000) {
      let room: MeshRoom | null = null;
      const until = Date.now() + timeoutMs;
      while (!(room = await meshFor(identity))) {
        if (Date.now() > until) throw new Error('hostile peer: timed out waiting for a key of the community scope');
        await sleep(200);
      }
      joinRoom(room);
      await waitFor('a peer in the mesh', () => (rooms.get(room!.room)?.room?.webrtcConns.size ?? 0) > 0, timeoutMs);
      return room;
    },
    joinRoom,
    async leaveRoom(room) {
      const p = rooms.get(room.room);
      if (!p) return;
      rooms.delete(room.room);
      p.destroy();
      await p.key;
      await sleep(50);
    },
    roomPeers: (room) => rooms.get(room.room)?.room?.webrtcConns.size ?? 0,
    newIdentity: async () => (await generateIdentity()).identity,
    seal: (identity, kind, body, ts = Date.now()) => sealRecord(identity, { kind, cid: invite.cid, ts, body }),
    async join(identity, o = {}) {
      const target = o.invite ?? invite.invite;
      const ts = o.ts ?? Date.now();
      const body: Record<string, unknown> = { invite: target.id };
      const mode = o.proof ?? 'link';
      if (mode === 'forged') {
        // The invite's public key from the shared map, signed for with a key of the thief's own.
        body.key = target.body.key;
        body.proof = forgedProof(invite.cid, target.id, identity.publicKey);
      }
      if (mode === 'link') {
        const proof = linkProof(invite, target, identity.publicKey);
        if (proof !== undefined) Object.assign(body, { key: target.body.key, proof });
      }
      return sealRecord(identity, { kind: 'join', cid: invite.cid, ts, body: body as BodyOf<'join'> });
    },
    list(kind) {
      const out: AnyRecord[] = [];
      for (const d of docs())
        d.getMap<unknown>('records').forEach((value) => {
          const r = value as AnyRecord;
          if (r && typeof r === 'object' && typeof r.kind === 'string' && (!kind || r.kind === kind)) out.push(r);
        });
      return out;
    },
    setRecord: (record) => setAll([record]),
    setMany: setAll,
    setRaw: (key, value) => transact(() => records.set(key, value)),
    rewriteAll(f) {
      let n = 0;
      for (const d of docs()) {
        const map = d.getMap<unknown>('records');
        const entries = [...map.entries()];
        d.transact(() => entries.forEach(([key, value]) => map.set(key, f(value, key))), 'hostile');
        n += entries.length;
      }
      return n;
    },
    deleteKey: (key) => {
      for (const d of docs()) if (d.getMap('records').has(key)) d.transact(() => d.getMap('records').delete(key), 'hostile');
    },
    addJunkRoot(name, kind, size) {
      transact(() => {
        if (kind === 'text') doc.getText(name).insert(0, 'x'.repeat(size));
        else if (kind === 'array') doc.getArray(name).push(Array.from({ length: size }, (_, i) => i));
        else {
          const map = doc.getMap(name);
          for (let i = 0; i < size; i++) map.set(`k${i}`, i);
        }
      });
    },
    setPresence: (state) => [provider, ...rooms.values()].forEach((p) => p.awareness.setLocalState(state)),
    waitFor,
    async close() {
      shardPeers?.stop();
      shardSync?.destroy();
      shards?.destroy();
      rooms.forEach((p) => p.destroy());
      provider.destroy();
      doc.destroy();
      // Let the data channels and the signaling socket close before the process moves on.
      await sleep(200);
    }
  };
  return peer;
}

/**
 * The proof a holder of the invite link can make. The invite-capability fix (issue: invite theft) puts the
 * private half of a one-time invite key in the link; its helper is expected as `signJoinProof(token, member, ts)`
 * exported from src/lib/crypto/invite-token.ts (token: the link's payload). Until it exists there is no proof
 * and the join is today's `{ invite }`. If the fix names it differently, change this one function.
 */
function linkProof(payload: InvitePayload, target: SignedRecord<'invite'>, member: string): string | undefined {
  if (target.id !== payload.invite.id) return undefined; // the link only proves its own invite
  return signJoinProof(payload.inviteKey, { cid: payload.cid, invite: target.id, member });
}

/** A well-formed Ed25519 signature over the join's facts, by a key the invite never named. */
function forgedProof(cid: string, invite: string, member: string): string {
  return signJoinProof(generateInviteKey().seed, { cid, invite, member });
}

/** `count` valid threads by `identity`, sealed in parallel batches (20,000 take a few seconds in Node). */
export async function sealThreads(
  peer: HostilePeer,
  identity: Identity,
  count: number,
  opts: { ts?: number; title?: (i: number) => string } = {}
): Promise<AnyRecord[]> {
  const ts = opts.ts ?? Date.now();
  const title = opts.title ?? ((i: number) => `Flood ${i}`);
  const out: AnyRecord[] = [];
  for (let start = 0; start < count; start += 500) {
    const batch = Array.from({ length: Math.min(500, count - start) }, (_, j) => start + j);
    out.push(...(await Promise.all(batch.map((i) => peer.seal(identity, 'thread', { title: title(i), body: `spam ${i}` }, ts + i)))));
  }
  return out;
}
