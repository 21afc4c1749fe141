// Epoch keys of read scopes: a fresh 32-byte key per epoch, wrapped for each entitled member with
// X25519 (one ephemeral key per record part, the member's key from member-box) → HKDF-SHA-256 →
// AES-KW. The wraps are bound to the community, the scope, the epoch nonce and the recipient, so a
// wrap copied into another epoch or read by another member opens nothing. A SHA-256 commitment in
// the key record lets a member refuse a wrap or share that opens to any other key than the epoch's.
import { MAX_WRAPS, WRAP_TAG_LENGTH, type BodyOf } from '../domain/record';
import { wrapTag, type EpochView } from '../domain/epochs';
import type { Scope } from '../domain/scopes';
import { fromBase64Url, sha256, toBase64Url } from './encoding';
import { ephemeralKeyPair, montgomeryBatch, sharedSecrets, type MemberBoxKey, derivedKey } from './member-box';

/** One epoch key a member holds. */
export interface EpochKey {
  epoch: string;
  scope: Scope;
  ts: number;
  /** The 32-byte AES-256-GCM key. Kept raw so that staff can share it with newly entitled members. */
  raw: Uint8Array;
}

/** The epoch keys a member holds, by epoch id: every one ever wrapped for them, never dropped. */
export type Keyring = ReadonlyMap<string, EpochKey>;

export type X25519Path = 'webcrypto' | 'noble';

const encoder = new TextEncoder();

/** Commitment to an epoch key, in its key record: SHA-256 over a label, the epoch nonce and the key. */
export async function epochCommit(epoch: string, key: Uint8Array): Promise<string> {
  return toBase64Url(await sha256(new Uint8Array([...encoder.encode(`hearth/epoch-commit/v1\u0000${epoch}\u0000`), ...key])));
}

function wrapInfo(cid: string, scope: string, epoch: string, recipient: string): Uint8Array {
  return encoder.encode(`hearth/epoch-key/v1\u0000${cid}\u0000${scope}\u0000${epoch}\u0000${recipient}`);
}

function keyEncryptionKey(shared: Uint8Array, epk: Uint8Array, info: Uint8Array): Promise<CryptoKey> {
  return derivedKey(shared, epk, info, 'AES-KW', ['wrapKey', 'unwrapKey']);
}

interface WrapTarget {
  cid: string;
  scope: Scope;
  epoch: string;
}

/** Wraps `key` for each recipient under one fresh ephemeral key. Recipients that are not valid member keys are skipped. */
async function wrapFor(
  recipients: readonly string[],
  key: Uint8Array,
  to: WrapTarget,
  path?: X25519Path
): Promise<{ epk: string; wraps: string[]; skipped: string[] }> {
  const ephemeral = ephemeralKeyPair();
  const epk = toBase64Url(ephemeral.publicKey);
  const valid: { member: string; montgomery: Uint8Array }[] = [];
  const skipped: string[] = [];
  const montgomeries = montgomeryBatch(recipients);
  for (const [i, member] of recipients.entries()) {
    const montgomery = montgomeries[i];
    if (montgomery) valid.push({ member, montgomery });
    else skipped.push(member);
  }
  const shared = await sharedSecrets(
    ephemeral.secretKey,
    valid.map((v) => v.montgomery),
    path
  );
  const epochKey = await crypto.subtle.importKey('raw', key as BufferSource, 'AES-GCM', true, ['encrypt', 'decrypt']);
  const wraps = await Promise.all(
    valid.map(async ({ member }, i) => {
      const secret = shared[i];
      if (!secret) return null;
      const kek = await keyEncryptionKey(secret, ephemeral.publicKey, wrapInfo(to.cid, to.scope, to.epoch, member));
      const wrapped = new Uint8Array(await crypto.subtle.wrapKey('raw', epochKey, kek, 'AES-KW'));
      return wrapTag(member) + toBase64Url(wrapped);
    })
  );
  const out: string[] = [];
  wraps.forEach((w, i) => (w ? out.push(w) : skipped.push(valid[i].member)));
  ephemeral.secretKey.fill(0);
  return { epk, wraps: out, skipped };
}

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out.length ? out : [[]];
}

/**
 * A new epoch of `scope`: a fresh key wrapped for `recipients` (the members entitled now, from
 * `entitledMembers`, the author included), split into parts of at most MAX_WRAPS wraps. Sign every
 * body with the same `ts`, the one entitlement was computed for.
 */
