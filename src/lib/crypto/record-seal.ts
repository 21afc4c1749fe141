// Sealing and checking records: id = SHA-256 of the canonical signed content, sig = Ed25519 over it.
// A peer that changes any byte of kind, cid, author, ts or body breaks the id; one that recomputes
// the id cannot produce the author's signature.
import { canonicalBytes, sha256, toBase64Url } from './encoding';
import { signBytes, verifyBytes, type Identity } from './identity';
import { verifyJoinProof } from './invite-key';
import { MAX_RECORD_BYTES, parseRecord, signedContent, type AnyRecord, type BodyOf, type Kind, type RejectReason, type SignedRecord } from '../domain/record';

export async function sealRecord<K extends Kind>(
  identity: Identity,
  draft: { kind: K; cid: string; ts: number; body: BodyOf<K>; prev?: string | null }
): Promise<SignedRecord<K>> {
  // Drop undefined fields now, so the record is the same value in JSON, Yjs and IndexedDB.
  const body = JSON.parse(JSON.stringify(draft.body)) as BodyOf<K>;
  const prev = draft.prev ?? undefined;
  const content = signedContent({ kind: draft.kind, cid: draft.cid, ts: draft.ts, body, prev, author: identity.publicKey });
  const bytes = canonicalBytes(content);
  const id = toBase64Url(await sha256(bytes));
  const sig = await signBytes(identity, bytes);
  const record: SignedRecord<K> = { id, kind: draft.kind, cid: draft.cid, author: identity.publicKey, ts: draft.ts, body, sig };
  if (prev !== undefined) record.prev = prev;
  return record;
}

export type CheckResult = { ok: true; value: AnyRecord } | { ok: false; reason: RejectReason };

/**
 * The two primitives a record check needs. WebCrypto's (the default) answer on a later turn of the
 * event loop; a relay passes Node's synchronous ones (relay/node-record-crypto.ts), so checking a
 * record costs it no round trip through a thread pool. Same checks, same order, either way.
 */
export interface RecordCrypto {
  sha256(bytes: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** Ed25519: `signature` (base64url) by `memberId` (base64url raw public key) over `bytes`. */
  verify(memberId: string, bytes: Uint8Array, signature: string): boolean | Promise<boolean>;
}

export const WEB_RECORD_CRYPTO: RecordCrypto = { sha256, verify: verifyBytes };

/**
 * The self-contained part of the validation gate: shape, size, id and signature.
 * Authority (membership, roles, who may edit what) needs other records and is decided in projection.
 * `key` is the Yjs map key the record was found under; a record stored under another record's id is an overwrite attempt.
 */
export async function checkRecord(input: unknown, expected: { cid: string; key?: string }, using: RecordCrypto = WEB_RECORD_CRYPTO): Promise<CheckResult> {
  const parsed = parseRecord(input);
  if (!parsed.ok) return parsed;
  const r = parsed.value;
  const bytes = canonicalBytes(signedContent(r));
  if (bytes.length > MAX_RECORD_BYTES) return { ok: false, reason: 'record.too_large' };
  if (r.kind === 'genesis' ? r.id !== expected.cid : r.cid !== expected.cid) return { ok: false, reason: 'record.wrong_community' };
  if (expected.key !== undefined && expected.key !== r.id) return { ok: false, reason: 'record.key_mismatch' };
  const id = toBase64Url(await using.sha256(bytes));
  if (id !== r.id) return { ok: false, reason: 'record.bad_id' };
  if (!(await using.verify(r.author, bytes, r.sig))) return { ok: false, reason: 'record.bad_signature' };
  if (r.kind === 'join' && !(await verifyJoinProof(r.body.key, r.body.proof, { cid: r.cid, invite: r.body.invite, member: r.author }, using.verify))) {
    return { ok: false, reason: 'record.bad_invite_proof' };
  }
  return { ok: true, value: r };
}
