// Linking a second device: the QR code (or link) carries a one-time secret; both devices meet in a
// rendezvous topic derived from it and talk only in messages sealed with a key derived from it, so
// the signaling server in between sees ciphertext. The identity itself is sent under a session key
// from a fresh X25519 exchange mixed with the secret, and only after the person has seen the same
// six-digit code on both screens: someone who photographed the QR code can enter the exchange, but
// then the codes differ (the old device paired with them, not with the new device), and without the
// ephemeral private keys a listener who knows the secret still cannot open the identity.
import { x25519 } from '@noble/curves/ed25519.js';
import { fromBase64Url, sha256, toBase64Url } from './encoding';

export const LINK_PREFIX = 'd.';
const VERSION = 1;
const enc = new TextEncoder();

export interface LinkSecret {
  /** 32 random bytes, base64url: only in the QR code and the link. */
  secret: string;
}

export function newLinkSecret(): LinkSecret {
  return { secret: toBase64Url(crypto.getRandomValues(new Uint8Array(32))) };
}

/** The token in the link's fragment: version, secret and a 2-byte checksum (a misread code says so). */
export async function encodeLinkToken(link: LinkSecret): Promise<string> {
  const secret = fromBase64Url(link.secret);
  if (!secret || secret.length !== 32) throw new Error('link secret must be 32 bytes');
  const body = new Uint8Array([VERSION, ...secret]);
  const check = (await sha256(body)).subarray(0, 2);
  return LINK_PREFIX + toBase64Url(new Uint8Array([...body, ...check]));
}

export async function decodeLinkToken(token: string): Promise<{ ok: true; value: LinkSecret } | { ok: false; reason: 'link.damaged' }> {
  const trimmed = token.trim().replace(/^#/, '');
  const encoded = trimmed.startsWith(LINK_PREFIX) && trimmed.length < 100 ? trimmed.slice(LINK_PREFIX.length) : '';
  const bytes = fromBase64Url(encoded);
  // The last character carries two unused bits: a changed one decodes to the same bytes, so only the canonical spelling is whole.
  if (!bytes || bytes.length !== 35 || bytes[0] !== VERSION || toBase64Url(bytes) !== encoded) return { ok: false, reason: 'link.damaged' };
  const check = (await sha256(bytes.subarray(0, 33))).subarray(0, 2);
  if (check[0] !== bytes[33] || check[1] !== bytes[34]) return { ok: false, reason: 'link.damaged' };
  return { ok: true, value: { secret: toBase64Url(bytes.subarray(1, 33)) } };
}

async function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string, bytes: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', ikm as BufferSource, 'HKDF', false, ['deriveBits']);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: salt as BufferSource, info: enc.encode(info) }, key, bytes * 8));
}

async function aesKey(raw: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', raw as BufferSource, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

/** The rendezvous topic on the signaling server: reveals nothing of the secret. */
export async function linkTopic(link: LinkSecret): Promise<string> {
  return `hearth-link:${toBase64Url(await hkdf(fromBase64Url(link.secret)!, new Uint8Array(), 'hearth/link/v1/topic', 16))}`;
}

/** A key that seals every message of the exchange: only holders of the QR code take part. */
export async function channelKey(link: LinkSecret): Promise<CryptoKey> {
  return aesKey(await hkdf(fromBase64Url(link.secret)!, new Uint8Array(), 'hearth/link/v1/channel', 32));
}

export async function seal(key: CryptoKey, value: unknown): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, enc.encode(JSON.stringify(value))));
  return toBase64Url(new Uint8Array([...iv, ...ct]));
}

/** The opened JSON value, or null when the message was not sealed with this key or was altered. */
export async function open(key: CryptoKey, sealed: unknown): Promise<unknown> {
  if (typeof sealed !== 'string' || sealed.length > 200_000) return null;
  const bytes = fromBase64Url(sealed);
  if (!bytes || bytes.length < 12 + 16) return null;
  try {
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes.subarray(0, 12) as BufferSource }, key, bytes.subarray(12) as BufferSource);
    return JSON.parse(new TextDecoder().decode(plain));
  } catch {
    return null;
  }
}

export interface Ephemeral {
  secretKey: Uint8Array;
  publicKey: string;
}

export function newEphemeral(): Ephemeral {
  const secretKey = x25519.utils.randomSecretKey();
  return { secretKey, publicKey: toBase64Url(x25519.getPublicKey(secretKey)) };
}

/**
 * The session key and the confirmation code both devices show. Both depend on the two ephemeral
 * keys (the old device's first) and the QR secret, so each side computes the same ones only when it
 * talks to the device the other side talks to.
 */
export async function session(
  link: LinkSecret,
  mine: Ephemeral,
  theirs: string,
  order: { old: string; fresh: string }
): Promise<{ key: CryptoKey; code: string } | null> {
  const other = fromBase64Url(theirs);
  if (!other || other.length !== 32) return null;
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(mine.secretKey, other);
  } catch {
    return null;
  }
  const secret = fromBase64Url(link.secret)!;
  const salt = new Uint8Array([...fromBase64Url(order.old)!, ...fromBase64Url(order.fresh)!]);
  const ikm = new Uint8Array([...shared, ...secret]);
  const [keyBytes, codeBytes] = await Promise.all([hkdf(ikm, salt, 'hearth/link/v1/session', 32), hkdf(ikm, salt, 'hearth/link/v1/code', 4)]);
  const n = new DataView(codeBytes.buffer).getUint32(0) % 1_000_000;
  return { key: await aesKey(keyBytes), code: String(n).padStart(6, '0') };
}
