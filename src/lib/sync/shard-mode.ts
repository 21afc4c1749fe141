// Whether a community is held in shards (docs/shards.md): its genesis says so (`shards: 'month'`),
// and every device of the community follows it, so a creator's choice holds for all its members.
// New communities are made so unless `localStorage['hearth:shards']` is 'off' (a device that wants the
// single document, for comparison).
import type { HearthDb } from '../store/db';
import { recordById } from '../store/record-store';

export function newCommunitiesSharded(): boolean {
  try {
    return typeof localStorage === 'undefined' || localStorage.getItem('hearth:shards') !== 'off';
  } catch {
    return true;
  }
}

/** From the community's row (its genesis's field, kept there by whoever stored the row), else from its stored genesis. */
export async function isShardedCommunity(db: HearthDb, cid: string): Promise<boolean> {
  const row = await db.communities.get(cid);
  if (row?.shards === 'month') return true;
  const genesis = await recordById(db, cid);
  return genesis?.kind === 'genesis' && (genesis.body as { shards?: unknown }).shards === 'month';
}
