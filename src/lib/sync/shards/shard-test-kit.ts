// Test helpers for the shard engine: hand-made records (the shard rule reads kind and ts only; the
// record gate that checks signatures runs at ingest, not here) and shard syncs joined by
// MessageChannel ports, a real asynchronous duplex channel like a data channel.
import type { AnyRecord, Kind } from '../../domain/record';
import type { ShardPeer, ShardSync } from './shard-sync';

let counter = 0;

/** A record of `kind` dated `ts`, with a fresh id. */
export function record(kind: Kind, ts: number, body: Record<string, unknown> = {}): AnyRecord {
  const n = String(++counter);
  return {
    id: `r${n}`.padEnd(43, '_'),
    kind,
    cid: 'c'.repeat(43),
    author: 'a'.repeat(43),
    ts,
    body: { title: `post ${n}`, body: '', ...body },
    sig: 's'.repeat(86)
  } as AnyRecord;
}

export interface Link {
  a: ShardPeer;
  b: ShardPeer;
  close(): void;
}

/** Joins two shard syncs over a MessageChannel; `tap` sees every message each side receives. */
export function link(a: ShardSync, b: ShardSync, tap?: (to: 'a' | 'b', bytes: Uint8Array) => void): Link {
  const { port1, port2 } = new MessageChannel();
  const pa = a.addPeer({ send: (bytes) => port1.postMessage(bytes) });
  const pb = b.addPeer({ send: (bytes) => port2.postMessage(bytes) });
  port1.onmessage = (e: MessageEvent) => {
    tap?.('a', e.data);
    pa.receive(e.data);
  };
  port2.onmessage = (e: MessageEvent) => {
    tap?.('b', e.data);
    pb.receive(e.data);
  };
  return {
    a: pa,
    b: pb,
    close() {
      a.removePeer(pa);
      b.removePeer(pb);
      port1.close();
      port2.close();
    }
  };
}

/** Waits until `check` holds (polling), or fails after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 5_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
