// Months of a community held in shards that this device does not hold (docs/shards.md): evicted by
// the member's cap, or held by peers and not fetched yet. The feed fetches the next older one when
// the member reaches its end (Matrix's backfill), search says which months it did not search and
// fetches them on a tap; each month comes from a peer that holds it (`ShardSync.want`).
import type { CommunityState, MissingMonths } from './community.svelte';

export type OlderStatus = 'idle' | 'loading' | 'failed';

/** Reads of the months list at most this often while the sync's status keeps changing (`OlderMonths.refresh`). */
export const REFRESH_EVERY_MS = 500;

/** A month id (`YYYY-MM`) as the reader's language names it ("March 2024", "2024年3月"). */
export function monthLabel(id: string, lang: string): string {
  return new Intl.DateTimeFormat(lang, { year: 'numeric', month: 'long', timeZone: 'UTC' }).format(
    Date.UTC(Number(id.slice(0, 4)), Number(id.slice(5, 7)) - 1, 1)
  );
}

export class OlderMonths {
  months = $state.raw<MissingMonths['months']>([]);
  /** Peers this device syncs months with now. */
  peers = $state(0);
  status = $state<OlderStatus>('idle');
  /** The month being fetched, or the one no peer brought. */
  month = $state<string | null>(null);
  /** Months fetched since this screen opened. */
  fetched = $state(0);
  /**
   * Months this screen has brought: not asked for again, whatever a later list says. A list read
   * before one arrived (a refresh superseded, a peer's catalogue naming it) kept the feed's end
   * asking for a month already held, each answer at once: a busy loop that starved a page holding
   * the document itself (no community worker) so its first thread never showed.
   */
  #done = new Set<string>();
  #refreshing: Promise<void> | null = null;
  #again = false;

  constructor(readonly community: CommunityState) {}

  /**
   * Reads the list again: at once when no read is under way, else once more after it, at most every
   * `REFRESH_EVERY_MS`. The feed asks at every change of the sync's status, which changes with every
   * message a peer sends: a newcomer's worker answered hundreds of reads while it fetched the months.
   */
  refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      do {
        this.#again = false;
        const started = Date.now();
        await this.#read();
        if (this.#again) await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + REFRESH_EVERY_MS - Date.now())));
      } while (this.#again);
    })().finally(() => (this.#refreshing = null));
    return this.#refreshing;
  }

  async #read(): Promise<void> {
    // One read at a time (`refresh`): none can supersede another.
    const missing = await this.community.missingMonths();
    this.months = (missing?.months ?? []).filter((m) => !this.#done.has(m.id));
    this.peers = missing?.peers ?? 0;
  }

  /** Fetches one month (the newest not on the device by default); true once it is held. */
  async load(id = this.months[0]?.id): Promise<boolean> {
    if (!id || this.status === 'loading') return false;
    this.status = 'loading';
    this.month = id;
    const ok = await this.community.fetchShard(id).catch(() => false);
    this.status = ok ? 'idle' : 'failed';
    if (ok) {
      this.fetched++;
      this.#done.add(id);
      this.months = this.months.filter((m) => m.id !== id);
    }
    await this.refresh();
    return ok;
  }

  /** Fetches every month not on the device, newest first, until one does not come. */
  async loadAll(): Promise<boolean> {
    for (const month of [...this.months]) if (!(await this.load(month.id))) return false;
    return true;
  }
}
