// y-protocols/sync with a gate on every incoming update: vite.config.ts aliases `y-protocols/sync`
// here, so y-webrtc and the Hocuspocus provider (relays) read peers' messages through it. Same API and wire format.
// For a document with a registered gate an update is filtered (junk roots and nested types become
// GC, see update-filter.ts), cut into pieces and applied one piece per macrotask through a FIFO, so a
// 20,000-record flood never holds the main thread; unreadable messages are counted, never thrown.
// Documents without a gate behave as upstream. This module must not import `y-protocols/sync`.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { countMalformed } from './message-faults';
import { filterUpdate, PIECE_BYTES, PIECE_STRUCTS } from './update-filter';

export const messageYjsSyncStep1 = 0;
export const messageYjsSyncStep2 = 1;
export const messageYjsUpdate = 2;
/** Returned by `readSyncMessage` for a message it could not read: not a type any caller answers. */
export const messageUnreadable = -1;

export interface UpdateGate {
  /** The one root the document keeps. */
  root: string;
  /** Called for each filtered update that carried junk. */
  onJunk?: (items: number, bytes: number) => void;
  maxStructs?: number;
  maxBytes?: number;
  /** Which values of the root map to keep, by kind (see update-filter.ts); default all. */
  keepKind?: (kind: string | null) => boolean;
  /** Which values to keep by kind and ts (the shard gate, see update-filter.ts); default all. */
  keepEntry?: (kind: string | null, ts: number | null) => boolean;
}

interface Inbox {
  pieces: { update: Uint8Array; origin: unknown }[];
  draining: boolean;
  idle: (() => void)[];
}

/**
 * A document that lives elsewhere (the community worker, see remote-doc.ts): the page's stand-in
 * hands every sync message to it as it arrives, and the answer to a peer's step 1 is sent to that
 * peer when the worker has written it, not synchronously.
 */
export interface RemoteEnd {
  /** The last state vector the worker reported (a stale one only makes peers send more). */
  stateVector(): Uint8Array;
  /** One sync message (type and payload), in arrival order. */
  receive(message: Uint8Array): void;
}

const remotes = new WeakMap<object, RemoteEnd>();
/** An update with nothing in it: what a stand-in "has" when asked for its whole state. */
const EMPTY_UPDATE = new Uint8Array([0, 0]);

export function registerRemote(doc: object, end: RemoteEnd): void {
  remotes.set(doc, end);
}

const gates = new WeakMap<Y.Doc, UpdateGate>();
const inboxes = new WeakMap<Y.Doc, Inbox>();

export function registerUpdateGate(doc: Y.Doc, gate: UpdateGate): void {
  gates.set(doc, gate);
}

const watchers = new WeakMap<Y.Doc, (update: Uint8Array, origin: unknown) => void>();

/**
 * Shows `watch` every peer update for `doc` before its gate filters it: a community moved into shards
 * passes its core's to the single document's bridge (shards/legacy-bridge), as a device still on the
 * single document sends its whole document there. One watcher a document; returns the unwatch.
 */
export function watchPeerUpdates(doc: Y.Doc, watch: (update: Uint8Array, origin: unknown) => void): () => void {
  watchers.set(doc, watch);
  return () => watchers.get(doc) === watch && watchers.delete(doc);
}

/** Resolves once every update received for `doc` so far has been applied. */
export function whenApplied(doc: Y.Doc): Promise<void> {
  const inbox = inboxes.get(doc);
  if (!inbox?.draining) return Promise.resolve();
  return new Promise((resolve) => inbox.idle.push(resolve));
}

/**
 * Lets the browser paint and handle input between pieces. On a page `scheduler.yield` keeps our place
 * in line. In a worker nothing paints, and a continuation ahead of every other task let a peer's
 * history (160 pieces at 10k, ~15 s of applying) starve the gate's own IndexedDB answers, which are
 * ordinary tasks: a newcomer's first check waited for the last piece. There a plain macrotask (a
 * message to itself, not clamped as nested timeouts are) takes its turn with them.
 */
export function nextTask(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (scheduler?.yield && typeof document !== 'undefined') return scheduler.yield();
  return macrotask();
}

let turns: { port: MessagePort; waiting: (() => void)[] } | null = null;

function macrotask(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((resolve) => setTimeout(resolve, 0));
  if (!turns) {
    const channel = new MessageChannel();
    const t = { port: channel.port2, waiting: [] as (() => void)[] };
    channel.port1.onmessage = () => t.waiting.shift()?.();
    // Node keeps a process alive while a port is referenced; a browser has no `unref`.
    (channel.port1 as { unref?: () => void }).unref?.();
    (channel.port2 as { unref?: () => void }).unref?.();
    turns = t;
  }
  const t = turns;
  return new Promise((resolve) => {
    t.waiting.push(resolve);
    t.port.postMessage(null);
  });
}

function applyPiece(doc: Y.Doc, update: Uint8Array, origin: unknown): void {
  try {
    Y.applyUpdate(doc, update, origin);
  } catch (error) {
    // The update was checked; what throws here is an observer of the document.
    console.error('Caught error while handling a Yjs update', error);
  }
}

async function drain(doc: Y.Doc, inbox: Inbox): Promise<void> {
  while (inbox.pieces.length) {
    await nextTask();
    const next = inbox.pieces.shift()!;
    if (!doc.isDestroyed) applyPiece(doc, next.update, next.origin);
  }
  inbox.draining = false;
  inbox.idle.splice(0).forEach((resolve) => resolve());
}

