// y-webrtc sends every update its document applies to every peer of the room, also to the peer the
// update came from: a newcomer sent the whole history it had just received back to its sender (3.9 MB
// in 16 messages for the real community, 7 MB of the 10k community's lobby core), and the sender
// decoded all of it again. Patched here, once, like simple-peer's framing (webrtc-chunking.ts) and the
// tab channel (tab-sync.ts): an update that came in one peer's message (its origin names that peer:
// wire-message.ts `FramedUpdate`) goes to the room's other peers only, which a room not fully
// connected still needs. An update that comes framed already (every update of the community worker's
// documents) is sent as those bytes, and framed by nobody when no peer is to get it. A room whose
// tabs share it over a BroadcastChannel (a page holding its own document) sends as y-webrtc does.
import { wireUpdate, type FramedUpdate } from './wire-message';

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
        if (this.bcconnected) return send(update, origin);
        const { peer: from, message: framed } = (origin ?? {}) as Partial<FramedUpdate>;
        let message = framed instanceof Uint8Array ? framed : null;
        for (const conn of this.webrtcConns.values()) {
          if (from && conn.peer === from) continue;
          message ??= wireUpdate(update);
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
