// Invite keys: each invite has its own Ed25519 key pair. The invite record in the shared map holds
// only the public half; the private half (a 32-byte seed) travels in the invite link's fragment. A
// join is valid only with the invite key's signature over (community, invite, member), so whoever
// reads the shared map — every member can — still holds no usable invite.
import { ed25519 } from '@noble/curves/ed25519.js';
import { canonicalBytes, fromBase64Url, toBase64Url } from './encoding';
import { verifyBytes } from './identity';

export interface InviteKeyPair {
  /** base64url raw public key: the invite record's `key`. */
  publicKey: string;
  /** base64url 32-byte seed: only in the link. */
  seed: string;
}

export function generateInviteKey(): InviteKeyPair {
  const seed = ed25519.utils.randomSecretKey();
  return { publicKey: toBase64Url(ed25519.getPublicKey(seed)), seed: toBase64Url(seed) };
}

/** The public half of a seed from a link, or null when the seed is not 32 bytes. */
export function inviteKeyOf(seed: string): string | null {
  const bytes = fromBase64Url(seed);
  return bytes && bytes.length === 32 ? toBase64Url(ed25519.getPublicKey(bytes)) : null;
}

function proofBytes(claim: { cid: string; invite: string; member: string }): Uint8Array {
  return canonicalBytes({ purpose: 'hearth-join', cid: claim.cid, invite: claim.invite, member: claim.member });
}

/** The invite key's signature that lets `member` join with this invite. */
export function signJoinProof(seed: string, claim: { cid: string; invite: string; member: string }): string {
  const bytes = fromBase64Url(seed);
  if (!bytes || bytes.length !== 32) throw new Error('invite seed must be 32 bytes');
  return toBase64Url(ed25519.sign(proofBytes(claim), bytes));
}

/** Checks a join's proof against the invite key the join names (authority compares that key with the invite's). */
export async function verifyJoinProof(
  key: string,
  proof: string,
  claim: { cid: string; invite: string; member: string },
  verify: (key: string, bytes: Uint8Array, signature: string) => boolean | Promise<boolean> = verifyBytes
): Promise<boolean> {
  return verify(key, proofBytes(claim), proof);
}
