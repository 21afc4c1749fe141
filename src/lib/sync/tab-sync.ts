// y-webrtc also keeps the tabs of one browser in sync, over a BroadcastChannel. When a room
// connects it encrypts and posts its whole document there, unasked, for tabs that are usually not
// open; and lib0's channel hands every message to the sending tab's own subscribers too, so the room
// then decrypts and re-applies its own copy. At 100,000 records that was about 5 s of the page's main
// thread each time a community opened.
// Patched here, once, like simple-peer's framing: a tab ignores its own messages (they never change
// anything), and connecting announces an empty state instead of the whole document. Another tab
// that is open answers that announcement with what it has; live edits keep flowing both ways. What
// a newly opened tab loaded that an open tab lacks reaches it through the peers they both sync with,
// or on its next open (both tabs read the same IndexedDB).
import * as Y from 'yjs';
import { countMalformed } from './message-faults';
import * as bc from 'lib0/broadcastchannel';

/** True for the page's stand-in of a document in the community worker (remote-doc.ts). */
function isRemote(doc: unknown): boolean {
  return (doc as { remote?: unknown }).remote === true;
}

/** The parts of y-webrtc's Room this patch touches. */
interface RoomLike {
  doc: Y.Doc;
  _bcSubscriber: (data: ArrayBuffer, origin?: unknown) => unknown;
  _docUpdateHandler: (update: Uint8Array, origin: unknown) => void;
  connect(): void;
  name: string;
  bcconnected: boolean;
}

/** lib0's broadcastchannel marks messages that came from another tab with this origin. */
export const FROM_OTHER_TAB = 'broadcastchannel';

const patched = new WeakSet<object>();
const ownEchoIgnored = new WeakSet<RoomLike>();

export function installTabSync(Room: { prototype: object }): void {
  if (patched.has(Room.prototype)) return;
  patched.add(Room.prototype);
  const proto = Room.prototype as RoomLike;
  const connect = proto.connect;
  proto.connect = function (this: RoomLike) {
    if (!ownEchoIgnored.has(this)) {
      ownEchoIgnored.add(this);
      const handle = this._bcSubscriber;
      // Replaced before the first connect subscribes it, so disconnect unsubscribes the same function.
      // Another tab's message that does not decrypt or decode is counted, not left to reject unhandled.
      this._bcSubscriber = (data, origin) => {
        if (origin !== FROM_OTHER_TAB) return undefined;
        try {
          return Promise.resolve(handle(data)).catch(() => countMalformed(this.doc));
        } catch {
          countMalformed(this.doc);
        }
      };
    }
    if (isRemote(this.doc)) {
      // The tabs share one document in the community worker: nothing to exchange between them.
      connect.call(this);
      bc.unsubscribe(this.name, this._bcSubscriber);
      this.bcconnected = false;
      return;
    }
    // connect() writes sync step 1 and the whole state of `this.doc`: it is shown an empty document.
    const doc = this.doc;
    const empty = new Y.Doc();
    // Awareness is announced under the document's client id.
    empty.clientID = doc.clientID;
    this.doc = empty;
    try {
      connect.call(this);
    } finally {
      this.doc = doc;
      // connect() started listening to the document it was shown: listen to the real one.
      empty.off('update', this._docUpdateHandler);
      doc.off('update', this._docUpdateHandler);
      doc.on('update', this._docUpdateHandler);
      empty.destroy();
    }
  };
}
