// Which WebRTC rooms a device joins for a community. The mesh, where the whole document travels,
// is keyed by the community scope's newest epoch: its room name and password are derived from the
// epoch key, so the password rotates with every new `all` epoch (a ban, a member leaving, the
// creator's schedule) and a removed member's device, holding only older keys, finds nobody there.
// A device keeps the previous mesh for a short transition so members who have not yet seen a
// rotation are not cut off. The lobby (room = community id, password = the room secret of the
// invite link) carries only the core records (authority, invites, keys, tiers, profiles; see
// lobby.ts): it is how a newcomer is admitted and gets a key, and how a device that missed
// rotations catches up, without anyone holding only the room secret reading content.
import { toBase64Url } from '../crypto/encoding';
import type { EpochKey } from '../crypto/epoch-keys';
import type { Authority } from '../domain/authority';
import { currentEpochs } from '../domain/epochs';
import { KEY_ROLES } from '../domain/scopes';
import type { HearthDb } from '../store/db';
import { keyState } from '../store/keyring';
import { authorityOf } from '../store/projection';

/** How long a device stays in the previous mesh after moving to a newer one. */
export const MESH_TRANSITION_MS = 60_000;
/**
 * This device's transition: MESH_TRANSITION_MS, or a shorter one set on the device
 * (`localStorage['hearth:mesh-transition-ms']`, at least 5 s), which the end-to-end tests use so a
 * rotation's journey does not wait a minute. It only decides when this device leaves old meshes.
 */
export function meshTransitionMs(): number {
  const set = typeof localStorage === 'undefined' ? null : Number(localStorage.getItem('hearth:mesh-transition-ms'));
  return set && Number.isFinite(set) ? Math.min(MESH_TRANSITION_MS, Math.max(5_000, set)) : MESH_TRANSITION_MS;
}

/** A device alone in its mesh this long also joins the lobby, where it learns of rotations it missed. */
export const LONELY_AFTER_MS = 15_000;

export interface MeshRoom {
  epoch: string;
  room: string;
  password: string;
}

export interface MeshPlan {
  /** No epoch of the community scope yet (a community from before encryption): one room, the room secret. */
  legacy: boolean;
  /** The mesh of the newest current `all` epoch this device holds; null when it holds none. */
  mesh: MeshRoom | null;
  /** Join the lobby: this device lacks the newest key, or its member wraps keys for others (creator, admin). */
  lobby: boolean;
  /** In the lobby because a newer epoch exists (or none is held): waiting for a key. */
  waitingForKey: boolean;
  /**
   * Until when this member's own open invites keep the device in the lobby besides `lobby`
   * (Infinity: one never expires; 0: none open). Kept apart so the device leaves at the expiry
   * without waiting for a record to plan again.
   */
  invitesOpenUntil: number;
}

const encoder = new TextEncoder();

/** The mesh room and password of an epoch of the community scope: HKDF-SHA-256 from the epoch key. */
export async function meshRoomOf(cid: string, key: Pick<EpochKey, 'epoch' | 'raw'>): Promise<MeshRoom> {
  const ikm = await crypto.subtle.importKey('raw', key.raw as BufferSource, 'HKDF', false, ['deriveBits']);
  const info = encoder.encode(`hearth/mesh/v1\u0000${cid}\u0000${key.epoch}`);
  const bits = new Uint8Array(await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info }, ikm, 512));
  // The room name is seen by signaling servers: it names neither the epoch nor anything of the key.
  return { epoch: key.epoch, room: `${cid}.${toBase64Url(bits.subarray(0, 12))}`, password: toBase64Url(bits.subarray(32)) };
}

export const LEGACY_PLAN: MeshPlan = { legacy: true, mesh: null, lobby: false, waitingForKey: false, invitesOpenUntil: 0 };
/**
 * Nothing known yet (a newcomer before the genesis arrives) or the key state could not be read: the
 * lobby only. Never the legacy room then, which would hand the whole document to the lobby.
 */
export const LOBBY_ONLY_PLAN: MeshPlan = { legacy: false, mesh: null, lobby: true, waitingForKey: true, invitesOpenUntil: 0 };

/**
 * Until when `me` has an invite of their own that a newcomer can still use: not revoked, not used
 * up, not expired (Infinity when one never expires; 0 when none is open). A short link (QR code)
 * carries no signed invite: the newcomer fetches it from a device in the lobby, and a member who
 * may invite is otherwise only in the mesh, so their device stays in the lobby while it is needed.
 */
export function ownInvitesOpenUntil(auth: Pick<Authority, 'invites'>, me: string, now: number): number {
  let until = 0;
  for (const state of auth.invites.values()) {
    const { author, body } = state.record;
    if (author !== me || (state.revokedAt !== null && state.revokedAt <= now)) continue;
    if (body.maxUses !== null && state.uses >= body.maxUses) continue;
    const expires = body.expiresAt ?? Infinity;
    if (expires > now) until = Math.max(until, expires);
  }
  return until;
}

/** Whether this device holds any thread of the community (history from before its first epoch). */
async function holdsHistory(db: HearthDb, cid: string): Promise<boolean> {
  return (await db.threads.where('[cid+rank]').between([cid, -Infinity], [cid, Infinity]).first()) !== undefined;
}

/** The rooms this device should be in now, from its key state and its member's role. */
export async function meshPlanOf(db: HearthDb, cid: string, me: string | null): Promise<MeshPlan> {
  const state = await keyState(db, cid);
  if (!state) return LOBBY_ONLY_PLAN;
  const current = currentEpochs(state.view, 'all');
  const auth = await authorityOf(db, cid);
  const role = me && auth ? auth.roleOf(me) : null;
  // A community from before encryption, until a creator's or admin's device starts its first epoch:
  // the one room for the devices that hold its history or start the epoch. A newcomer that holds
  // neither waits in the lobby, which brings it the core and then its key. In the legacy room (the
  // lobby's name) it met the lobby, moved to the lobby on learning of the epoch a second later, and
  // in 1 of 3 joins here the two devices kept a dead connection: no key, no history, for good.
  if (!current.length) return (role !== null && KEY_ROLES.has(role)) || (await holdsHistory(db, cid)) ? LEGACY_PLAN : LOBBY_ONLY_PLAN;
  const held = current.find((e) => state.keys.has(e.id));
  const waitingForKey = !held || held.id !== current[0].id;
  return {
    legacy: false,
    mesh: held ? await meshRoomOf(cid, state.keys.get(held.id)!) : null,
    lobby: waitingForKey || (role !== null && KEY_ROLES.has(role)),
    waitingForKey,
    invitesOpenUntil: me && auth && role !== null ? ownInvitesOpenUntil(auth, me, Date.now()) : 0
  };
}
