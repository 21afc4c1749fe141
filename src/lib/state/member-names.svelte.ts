// Members' rows by key, read as a page shows them: the authors in the feed, the people online. A
// community of 10,000 members has 10,000 rows; reading them all to name fifty authors was the
// page's longest task (and read again whenever any member's row was written).
import type { MemberRow } from '../domain/posts';
import type { HearthDb } from '../store/db';
import { Live } from './live.svelte';

export class MemberNames {
  /** Keys asked for so far (grows as the page shows more authors; a few hundred at most). */
  #wanted = new Set<string>();
  #keys = $state.raw<string[]>([]);
  #scheduled = false;
  readonly #rows: Live<Map<string, MemberRow>>;

  constructor(
    readonly db: HearthDb,
    readonly cid: string
  ) {
    this.#rows = new Live<Map<string, MemberRow>>(() => {
      const keys = this.#keys;
      return async () => {
        if (!keys.length) return new Map();
        const rows = await db.members.bulkGet(keys.map((key) => [cid, key] as [string, string]));
        return new Map(rows.filter((r): r is MemberRow => !!r).map((r) => [r.key, r]));
      };
    }, new Map());
  }

  /** The member's row, once read (undefined until then, or for a key that is no member). */
  row(key: string): MemberRow | undefined {
    const row = this.#rows.value.get(key);
    if (!row) this.#want(key);
    return row;
  }

  nameOf(key: string): string {
    return this.row(key)?.name || key.slice(0, 8);
  }

  /**
   * Names for these keys read now, for what is not rendered (an export's rows): `nameOf` only names a
   * member once a render has asked for them and their row has been read.
   */
  async namesOf(keys: readonly string[]): Promise<(key: string) => string> {
    const unique = [...new Set(keys)];
    const rows = await this.db.members.bulkGet(unique.map((key) => [this.cid, key] as [string, string]));
    const names = new Map(rows.filter((r): r is MemberRow => !!r).map((r) => [r.key, r.name]));
    return (key) => names.get(key) || key.slice(0, 8);
  }

  /** Asked during a render: the query's keys change after it (state may not change while rendering). */
  #want(key: string): void {
    if (this.#wanted.has(key)) return;
    this.#wanted.add(key);
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#keys = [...this.#wanted];
    });
  }
}
