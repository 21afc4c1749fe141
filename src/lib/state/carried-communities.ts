// The communities an identity file or a device link carries: gathered on the device that has them,
// checked and stored on the device that receives them. Each genesis must be intact and be the
// community it names; the room secret and addresses let this device meet the community's lobby,
// where the member's own key receives the community's keys, and then its mesh and history.
import type { CarriedCommunity } from '../crypto/identity';
import { checkRecord } from '../crypto/record-seal';
import type { HearthDb } from '../store/db';
import { applyRecords } from '../store/projection';
import { recordById } from '../store/record-store';

/** This device's communities in the carried form (those it has a room secret and a genesis for). */
export async function carryCommunities(db: HearthDb): Promise<CarriedCommunity[]> {
  const out: CarriedCommunity[] = [];
  for (const c of await db.communities.toArray()) {
    const genesis = await recordById(db, c.cid);
    if (!c.secret || genesis?.kind !== 'genesis') continue;
    const { target: _t, held: _h, sealedAs: _s, ...record } = genesis;
    out.push({ secret: c.secret, signaling: c.signaling ?? [], relay: c.relay ?? null, genesis: record });
  }
  return out;
}

/** Stores the carried communities this device lacks or updates their addresses; returns how many were kept. */
export async function restoreCommunities(db: HearthDb, carried: readonly CarriedCommunity[]): Promise<number> {
  const now = Date.now();
  let count = 0;
  for (const c of carried) {
    const claimed = (c.genesis as { id?: unknown } | null)?.id;
    const cid = typeof claimed === 'string' ? claimed : '';
    const genesis = await checkRecord(c.genesis, { cid });
    if (!genesis.ok || genesis.value.kind !== 'genesis' || genesis.value.id !== cid) continue;
    const body = genesis.value.body;
    const row = await db.communities.get(cid);
    await db.communities.put({
      cid,
      name: body.name,
      description: body.description,
      emoji: body.emoji ?? '',
      color: body.color,
      creator: genesis.value.author,
      createdAt: body.createdAt,
      ...(body.shards ? { shards: body.shards } : {}),
      addedAt: row?.addedAt ?? now,
      lastOpened: row?.lastOpened ?? now - count,
      secret: row?.secret ?? c.secret,
      signaling: row?.signaling ?? c.signaling,
      relay: row?.relay ?? c.relay
    });
    // The genesis lets the home and the community page show it at once; the rest arrives by sync.
    await applyRecords(db, cid, [genesis.value]);
    count++;
  }
  return count;
}
