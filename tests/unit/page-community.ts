// A community as a page's manager holds it in a unit test: its reads are the device's (the community
// worker's store), its own database holds nothing, and its writes are recorded, not made.
import { vi } from 'vitest';
import type { Identity } from '../../src/lib/crypto/identity';
import type { AnyRecord } from '../../src/lib/domain/record';
import type { CommunityState } from '../../src/lib/state/community.svelte';
import { HearthDb } from '../../src/lib/store/db';
import { readsOver } from '../../src/lib/sync/community-reads';

let pages = 0;

/** `identity`'s community `cid` on a page whose own database is empty; `device` is where the records are. */
export function pageCommunity(device: HearthDb, cid: string, identity: Identity): { community: CommunityState; write: ReturnType<typeof vi.fn> } {
  const write = vi.fn(async (..._draft: unknown[]) => ({ ok: true as const, record: {} as AnyRecord }));
  const community = { db: new HearthDb(`page-${pages++}`), cid, identity, reads: readsOver(device), write } as unknown as CommunityState;
  return { community, write };
}
