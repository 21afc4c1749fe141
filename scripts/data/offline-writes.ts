// Writes one member makes while offline, for the sync merge benchmark: a realistic mix of new
// threads, replies (to the community's existing threads and to the member's own new ones) and
// reactions, signed with the member's seeded key and written as a community file that the app
// imports like any other (it carries the genesis so the file is self-describing; records already
// on the device are skipped by the import).
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
  /** Existing threads and replies, the targets of new replies and reactions. */
  threads: { id: string; replies: string[] }[];
  titles: string[];
  bodies: string[];
}

/** What the writes draw on: the posts of a community file (titles and bodies are reused as text). */
export function sampleCommunity(file: string): CommunitySample {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { cid: string; records: AnyRecord[] };
  const threads = new Map<string, string[]>();
  const titles: string[] = [];
  const bodies: string[] = [];
  let genesis: AnyRecord | undefined;
  for (const r of parsed.records) {
    if (r.kind === 'genesis') genesis = r;
    else if (r.kind === 'thread') {
      threads.set(r.id, threads.get(r.id) ?? []);
      titles.push(r.body.title);
    }
  }
  for (const r of parsed.records) {
    if (r.kind !== 'reply') continue;
    threads.get(r.body.thread)?.push(r.id);
    // Long answers are cut, so a session's size stays that of everyday writing.
    bodies.push(r.body.body.slice(0, 1200));
  }
  if (!genesis) throw new Error(`${file} has no genesis`);
  return { cid: parsed.cid, genesis, threads: [...threads].map(([id, replies]) => ({ id, replies })), titles, bodies };
}

/**
 * `count` records by `member`, timestamped from `from` on, one every 20 ms (after the member's join).
 * Reactions never repeat a (target, emoji) pair, so every record is a distinct fact.
 */
export async function offlineWrites(
  sample: CommunitySample,
  member: Identity,
  options: { count: number; from: number; seed: string; label: string }
): Promise<AnyRecord[]> {
  const rng = new Random(options.seed);
  const cid = sample.cid;
  const own: { id: string; replies: string[] }[] = [];
  const reacted = new Set<string>();
  const out: AnyRecord[] = [];
  for (let i = 0; i < options.count; i++) {
    const ts = options.from + i * 20;
    const roll = rng.next();
    let record: AnyRecord;
    if (roll < OFFLINE_MIX.thread || (own.length === 0 && roll < OFFLINE_MIX.thread + OFFLINE_MIX.reply)) {
      record = await sealRecord(member, { kind: 'thread', cid, ts, body: { title: `${rng.pick(sample.titles)} (${options.label} ${i})`, body: rng.pick(sample.bodies) } });
      own.push({ id: record.id, replies: [] });
    } else if (roll < OFFLINE_MIX.thread + OFFLINE_MIX.reply) {
      // Six in ten replies go to the community's existing threads, the rest to this session's own.
      const thread = rng.next() < 0.6 ? rng.pick(sample.threads) : rng.pick(own);
      const parent = thread.replies.length && rng.next() < 0.3 ? rng.pick(thread.replies) : thread.id;
      record = await sealRecord(member, { kind: 'reply', cid, ts, body: { thread: thread.id, parent, body: `${rng.pick(sample.bodies)}\n\n(${options.label} ${i})` } });
      thread.replies.push(record.id);
    } else {
      let target = '';
      let emoji = '';
      do {
        const thread = rng.next() < 0.7 ? rng.pick(sample.threads) : own.length ? rng.pick(own) : rng.pick(sample.threads);
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
