// A newcomer's first feed page, sent beside the document. A newcomer entering the mesh receives the
// whole history as one Yjs reply, in the order its entries were written, so the newest threads come
// last: at 10,000 members that was 57 MB and its first row waited for all of it. A member's device
// answers a newcomer's ask (first-page-exchange.ts) with the records behind its own first feed page:
// the threads its feed ranks first and the records that target them, as shared (sealed ones sealed),
// with their authors' joins and newest profiles (a newcomer's lobby holds neither for most members).
// The newcomer's gate checks them as any peer's (signatures, community, authority from the core it
// already holds), stores and projects them without putting them into its document; the history,
// when it comes, finds them stored. A liar costs a check: what it sends is judged like anything else.
import type { AnyRecord } from '../domain/record';
import type { HearthDb, StoredRecord } from '../store/db';
import type { DocHandle } from './doc-handle';
import { sharedForm } from '../store/keyring';
import { recordsByAuthorAt, recordsById, recordsTargetingAny } from '../store/record-store';

/** Threads in a first page: the feed's first screenful and some. */
export const FIRST_PAGE_THREADS = 30;
/** Records in a first page at most (threads and what targets them), and its size as JSON. */
export const FIRST_PAGE_MAX_RECORDS = 800;
export const FIRST_PAGE_MAX_BYTES = 2 * 1024 * 1024;
/** A device whose document holds fewer entries than this holds no history yet: it asks. */
export const FIRST_PAGE_WANTED_BELOW = 64;

/** The records behind this device's first feed page, as shared, within the limits above. */
export async function firstPageRecords(db: HearthDb, cid: string): Promise<AnyRecord[]> {
  const threads = (await db.threads
    .where('[cid+rank]')
    .between([cid, -Infinity], [cid, Infinity])
    .reverse()
    .limit(FIRST_PAGE_THREADS)
    .primaryKeys()) as string[];
  if (!threads.length) return [];
  const [own, targeting] = await Promise.all([recordsById(db, threads), recordsTargetingAny(db, threads, FIRST_PAGE_MAX_RECORDS)]);
  const authors = new Set<string>();
  for (const row of [...own, ...targeting]) if (row) authors.add(row.author);
  const vouching = await authorsRecords(db, cid, [...authors]);
  const out: AnyRecord[] = [];
  let bytes = 2;
  // The threads, their authors' joins and names, then what targets them: a newcomer's lobby holds no
  // ordinary member's join or profile (lobby.ts `inLobby`), so the page vouches for whom it shows.
  for (const row of [...own, ...vouching, ...targeting]) {
    if (!row || row.held || row.cid !== cid || out.length >= FIRST_PAGE_MAX_RECORDS) continue;
    const shared = sharedForm(row);
    const size = JSON.stringify(shared).length + 1;
    if (bytes + size > FIRST_PAGE_MAX_BYTES) break;
    bytes += size;
    out.push(shared);
  }
  return out;
}

/** Each of these members' join and newest profile (the one their member row is named by): joins first. */
async function authorsRecords(db: HearthDb, cid: string, keys: string[]): Promise<StoredRecord[]> {
  const rows = (await db.members.bulkGet(keys.map((key) => [cid, key] as [string, string]))).filter((m) => m !== undefined);
  if (!rows.length) return [];
  // One walk of the index for all of them: a query each (about 300 at 10k) held the answer 2 s. A
  // member joined at their join's `ts` (or at their admit's, if that came first: then the join is
  // left to the history, and their posts wait for it).
  const found = await recordsByAuthorAt(
    db,
    cid,
    rows.flatMap((m) => [[m.key, m.joinedAt] as const, ...(m.profileTs >= 0 ? [[m.key, m.profileTs] as const] : [])])
  );
  return [...found.filter((r) => r.kind === 'join'), ...found.filter((r) => r.kind === 'profile')];
}

/** The community's content stamp: moved by every write of content (record-store), 0 before any. */
async function contentStamp(doc: Pick<DocHandle, 'db' | 'cid'>): Promise<number> {
  return (await doc.db.recordStamps.get(doc.cid))?.v ?? 0;
}

export function encodeFirstPage(records: readonly AnyRecord[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(records));
}

/**
 * A peer's first page: an array of at most `FIRST_PAGE_MAX_RECORDS` objects with a string `id`, within
 * `FIRST_PAGE_MAX_BYTES`. Anything else is null (and nothing of it is taken). The gate checks each
 * value in full (shape, id, signature, community) under that id.
 */
