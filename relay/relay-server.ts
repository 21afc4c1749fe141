// A Hearth relay: Hocuspocus with the app's gate in front of every write, a disk of its own, and
// (given a Redis address) Redis pub/sub so several relay processes serve the same rooms.
//
// Every sync message that carries an update is taken out of Hocuspocus' hands (its type byte is
// turned into a no-op) and judged by the room's RoomGate; what passes is appended to disk, applied
// to the document (which fans it out to the room's connections and, through Redis, to the other
// relays) and only then acknowledged. A connection writes only after it signed the relay's
// challenge with a member key (crypto/relay-proof.ts); reading needs only the room name, which is
// derived from the room secret.
import { Server, OutgoingMessage, type Connection, type DirectConnection, type Document } from '@hocuspocus/server';
import { Redis } from '@hocuspocus/extension-redis';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { join } from 'node:path';
import * as Y from 'yjs';
import { writeSyncStep2 } from 'y-protocols/sync';
import { checkProof, newChallenge, readProofMessage, type RelayChallenge, type RelayNotice } from '../src/lib/crypto/relay-proof';
import { DEFAULT_LIMITS, RateLimiter, type RateLimits } from './rate-limit';
import { batchFanOut } from './batched-fan-out';
import { NODE_RECORD_CRYPTO } from './node-record-crypto';
import { RelayStats } from './relay-stats';
import { RoomGate } from './room-gate';
import { DEFAULT_COMPACTION, RoomStore } from './room-store';
import { ChunkStore } from './chunk-store';
import { CORE_SHARD } from '../src/lib/domain/shards';
import { MAX_LISTED_MONTHS, parseRelayRoom, shardRoomName } from '../src/lib/sync/relay-rooms';

export interface RelayOptions {
  port: number;
  host?: string;
  dataDir: string;
  /** redis://host:port — several relays on one Redis serve the same rooms. */
  redis?: string | null;
  /** Refuse writes once the data directory holds this many bytes (0: the disk's own limit). */
  maxDataBytes?: number;
  limits?: RateLimits;
  /** Attachment chunks one member may keep per room (relay/chunk-store.ts). */
  memberChunkBytes?: number;
  /** Name of this relay in logs and Redis messages. */
  name?: string;
  log?: (line: string) => void;
  /** Every this many ms, log one JSON line of load figures (`relay-stats`); 0: never. */
  statsEveryMs?: number;
}

export interface RelayCounters {
  accepted: number;
  dropped: number;
  held: number;
  refused: Record<string, number>;
  /** Sockets closed for too many refused messages. */
  closed: number;
}

/** Hocuspocus message types (its wire format). */
const SYNC = 0;
const AWARENESS = 1;
const QUERY_AWARENESS = 3;
const SYNC_REPLY = 4;
const STATELESS = 5;
const BROADCAST_STATELESS = 6;
const SYNC_STEP1 = 0;

const MAX_AWARENESS_BYTES = 64 * 1024;
const MAX_STATELESS_BYTES = 4 * 1024;
/** Refusals a socket may collect (over all the rooms it carries) before the relay closes it. */
const MAX_STRIKES = 50;
/**
 * One strike is forgiven this often: a flood collects its 50 within a second, but a device that is
 * online for days, now and then over its budget as it gives the relay its months, is never closed for it.
 */
const STRIKE_FORGIVEN_MS = 1_000;
/**
 * How long after a room's connection opens its writes may come before its proof without a strike:
 * a client answers the room's challenge as it connects, and its first step 2 crosses that answer (a
 * device giving a fresh relay 143 months opened 143 rooms on one socket, each one refusal, and the
 * relay closed the socket after 50). The write is still refused, and asked for again once proven.
 */
const PROOF_GRACE_MS = 10_000;
/** A sync refused over the message rate is asked for again once the socket could send this many messages. */
const REASK_MESSAGES = 10;
/**
 * A member key's budget over all its sockets, as a multiple of one socket's: a member has a few
 * devices (one socket each: a device's tabs share its community worker's link), but opening more
 * sockets must not multiply what one key may send.
 */
const KEY_BUDGET_SOCKETS = 4;

