// The projection as pure functions in Node, without IndexedDB or a browser: authority from the
// signed records, then every thread, reply and member row. Isolates the projection's own cost
// from storage and signature checks, which the in-page import figure includes.
import { readFileSync } from 'node:fs';
import { computeAuthority } from '../../src/lib/domain/authority';
import { parseCommunityFile } from '../../src/lib/domain/community-file';
import { projectCommunity, projectMembers } from '../../src/lib/domain/posts';
import { SEALABLE, type AnyRecord, type SealableKind, type SignedRecord } from '../../src/lib/domain/record';
import { openContent, sealContent } from '../../src/lib/crypto/content-seal';
import type { EpochKey, Keyring } from '../../src/lib/crypto/epoch-keys';

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

/**
 * `crypto.project_overhead_pct`: the same pure projection over the community with every sealable
 * record sealed under one `all` epoch key (sealed beforehand, not timed), opened in slices of 500 as
 * the app's `openSealed` does, against the plaintext projection; medians of `runs`, same process.
 * Storage is left out on both sides, so this is the overhead's upper bound: in the page the
 * projection also writes IndexedDB, which the opening does not add to.
 */
export async function projectionOverhead(
  file: string,
  runs = 3
): Promise<{ plainMs: number; sealedMs: number; openMs: number; overheadPct: number; sealed: number }> {
  const parsed = parseCommunityFile(readFileSync(file, 'utf8'));
  if (!parsed.ok) throw new Error(`${file}: ${parsed.reason}`);
  const records = parsed.value.records;
  const genesis = records[0] as SignedRecord<'genesis'>;
  const key: EpochKey = { epoch: 'bench-epoch', scope: 'all', ts: 0, raw: crypto.getRandomValues(new Uint8Array(32)) };
  const keyring: Keyring = new Map([[key.epoch, key]]);
  const stored: AnyRecord[] = [];
  let sealed = 0;
  for (const r of records) {
    if (!(r.kind in SEALABLE)) {
      stored.push(r);
      continue;
    }
    const out = await sealContent({ cid: r.cid, author: r.author, ts: r.ts, prev: r.prev }, r.kind as SealableKind, r.body as never, key);
    if (!out.ok) throw new Error(`sealing ${r.id}: ${out.reason}`);
    stored.push({
      id: r.id,
      kind: 'sealed',
      cid: r.cid,
      author: r.author,
      ts: r.ts,
      ...(r.prev ? { prev: r.prev } : {}),
      body: out.value,
      sig: r.sig
    } as AnyRecord);
    sealed++;
  }
  const project = (list: AnyRecord[]) => {
    const auth = computeAuthority(genesis, list);
    projectCommunity(list, auth);
    projectMembers(genesis.id, list, auth);
  };
  const open = async (): Promise<AnyRecord[]> => {
    const out: AnyRecord[] = [];
    for (let i = 0; i < stored.length; i += 500) {
      const slice = stored.slice(i, i + 500);
      const opened = await Promise.all(
        slice.map(async (r) => {
          if (r.kind !== 'sealed') return r;
          const o = await openContent(r as SignedRecord<'sealed'>, keyring);
          if (!o.ok) throw new Error(`opening ${r.id}: ${o.reason}`);
          return { ...r, kind: o.value.kind, body: o.value.body } as AnyRecord;
        })
      );
      out.push(...opened);
    }
    return out;
  };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const plain: number[] = [];
  const withOpen: number[] = [];
  const opening: number[] = [];
  project(records); // warm-up
  await open();
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    project(records);
    plain.push(performance.now() - t);
    t = performance.now();
    const opened = await open();
    const openedAt = performance.now();
    project(opened);
    withOpen.push(performance.now() - t);
    opening.push(openedAt - t);
  }
  const plainMs = median(plain);
  const sealedMs = median(withOpen);
  return { plainMs, sealedMs, openMs: median(opening), overheadPct: ((sealedMs - plainMs) / plainMs) * 100, sealed };
}