export function decodeFirstPage(bytes: Uint8Array): AnyRecord[] | null {
  if (bytes.length > FIRST_PAGE_MAX_BYTES) return null;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return null;
  }
  if (!Array.isArray(value) || value.length > FIRST_PAGE_MAX_RECORDS) return null;
  const withId = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { id?: unknown }).id === 'string';
  return value.every(withId) ? (value as AnyRecord[]) : null;
}

/**
 * A page made ahead is sent as it is while younger than this. A creator's or admin's device makes one
 * as it takes a join: the newcomer asks once admitted and keyed, seconds later. Read when asked, it took
 * 1.4–4.3 s at 10,000 members (IndexedDB busy with the admission), the newcomer's first row waiting.
 */
export const PAGE_KEPT_MS = 60_000;
/**
 * Older than `PAGE_KEPT_MS` but younger than this, a page is still sent at once, and a new one made
 * `REMAKE_DELAY_MS` later. A first page is what a newcomer paints before the rest of the community
 * comes (within seconds, over the mesh): minutes old, it is only a little less fresh. Made as the join
 * came, since the join now comes with the newcomer's first lobby message, its reads shared the
 * creator's device with the join's check and key share: the key share went out 1–3 s later at 10,000
 * members.
 */
export const PAGE_SERVED_MS = 10 * 60_000;
/** A page past `PAGE_KEPT_MS` is made again this long after it was last sent or asked for: past the join's admission and key share. */
export const REMAKE_DELAY_MS = 15_000;
/**
 * A device that lets newcomers in (`ahead`) looks at its page this often: one older than this is made
 * again if the community's content changed since, or kept as it is (one row read) if not. So a
 * newcomer's device always finds a page it can send at once (younger than `PAGE_SERVED_MS`), and the
 * page is never read on the join's path: made as the join came (the creator's device open for an hour
 * with no joins), the 10k newcomer's first row came 3.6–6.7 s after Join against 3.0–4.1 s (stop 62).
 */
export const PAGE_REFRESH_MS = PAGE_SERVED_MS / 2;
/** A join written this recently brings its newcomer soon. */
const FRESH_JOIN_MS = 10 * 60_000;
/**
 * A page wanted for a newcomer on the way (`warm`) is made once this device has let them in (`lettingIn`:
 * their key share or admission written), or this long after on a device that lets no one in: the
 * newcomer asks for it only once keyed and on the mesh, a second or more after the key share. Made at
 * once (no page younger than `PAGE_SERVED_MS` to send), its reads went ahead of the join's check and key
 * share on the creator's device: at 10,000 members 704 reads of core records in one 0.5–0.7 s
 * transaction, behind which the reads of the join's key state and reopening waited 0.4–0.6 s.
 */
export const WARM_DELAY_MS = 1_500;

/** A join whose newcomer will soon ask for the first page and the history (not an old join a history brings). */
export const isFreshJoin = (r: AnyRecord): boolean => r.kind === 'join' && Math.abs(Date.now() - r.ts) < FRESH_JOIN_MS;

export interface FirstPageMaker {
  /**
   * The page made within `PAGE_KEPT_MS`; one made within `PAGE_SERVED_MS` (a new one made later); or,
   * older, the same page if the community's content is unchanged since, else a new one.
   */
  page(): Promise<Uint8Array>;
  /** When the page kept now was made, or last found still true (the community's content unchanged since); null: none. */
  madeAt(): number | null;
  /**
   * A newcomer is on the way: the page is made once they are let in (`lettingIn`) or `WARM_DELAY_MS`
   * from now, whichever comes first (at once if asked meanwhile), unless one was made within half of
   * `PAGE_KEPT_MS`, or one within `PAGE_SERVED_MS` can be sent (made again `REMAKE_DELAY_MS` later if
   * it is past `PAGE_KEPT_MS` by then; a page younger than that is sent as it is).
   */
  warm(): void;
  /** This device has just let a newcomer in (their key share or admission written): a page `warm` holds back is made now. */
  lettingIn(): void;
  /**
   * The page is made `REMAKE_DELAY_MS` from now, unless one is kept, and looked at every `PAGE_REFRESH_MS`
   * from then on (a device that lets newcomers in, as its lobby opens).
   */
  ahead(): void;
  stop(): void;
}

