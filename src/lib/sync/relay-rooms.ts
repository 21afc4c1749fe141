// Room names on a relay. A community's room is base64url SHA-256(`hearth-relay:` cid `:` secret):
// knowing the community id alone finds nothing there. With history in shards each shard is a room of
// its own, `<room>.<shard>` (`<room>.core`, `<room>.2026-05`), so the relay serves each shard as its
// own Hocuspocus document (many over one socket) and can tell from the name alone which shard a room
// is, to apply the shard gate, and which core judges it (the month's authority is the core's).
// The shard id in clear tells the relay nothing it could not read: every record's `ts` is in clear.
// The room without a suffix is the whole community's single document (before shards, old devices).
import { isShardId, type ShardId } from '../domain/shards';
import { sha256, toBase64Url } from '../crypto/encoding';

/** The relay's room name is derived from the secret, so knowing the community id alone finds nothing there. */
export async function relayRoomName(cid: string, secret: string): Promise<string> {
  return toBase64Url(await sha256(new TextEncoder().encode(`hearth-relay:${cid}:${secret}`)));
}

/** A shard's room: the community's room name and the shard id. */
export function shardRoomName(room: string, shard: ShardId): string {
  if (!isShardId(shard)) throw new RangeError(`not a shard id: ${shard}`);
  return `${room}.${shard}`;
}

export async function relayShardRoomName(cid: string, secret: string, shard: ShardId): Promise<string> {
  return shardRoomName(await relayRoomName(cid, secret), shard);
}

export interface RelayRoom {
  /** The community's room name (what attachment chunks are kept under, and what names its core). */
  community: string;
  /** The shard this room holds; null for a community's single document. */
  shard: ShardId | null;
}

/** Months a relay lists to a member proven on a community's core room (the newest), and a device reads at most. */
export const MAX_LISTED_MONTHS = 1200;

const BASE = /^[A-Za-z0-9_-]{1,128}$/;

/** What a room name names, or null for a name no Hearth client makes. */
export function parseRelayRoom(name: string): RelayRoom | null {
  const dot = name.indexOf('.');
  const community = dot < 0 ? name : name.slice(0, dot);
  if (!BASE.test(community)) return null;
  if (dot < 0) return { community, shard: null };
  const shard = name.slice(dot + 1);
  return isShardId(shard) ? { community, shard } : null;
}