const GATE = Symbol('hearth-gate');
const DISK = Symbol('hearth-disk');

/** One connection is one room on one socket: its challenge and the key proven for that room. */
interface ConnectionState {
  challenge: RelayChallenge;
  key: string | null;
  /** When the relay first saw the connection (`PROOF_GRACE_MS`). */
  since: number;
}

/** What a socket has spent and how often it was refused, whatever rooms it opens or re-opens. */
interface SocketState {
  limiter: RateLimiter;
  /** Refusals not yet forgiven (one a second, STRIKE_FORGIVEN_MS), as of `struckAt`. */
  strikes: number;
  struckAt: number;
  closed: boolean;
}

/** What RedisFanOut uses of the extension's private members. */
interface RedisInternals {
  pub: { publish: (channel: string, message: Buffer) => Promise<unknown> };
  pubKey: (documentName: string) => string;
  encodeMessage: (message: Uint8Array) => Buffer;
  publishFirstSyncStep: (documentName: string, document: Document) => Promise<unknown>;
  redisTransactionOrigin: string;
}

/**
 * Each relay keeps its own copy on its own disk: Redis carries updates, never a storage lock. A
 * change is published as the update itself (one hop; the extension's default publishes a state
 * vector and waits for the other relays to ask, three hops). Sync step 1 still goes out when a
 * room loads, when Redis comes back and every 30 s, so a relay that missed a message catches up.
 */
class RedisFanOut extends Redis {
  override async onStoreDocument(): Promise<void> {}
  override async afterStoreDocument(): Promise<void> {}

  get #internals(): RedisInternals {
    return this as unknown as RedisInternals;
  }

  override async onChange(data: { documentName: string; update: Uint8Array; transactionOrigin: unknown }): Promise<void> {
    const self = this.#internals;
    if (data.transactionOrigin === self.redisTransactionOrigin) return;
    // As sync step 2: the receiving extension applies step 2 under its Redis origin (an "update" message it would apply under none, and publish again).
    const message = new OutgoingMessage(data.documentName).createSyncMessage();
    encoding.writeVarUint(message.encoder, 1);
    encoding.writeVarUint8Array(message.encoder, data.update);
    await self.pub.publish(self.pubKey(data.documentName), self.encodeMessage(message.toUint8Array()));
  }

  /** Asks the other relays for what this one lacks of every loaded room. */
  heal(documents: Map<string, Document>): void {
    for (const [name, document] of documents) void this.#internals.publishFirstSyncStep(name, document).catch(() => {});
  }
}

