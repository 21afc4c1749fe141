// Short invite links, for QR codes: only what a newcomer's device cannot learn elsewhere — the
// community id (the lobby's room), the room secret (its password) and the invite's private key —
// packed as raw bytes with a checksum, about 140 characters instead of about 1,000. The signed
// genesis and invite are fetched from the community's lobby and checked here before anything is
// shown: the genesis must hash to the community id, the invite must be signed and hold the public
// half of the link's key. A genesis or an invite of any length fits this way; a QR code stays small.
import * as v from 'valibot';
import { checkRecord } from './record-seal';
import { fromBase64Url, sha256, toBase64Url } from './encoding';
import { inviteKeyOf } from './invite-key';
import { computeAuthority } from '../domain/authority';
import type { AnyRecord, SignedRecord } from '../domain/record';

/** A short token starts with this; '.' is outside base64url, so no long token can start so. */
export const SHORT_PREFIX = 'i.';
const VERSION = 1;
const CHECK_BYTES = 4;
/** Larger than any honest short token (addresses included); refused before any work. */
const MAX_SHORT_CHARS = 2_000;

export interface ShortInvite {
  cid: string;
  secret: string;
  /** The invite's private key (32-byte seed, base64url). */
  inviteKey: string;
  /** Sync addresses when they differ from the serving machine's (null: use those). */
  addresses: { signaling: string[]; relay: string | null } | null;
}

export type ShortInviteError = 'invite.damaged' | 'invite.malformed';

const Addresses = v.tuple([
  v.pipe(v.array(v.pipe(v.string(), v.regex(/^wss?:\/\/\S+$/), v.maxLength(300))), v.maxLength(8)),
  v.nullable(v.pipe(v.string(), v.regex(/^wss?:\/\/\S+$/), v.maxLength(300)))
]);

/** The exact bytes of a base64url string, or null when it does not round-trip (then no short link). */
function exactBytes(text: string, length?: number): Uint8Array | null {
  const bytes = fromBase64Url(text);
  if (!bytes || toBase64Url(bytes) !== text || bytes.length > 255) return null;
  return length === undefined || bytes.length === length ? bytes : null;
}

export function isShortInvite(token: string): boolean {
  return token.trim().replace(/^#/, '').startsWith(SHORT_PREFIX);
}

/** The short token, or null when a value cannot be packed exactly (the long link still works). */
export async function encodeShortInvite(p: ShortInvite): Promise<string | null> {
  const cid = exactBytes(p.cid, 32);
  const seed = exactBytes(p.inviteKey, 32);
  const secret = exactBytes(p.secret);
  if (!cid || !seed || !secret) return null;
  const tail = p.addresses ? new TextEncoder().encode(JSON.stringify([p.addresses.signaling, p.addresses.relay])) : new Uint8Array(0);
  const body = new Uint8Array(1 + 32 + 32 + 1 + secret.length + tail.length);
  body[0] = VERSION;
  body.set(cid, 1);
  body.set(seed, 33);
  body[65] = secret.length;
  body.set(secret, 66);
  body.set(tail, 66 + secret.length);
  const check = (await sha256(body)).subarray(0, CHECK_BYTES);
  const out = new Uint8Array(body.length + CHECK_BYTES);
  out.set(body);
  out.set(check, body.length);
  return SHORT_PREFIX + toBase64Url(out);
}

/**
 * Unpacks a short token. A changed, missing or extra character fails the checksum: the link was
 * damaged on its way (a misread QR code, a cut-off copy), and the newcomer is told so.
 */
export async function decodeShortInvite(token: string): Promise<{ ok: true; value: ShortInvite } | { ok: false; reason: ShortInviteError }> {
  const trimmed = token.trim().replace(/^#/, '');
  if (!trimmed.startsWith(SHORT_PREFIX) || trimmed.length > MAX_SHORT_CHARS) return { ok: false, reason: 'invite.malformed' };
  const bytes = fromBase64Url(trimmed.slice(SHORT_PREFIX.length));
  if (!bytes || bytes.length < 66 + CHECK_BYTES) return { ok: false, reason: 'invite.damaged' };
  const body = bytes.subarray(0, bytes.length - CHECK_BYTES);
  const check = (await sha256(body)).subarray(0, CHECK_BYTES);
  if (!check.every((b, i) => b === bytes[body.length + i])) return { ok: false, reason: 'invite.damaged' };
  if (body[0] !== VERSION) return { ok: false, reason: 'invite.malformed' };
  const secretLength = body[65];
  if (secretLength < 12 || 66 + secretLength > body.length) return { ok: false, reason: 'invite.malformed' };
  let addresses: ShortInvite['addresses'] = null;
  if (66 + secretLength < body.length) {
    try {
      const parsed = v.safeParse(Addresses, JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(66 + secretLength))));
      if (!parsed.success) return { ok: false, reason: 'invite.malformed' };
      addresses = { signaling: parsed.output[0], relay: parsed.output[1] };
    } catch {
      return { ok: false, reason: 'invite.malformed' };
    }
  }
  return {
    ok: true,
    value: {
      cid: toBase64Url(body.subarray(1, 33)),
      inviteKey: toBase64Url(body.subarray(33, 65)),
      secret: toBase64Url(body.subarray(66, 66 + secretLength)),
      addresses
    }
  };
}

