// A newcomer's sync step 1 to the mesh asks for the whole history (its state vector holds only its own
// join and profile).
// Encoding that answer took the creator's community worker 0.4–0.7 s for the real community (3.5 MB)
// and ~4.3 s at 10,000 members (57 MB), after the ask came and before a byte went. A device that has
// just let a newcomer in (their key share or admission written) knows the ask is a second or two
// away: it encodes the history then (`prepare`), and answers a peer holding nothing with that update
// and, last, a step 2 of what was written since. Kept `HISTORY_KEPT_MS`, then dropped (at 10k it is
// 57 MB of memory).
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { messageYjsSyncStep1, messageYjsSyncStep2, messageYjsUpdate } from './gated-sync-protocol';
import { FIRST_PAGE_WANTED_BELOW } from './first-page';
import { filterUpdate } from './update-filter';

export const HISTORY_KEPT_MS = 60_000;
/**
 * Above this many entries the history is not encoded ahead: the encoding holds the worker (~4 s at
 * 100,000), and the newcomer's first page, asked meanwhile, is the worker's to answer. Its step 1
 * waits for that page (peer-sync.ts `#holdStep1`), so encoding on the ask costs it the page's wait.
 */
export const HISTORY_AHEAD_MAX_ENTRIES = 10_000;

/**
 * A sync reply larger than this goes to the peer as several messages: a step 2 with the first part
 * of the missing history, then updates with the rest. The page's data channel reassembles at most
 * MAX_MESSAGE (webrtc-chunking.ts, 64 MiB) a message, and the generated 10k community's history was a
 * 67.3 MB step 2 once its creator had published ~1,300 level records: refused whole, it would have
 * left a newcomer with the core and no thread.
 */
export const REPLY_PART_BYTES = 8 * 1024 * 1024;

/** A sync message of `type` carrying `update`. */
function message(type: number, update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, type);
  encoding.writeVarUint8Array(encoder, update);
  return encoding.toUint8Array(encoder);
}

/** An update cut into whole Yjs updates of at most `partBytes` each (itself when it fits or cannot be cut). */
function updateParts(update: Uint8Array, doc: Y.Doc, partBytes: number): Uint8Array[] {
  if (update.length <= partBytes) return [update];
  const split = filterUpdate(update, { root: 'records', doc, maxStructs: Infinity, maxBytes: partBytes });
  return split.ok && split.value.pieces.length > 1 ? split.value.pieces : [update];
}

/** A step 2 over `partBytes` cut into a step 2 and updates, each a whole Yjs update; anything else as it is. */
export function splitReply(reply: Uint8Array, doc: Y.Doc, partBytes = REPLY_PART_BYTES): Uint8Array[] {
  if (reply.length <= partBytes) return [reply];
  const decoder = decoding.createDecoder(reply);
  if (decoding.readVarUint(decoder) !== messageYjsSyncStep2) return [reply];
  const pieces = updateParts(decoding.readVarUint8Array(decoder), doc, partBytes);
  if (pieces.length < 2) return [reply];
  const last = pieces.length - 1;
  // The step 2 goes last: a peer's y-webrtc counts the exchange done when it comes (peer-sync.ts `firstExchange`).
  return pieces.map((piece, i) => message(i === last ? messageYjsSyncStep2 : messageYjsUpdate, piece));
}

interface Kept {
  at: number;
  sv: Uint8Array;
  clocks: Map<number, number>;
  /** The whole history as sync messages of type update, in parts. */
  parts: Uint8Array[];
}

/**
 * What the sender of a sync step 1 holds of a document at state `sv` (`held`: its clock per client,
 * up to `sv`'s) and under clients `sv` does not name (`unseen`); null for anything but a well-formed step 1.
 */
export function holdingOf(step1: Uint8Array, sv: ReadonlyMap<number, number>): { held: number; unseen: number } | null {
  try {
    const decoder = decoding.createDecoder(step1);
    if (decoding.readVarUint(decoder) !== messageYjsSyncStep1) return null;
    const theirs = Y.decodeStateVector(decoding.readVarUint8Array(decoder));
    if (decoding.hasContent(decoder)) return null;
    let held = 0;
    let unseen = 0;
    for (const [client, clock] of theirs) {
      const ours = sv.get(client);
      if (ours === undefined) unseen += clock;
      else held += Math.min(clock, ours);
    }
    return { held, unseen };
  } catch {
    return null;
  }
}

/**
 * How many of the entries of a document at state `sv` the sender of a sync step 1 message holds (its
 * clock per client, up to `sv`'s); null for anything but a well-formed step 1.
 */
export function heldOf(step1: Uint8Array, sv: ReadonlyMap<number, number>): number | null {
  return holdingOf(step1, sv)?.held ?? null;
}

/**
 * Whether `message` is a lobby sync step 1 from a newcomer: a peer holding fewer than
 * `FIRST_PAGE_WANTED_BELOW` of `doc`'s entries (or a device of a community that small), or one whose
 * lobby was seeded with this lobby's copy by its invite page (`LobbyOptions.seed`): it holds this
 * document's entries and, under clients this document has not seen, a few of its own (the link's
 * genesis and invite), fewer than that. A device that met this lobby before names its client, seen
 * here; one that did not names its whole core under its own. Other messages are not decoded.
 */
export function holdsNoHistory(message: Uint8Array, doc: Y.Doc): boolean {
  if (message[0] !== messageYjsSyncStep1) return false;
  const holding = holdingOf(message, Y.decodeStateVector(Y.encodeStateVector(doc)));
  return holding !== null && (holding.held < FIRST_PAGE_WANTED_BELOW || (holding.unseen > 0 && holding.unseen < FIRST_PAGE_WANTED_BELOW));
}

export class PreparedHistory {
  #kept: Kept | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #drop: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly doc: Y.Doc,
    private readonly keptMs = HISTORY_KEPT_MS,
    private readonly partBytes = REPLY_PART_BYTES
  ) {}

  /** Encodes the whole document after the current task (the writes that let the newcomer in go out first). */
  prepare(): void {
    if (this.#timer || this.doc.isDestroyed) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.doc.isDestroyed) return;
      const sv = Y.encodeStateVector(this.doc);
      // Every part an update: the step 2 that ends the exchange is the one with what came since.
      const parts = updateParts(Y.encodeStateAsUpdate(this.doc), this.doc, this.partBytes).map((part) => message(messageYjsUpdate, part));
      this.#kept = { at: Date.now(), sv, clocks: Y.decodeStateVector(sv), parts };
      if (this.#drop) clearTimeout(this.#drop);
      this.#drop = setTimeout(() => (this.#kept = null), this.keptMs);
    });
  }

  /**
   * The answer to `step1` (a sync message) from the kept encoding: the whole history, then a step 2
   * with what was written since it was encoded. What the peer holds already (its own join and profile)
   * comes again and changes nothing. Null when the peer holds some history or nothing is kept.
   */
  reply(step1: Uint8Array): Uint8Array[] | null {
    const kept = this.#kept;
    if (!kept || Date.now() - kept.at > this.keptMs) return null;
    const held = heldOf(step1, kept.clocks);
    if (held === null || held >= FIRST_PAGE_WANTED_BELOW) return null;
    return [...kept.parts, message(messageYjsSyncStep2, Y.encodeStateAsUpdate(this.doc, kept.sv))];
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#drop) clearTimeout(this.#drop);
    this.#timer = this.#drop = null;
    this.#kept = null;
  }
}
