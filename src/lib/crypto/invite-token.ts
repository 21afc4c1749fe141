// Invite links: everything a newcomer's device needs to find and join a community, carried in
// the URL fragment (never sent to a server): community id, room secret, signaling/relay
// addresses, the creator-signed invite and the genesis record that proves who the creator is.
import * as v from 'valibot';
import { checkRecord } from './record-seal';
import { fromBase64Url, toBase64Url } from './encoding';
import { inviteKeyOf } from './invite-key';
import type { SignedRecord } from '../domain/record';

export interface InvitePayload {
  cid: string;
  secret: string;
  signaling: string[];
  relay: string | null;
  invite: SignedRecord<'invite'>;
  genesis: SignedRecord<'genesis'>;
  /** Display name of the inviter at the time of the invite (a hint; the key is what counts). */
  inviterName: string;
  /** The invite's private key (32-byte seed, base64url): signs the newcomer's join (crypto/invite-key). */
  inviteKey: string;
  /**
   * How many members the community had when the link was made (a hint shown before joining; a
   * short link's newcomer counts them from the lobby's records instead).
   */
  members?: number;
}

/** Links longer than this are refused before any parsing work: an invite is a few kilobytes. */
const MAX_TOKEN_CHARS = 16_000;

const PayloadSchema = v.strictObject({
  v: v.literal(1),
  cid: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/)),
  secret: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{16,128}$/)),
  signaling: v.pipe(v.array(v.pipe(v.string(), v.regex(/^wss?:\/\/\S+$/), v.maxLength(300))), v.maxLength(8)),
  relay: v.nullable(v.pipe(v.string(), v.regex(/^wss?:\/\/\S+$/), v.maxLength(300))),
  invite: v.unknown(),
  genesis: v.unknown(),
  inviterName: v.pipe(v.string(), v.maxLength(60)),
  inviteKey: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/)),
  members: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10_000_000)))
});

export type InviteError = 'invite.malformed' | 'invite.tampered' | 'invite.expired' | 'invite.wrong_community';

async function transform(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Response(new Blob([bytes as BlobPart]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

export async function encodeInvite(p: InvitePayload): Promise<string> {
  const json = new TextEncoder().encode(JSON.stringify({ v: 1, ...p }));
  return toBase64Url(await transform(json, new CompressionStream('deflate-raw')));
}

export function inviteUrl(origin: string, basePath: string, token: string): string {
  return `${origin}${basePath}/join#${token}`;
}

/**
 * Decodes and checks an invite token. It proves the invite and the genesis are intact and
 * signed; whether the invite was revoked or used up is known only from the community's records.
 */
export async function decodeInvite(token: string, now = Date.now()): Promise<{ ok: true; value: InvitePayload } | { ok: false; reason: InviteError }> {
  const trimmed = token.trim().replace(/^#/, '');
  if (!trimmed || trimmed.length > MAX_TOKEN_CHARS) return { ok: false, reason: 'invite.malformed' };
  const bytes = fromBase64Url(trimmed);
  if (!bytes) return { ok: false, reason: 'invite.malformed' };
  let json: unknown;
  try {
    const inflated = await transform(bytes, new DecompressionStream('deflate-raw'));
    if (inflated.length > 64 * 1024) return { ok: false, reason: 'invite.malformed' };
    json = JSON.parse(new TextDecoder().decode(inflated));
  } catch {
    return { ok: false, reason: 'invite.malformed' };
  }
  const parsed = v.safeParse(PayloadSchema, json);
  if (!parsed.success) return { ok: false, reason: 'invite.malformed' };
  const p = parsed.output;
  const genesis = await checkRecord(p.genesis, { cid: p.cid });
  const invite = await checkRecord(p.invite, { cid: p.cid });
  if (!genesis.ok || !invite.ok) {
    const malformed = (!genesis.ok && genesis.reason === 'record.malformed') || (!invite.ok && invite.reason === 'record.malformed');
    const wrong = (!genesis.ok && genesis.reason === 'record.wrong_community') || (!invite.ok && invite.reason === 'record.wrong_community');
    return { ok: false, reason: malformed ? 'invite.malformed' : wrong ? 'invite.wrong_community' : 'invite.tampered' };
  }
  if (genesis.value.kind !== 'genesis' || invite.value.kind !== 'invite') return { ok: false, reason: 'invite.malformed' };
  // A key that is not the invite's own could never sign a valid join: the link was altered.
  if (inviteKeyOf(p.inviteKey) !== invite.value.body.key) return { ok: false, reason: 'invite.tampered' };
  if (invite.value.body.expiresAt !== null && invite.value.body.expiresAt < now) return { ok: false, reason: 'invite.expired' };
  return {
    ok: true,
    value: {
      cid: p.cid,
      secret: p.secret,
      signaling: p.signaling,
      relay: p.relay,
      invite: invite.value,
      genesis: genesis.value,
      inviterName: p.inviterName,
      inviteKey: p.inviteKey,
      ...(p.members !== undefined ? { members: p.members } : {})
    }
  };
}
