// Time to evaluate every automation rule and every member's tier and trust level, as the creator's
// device does on each run, from the community's records alone (Node, pure functions, no storage).
// `rules.evaluate_all_ms` covers: authority, settings, tier status of every member, trust levels of
// every member, and all rules (welcome, reminders, digest, nudges).
import { readFileSync } from 'node:fs';
import { computeAuthority } from '../../src/lib/domain/authority';
import { evaluateRules } from '../../src/lib/domain/automation';
import { parseCommunityFile } from '../../src/lib/domain/community-file';
import { currentSettings, memberTier, tierDefinitions, trustLevels } from '../../src/lib/domain/membership';
import type { AnyRecord, SignedRecord } from '../../src/lib/domain/record';

export function rulesEvaluateMs(file: string, runs = 5): { medianMs: number; members: number; actions: number } {
  const parsed = parseCommunityFile(readFileSync(file, 'utf8'));
  if (!parsed.ok) throw new Error(`${file}: ${parsed.reason}`);
  const records = parsed.value.records as AnyRecord[];
  const genesis = records[0] as SignedRecord<'genesis'>;
  const now = Math.max(...records.map((r) => r.ts)) + 86_400_000;
  const times: number[] = [];
  let last = { members: 0, actions: 0 };
  for (let i = 0; i <= runs; i++) {
    const started = performance.now();
    const auth = computeAuthority(genesis, records);
    const settings = currentSettings(records, auth);
    const tiers = tierDefinitions(records, auth);
    const payments = records.filter((r): r is SignedRecord<'payment'> => r.kind === 'payment');
    const memberTiers = [...auth.members.keys()].map((k) => memberTier(k, auth, tiers, payments, settings.graceDays, now));
    const trust = trustLevels(records, auth, settings, now);
    const names = new Map<string, string>();
    const lastActive = new Map<string, number>();
    for (const r of records) {
      if (r.kind === 'profile') names.set(r.author, r.body.name);
      if ((lastActive.get(r.author) ?? 0) < r.ts) lastActive.set(r.author, r.ts);
    }
    const actions = evaluateRules({ now, auth, settings, names, tiers: memberTiers, done: new Set(), lastActive, topThreads: [], openQuestions: [] });
    if (i > 0) times.push(performance.now() - started);
    last = { members: trust.size, actions: actions.length };
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(runs / 2)], ...last };
}
