// X25519 keys of members, derived from their Ed25519 member keys: the one place where a member's
// encryption key comes from, shared by private surveys (survey-box) and epoch keys (epoch-keys).
// No extra key exchange is needed: anyone who knows a member id can encrypt to that member, and
// only the device holding the member's Ed25519 seed can decrypt.
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { fromBase64Url } from './encoding';
import type { Identity } from './identity';

/** A member's X25519 decryption key, derived once from their Ed25519 identity. */
export interface MemberBoxKey {
  memberId: string;
  /** X25519 secret (clamped scalar, 32 bytes). */
  secret: Uint8Array;
}

// PKCS#8 of an Ed25519 private key (RFC 8410): this fixed 16-byte header, then the 32-byte seed.
const PKCS8_ED25519_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

/** The Ed25519 seed inside a PKCS#8 export; null when it is not an Ed25519 key. */
export function seedFromPkcs8(pkcs8: Uint8Array): Uint8Array | null {
  if (pkcs8.length !== 48) return null;
  for (let i = 0; i < PKCS8_ED25519_PREFIX.length; i++) if (pkcs8[i] !== PKCS8_ED25519_PREFIX[i]) return null;
  return pkcs8.slice(16);
}

/** Derives this member's X25519 secret from their identity (the private key is extractable on this device). */
export async function memberBoxKeyOf(identity: Identity): Promise<MemberBoxKey | null> {
  let pkcs8: Uint8Array;
  try {
    pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', identity.privateKey));
  } catch {
    return null;
  }
  const seed = seedFromPkcs8(pkcs8);
  return seed ? { memberId: identity.publicKey, secret: ed25519.utils.toMontgomerySecret(seed) } : null;
}

const montgomeryCache = new Map<string, Uint8Array | null>();

/**
 * A member id's X25519 public key (the birational map of its Ed25519 point); null for anything
 * that is not a valid point. Cached: a member's key never changes, and a rotation converts every
 * entitled member's key (~90 µs each with @noble/curves, which decompresses the point).
 */
export function montgomeryOf(memberId: string): Uint8Array | null {
  const cached = montgomeryCache.get(memberId);
  if (cached !== undefined) return cached;
  const raw = fromBase64Url(memberId);
  let out: Uint8Array | null = null;
  if (raw && raw.length === 32) {
    try {
      out = ed25519.utils.toMontgomery(raw);
    } catch {
      out = null;
    }
  }
  if (montgomeryCache.size > 100_000) montgomeryCache.clear();
  montgomeryCache.set(memberId, out);
  return out;
}

/**
 * X25519 keys of many member ids at once (a rotation's recipients), filling the same cache: the
 * map u = (1 + y) / (1 − y) with one field inversion for the whole batch (Montgomery's trick),
 * ~5 µs a key instead of ~90. It reads y without decompressing the point: member ids in the
 * authority are keys whose signatures verified, so they are points; a non-point would only give a
 * wrap nobody opens. y ≥ p and y = 1 (the identity, low order) give null.
 */
export function montgomeryBatch(memberIds: readonly string[]): (Uint8Array | null)[] {
  const Fp = ed25519.Point.Fp;
  const todo: { id: string; y: bigint }[] = [];
  for (const id of memberIds) {
    if (montgomeryCache.has(id)) continue;
    const raw = fromBase64Url(id);
    if (!raw || raw.length !== 32) {
      montgomeryCache.set(id, null);
      continue;
    }
    let y = BigInt(raw[31] & 0x7f);
    for (let i = 30; i >= 0; i--) y = (y << 8n) | BigInt(raw[i]);
    if (y >= Fp.ORDER || y === 1n) montgomeryCache.set(id, null);
    else todo.push({ id, y });
  }
  if (montgomeryCache.size + todo.length > 100_000) montgomeryCache.clear();
  const inverses = Fp.invertBatch(todo.map(({ y }) => Fp.sub(1n, y)));
  todo.forEach(({ id, y }, i) => montgomeryCache.set(id, Fp.toBytes(Fp.mul(Fp.add(1n, y), inverses[i]))));
  return memberIds.map((id) => montgomeryCache.get(id) ?? montgomeryOf(id));
}

/** A fresh ephemeral X25519 key pair (noble: one per sealed response or key record, cost negligible). */
export function ephemeralKeyPair(): { secretKey: Uint8Array; publicKey: Uint8Array } {
  return x25519.keygen();
}

// PKCS#8 of an X25519 private key (RFC 8410): this fixed header, then the 32-byte scalar.
const PKCS8_X25519_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]);
let webX25519: Promise<boolean> | null = null;

/** Does this platform's WebCrypto do X25519 (Node 20, Chromium 133+, Firefox 130+, Safari 17+)? */
export function hasWebCryptoX25519(): Promise<boolean> {
  webX25519 ??= crypto.subtle
    .importKey('pkcs8', new Uint8Array([...PKCS8_X25519_PREFIX, ...new Uint8Array(32).fill(9)]), { name: 'X25519' }, false, ['deriveBits'])
    .then(
      () => true,
      () => false
    );
  return webX25519;
}

/**
 * X25519 shared secrets of one secret with many public keys; null where a public key is a
 * low-order point. WebCrypto when the platform has it (~80 µs each in Node 20, against ~1.3 ms
 * for @noble/curves' constant-time ladder in JS: a 10,000-member rotation is 0.8 s, not 13 s);
 * noble otherwise. `force` picks one path (for benchmarks and tests).
 */
export async function sharedSecrets(secret: Uint8Array, publics: readonly Uint8Array[], force?: 'webcrypto' | 'noble'): Promise<(Uint8Array | null)[]> {
  const web = force ? force === 'webcrypto' : await hasWebCryptoX25519();
  if (!web) return publics.map((p) => sharedSecret(secret, p));
  const priv = await crypto.subtle.importKey('pkcs8', new Uint8Array([...PKCS8_X25519_PREFIX, ...secret]), { name: 'X25519' }, false, ['deriveBits']);
  return Promise.all(
    publics.map(async (p) => {
      try {
        const pub = await crypto.subtle.importKey('raw', p as BufferSource, { name: 'X25519' }, false, []);
        return new Uint8Array(await crypto.subtle.deriveBits({ name: 'X25519', public: pub }, priv, 256));
      } catch {
        return null; // WebCrypto refuses low-order points (an all-zero shared secret)
      }
    })
  );
}

/** X25519 shared secret; null for a low-order point (not a real member key). */
export function sharedSecret(secret: Uint8Array, publicKey: Uint8Array): Uint8Array | null {
  try {
    return x25519.getSharedSecret(secret, publicKey);
  } catch {
    return null;
  }
}

/**
 * A one-use symmetric key from an X25519 shared secret: HKDF-SHA-256 with the ephemeral public key
 * as salt and `info` binding what the key is for (a survey response, an epoch wrap), so a key never
 * serves two purposes.
 */
export async function derivedKey(
  shared: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  algorithm: 'AES-GCM' | 'AES-KW',
  usages: KeyUsage[]
): Promise<CryptoKey> {
  const ikm = await crypto.subtle.importKey('raw', shared as BufferSource, 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: salt as BufferSource, info: info as BufferSource },
    ikm,
    { name: algorithm, length: 256 },
    false,
    usages
  );
}
