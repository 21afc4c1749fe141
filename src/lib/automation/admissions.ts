// Admissions: the creator's, an admin's or the inviter's device confirms joins on limited invites
// (and joins it has seen on any invite before that invite closes), with its own clock. Uses are
// counted by these `admit` records, so a joiner's chosen `ts` never takes a use (domain/authority).
import type { Identity } from '../crypto/identity';
import { ADMIT_GRACE_MS, type Authority, type InviteState } from '../domain/authority';
import { compareRecords, type AnyRecord } from '../domain/record';
import type { HearthDb } from '../store/db';
import { authorityOf } from '../store/projection';
import { sealNext } from '../store/record-chain';
import type { DocHandle as CommunityDoc } from '../sync/doc-handle';
import { recordsOfKind } from '../store/record-store';

const PER_ADMIT = 200;

function mayAdmit(auth: Authority, me: string, invite: InviteState): boolean {
  if (!auth.isMember(me)) return false;
  return me === auth.creator || auth.roleOf(me) === 'admin' || invite.record.author === me;
}

/**
 * One append for all of an invite's admissions (one projection, one authority extension): one append
 * per 200 joins took the creator's device 77 s for the 9,000 joins of an imported 10k community
 * (1.7 s each), and its first key epoch waited behind them, its newcomers in the legacy room.
 */
async function writeAdmits(db: HearthDb, doc: CommunityDoc, identity: Identity, invite: string, joins: string[], now: number): Promise<number> {
  const records: AnyRecord[] = [];
  for (let i = 0; i < joins.length; i += PER_ADMIT) {
    records.push((await sealNext(db, identity, { kind: 'admit', cid: doc.cid, ts: now, body: { invite, joins: joins.slice(i, i + PER_ADMIT) } })) as AnyRecord);
  }
  return records.length && (await doc.append(records)).ok ? records.length : 0;
}

/** Confirms the joins waiting on invites this device may admit for, while uses and time allow. Returns admits written. */
export async function admitPending(db: HearthDb, doc: CommunityDoc, identity: Identity, now = Date.now()): Promise<number> {
  const auth = await authorityOf(db, doc.cid);
  if (!auth) return 0;
  let written = 0;
  for (const invite of auth.invites.values()) {
    if (invite.revokedAt !== null || !mayAdmit(auth, identity.publicKey, invite)) continue;
    const { expiresAt, maxUses } = invite.record.body;
    // This device's clock, not the joiner's, says whether the invite is still open.
    if (expiresAt !== null && now > expiresAt + ADMIT_GRACE_MS) continue;
    let joins: string[];
    if (invite.needsAdmit) {
      const left = maxUses === null ? Infinity : maxUses - invite.uses;
      joins = [...invite.pending]
        .filter((j) => expiresAt === null || j.ts <= expiresAt)
        .sort(compareRecords)
        .slice(0, Math.max(0, left))
        .map((j) => j.id);
    } else {
      // An open invite lets joiners in at once; admitting them too keeps them when it is revoked or closes at expiry.
      // The members who joined by it name their joins: reading every join (5 MB at 10,000 members)
      // held a newcomer's admission 3.6 s.
      if (invite.uses <= invite.admitted.size) continue;
      joins = [];
      for (const m of auth.members.values()) if (m.invite === invite.record.id && m.join !== null && !invite.admitted.has(m.join)) joins.push(m.join);
    }
    if (joins.length) written += await writeAdmits(db, doc, identity, invite.record.id, joins, now);
  }
  return written;
}

/**
 * Closes an invite: first admits every join it has let in on this device (only admitted joins
 * survive a revocation), then revokes it. Used for "Revoke" and when an expiring open invite is past
 * its grace, so that nobody can join on it later by backdating.
 */
export async function closeInvite(db: HearthDb, doc: CommunityDoc, identity: Identity, inviteId: string, now = Date.now()) {
  const auth = await authorityOf(db, doc.cid);
  const invite = auth?.invites.get(inviteId);
  const expiresAt = invite?.record.body.expiresAt ?? null;
  // Admits after the grace would not count: then only joins admitted in time stay.
  if (auth && invite && !invite.needsAdmit && (expiresAt === null || now <= expiresAt + ADMIT_GRACE_MS)) {
    const joined = [...auth.members.values()].filter((m) => m.invite === inviteId).map((m) => m.key);
    const joinIds = (await recordsOfKind(db, doc.cid, 'join'))
      .filter((j) => j.kind === 'join' && j.body.invite === inviteId && joined.includes(j.author))
      .map((j) => j.id);
    if (joinIds.length) await writeAdmits(db, doc, identity, inviteId, joinIds, now);
  }
  const record = await sealNext(db, identity, { kind: 'tombstone', cid: doc.cid, ts: now + 1, body: { target: inviteId } });
  return doc.append(record as AnyRecord);
}

/** Expiring open invites past their grace, made by this member (or any, on the creator's device), still open. */
export async function closeExpiredInvites(db: HearthDb, doc: CommunityDoc, identity: Identity, now = Date.now()): Promise<number> {
  const auth = await authorityOf(db, doc.cid);
  if (!auth) return 0;
  let closed = 0;
  for (const invite of auth.invites.values()) {
    const { expiresAt } = invite.record.body;
    if (expiresAt === null || invite.revokedAt !== null || now <= expiresAt + ADMIT_GRACE_MS) continue;
    if (invite.record.author !== identity.publicKey && identity.publicKey !== auth.creator) continue;
    if ((await closeInvite(db, doc, identity, invite.record.id, now)).ok) closed++;
  }
  return closed;
}
