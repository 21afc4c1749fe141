// The chain tip a device links its next record to: the author's newest stored record by (ts, id).
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../crypto/encoding';
import { compareRecords } from '../domain/record';
import { HearthDb, type StoredRecord } from './db';
import { chainTip } from './record-chain';
import { putRecords } from './record-store';

const id = () => toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
let dbs = 0;

describe('chainTip', () => {
  it("is the author's newest record by (ts, id), whatever other authors and communities hold", async () => {
    const [cid, other, me, someone] = [id(), id(), id(), id()];
    const rows: StoredRecord[] = [];
    // Several records at the same ts, so the id decides among them; ids sort as strings on disk too.
    for (let i = 0; i < 300; i++) {
      const ts = 1_700_000_000_000 + (i % 40) * 1000;
      rows.push({ id: id(), cid, author: me, ts, kind: 'reply', body: {} } as unknown as StoredRecord);
      rows.push({ id: id(), cid, author: someone, ts: ts + 99_000, kind: 'reply', body: {} } as unknown as StoredRecord);
      rows.push({ id: id(), cid: other, author: me, ts: ts + 99_000, kind: 'reply', body: {} } as unknown as StoredRecord);
    }
    const db = new HearthDb(`record-chain-${dbs++}`);
    await putRecords(db, rows);
    const mine = rows.filter((r) => r.cid === cid && r.author === me).sort(compareRecords);
    expect(await chainTip(db, cid, me)).toBe(mine.at(-1)?.id);
    const reopened = new HearthDb(db.name);
    expect(await chainTip(reopened, cid, id())).toBeUndefined();
    reopened.close();
    db.close();
  });
});
