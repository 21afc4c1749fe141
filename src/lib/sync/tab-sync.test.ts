import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import * as bc from 'lib0/broadcastchannel';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import { Room, WebrtcProvider } from 'y-webrtc';
import { FROM_OTHER_TAB, installTabSync } from './tab-sync';

installTabSync(Room);

function filledDoc(records: number): Y.Doc {
  const doc = new Y.Doc();
  const map = doc.getMap('records');
  doc.transact(() => {
    for (let i = 0; i < records; i++) map.set(`r${i}`, { body: `record ${i} `.repeat(20) });
  });
  return doc;
}

const settle = () => new Promise((r) => setTimeout(r, 50));
const opened: WebrtcProvider[] = [];

afterEach(() => {
  for (const p of opened.splice(0)) p.destroy();
  vi.restoreAllMocks();
});

describe('tabs of one browser', () => {
  it('connecting posts no copy of the document to the other tabs, and live edits still go', async () => {
    const sizes: number[] = [];
    // The room's own channel only (lib0 names it after the room): Dexie and the search journal post
    // objects on channels of their own when a database is written, and a worker that ran other test
    // files before this one may still be writing theirs (twice in eight shuffled runs: NaN, 2 for 1).
    vi.spyOn(BroadcastChannel.prototype, 'postMessage').mockImplementation(function (this: BroadcastChannel, m: unknown) {
      if (this.name === 'tab-sync-connect') sizes.push((m as Uint8Array).byteLength);
    });
    const doc = filledDoc(2000);
    expect(Y.encodeStateAsUpdate(doc).byteLength).toBeGreaterThan(200_000);
    const provider = new WebrtcProvider('tab-sync-connect', doc, { signaling: [], password: 'room secret' });
    opened.push(provider);
    await provider.key;
    await settle();
    expect(sizes.length).toBeGreaterThan(0);
    expect(Math.max(...sizes)).toBeLessThan(2_000);

    sizes.length = 0;
    doc.getMap('records').set('new', { body: 'a live edit' });
    await settle();
    expect(sizes.length).toBe(1);
  });

  it('ignores its own messages and applies another tab’s', async () => {
    vi.spyOn(BroadcastChannel.prototype, 'postMessage').mockImplementation(() => {});
    const doc = filledDoc(10);
    const provider = new WebrtcProvider('tab-sync-echo', doc, { signaling: [] });
    opened.push(provider);
    await provider.key;
    await settle();
    const other = new Y.Doc();
    other.getMap('records').set('from-elsewhere', { body: 'hello' });
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, 0); // y-webrtc's messageSync
    syncProtocol.writeUpdate(encoder, Y.encodeStateAsUpdate(other));
    const message = encoding.toUint8Array(encoder);

    bc.publish('tab-sync-echo', message); // as the tab's own post is handed back to it
    await settle();
    expect(doc.getMap('records').has('from-elsewhere')).toBe(false);

    bc.publish('tab-sync-echo', message, FROM_OTHER_TAB);
    await settle();
    expect(doc.getMap('records').has('from-elsewhere')).toBe(true);
  });
});
