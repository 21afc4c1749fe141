// Fan-out in batches: Hocuspocus sends every update of a document to each of its connections at
// once, one WebSocket frame (one `writev`) per connection per update. With hundreds of members in a
// room that is most of a relay's CPU (a profile of the benchmark: `writev` alone was about half of
// the relay's busy time), and when the relay falls behind every queued update pays it again.
//
// Here the update's hooks (this relay's disk log, the Redis publish) still run at once, but the
// updates a document receives during one turn of the event loop are merged (`Y.mergeUpdates`) and
// sent as one frame per connection right after that turn (`setImmediate`). Idle, that is one
// update per frame as before, no later; behind, the backlog goes out as one frame.
import { Document, OutgoingMessage } from '@hocuspocus/server';
import * as Y from 'yjs';

/** What this uses of Document's private members. */
interface DocumentInternals {
  callbacks: { onUpdate: (document: Document, origin: unknown, update: Uint8Array) => void };
  handleUpdate: (this: Document, update: Uint8Array, origin: unknown) => Document;
}

const pending = new Map<Document, Uint8Array[]>();
let scheduled = false;
let installed = false;
/** Told how long each flush took (ms) and how many updates it merged: the relays' load figures. */
const listeners = new Set<(ms: number, updates: number) => void>();

function flush(): void {
  const t = performance.now();
  let count = 0;
  scheduled = false;
  const batches = [...pending];
  pending.clear();
  for (const [document, updates] of batches) {
    if (document.isDestroyed) continue;
    count += updates.length;
    const update = updates.length === 1 ? updates[0] : Y.mergeUpdates(updates);
    const frame = new OutgoingMessage(document.name).createSyncMessage().writeUpdate(update).toUint8Array();
    for (const connection of document.getConnections()) connection.send(frame);
  }
  const ms = performance.now() - t;
  for (const listener of listeners) listener(ms, count);
}

/**
 * Replaces `Document.prototype.handleUpdate` (each Document binds it when constructed, so this runs
 * before the relay loads any room); installed once per process. Returns what stops `onFlush` being told.
 */
export function batchFanOut(onFlush?: (ms: number, updates: number) => void): () => void {
  if (onFlush) listeners.add(onFlush);
  const unsubscribe = () => {
    if (onFlush) listeners.delete(onFlush);
  };
  if (installed) return unsubscribe;
  installed = true;
  (Document.prototype as unknown as DocumentInternals).handleUpdate = function (this: Document, update: Uint8Array, origin: unknown): Document {
    (this as unknown as DocumentInternals).callbacks.onUpdate(this, origin, update);
    const list = pending.get(this);
    if (list) list.push(update);
    else pending.set(this, [update]);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
    return this;
  };
  return unsubscribe;
}
