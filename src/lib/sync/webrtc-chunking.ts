// WebRTC data channels refuse messages over 256 KiB (Chromium's max-message-size), and y-webrtc
// sends a peer's whole missing history as one message, then swallows the error: a community past a
// few hundred KiB would never reach a newcomer. This splits large messages into frames, paces them
// by the channel's buffer, and reassembles them on the other side, under y-webrtc, without changing
// its protocol for small messages.
//
// Frame: [MAGIC, id u32, index u16, count u16, payload…]. y-webrtc messages start with a small
// varuint message type (0–4), never MAGIC, so frames and plain messages cannot be confused.

import { countMalformed } from './message-faults';

export const MAGIC = 0xf7;
/** First byte of a side message (not y-webrtc's): handed to `onSideMessage` handlers, see blob-exchange. */
export const SIDE_MAGIC = 0xf8;
/** First byte of the shard sync's messages (sync/shards/shard-wire.ts), handed to its side handlers. */
export const SHARD_MAGIC = 0xf9;
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

const state = new WeakMap<PeerLike, { queue: Uint8Array[]; reassembler: Reassembler; waiting: boolean; nextId: number }>();

function of(peer: PeerLike) {
  let s = state.get(peer);
  if (!s) state.set(peer, (s = { queue: [], reassembler: new Reassembler(), waiting: false, nextId: (Math.random() * 2 ** 31) >>> 0 }));
  return s;
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
  const send = function (this: PeerLike, data: Uint8Array | ArrayBuffer | string) {
    const bytes = typeof data === 'string' ? null : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
    const s = of(this);
    if (!bytes || (bytes.length <= FRAME_PAYLOAD && s.queue.length === 0)) return originalSend.call(this, data);
    // Large messages (and anything sent while frames are queued, to keep the order) go through the queue.
    if (bytes.length > FRAME_PAYLOAD) s.queue.push(...frameMessage(bytes, s.nextId++));
    else s.queue.push(bytes);
    pump(this, (frame) => originalSend.call(this, frame));
  };
  proto.send = function (this: PeerLike, data) {
    const held = typeof data !== 'string' && isSyncStep1(data instanceof ArrayBuffer ? new Uint8Array(data) : data) ? step1HeldBy(this) : null;
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
  proto._onChannelMessage = function (this: PeerLike, e) {
    // y-webrtc reads the message inside simple-peer's 'data' event: a peer's garbage would throw
    // out of the channel's handler as an uncaught page error. Counted instead.
    try {
      const data = e.data;
      if (data instanceof ArrayBuffer) {
        const bytes = new Uint8Array(data);
        const whole = of(this).reassembler.push(bytes);
        if (whole === undefined) return;
        if (deliverSide(this, whole ?? bytes)) return;
        if (whole !== null) return deliver(this, () => originalMessage.call(this, { data: whole.buffer }));
      }
      return deliver(this, () => originalMessage.call(this, e));
    } catch {
      countMalformed(null);
    }
  };
}
