// A connection to a test database that counts the values it reads of some tables, below every
// middleware of the app's (post rows' fill, the record pages): how much of the store a read touched.
import { HearthDb } from '../../src/lib/store/db';

/**
 * A connection to `name` that counts the values it reads of `tables` below the fill (pages of records,
 * records), and the cursors it opens on them (by index name, '' for the primary key).
 */
export function countingReads(name: string, tables: readonly string[]): { db: HearthDb; reads: () => number; cursors: string[] } {
  const db = new HearthDb(name);
  let reads = 0;
  const cursors: string[] = [];
  db.use({
    stack: 'dbcore',
    name: 'CountReads',
    level: -10,
    create: (down) => ({
      ...down,
      table: (table) => {
        const t = down.table(table);
        if (!tables.includes(table)) return t;
        return {
          ...t,
          query: (req) => t.query(req).then((res) => ((reads += res.result.length), res)),
          get: (req) => t.get(req).then((res) => ((reads += res ? 1 : 0), res)),
          getMany: (req) => t.getMany(req).then((res) => ((reads += res.length), res)),
          openCursor: (req) => (cursors.push(req.query.index.name ?? ''), t.openCursor(req))
        };
      }
    })
  });
  return { db, reads: () => reads, cursors };
}