/**
 * Applies an update from a peer to `doc` through its gate. The first piece is applied now when
 * nothing is waiting, the rest in later macrotasks, always in arrival order. Returns false for an
 * update that does not decode (nothing of it is applied).
 */
export function applyGatedUpdate(doc: Y.Doc, update: Uint8Array, origin: unknown): boolean {
  watchers.get(doc)?.(update, origin);
  const gate = gates.get(doc);
  if (!gate) {
    Y.applyUpdate(doc, update, origin);
    return true;
  }
  const filtered = filterUpdate(update, {
    root: gate.root,
    doc,
    maxStructs: gate.maxStructs ?? PIECE_STRUCTS,
    maxBytes: gate.maxBytes ?? PIECE_BYTES,
    keepKind: gate.keepKind,
    keepEntry: gate.keepEntry
  });
  if (!filtered.ok) {
    countMalformed(doc);
    return false;
  }
  const { pieces, junkItems, junkBytes } = filtered.value;
  if (junkItems) gate.onJunk?.(junkItems, junkBytes);
  let inbox = inboxes.get(doc);
  if (!inbox) inboxes.set(doc, (inbox = { pieces: [], draining: false, idle: [] }));
  let rest = pieces;
  if (!inbox.draining) {
    applyPiece(doc, pieces[0], origin);
    rest = pieces.slice(1);
  }
  if (rest.length) {
    for (const piece of rest) inbox.pieces.push({ update: piece, origin });
    if (!inbox.draining) {
      inbox.draining = true;
      void drain(doc, inbox);
    }
  }
  return true;
}

export function writeSyncStep1(encoder: encoding.Encoder, doc: Y.Doc): void {
  encoding.writeVarUint(encoder, messageYjsSyncStep1);
  const remote = remotes.get(doc);
  encoding.writeVarUint8Array(encoder, remote ? remote.stateVector() : Y.encodeStateVector(doc));
}

export function writeSyncStep2(encoder: encoding.Encoder, doc: Y.Doc, encodedStateVector?: Uint8Array): void {
  encoding.writeVarUint(encoder, messageYjsSyncStep2);
  encoding.writeVarUint8Array(encoder, remotes.has(doc) ? EMPTY_UPDATE : Y.encodeStateAsUpdate(doc, encodedStateVector));
}

/**
 * Reads a peer's state vector and writes step 2 with what it lacks, synchronously (providers send
 * the reply right away). Returns false, writing nothing, when the state vector does not decode.
 */
export function readSyncStep1(decoder: decoding.Decoder, encoder: encoding.Encoder, doc: Y.Doc): boolean {
  let update: Uint8Array;
  try {
    update = Y.encodeStateAsUpdate(doc, decoding.readVarUint8Array(decoder));
  } catch {
    countMalformed(doc);
    return false;
  }
  encoding.writeVarUint(encoder, messageYjsSyncStep2);
  encoding.writeVarUint8Array(encoder, update);
  return true;
}

export function readSyncStep2(decoder: decoding.Decoder, doc: Y.Doc, transactionOrigin: unknown, errorHandler?: (error: Error) => unknown): void {
  receive(decoder, doc, transactionOrigin, errorHandler);
}

/** Reads and applies an update message; false (counted) when it does not decode. */
function receive(decoder: decoding.Decoder, doc: Y.Doc, transactionOrigin: unknown, errorHandler?: (error: Error) => unknown): boolean {
  try {
    const update = decoding.readVarUint8Array(decoder);
    if (gates.has(doc)) {
      if (applyGatedUpdate(doc, update, transactionOrigin)) return true;
      errorHandler?.(new Error('malformed update'));
      return false;
    }
    Y.applyUpdate(doc, update, transactionOrigin);
    return true;
  } catch (error) {
    // Upstream logs these; a peer's garbage is counted instead (observers' errors land here too).
    countMalformed(doc);
    errorHandler?.(error as Error);
    return false;
  }
}

export function writeUpdate(encoder: encoding.Encoder, update: Uint8Array): void {
  encoding.writeVarUint(encoder, messageYjsUpdate);
  encoding.writeVarUint8Array(encoder, update);
}

export const readUpdate = readSyncStep2;

/**
 * Reads one sync message and writes the reply (for step 1) into `encoder`. Returns the message
 * type, or `messageUnreadable` for a message that does not decode or has an unknown type: counted
 * for the document, never thrown at the provider.
 */
export function readSyncMessage(
  decoder: decoding.Decoder,
  encoder: encoding.Encoder,
  doc: Y.Doc,
  transactionOrigin: unknown,
  errorHandler?: (error: Error) => unknown
): number {
  const remote = remotes.get(doc);
  const start = decoder.pos;
  let messageType: number;
  try {
    messageType = decoding.readVarUint(decoder);
  } catch {
    countMalformed(doc);
    return messageUnreadable;
  }
  if (remote) {
    // The worker reads it (and counts it if unreadable). A step 1 is answered later, by the worker
    // through the peer it came from, so the caller is told "update" and sends nothing now.
    remote.receive(decoder.arr.slice(start));
    decoder.pos = decoder.arr.length;
    return messageType === messageYjsSyncStep1 ? messageYjsUpdate : messageType;
  }
  switch (messageType) {
    case messageYjsSyncStep1:
      return readSyncStep1(decoder, encoder, doc) ? messageType : messageUnreadable;
    case messageYjsSyncStep2:
    case messageYjsUpdate:
      return receive(decoder, doc, transactionOrigin, errorHandler) ? messageType : messageUnreadable;
    default:
      countMalformed(doc);
      return messageUnreadable;
  }
}
