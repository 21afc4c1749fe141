import { describe, expect, it } from 'vitest';
import { describeSync } from './sync-view';
import type { SyncStatus } from '../sync/peer-sync';

const NOW = 1_800_000_000_000;
const status = (s: Partial<SyncStatus> = {}): SyncStatus => ({
  connected: true,
  peers: 0,
  relayConnected: false,
  online: [],
  unverified: 0,
  lastSyncAt: null,
  paused: false,
  ...s
});
const view = (
  s: Partial<SyncStatus>,
  o: { network?: boolean; pausedByChoice?: boolean; hasRelay?: boolean; lastContactAt?: number | null; tryingSince?: number } = {}
) =>
  describeSync({
    status: status(s),
    network: o.network ?? true,
    pausedByChoice: o.pausedByChoice ?? false,
    hasRelay: o.hasRelay ?? false,
    lastContactAt: o.lastContactAt ?? null,
    tryingSince: o.tryingSince ?? NOW - 60_000,
    now: NOW
  });

describe('sync as the member reads it', () => {
  it('a peer that had nothing new to send still makes the community synced, and in touch now', () => {
    expect(view({ peers: 1, lastSyncAt: null })).toMatchObject({ state: 'synced', peers: 1, lastContactAt: NOW });
  });

  it('updates arriving right now read as syncing', () => {
    expect(view({ peers: 2, lastSyncAt: NOW - 1_000 }).state).toBe('syncing');
    expect(view({ peers: 2, lastSyncAt: NOW - 60_000 }).state).toBe('synced');
  });

  it('a lost network is not the member’s choice, even though the sync layer pauses for it', () => {
    expect(view({ paused: true, connected: false }, { network: false }).state).toBe('offline');
    expect(view({ paused: true, connected: false }, { network: true, pausedByChoice: true }).state).toBe('paused');
    expect(view({ paused: true, connected: false }, { network: false, pausedByChoice: true }).state).toBe('paused');
  });

  it('tells alone from unreachable, and keeps the last contact', () => {
    expect(view({ connected: true }, { lastContactAt: NOW - 5_000 })).toMatchObject({ state: 'alone', lastContactAt: NOW - 5_000 });
    expect(view({ connected: false }).state).toBe('unreachable');
    expect(view({ connected: false }, { tryingSince: NOW - 2_000 }).state).toBe('connecting');
    expect(view({ connected: false, relayConnected: true }, { hasRelay: true })).toMatchObject({ state: 'synced', relay: 'connected' });
  });

  it('names the relay only when there is one', () => {
    expect(view({}).relay).toBe('none');
    expect(view({ relayConnected: false }, { hasRelay: true }).relay).toBe('unreachable');
  });
});
