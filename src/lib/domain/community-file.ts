// The community export file: every record of one community as JSON, so a community can be moved,
// backed up or seeded without a peer. A file is untrusted input: its envelope is validated here and
// each record structurally; signatures and authority are left to the validation gate, which checks
// imported records exactly as it checks records from a peer.
import * as v from 'valibot';
import { parseRecord, type AnyRecord } from './record';

export const COMMUNITY_FILE_FORMAT = 'hearth-community';
export const COMMUNITY_FILE_VERSION = 1;
/** Larger files are refused before reading: ~100k records of a busy community take ~50 MB. */
export const MAX_COMMUNITY_FILE_BYTES = 512 * 1024 * 1024;
export const MAX_COMMUNITY_FILE_RECORDS = 2_000_000;

export type CommunityFileReason = 'community_file.unreadable' | 'community_file.invalid' | 'community_file.too_large' | 'community_file.no_genesis';

export interface CommunityFile {
  format: typeof COMMUNITY_FILE_FORMAT;
  version: typeof COMMUNITY_FILE_VERSION;
  cid: string;
  records: AnyRecord[];
}

export interface ParsedCommunityFile {
  cid: string;
  /** Structurally valid records of this community, each id once, genesis first. */
  records: AnyRecord[];
  /** Entries that are not records of this community (malformed, another community, duplicates). */
  skipped: number;
}

export type CommunityFileResult = { ok: true; value: ParsedCommunityFile } | { ok: false; reason: CommunityFileReason };

const EnvelopeSchema = v.object({
  format: v.literal(COMMUNITY_FILE_FORMAT),
  version: v.literal(COMMUNITY_FILE_VERSION),
  cid: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/)),
  records: v.pipe(v.array(v.unknown()), v.maxLength(MAX_COMMUNITY_FILE_RECORDS))
});

/** The file text for a community; records are written as they are (the gate re-checks them on import). */
export function communityFileText(cid: string, records: readonly AnyRecord[]): string {
  const file: CommunityFile = { format: COMMUNITY_FILE_FORMAT, version: COMMUNITY_FILE_VERSION, cid, records: [...records] };
  return JSON.stringify(file);
}

export type EnvelopeResult = { ok: true; value: { cid: string; entries: unknown[] } } | { ok: false; reason: CommunityFileReason };

/** First step of parsing: the JSON and its envelope. Cheap next to the per-record step, which callers may run in chunks. */
export function readCommunityFile(text: string): EnvelopeResult {
  if (text.length > MAX_COMMUNITY_FILE_BYTES) return { ok: false, reason: 'community_file.too_large' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'community_file.unreadable' };
  }
  const parsed = v.safeParse(EnvelopeSchema, json);
  if (!parsed.success) {
    const tooMany = Array.isArray((json as { records?: unknown })?.records) && (json as { records: unknown[] }).records.length > MAX_COMMUNITY_FILE_RECORDS;
    return { ok: false, reason: tooMany ? 'community_file.too_large' : 'community_file.invalid' };
  }
  return { ok: true, value: { cid: parsed.output.cid, entries: parsed.output.records } };
}

/** Collects the records of one community from file entries; feed it chunks, then call `finish`. */
export class CommunityFileRecords {
  readonly #cid: string;
  readonly #seen = new Set<string>();
  readonly #records: AnyRecord[] = [];
  #genesis: AnyRecord | null = null;
  #skipped = 0;

  constructor(cid: string) {
    this.#cid = cid;
  }

  add(entries: readonly unknown[]): void {
    for (const entry of entries) {
      const parsed = parseRecord(entry);
      const r = parsed.ok ? parsed.value : null;
      const ours = r && (r.kind === 'genesis' ? r.id === this.#cid : r.cid === this.#cid);
      if (!r || !ours || this.#seen.has(r.id)) {
        this.#skipped++;
        continue;
      }
      this.#seen.add(r.id);
      if (r.kind === 'genesis') this.#genesis = r;
      else this.#records.push(r);
    }
  }

  /** A file must carry its genesis: it says who created the community, and nothing shows without it. */
  finish(): CommunityFileResult {
    if (!this.#genesis) return { ok: false, reason: 'community_file.no_genesis' };
    return { ok: true, value: { cid: this.#cid, records: [this.#genesis, ...this.#records], skipped: this.#skipped } };
  }
}

export function parseCommunityFile(text: string): CommunityFileResult {
  const envelope = readCommunityFile(text);
  if (!envelope.ok) return envelope;
  const collector = new CommunityFileRecords(envelope.value.cid);
  collector.add(envelope.value.entries);
  return collector.finish();
}
