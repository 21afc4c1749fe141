// Many shard documents over one connection per peer (sync/shards/shard-wire.ts for the messages).
// On connect both sides send their catalogue (the shards they hold, with record counts and
// state-vector digests); each then asks the other, shard by shard, for what it lacks: y-protocols'
// step 1 (its state vector) and step 2 (the missing updates), wrapped with the shard's id. Shards
// whose digests are equal are not asked at all, so the dozens of closed months two members both
// hold cost a few bytes each.
//
// Order: the core alone first (authority, keys and names judge everything else), then the newest
// months, then older ones in the background (domain/shards `syncOrder`), at most `inFlight`
// requests at once over every peer, one peer per shard at a time. A peer whose HELLO says it reads
// ASK and ANSWER (shard-wire) is asked up to `batchSize` months in one message, at most
// `batchInFlight` months at once, and answers them in one (or a few) messages: a newcomer's 143 months
// are ten round trips instead of 143, and the months of one answer are applied side by side. A shard read now (scrolled to,
// searched) goes ahead of the background (`want`). Updates to a shard go only to peers subscribed
// to it: those whose catalogue holds it, and those that asked for it.
//
// Everything a peer sends passes through shard-wire's checks (ids, sizes), and its updates through
// the shard documents' gate (the update filter plus the shard rule, shard-gate.ts). A peer's
// messages are handled one at a time, at most `maxQueued` waiting; refusals are counted, and a
// peer past `maxStrikes` is ignored. Updates for a shard this device neither holds nor asked for
// are dropped: a peer cannot make it open, store or hold anything it did not ask for.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { CORE_SHARD, syncOrder, type ShardId } from '../../domain/shards';
import {
  messageUnreadable,
  messageYjsSyncStep1,
  messageYjsSyncStep2,
  messageYjsUpdate,
  readSyncMessage,
  whenApplied,
  writeUpdate
} from '../gated-sync-protocol';
import type { ShardDocs } from './shard-set';
import {
  decodeShardMessage,
  encodeBatch,
  encodeCatalogue,
  encodeHello,
  encodeLocate,
  encodeLocated,
  encodeSync,
  encodeSyncBytes,
  MAX_CATALOGUE_ENTRIES,
  FEATURE_BATCH,
  MAX_BATCH,
  MAX_LOCATE,
  type BatchEntry,
  type CatalogueEntry,
  type LocateMode
} from './shard-wire';

/** One peer connection: the side channel's send (see peer-channel.ts, or a MessagePort in tests). */
export interface ShardTransport {
  send(bytes: Uint8Array): void;
}

export interface ShardSyncOptions {
  /** Shards this device fetches from peers in the background when it does not hold them (default: all). */
  wants?: (shard: ShardId) => boolean;
  /** Requests in flight at once, over every peer. */
  inFlight?: number;
  /** Months asked of a peer in one ASK (at most shard-wire's `MAX_BATCH`), and months in flight at once while asking so. */
  batchSize?: number;
  batchInFlight?: number;
  requestTimeoutMs?: number;
  /** Messages of one peer waiting to be handled; past it they are dropped (counted). */
  maxQueued?: number;
  /** Refused messages after which a peer is ignored. */
  maxStrikes?: number;
  /**
   * Answers a peer's LOCATE: the shards of these records (`id`) or of the records pointing at them
   * (`target`), from what this device holds (its records table: each row's kind and ts give its
   * shard). Absent: nothing is answered.
   */
  lookup?: (mode: LocateMode, ids: string[]) => Promise<[string, ShardId][]> | [string, ShardId][];
  now?: () => number;
}

export interface ShardSyncCounts {
  /** Messages refused, by reason (shard-wire's, and `sync.malformed` for a sync message that does not read). */
  refused: Record<string, number>;
  /** Updates for shards neither held nor asked for (dropped). */
  unsolicited: number;
  /** Messages dropped because the peer had too many waiting. */
  overflow: number;
  timeouts: number;
  ignoredPeers: number;
  /** Step 1s answered, and step 2s received for this device's requests. */
  served: number;
  fetched: number;
}

/**
 * Each request is a round trip through both devices' pages and workers with a month opened on each
 * side (about 0.5 s a month in the real community's join at load 10): 3 at once kept a newcomer's
 * worker waiting between small months. Its 143 months took 22.0 and 24.3 s with 8 against 21.5 and
 * 34.8 s with 3 (both at load 10–11).
 */
