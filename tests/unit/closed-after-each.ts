// Test helper: what a test file opens (communities, shard syncs, their links), closed after each test.
import { afterEach } from 'vitest';
import { HearthDb } from '../../src/lib/store/db';
import type { CommunityDoc } from '../../src/lib/sync/community-doc';
import { openCommunityHandle, type ShardedCommunity } from '../../src/lib/sync/sharded-community';

interface Closable {
  settled(): Promise<void>;
  close(): void;
}

/**
 * Lists to push into; after each test the links close first (no message crosses a closing sync),
 * then the syncs, then each community once everything it took is stored.
 */
export function closedAfterEach<C extends Closable>(): { opened: C[]; syncs: { destroy(): void }[]; links: { close(): void }[] } {
  const lists = { opened: [] as C[], syncs: [] as { destroy(): void }[], links: [] as { close(): void }[] };
  afterEach(async () => {
    lists.links.splice(0).forEach((l) => l.close());
    lists.syncs.splice(0).forEach((s) => s.destroy());
    for (const c of lists.opened.splice(0)) {
      await c.settled();
      c.close();
    }
  });
  return lists;
}

/**
 * Closes a community once everything it took is stored and opens it again from its database, as the
 * next page load does (one document, or the shards a split left); `opened` has the new one in its place.
 */
export async function reopen(opened: (CommunityDoc | ShardedCommunity)[], doc: CommunityDoc | ShardedCommunity): Promise<CommunityDoc | ShardedCommunity> {
  await doc.settled();
  doc.close();
  opened.splice(opened.indexOf(doc), 1);
  const again = await openCommunityHandle(new HearthDb(doc.db.name), doc.cid);
  opened.push(again);
  await again.settled();
  return again;
}
