// What a member reads about sync, derived from the sync layer's status, the device's network and
// the member's own choice: a lost network never reads as a choice, and a sync with peers that had
// nothing new to send still counts as being in touch.
import type { SyncStatus } from '../sync/peer-sync';

// What the sync and health components show, typed here so that ui never imports sync itself.
export type { SyncStatus } from '../sync/peer-sync';
export type { DocHealth } from '../sync/community-doc';
export type { MigrationProgress } from '../sync/shards/legacy-migration';
export type { Coverage } from '../automation/checkpoint';
export type { InboxState } from '../notify/inbox.svelte';
export type { EventDraft } from './events.svelte';

export type SyncState =
  /** The member chose "Work offline" (remembered on this device). */
  | 'paused'
  /** The device has no network. */
  | 'offline'
  /** Online, trying the signaling servers and the relay (just opened, or the network just came back). */
  | 'connecting'
  /** Online, but neither a signaling server nor the relay answers. */
  | 'unreachable'
  /** Reachable, and no other device of the community is there now. */
  | 'alone'
  /** Connected, and updates arrived in the last few seconds. */
  | 'syncing'
  /** Connected to other devices or the relay, nothing arriving. */
  | 'synced';

export interface SyncView {
  state: SyncState;
  peers: number;
  relay: 'none' | 'connected' | 'unreachable';
  /** When this device last had another device or the relay (null: never, on this device). */
  lastContactAt: number | null;
}

/** Updates this recent mean the document is still taking them in. */
export const SYNCING_MS = 4_000;
/** How long a first connection may take before the servers count as unreachable. */
export const CONNECT_GRACE_MS = 10_000;

export function describeSync(input: {
  status: SyncStatus;
  network: boolean;
  pausedByChoice: boolean;
  hasRelay: boolean;
  lastContactAt: number | null;
  /** Since when this device tries to connect (the view opened, the network returned, the member resumed). */
  tryingSince: number;
  now: number;
}): SyncView {
  const { status, network, pausedByChoice, hasRelay, now } = input;
  const inTouch = !status.paused && (status.peers > 0 || status.relayConnected);
  const lastContactAt = maxOrNull(inTouch ? now : null, input.lastContactAt, status.lastSyncAt);
  const relay = !hasRelay ? 'none' : status.relayConnected && !status.paused ? 'connected' : 'unreachable';
  const peers = status.paused ? 0 : status.peers;
  let state: SyncState;
  if (pausedByChoice) state = 'paused';
  else if (!network) state = 'offline';
  else if (inTouch) state = status.lastSyncAt !== null && now - status.lastSyncAt < SYNCING_MS ? 'syncing' : 'synced';
  else if (status.connected) state = 'alone';
  else state = now - input.tryingSince < CONNECT_GRACE_MS ? 'connecting' : 'unreachable';
  return { state, peers, relay, lastContactAt };
}

function maxOrNull(...values: (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length ? Math.max(...known) : null;
}
