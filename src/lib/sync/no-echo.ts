// y-webrtc sends every update its document applies to every peer of the room, also to the peer the
// update came from: a newcomer sent the whole history it had just received back to its sender (3.9 MB
// in 16 messages for the real community, 7 MB of the 10k community's lobby core), and the sender
// decoded all of it again. Patched here, once, like simple-peer's framing (webrtc-chunking.ts) and the
// tab channel (tab-sync.ts): an update that came in one peer's message (its origin names that peer:
// remote-doc.ts `FromPeer`) goes to the room's other peers only, which a room not fully connected still
// needs. Any other update is sent as y-webrtc sends it.
import * as encoding from 'lib0/encoding';
import { writeUpdate } from './gated-sync-protocol';

/** y-webrtc's message type for sync messages. */
const MESSAGE_SYNC = 0;

/** The parts of y-webrtc's Room this patch touches. */
interface RoomLike {
  _docUpdateHandler: (update: Uint8Array, origin: unknown) => void;
  webrtcConns: Map<string, { peer: { send(data: Uint8Array): void } }>;
  bcconnected: boolean;
  connect(): void;
}

const patched = new WeakSet<object>();
const wrapped = new WeakSet<RoomLike>();

export function installNoEcho(Room: { prototype: object }): void {
  if (patched.has(Room.prototype)) return;
  patched.add(Room.prototype);
  const proto = Room.prototype as RoomLike;
  const connect = proto.connect;
  proto.connect = function (this: RoomLike) {
    if (!wrapped.has(this)) {
      wrapped.add(this);
      const send = this._docUpdateHandler;
      // Replaced before connect subscribes it, so disconnect unsubscribes the same function.
      this._docUpdateHandler = (update, origin) => {
        const from = (origin as { peer?: unknown } | null)?.peer;
        // Tabs sharing the room over a BroadcastChannel (a page holding its own document) get it as before.
        if (!from || this.bcconnected) return send(update, origin);
        const encoder = encoding.createEncoder();
        encoding.writeVarUint(encoder, MESSAGE_SYNC);
        writeUpdate(encoder, update);
        const message = encoding.toUint8Array(encoder);
        for (const conn of this.webrtcConns.values()) {
          if (conn.peer === from) continue;
          try {
            conn.peer.send(message);
          } catch {
            // a connection closing: y-webrtc ignores these too
          }
        }
      };
    }
    connect.call(this);
  };
}