export const DEFAULT_IN_FLIGHT = 8;
/**
 * Months in one ASK, and in flight at once in ASKs: three asks of 16 keep the holder answering the
 * next while the newcomer applies one, and the first answer (the newest months) comes after 16 months
 * read rather than 48.
 */
export const DEFAULT_BATCH_SIZE = 16;
export const DEFAULT_BATCH_IN_FLIGHT = 48;
/** An ANSWER is sent once its months hold this many bytes (a month larger goes alone). */
export const ANSWER_BYTES = 1024 * 1024;
export const REQUEST_TIMEOUT_MS = 30_000;
export const MAX_QUEUED = 512;
export const MAX_STRIKES = 50;
/**
 * Step 1s of one peer answered at once. Each answer opens its month (a closed month is read back from
 * IndexedDB: 10–60 ms in the browser): answered one after another, a holder served the real
 * community's 143 months to a newcomer in 5.9 s of a 13.4 s sync, the newcomer's requests waiting in
 * its queue meanwhile. The asker's own bound (`inFlight`) keeps an honest peer below this one.
 */
export const MAX_SERVING = 8;
/** ASKs of one peer being answered at once (their months share the `MAX_SERVING` months read at once). */
export const MAX_SERVING_ASKS = 4;

export class ShardPeer {
  /** The shards the peer holds, as its catalogue said. */
  readonly theirs = new Map<ShardId, CatalogueEntry>();
  /** Shards whose updates go to this peer. */
  readonly subscribed = new Set<ShardId>();
  /** Shards to sync from this peer (offered, digest differs), and those that timed out with it. */
  readonly toAsk = new Set<ShardId>();
  readonly failed = new Set<ShardId>();
  strikes = 0;
  ignored = false;
  /** Its HELLO named ASK and ANSWER: asked several months at once. */
  batches = false;
  closed = false;
  queued = 0;
  inbox: Promise<void> = Promise.resolve();
  /** Answers to this peer's step 1s being made (at most `MAX_SERVING`), and the last one's turn to be sent. */
  readonly serving = new Set<Promise<void>>();
  outbox: Promise<void> = Promise.resolve();
  /** Months of its ASKs being read to answer now (at most `MAX_SERVING`), and those waiting a turn. */
  reading = 0;
  readonly waitingToRead: (() => void)[] = [];

  constructor(
    readonly transport: ShardTransport,
    readonly receive: (bytes: Uint8Array) => void
  ) {}
}

interface Request {
  peer: ShardPeer;
  timer: ReturnType<typeof setTimeout>;
  /** The shard was held when asked for (kept open for the answer once `acquired`). */
  held: boolean;
  acquired: boolean;
}

type ArrivedListener = (shard: ShardId, peer: ShardPeer) => void;

export class ShardSync {
  readonly counts: ShardSyncCounts = { refused: {}, unsolicited: 0, overflow: 0, timeouts: 0, ignoredPeers: 0, served: 0, fetched: 0 };
  readonly #set: ShardDocs;
  readonly #wants: (shard: ShardId) => boolean;
  readonly #limit: number;
  readonly #batchSize: number;
  readonly #batchLimit: number;
  readonly #timeoutMs: number;
  readonly #maxQueued: number;
  readonly #maxStrikes: number;
  readonly #now: () => number;
  #peers = new Set<ShardPeer>();
  /** Shards to sync in the background, and those asked for now (in the order asked). */
  #queue = new Set<ShardId>();
  #urgent: ShardId[] = [];
  #inFlight = new Map<ShardId, Request>();
  #waiters = new Map<ShardId, ((ok: boolean) => void)[]>();
  #arrived = new Set<ArrivedListener>();
  #deltas: CatalogueEntry[] = [];
  /** Months fetched now whose catalogue entry waits for the answer (`#queueDelta`). */
  #heldBack = new Set<ShardId>();
  readonly #lookup: NonNullable<ShardSyncOptions['lookup']>;
  /** LOCATE requests waiting for answers: request id → the peers still to answer and what came. */
  #locating = new Map<number, { waiting: Set<ShardPeer>; found: Map<string, Set<ShardId>>; done: () => void }>();
  #nextRequest = (Math.random() * 2 ** 31) >>> 0;
  #off: (() => void)[] = [];
  #destroyed = false;
  /** Most requests in flight at once so far (tests hold it to the bound). */
  peakInFlight = 0;

