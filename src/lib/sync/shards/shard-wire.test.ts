import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { decodeShardMessage, encodeCatalogue, encodeLocate, encodeLocated, encodeSyncBytes, stateDigest } from './shard-wire';

const digest = '0123456789abcdef';
const id = 'x'.repeat(43);

describe('shard wire', () => {
  it('reads back what it writes', () => {
    const entries = [
      { id: 'core', records: 120, digest, held: true },
      { id: '2026-05', records: 0, digest, held: false }
    ];
    expect(decodeShardMessage(encodeCatalogue(true, entries))).toEqual({ ok: true, value: { op: 'catalogue', full: true, entries } });
    expect(decodeShardMessage(encodeSyncBytes('2026-05', new Uint8Array([2, 1, 0])))).toEqual({
      ok: true,
      value: { op: 'sync', shard: '2026-05', message: new Uint8Array([2, 1, 0]) }
    });
    expect(decodeShardMessage(encodeLocate(7, 'target', [id]))).toEqual({ ok: true, value: { op: 'locate', request: 7, mode: 'target', ids: [id] } });
    expect(decodeShardMessage(encodeLocated(7, [[id, '2024-03']]))).toEqual({ ok: true, value: { op: 'located', request: 7, found: [[id, '2024-03']] } });
  });

  it('refuses every cut of a message, a trailing byte, a repeated shard and another version', () => {
    const whole = encodeCatalogue(false, [
      { id: 'core', records: 3, digest, held: true },
      { id: '2025-01', records: 1, digest, held: true }
    ]);
    for (let n = 0; n < whole.length; n++) expect(decodeShardMessage(whole.subarray(0, n)).ok, `cut at ${n}`).toBe(false);
    const trailing = new Uint8Array([...whole, 0]);
    expect(decodeShardMessage(trailing)).toEqual({ ok: false, reason: 'shard.malformed' });
    const twice = encodeCatalogue(false, [
      { id: 'core', records: 3, digest, held: true },
      { id: 'core', records: 3, digest, held: true }
    ]);
    expect(decodeShardMessage(twice)).toEqual({ ok: false, reason: 'shard.malformed' });
    const v2 = whole.slice();
    v2[1] = 2;
    expect(decodeShardMessage(v2)).toEqual({ ok: false, reason: 'shard.version' });
  });

  it('digests equal states alike and different states apart', () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    a.getMap('records').set('k', 1);
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    expect(stateDigest(Y.encodeStateVector(a))).toBe(stateDigest(Y.encodeStateVector(b)));
    b.getMap('records').set('l', 2);
    expect(stateDigest(Y.encodeStateVector(a))).not.toBe(stateDigest(Y.encodeStateVector(b)));
    expect(stateDigest(new Uint8Array(0))).toMatch(/^[0-9a-f]{16}$/);
  });
});
