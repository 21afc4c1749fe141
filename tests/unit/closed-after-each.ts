// Test helper: what a test file opens (communities, shard syncs, their links), closed after each test.
import { afterEach } from 'vitest';

interface Closable {
  settled(): Promise<void>;
  close(): void;
}

/**
 * Lists to push into; after each test the links close first (no message crosses a closing sync),
 * then the syncs, then each community once everything it took is stored.
 */
export function closedAfterEach<C extends Closable>(): { opened: C[]; syncs: { destroy(): void }[]; links: { close(): void }[] } {
  const lists = { opened: [] as C[], syncs: [] as { destroy(): void }[], links: [] as { close(): void }[] };
  afterEach(async () => {
    lists.links.splice(0).forEach((l) => l.close());
    lists.syncs.splice(0).forEach((s) => s.destroy());
    for (const c of lists.opened.splice(0)) {
      await c.settled();
      c.close();
    }
  });
  return lists;
}
