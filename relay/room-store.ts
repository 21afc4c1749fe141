// A relay's disk: per room a snapshot (the whole document, rewritten at most every few seconds) and
// an append-only log of the updates applied since. An update a client sent is appended before it
// is applied and acknowledged, so an acknowledged write survives the process being killed.
//
// A full disk (ENOSPC, or the operator's --max-data-mb) refuses writes with `relay.disk_full`;
// reading never needs the disk beyond loading a room, so every connected client keeps reading.
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { parseRelayRoom } from '../src/lib/sync/relay-rooms';

export type StoreResult = { ok: true } | { ok: false; reason: 'relay.disk_full' | 'relay.disk_error'; detail: string };

/** When a snapshot is rewritten: once the log holds `minLogBytes` and `logShare` of the snapshot's bytes. */
export interface Compaction {
  minLogBytes: number;
  logShare: number;
}

export const DEFAULT_COMPACTION: Compaction = { minLogBytes: 4 * 1024 * 1024, logShare: 0.25 };

/** Room names are base64url hashes, with a shard's id after a dot (sync/relay-rooms.ts); anything else never reaches the disk. */
const ROOM = /^[A-Za-z0-9_-]{1,128}(?:\.(?:core|\d{4}-\d{2}))?$/;

/** A snapshot of an empty document (Y.encodeStateAsUpdate of one): a month's room a client only looked into. */
const EMPTY_SNAPSHOT_BYTES = 2;
const MONTH_FILE = /^([A-Za-z0-9_-]{1,128})\.(\d{4}-\d{2})\.(snapshot|log)$/;

export class RoomStore {
  #bytes = 0;
  /** Per community room, its months' rooms holding anything: a logged update, or a snapshot past an empty document's. */
  #months = new Map<string, Set<string>>();
  /** Told when a community's month room first holds anything (the relay tells the core room's members). */
  onMonth: (community: string, month: string) => void = () => {};

  constructor(
    readonly dir: string,
    /** Refuse writes past this many bytes in `dir` (0: only the disk's own limit). */
    readonly maxBytes = 0,
    readonly compaction: Compaction = DEFAULT_COMPACTION,
    /** Bytes kept beside the rooms under the same quota (the relay's attachment chunks). */
    readonly otherBytes: () => number = () => 0
  ) {
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(dir)) {
      try {
        const size = statSync(join(dir, name)).size;
        this.#bytes += size;
        const month = MONTH_FILE.exec(name);
        if (month && size > (month[3] === 'snapshot' ? EMPTY_SNAPSHOT_BYTES : 0)) this.#noteMonth(`${month[1]}.${month[2]}`, false);
      } catch {
        // a file removed meanwhile counts nothing
      }
    }
  }

  /**
   * The months a community's relay rooms hold anything of (`<community>.<YYYY-MM>`), oldest first:
   * what a member's device that meets no peer visits, however far back (sync/sharded-community.ts).
   */
  months(community: string): string[] {
    return [...(this.#months.get(community) ?? [])].sort();
  }

  #noteMonth(room: string, tell = true): void {
    const parsed = parseRelayRoom(room);
    if (!parsed?.shard || parsed.shard === 'core') return;
    let months = this.#months.get(parsed.community);
    if (!months) this.#months.set(parsed.community, (months = new Set()));
    if (months.has(parsed.shard)) return;
    months.add(parsed.shard);
    if (tell) this.onMonth(parsed.community, parsed.shard);
  }

  static validRoom(room: string): boolean {
    return ROOM.test(room) && parseRelayRoom(room) !== null;
  }

  get bytes(): number {
    return this.#bytes;
  }

  #paths(room: string) {
    if (!ROOM.test(room)) throw new Error(`not a room name: ${room}`);
    return { snapshot: join(this.dir, `${room}.snapshot`), log: join(this.dir, `${room}.log`) };
  }

  /** The snapshot and then every logged update, in order (a torn last entry is skipped). */
  load(room: string): Uint8Array[] {
    const { snapshot, log } = this.#paths(room);
    const updates: Uint8Array[] = [];
    if (existsSync(snapshot)) updates.push(new Uint8Array(readFileSync(snapshot)));
    if (existsSync(log)) {
      const d = decoding.createDecoder(new Uint8Array(readFileSync(log)));
      try {
        while (decoding.hasContent(d)) updates.push(decoding.readVarUint8Array(d));
      } catch {
        // the process died inside an append: what came before is whole
      }
    }
    return updates;
  }

  #refuse(error: unknown): StoreResult {
    const code = (error as NodeJS.ErrnoException)?.code;
    return code === 'ENOSPC' || code === 'EDQUOT'
      ? { ok: false, reason: 'relay.disk_full', detail: String(error) }
      : { ok: false, reason: 'relay.disk_error', detail: String(error) };
  }

  /** Appends one update synchronously (so it is on disk before the caller acknowledges it). */
  append(room: string, update: Uint8Array): StoreResult {
    // An empty update (a client's step 2 of a month it holds nothing of) changes nothing.
    if (update.length === EMPTY_SNAPSHOT_BYTES && update[0] === 0 && update[1] === 0) return { ok: true };
    const e = encoding.createEncoder();
    encoding.writeVarUint8Array(e, update);
    const bytes = encoding.toUint8Array(e);
    if (this.maxBytes && this.#bytes + this.otherBytes() + bytes.length > this.maxBytes) {
      return { ok: false, reason: 'relay.disk_full', detail: `data directory over ${this.maxBytes} bytes` };
    }
    try {
      appendFileSync(this.#paths(room).log, bytes);
      this.#bytes += bytes.length;
      this.#noteMonth(room);
      return { ok: true };
    } catch (error) {
      return this.#refuse(error);
    }
  }

  /**
   * Whether rewriting the snapshot is worth it: the whole document is encoded and written each time,
   * so it waits until the log is large in itself and against the snapshot (the log alone keeps every
   * write safe; it only makes loading slower). Amortised, a logged byte costs at most four written.
   */
  compactDue(room: string): boolean {
    const { snapshot, log } = this.#paths(room);
    const size = (path: string) => (existsSync(path) ? statSync(path).size : 0);
    const logBytes = size(log);
    return logBytes >= this.compaction.minLogBytes && logBytes >= this.compaction.logShare * size(snapshot);
  }

  /** Replaces the snapshot with `state` and empties the log (both synchronous: no append slips between). */
  compact(room: string, state: Uint8Array): StoreResult {
    const { snapshot, log } = this.#paths(room);
    const before = (existsSync(snapshot) ? statSync(snapshot).size : 0) + (existsSync(log) ? statSync(log).size : 0);
    if (this.maxBytes && this.#bytes + this.otherBytes() - before + state.length > this.maxBytes) {
      return { ok: false, reason: 'relay.disk_full', detail: `data directory over ${this.maxBytes} bytes` };
    }
    try {
      writeFileSync(`${snapshot}.tmp`, state);
      renameSync(`${snapshot}.tmp`, snapshot);
      writeFileSync(log, new Uint8Array(0));
      this.#bytes += state.length - before;
      if (state.length > EMPTY_SNAPSHOT_BYTES) this.#noteMonth(room);
      return { ok: true };
    } catch (error) {
      return this.#refuse(error);
    }
  }
}
