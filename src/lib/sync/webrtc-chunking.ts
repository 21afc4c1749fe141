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

let installed = false;
type SideHandler = (peer: object, bytes: Uint8Array) => void;
const sideHandlers = new Map<number, Set<SideHandler>>([
  [SIDE_MAGIC, new Set()],
  [SHARD_MAGIC, new Set()]
]);

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

let sender: PeerLike | null = null;

/**
 * The peer whose message y-webrtc is reading right now (it reads inside simple-peer's 'data'
 * event, synchronously): the community worker's answer to a step 1 goes back to it (remote-doc.ts).
 */
export function messageSender(): PeerLike | null {
  return sender;
}

function deliver(peer: PeerLike, read: () => void): void {
  const outer = sender;
  sender = peer;
  try {
    read();
  } finally {
    sender = outer;
  }
}

/** Patches simple-peer (as bundled for y-webrtc) once: large sends are framed, frames reassembled. */
export function installChunking(Peer: { prototype: PeerLike }): void {
  if (installed) return;
  installed = true;
  const proto = Peer.prototype;
  const originalSend = proto.send;
  const originalMessage = proto._onChannelMessage;
  proto.send = function (this: PeerLike, data) {
    const bytes = typeof data === 'string' ? null : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
    const s = of(this);
    if (!bytes || (bytes.length <= FRAME_PAYLOAD && s.queue.length === 0)) return originalSend.call(this, data);
    // Large messages (and anything sent while frames are queued, to keep the order) go through the queue.
    if (bytes.length > FRAME_PAYLOAD) s.queue.push(...frameMessage(bytes, s.nextId++));
    else s.queue.push(bytes);
    pump(this, (frame) => originalSend.call(this, frame));
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
