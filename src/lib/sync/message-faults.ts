// Counts messages from peers that could not be read (garbage on a channel, a malformed Yjs update),
// per document when the receiver knows it, so the health panel can show them instead of the page throwing.
import type * as Y from 'yjs';

const perDoc = new WeakMap<Y.Doc, number>();
const listeners = new WeakMap<Y.Doc, () => void>();
let total = 0;

/** Counts one unreadable message; `doc` is null where the channel does not know its document. */
export function countMalformed(doc: Y.Doc | null): void {
  total++;
  if (!doc) return;
  perDoc.set(doc, (perDoc.get(doc) ?? 0) + 1);
  listeners.get(doc)?.();
}

/** Unreadable messages for `doc`, or on every channel of this page when `doc` is omitted. */
export function malformedMessages(doc?: Y.Doc): number {
  return doc ? (perDoc.get(doc) ?? 0) : total;
}

/** Calls `listener` after each message counted for `doc` (one listener per document). */
export function watchMalformed(doc: Y.Doc, listener: () => void): void {
  listeners.set(doc, listener);
}
