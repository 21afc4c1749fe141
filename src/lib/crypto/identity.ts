// Member identity: an Ed25519 key pair made on the device with WebCrypto.
// The public key (raw 32 bytes, base64url) is the member id everywhere in Hearth.
import * as v from 'valibot';
import { fromBase64Url, toBase64Url } from './encoding';

export interface Identity {
  /** Member id: base64url of the raw Ed25519 public key. */
  publicKey: string;
  privateKey: CryptoKey;
  publicCryptoKey: CryptoKey;
}

export interface StoredKeys {
  publicKey: string;
  /** PKCS#8 private key, base64url. Only ever stored on this device or in the user's own export file. */
  privateKeyPkcs8: string;
}

const ED25519 = { name: 'Ed25519' } as const;

export async function generateIdentity(): Promise<{ identity: Identity; stored: StoredKeys }> {
  const pair = (await crypto.subtle.generateKey(ED25519, true, ['sign', 'verify'])) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  const publicKey = toBase64Url(raw);
  return {
    identity: { publicKey, privateKey: pair.privateKey, publicCryptoKey: pair.publicKey },
    stored: { publicKey, privateKeyPkcs8: toBase64Url(pkcs8) }
  };
}

export type LoadResult = { ok: true; value: Identity } | { ok: false; reason: 'identity.bad_key' | 'identity.key_mismatch' };

/** Loads stored keys and proves the private key belongs to the public key before trusting it. */
export async function loadIdentity(stored: StoredKeys): Promise<LoadResult> {
  const pkcs8 = fromBase64Url(stored.privateKeyPkcs8);
  const raw = fromBase64Url(stored.publicKey);
  if (!pkcs8 || !raw || raw.length !== 32) return { ok: false, reason: 'identity.bad_key' };
  let privateKey: CryptoKey;
  let publicCryptoKey: CryptoKey;
  try {
    privateKey = await crypto.subtle.importKey('pkcs8', pkcs8 as BufferSource, ED25519, true, ['sign']);
    publicCryptoKey = await crypto.subtle.importKey('raw', raw as BufferSource, ED25519, true, ['verify']);
  } catch {
    return { ok: false, reason: 'identity.bad_key' };
  }
  const probe = crypto.getRandomValues(new Uint8Array(32));
  const sig = await crypto.subtle.sign(ED25519, privateKey, probe);
  const matches = await crypto.subtle.verify(ED25519, publicCryptoKey, sig, probe);
  if (!matches) return { ok: false, reason: 'identity.key_mismatch' };
  return { ok: true, value: { publicKey: stored.publicKey, privateKey, publicCryptoKey } };
}

const publicKeyCache = new Map<string, Promise<CryptoKey | null>>();

/** Imports a member id as a verification key; cached because every record of a member reuses it. */
export function publicKeyFor(memberId: string): Promise<CryptoKey | null> {
  let cached = publicKeyCache.get(memberId);
  if (!cached) {
    const raw = fromBase64Url(memberId);
    cached =
      raw && raw.length === 32 ? crypto.subtle.importKey('raw', raw as BufferSource, ED25519, false, ['verify']).catch(() => null) : Promise.resolve(null);
    if (publicKeyCache.size > 50_000) publicKeyCache.clear();
    publicKeyCache.set(memberId, cached);
  }
  return cached;
}

export async function signBytes(identity: Identity, bytes: Uint8Array): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.sign(ED25519, identity.privateKey, bytes as BufferSource)));
}

export async function verifyBytes(memberId: string, bytes: Uint8Array, signature: string): Promise<boolean> {
  const key = await publicKeyFor(memberId);
  const sig = fromBase64Url(signature);
  if (!key || !sig || sig.length !== 64) return false;
  try {
    return await crypto.subtle.verify(ED25519, key, sig as BufferSource, bytes as BufferSource);
  } catch {
    return false;
  }
}

// ---- identity export file -------------------------------------------------------------

export const IDENTITY_FILE_FORMAT = 'hearth-identity';

const Address = v.pipe(v.string(), v.regex(/^wss?:\/\/\S+$/), v.maxLength(300));

/**
 * A community as an identity file or a device link carries it: what a device of the same member
 * needs to find it again (room secret, addresses) and the signed genesis that names it. Records and
 * keys come back by sync: the member's key opens the shares wrapped for it.
 */
export const CarriedCommunitySchema = v.strictObject({
  secret: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{16,128}$/)),
  signaling: v.pipe(v.array(Address), v.maxLength(8)),
  relay: v.nullable(Address),
  genesis: v.unknown()
});
export type CarriedCommunity = v.InferOutput<typeof CarriedCommunitySchema>;
export const CarriedCommunitiesSchema = v.pipe(v.array(CarriedCommunitySchema), v.maxLength(500));

const IdentityFileSchema = v.object({
  format: v.literal(IDENTITY_FILE_FORMAT),
  version: v.literal(1),
  publicKey: v.pipe(v.string(), v.length(43)),
  privateKey: v.pipe(v.string(), v.maxLength(200)),
  name: v.pipe(v.string(), v.maxLength(60)),
  lang: v.optional(v.picklist(['en', 'zh-CN'])),
  createdAt: v.number(),
  /** Since 2026-12: the communities of the device that wrote the file (older files have none). */
  communities: v.optional(CarriedCommunitiesSchema)
});
export type IdentityFile = v.InferOutput<typeof IdentityFileSchema>;

export function identityFileText(
  stored: StoredKeys,
  profile: { name: string; lang?: 'en' | 'zh-CN'; createdAt: number },
  communities: CarriedCommunity[] = []
): string {
  const file: IdentityFile = {
    format: IDENTITY_FILE_FORMAT,
    version: 1,
    publicKey: stored.publicKey,
    privateKey: stored.privateKeyPkcs8,
    name: profile.name,
    lang: profile.lang,
    createdAt: profile.createdAt,
    communities
  };
  return JSON.stringify(file, null, 2);
}

export type ParseIdentityResult =
  | {
      ok: true;
      value: { stored: StoredKeys; identity: Identity; name: string; lang?: 'en' | 'zh-CN'; createdAt: number; communities: CarriedCommunity[] };
    }
  | { ok: false; reason: 'identity.file_unreadable' | 'identity.file_invalid' | 'identity.bad_key' | 'identity.key_mismatch' };

/** Parses an identity export file; every failure is a reason the UI can translate. */
export async function parseIdentityFile(text: string): Promise<ParseIdentityResult> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'identity.file_unreadable' };
  }
  const parsed = v.safeParse(IdentityFileSchema, json);
  if (!parsed.success) return { ok: false, reason: 'identity.file_invalid' };
  const stored = { publicKey: parsed.output.publicKey, privateKeyPkcs8: parsed.output.privateKey };
  const loaded = await loadIdentity(stored);
  if (!loaded.ok) return loaded;
  return {
    ok: true,
    value: {
      stored,
      identity: loaded.value,
      name: parsed.output.name,
      lang: parsed.output.lang,
      createdAt: parsed.output.createdAt,
      communities: parsed.output.communities ?? []
    }
  };
}
