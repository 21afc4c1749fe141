// WebRTC data channels refuse messages over 256 KiB (Chromium's max-message-size), and y-webrtc
// sends a peer's whole missing history as one message, then swallows the error: a community past a
// few hundred KiB would never reach a newcomer. This splits large messages into frames, paces them
// by the channel's buffer, and reassembles them on the other side, under y-webrtc, without changing
// its protocol for small messages.
//
// Frame: [MAGIC, id u32, index u16, count u16, payload…]. y-webrtc messages start with a small
// varuint message type (0–4), never MAGIC, so frames and plain messages cannot be confused.
//
// Large y-webrtc messages (a newcomer's history: 3.4 MB for the real community, 57 MB at 10,000
// members) are deflated before framing, to peers that said they read deflated messages: a data
// channel carried 2–5 MB/s on this 2-core machine, and the history deflates 2.3–2.6×. Each device
// says so once, before its first message to a peer ([Z_MAGIC, Z_HELLO]); an older device counts that
// as one malformed message and is never sent a deflated one. A deflated message is [Z_MAGIC, Z_DATA,
// deflate-raw bytes…], framed like any large message; messages to and from a peer keep their order
// around the (asynchronous) deflating and inflating.

import { nextTask } from './gated-sync-protocol';
import { countMalformed } from './message-faults';

export const MAGIC = 0xf7;
/** First byte of a side message (not y-webrtc's): handed to `onSideMessage` handlers, see blob-exchange. */
export const SIDE_MAGIC = 0xf8;
/** First byte of the shard sync's messages (sync/shards/shard-wire.ts), handed to its side handlers. */
export const SHARD_MAGIC = 0xf9;
/** First byte of a deflated message or of the hello saying this device reads them (see above). */
export const Z_MAGIC = 0xf6;
export const Z_HELLO = 0;
export const Z_DATA = 1;
/** y-webrtc messages from this size on are deflated, to peers that read them. */
export const DEFLATE_MIN = 64 * 1024;
export const FRAME_PAYLOAD = 60 * 1024;
const HEADER = 9;
/** Limits against a hostile peer: total size of one message and messages assembled at once. */
export const MAX_MESSAGE = 64 * 1024 * 1024;
const MAX_PENDING = 8;

export function frameMessage(data: Uint8Array, id: number, payload = FRAME_PAYLOAD): Uint8Array[] {
  const count = Math.ceil(data.length / payload);
  if (count > 0xffff) throw new RangeError('message too large to frame');
  const frames: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const part = data.subarray(i * payload, (i + 1) * payload);
    const frame = new Uint8Array(HEADER + part.length);
    const view = new DataView(frame.buffer);
    frame[0] = MAGIC;
    view.setUint32(1, id >>> 0);
    view.setUint16(5, i);
    view.setUint16(7, count);
    frame.set(part, HEADER);
    frames.push(frame);
  }
  return frames;
}

/** Collects frames; returns the whole message when its last frame arrives. Bad frames are dropped. */
export class Reassembler {
  #pending = new Map<number, { count: number; parts: (Uint8Array | undefined)[]; received: number; bytes: number }>();

