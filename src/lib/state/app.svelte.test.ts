import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HearthDb } from '../store/db';
import { AppState, SLOW_OPEN_MS } from './app.svelte';

afterEach(() => vi.useRealTimers());

describe('opening the app', () => {
  it('says to keep the tab open when storage takes long to open (an upgrade rewriting every row), and not otherwise', async () => {
    vi.useFakeTimers();
    const db = new HearthDb('app-slow-open');
    let finish: () => void = () => {};
    const open = db.open.bind(db);
    // An upgrade in progress: the open resolves when the test says so.
    vi.spyOn(db, 'open').mockImplementation(() => Dexie.Promise.resolve(new Promise<void>((resolve) => (finish = resolve))).then(() => open()));
    const app = new AppState(db);
    const booting = app.boot();
    await vi.advanceTimersByTimeAsync(SLOW_OPEN_MS - 100);
    expect(app.openingSlowly).toBe(false);
    await vi.advanceTimersByTimeAsync(200);
    expect(app.openingSlowly).toBe(true);
    expect(app.ready).toBe(false);
    vi.useRealTimers();
    finish();
    await booting;
    expect(app.openingSlowly).toBe(false);
    expect(app.ready).toBe(true);
    expect(app.storageError).toBeNull();
  });

  it('opens quickly without the slow-open line', async () => {
    const app = new AppState(new HearthDb('app-quick-open'));
    await app.boot();
    expect(app.openingSlowly).toBe(false);
    expect(app.ready).toBe(true);
  });
});