/**
 * This device's first page for a community, made when a newcomer is on the way (`warm`: their device
 * asked the lobby for its core, or a fresh join is taken; not for the old joins a history brings) once
 * this device has let them in or `warmDelayMs` later, or ahead (`ahead`: as the device starts letting
 * newcomers in), and kept for `PAGE_KEPT_MS`, sent for `PAGE_SERVED_MS` while a new one is made.
 */
export function firstPageMaker(doc: Pick<DocHandle, 'db' | 'cid' | 'onAccepted'>, { warmDelayMs = WARM_DELAY_MS } = {}): FirstPageMaker {
  /** `v`: the community's content stamp when the page was read (record-store `recordStamps`). */
  let made: { at: number; v: Promise<number>; page: Promise<Uint8Array>; ready: boolean } | null = null;
  let later: ReturnType<typeof setTimeout> | null = null;
  let refresher: ReturnType<typeof setInterval> | null = null;
  /** A page `warm` holds back until the newcomer is let in. */
  let held: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  const age = () => (made ? Date.now() - made.at : Infinity);
  const release = () => {
    if (held) clearTimeout(held);
    held = null;
  };
  const make = () => {
    release();
    // The stamp first: a write after it moves it, so a page read after it is never taken for newer than it is.
    const v = contentStamp(doc);
    const next = { at: Date.now(), v, page: v.then(() => firstPageRecords(doc.db, doc.cid)).then(encodeFirstPage), ready: false };
    next.page.then(
      () => (next.ready = true),
      () => made === next && (made = null)
    );
    made = next;
    return next.page;
  };
  let refreshing: Promise<Uint8Array> | null = null;
  /**
   * The page kept, made again if the community's content changed since it was read, else kept as it
   * is from now on (one row read, not the page's hundreds); with none ready, a new one.
   */
  const refresh = (): Promise<Uint8Array> =>
    (refreshing ??= (async () => {
      const kept = made;
      if (!kept?.ready) return make();
      const [then, now] = await Promise.all([kept.v, contentStamp(doc)]);
      if (made !== kept) return made?.page ?? make();
      if (then !== now) return make();
      kept.at = Date.now();
      return kept.page;
    })().finally(() => (refreshing = null)));
  /** `refresh` from a timer or a hold, where no one waits for the page. */
  const refreshUnasked = () => void refresh().catch((e) => console.warn('first page not made', e));
  const remakeLater = () => {
    if (later || stopped) return;
    later = setTimeout(() => {
      later = null;
      if (!stopped && age() > PAGE_KEPT_MS) refreshUnasked();
    }, REMAKE_DELAY_MS);
    (later as { unref?: () => void }).unref?.();
  };
  const servable = () => !!made?.ready && age() <= PAGE_SERVED_MS;
  const page = () => {
    if (made && age() <= PAGE_KEPT_MS) return made.page;
    if (servable()) {
      remakeLater();
      return made!.page;
    }
    return refresh();
  };
  /** A page made within half of `PAGE_KEPT_MS`: a newcomer on the way gets it as it is. */
  const recent = () => !!made && age() < PAGE_KEPT_MS / 2;
  const makeHeld = () => {
    if (!stopped && !recent()) refreshUnasked();
  };
  const warm = () => {
    if (recent()) return;
    if (servable()) return remakeLater();
    if (held || stopped) return;
    held = setTimeout(() => {
      held = null;
      makeHeld();
    }, warmDelayMs);
    (held as { unref?: () => void }).unref?.();
  };
  const lettingIn = () => {
    if (!held) return;
    release();
    makeHeld();
  };
  const ahead = () => {
    if (!made || age() > PAGE_KEPT_MS) remakeLater();
    if (refresher || stopped) return;
    refresher = setInterval(() => {
      if (age() > PAGE_REFRESH_MS) refreshUnasked();
    }, PAGE_REFRESH_MS);
    (refresher as { unref?: () => void }).unref?.();
  };
  const off = doc.onAccepted((records) => {
    if (records.some(isFreshJoin)) warm();
  });
  const stop = () => {
    stopped = true;
    if (later) clearTimeout(later);
    if (refresher) clearInterval(refresher);
    release();
    off();
  };
  return { page, madeAt: () => made?.at ?? null, warm, lettingIn, ahead, stop };
}
