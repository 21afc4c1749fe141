import { describe, expect, it } from 'vitest';
import { Lru } from './lru';

describe('Lru', () => {
  it('forgets the least recently used entry past its budget of entries; a read makes an entry recent', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1);
    lru.set('c', 3);
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('a')).toBe(1);
    expect(lru.get('c')).toBe(3);
    expect(lru.count).toBe(2);
  });

  it('counts each entry by its size, also when a key is set again, and keeps nothing larger than the budget', () => {
    const lru = new Lru<string, string>(10, (key, value) => key.length + value.length);
    lru.set('a', 'xxxx'); // 5
    lru.set('b', 'yyyy'); // 10
    lru.set('a', 'x'); // a shrinks to 2: 7 in all, nothing forgotten
    expect(lru.count).toBe(2);
    lru.set('c', 'zz'); // 10
    expect([lru.get('a'), lru.get('b'), lru.get('c')]).toEqual(['x', 'yyyy', 'zz']);
    lru.set('d', 'w'.repeat(20));
    expect(lru.get('d')).toBeUndefined();
    expect(lru.count).toBe(3);
    lru.set('e', 'vvvvv'); // 6: 16 in all, the two least recently used go
    expect(lru.get('a')).toBeUndefined();
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('c')).toBe('zz');
  });
});
