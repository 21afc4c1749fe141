// Dev tool (not a benchmark of record): what one append of trust records costs the projection on the
// generated 10k community (the search figures' data), in Node on fake-indexeddb: rows written per
// table and how long `applyRecords` takes (one transaction: what a reader of those tables waits for
// in Chromium; fake-indexeddb's waits are not Chromium's, tests/bench/profile-locks.ts measures those).
// The creator's automation writes up to 200 trust records in one append after an import (issue 14).
// Usage: node --import tsx tests/bench/standing-append.ts [members per append] [appends]
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { DEMO_CREATOR } from '../../scripts/data/community-plan';
import { identityFor } from '../../scripts/data/member-keys';
import { sealRecord } from '../../src/lib/crypto/record-seal';
import { parseCommunityFile } from '../../src/lib/domain/community-file';
import type { AnyRecord } from '../../src/lib/domain/record';
import { HearthDb } from '../../src/lib/store/db';
import { applyRecords } from '../../src/lib/store/projection';
import { ensureSearchDataset } from './search-figures';

const perAppend = Number(process.argv[2] ?? 200);
const appends = Number(process.argv[3] ?? 2);

const { file } = await ensureSearchDataset(console.error);
const parsed = parseCommunityFile(readFileSync(file, 'utf8'));
if (!parsed.ok) throw new Error(parsed.reason);
const records = parsed.value.records;
const cid = records[0].id;
const db = new HearthDb('standing-append');
let started = performance.now();
await applyRecords(db, cid, records);
console.log(`imported ${records.length} records in ${((performance.now() - started) / 1000).toFixed(1)} s`);

// The members the automation would promote first: those who wrote most.
const written = new Map<string, number>();
for (const r of records) if (r.kind !== 'join' && r.kind !== 'profile') written.set(r.author, (written.get(r.author) ?? 0) + 1);
const creator = await identityFor(DEMO_CREATOR.namespace, DEMO_CREATOR.handle);
const authors = [...written].filter(([key]) => key !== creator.publicKey).sort((a, b) => b[1] - a[1]);
const last = records.reduce((max, r) => Math.max(max, r.ts), 0);

const puts = new Map<string, number>();
const proto = IDBObjectStore.prototype as IDBObjectStore & Record<string, unknown>;
for (const method of ['put', 'add', 'delete'] as const) {
  const original = proto[method] as (...args: unknown[]) => IDBRequest;
  proto[method] = function (this: IDBObjectStore, ...args: unknown[]) {
    puts.set(`${this.name} ${method}`, (puts.get(`${this.name} ${method}`) ?? 0) + 1);
    return original.apply(this, args);
  };
}

for (let a = 0; a < appends; a++) {
  const members = authors.slice(a * perAppend, (a + 1) * perAppend);
  const batch: AnyRecord[] = [];
  for (const [i, [member]] of members.entries())
    batch.push(await sealRecord(creator, { kind: 'trust', cid, ts: last + 60_000 * (a + 1) + i, body: { member, level: 1 } }));
  const posts = members.reduce((n, [, count]) => n + count, 0);
  puts.clear();
  started = performance.now();
  await applyRecords(db, cid, batch, Infinity);
  const ms = performance.now() - started;
  console.log(
    `append ${a + 1}: ${batch.length} trust records naming members who wrote ${posts} records: ${ms.toFixed(0)} ms; ` +
      `writes: ${
        [...puts]
          .sort()
          .map(([k, n]) => `${k} ${n}`)
          .join(', ') || 'none'
      }`
  );
}
process.exit(0);
