// The relay's gate for one room: what of a client's update may be stored and fanned out. The same
// checks as the app's (crypto/record-seal checkRecord, gate.isExactJson, domain/authority), run
// before anything touches the document, so a relay never stores or forwards what an honest device
// would refuse to show.
//
// Per entry of the update: junk (not a plain `records` entry) and entries that fail the record
// check become GC; records whose author the authority does not accept (yet) are held back (see
// sync/update-entries.ts), to come again when the relay knows more. The writer itself must be a
// member (or a newcomer whose join waits for an admit): a relay stores nothing for a key that
// proved nothing or belongs to no member.
//
// A shard's room (sync/relay-rooms.ts) keeps only records of its shard (domain/shards `shardOf`,
// read on the bytes as the devices' shard gate does: the rest is GC, counted as `wrongShard`). A
// month's room has no genesis nor authority records: its community and authority are its core
// room's (`core`), and while that is not known the update is refused (`relay.no_core`) rather
// than judged on nothing.
import * as Y from 'yjs';
import { checkRecord, WEB_RECORD_CRYPTO, type RecordCrypto } from '../src/lib/crypto/record-seal';
import { computeAuthority, AUTHORITY_KINDS, type Authority } from '../src/lib/domain/authority';
import type { AnyRecord, SignedRecord } from '../src/lib/domain/record';
import { isExactJson } from '../src/lib/sync/gate';
import { filterUpdate } from '../src/lib/sync/update-filter';
import { CORE_SHARD, type ShardId } from '../src/lib/domain/shards';
import { shardEntryFilter } from '../src/lib/sync/shards/shard-gate';
import { readUpdateStructs, rewriteUpdate, structKey, type UpdateStructs, type Verdict } from '../src/lib/sync/update-entries';

export type Judgement =
  | { ok: true; update: Uint8Array | null; dropped: number; held: number; junk: number; wrongShard: number }
  | { ok: false; reason: 'update.malformed' | 'relay.not_member' | 'relay.no_proof' | 'relay.no_core' };

export interface RoomGateOptions {
  /** The shard the room holds; null or absent: a community's single document. */
  shard?: ShardId | null;
  /** For a month's room: the gate of the community's core room, whose genesis and authority judge it. */
  core?: () => RoomGate | null;
}

/** Signature checks run this many at a time (WebCrypto is asynchronous, not free). */
const CHECK_SLICE = 256;

export class RoomGate {
  #genesis: SignedRecord<'genesis'> | null = null;
  #authority: Authority | null = null;
  #dirty = true;
  /** Authority changes seen; a hold remembers the count it was judged under. */
  #version = 0;
  #heldAt: number | null = null;
  readonly records: Y.Map<unknown>;

