import { describe, expect, it } from 'vitest';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import {
  decodeShardMessage,
  encodeBatch,
  encodeCatalogue,
  encodeHello,
  encodeLocate,
  encodeLocated,
  encodeSyncBytes,
  FEATURE_BATCH,
  MAX_BATCH,
  OP_ANSWER,
  OP_ASK,
  SHARD_MAGIC,
  stateDigest,
  WIRE_VERSION
} from './shard-wire';

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

  it('reads back a hello, an ask of several months and their answer', () => {
    expect(decodeShardMessage(encodeHello())).toEqual({ ok: true, value: { op: 'hello', features: FEATURE_BATCH } });
    const step1 = Uint8Array.of(0, 1, 0);
    const step2 = Uint8Array.of(1, 2, 0, 0);
    const ask = [
      { shard: '2026-05', message: step1 },
      { shard: '2026-04', message: step1 }
    ];
    expect(decodeShardMessage(encodeBatch('ask', ask))).toEqual({ ok: true, value: { op: 'ask', entries: ask } });
    const answer = ask.map((e) => ({ ...e, message: step2 }));
    expect(decodeShardMessage(encodeBatch('answer', answer))).toEqual({ ok: true, value: { op: 'answer', entries: answer } });
  });

  it('refuses a batch past its count, naming a shard twice or a junk one, of the wrong step, empty or cut', () => {
    const step1 = Uint8Array.of(0, 1, 0);
    const batch = (op: number, entries: [string, Uint8Array][], count = entries.length) => {
      const e = encoding.createEncoder();
      encoding.writeUint8(e, SHARD_MAGIC);
      encoding.writeUint8(e, WIRE_VERSION);
      encoding.writeUint8(e, op);
      encoding.writeVarUint(e, count);
      for (const [shard, message] of entries) {
        encoding.writeVarString(e, shard);
        encoding.writeVarUint8Array(e, message);
      }
      return encoding.toUint8Array(e);
    };
    const months = Array.from({ length: MAX_BATCH + 1 }, (_, i) => `${2000 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`);
    expect(
      decodeShardMessage(
        batch(
          OP_ASK,
          months.map((m) => [m, step1])
        )
      )
    ).toEqual({ ok: false, reason: 'shard.oversized' });
    expect(
      decodeShardMessage(
        batch(OP_ASK, [
          ['2026-05', step1],
          ['2026-05', step1]
        ])
      )
    ).toEqual({ ok: false, reason: 'shard.malformed' });
    expect(decodeShardMessage(batch(OP_ASK, [['2026-13', step1]]))).toEqual({ ok: false, reason: 'shard.bad_id' });
    // A step 1 in an answer, a step 2 in an ask, an update in either, a message with bytes after its payload.
    expect(decodeShardMessage(batch(OP_ANSWER, [['2026-05', step1]])).ok).toBe(false);
    expect(decodeShardMessage(batch(OP_ASK, [['2026-05', Uint8Array.of(1, 2, 0, 0)]])).ok).toBe(false);
    expect(decodeShardMessage(batch(OP_ANSWER, [['2026-05', Uint8Array.of(2, 2, 0, 0)]])).ok).toBe(false);
    expect(decodeShardMessage(batch(OP_ASK, [['2026-05', Uint8Array.of(0, 1, 0, 9)]])).ok).toBe(false);
    expect(decodeShardMessage(batch(OP_ASK, [])).ok).toBe(false);
    // A count larger than the entries written.
    expect(decodeShardMessage(batch(OP_ASK, [['2026-05', step1]], 2)).ok).toBe(false);
    const whole = batch(OP_ASK, [
      ['2026-05', step1],
      ['2026-04', step1]
    ]);
    for (let n = 0; n < whole.length; n++) expect(decodeShardMessage(whole.subarray(0, n)).ok, `cut at ${n}`).toBe(false);
    expect(() =>
      encodeBatch('ask', [
        { shard: '2026-05', message: step1 },
        { shard: '2026-05', message: step1 }
      ])
    ).toThrow(RangeError);
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