export type FetchedInviteError = 'invite.tampered' | 'invite.malformed' | 'invite.expired';

/**
 * Checks the genesis and invite a peer handed over for a short link: the genesis is the
 * community's own (its id is the community id), the invite is intact, of this community, and holds
 * the public half of the link's key. Whether its author may invite is the authority's question,
 * asked again at join time with the community's records.
 */
export async function checkFetchedInvite(
  link: ShortInvite,
  genesisValue: unknown,
  inviteValue: unknown,
  now = Date.now()
): Promise<{ ok: true; value: { genesis: SignedRecord<'genesis'>; invite: SignedRecord<'invite'> } } | { ok: false; reason: FetchedInviteError }> {
  const genesis = await checkRecord(genesisValue, { cid: link.cid });
  const invite = await checkRecord(inviteValue, { cid: link.cid });
  if (!genesis.ok || !invite.ok || genesis.value.kind !== 'genesis' || invite.value.kind !== 'invite' || genesis.value.id !== link.cid)
    return { ok: false, reason: 'invite.tampered' };
  if (inviteKeyOf(link.inviteKey) !== invite.value.body.key) return { ok: false, reason: 'invite.tampered' };
  if (invite.value.body.expiresAt !== null && invite.value.body.expiresAt < now) return { ok: false, reason: 'invite.expired' };
  return { ok: true, value: { genesis: genesis.value, invite: invite.value } };
}

export type FetchedStandingError = 'invite.revoked' | 'invite.used_up';

/**
 * What the lobby's authority records say of the invite before the newcomer is asked anything: how
 * many members the community has, and whether the invite was revoked or used up. Every value is
 * checked (signature, community) and the authority replayed as any device would; values that fail
 * are left out. A peer can withhold records (then the join itself finds out), not invent them.
 */
export async function judgeFetchedStanding(
  genesis: SignedRecord<'genesis'>,
  invite: SignedRecord<'invite'>,
  values: readonly unknown[],
  now = Date.now()
): Promise<{ members: number; failure: FetchedStandingError | null }> {
  const checked = await Promise.all(values.map((value) => checkRecord(value, { cid: genesis.id })));
  const records = checked.flatMap((c) => (c.ok && c.value.kind !== 'genesis' ? [c.value as AnyRecord] : []));
  const auth = computeAuthority(genesis, [invite as AnyRecord, ...records.filter((r) => r.id !== invite.id)]);
  let members = 0;
  for (const m of auth.members.values()) if (m.bannedAt === null) members++;
  const state = auth.invites.get(invite.id);
  // An invite the replay does not hold (its author's invite rights not among the records handed
  // over) is left to the join, which asks again with the community's records.
  const failure: FetchedStandingError | null = !state
    ? null
    : state.revokedAt !== null && state.revokedAt <= now
      ? 'invite.revoked'
      : invite.body.maxUses !== null && state.uses >= invite.body.maxUses
        ? 'invite.used_up'
        : null;
  return { members: Math.max(1, members), failure };
}
