// A connection to a test database that counts the values it reads of some tables, below every
// middleware of the app's (post rows' fill, the record pages): how much of the store a read touched.
import { HearthDb } from '../../src/lib/store/db';

/** A connection to `name` that counts the values it reads of `tables` below the fill (pages of records, records). */
export function countingReads(name: string, tables: readonly string[]): { db: HearthDb; reads: () => number } {
  const db = new HearthDb(name);
  let reads = 0;
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
          getMany: (req) => t.getMany(req).then((res) => ((reads += res.length), res))
        };
      }
    })
  });
  return { db, reads: () => reads };
}
