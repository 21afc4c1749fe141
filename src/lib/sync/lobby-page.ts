// A newcomer's first page through the lobby. A newcomer waits in the lobby for its key, then opens a
// second WebRTC connection for the mesh and asks there for its first page (first-page-exchange.ts):
// at 10,000 members that connection and the ask took 1.5–2.3 s after the key had come. The page can
// go through the lobby connection the newcomer already has, asked for as it arrives, sent as soon as
// the creator's device counts the newcomer a member, so it is there when the key is.
//
// The lobby is keyed by the room secret alone: anyone who ever held the invite link (a removed member
// too) is there. The page therefore goes sealed under the community's newest key (AES-256-GCM, the key
// derived by HKDF from the epoch key, bound to the community and the epoch), which only its current
// members hold, and only to a connection that named a member. A peer naming someone else gets what it
// cannot open; a device opening a sealed page checks its records as any peer's first page.
import { fromBase64Url } from '../crypto/encoding';
import type { EpochKey } from '../crypto/epoch-keys';
import { currentEpochs } from '../domain/epochs';
import type { HearthDb } from '../store/db';
import { keyState } from '../store/keyring';
import { authorityOf } from '../store/projection';
import { FIRST_PAGE_MAX_BYTES } from './first-page';

const VERSION = 1;
const IV_BYTES = 12;
/** A sealed page at most: the page, its epoch's id, the nonce and the tag. */
export const LOBBY_PAGE_MAX_BYTES = FIRST_PAGE_MAX_BYTES + 2 + 255 + IV_BYTES + 16;

const encoder = new TextEncoder();

async function pageKey(cid: string, key: Pick<EpochKey, 'epoch' | 'raw'>, usage: KeyUsage): Promise<CryptoKey> {
  const ikm = await crypto.subtle.importKey('raw', key.raw as BufferSource, 'HKDF', false, ['deriveKey']);
  const info = encoder.encode(`hearth/lobby-page/v${VERSION}\u0000${cid}\u0000${key.epoch}`);
  return crypto.subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info }, ikm, { name: 'AES-GCM', length: 256 }, false, [usage]);
}

/** `page` sealed under `key`: [version, epoch id length, epoch id, nonce, AES-GCM(page)]. */
export async function sealLobbyPage(cid: string, key: Pick<EpochKey, 'epoch' | 'raw'>, page: Uint8Array): Promise<Uint8Array> {
  const epoch = encoder.encode(key.epoch);
  if (epoch.length > 255) throw new Error('epoch id too long');
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, await pageKey(cid, key, 'encrypt'), page as BufferSource));
  const out = new Uint8Array(2 + epoch.length + IV_BYTES + sealed.length);
  out[0] = VERSION;
  out[1] = epoch.length;
  out.set(epoch, 2);
  out.set(iv, 2 + epoch.length);
  out.set(sealed, 2 + epoch.length + IV_BYTES);
  return out;
}

/**
 * The page inside `sealed`, opened with the key of the epoch it names (`keyOf`); 'no-key' when this
 * device holds no key of that epoch (yet); null for anything that is not a page sealed for this
 * community under that key (wrong version, cut short, too large, forged or damaged).
 */
export async function openLobbyPage(
  cid: string,
  sealed: Uint8Array,
  keyOf: (epoch: string) => Pick<EpochKey, 'epoch' | 'raw'> | undefined
): Promise<Uint8Array | 'no-key' | null> {
  if (sealed.length > LOBBY_PAGE_MAX_BYTES || sealed.length < 2 || sealed[0] !== VERSION) return null;
  const length = sealed[1];
  if (sealed.length < 2 + length + IV_BYTES + 16) return null;
  let epoch: string;
  try {
    epoch = new TextDecoder('utf-8', { fatal: true }).decode(sealed.subarray(2, 2 + length));
  } catch {
    return null;
  }
  const key = keyOf(epoch);
  if (!key) return 'no-key';
  const iv = sealed.subarray(2 + length, 2 + length + IV_BYTES);
  try {
    const page = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: iv as BufferSource },
      await pageKey(cid, key, 'decrypt'),
      sealed.subarray(2 + length + IV_BYTES) as BufferSource
    );
    return new Uint8Array(page);
  } catch {
    return null;
  }
}

/** What a lobby page asks of the community's handle: its store and its own first page. */
export interface LobbyPageDoc {
  db: HearthDb;
  cid: string;
  firstPage(): Promise<Uint8Array>;
  takeFirstPage(bytes: Uint8Array): Promise<boolean>;
}

/**
 * This device's first page sealed for `member`, a member now, under the community's newest key, which
 * this device holds; null otherwise (not a member yet, or this device lacks the newest key).
 */
export async function lobbyPageFor(doc: LobbyPageDoc, member: string): Promise<Uint8Array | null> {
  if (typeof member !== 'string' || member.length > 100) return null;
  const [auth, state] = await Promise.all([authorityOf(doc.db, doc.cid), keyState(doc.db, doc.cid)]);
  if (!auth?.isMember(member) || !state) return null;
  const newest = currentEpochs(state.view, 'all')[0];
  const key = newest && state.keys.get(newest.id);
  if (!key) return null;
  return sealLobbyPage(doc.cid, key, await doc.firstPage());
}

/** A sealed page from the lobby: opened with this device's keys and taken as a first page. */
export async function takeLobbyPage(doc: LobbyPageDoc, sealed: Uint8Array): Promise<'taken' | 'refused' | 'no-key'> {
  const state = await keyState(doc.db, doc.cid);
  const page = await openLobbyPage(doc.cid, sealed, (epoch) => state?.keys.get(epoch));
  if (page === 'no-key') return 'no-key';
  if (!page) return 'refused';
  return (await doc.takeFirstPage(page)) ? 'taken' : 'refused';
}

/** A member's key as the ask names it: base64url of 32 bytes, or null. */
export function memberKeyOf(bytes: Uint8Array): string | null {
  if (bytes.length === 0 || bytes.length > 100) return null;
  let key: string;
  try {
    key = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
  return fromBase64Url(key)?.length === 32 ? key : null;
}
