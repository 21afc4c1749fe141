// A light simulated member for the relay benchmark: it speaks the relay's protocol itself (Hocuspocus
// framing, the membership challenge), writes its own records from its own Yjs document, and
// receives the whole fan-out over its WebSocket, but only counts what it receives instead of
// applying it. A full replica of 1,000+ records per member would make the benchmark's own process,
// not the relays, the bottleneck (1,000 of them took this process past 4 GB and stalled it).
// Full replicas (the app's RelayLink) sit beside these light members to time arrivals and check losses.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import type { Identity } from '../../src/lib/crypto/identity';
import { readRelayMessage, signChallenge } from '../../src/lib/crypto/relay-proof';
import { NodeWebSocket } from '../../relay/local-cluster';

const SYNC = 0;
const AUTH = 2;
const STATELESS = 5;
const SYNC_STATUS = 8;
const SYNC_UPDATE = 2;
const SYNC_STEP1 = 0;

type Socket = { binaryType: string; send: (b: Uint8Array) => void; close: () => void; on: (e: string, f: (...a: never[]) => void) => void };

export class LightMember {
  readonly doc = new Y.Doc();
  received = 0;
  acked = 0;
  member = false;
  #ws: Socket;

  constructor(
    url: string,
    readonly room: string,
    readonly identity: Identity,
    /** Called with every update the relay sends (sync step 2 or update), when given: timing probes. */
    readonly onUpdate?: (update: Uint8Array) => void
  ) {
    const WS = NodeWebSocket as new (url: string) => Socket;
    this.#ws = new WS(url);
    this.#ws.binaryType = 'nodebuffer';
    this.#ws.on('open', () =>
      this.#send(AUTH, (e) => {
        encoding.writeVarUint(e, 0); // token
        encoding.writeVarString(e, '');
      })
    );
    this.#ws.on('message', (data: Buffer) => this.#onMessage(new Uint8Array(data)));
    this.doc.on('update', (update: Uint8Array) =>
      this.#send(SYNC, (e) => {
        encoding.writeVarUint(e, SYNC_UPDATE);
        encoding.writeVarUint8Array(e, update);
      })
    );
  }

  #send(type: number, write: (e: encoding.Encoder) => void): void {
    const e = encoding.createEncoder();
    encoding.writeVarString(e, this.room);
    encoding.writeVarUint(e, type);
    write(e);
    this.#ws.send(encoding.toUint8Array(e));
  }

  #onMessage(data: Uint8Array): void {
    const d = decoding.createDecoder(data);
    decoding.readVarString(d);
    const type = decoding.readVarUint(d);
    if (type === SYNC) {
      this.received++;
      if (this.onUpdate && decoding.readVarUint(d) !== SYNC_STEP1) this.onUpdate(decoding.readVarUint8Array(d));
    } else if (type === SYNC_STATUS) this.acked += decoding.readVarInt(d) === 1 ? 1 : 0;
    else if (type === STATELESS) {
      const message = readRelayMessage(decoding.readVarString(d));
      if (message?.t === 'hearth-challenge') {
        void signChallenge(this.identity, this.room, message).then((proof) => this.#send(STATELESS, (e) => encoding.writeVarString(e, JSON.stringify(proof))));
      } else if (message?.member) this.member = true;
    }
  }

  write(id: string, record: unknown): void {
    this.doc.getMap('records').set(id, record);
  }

  close(): void {
    this.#ws.close();
    this.doc.destroy();
  }
}
