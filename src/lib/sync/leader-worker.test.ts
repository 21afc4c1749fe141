import { describe, expect, it } from 'vitest';
import { MessageChannel } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { PendingEndpoint } from './leader-worker';

type Far = Parameters<PendingEndpoint['connect']>[0];

/** A Node MessagePort as the browser's: `addEventListener('message')` with the event's `data`. */
function far(port: import('node:worker_threads').MessagePort): Far {
  return port as unknown as Far;
}

describe('an endpoint whose worker is known later', () => {
  it('delivers what was posted before, in order, and hears with the listeners added before', async () => {
    const endpoint = new PendingEndpoint();
    const heard: unknown[] = [];
    endpoint.addEventListener('message', ((e: MessageEvent) => void heard.push(e.data)) as EventListener);
    endpoint.postMessage('one');
    endpoint.postMessage('two');
    const { port1, port2 } = new MessageChannel();
    const got: unknown[] = [];
    port2.on('message', (m) => {
      got.push(m);
      if (m === 'two') port2.postMessage('answer');
    });
    endpoint.connect(far(port1), false);
    endpoint.postMessage('three');
    await expect.poll(() => got).toEqual(['one', 'two', 'three']);
    await expect.poll(() => heard).toEqual(['answer']);
    port1.close();
  });

  it('moves buffers to a port and copies them to a channel, which takes no transfer list', async () => {
    const moved = new Uint8Array([1, 2, 3]);
    const copied = new Uint8Array([4, 5, 6]);
    const { port1, port2 } = new MessageChannel();
    const got: Uint8Array[] = [];
    port2.on('message', (m) => got.push(m));

    const toPort = new PendingEndpoint();
    toPort.postMessage(moved, [moved.buffer]);
    toPort.connect(far(port1), false);
    const toChannel = new PendingEndpoint();
    toChannel.postMessage(copied, [copied.buffer]);
    toChannel.connect(far(port1), true);

    await expect.poll(() => got.length).toBe(2);
    expect(moved.byteLength).toBe(0);
    expect([...copied]).toEqual([4, 5, 6]);
    expect(got.map((m) => [...m])).toEqual([
      [1, 2, 3],
      [4, 5, 6]
    ]);
    port1.close();
  });

  it('carries comlink calls made before the worker is known', async () => {
    const endpoint = new PendingEndpoint();
    const api = Comlink.wrap<{ add(a: number, b: number): number }>(endpoint);
    const answer = api.add(2, 3);
    const { port1, port2 } = new MessageChannel();
    Comlink.expose({ add: (a: number, b: number) => a + b }, far(port2) as unknown as Comlink.Endpoint);
    endpoint.connect(far(port1), true);
    expect(await answer).toBe(5);
    port1.close();
    port2.close();
  });
});
