// The relay's membership challenge: before a relay lets a connection write to a room, it sends a
// fresh random nonce and the client signs it with its member key. Used on both sides (the app's
// relay client signs, `relay/` verifies), so the bytes are defined once, here.
//
// The nonce comes from the relay and lives only as long as the connection, so a proof seen on one
// connection opens no other; the room name is in the signed bytes, so a proof for one community is
// no proof for another. Whether the key is a member is the relay's question (its authority), not this file's.
import * as v from 'valibot';
import { canonicalBytes, randomId } from './encoding';
import { signBytes, verifyBytes, type Identity } from './identity';

/** What a relay sends after a connection opens (a Hocuspocus stateless message, JSON). */
export interface RelayChallenge {
  t: 'hearth-challenge';
  nonce: string;
}

/** The client's answer. */
export interface RelayProof {
  t: 'hearth-proof';
  key: string;
  sig: string;
}

/** What a relay says about a write it refused (and, after a proof, whom it believes). */
export interface RelayNotice {
  t: 'hearth-relay';
  /** `relay.disk_full`, `relay.not_member`, `relay.rate_limited`, `update.malformed`, `relay.no_proof`, `proof.bad_signature` … */
  refused?: string;
  /** After a proof: the key the relay now writes for. */
  member?: string;
  /** Records the relay dropped from the update (bad signature, junk) and kept back (author not a member yet). */
  dropped?: number;
  held?: number;
  /** After a proof on a community's core room: the months the relay holds anything of (unchecked: read with `relayMonthsOf`). */
  months?: unknown;
}

const ChallengeSchema = v.object({ t: v.literal('hearth-challenge'), nonce: v.pipe(v.string(), v.minLength(22), v.maxLength(64)) });
const ProofSchema = v.object({
  t: v.literal('hearth-proof'),
  key: v.pipe(v.string(), v.length(43)),
  sig: v.pipe(v.string(), v.length(86))
});

export function newChallenge(): RelayChallenge {
  return { t: 'hearth-challenge', nonce: randomId(24) };
}

/** The bytes a proof signs: purpose, room and the relay's nonce. */
export function proofBytes(room: string, nonce: string, key: string): Uint8Array {
  return canonicalBytes({ purpose: 'hearth-relay-member', room, nonce, key });
}

export async function signChallenge(identity: Identity, room: string, challenge: RelayChallenge): Promise<RelayProof> {
  const sig = await signBytes(identity, proofBytes(room, challenge.nonce, identity.publicKey));
  return { t: 'hearth-proof', key: identity.publicKey, sig };
}

export type ProofCheck = { ok: true; key: string } | { ok: false; reason: 'proof.malformed' | 'proof.bad_signature' };

export async function checkProof(input: unknown, room: string, challenge: RelayChallenge): Promise<ProofCheck> {
  const parsed = v.safeParse(ProofSchema, input);
  if (!parsed.success) return { ok: false, reason: 'proof.malformed' };
  const { key, sig } = parsed.output;
  return (await verifyBytes(key, proofBytes(room, challenge.nonce, key), sig)) ? { ok: true, key } : { ok: false, reason: 'proof.bad_signature' };
}

/** A stateless payload from the relay, read as one of its messages; anything else is null. */
export function readRelayMessage(payload: string): RelayChallenge | RelayNotice | null {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return null;
  }
  const challenge = v.safeParse(ChallengeSchema, value);
  if (challenge.success) return challenge.output;
  if (value && typeof value === 'object' && (value as { t?: unknown }).t === 'hearth-relay') return value as RelayNotice;
  return null;
}

/** A client's stateless payload read as a proof (the relay checks it with `checkProof`). */
export function readProofMessage(payload: string): unknown {
  try {
    return JSON.parse(payload);
  } catch {
    return null;
  }
}

// Uploading attachment chunks to a relay (relay/chunk-store.ts) is an HTTP request, not a message on
// the room's connection, so it carries its own proof: the relay hands out a nonce
// (`GET /hearth-chunks/challenge`, valid a few minutes) and the member signs it for one room. Another
// purpose than the connection's proof, so neither opens the other.

/** The bytes a chunk-upload proof signs. */
export function chunkProofBytes(room: string, nonce: string, key: string): Uint8Array {
  return canonicalBytes({ purpose: 'hearth-relay-chunks', room, nonce, key });
}

export interface ChunkProof {
  key: string;
  nonce: string;
  sig: string;
}

export async function signChunkChallenge(identity: Identity, room: string, nonce: string): Promise<ChunkProof> {
  return { key: identity.publicKey, nonce, sig: await signBytes(identity, chunkProofBytes(room, nonce, identity.publicKey)) };
}

const ChunkProofSchema = v.object({
  key: v.pipe(v.string(), v.length(43)),
  nonce: v.pipe(v.string(), v.minLength(22), v.maxLength(64)),
  sig: v.pipe(v.string(), v.length(86))
});

/** Checks the signature only; whether the nonce is one the relay gave out, and still fresh, is the relay's question. */
export async function checkChunkProof(
  input: unknown,
  room: string
): Promise<{ ok: true; key: string; nonce: string } | { ok: false; reason: 'proof.malformed' | 'proof.bad_signature' }> {
  const parsed = v.safeParse(ChunkProofSchema, input);
  if (!parsed.success) return { ok: false, reason: 'proof.malformed' };
  const { key, nonce, sig } = parsed.output;
  return (await verifyBytes(key, chunkProofBytes(room, nonce, key), sig)) ? { ok: true, key, nonce } : { ok: false, reason: 'proof.bad_signature' };
}
