// Signed presence: what a device puts in its awareness state to say "this member is online", and
// the checks a receiver makes before believing it. Awareness itself is unauthenticated.
//
// Anyone holding the room secret can write any awareness state under any client id, so a claim
// names the member's key, the awareness client id it is meant for and a recent time, signed with
// the member's Ed25519 key. A copy of a member's claim under another client id fails, and a copy
// under the member's own client id (after the member left) goes stale after PRESENCE_MAX_AGE_MS —
// that window is the replay this design still allows.
import * as v from 'valibot';
import { canonicalBytes } from './encoding';
import { signBytes, verifyBytes, type Identity } from './identity';

/** How often a device re-signs its claim (and on every (re)connect). */
export const PRESENCE_REFRESH_MS = 60_000;
/** A claim older than this is not believed: three refreshes may be missed before a member drops off. */
export const PRESENCE_MAX_AGE_MS = 3 * 60_000;
/** Clocks disagree a little; a claim further ahead than this would outlive its maximum age. */
export const PRESENCE_MAX_AHEAD_MS = 60_000;

export interface PresenceClaim {
  key: string;
  at: number;
  sig: string;
}

const PresenceClaimSchema = v.object({
  key: v.pipe(v.string(), v.length(43)),
  at: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(8.64e15)),
  sig: v.pipe(v.string(), v.length(86))
});

/** The bytes a claim signs: bound to the community, the awareness client id and the time. */
export function presenceBytes(cid: string, clientId: number, key: string, at: number): Uint8Array {
  return canonicalBytes({ purpose: 'hearth-presence', cid, clientId, key, at });
}

export async function signPresence(identity: Identity, cid: string, clientId: number, at: number): Promise<PresenceClaim> {
  const sig = await signBytes(identity, presenceBytes(cid, clientId, identity.publicKey, at));
  return { key: identity.publicKey, at, sig };
}

/** A peer's `member` awareness field as a claim, or null when it has not the shape of one. */
export function parsePresence(input: unknown): PresenceClaim | null {
  const parsed = v.safeParse(PresenceClaimSchema, input);
  return parsed.success ? { key: parsed.output.key, at: parsed.output.at, sig: parsed.output.sig } : null;
}

/** The signature check alone (slow, WebCrypto): its answer never changes, so callers may cache it. */
export function verifyPresenceSignature(claim: PresenceClaim, cid: string, clientId: number): Promise<boolean> {
  return verifyBytes(claim.key, presenceBytes(cid, clientId, claim.key, claim.at), claim.sig);
}

/** The time check alone: cheap, and its answer changes as the clock moves. */
export function presenceIsCurrent(at: number, now: number): boolean {
  return at >= now - PRESENCE_MAX_AGE_MS && at <= now + PRESENCE_MAX_AHEAD_MS;
}

export type PresenceCheck =
  | { ok: true; key: string }
  | { ok: false; reason: 'presence.malformed' | 'presence.bad_signature' | 'presence.stale' | 'presence.not_member' };

/**
 * Every check a receiver makes, in one place: shape, signature for this community and this client
 * id, time, membership. (PeerSync runs the first three with a cache; CommunityState the last.)
 */
export async function checkPresence(
  input: unknown,
  expected: { cid: string; clientId: number; now: number; isMember: (key: string) => boolean }
): Promise<PresenceCheck> {
  const claim = parsePresence(input);
  if (!claim) return { ok: false, reason: 'presence.malformed' };
  if (!presenceIsCurrent(claim.at, expected.now)) return { ok: false, reason: 'presence.stale' };
  if (!(await verifyPresenceSignature(claim, expected.cid, expected.clientId))) return { ok: false, reason: 'presence.bad_signature' };
  if (!expected.isMember(claim.key)) return { ok: false, reason: 'presence.not_member' };
  return { ok: true, key: claim.key };
}

/**
 * What the sync status shows: verified keys that are current members, once each; any other peer
 * (no claim, a claim that failed, or a non-member's) is only counted, never named.
 */
export function onlineMembers(
  verified: readonly { key: string }[],
  unverified: number,
  isMember: (key: string) => boolean
): { keys: string[]; unverified: number } {
  const keys = new Set<string>();
  let others = unverified;
  for (const peer of verified) {
    if (!isMember(peer.key)) others++;
    else keys.add(peer.key);
  }
  return { keys: [...keys], unverified: others };
}