  /** `null`: not a frame (deliver as is) · `undefined`: frame kept, message incomplete · bytes: the message. */
  push(bytes: Uint8Array): Uint8Array | null | undefined {
    if (bytes.length < HEADER || bytes[0] !== MAGIC) return null;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const id = view.getUint32(1);
    const index = view.getUint16(5);
    const count = view.getUint16(7);
    if (count === 0 || index >= count) return undefined;
    let entry = this.#pending.get(id);
    if (!entry) {
      if (this.#pending.size >= MAX_PENDING) this.#pending.delete(this.#pending.keys().next().value!);
      entry = { count, parts: new Array(count), received: 0, bytes: 0 };
      this.#pending.set(id, entry);
    }
    if (entry.count !== count || entry.parts[index]) return undefined;
    const part = bytes.slice(HEADER);
    entry.bytes += part.length;
    if (entry.bytes > MAX_MESSAGE) {
      this.#pending.delete(id);
      return undefined;
    }
    entry.parts[index] = part;
    entry.received++;
    if (entry.received < count) return undefined;
    this.#pending.delete(id);
    const out = new Uint8Array(entry.bytes);
    let offset = 0;
    for (const p of entry.parts) {
      out.set(p!, offset);
      offset += p!.length;
    }
    return out;
  }
}

export interface PeerLike {
  _channel: RTCDataChannel | null;
  destroyed: boolean;
  send(data: Uint8Array | ArrayBuffer | string): void;
  _onChannelMessage(e: { data: unknown }): void;
}

/** Keeps at most this much queued in the channel; Chromium closes a channel whose buffer overflows. */
const HIGH_WATER = 4 * 1024 * 1024;
const LOW_WATER = 1024 * 1024;

interface PeerState {
  queue: Uint8Array[];
  reassembler: Reassembler;
  waiting: boolean;
  nextId: number;
  /** This device told the peer it reads deflated messages; the peer told this device. */
  helloSent: boolean;
  readsDeflated: boolean;
  /** Sends waiting behind a message being deflated, and deliveries behind one being inflated (order). */
  sending: Promise<void> | null;
  receiving: Promise<void> | null;
}

const state = new WeakMap<PeerLike, PeerState>();

function of(peer: PeerLike): PeerState {
  let s = state.get(peer);
  if (!s)
    state.set(
      peer,
      (s = {
        queue: [],
        reassembler: new Reassembler(),
        waiting: false,
        nextId: (Math.random() * 2 ** 31) >>> 0,
        helloSent: false,
        readsDeflated: false,
        sending: null,
        receiving: null
      })
    );
  return s;
}

/** A message's bytes (a view, not a copy); null for a string. */
function bytesOf(data: Uint8Array | ArrayBuffer | string): Uint8Array | null {
  return typeof data === 'string' ? null : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

/**
 * Runs `job` once the peer's earlier send (or delivery) in `lane` has run, keeping the order around
 * the asynchronous deflating and inflating; the lane is empty again once its last job has run.
 */
function inOrder(s: PeerState, lane: 'sending' | 'receiving', job: () => Promise<void>): void {
  const run: Promise<void> = (s[lane] ?? Promise.resolve()).then(job);
  s[lane] = run;
  void run.then(() => {
    if (s[lane] === run) s[lane] = null;
  });
}

/**
 * Input handed to (de)compression at a time, and output read, with a task between pieces (a 8 MiB
 * part held a page ~100 ms). Output counts too: 512 KiB of a flood's deflated threads inflate to
 * ~5 MiB, and reading them in one task was the page's costliest task in the gate bench (25–31 ms of
 * its thread's CPU, 32–70 ms of wall time).
 */
export const PIECE = 512 * 1024;

async function through(bytes: Uint8Array, stream: CompressionStream | DecompressionStream, limit: number): Promise<Uint8Array | null> {
  const writer = stream.writable.getWriter();
  void (async () => {
    for (let at = 0; at < bytes.length; at += PIECE) {
      if (at > 0) await nextTask();
      await writer.write(bytes.subarray(at, at + PIECE) as Uint8Array<ArrayBuffer>);
    }
    await writer.close();
  })().catch(() => undefined);
  const parts: Uint8Array[] = [];
  let length = 0;
  let read = 0;
  const reader = stream.readable.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    // A hostile peer's small message that inflates past the limit is given up as it grows.
    if (length > limit) {
      void reader.cancel().catch(() => undefined);
      return null;
    }
    parts.push(value);
    read += value.length;
    if (read >= PIECE) {
      read = 0;
      await nextTask();
    }
  }
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** `bytes` as a deflated message, or null when deflating saves under a tenth. */
export async function deflateMessage(bytes: Uint8Array): Promise<Uint8Array | null> {
  const deflated = await through(bytes, new CompressionStream('deflate-raw'), bytes.length);
  if (!deflated || deflated.length + 2 > bytes.length * 0.9) return null;
  const out = new Uint8Array(deflated.length + 2);
  out[0] = Z_MAGIC;
  out[1] = Z_DATA;
  out.set(deflated, 2);
  return out;
}

/** A deflated message's content; null for a corrupt one or one past `MAX_MESSAGE` inflated. */
export async function inflateMessage(bytes: Uint8Array): Promise<Uint8Array | null> {
  try {
    return await through(bytes.subarray(2), new DecompressionStream('deflate-raw'), MAX_MESSAGE);
  } catch {
    return null;
  }
}

function pump(peer: PeerLike, send: (data: Uint8Array) => void): void {
  const s = of(peer);
  const channel = peer._channel;
  while (s.queue.length && channel && !peer.destroyed) {
    // A channel that closed mid-send (the peer left, the page reloaded) takes the rest with it:
    // sending would throw out of an event handler.
    if (channel.readyState !== 'open') {
      s.queue.length = 0;
      return;
    }
    if (channel.bufferedAmount > HIGH_WATER) {
      if (!s.waiting) {
        s.waiting = true;
        channel.bufferedAmountLowThreshold = LOW_WATER;
        channel.addEventListener(
          'bufferedamountlow',
          () => {
            s.waiting = false;
            pump(peer, send);
          },
          { once: true }
        );
      }
      return;
    }
    try {
      send(s.queue.shift()!);
    } catch {
      s.queue.length = 0;
      return;
    }
  }
}

type SideHandler = (peer: object, bytes: Uint8Array) => void;

/**
 * What the patch reads, one per JavaScript realm rather than per copy of this module: the unit tests
 * load a copy of the sync stack per simulated device (vi.resetModules) over one simple-peer class,
 * which the first copy patches; the others' side handlers and holds are reached through it.
 */
const shared: {
  patched: WeakSet<object>;
  sideHandlers: Map<number, Set<SideHandler>>;
  step1Holds: Set<Step1Hold>;
  sender: PeerLike | null;
} = ((globalThis as Record<symbol, unknown>)[Symbol.for('hearth.webrtc-chunking')] ??= {
  patched: new WeakSet(),
  sideHandlers: new Map([
    [SIDE_MAGIC, new Set()],
    [SHARD_MAGIC, new Set()]
  ]),
  step1Holds: new Set(),
  sender: null
}) as never;
const sideHandlers = shared.sideHandlers;

/** Receives side messages (first byte `magic`: SIDE_MAGIC or SHARD_MAGIC) from every peer, reassembled. Returns unsubscribe. */
export function onSideMessage(handler: SideHandler, magic: typeof SIDE_MAGIC | typeof SHARD_MAGIC = SIDE_MAGIC): () => void {
  const handlers = sideHandlers.get(magic)!;
  handlers.add(handler);
  return () => handlers.delete(handler);
}

/** Sends a side message to a peer (framed like any large message); false when its channel is gone. */
export function sendSide(peer: object, bytes: Uint8Array): boolean {
  const p = peer as PeerLike;
  if (p.destroyed || !p._channel || p._channel.readyState !== 'open') return false;
  try {
    p.send(bytes);
    return true;
  } catch {
    return false;
  }
}

/** A side request or answer: [SIDE_MAGIC, op, request id u32, payload…] (ops 1–3 blob-exchange.ts, 4–5 first-page-exchange.ts). */
export function sideMessage(op: number, id: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(6 + payload.length);
  out[0] = SIDE_MAGIC;
  out[1] = op;
  new DataView(out.buffer).setUint32(2, id);
  out.set(payload, 6);
  return out;
}

/** The request id of a side message of at least 6 bytes. */
export function sideRequestId(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(2);
}

function deliverSide(peer: object, bytes: Uint8Array): boolean {
  const handlers = sideHandlers.get(bytes[0]);
  if (!handlers) return false;
  for (const handler of handlers) handler(peer, bytes);
  return true;
}

/**
 * The peer whose message y-webrtc is reading right now (it reads inside simple-peer's 'data'
 * event, synchronously): the community worker's answer to a step 1 goes back to it (remote-doc.ts).
 */
export function messageSender(): PeerLike | null {
  return shared.sender;
}

function deliver(peer: PeerLike, read: () => void): void {
  const outer = shared.sender;
  shared.sender = peer;
  try {
    read();
  } finally {
    shared.sender = outer;
  }
}

/**
 * Decides whether y-webrtc's sync step 1 to a peer waits: a promise to send it once settled, or null
 * to send it now. A newcomer holds it until the peer's first page came (first-page-exchange.ts): the
 * step 1 asks for the whole history, and the page queued behind the peer's reply to it (57 MB at
 * 10,000 members) whenever that reply was ready first.
 */
export type Step1Hold = (peer: object) => Promise<void> | null;
const step1Holds = shared.step1Holds;

/** Registers a hold on sync step 1 messages (see `Step1Hold`). Returns unregister. */
export function holdSyncStep1(hold: Step1Hold): () => void {
  step1Holds.add(hold);
  return () => step1Holds.delete(hold);
}

/** y-webrtc's sync step 1: message type sync (0), then the sync protocol's step 1 (0). */
export function isSyncStep1(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0 && bytes[1] === 0;
}

function step1HeldBy(peer: object): Promise<void> | null {
  for (const hold of step1Holds) {
    const held = hold(peer);
    if (held) return held;
  }
  return null;
}

/** Patches simple-peer (as bundled for y-webrtc) once: large sends are framed, frames reassembled. */
export function installChunking(Peer: { prototype: PeerLike }): void {
  const proto = Peer.prototype;
  if (shared.patched.has(proto)) return;
  shared.patched.add(proto);
  const originalSend = proto.send;
  const originalMessage = proto._onChannelMessage;
  const framed = function (this: PeerLike, data: Uint8Array | ArrayBuffer | string) {
    const bytes = bytesOf(data);
    const s = of(this);
    if (!bytes || (bytes.length <= FRAME_PAYLOAD && s.queue.length === 0)) return originalSend.call(this, data);
    // Large messages (and anything sent while frames are queued, to keep the order) go through the queue.
    if (bytes.length > FRAME_PAYLOAD) s.queue.push(...frameMessage(bytes, s.nextId++));
    else s.queue.push(bytes);
    pump(this, (frame) => originalSend.call(this, frame));
  };
  const send = function (this: PeerLike, data: Uint8Array | ArrayBuffer | string) {
    const s = of(this);
    if (!s.helloSent) {
      // Marked once it went: y-webrtc broadcasts to connections that are not open yet, and simple-peer
      // throws those sends away (y-webrtc catches it). A hello marked before its send was lost with
      // the awareness message it came with, and the peer was sent a 3.5 MB history as it is (2 runs
      // of 3 in a newcomer's join of the real community: 1.3 s on the channel instead of 0.4).
      framed.call(this, Uint8Array.of(Z_MAGIC, Z_HELLO));
      s.helloSent = true;
    }
    const bytes = bytesOf(data);
    const deflate = !!bytes && s.readsDeflated && bytes.length >= DEFLATE_MIN && bytes[0] <= 4;
    if (!deflate && !s.sending) return framed.call(this, data);
    // Behind a message being deflated (order), or deflated itself before it goes.
    const ready = deflate ? deflateMessage(bytes!).catch(() => null) : null;
    inOrder(s, 'sending', async () => {
      const out = (await ready) ?? data;
      if (this.destroyed || this._channel?.readyState !== 'open') return;
      try {
        framed.call(this, out);
      } catch {
        // the channel closed in between: the peer asks again when it reconnects
      }
    });
  };
  proto.send = function (this: PeerLike, data) {
    const bytes = bytesOf(data);
    const held = bytes && isSyncStep1(bytes) ? step1HeldBy(this) : null;
    if (!held) return send.call(this, data);
    // Sent when the hold ends, unless the peer left meanwhile (y-webrtc sends a fresh step 1 to a new connection).
    void held.then(() => {
      if (this.destroyed || this._channel?.readyState !== 'open') return;
      try {
        send.call(this, data);
      } catch {
        // the channel closed in between: the peer's next connection gets a step 1 of its own
      }
    });
  };
  /**
   * A whole message (as received, reassembled or inflated: each owns its whole buffer) to its side
   * handlers or to y-webrtc; `e` as it came for what is not bytes.
   */
  const read = function (this: PeerLike, bytes: Uint8Array | null, e: { data: unknown }) {
    try {
      if (bytes && deliverSide(this, bytes)) return;
      deliver(this, () => originalMessage.call(this, bytes ? { data: bytes.buffer } : e));
    } catch {
      countMalformed(null);
    }
  };
  proto._onChannelMessage = function (this: PeerLike, e) {
    // y-webrtc reads the message inside simple-peer's 'data' event: a peer's garbage would throw
    // out of the channel's handler as an uncaught page error. Counted instead.
    try {
      const data = e.data;
      const s = of(this);
      let bytes: Uint8Array | null = null;
      if (data instanceof ArrayBuffer) {
        const frame = new Uint8Array(data);
        const whole = s.reassembler.push(frame);
        if (whole === undefined) return;
        bytes = whole ?? frame;
        if (bytes.length === 2 && bytes[0] === Z_MAGIC && bytes[1] === Z_HELLO) {
          s.readsDeflated = true;
          return;
        }
      }
      const deflated = !!bytes && bytes.length > 2 && bytes[0] === Z_MAGIC && bytes[1] === Z_DATA;
      if (!deflated && !s.receiving) return read.call(this, bytes, e);
      // Behind a message being inflated (order), or inflated itself before it is read.
      const ready = deflated ? inflateMessage(bytes!) : null;
      inOrder(s, 'receiving', async () => {
        const inflated = deflated ? await ready : bytes;
        if (this.destroyed) return;
        if (deflated && !inflated) return countMalformed(null);
        read.call(this, inflated, e);
      });
    } catch {
      countMalformed(null);
    }
  };
}
