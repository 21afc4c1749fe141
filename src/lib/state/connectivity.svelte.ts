// The device's network and the member's "Work offline" choice, kept apart: the sync layer pauses
// for either, but a member must be told which one it is, and the choice outlives a reload.
import type { HearthDb } from '../store/db';

// The sync layer (Yjs, WebRTC) is loaded only when a community opens or the choice changes:
// the first screen (onboarding, the list of communities) does not need it.
const setSyncPaused = async (paused: boolean) => (await import('../sync/registry')).setSyncPaused(paused);

/** Local settings key of the member's choice to work offline (this device only). */
export const SYNC_PAUSED_KEY = 'sync-paused';

export class Connectivity {
  network = $state(typeof navigator === 'undefined' ? true : navigator.onLine);
  pausedByChoice = $state(false);

  constructor(private readonly db: HearthDb) {}

  /** Applies the remembered choice before any community starts syncing. */
  async load(): Promise<void> {
    const row = await this.db.settings.get(SYNC_PAUSED_KEY);
    if (row?.value === true) {
      this.pausedByChoice = true;
      await setSyncPaused(true);
    }
  }

  async setPaused(paused: boolean): Promise<void> {
    this.pausedByChoice = paused;
    await this.db.settings.put({ key: SYNC_PAUSED_KEY, value: paused });
    await setSyncPaused(paused);
  }

  /** Follows the browser's online/offline events; returns the function that stops it. */
  start(): () => void {
    const update = () => (this.network = navigator.onLine);
    update();
    addEventListener('online', update);
    addEventListener('offline', update);
    return () => {
      removeEventListener('online', update);
      removeEventListener('offline', update);
    };
  }
}
