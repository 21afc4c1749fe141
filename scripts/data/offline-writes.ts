// Writes one member makes while offline, for the sync merge benchmark: a realistic mix of new
// threads, replies (to the community's existing threads and to the member's own new ones) and
// reactions, with texts taken from the real community, signed with the member's seeded key and
// written as a community file that the app imports like any other (the file carries the genesis,
// which the format requires; records already on the device are skipped by the import).
import { readFileSync, writeFileSync } from 'node:fs';
import { sealRecord } from '../../src/lib/crypto/record-seal';
import type { Identity } from '../../src/lib/crypto/identity';
import { communityFileText } from '../../src/lib/domain/community-file';
import type { AnyRecord } from '../../src/lib/domain/record';
import { Random } from './random';

/** Shares of an offline session: replies dominate as in the real data (453 threads, 3,419 replies). */
export const OFFLINE_MIX = { thread: 0.08, reply: 0.62, reaction: 0.3 } as const;
/** The reaction bar's choices (src/lib/ui/reaction-bar.svelte). */
const EMOJI = ['👍', '❤️', '🎉', '😂', '🤔', '👀'];

export interface CommunitySample {
  cid: string;
  genesis: AnyRecord;
  /** Existing threads and their replies, the targets of new replies and reactions. */
  threads: { id: string; replies: string[] }[];
}

/** Text to write with: real thread titles and reply bodies (long answers cut to everyday length). */
export interface WritingSample {
  titles: string[];
  bodies: string[];
}

/** Threads and replies of a community, from its records. */
export function sampleRecords(cid: string, records: readonly AnyRecord[]): CommunitySample {
  const threads = new Map<string, string[]>();
  let genesis: AnyRecord | undefined;
  for (const r of records) {
    if (r.kind === 'genesis') genesis = r;
    else if (r.kind === 'thread') threads.set(r.id, threads.get(r.id) ?? []);
  }
  for (const r of records) if (r.kind === 'reply') threads.get(r.body.thread)?.push(r.id);
  if (!genesis) throw new Error(`community ${cid} has no genesis`);
  if (threads.size === 0) throw new Error(`community ${cid} has no thread to reply to`);
  return { cid, genesis, threads: [...threads].map(([id, replies]) => ({ id, replies })) };
}

export function readRecords(file: string): { cid: string; records: AnyRecord[] } {
  return JSON.parse(readFileSync(file, 'utf8')) as { cid: string; records: AnyRecord[] };
}

export function writingSample(records: readonly AnyRecord[]): WritingSample {
  const titles: string[] = [];
  const bodies: string[] = [];
  for (const r of records) {
    if (r.kind === 'thread') titles.push(r.body.title);
    else if (r.kind === 'reply') bodies.push(r.body.body.slice(0, 1200));
  }
  return { titles, bodies };
}

/**
 * `count` records by `member`, timestamped from `from` on, one every 20 ms (after the member's join).
 * Reactions never repeat a (target, emoji) pair, so every record is a distinct fact.
 */
export async function offlineWrites(
  sample: CommunitySample,
  text: WritingSample,
  member: Identity,
  options: { count: number; from: number; seed: string; label: string }
): Promise<AnyRecord[]> {
  const rng = new Random(options.seed);
  const cid = sample.cid;
  // Copies: the replies written here become targets too, but never for another member's session.
  const existing = sample.threads.map((t) => ({ id: t.id, replies: [...t.replies] }));
  const own: { id: string; replies: string[] }[] = [];
  const reacted = new Set<string>();
  const out: AnyRecord[] = [];
  for (let i = 0; i < options.count; i++) {
    const ts = options.from + i * 20;
    const roll = rng.next();
    let record: AnyRecord;
    if (roll < OFFLINE_MIX.thread || (own.length === 0 && roll < OFFLINE_MIX.thread + OFFLINE_MIX.reply)) {
      record = await sealRecord(member, {
        kind: 'thread',
        cid,
        ts,
        body: { title: `${rng.pick(text.titles)} (${options.label} ${i})`, body: rng.pick(text.bodies) }
      });
      own.push({ id: record.id, replies: [] });
    } else if (roll < OFFLINE_MIX.thread + OFFLINE_MIX.reply) {
      // Six in ten replies go to the community's existing threads, the rest to this session's own.
      const thread = rng.next() < 0.6 ? rng.pick(existing) : rng.pick(own);
      const parent = thread.replies.length && rng.next() < 0.3 ? rng.pick(thread.replies) : thread.id;
      record = await sealRecord(member, {
        kind: 'reply',
        cid,
        ts,
        body: { thread: thread.id, parent, body: `${rng.pick(text.bodies)}\n\n(${options.label} ${i})` }
      });
      thread.replies.push(record.id);
    } else {
      let target = '';
      let emoji = '';
      do {
        const thread = rng.next() < 0.7 ? rng.pick(existing) : own.length ? rng.pick(own) : rng.pick(existing);
        target = thread.replies.length && rng.next() < 0.6 ? rng.pick(thread.replies) : thread.id;
        emoji = rng.pick(EMOJI);
      } while (reacted.has(`${target} ${emoji}`));
      reacted.add(`${target} ${emoji}`);
      record = await sealRecord(member, { kind: 'reaction', cid, ts, body: { target, emoji, on: true } });
    }
    out.push(record);
  }
  return out;
}

/** Writes the member's records as a community file (genesis first) and returns its path. */
export function writeOfflineFile(path: string, sample: CommunitySample, records: AnyRecord[]): string {
  writeFileSync(path, communityFileText(sample.cid, [sample.genesis, ...records]));
  return path;
}
