// A community's document on its own database (fake-indexeddb in a test), for managers tested over a
// real CommunityDoc: Alice made it and Bob joined it.
import { expect } from 'vitest';
import type { AnyRecord } from '../../src/lib/domain/record';
import { HearthDb } from '../../src/lib/store/db';
import { CommunityDoc } from '../../src/lib/sync/community-doc';
import { readsOver } from '../../src/lib/sync/community-reads';
import { admit, newCommunity, newMember } from './community-fixture';

let n = 0;

export async function creatorAndMember(name: string) {
  const alice = await newMember();
  const bob = await newMember();
  const g = await newCommunity(alice);
  const db = new HearthDb(`${name}-${n++}`);
  const doc = new CommunityDoc(db, g.id);
  await doc.open();
  /** Appends through the document, each record accepted, and waits until they are stored. */
  const append = async (...records: AnyRecord[]) => {
    for (const r of records) expect((await doc.append(r)).ok).toBe(true);
    await doc.settled();
  };
  await append(g, ...(await admit(alice, bob, g.id)));
  return { alice, bob, g, db, doc, append, reads: readsOver(db) };
}