export async function startRelay(options: RelayOptions): Promise<{ port: number; counters: RelayCounters; close: () => Promise<void> }> {
  const log = options.log ?? ((line: string) => console.log(line));
  const store: RoomStore = new RoomStore(options.dataDir, options.maxDataBytes ?? 0, DEFAULT_COMPACTION, () => chunks.bytes);
  const gates = new WeakMap<Y.Doc, RoomGate>();
  const states = new WeakMap<Connection, ConnectionState>();
  const sockets = new WeakMap<object, SocketState>();
  /** Per member key, over every socket it proved itself on (entries are dropped once full again). */
  const keyLimiters = new Map<string, RateLimiter>();
  const keyLimits = {
    messagesPerSecond: (options.limits ?? DEFAULT_LIMITS).messagesPerSecond * KEY_BUDGET_SOCKETS,
    messageBurst: (options.limits ?? DEFAULT_LIMITS).messageBurst * KEY_BUDGET_SOCKETS,
    bytesPerSecond: (options.limits ?? DEFAULT_LIMITS).bytesPerSecond * KEY_BUDGET_SOCKETS,
    byteBurst: (options.limits ?? DEFAULT_LIMITS).byteBurst * KEY_BUDGET_SOCKETS
  };
  /** Per room, the judge → append → apply chain: one update at a time, in arrival order. */
  const queues = new Map<string, Promise<void>>();
  const resyncs = new Map<string, ReturnType<typeof setTimeout>>();
  const counters: RelayCounters = { accepted: 0, dropped: 0, held: 0, refused: {}, closed: 0 };
  const limits = options.limits ?? DEFAULT_LIMITS;
  const stats = new RelayStats(!!options.statsEveryMs);
  const stopTiming = batchFanOut((ms) => stats.steps.fanout.add(ms));
  const statsTimer = options.statsEveryMs
    ? setInterval(() => log(JSON.stringify({ 'relay-stats': options.name ?? options.port, ...stats.take() })), options.statsEveryMs)
    : null;
  const chunks: ChunkStore = new ChunkStore({
    dir: join(options.dataDir, 'chunks'),
    maxDataBytes: options.maxDataBytes,
    otherBytes: () => store.bytes,
    memberBudget: options.memberChunkBytes,
    isMember: (d, key) => !!gateOf(d).authority()?.isMember(key),
    log
  });

  const stateOf = (connection: Connection): ConnectionState => {
    let state = states.get(connection);
    if (!state) states.set(connection, (state = { challenge: newChallenge(), key: null, since: Date.now() }));
    return state;
  };
  const socketOf = (connection: Connection): SocketState => {
    let state = sockets.get(connection.webSocket);
    if (!state) sockets.set(connection.webSocket, (state = { limiter: new RateLimiter(limits), strikes: 0, struckAt: 0, closed: false }));
    return state;
  };
  /** Takes one message from the socket's budget and, once a key is proven on it, from the key's. */
  const spend = (connection: Connection, bytes: number): boolean => {
    if (!socketOf(connection).limiter.take(bytes)) return false;
    const key = stateOf(connection).key;
    if (!key) return true;
    let limiter = keyLimiters.get(key);
    if (!limiter) keyLimiters.set(key, (limiter = new RateLimiter(keyLimits)));
    return limiter.take(bytes);
  };
  const keySweep = setInterval(() => {
    // A key idle long enough to be full again needs no entry (keeps the map to the keys writing now).
    for (const [key, limiter] of keyLimiters) if (limiter.full()) keyLimiters.delete(key);
  }, 60_000);
  keySweep.unref?.();
  /**
   * A shard's room (`<room>.<shard>`, sync/relay-rooms.ts) is gated to its shard; a month's room is
   * judged with its core room's authority, which the relay keeps loaded while the month is.
   */
  const gateOf = (document: Document): RoomGate => {
    let gate = gates.get(document);
    if (!gate) {
      const room = parseRelayRoom(document.name);
      const shard = room?.shard ?? null;
      const coreName = room && shard && shard !== CORE_SHARD ? shardRoomName(room.community, CORE_SHARD) : null;
      const core = () => {
        const coreDoc = coreName ? server.hocuspocus.documents.get(coreName) : undefined;
        return coreDoc ? gateOf(coreDoc) : null;
      };
      gates.set(document, (gate = new RoomGate(document, NODE_RECORD_CRYPTO, { shard, core })));
    }
    return gate;
  };
  /** Per month's room loaded, the connection that keeps its core room loaded. */
  const coreLinks = new Map<string, Promise<DirectConnection>>();
  const notify = (connection: Connection, notice: Omit<RelayNotice, 't'>) => connection.sendStateless(JSON.stringify({ t: 'hearth-relay', ...notice }));
  // A month's room that first holds something is told to the members on the community's core room,
  // who visit it (a newcomer that met no peer learns of a month pushed after it proved itself).
  store.onMonth = (community, month) => {
    const core = server.hocuspocus.documents.get(shardRoomName(community, CORE_SHARD));
    for (const connection of core?.getConnections() ?? []) if (stateOf(connection).key) notify(connection, { months: [month] });
  };
  const ack = (connection: Connection, saved: boolean) => connection.send(new OutgoingMessage(connection.document.name).writeSyncStatus(saved).toUint8Array());
  const askForSync = (connection: Connection) =>
    connection.send(new OutgoingMessage(connection.document.name).createSyncMessage().writeFirstSyncStepFor(connection.document).toUint8Array());
  /**
   * Connections a sync of which the message rate refused, answered once the socket's budget has refilled
   * a little: the client sends nothing again by itself, so a device giving a fresh relay its months
   * faster than the budget left months off the relay until its next sweep, and a newcomer's refused read
   * of a month went unanswered. A refused read (step 1) is answered then (step 2 for its state vector,
   * the last one refused on that connection); a refused write is asked for again (the relay's step 1);
   * a connection not proven yet (its answer to the challenge may be what was dropped) is challenged again.
   */
  const reasks = new Map<Connection, { timer: ReturnType<typeof setTimeout>; read: Uint8Array | null }>();
  const askAgainLater = (connection: Connection, read: Uint8Array | null) => {
    const pending = reasks.get(connection);
    if (pending) {
      pending.read = read ?? pending.read;
      return;
    }
    const entry = {
      read,
      timer: setTimeout(
        () => {
          reasks.delete(connection);
          const document = connection.document;
          if (!document.getConnections().includes(connection)) return;
          if (entry.read) {
            try {
              const reply = new OutgoingMessage(document.name).createSyncReplyMessage();
              writeSyncStep2(reply.encoder, document, entry.read);
              connection.send(reply.toUint8Array());
            } catch {
              // Not a state vector: nothing to answer.
            }
          }
          // Unproven, its proof may be what was refused: the challenge again, whose answer asks for the sync.
          const state = stateOf(connection);
          if (state.key) askForSync(connection);
          else connection.sendStateless(JSON.stringify(state.challenge));
        },
        REASK_MESSAGES * (1000 / limits.messagesPerSecond)
      )
    };
    reasks.set(connection, entry);
  };
  const debug = process.env.HEARTH_RELAY_DEBUG ? log : () => {};
  const refuse = (connection: Connection, reason: string) => {
    const state = stateOf(connection);
    debug(`relay: refused ${reason} from ${state.key?.slice(0, 8) ?? 'no key'}`);
    counters.refused[reason] = (counters.refused[reason] ?? 0) + 1;
    const socket = socketOf(connection);
    const proving = reason === 'relay.no_proof' && state.key === null && Date.now() - state.since < PROOF_GRACE_MS;
    if (!proving) {
      const now = Date.now();
      socket.strikes = Math.max(0, socket.strikes - (now - socket.struckAt) / STRIKE_FORGIVEN_MS) + 1;
      socket.struckAt = now;
    }
    ack(connection, false);
    notify(connection, { refused: reason });
    if (socket.strikes > MAX_STRIKES) {
      // Counted once: refusals of messages already on their way close nothing more.
      if (!socket.closed) counters.closed++;
      socket.closed = true;
      // The whole socket goes: closing only this room's connection would let the client
      // authenticate again on the same socket and start with a clean slate.
      const why = `too many refused messages (${reason})`;
      connection.close({ code: 4429, reason: why });
      connection.webSocket.close(4429, why);
    }
  };

  /** After the authority changed, clients are asked again for what the relay held back. */
  const scheduleResync = (document: Document) => {
    if (resyncs.has(document.name)) return;
    resyncs.set(
      document.name,
      setTimeout(() => {
        resyncs.delete(document.name);
        const gate = gates.get(document);
        if (!gate?.resyncDue()) return;
        gate.resynced();
        document.getConnections().forEach((c) => askForSync(c));
      }, 1000)
    );
  };

  const judgeAndApply = async (connection: Connection, document: Document, update: Uint8Array, queuedAt: number) => {
    const state = stateOf(connection);
    const started = performance.now();
    stats.steps.queue.add(started - queuedAt);
    const judged = await gateOf(document).judge(update, state.key);
    stats.steps.judge.add(performance.now() - started);
    if (!judged.ok) return refuse(connection, judged.reason);
    debug(
      `relay: ${state.key?.slice(0, 8)} update ${update.length} B → ${judged.update?.length ?? 0} B, dropped ${judged.dropped}, held ${judged.held}, junk ${judged.junk}`
    );
    counters.dropped += judged.dropped + judged.junk;
    counters.held += judged.held;
    if (judged.update) {
      const stored = stats.time('append', () => store.append(document.name, judged.update as Uint8Array));
      if (!stored.ok) {
        log(`relay: refusing a write to ${document.name}: ${stored.reason} (${stored.detail})`);
        return refuse(connection, stored.reason);
      }
      stats.time('apply', () => Y.applyUpdate(document, judged.update as Uint8Array, GATE));
      counters.accepted++;
    }
    ack(connection, judged.held === 0);
    if (judged.dropped || judged.held || judged.junk) notify(connection, { dropped: judged.dropped + judged.junk, held: judged.held });
  };

  const fanOut = options.redis
    ? new RedisFanOut({
        ...redisAddress(options.redis),
        identifier: options.name ?? `relay-${options.port}-${process.pid}`,
        prefix: 'hearth-relay',
        // Reconnect every ≤ 2 s while Redis is away. No ready check: after Redis restarts, ioredis'
        // INFO can race the resubscription and fail with "Connection in subscriber mode".
        options: { retryStrategy: (times: number) => Math.min(200 * times, 2000), maxRetriesPerRequest: null, enableReadyCheck: false, disableClientInfo: true }
      })
    : null;
  const server = new Server(
    {
      name: options.name ?? `relay-${options.port}`,
      port: options.port,
      address: options.host ?? '0.0.0.0',
      quiet: true,
      stopOnSignals: false,
      extensions: [chunks.extension(), ...(fanOut ? [fanOut] : [])],

      async onLoadDocument({ documentName, document }) {
        if (!RoomStore.validRoom(documentName)) throw new Error('not a Hearth room');
        for (const update of store.load(documentName)) Y.applyUpdate(document, update, DISK);
        const gate = gateOf(document);
        if (gate.isMonth && !coreLinks.has(documentName)) {
          const room = parseRelayRoom(documentName)!;
          coreLinks.set(documentName, server.hocuspocus.openDirectConnection(shardRoomName(room.community, CORE_SHARD)));
        }
      },

      async afterUnloadDocument({ documentName }) {
        const link = coreLinks.get(documentName);
        coreLinks.delete(documentName);
        if (link) await (await link).disconnect();
      },

      async connected({ connection }) {
        connection.sendStateless(JSON.stringify(stateOf(connection).challenge));
      },

      async onStateless({ connection, payload, document }) {
        const state = stateOf(connection);
        const proof = await checkProof(readProofMessage(payload), document.name, state.challenge);
        if (!proof.ok) return refuse(connection, proof.reason);
        state.key = proof.key;
        debug(`relay: ${proof.key.slice(0, 8)} proved itself on ${document.name.slice(0, 8)}`);
        // On the core's room, the months this relay holds anything of: a device that meets no peer
        // visits those (its own window is the last ten years).
        const room = parseRelayRoom(document.name);
        const months = room?.shard === CORE_SHARD ? store.months(room.community).slice(-MAX_LISTED_MONTHS) : undefined;
        notify(connection, { member: proof.key, ...(months ? { months } : {}) });
        // What the client sent before it proved itself was refused: ask for it again.
        askForSync(connection);
      },

      async beforeHandleMessage({ connection, document, update: data }) {
        const d = decoding.createDecoder(data);
        decoding.readVarString(d);
        const typeAt = d.pos;
        const type = decoding.readVarUint(d);
        // Hocuspocus reads the same bytes after this hook: a message the relay handles itself (or
        // refuses) becomes a QueryAwareness without a reply channel, which does nothing.
        const neutralise = () => {
          data[typeAt] = QUERY_AWARENESS;
        };
        if (!spend(connection, data.length)) {
          neutralise();
          if (type === SYNC || type === SYNC_REPLY) refuse(connection, 'relay.rate_limited');
          if (type === SYNC || type === SYNC_REPLY || type === STATELESS) askAgainLater(connection, type === STATELESS ? null : stepOneOf(d));
          return;
        }
        if (type === AWARENESS && data.length > MAX_AWARENESS_BYTES) return neutralise();
        if (type === STATELESS && data.length > MAX_STATELESS_BYTES) return neutralise();
        if (type === BROADCAST_STATELESS) return neutralise();
        if (type !== SYNC && type !== SYNC_REPLY) return;
        let update: Uint8Array;
        try {
          if (decoding.readVarUint(d) === SYNC_STEP1) return; // a read: Hocuspocus answers it
          update = decoding.readVarUint8Array(d);
        } catch {
          neutralise();
          return refuse(connection, 'update.malformed');
        }
        neutralise();
        const room = document.name;
        const queuedAt = performance.now();
        const run = (queues.get(room) ?? Promise.resolve()).then(() =>
          judgeAndApply(connection, document, update, queuedAt).catch((error) => {
            log(`relay: judging an update for ${room} failed: ${error}`);
            refuse(connection, 'relay.internal');
          })
        );
        queues.set(room, run);
        void run.then(() => {
          if (queues.get(room) === run) queues.delete(room);
        });
      },

      async onChange({ document, documentName, update, transactionOrigin }) {
        // Updates from the other relays (Redis) are kept on this relay's disk too.
        if (transactionOrigin !== GATE && transactionOrigin !== DISK) {
          const stored = stats.time('peer', () => store.append(documentName, update));
          if (!stored.ok) log(`relay: could not keep an update from another relay for ${documentName}: ${stored.reason} (${stored.detail})`);
        }
        if (gates.get(document)?.resyncDue()) scheduleResync(document);
        // Authority lives in the core: the community's months may now take what they held back.
        const room = parseRelayRoom(documentName);
        if (room?.shard === CORE_SHARD) {
          for (const [name, month] of server.hocuspocus.documents) {
            if (name.startsWith(`${room.community}.`) && name !== documentName && gates.get(month)?.resyncDue()) scheduleResync(month);
          }
        }
      },

      async onStoreDocument({ documentName, document }) {
        // Hocuspocus asks every 2–10 s while a room is written to, but the log already holds every
        // write: the whole document is encoded and rewritten only when the log is worth folding in
        // (RoomStore.compactDue), or when the last connection leaves (the next load reads one file).
        if (document.getConnectionsCount() > 0 && !store.compactDue(documentName)) return;
        const stored = stats.time('snapshot', () => store.compact(documentName, Y.encodeStateAsUpdate(document)));
        if (!stored.ok) log(`relay: snapshot of ${documentName} not written: ${stored.detail}`);
      }
    },
    { maxPayload: 64 * 1024 * 1024 }
  );
  await server.listen();
  let heal: ReturnType<typeof setInterval> | null = null;
  const healLater = new Set<ReturnType<typeof setTimeout>>();
  if (fanOut) {
    const documents = server.hocuspocus.documents;
    heal = setInterval(() => fanOut.heal(documents), 30_000);
    // After Redis restarts, the four connections of two relays come back one by one, and what is
    // published before another relay has subscribed again is gone: heal when either of ours is back,
    // and twice more once the others have likely followed (a relay answers a sync step 1 only once
    // subscribed, so the relay that missed an update asks again).
    const onReady = () => {
      fanOut.heal(documents);
      for (const ms of [1_000, 4_000]) {
        const timer = setTimeout(() => {
          healLater.delete(timer);
          fanOut.heal(documents);
        }, ms);
        healLater.add(timer);
      }
    };
    for (const connection of [fanOut.pub, fanOut.sub]) (connection as unknown as { on: (e: string, f: () => void) => void }).on('ready', onReady);
  }
  const address = server.httpServer.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    port,
    counters,
    close: async () => {
      for (const timer of resyncs.values()) clearTimeout(timer);
      for (const { timer } of reasks.values()) clearTimeout(timer);
      if (heal) clearInterval(heal);
      for (const timer of healLater) clearTimeout(timer);
      if (statsTimer) clearInterval(statsTimer);
      clearInterval(keySweep);
      stopTiming();
      stats.stop();
      await server.destroy();
    }
  };
}

function redisAddress(url: string): { host: string; port: number } {
  const u = new URL(url.includes('://') ? url : `redis://${url}`);
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) };
}

/** The state vector of a sync message that is a step 1 (a read), null for a write or bytes that are neither. */
function stepOneOf(d: decoding.Decoder): Uint8Array | null {
  try {
    return decoding.readVarUint(d) === SYNC_STEP1 ? decoding.readVarUint8Array(d) : null;
  } catch {
    return null;
  }
}