  constructor(set: ShardDocs, options: ShardSyncOptions = {}) {
    this.#set = set;
    this.#wants = options.wants ?? (() => true);
    this.#limit = Math.max(1, options.inFlight ?? DEFAULT_IN_FLIGHT);
    this.#batchSize = Math.min(MAX_BATCH, Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE));
    this.#batchLimit = Math.max(1, options.batchInFlight ?? DEFAULT_BATCH_IN_FLIGHT);
    this.#timeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    this.#maxQueued = options.maxQueued ?? MAX_QUEUED;
    this.#maxStrikes = options.maxStrikes ?? MAX_STRIKES;
    this.#now = options.now ?? Date.now;
    this.#lookup = options.lookup ?? (() => []);
    this.#off.push(set.onUpdate((shard, update, origin) => this.#broadcast(shard, update, origin)));
    this.#off.push(set.onCatalogue((entry) => this.#queueDelta(entry)));
  }

  /** Starts syncing with a peer: its catalogue is asked for by sending ours. */
  addPeer(transport: ShardTransport): ShardPeer {
    const peer: ShardPeer = new ShardPeer(transport, (bytes) => this.#enqueue(peer, bytes));
    this.#peers.add(peer);
    // Before the catalogue, so the peer knows it may batch before it starts asking.
    this.#send(peer, encodeHello());
    this.#send(peer, encodeCatalogue(true, this.#set.catalogue().slice(0, MAX_CATALOGUE_ENTRIES)));
    return peer;
  }

  /** The peer's connection closed: its requests go to other peers. */
  removePeer(peer: ShardPeer): void {
    peer.closed = true;
    this.#peers.delete(peer);
    for (const [shard, request] of this.#inFlight) if (request.peer === peer) this.#fail(shard, request, false);
    for (const pending of this.#locating.values()) if (pending.waiting.delete(peer) && !pending.waiting.size) pending.done();
    this.#pump();
  }

  peers(): ShardPeer[] {
    return [...this.#peers];
  }

  /** Told when a shard asked for has arrived from a peer (its step 2 applied). */
  onArrived(listener: ArrivedListener): () => void {
    this.#arrived.add(listener);
    return () => this.#arrived.delete(listener);
  }

  /**
   * A shard read now (scrolled to, searched): fetched ahead of the background from a peer whose
   * catalogue holds it. True once it is held; false when no peer brought it within `timeoutMs`.
   */
  want(shard: ShardId, timeoutMs = this.#timeoutMs): Promise<boolean> {
    if (this.#set.isHeld(shard) && !this.#inFlight.has(shard)) return Promise.resolve(true);
    if (!this.#urgent.includes(shard)) this.#urgent.push(shard);
    for (const peer of this.#peers) if (peer.theirs.has(shard)) peer.toAsk.add(shard);
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(false), timeoutMs);
      const settle = (ok: boolean) => {
        clearTimeout(timer);
        const list = this.#waiters.get(shard) ?? [];
        const i = list.indexOf(settle);
        if (i >= 0) list.splice(i, 1);
        if (!list.length) {
          this.#waiters.delete(shard);
          this.#urgent = this.#urgent.filter((s) => s !== shard);
        }
        resolve(ok);
      };
      this.#waiters.set(shard, [...(this.#waiters.get(shard) ?? []), settle]);
      this.#pump();
    });
  }

  /**
   * Asks every peer which shards hold these records (`id`) or records pointing at them (`target`):
   * a reply in a month this device holds whose thread is in one it does not, the replies of an old
   * thread spread over months it evicted. Answers are hints (a fetched shard is gated like any);
   * resolves with what came once every peer answered or `timeoutMs` passed.
   */
  locate(mode: LocateMode, ids: readonly string[], timeoutMs = 5_000): Promise<Map<string, Set<ShardId>>> {
    const asked = [...new Set(ids)].slice(0, MAX_LOCATE);
    const peers = [...this.#peers].filter((p) => !p.ignored);
    const request = this.#nextRequest++ >>> 0;
    const found = new Map<string, Set<ShardId>>();
    if (!asked.length || !peers.length) return Promise.resolve(found);
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(), timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.#locating.delete(request);
        resolve(found);
      };
      this.#locating.set(request, { waiting: new Set(peers), found, done });
      const message = encodeLocate(request, mode, asked);
      for (const peer of peers) this.#send(peer, message);
    });
  }

  /** What the peers hold: every shard any catalogue names, with the most records any claims. */
  known(): Map<ShardId, number> {
    const out = new Map<ShardId, number>();
    for (const peer of this.#peers) for (const [id, e] of peer.theirs) out.set(id, Math.max(out.get(id) ?? 0, e.records));
    return out;
  }

  /** Requests waiting or in flight (for tests and the health panel). */
  pending(): { queued: ShardId[]; inFlight: ShardId[] } {
    return { queued: [...this.#urgent, ...syncOrder(this.#queue, this.#now())], inFlight: [...this.#inFlight.keys()] };
  }

  destroy(): void {
    this.#destroyed = true;
    this.#off.forEach((f) => f());
    for (const request of this.#inFlight.values()) clearTimeout(request.timer);
    this.#inFlight.clear();
    for (const list of this.#waiters.values()) for (const settle of [...list]) settle(false);
    for (const pending of [...this.#locating.values()]) pending.done();
    this.#peers.clear();
  }

  // ---- receiving ------------------------------------------------------------------------------

  #enqueue(peer: ShardPeer, bytes: Uint8Array): void {
    if (peer.ignored || peer.closed || this.#destroyed) return;
    if (peer.queued >= this.#maxQueued) {
      this.counts.overflow++;
      return;
    }
    peer.queued++;
    peer.inbox = peer.inbox
      .then(() => this.#handle(peer, bytes))
      .catch((error) => console.error('shard sync: handling a message failed', error))
      .finally(() => peer.queued--);
  }

  #strike(peer: ShardPeer, reason: string): void {
    this.counts.refused[reason] = (this.counts.refused[reason] ?? 0) + 1;
    if (++peer.strikes > this.#maxStrikes && !peer.ignored) {
      peer.ignored = true;
      this.counts.ignoredPeers++;
      this.removePeer(peer);
    }
  }

  async #handle(peer: ShardPeer, bytes: Uint8Array): Promise<void> {
    if (peer.ignored || peer.closed || this.#destroyed) return;
    const decoded = decodeShardMessage(bytes);
    if (!decoded.ok) return this.#strike(peer, decoded.reason);
    const message = decoded.value;
    if (message.op === 'catalogue') return this.#onCatalogue(peer, message.full, message.entries);
    if (message.op === 'hello') {
      peer.batches = (message.features & FEATURE_BATCH) !== 0;
      return;
    }
    if (message.op === 'ask') return this.#serveAskInTurn(peer, message.entries);
    if (message.op === 'answer') {
      // Only months asked of this peer and still waiting; the rest is dropped unopened (a late answer, or a lie).
      const asked = message.entries.filter((e) => this.#inFlight.get(e.shard)?.peer === peer);
      this.counts.unsolicited += message.entries.length - asked.length;
      // Side by side: each month opens, passes its gate and is queued for its check beside the others.
      await Promise.all(asked.map((e) => this.#receiveSync(peer, e.shard, e.message, messageYjsSyncStep2)));
      return;
    }
    if (message.op === 'locate') {
      const found = await this.#lookup(message.mode, message.ids);
      const asked = new Set(message.ids);
      return this.#send(
        peer,
        encodeLocated(
          message.request,
          found.filter(([id]) => asked.has(id))
        )
      );
    }
    if (message.op === 'located') {
      const pending = this.#locating.get(message.request);
      if (!pending?.waiting.delete(peer)) return void this.counts.unsolicited++;
      for (const [id, shard] of message.found) {
        const shards = pending.found.get(id) ?? new Set<ShardId>();
        shards.add(shard);
        pending.found.set(id, shards);
      }
      if (!pending.waiting.size) pending.done();
      return;
    }
    const { shard } = message;
    let type: number;
    try {
      type = decoding.readVarUint(decoding.createDecoder(message.message));
    } catch {
      return this.#strike(peer, 'sync.malformed');
    }
    if (type === messageYjsSyncStep1) return this.#serveInTurn(peer, shard, message.message);
    if (type !== messageYjsSyncStep2 && type !== messageYjsUpdate) return this.#strike(peer, 'sync.malformed');
    return this.#receiveSync(peer, shard, message.message, type);
  }

  /** A step 2 or an update of a shard: applied through its gate when held or asked of this peer. */
  async #receiveSync(peer: ShardPeer, shard: ShardId, bytes: Uint8Array, type: number): Promise<void> {
    const request = this.#inFlight.get(shard);
    const answers = type === messageYjsSyncStep2 && request?.peer === peer;
    const expected = request?.peer === peer;
    if (!this.#set.isHeld(shard) && !expected) {
      this.counts.unsolicited++;
      return;
    }
    let missing = false;
    const read = await this.#set.use(
      shard,
      async (doc) => {
        const result = readSyncMessage(decoding.createDecoder(bytes), encoding.createEncoder(), doc, peer);
        // An update that builds on items this device never received waits in Yjs as pending: a write
        // the peer made before this device subscribed (a month's records put back at its open, say).
        missing = doc.store.pendingStructs !== null || doc.store.pendingDs !== null;
        if (answers) await whenApplied(doc);
        return result;
      },
      expected
    );
    if (read === messageUnreadable) this.#strike(peer, 'sync.malformed');
    if (answers && this.#inFlight.get(shard) === request) await this.#finish(shard, request!);
    // Asked of the peer whose update it built on: its step 2 brings what is missing.
    if (missing && read !== messageUnreadable && !this.#inFlight.has(shard) && !peer.closed) {
      peer.failed.delete(shard);
      peer.toAsk.add(shard);
      this.#queue.add(shard);
      this.#pump();
    }
  }

  #onCatalogue(peer: ShardPeer, full: boolean, entries: CatalogueEntry[]): void {
    if (full) {
      peer.theirs.clear();
      peer.subscribed.clear();
      peer.toAsk.clear();
    }
    for (const entry of entries) {
      if (!entry.held) {
        peer.theirs.delete(entry.id);
        peer.subscribed.delete(entry.id);
        peer.toAsk.delete(entry.id);
        continue;
      }
      peer.theirs.set(entry.id, entry);
      peer.subscribed.add(entry.id);
      peer.failed.delete(entry.id);
      if (this.#shouldAsk(entry)) {
        peer.toAsk.add(entry.id);
        if (!this.#urgent.includes(entry.id)) this.#queue.add(entry.id);
      } else peer.toAsk.delete(entry.id);
    }
    this.#pump();
  }

  /** Sync a shard a peer offers: one held here whose digest differs, or one wanted and not evicted. */
  #shouldAsk(entry: CatalogueEntry): boolean {
    if (this.#set.isHeld(entry.id)) return entry.digest !== this.#set.digest(entry.id);
    if (this.#urgent.includes(entry.id)) return true;
    return !this.#set.isEvicted(entry.id) && this.#wants(entry.id);
  }

  /**
   * Answers a step 1 beside the peer's next messages, at most `MAX_SERVING` at once (past it the
   * peer's queue waits for one to end); the answers are sent in the order asked, so a newcomer still
   * receives the core, then the newest months first. The peer is subscribed at once: an update of the
   * shard after this step 1 reaches it, before or after the answer (Yjs applies both in any order).
   */
  async #serveInTurn(peer: ShardPeer, shard: ShardId, message: Uint8Array): Promise<void> {
    if (this.#set.isHeld(shard)) peer.subscribed.add(shard);
    const answer = this.#serve(peer, shard, message);
    answer.catch(() => undefined); // thrown where it is sent, below
    const turn = peer.outbox.then(async () => {
      const messages = await answer;
      if (!this.#destroyed) for (const bytes of messages) this.#send(peer, bytes);
    });
    peer.outbox = turn.catch((error) => console.error('shard sync: answering a step 1 failed', error));
    const done: Promise<void> = peer.outbox.finally(() => peer.serving.delete(done));
    peer.serving.add(done);
    if (peer.serving.size >= MAX_SERVING) await Promise.race(peer.serving);
  }

  /** The answer to a peer's step 1: what it lacks (empty when the message does not read, counted). */
  async #serve(peer: ShardPeer, shard: ShardId, message: Uint8Array): Promise<Uint8Array[]> {
    const reply = await this.#reply(peer, shard, message);
    if (reply === 'unreadable') return [];
    if (reply === 'not-held') return [encodeSyncBytes(shard, EMPTY_STEP2), notHeld([shard])];
    return [encodeSyncBytes(shard, reply)];
  }

  /**
   * A step 1's step 2 (y-protocols message). A closed month the device can answer from what it stored
   * is answered without opening it (`ShardDocs.replyStored`); others are opened for it. 'not-held':
   * evicted since, or never held (the asker is sent an empty step 2, which frees its request, and a
   * delta correcting its view); 'unreadable': counted against the peer.
   */
  async #reply(peer: ShardPeer, shard: ShardId, message: Uint8Array): Promise<Uint8Array | 'not-held' | 'unreadable'> {
    if (!this.#set.isHeld(shard)) return 'not-held';
    const stateVector = readStep1(message);
    const stored = stateVector && this.#set.replyStored ? await this.#set.replyStored(shard, stateVector) : null;
    const reply =
      stored ??
      (await this.#set.use(shard, (doc) => {
        const encoder = encoding.createEncoder();
        const type = readSyncMessage(decoding.createDecoder(message), encoder, doc, peer);
        return type === messageUnreadable ? null : encoding.toUint8Array(encoder);
      }));
    if (reply === null && this.#set.isHeld(shard)) {
      this.#strike(peer, 'sync.malformed');
      return 'unreadable';
    }
    if (!reply) return 'not-held';
    this.counts.served++;
    return reply;
  }

  /**
   * Answers an ASK beside the peer's next messages (at most `MAX_SERVING_ASKS` at once), its months
   * read `MAX_SERVING` at a time over all of them, and sent in ANSWERs of about `ANSWER_BYTES` in the
   * order asked once all are read: the core and the newest months still come first.
   */
  async #serveAskInTurn(peer: ShardPeer, entries: BatchEntry[]): Promise<void> {
    for (const { shard } of entries) if (this.#set.isHeld(shard)) peer.subscribed.add(shard);
    const replies = Promise.all(entries.map((e) => this.#readInTurn(peer, () => this.#reply(peer, e.shard, e.message))));
    replies.catch(() => undefined); // thrown where it is sent, below
    const turn = peer.outbox.then(async () => {
      const answers = await replies;
      if (this.#destroyed) return;
      const unheld: ShardId[] = [];
      let answer: BatchEntry[] = [];
      let bytes = 0;
      const flush = () => {
        if (answer.length) this.#send(peer, encodeBatch('answer', answer));
        answer = [];
        bytes = 0;
      };
      entries.forEach(({ shard }, i) => {
        const reply = answers[i];
        if (reply === 'unreadable') return;
        if (reply === 'not-held') unheld.push(shard);
        const message = typeof reply === 'string' ? EMPTY_STEP2 : reply;
        if (bytes && bytes + message.length > ANSWER_BYTES) flush();
        answer.push({ shard, message });
        bytes += message.length;
      });
      flush();
      if (unheld.length) this.#send(peer, notHeld(unheld));
    });
    peer.outbox = turn.catch((error) => console.error('shard sync: answering an ask failed', error));
    const done: Promise<void> = peer.outbox.finally(() => peer.serving.delete(done));
    peer.serving.add(done);
    if (peer.serving.size >= MAX_SERVING_ASKS) await Promise.race(peer.serving);
  }

  /** Runs `read` once fewer than `MAX_SERVING` of the peer's months are being read. */
  async #readInTurn<T>(peer: ShardPeer, read: () => Promise<T>): Promise<T> {
    while (peer.reading >= MAX_SERVING) await new Promise<void>((resolve) => peer.waitingToRead.push(resolve));
    peer.reading++;
    try {
      return await read();
    } finally {
      peer.reading--;
      peer.waitingToRead.shift()?.();
    }
  }

  // ---- asking ---------------------------------------------------------------------------------

  /**
   * Starts requests while fewer than the limit are in flight: the core alone, then by priority. A peer
   * that batches is asked for the next months it is the source of together, up to `batchSize`.
   */
  #pump(): void {
    if (this.#destroyed) return;
    while (!this.#inFlight.has(CORE_SHARD)) {
      const candidates = this.#candidates();
      const next = this.#next(candidates);
      if (!next) return;
      if (next.shard === CORE_SHARD && this.#inFlight.size > 0) return;
      const batching = next.peer.batches && next.shard !== CORE_SHARD;
      const room = (batching ? this.#batchLimit : this.#limit) - this.#inFlight.size;
      if (room <= 0) return;
      if (!batching) {
        this.#start([next.shard], next.peer, false);
        continue;
      }
      const size = Math.min(this.#batchSize, this.#batchLimit);
      const shards: ShardId[] = [];
      for (const shard of candidates) {
        if (shards.length >= size) break;
        if (shard !== CORE_SHARD && !this.#inFlight.has(shard) && this.#sourceOf(shard) === next.peer) shards.push(shard);
      }
      // A whole ask once there is room for it: asking as each month of an answer is applied made the
      // later asks a month each, a round trip each again.
      if (shards.length > room) return;
      this.#start(shards, next.peer, true);
    }
  }

  #candidates(): ShardId[] {
    return [...this.#urgent, ...syncOrder(this.#queue, this.#now()).filter((s) => !this.#urgent.includes(s))];
  }

  #next(candidates: ShardId[]): { shard: ShardId; peer: ShardPeer } | null {
    for (const shard of candidates) {
      if (this.#inFlight.has(shard)) continue;
      const peer = this.#sourceOf(shard);
      if (peer) return { shard, peer };
      this.#queue.delete(shard); // asked again when a peer offers it
    }
    return null;
  }

  /** A peer to ask for a shard: one that offers it and has not failed with it; the fullest first. */
  #sourceOf(shard: ShardId): ShardPeer | null {
    let best: ShardPeer | null = null;
    for (const peer of this.#peers) {
      if (peer.ignored || !peer.toAsk.has(shard) || peer.failed.has(shard)) continue;
      if (!best || (peer.theirs.get(shard)?.records ?? 0) > (best.theirs.get(shard)?.records ?? 0)) best = peer;
    }
    return best;
  }

  /** Asks a peer for shards: one SYNC each, or one ASK for them all (`batch`). */
  #start(shards: ShardId[], peer: ShardPeer, batch: boolean): void {
    const requests = shards.map((shard) => {
      peer.toAsk.delete(shard);
      const held = this.#set.isHeld(shard);
      const request: Request = { peer, held, acquired: false, timer: setTimeout(() => this.#fail(shard, request, true), this.#timeoutMs) };
      this.#inFlight.set(shard, request);
      return request;
    });
    this.peakInFlight = Math.max(this.peakInFlight, this.#inFlight.size);
    const stepOnes = shards.map(async (shard, i): Promise<BatchEntry | null> => {
      const request = requests[i];
      try {
        // A held shard stays open until its answer is applied.
        if (request.held) {
          await this.#set.acquire(shard);
          if (this.#inFlight.get(shard) !== request) return (this.#set.release(shard), null);
          request.acquired = true;
        }
        const stateVector = await this.#set.stateVector(shard);
        if (this.#inFlight.get(shard) !== request) return null;
        const e = encoding.createEncoder();
        encoding.writeVarUint(e, messageYjsSyncStep1);
        encoding.writeVarUint8Array(e, stateVector);
        const entry = { shard, message: encoding.toUint8Array(e) };
        if (!batch) this.#send(peer, encodeSyncBytes(shard, entry.message));
        return entry;
      } catch (error) {
        console.error('shard sync: asking failed', error);
        this.#fail(shard, request, false);
        return null;
      }
    });
    if (!batch) return;
    void Promise.all(stepOnes).then((entries) => {
      // Those still asked (a request may have timed out or its peer gone meanwhile).
      const asked = entries.filter((e): e is BatchEntry => e !== null && this.#inFlight.get(e.shard)?.peer === peer);
      if (asked.length) this.#send(peer, encodeBatch('ask', asked));
    });
  }

  async #finish(shard: ShardId, request: Request): Promise<void> {
    clearTimeout(request.timer);
    this.#inFlight.delete(shard);
    this.#tellHeldBack(shard);
    if (request.acquired) this.#set.release(shard);
    else if (!request.held) await this.#set.discardEmpty(shard);
    if (!this.#peers.has(request.peer) || this.#destroyed) return this.#pump();
    this.counts.fetched++;
    // Still waiting for other peers that offered it: asked next, for what the first one lacked.
    if (![...this.#peers].some((p) => p.toAsk.has(shard) && !p.failed.has(shard))) this.#queue.delete(shard);
    if (this.#set.isHeld(shard)) {
      for (const listener of this.#arrived) listener(shard, request.peer);
      for (const settle of [...(this.#waiters.get(shard) ?? [])]) settle(true);
    }
    this.#pump();
  }

  #fail(shard: ShardId, request: Request, timedOut: boolean): void {
    if (this.#inFlight.get(shard) !== request) return;
    clearTimeout(request.timer);
    this.#inFlight.delete(shard);
    this.#tellHeldBack(shard);
    if (request.acquired) this.#set.release(shard);
    if (timedOut) this.counts.timeouts++;
    request.peer.failed.add(shard);
    this.#pump();
  }

  // ---- sending --------------------------------------------------------------------------------

  #send(peer: ShardPeer, bytes: Uint8Array): void {
    if (peer.closed || peer.ignored) return;
    try {
      peer.transport.send(bytes);
    } catch {
      // A channel that closed mid-send: the peer's removal follows from its close event.
    }
  }

  /** A shard's update goes to the peers subscribed to it, but not back to the one it came from. */
  #broadcast(shard: ShardId, update: Uint8Array, origin: unknown): void {
    let message: Uint8Array | null = null;
    for (const peer of this.#peers) {
      if (peer === origin || !peer.subscribed.has(shard)) continue;
      message ??= encodeSync(shard, (e) => writeUpdate(e, update));
      this.#send(peer, message);
    }
  }

  /** A fetched month held back from the peers (`#queueDelta`), told as it is now. */
  #tellHeldBack(shard: ShardId): void {
    if (!this.#heldBack.delete(shard)) return;
    const entry = this.#set.catalogue().find((e) => e.id === shard);
    if (entry) this.#queueDelta(entry);
  }

  /** Catalogue changes (a shard held or evicted) go to every peer, gathered over a microtask. */
  #queueDelta(entry: CatalogueEntry): void {
    // A month being fetched is told once its answer is applied: told at its first record, a month
    // applied in pieces would be told with the digest of its first piece, and every peer holding it
    // would ask this device for it back.
    if (entry.held && this.#inFlight.get(entry.id)?.held === false) {
      this.#heldBack.add(entry.id);
      return;
    }
    if (!this.#deltas.length) {
      queueMicrotask(() => {
        const deltas = this.#deltas.splice(0);
        for (let i = 0; i < deltas.length; i += MAX_CATALOGUE_ENTRIES) {
          const message = encodeCatalogue(false, deltas.slice(i, i + MAX_CATALOGUE_ENTRIES));
          for (const peer of this.#peers) this.#send(peer, message);
        }
      });
    }
    this.#deltas.push(entry);
    // Asking a peer for a shard this device has just evicted would only bring it back.
    if (!entry.held) {
      this.#queue.delete(entry.id);
      for (const peer of this.#peers) peer.toAsk.delete(entry.id);
    }
  }
}

const EMPTY_UPDATE = new Uint8Array([0, 0]);
/** A step 2 with nothing in it: frees the asker's request for a shard not held. */
const EMPTY_STEP2 = Uint8Array.of(messageYjsSyncStep2, EMPTY_UPDATE.length, ...EMPTY_UPDATE);

/** A catalogue delta saying these shards are not held here. */
function notHeld(shards: ShardId[]): Uint8Array {
  return encodeCatalogue(
    false,
    shards.map((id) => ({ id, records: 0, digest: '0'.repeat(16), held: false }))
  );
}

/** The state vector of a y-protocols step 1, or null when it does not read (the opened document's path counts it). */
function readStep1(message: Uint8Array): Uint8Array | null {
  try {
    const d = decoding.createDecoder(message);
    if (decoding.readVarUint(d) !== messageYjsSyncStep1) return null;
    const stateVector = decoding.readVarUint8Array(d);
    return d.pos === message.length ? stateVector : null;
  } catch {
    return null;
  }
}
