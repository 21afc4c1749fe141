import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// The records table is read and written through store/record-store alone: how records sit on disk
// (one row each today, months packed next, docs/shards.md) is then that module's business.
const ROOTS = ['src', 'workers'];
const ALLOWED = new Set(['src/lib/store/record-store.ts', 'src/lib/store/db.ts']);
const TABLE_ACCESS = /\b(?:db|this\.db|community\.db|openDb\(\))\s*\.records\b/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return /\.(ts|svelte)$/.test(e.name) && !/\.test\.ts$/.test(e.name) ? [path] : [];
  });
}

describe('record store boundary', () => {
  it('no module but store/record-store touches the records table', () => {
    const offenders = ROOTS.flatMap(sources)
      .filter((path) => !ALLOWED.has(path))
      .flatMap((path) =>
        readFileSync(path, 'utf8')
          .split('\n')
          .flatMap((line, i) => (TABLE_ACCESS.test(line) ? [`${path}:${i + 1}: ${line.trim()}`] : []))
      );
    expect(offenders).toEqual([]);
  });

  it('the scan finds a table access where there is one', () => {
    expect(TABLE_ACCESS.test("const rows = await db.records.where('cid').equals(cid).toArray();")).toBe(true);
    expect(TABLE_ACCESS.test('this.db.records.get(id)')).toBe(true);
    expect(TABLE_ACCESS.test('openDb().records.count()')).toBe(true);
    expect(TABLE_ACCESS.test('doc.records.get(key)')).toBe(false);
  });
});
