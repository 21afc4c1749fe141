// Deterministic Ed25519 identities for imported and generated members: the 32-byte private seed is
// SHA-256(namespace ":" handle), so the same data always gives the same member ids, record ids and
// signatures. Demo keys only: anyone who knows the namespace can sign as these members.
import { toBase64Url } from '../../src/lib/crypto/encoding';
import { loadIdentity, type Identity, type StoredKeys } from '../../src/lib/crypto/identity';

/** DER prefix of a PKCS#8 Ed25519 private key (RFC 8410): version 0, OID 1.3.101.112, OCTET STRING(OCTET STRING(32 bytes)). */
const PKCS8_ED25519_PREFIX = Uint8Array.from(Buffer.from('302e020100300506032b657004220420', 'hex'));

export function pkcs8FromSeed(seed: Uint8Array): Uint8Array {
  if (seed.length !== 32) throw new Error('an Ed25519 seed is 32 bytes');
  const out = new Uint8Array(PKCS8_ED25519_PREFIX.length + 32);
  out.set(PKCS8_ED25519_PREFIX);
  out.set(seed, PKCS8_ED25519_PREFIX.length);
  return out;
}

export async function storedKeysFor(namespace: string, handle: string): Promise<StoredKeys> {
  const seed = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${namespace}:${handle}`)));
  const pkcs8 = pkcs8FromSeed(seed);
  const key = await crypto.subtle.importKey('pkcs8', pkcs8 as BufferSource, { name: 'Ed25519' }, true, ['sign']);
  // WebCrypto cannot derive a public key directly, but the private JWK carries it as `x` (base64url, no padding).
  const jwk = await crypto.subtle.exportKey('jwk', key);
  if (!jwk.x) throw new Error('Ed25519 JWK without a public part');
  return { publicKey: jwk.x, privateKeyPkcs8: toBase64Url(pkcs8) };
}

export async function identityFor(namespace: string, handle: string): Promise<Identity> {
  const loaded = await loadIdentity(await storedKeysFor(namespace, handle));
  if (!loaded.ok) throw new Error(`derived key for ${handle} failed to load: ${loaded.reason}`);
  return loaded.value;
}
