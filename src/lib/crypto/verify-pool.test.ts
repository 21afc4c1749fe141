import { afterEach, describe, expect, it, vi } from 'vitest';
import { generateIdentity, signBytes, verifyBytes } from './identity';
import { HELPER_TIMEOUT_MS, POOL_MIN_ITEMS, serveVerifier, VerifyPool, type VerifyItem } from './verify-pool';

/** `n` signed messages, every `badEvery`-th with another message's signature. */
async function signed(n: number, badEvery = 5): Promise<{ items: VerifyItem[]; expected: boolean[] }> {
  const { identity } = await generateIdentity();
  const items: VerifyItem[] = [];
  const expected: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const bytes = new TextEncoder().encode(`message ${i}`);
    const bad = i % badEvery === badEvery - 1;
    const sig = await signBytes(identity, bad ? new TextEncoder().encode(`other ${i}`) : bytes);
    items.push([identity.publicKey, bytes, sig]);
    expected.push(!bad);
  }
  return { items, expected };
}

/** A helper served in this thread over a real MessageChannel, counting what it checks. */
function helper(pool: VerifyPool): { checked: () => number; port: MessagePort } {
  const channel = new MessageChannel();
  let checked = 0;
  serveVerifier(channel.port1, (member, bytes, sig) => {
    checked++;
    return verifyBytes(member, bytes, sig);
  });
  pool.addHelper(channel.port2);
  return { checked: () => checked, port: channel.port1 };
}

const ports: MessagePort[] = [];
afterEach(() => {
  for (const p of ports.splice(0)) p.close();
  vi.useRealTimers();
});

describe('VerifyPool', () => {
  it('checks alone, one by one, when it has no helper', async () => {
    const pool = new VerifyPool();
    const { items, expected } = await signed(40);
    expect(await Promise.all(items.map((item) => pool.verify(...item)))).toEqual(expected);
    expect(pool.counts).toEqual({ helpers: 0, here: 0, helpersDropped: 0 });
  });

  it('splits a batch between itself and its helpers, and every answer is the one a plain verify gives', async () => {
    const pool = new VerifyPool();
    const a = helper(pool);
    const b = helper(pool);
    ports.push(a.port, b.port);
    const { items, expected } = await signed(300);
    expect(await Promise.all(items.map((item) => pool.verify(...item)))).toEqual(expected);
    expect(a.checked()).toBe(100);
    expect(b.checked()).toBe(100);
    expect(pool.counts).toEqual({ helpers: 200, here: 100, helpersDropped: 0 });
  });

  it('keeps a small batch to itself', async () => {
    const pool = new VerifyPool();
    const a = helper(pool);
    ports.push(a.port);
    const { items, expected } = await signed(POOL_MIN_ITEMS - 1);
    expect(await Promise.all(items.map((item) => pool.verify(...item)))).toEqual(expected);
    expect(a.checked()).toBe(0);
  });

  it('drops a helper that never answers and checks its share itself', async () => {
    const pool = new VerifyPool();
    const silent = new MessageChannel();
    ports.push(silent.port1);
    pool.addHelper(silent.port2);
    const { items, expected } = await signed(64);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const answers = Promise.all(items.map((item) => pool.verify(...item)));
    await vi.advanceTimersByTimeAsync(HELPER_TIMEOUT_MS + 64 * 2 + 1);
    expect(await answers).toEqual(expected);
    expect(pool.counts).toEqual({ helpers: 0, here: 64, helpersDropped: 1 });
    expect(pool.helpers).toBe(0);
  });

  it('does not take a helper that answers with the wrong number of results: its share is checked here', async () => {
    const pool = new VerifyPool();
    const liar = new MessageChannel();
    ports.push(liar.port1);
    liar.port1.onmessage = (e: MessageEvent<{ id: number }>) => liar.port1.postMessage({ id: e.data.id, ok: [true] });
    pool.addHelper(liar.port2);
    const { items, expected } = await signed(64);
    expect(await Promise.all(items.map((item) => pool.verify(...item)))).toEqual(expected);
    expect(pool.counts.here).toBe(64);
  });
});
