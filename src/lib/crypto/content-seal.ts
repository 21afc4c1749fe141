// Content sealed under an epoch key: AES-256-GCM, a random 96-bit IV, and as associated data the
// canonical bytes of the record header (version, kind, community, author, ts, prev, scope, epoch
// and the pointers in clear). A member who holds the key cannot move someone else's ciphertext
// under another record, author, time, thread or scope: it no longer opens.
//
// In clear, for the gate and the projections: the record's author, ts and prev, the content kind
// (`of`), its pointers (`refs`: a reply's thread and parent, a reaction's or edit's target, ...),
// the scope and the epoch. Sealed: everything else (titles, bodies, emoji, choices, mentions).
import * as v from 'valibot';
import { bodySchemas, MAX_SEALED_CT, RECORD_VERSION, SEALABLE, type BodyOf, type RefName, type SealableKind, type SignedRecord } from '../domain/record';
import type { Scope } from '../domain/scopes';
import { canonicalBytes, fromBase64Url, toBase64Url } from './encoding';
import type { EpochKey, Keyring } from './epoch-keys';

export type SealContentFailure = 'content.too_large' | 'content.not_sealable';
export type OpenContentFailure = 'no_key' | 'bad_ciphertext' | 'malformed';

/** The record header a sealed body is bound to: known before signing (ts and prev are chosen first). */
export interface SealedHeader {
  cid: string;
  author: string;
  ts: number;
  prev?: string;
}

export type OpenedContent = { [K in SealableKind]: { kind: K; body: BodyOf<K> } }[SealableKind];

const gcmKeys = new WeakMap<EpochKey, Promise<CryptoKey>>();

function gcmKey(key: EpochKey): Promise<CryptoKey> {
  let k = gcmKeys.get(key);
  if (!k) gcmKeys.set(key, (k = crypto.subtle.importKey('raw', key.raw as BufferSource, 'AES-GCM', false, ['encrypt', 'decrypt'])));
  return k;
}

/** The associated data: canonical JSON of the header, so field order or spacing never matters. */
export function contentAad(header: SealedHeader, of: SealableKind, refs: Readonly<Record<string, string>>, scope: Scope | string, epoch: string): Uint8Array {
  const h: Record<string, unknown> = {
    v: RECORD_VERSION,
    purpose: 'hearth/sealed/v1',
    kind: of,
    cid: header.cid,
    author: header.author,
    ts: header.ts,
    scope,
    epoch,
    refs
  };
  if (header.prev !== undefined) h.prev = header.prev;
  return canonicalBytes(h);
}

/**
 * Seals a plaintext body of a sealable kind under `key` (the epoch from `epochForSealing`): the
 * body of a `sealed` record, to be signed with exactly `header` (same ts, same prev).
 */
export async function sealContent<K extends SealableKind>(
  header: SealedHeader,
  of: K,
  body: BodyOf<K>,
  key: EpochKey
): Promise<{ ok: true; value: BodyOf<'sealed'> } | { ok: false; reason: SealContentFailure }> {
  if (!(of in SEALABLE)) return { ok: false, reason: 'content.not_sealable' };
  const plain = JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
  const refs: Record<string, string> = {};
  for (const name of SEALABLE[of] as readonly RefName[]) {
    refs[name] = plain[name] as string;
    delete plain[name];
  }
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: contentAad(header, of, refs, key.scope, key.epoch) as BufferSource },
      await gcmKey(key),
      canonicalBytes(plain) as BufferSource
    )
  );
  const text = toBase64Url(ct);
  if (text.length > MAX_SEALED_CT) return { ok: false, reason: 'content.too_large' };
  return { ok: true, value: { of, refs, sealed: { scope: key.scope, epoch: key.epoch, iv: toBase64Url(iv), ct: text } } as BodyOf<'sealed'> };
}

/**
 * Opens a sealed record with the reader's keyring: the plaintext body, checked against its kind's
 * schema with the pointers in clear put back. `no_key`: the reader holds no key of that epoch (not
 * entitled then, or its wrap has not arrived); `bad_ciphertext`: authentication failed (tampered,
 * moved under another header, or sealed with another key); `malformed`: it opened but is not a
 * valid body of its kind, or claims another scope than its epoch's.
 */
export async function openContent(
  record: Pick<SignedRecord<'sealed'>, 'cid' | 'author' | 'ts' | 'prev' | 'body'>,
  keyring: Keyring
): Promise<{ ok: true; value: OpenedContent } | { ok: false; reason: OpenContentFailure }> {
  const { of, refs, sealed } = record.body;
  const key = keyring.get(sealed.epoch);
  if (!key) return { ok: false, reason: 'no_key' };
  if (key.scope !== sealed.scope) return { ok: false, reason: 'malformed' };
  const iv = fromBase64Url(sealed.iv);
  const ct = fromBase64Url(sealed.ct);
  if (!iv || iv.length !== 12 || !ct) return { ok: false, reason: 'malformed' };
  let plain: ArrayBuffer;
  try {
    plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: iv as BufferSource, additionalData: contentAad(record, of, refs, sealed.scope, sealed.epoch) as BufferSource },
      await gcmKey(key),
      ct as BufferSource
    );
  } catch {
    return { ok: false, reason: 'bad_ciphertext' };
  }
  let inner: unknown;
  try {
    inner = JSON.parse(new TextDecoder().decode(plain));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) return { ok: false, reason: 'malformed' };
  if (Object.keys(refs).some((name) => name in inner)) return { ok: false, reason: 'malformed' };
  const parsed = v.safeParse(bodySchemas[of], { ...inner, ...refs });
  if (!parsed.success) return { ok: false, reason: 'malformed' };
  return { ok: true, value: { kind: of, body: parsed.output } as OpenedContent };
}