  constructor(
    readonly doc: Y.Doc,
    /** Node's synchronous primitives in the relay (node-record-crypto.ts); WebCrypto's by default. */
    readonly crypto: RecordCrypto = WEB_RECORD_CRYPTO,
    readonly options: RoomGateOptions = {}
  ) {
    this.records = doc.getMap('records');
    // Whatever reaches the map (this gate, another relay through Redis, the disk) may change authority.
    this.records.observe((event) => {
      for (const key of event.keysChanged) {
        const r = this.records.get(key) as AnyRecord | undefined;
        if (!r || typeof r !== 'object') continue;
        if (r.kind === 'genesis' && !this.#genesis) this.#genesis = r as SignedRecord<'genesis'>;
        if (this.#affects(r)) {
          this.#dirty = true;
          this.#version++;
        }
      }
    });
    for (const r of this.records.values() as IterableIterator<AnyRecord>) {
      if (r && typeof r === 'object' && r.kind === 'genesis' && !this.#genesis) this.#genesis = r as SignedRecord<'genesis'>;
    }
  }

  /** Something was held back and the authority changed since: clients should send it again. */
  resyncDue(): boolean {
    return this.#heldAt !== null && this.version !== this.#heldAt;
  }

  resynced(): void {
    this.#heldAt = null;
  }

  /** The shard the room holds (null: the whole community). */
  get shard(): ShardId | null {
    return this.options.shard ?? null;
  }

  /** A month's room: judged with its core room's authority. */
  get isMonth(): boolean {
    return this.shard !== null && this.shard !== CORE_SHARD;
  }

  /** Authority changes seen (a month's room: its core's). */
  get version(): number {
    return this.isMonth ? (this.options.core?.()?.version ?? -1) : this.#version;
  }

  get cid(): string | null {
    return this.isMonth ? (this.options.core?.()?.cid ?? null) : (this.#genesis?.id ?? null);
  }

  #affects(r: AnyRecord): boolean {
    const a = this.#authority;
    return AUTHORITY_KINDS.has(r.kind) || r.kind === 'tombstone' || (!!a && a.restricted.has(r.author));
  }

  /** The authority over the stored records, plus `extra` (records of the update being judged). */
  authority(extra: AnyRecord[] = []): Authority | null {
    if (this.isMonth) return this.options.core?.()?.authority(extra) ?? null;
    const genesis = this.#genesis ?? (extra.find((r) => r.kind === 'genesis') as SignedRecord<'genesis'> | undefined) ?? null;
    if (!genesis) return null;
    const relevant = extra.filter((r) => this.#affects(r));
    if (!this.#dirty && this.#authority && !relevant.length) return this.#authority;
    const all = [...(this.records.values() as IterableIterator<AnyRecord>), ...relevant];
    const authority = computeAuthority(genesis, all);
    if (!relevant.length) {
      this.#authority = authority;
      this.#dirty = false;
    }
    return authority;
  }

  /**
   * Judges a client's update. `writer` is the key the connection proved (null: none). The result's
   * `update` is what may be applied (null: nothing new).
   */
  async judge(update: Uint8Array, writer: string | null): Promise<Judgement> {
    let wrongShard = 0;
    const shard = this.shard;
    const filtered = filterUpdate(update, {
      root: 'records',
      doc: this.doc,
      maxStructs: Infinity,
      maxBytes: Infinity,
      keepEntry: shard === null ? undefined : shardEntryFilter(shard, () => wrongShard++)
    });
    if (!filtered.ok) return { ok: false, reason: 'update.malformed' };
    const clean = filtered.value.pieces.length === 1 ? filtered.value.pieces[0] : Y.mergeUpdates(filtered.value.pieces);
    let parsed: UpdateStructs;
    try {
      parsed = readUpdateStructs(clean, this.doc);
    } catch {
      return { ok: false, reason: 'update.malformed' };
    }
    const state = Y.decodeStateVector(Y.encodeStateVector(this.doc));
    // Only what the document lacks is judged: Yjs ignores the rest.
    const fresh = parsed.structs.filter((s) => s.kind === 'entry' && s.clock + s.length > (state.get(s.client) ?? 0));
    if (!fresh.length && !parsed.structs.some((s) => s.clock + s.length > (state.get(s.client) ?? 0))) {
      return { ok: true, update: null, dropped: 0, held: 0, junk: filtered.value.junkItems, wrongShard };
    }
    if (writer === null) return { ok: false, reason: 'relay.no_proof' };
    if (this.isMonth && !this.cid) {
      // Asked again (resyncDue) once the core room has loaded or received its genesis.
      if (this.#heldAt === null) this.#heldAt = this.version;
      return { ok: false, reason: 'relay.no_core' };
    }
    const verdicts = new Map<string, Verdict>();
    // The community of a room is its genesis; an empty room takes the first valid one it is sent.
    let cid = this.cid;
    if (!cid) {
      for (const s of fresh) {
        const value = s.values?.[0] as { kind?: unknown; id?: unknown } | undefined;
        const key = s.key;
        if (
          key !== null &&
          s.values?.length === 1 &&
          value?.kind === 'genesis' &&
          value.id === key &&
          (await checkRecord(value, { cid: key, key }, this.crypto)).ok
        ) {
          cid = s.key;
          break;
        }
      }
    }
    const valid: { key: string; record: AnyRecord }[] = [];
    for (let i = 0; i < fresh.length; i += CHECK_SLICE) {
      // Synchronous checks would otherwise hold the event loop for a whole first sync.
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 0));
      await Promise.all(
        fresh.slice(i, i + CHECK_SLICE).map(async (s) => {
          const value = s.values?.length === 1 ? s.values[0] : undefined;
          if (!cid || s.key === null || value === undefined || !isExactJson(value)) {
            verdicts.set(structKey(s.client, s.clock), s.key === null ? 'hold' : 'drop');
            return;
          }
          const checked = await checkRecord(value, { cid, key: s.key }, this.crypto);
          if (!checked.ok) verdicts.set(structKey(s.client, s.clock), 'drop');
          else valid.push({ key: structKey(s.client, s.clock), record: checked.value });
        })
      );
    }
    const authority = this.authority(valid.map((v) => v.record));
    const isWriter = !!authority && (authority.isMember(writer) || authority.pending.has(writer));
    if (!isWriter) return { ok: false, reason: 'relay.not_member' };
    for (const { key, record } of valid) {
      // A join stays even while it waits for an admit: staff devices must see it to admit it.
      const shown = record.kind === 'genesis' || record.kind === 'join' || authority.accepts(record);
      verdicts.set(key, shown ? 'keep' : 'hold');
    }
    const out = rewriteUpdate(parsed, clean, this.doc, verdicts);
    if (out.held && this.#heldAt === null) this.#heldAt = this.version;
    return { ok: true, update: out.update, dropped: out.dropped, held: out.held, junk: filtered.value.junkItems, wrongShard };
  }
}
