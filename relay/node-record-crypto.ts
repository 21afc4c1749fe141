// The record check's primitives from Node's own crypto, synchronous: a relay checks every record it
// is sent, and WebCrypto's answers each wait for a thread-pool job and another turn of the event
// loop (two per record: the id's SHA-256 and the Ed25519 signature). On a loaded machine those
// round trips, not the work, were most of the time an update waited in a room's queue.
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { fromBase64Url } from '../src/lib/crypto/encoding';
import type { RecordCrypto } from '../src/lib/crypto/record-seal';

const keys = new Map<string, KeyObject | null>();

/** A member id (base64url raw Ed25519 public key) as a key object; cached, every record of a member reuses it. */
function publicKey(memberId: string): KeyObject | null {
  let key = keys.get(memberId);
  if (key === undefined) {
    const raw = fromBase64Url(memberId);
    try {
      key =
        raw && raw.length === 32 ? createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' }) : null;
    } catch {
      key = null;
    }
    if (keys.size > 50_000) keys.clear();
    keys.set(memberId, key);
  }
  return key;
}

export const NODE_RECORD_CRYPTO: RecordCrypto = {
  sha256: (bytes) => new Uint8Array(createHash('sha256').update(bytes).digest()),
  verify(memberId, bytes, signature) {
    const key = publicKey(memberId);
    const sig = fromBase64Url(signature);
    if (!key || !sig || sig.length !== 64) return false;
    try {
      return verify(null, bytes, key, sig);
    } catch {
      return false;
    }
  }
};
