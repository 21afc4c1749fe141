// Runs the automation rules on a device that holds the creator's or an admin's key: at start,
// every minute while open, and after sync brings new records. Actions are signed records like any
// member's, marked with their rule, key and this device's name.
import type { Identity } from '../crypto/identity';
import { sealNext } from '../store/record-chain';
import { evaluateRules, type Action } from '../domain/automation';
import type { AnyRecord } from '../domain/record';
import type { HearthDb } from '../store/db';
import type { DocHandle as CommunityDoc } from '../sync/doc-handle';
import { communityFacts, type MemberStatsSource } from './community-facts';
import { admitPending, closeExpiredInvites } from './admissions';
import { writeCheckpoint } from './checkpoint';
import { maintainKeys } from './keys';
import { digestTopThreads } from '../domain/digest-picks';
import { pointRules, pointsLevels } from '../domain/points';
import { recordsOfKind } from '../store/record-store';

const EVERY_MS = 60_000;
const POINTS_DELAY_MS = 10_000;
/**
 * After a join, the rest of a run (checkpoint, member stats, rules) waits twice as long as the last
 * run took, at most this long; the newcomer's admission and key go out at once. The device is then
 * serving the newcomer's first page and history: at 10,000 members a run reads every record for
 * the member stats (4 s of a core, most of it IndexedDB and garbage collection), and a newcomer's
 * first page took 2.0 s to check and store beside it against 1.3 s without it (profile-join.ts,
 * traced). A small community's run takes tens of milliseconds: its welcome waits as long.
 */
export const JOIN_YIELD_MAX_MS = 15_000;
/** Trust and level records written in one append at most (`runAutomation`). */
const PER_APPEND = 200;
/** Kinds that earn points (domain/points). */
const POINT_KINDS: ReadonlySet<string> = new Set(['thread', 'reply', 'answer', 'accept', 'feature', 'checkin', 'reaction', 'upvote']);

export function deviceName(): string {
  if (typeof navigator === 'undefined') return 'device';
  const ua = navigator.userAgent;
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad/.test(ua)
      ? 'iOS'
      : /Mac/.test(ua)
        ? 'Mac'
        : /Windows/.test(ua)
          ? 'Windows'
          : /Linux/.test(ua)
            ? 'Linux'
            : 'device';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Chrom/.test(ua) ? 'Chromium' : /Firefox/.test(ua) ? 'Firefox' : /Safari/.test(ua) ? 'Safari' : 'browser';
  return `${browser} on ${os}`;
}

/**
 * One evaluation: returns the actions taken. Safe to call from several devices at once. `between`
 * runs before each action is written: a run may write hundreds of them (every member's trust and
 * level after an import), and a newcomer's admission and key must not wait behind them.
 */
export async function runAutomation(
  db: HearthDb,
  doc: CommunityDoc,
  identity: Identity,
  memberStats: MemberStatsSource,
  now = Date.now(),
  device = deviceName(),
  between: () => Promise<void> = async () => {}
): Promise<Action[]> {
  const facts = await communityFacts(db, doc.cid, now);
  if (!facts) return [];
  const role = facts.auth.roleOf(identity.publicKey);
  if (role !== 'creator' && role !== 'admin') return [];
  const stats = await memberStats(doc.cid, now);
  if (!stats) return [];
  const published = new Map<string, number>();
  for (const r of await recordsOfKind(db, doc.cid, 'trust')) {
    if (r.kind === 'trust') published.set(r.body.member, (published.get(r.body.member) ?? 0) + 1);
  }
  // Read in one transaction, and judged once it has committed: the rules over 10,000 members (5 s on
  // the loaded 10k creator's device) run in the last read's success event held that transaction over
  // thread rows and records, and every page's read after the write queued behind it (helper h-reads:
  // 4.3 s for another connection). A task's hop after the reads raced their commit (CI saw one open).
  const [members, threads, questions] = await db.transaction('r', [db.members, db.threads, db.questions], () =>
    Promise.all([
      db.members.where('cid').equals(doc.cid).toArray(),
      db.threads.where('[cid+rank]').between([doc.cid, 0], [doc.cid, Infinity]).reverse().limit(200).toArray(),
      db.questions.where('[cid+rank]').between([doc.cid, 0], [doc.cid, Infinity]).reverse().limit(200).toArray()
    ])
  );
  const weekAgo = now - 7 * 86_400_000;
  const actions = evaluateRules({
    now,
    auth: facts.auth,
    settings: facts.settings,
    names: new Map(members.map((m) => [m.key, m.name])),
    tiers: [...facts.memberTiers.values()],
    done: facts.done,
    lastActive: stats.lastActive,
    topThreads: digestTopThreads(threads, weekAgo),
    openQuestions: questions
      .filter((q) => q.answerCount === 0)
      .slice(0, 5)
      .map((q) => ({ id: q.id, title: q.title })),
    trustNow: new Map([...stats.trust].map(([k, t]) => [k, t.level])),
    trustPublished: published,
    levelNow: pointsLevels(stats.contributions, pointRules(facts.settings))
  });
  // Trust and level records go out in appends of `PER_APPEND`: one append each (hundreds after an
  // import, each a check, a projection and a new key state on every device) kept the 10k creator's
  // device writing levels for minutes, and a newcomer's first page waited behind them.
  let batch: AnyRecord[] = [];
  const flush = async () => {
    if (batch.length) await doc.append(batch);
    batch = [];
  };
  for (const a of actions) {
    const standing = a.kind === 'trust' || a.kind === 'level';
    if (!standing || !batch.length) await between();
    const record = await sealNext(db, identity, {
      kind: a.kind,
      cid: doc.cid,
      ts: now,
      // Notices and threads carry their rule and key (one shown per key); a trust or level record is its own key.
      body: standing ? a.body : { ...a.body, auto: { rule: a.rule, key: a.key, device } }
    } as never);
    if (!standing) {
      await flush();
      await doc.append(record as AnyRecord);
      continue;
    }
    batch.push(record as AnyRecord);
    if (batch.length >= PER_APPEND) await flush();
  }
  await flush();
  return actions;
}

