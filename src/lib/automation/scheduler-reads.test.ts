// The automation's rules run after the reads they judge have ended their transactions: a rule pass
// over 10,000 members run in a read's success event held that transaction, the write queued behind
// it, and every page's read after the write.
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { admit, newCommunity, newMember } from '../../../tests/unit/community-fixture';
import { generateIdentity } from '../crypto/identity';
import type { AnyRecord } from '../domain/record';
import { HearthDb } from '../store/db';
import { CommunityDoc } from '../sync/community-doc';
import { runAutomation } from './scheduler';

/** IndexedDB transactions over a store opened since `watching` was set, with their state when the rules ran. */
const seen = vi.hoisted(() => ({ watching: false, opened: [] as { stores: string[]; tx: { _state: string } }[], atRules: [] as string[][] }));

vi.mock('../domain/automation', async (original) => {
  const real = await original<typeof import('../domain/automation')>();
  return {
    ...real,
    evaluateRules: (...args: Parameters<typeof real.evaluateRules>) => {
      seen.atRules.push(seen.opened.filter((t) => t.tx._state !== 'finished').map((t) => t.stores.join(',')));
      return real.evaluateRules(...args);
    }
  };
});

const open = IDBDatabase.prototype.transaction;
IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
  const tx = open.apply(this, args);
  if (seen.watching) seen.opened.push({ stores: [...tx.objectStoreNames], tx: tx as unknown as { _state: string } });
  return tx;
} as IDBDatabase['transaction'];

describe('runAutomation', () => {
  it('judges its rules once the reads of members, threads and questions have ended their transactions', async () => {
    const { identity: creator, stored } = await generateIdentity();
    const bob = await newMember();
    const genesis = await newCommunity(creator);
    const db = new HearthDb('scheduler-reads');
    await db.identity.put({ key: 'me', ...stored, name: 'Alice', createdAt: 0 });
    const doc = new CommunityDoc(db, genesis.id);
    await doc.open();
    for (const r of [genesis, ...(await admit(creator, bob, genesis.id))]) expect((await doc.append(r as AnyRecord)).ok).toBe(true);
    seen.watching = true;
    await runAutomation(db, doc, creator, async () => ({ trust: new Map(), contributions: new Map(), lastActive: new Map() }) as never, Date.now());
    seen.watching = false;
    expect(seen.opened.some((t) => t.stores.includes('threads'))).toBe(true);
    expect(seen.atRules).toEqual([[]]);
    doc.close();
    db.close();
  });
});
