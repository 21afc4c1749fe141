// A composer's draft, saved on the device as the member types, so a failed write, a reload or a
// closed tab never loses what they wrote. Cleared only after the post is stored.
import type { HearthDb } from '../store/db';

export class Draft {
  title = $state('');
  body = $state('');
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly db: HearthDb,
    readonly key: string
  ) {
    db.drafts.get(key).then((row) => {
      if (row && !this.body && !this.title) {
        this.title = row.title ?? '';
        this.body = row.body;
      }
    });
    $effect(() => {
      const snapshot = { title: this.title, body: this.body };
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => this.save(snapshot), 400);
      return () => clearTimeout(this.#timer);
    });
  }

  private save({ title, body }: { title: string; body: string }) {
    if (!title && !body) return this.db.drafts.delete(this.key).catch(() => {});
    // A full disk must not break typing; the text stays in memory and on screen.
    return this.db.drafts.put({ key: this.key, title, body, updatedAt: Date.now() }).catch(() => {});
  }

  async clear(): Promise<void> {
    clearTimeout(this.#timer);
    this.title = '';
    this.body = '';
    await this.db.drafts.delete(this.key).catch(() => {});
  }
}
