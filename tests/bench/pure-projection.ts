// The projection as pure functions in Node, without IndexedDB or a browser: authority from the
// signed records, then every thread, reply and member row. Isolates the projection's own cost
// from storage and signature checks, which the in-page import figure includes.
import { readFileSync } from 'node:fs';
import { computeAuthority } from '../../src/lib/domain/authority';
import { parseCommunityFile } from '../../src/lib/domain/community-file';
import { projectCommunity, projectMembers } from '../../src/lib/domain/posts';
import type { SignedRecord } from '../../src/lib/domain/record';

/** Median of `runs` timed runs after one untimed warm-up run (so the figure is not mostly JIT compilation). */
export function pureProjectionMs(file: string, runs = 5): { medianMs: number; threads: number; replies: number; members: number } {
  const parsed = parseCommunityFile(readFileSync(file, 'utf8'));
  if (!parsed.ok) throw new Error(`${file}: ${parsed.reason}`);
  const records = parsed.value.records;
  const genesis = records[0] as SignedRecord<'genesis'>;
  const times: number[] = [];
  let last = { threads: 0, replies: 0, members: 0 };
  for (let i = 0; i <= runs; i++) {
    const started = performance.now();
    const auth = computeAuthority(genesis, records);
    const { threads, replies } = projectCommunity(records, auth);
    const members = projectMembers(genesis.id, records, auth);
    if (i > 0) times.push(performance.now() - started);
    last = { threads: threads.length, replies: replies.length, members: members.length };
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(runs / 2)], ...last };
}