export async function newEpoch(input: {
  cid: string;
  scope: Scope;
  parents: readonly string[];
  reason: BodyOf<'key'>['reason'];
  recipients: readonly string[];
  path?: X25519Path;
}): Promise<{ epoch: string; key: Uint8Array; bodies: BodyOf<'key'>[]; skipped: string[] }> {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const epoch = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
  const commit = await epochCommit(epoch, key);
  const groups = chunks([...new Set(input.recipients)].sort(), MAX_WRAPS);
  const wrapped = await Promise.all(groups.map((g) => wrapFor(g, key, { cid: input.cid, scope: input.scope, epoch }, input.path)));
  const bodies = wrapped.map(({ epk, wraps }, part) => ({
    scope: input.scope,
    epoch,
    parents: [...input.parents].sort(),
    commit,
    epk,
    wraps,
    part,
    parts: groups.length,
    reason: input.reason
  }));
  return { epoch, key, bodies, skipped: wrapped.flatMap((w) => w.skipped) };
}

/** Key-share bodies giving an epoch key this device holds to members entitled since it began. */
export async function shareEpoch(input: {
  cid: string;
  key: EpochKey;
  recipients: readonly string[];
  path?: X25519Path;
}): Promise<{ bodies: BodyOf<'key-share'>[]; skipped: string[] }> {
  const { epoch, scope, raw } = input.key;
  const groups = chunks([...new Set(input.recipients)].sort(), MAX_WRAPS).filter((g) => g.length);
  const wrapped = await Promise.all(groups.map((g) => wrapFor(g, raw, { cid: input.cid, scope, epoch }, input.path)));
  return {
    bodies: wrapped.filter((w) => w.wraps.length).map(({ epk, wraps }) => ({ scope, epoch, epk, wraps })),
    skipped: wrapped.flatMap((w) => w.skipped)
  };
}

/** Opens one wrap addressed to `member`; null when it is not theirs or does not open to the committed key. */
async function openWrap(member: MemberBoxKey, epkText: string, wrap: string, to: WrapTarget, commit: string): Promise<Uint8Array | null> {
  const epk = fromBase64Url(epkText);
  const wrapped = fromBase64Url(wrap.slice(WRAP_TAG_LENGTH));
  if (!epk || epk.length !== 32 || !wrapped || wrapped.length !== 40) return null;
  const [shared] = await sharedSecrets(member.secret, [epk]);
  if (!shared) return null;
  try {
    const kek = await keyEncryptionKey(shared, epk, wrapInfo(to.cid, to.scope, to.epoch, member.memberId));
    const key = await crypto.subtle.unwrapKey('raw', wrapped as BufferSource, kek, 'AES-KW', 'AES-GCM', true, ['encrypt', 'decrypt']);
    const raw = new Uint8Array(await crypto.subtle.exportKey('raw', key));
    return (await epochCommit(to.epoch, raw)) === commit ? raw : null;
  } catch {
    return null; // AES-KW integrity check failed: a colliding tag, another member's wrap, or tampering
  }
}

/**
 * The member's keyring: every accepted epoch (parts and shares) with a wrap for them. Keys already
 * in `previous` are kept and not opened again, so a device extends its keyring as records arrive.
 * A member tries each wrap whose tag matches theirs (a tag collision costs one failed unwrap).
 */
export async function buildKeyring(view: EpochView, cid: string, member: MemberBoxKey, previous: Keyring = new Map()): Promise<Map<string, EpochKey>> {
  const ring = new Map(previous);
  const tag = wrapTag(member.memberId);
  const sharesByEpoch = new Map<string, { epk: string; wraps: readonly string[] }[]>();
  for (const s of view.shares) {
    const list = sharesByEpoch.get(s.body.epoch) ?? [];
    list.push(s.body);
    sharesByEpoch.set(s.body.epoch, list);
  }
  await Promise.all(
    [...view.epochs.values()].map(async (e) => {
      if (ring.has(e.id)) return;
      const to = { cid, scope: e.scope, epoch: e.id };
      for (const { epk, wraps } of [...e.records.map((r) => r.body), ...(sharesByEpoch.get(e.id) ?? [])]) {
        for (const w of wraps) {
          if (!w.startsWith(tag)) continue;
          const raw = await openWrap(member, epk, w, to, e.commit);
          if (raw) {
            ring.set(e.id, { epoch: e.id, scope: e.scope, ts: e.ts, raw });
            return;
          }
        }
      }
    })
  );
  return ring;
}

/**
 * The keys a reader opens content with: those of epochs accepted now. A device stores every key it
 * ever unwrapped (an epoch judged valid on a partial view may be rejected once, say, a ban arrives,
 * and valid again after an unban), and opens only with this subset.
 */
export function acceptedKeys(keyring: Keyring, view: EpochView): Keyring {
  return new Map([...keyring].filter(([id, k]) => view.epochs.get(id)?.scope === k.scope));
}
