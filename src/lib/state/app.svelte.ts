// App-wide state: this device's identity, language and theme. Created once by the root layout.
import { getContext, setContext } from 'svelte';
import { generateIdentity, identityFileText, loadIdentity, parseIdentityFile, type Identity } from '../crypto/identity';
import { i18n, type Lang, type MessageKey } from '../i18n/index.svelte';
import { openDb, type CommunityRow, type HearthDb } from '../store/db';
import { recentCommunities } from '../store/queries/communities';
import { Connectivity } from './connectivity.svelte';
import { Live } from './live.svelte';
import { BUDGET_KEY, blobUsage, budgetBytes, evictBlobs, MIN_BUDGET_MB } from '../media/blob-budget';

export type Theme = 'system' | 'light' | 'dark';

/** Local settings key: the identity on this device was imported from a file. */
const RESTORED_KEY = 'identity-restored';
/**
 * Past this, opening storage is taken to be an upgrade of this device's tables (a new version
 * rewrites every row once: about a minute and a half for a 100,000-record community), and the page
 * says so: closing the tab meanwhile undoes it, and it starts again on the next open.
 */
export const SLOW_OPEN_MS = 2_000;

export class AppState {
  readonly db: HearthDb;
  ready = $state(false);
  /** Storage has taken more than `SLOW_OPEN_MS` to open (an upgrade): the loading line says to keep the tab open. */
  openingSlowly = $state(false);
  /** Set when IndexedDB itself cannot be opened: the app says so instead of showing a blank page. */
  storageError = $state<MessageKey | null>(null);
  identity = $state.raw<Identity | null>(null);
  name = $state('');
  createdAt = $state(0);
  theme = $state<Theme>('system');
  /** This identity came from an identity file (local settings): home explains how communities come back. */
  restored = $state(false);

  readonly connectivity: Connectivity;

  constructor(db = openDb()) {
    this.db = db;
    this.connectivity = new Connectivity(db);
  }

  /** This device's communities, the last opened first (live; create it while a component initialises). */
  communityList(): Live<CommunityRow[]> {
    return new Live<CommunityRow[]>(() => () => recentCommunities(this.db), []);
  }

  async boot(): Promise<void> {
    const slow = setTimeout(() => (this.openingSlowly = true), SLOW_OPEN_MS);
    try {
      await this.db.open().finally(() => clearTimeout(slow));
      this.openingSlowly = false;
      const [row, lang, theme, restored] = await Promise.all([
        this.db.identity.get('me'),
        this.db.settings.get('lang'),
        this.db.settings.get('theme'),
        this.db.settings.get(RESTORED_KEY)
      ]);
      this.restored = restored?.value === true;
      // The first screen waits for its dictionary rather than showing English for a moment.
      await i18n.use(lang?.value === 'en' || lang?.value === 'zh-CN' ? lang.value : i18n.lang);
      // While the first page waits for its rows, not inside the task that renders them.
      i18n.warmSoon();
      if (theme?.value === 'light' || theme?.value === 'dark') this.theme = theme.value;
      // Before any community starts syncing (children render once `ready`).
      await this.connectivity.load();
      if (row) {
        const loaded = await loadIdentity(row);
        if (loaded.ok) {
          this.identity = loaded.value;
          this.name = row.name;
          this.createdAt = row.createdAt;
        }
      }
    } catch (error) {
      console.error('storage unavailable', error);
      this.storageError = 'app.storage_unavailable';
    }
    this.ready = true;
  }

  async createIdentity(name: string, lang: Lang): Promise<void> {
    const { identity, stored } = await generateIdentity();
    const createdAt = Date.now();
    await this.db.identity.put({ key: 'me', ...stored, name, createdAt });
    await this.setLang(lang);
    this.identity = identity;
    this.name = name;
    this.createdAt = createdAt;
  }

  /** Communities restored by the last identity import (an identity file carries them since 2026-12). */
  restoredCommunities = $state(0);

  /** Returns a translatable failure reason, or null when the identity was restored. */
  async importIdentity(text: string): Promise<MessageKey | null> {
    const parsed = await parseIdentityFile(text);
    if (!parsed.ok) return parsed.reason;
    const { stored, identity, name, lang, createdAt, communities } = parsed.value;
    await this.db.identity.put({ key: 'me', ...stored, name, createdAt });
    // Loaded on demand: the projection writer it uses is not part of the first load.
    const { restoreCommunities } = await import('./carried-communities');
    this.restoredCommunities = await restoreCommunities(this.db, communities);
    if (lang) await this.setLang(lang);
    await this.db.settings.put({ key: RESTORED_KEY, value: true });
    this.restored = true;
    this.identity = identity;
    this.name = name;
    this.createdAt = createdAt;
    return null;
  }

  async exportIdentityText(): Promise<string> {
    const row = await this.db.identity.get('me');
    if (!row) throw new Error('no identity to export');
    const { carryCommunities } = await import('./carried-communities');
    return identityFileText(row, { name: row.name, lang: i18n.lang, createdAt: row.createdAt }, await carryCommunities(this.db));
  }

  async rename(name: string): Promise<void> {
    await this.db.identity.update('me', { name });
    this.name = name;
  }

  async setLang(lang: Lang): Promise<void> {
    // Stored first: a member who leaves the page while the dictionary loads keeps the choice.
    await this.db.settings.put({ key: 'lang', value: lang });
    await i18n.use(lang);
  }

  /** The storage budget for other members' media on this device, in MB, and what attachments take now. */
  async mediaStorage(): Promise<{ budgetMb: number; kept: number; other: number }> {
    const [budget, usage] = await Promise.all([budgetBytes(this.db), blobUsage(this.db)]);
    return { budgetMb: Math.round(budget / 1024 / 1024), ...usage };
  }

  /** Sets the budget and evicts past it at once; returns how many chunks went. */
  async setMediaBudget(mb: number): Promise<number> {
    await this.db.settings.put({ key: BUDGET_KEY, value: Math.max(MIN_BUDGET_MB, Math.round(mb)) });
    return (await evictBlobs(this.db)).length;
  }

  async setTheme(theme: Theme): Promise<void> {
    this.theme = theme;
    await this.db.settings.put({ key: 'theme', value: theme });
  }
}

const KEY = Symbol('app');
export const setApp = (app: AppState) => setContext(KEY, app);
export const getApp = () => getContext<AppState>(KEY);
