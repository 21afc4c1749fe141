// Batched fan-out on a real Hocuspocus server and a real WebSocket reader, in this process.
import { Server } from '@hocuspocus/server';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { batchFanOut } from './batched-fan-out';
import { NodeWebSocket, waitFor } from './local-cluster';

const ROOM = 'batched-fan-out-room';
const SYNC = 0;
const AUTH = 2;
const SYNC_UPDATE = 2;

type Socket = { binaryType: string; send: (b: Uint8Array) => void; close: () => void; on: (e: string, f: (...a: never[]) => void) => void };

/** A reading connection that keeps every update frame the server sends it. */
function reader(url: string) {
  const frames: Uint8Array[] = [];
  const ws = new (NodeWebSocket as new (url: string) => Socket)(url);
  ws.binaryType = 'nodebuffer';
  ws.on('open', () => {
    const e = encoding.createEncoder();
    encoding.writeVarString(e, ROOM);
    encoding.writeVarUint(e, AUTH);
    encoding.writeVarUint(e, 0);
    encoding.writeVarString(e, '');
    ws.send(encoding.toUint8Array(e));
  });
  ws.on('message', (data: Buffer) => {
    const d = decoding.createDecoder(new Uint8Array(data));
    decoding.readVarString(d);
    if (decoding.readVarUint(d) !== SYNC || decoding.readVarUint(d) !== SYNC_UPDATE) return;
    frames.push(decoding.readVarUint8Array(d));
  });
  return { frames, close: () => ws.close() };
}

/** A record written by a client of its own (each update from another Yjs client, as members' are). */
function write(key: string): Uint8Array {
  const client = new Y.Doc();
  client.getMap('records').set(key, { title: key });
  return Y.encodeStateAsUpdate(client);
}

let server: Server;
let url: string;

beforeAll(async () => {
  batchFanOut();
  server = new Server({ port: 0, address: '127.0.0.1', quiet: true, stopOnSignals: false });
  await server.listen();
  const address = server.httpServer.address();
  url = `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await server.destroy();
});

describe('batched fan-out', () => {
  it('sends the updates a room receives in one turn as one frame per connection, and a later update as a frame of its own', async () => {
    const one = reader(url);
    const two = reader(url);
    const document = await waitFor(
      'the room to load with both readers',
      () => server.hocuspocus.documents.get(ROOM),
      (d) => d?.getConnectionsCount() === 2
    );
    if (!document) throw new Error('no room');
    for (const key of ['a', 'b', 'c']) Y.applyUpdate(document, write(key));
    await waitFor(
      'the batch',
      () => one.frames.length + two.frames.length,
      (n) => n >= 2
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(one.frames).toHaveLength(1);
    expect(two.frames).toHaveLength(1);
    const received = new Y.Doc();
    Y.applyUpdate(received, one.frames[0]);
    expect([...received.getMap('records').keys()].sort()).toEqual(['a', 'b', 'c']);

    Y.applyUpdate(document, write('d'));
    await waitFor(
      'the later update',
      () => one.frames.length,
      (n) => n === 2
    );
    Y.applyUpdate(received, one.frames[1]);
    expect([...received.getMap('records').keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(received.getMap('records').toJSON()).toEqual(document.getMap('records').toJSON());
    one.close();
    two.close();
  });
});
