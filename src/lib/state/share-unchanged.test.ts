import { describe, expect, it } from 'vitest';
import { sameData, shareUnchanged } from './share-unchanged';

const reply = (id: string, body: string, reactions: { emoji: string; by: string[] }[] = []) => ({
  id,
  body,
  createdAt: 1_700_000_000_000,
  reactions,
  attachments: [{ hash: new Uint8Array([1, 2, 3]), name: 'a.jpg' }]
});

describe('a live query answer sharing what did not change', () => {
  it('keeps every unchanged reply as the same object when one reply is added, so only the new one renders', () => {
    const before = Array.from({ length: 200 }, (_, i) => reply(`r${i}`, `reply ${i}`));
    const again = [...before.map((r) => structuredClone(r)), reply('r200', 'new')];
    const shared = shareUnchanged(before, again);
    expect(shared).toHaveLength(201);
    for (let i = 0; i < 200; i++) expect(shared[i]).toBe(before[i]);
    expect(shared[200]).toBe(again[200]);
  });

  it('gives a changed reply (an edit, a reaction) its new object and keeps the rest', () => {
    const before = [reply('a', 'one'), reply('b', 'two'), reply('c', 'three')];
    const again = before.map((r) => structuredClone(r));
    again[1] = reply('b', 'two', [{ emoji: '👍', by: ['k'] }]);
    again[2] = { ...again[2], body: 'three, edited' };
    const shared = shareUnchanged(before, again);
    expect(shared[0]).toBe(before[0]);
    expect(shared[1]).toBe(again[1]);
    expect(shared[2]).toBe(again[2]);
  });

  it('returns the previous answer itself when nothing changed, and the new one when rows were removed or reordered', () => {
    const before = [reply('a', 'one'), reply('b', 'two')];
    expect(
      shareUnchanged(
        before,
        before.map((r) => structuredClone(r))
      )
    ).toBe(before);
    const removed = shareUnchanged(before, [structuredClone(before[1])]);
    expect(removed).not.toBe(before);
    expect(removed).toEqual([before[1]]);
    expect(removed[0]).toBe(before[1]);
    const reordered = shareUnchanged(before, [structuredClone(before[1]), structuredClone(before[0])]);
    expect(reordered).not.toBe(before);
    expect(reordered[0]).toBe(before[1]);
  });

  it('compares byte arrays by their bytes and tells objects, arrays and missing keys apart', () => {
    expect(sameData(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(sameData(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(sameData({ a: undefined }, {})).toBe(false);
    expect(sameData([1], { 0: 1 })).toBe(false);
    expect(sameData({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(sameData(null, {})).toBe(false);
    expect(sameData(Number.NaN, Number.NaN)).toBe(true);
    // A Map's entries are not its keys: never taken as unchanged.
    expect(sameData(new Map([['a', 1]]), new Map([['a', 2]]))).toBe(false);
    expect(sameData(new Set([1]), new Set([1]))).toBe(false);
  });

  it('keeps a single row that did not change, and rows without ids are compared in place', () => {
    const row = { id: 't', title: 'x' };
    expect(shareUnchanged(row, { id: 't', title: 'x' })).toBe(row);
    const plain = [1, 2, 3];
    expect(shareUnchanged(plain, [1, 2, 3])).toBe(plain);
    expect(shareUnchanged(plain, [1, 2, 4])).toEqual([1, 2, 4]);
  });
});
