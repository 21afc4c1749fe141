import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { HearthDb } from '../store/db';
import { isSyncPaused, setSyncPaused } from '../sync/registry';
import { Connectivity } from './connectivity.svelte';

describe('working offline by choice', () => {
  it('is remembered on this device: a reload starts paused', async () => {
    const db = new HearthDb('connectivity-remembered');
    await new Connectivity(db).setPaused(true);
    await setSyncPaused(false); // the page reloads: the sync layer starts fresh

    const reloaded = new Connectivity(db);
    await reloaded.load();
    expect(reloaded.pausedByChoice).toBe(true);
    expect(isSyncPaused()).toBe(true);

    await reloaded.setPaused(false);
    const again = new Connectivity(db);
    await again.load();
    expect(again.pausedByChoice).toBe(false);
    expect(isSyncPaused()).toBe(false);
  });
});
