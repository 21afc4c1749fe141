// A Y.Doc made on this device with a guid of its own that costs nothing: Yjs makes one with
// `uuidv4`, 31 calls of `crypto.getRandomValues`, which took ~1.5 ms a document in a busy worker
// (217 ms of a newcomer's sync of the real community held in shards: a document per month, opened
// to take the month and again to answer from it). A document's guid names it only to its
// subdocuments, and these documents hold none (the gate refuses them), so it need only differ
// between the documents of one thread.
import * as Y from 'yjs';

let made = 0;

export function localDoc(options: Omit<ConstructorParameters<typeof Y.Doc>[0] & object, 'guid'> = {}): Y.Doc {
  return new Y.Doc({ ...options, guid: `hearth-${++made}` });
}
