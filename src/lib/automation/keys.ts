// Key upkeep on the creator's and admins' devices: start each scope's first epoch, start a new one
// when someone who held the current key is no longer entitled (ban, lapse past grace, downgrade,
// a member gone, a demoted admin) or the creator's schedule says so, and share current keys with
// members entitled since (newcomers, upgrades). Every decision is the pure `scopeStatus`.
import type { Identity } from '../crypto/identity';
import { newEpoch, shareEpoch } from '../crypto/epoch-keys';
import { knownScopes, type Scope } from '../domain/scopes';
import { scopeStatus } from '../domain/epochs';
import type { AnyRecord, BodyOf } from '../domain/record';
import type { HearthDb } from '../store/db';
import { keyState } from '../store/keyring';
import { authorityOf } from '../store/projection';
import { sealNext } from '../store/record-chain';
import type { DocHandle as CommunityDoc } from '../sync/doc-handle';

/**
 * Returns the key records written. `also`: scopes to keep besides the known ones (a points level's
 * scope exists once its first post asks for it).
 */
export async function maintainKeys(db: HearthDb, doc: CommunityDoc, identity: Identity, now = Date.now(), also: readonly Scope[] = []): Promise<number> {
  const auth = await authorityOf(db, doc.cid);
  const role = auth?.roleOf(identity.publicKey);
  if (!auth || !auth.isMember(identity.publicKey) || (role !== 'creator' && role !== 'admin')) return 0;
  const state = await keyState(db, doc.cid);
  if (!state) return 0;
  let written = 0;
  // An epoch's or a share's parts go out together: a part lost with a dying tab took the key of
  // every member wrapped in it, and the creator's own device could be one (no part is ever re-sent).
  const publish = async <K extends 'key' | 'key-share'>(kind: K, bodies: readonly BodyOf<K>[]) => {
    const parts: AnyRecord[] = [];
    for (const body of bodies) parts.push((await sealNext(db, identity, { kind, cid: doc.cid, ts: now, body })) as AnyRecord);
    if ((await doc.append(parts)).ok) written += parts.length;
  };
  for (const scope of knownScopes(state.ctx, [...state.view.byScope.keys(), ...also])) {
    const status = scopeStatus(state.view, state.ctx, scope, now);
    if (status.due.length) {
      const reason = !status.current.length
        ? 'start'
        : status.due.some((d) => d.kind === 'removal')
          ? 'removal'
          : status.due.some((d) => d.kind === 'incomplete')
            ? 'merge'
            : 'schedule';
      const epoch = await newEpoch({ cid: doc.cid, scope, parents: status.current.map((e) => e.id), reason, recipients: status.entitled });
      // Every part carries the same ts: the moment entitlement was computed for.
      await publish('key', epoch.bodies);
      continue;
    }
    for (const { epoch, members } of status.missing) {
      const key = state.keys.get(epoch);
      if (!key) continue; // another staff device holds it and will share it
      const { bodies } = await shareEpoch({ cid: doc.cid, key, recipients: members });
      await publish('key-share', bodies);
    }
  }
  // The cached key state moved on as each part was appended (the write path advances it): forgotten
  // here, as it was, the next look read every key record again (0.6–3 s at 10,000 members, while the
  // newcomer just keyed asked this device for its first page).
  return written;
}