/**
 * Keeps automation running for one community while the page is open. Returns a stop function.
 * `letIn` is called after this device wrote a key share, new epoch or admission.
 */
export function startAutomation(db: HearthDb, doc: CommunityDoc, identity: Identity, memberStats: MemberStatsSource, letIn: () => void = () => {}): () => void {
  let running = false;
  let again = false;
  /** A join arrived while a run was under way: its admission and key go ahead of the run's other writes. */
  let newcomer = false;
  /** How long the last run past admissions took, and until when a join holds the next one (JOIN_YIELD_MAX_MS). */
  let lastRunMs = 0;
  let yieldUntil = 0;
  let resume: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  // Keys before admissions: a joiner on an open invite is a member at once, so their key needs no
  // admission, and the admission's append (a projection pass with the key state, ~0.3 s at 10,000
  // members) no longer stands between them and the community's content. A joiner on a limited
  // invite is entitled once admitted: the keys are looked at again after admissions were written.
  const letInNewcomers = async () => {
    let wrote = (await maintainKeys(db, doc, identity)) > 0;
    if (await admitPending(db, doc, identity)) {
      wrote = true;
      await maintainKeys(db, doc, identity);
    }
    if (wrote) letIn();
  };
  const welcomeNewcomers = async () => {
    if (!newcomer) return;
    newcomer = false;
    await letInNewcomers();
  };
  const tick = async () => {
    if (running) return void (again = true);
    running = true;
    newcomer = false;
    try {
      // A newcomer's key and admission first, on any member's device that may give them: they wait for them.
      await letInNewcomers();
      await closeExpiredInvites(db, doc, identity);
      await welcomeNewcomers();
      const wait = yieldUntil - Date.now();
      if (wait > 0) {
        if (!resume && !stopped)
          resume = setTimeout(() => {
            resume = null;
            tick();
          }, wait);
        return;
      }
      const started = Date.now();
      await writeCheckpoint(db, doc, identity);
      await welcomeNewcomers();
      const actions = await runAutomation(db, doc, identity, memberStats, Date.now(), deviceName(), welcomeNewcomers);
      // A member who reached a level reads its content at once: share that scope's key now.
      if (actions.some((a) => a.kind === 'level')) await maintainKeys(db, doc, identity);
      lastRunMs = Date.now() - started;
    } catch (e) {
      console.error('automation run failed', e);
    } finally {
      running = false;
      if (again) {
        again = false;
        setTimeout(tick, 1000);
      }
    }
  };
  const timer = setInterval(tick, EVERY_MS);
  // Points move with posts, reactions, accepts, features and check-ins: a level published soon after
  // (every 10 s at most, whatever the traffic) opens level-limited content without a minute's wait.
  let soon: ReturnType<typeof setTimeout> | null = null;
  const offPoints = doc.onAccepted((records) => {
    if (soon || !records.some((r) => POINT_KINDS.has(r.kind === 'sealed' ? r.body.of : r.kind))) return;
    soon = setTimeout(() => {
      soon = null;
      tick();
    }, POINTS_DELAY_MS);
  });
  const off = doc.onAccepted((records) => {
    if (records.some((r) => r.kind === 'join')) {
      if (running) newcomer = true;
      yieldUntil = Math.max(yieldUntil, Date.now() + Math.min(JOIN_YIELD_MAX_MS, 2 * lastRunMs));
    }
    // New members or payments may be due for a rule; our own automation records are not.
    if (
      records.some(
        (r) =>
          r.kind === 'join' ||
          r.kind === 'admit' ||
          r.kind === 'ban' ||
          r.kind === 'grant' ||
          r.kind === 'profile' ||
          r.kind === 'payment' ||
          r.kind === 'settings' ||
          r.kind === 'tier'
      )
    )
      tick();
  });
  tick();
  return () => {
    stopped = true;
    clearInterval(timer);
    if (soon) clearTimeout(soon);
    if (resume) clearTimeout(resume);
    offPoints();
    off();
  };
}
