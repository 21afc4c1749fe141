// Tiers, payments, expiry and trust levels: pure functions of the community's records and a
// clock, so every peer computes the same tier and the same trust level for every member.
import type { Authority, Role } from './authority';
import { dayNumber } from './challenges';
import type { MemberRow } from './posts';
import { compareRecords, DIVERSITY_SETTINGS, type AnyRecord, type BodyOf, type DiversitySetting, type SignedRecord } from './record';

const DAY = 86_400_000;
export type Settings = BodyOf<'settings'>;

export const DEFAULT_SETTINGS: Settings = {
  automation: {
    welcome: { on: true, text: 'Welcome, {name}! Introduce yourself in a new thread, and ask anything in Q&A.' },
    // Off until the creator turns it on: a digest thread in a community's first days is noise.
    digest: { on: false },
    reminders: { on: true, daysBefore: 7 },
    nudges: { on: true, inactiveDays: 30 }
  },
  graceDays: 7,
  trust: {
    levels: [
      { daysActive: 1, replies: 1, reactionsReceived: 0, daysSinceJoining: 0 },
      { daysActive: 5, replies: 5, reactionsReceived: 3, daysSinceJoining: 7 },
      { daysActive: 20, replies: 30, reactionsReceived: 20, daysSinceJoining: 30 }
    ],
    windowDays: 100
  },
  watchedWords: []
};

/** What `currentSettings` asks of the authority: the author's role now, and whether the record is shown. */
export type SettingsJudge = Pick<Authority, 'roleOf' | 'accepts'>;

/** What a member row (domain/posts `projectMember`) says of its member, as the authority has it. */
export type MemberStanding = Pick<MemberRow, 'key' | 'role' | 'joinedAt' | 'banned'>;

/**
 * The authority's answers for `currentSettings`, from the member rows instead of a replay of the
 * authority. A row holds the member's role, join time and whether banned exactly as the authority
 * does (`projectMember`), and of an author not banned that is all `roleOf` and `accepts` ask: a
 * record is shown when not held and dated at or after the join. Null when an author of a settings
 * record is banned: which of their records stand depends on the causal past the ban named, which
 * only the replay knows. The analysis worker judges settings so (workers/community/load-snapshot):
 * replaying the authority read and replayed every join again, in each of its two workers.
 */
export function settingsJudgeFromMembers(records: readonly AnyRecord[], members: Iterable<MemberStanding>): SettingsJudge | null {
  const authors = new Set(records.filter((r) => r.kind === 'settings').map((r) => r.author));
  const rows = new Map<string, MemberStanding>();
  for (const m of members) if (authors.has(m.key)) rows.set(m.key, m);
  for (const m of rows.values()) if (m.banned) return null;
  return {
    roleOf: (key) => rows.get(key)?.role ?? null,
    accepts: (r) => {
      const m = rows.get(r.author);
      return !r.held && !!m && m.joinedAt <= r.ts;
    }
  };
}

/** The latest settings record by the creator or an admin, or the defaults. */
export function currentSettings(records: readonly AnyRecord[], auth: SettingsJudge): Settings {
  let settings = DEFAULT_SETTINGS;
  for (const r of records.filter((r) => r.kind === 'settings').sort(compareRecords)) {
    const role = auth.roleOf(r.author);
    if (r.kind === 'settings' && (role === 'creator' || role === 'admin') && auth.accepts(r)) settings = r.body;
  }
  return settings;
}

/** The creator's recommendation diversity (settings.diversity): off until the creator or an admin sets it. */
export function recommendationDiversity(settings: Settings): DiversitySetting {
  return settings.diversity ?? 'off';
}

export type DiversityChange = { ok: true; value: Settings } | { ok: false; reason: 'manage.diversity_staff_only' | 'manage.diversity_bad_value' };

/**
 * The community settings with the recommendation diversity set to `value`, if `role` may set it:
 * the creator or an admin, the only authors whose settings records `currentSettings` obeys (a
 * moderator's or member's would be written and ignored by every peer). A value the record schema
 * would refuse is refused here, before sealing.
 */
export function withDiversity(settings: Settings, role: Role | null, value: unknown): DiversityChange {
  if (role !== 'creator' && role !== 'admin') return { ok: false, reason: 'manage.diversity_staff_only' };
  if (!DIVERSITY_SETTINGS.includes(value as DiversitySetting)) return { ok: false, reason: 'manage.diversity_bad_value' };
  return { ok: true, value: { ...settings, diversity: value as DiversitySetting } };
}

export interface TierDefinition {
  name: string;
  price: string;
  benefits: string;
  durationDays: number;
}

/** Tiers the creator (or an admin) defined; a later record with the same name replaces the earlier. */
export function tierDefinitions(records: readonly AnyRecord[], auth: Authority): Map<string, TierDefinition> {
  const tiers = new Map<string, TierDefinition>();
  for (const r of records.filter((r) => r.kind === 'tier').sort(compareRecords)) {
    const role = auth.roleOf(r.author);
    if (r.kind === 'tier' && (role === 'creator' || role === 'admin')) tiers.set(r.body.name, r.body);
  }
  return tiers;
}

export type TierStatus = 'free' | 'active' | 'grace' | 'expired' | 'lifetime';

export interface MemberTier {
  member: string;
  /** The paid tier held now (during grace too); null once expired or never paid. */
  tier: string | null;
  /** The tier the member last held, for "expired" lists and renewals. */
  lastTier: string | null;
  expiresAt: number | null;
  status: TierStatus;
  payments: number;
  /** Times the member paid again for a period that had already started (a renewal). */
  renewals: number;
}

/**
 * A member's tier now. A join through an invite with a tier starts a period of that tier's length;
 * each payment extends the period from its end (or from the payment date, if it had lapsed past
 * the grace days). An invite tier with no definition never expires.
 */
export function memberTier(
  key: string,
  auth: Authority,
  tiers: Map<string, TierDefinition>,
  payments: SignedRecord<'payment'>[],
  graceDays: number,
  now: number
): MemberTier {
  const m = auth.members.get(key);
  const out: MemberTier = { member: key, tier: null, lastTier: null, expiresAt: null, status: 'free', payments: 0, renewals: 0 };
  if (!m) return out;
  let tier = m.tier;
  let expiresAt: number | null = null;
  let lifetime = false;
  if (tier) {
    const def = tiers.get(tier);
    if (def) expiresAt = m.joinedAt + def.durationDays * DAY;
    else lifetime = true;
  }
  const mine = payments.filter((p) => p.body.member === key).sort((a, b) => dayNumber(a.body.paidOn) - dayNumber(b.body.paidOn) || compareRecords(a, b));
  for (const p of mine) {
    const role = auth.roleOf(p.author);
    if (role !== 'creator' && role !== 'admin') continue;
    const def = tiers.get(p.body.tier);
    if (!def) continue;
    const paidAt = dayNumber(p.body.paidOn) * DAY;
    // Paying before the period (plus grace) ran out renews it from its end; otherwise a new period starts.
    const lapsed = expiresAt === null || p.body.tier !== tier || paidAt > expiresAt + graceDays * DAY;
    if (!lapsed) out.renewals++;
    expiresAt = (lapsed ? paidAt : expiresAt!) + def.durationDays * DAY;
    tier = p.body.tier;
    lifetime = false;
    out.payments++;
  }
  out.lastTier = tier;
  out.expiresAt = lifetime ? null : expiresAt;
  if (!tier) out.status = 'free';
  else if (lifetime) out.status = 'lifetime';
  else if (now < expiresAt!) out.status = 'active';
  else if (now < expiresAt! + graceDays * DAY) out.status = 'grace';
  else out.status = 'expired';
  out.tier = out.status === 'active' || out.status === 'grace' || out.status === 'lifetime' ? tier : null;
  return out;
}

/** Renewal rate: of members whose paid period has ended or been renewed, the share who renewed. */
export function renewalRate(tiers: MemberTier[]): number | null {
  const renewed = tiers.filter((t) => t.renewals > 0).length;
  const lapsed = tiers.filter((t) => t.status === 'expired' && t.renewals === 0).length;
  return renewed + lapsed ? renewed / (renewed + lapsed) : null;
}

// ---- trust levels -------------------------------------------------------------------------

export interface TrustStats {
  daysActive: number;
  replies: number;
  reactionsReceived: number;
  daysSinceJoining: number;
}

export interface TrustLevel {
  member: string;
  level: 0 | 1 | 2 | 3;
  locked: boolean;
  stats: TrustStats;
}

/**
 * Activity counted inside the trust window: distinct days with any record, replies and answers
 * written, reactions and upvotes received from others. Outside the window activity stops counting,
 * so a member who goes quiet drops back (demotion), unless the creator locked their level.
 */
export function trustLevels(records: AnyRecord[], auth: Authority, settings: Settings, now: number): Map<string, TrustLevel> {
  const since = now - settings.trust.windowDays * DAY;
  const authorOf = new Map<string, string>();
  for (const r of records) if (r.kind === 'thread' || r.kind === 'reply' || r.kind === 'question' || r.kind === 'answer') authorOf.set(r.id, r.author);
  const stats = new Map<string, { days: Set<number>; replies: number; received: number }>();
  const of = (k: string) => {
    let s = stats.get(k);
    if (!s) stats.set(k, (s = { days: new Set(), replies: 0, received: 0 }));
    return s;
  };
  const locks = new Map<string, number | null>();
  for (const r of [...records].sort(compareRecords)) {
    if (r.kind === 'trust-lock' && auth.roleOf(r.author) === 'creator') locks.set(r.body.member, r.body.level);
    if (r.ts < since || r.ts > now || !auth.accepts(r)) continue;
    const s = of(r.author);
    s.days.add(Math.floor(r.ts / DAY));
    if (r.kind === 'reply' || r.kind === 'answer') s.replies++;
    if ((r.kind === 'reaction' && r.body.on) || (r.kind === 'upvote' && r.body.on)) {
      const target = authorOf.get(r.body.target);
      if (target && target !== r.author) of(target).received++;
    }
  }
  const out = new Map<string, TrustLevel>();
  for (const [key, m] of auth.members) {
    const s = stats.get(key);
    const st: TrustStats = {
      daysActive: s?.days.size ?? 0,
      replies: s?.replies ?? 0,
      reactionsReceived: s?.received ?? 0,
      daysSinceJoining: Math.max(0, Math.floor((now - m.joinedAt) / DAY))
    };
    let level: 0 | 1 | 2 | 3 = 0;
    settings.trust.levels.forEach((t, i) => {
      if (
        level === i &&
        st.daysActive >= t.daysActive &&
        st.replies >= t.replies &&
        st.reactionsReceived >= t.reactionsReceived &&
        st.daysSinceJoining >= t.daysSinceJoining
      ) {
        level = (i + 1) as 1 | 2 | 3;
      }
    });
    const lock = locks.get(key);
    const locked = lock !== undefined && lock !== null;
    // Staff are trusted by role; the creator and admins hold level 3.
    if (m.role === 'creator' || m.role === 'admin') level = 3;
    out.set(key, { member: key, level: locked ? (lock as 0 | 1 | 2 | 3) : level, locked, stats: st });
  }
  return out;
}

/** What each trust level may do, checked where the member writes. */
export const PRIVILEGES = {
  /** Posts per rolling hour. */
  postsPerHour: [5, 30, 120, 1000],
  links: [false, true, true, true],
  images: [false, true, true, true],
  invite: [false, false, true, true],
  flagHides: [false, false, false, true]
} as const;

export type WatchAction = 'block' | 'flag' | null;

/**
 * Watched words in Chinese and English: English words match whole words, case-insensitively;
 * Chinese (no spaces between words) matches as a substring. "block" wins over "flag".
 */
export function watchedWordAction(text: string, words: Settings['watchedWords']): { action: WatchAction; word: string | null } {
  const lower = text.toLowerCase();
  let found: { action: WatchAction; word: string | null } = { action: null, word: null };
  for (const w of words) {
    const word = w.word.toLowerCase();
    const cjk = /[\u3400-\u9fff\uf900-\ufaff]/.test(word);
    const hit = cjk
      ? lower.includes(word)
      : new RegExp(`(^|[^\\p{L}\\p{N}])${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\p{L}\\p{N}])`, 'u').test(lower);
    if (!hit) continue;
    if (w.action === 'block') return { action: 'block', word: w.word };
    found = { action: 'flag', word: w.word };
  }
  return found;
}

/** Whether a member may post now under rate limit and slow mode, given their recent posts. */
export function postingAllowed(
  level: number,
  recentPostTimes: number[],
  now: number,
  slowModeSeconds = 0,
  lastInThread: number | null = null
): { ok: true } | { ok: false; reason: 'rate_limited' | 'slow_mode'; retryAt: number } {
  if (slowModeSeconds > 0 && lastInThread !== null && now - lastInThread < slowModeSeconds * 1000) {
    return { ok: false, reason: 'slow_mode', retryAt: lastInThread + slowModeSeconds * 1000 };
  }
  const hour = recentPostTimes.filter((t) => t > now - 3_600_000).sort((a, b) => a - b);
  const limit = PRIVILEGES.postsPerHour[Math.max(0, Math.min(3, level))];
  if (hour.length >= limit) return { ok: false, reason: 'rate_limited', retryAt: hour[hour.length - limit] + 3_600_000 };
  return { ok: true };
}

export interface Contributions {
  threads: number;
  replies: number;
  questions: number;
  answers: number;
  answersAccepted: number;
  checkins: number;
  reactionsReceived: number;
  /** Threads of the member's that are featured (精华) now. */
  featured: number;
  daysActive: number;
  lastActive: number | null;
}

/** What each member has contributed, from the records (for the directory and the activity CSV). */
export function contributions(records: AnyRecord[], auth: Authority): Map<string, Contributions> {
  const out = new Map<string, Contributions>();
  const of = (k: string) => {
    let c = out.get(k);
    if (!c)
      out.set(
        k,
        (c = {
          threads: 0,
          replies: 0,
          questions: 0,
          answers: 0,
          answersAccepted: 0,
          checkins: 0,
          reactionsReceived: 0,
          featured: 0,
          daysActive: 0,
          lastActive: null
        })
      );
    return c;
  };
  const authorOf = new Map<string, string>();
  const days = new Map<string, Set<number>>();
  const accepted = new Map<string, string | null>();
  /** Thread -> featured now, by the latest feature record of a moderator (as the thread projection decides). */
  const featured = new Map<string, boolean>();
  for (const r of [...records].sort(compareRecords)) {
    if (!auth.accepts(r)) continue;
    if (r.kind === 'thread' || r.kind === 'reply' || r.kind === 'question' || r.kind === 'answer') authorOf.set(r.id, r.author);
    const c = of(r.author);
    c.lastActive = Math.max(c.lastActive ?? 0, r.ts);
    let d = days.get(r.author);
    if (!d) days.set(r.author, (d = new Set()));
    d.add(Math.floor(r.ts / 86_400_000));
    if (r.kind === 'thread') c.threads++;
    else if (r.kind === 'reply') c.replies++;
    else if (r.kind === 'question') c.questions++;
    else if (r.kind === 'answer') c.answers++;
    else if (r.kind === 'checkin') c.checkins++;
    else if (r.kind === 'accept') accepted.set(r.body.question, r.body.answer);
    else if (r.kind === 'feature' && auth.isModerator(r.author)) featured.set(r.body.target, r.body.featured);
  }
  for (const [thread, on] of featured) {
    const a = on ? authorOf.get(thread) : undefined;
    if (a) of(a).featured++;
  }
  for (const r of records) {
    // A reaction counts only from someone the community shows (a member, not held back).
    if ((r.kind === 'reaction' || r.kind === 'upvote') && r.body.on && auth.accepts(r)) {
      const a = authorOf.get(r.body.target);
      if (a && a !== r.author) of(a).reactionsReceived++;
    }
  }
  for (const answer of accepted.values()) {
    const a = answer ? authorOf.get(answer) : undefined;
    if (a) of(a).answersAccepted++;
  }
  for (const [k, d] of days) of(k).daysActive = d.size;
  return out;
}

export interface MemberStats {
  trust: Map<string, TrustLevel>;
  contributions: Map<string, Contributions>;
  /** Time of each author's latest record. */
  lastActive: Map<string, number>;
}

/** Trust levels, contributions and last activity of every member, from all the community's records. */
export function memberStats(records: AnyRecord[], auth: Authority, settings: Settings, now: number): MemberStats {
  const lastActive = new Map<string, number>();
  for (const r of records) if ((lastActive.get(r.author) ?? 0) < r.ts) lastActive.set(r.author, r.ts);
  return { trust: trustLevels(records, auth, settings, now), contributions: contributions(records, auth), lastActive };
}

/**
 * MemberStats as columns of typed arrays, to cross from a worker to the page: 10,000 members as
 * Maps of objects take ~100 ms to deserialise on the receiving thread; as columns, a few.
 */
export interface PackedMemberStats {
  keys: string[];
  /** Per key: its trust level, or 255 when it has none. */
  level: Uint8Array;
  locked: Uint8Array;
  /** Per key, 4 values: days active, replies, reactions received, days since joining. */
  trustStats: Int32Array;
  /** Per key, 10 values: the Contributions counters in CONTRIBUTION_FIELDS order, then lastActive (NaN for none); NaN in the first when the key has none. */
  contributions: Float64Array;
  /** Per key: latest record time, NaN when none. */
  lastActive: Float64Array;
}

const CONTRIBUTION_FIELDS = [
  'threads',
  'replies',
  'questions',
  'answers',
  'answersAccepted',
  'checkins',
  'reactionsReceived',
  'featured',
  'daysActive'
] as const;
const C = CONTRIBUTION_FIELDS.length + 1;

export function packMemberStats(s: MemberStats): PackedMemberStats {
  const keys = [...new Set([...s.trust.keys(), ...s.contributions.keys(), ...s.lastActive.keys()])];
  const n = keys.length;
  const out: PackedMemberStats = {
    keys,
    level: new Uint8Array(n).fill(255),
    locked: new Uint8Array(n),
    trustStats: new Int32Array(n * 4),
    contributions: new Float64Array(n * C).fill(NaN),
    lastActive: new Float64Array(n).fill(NaN)
  };
  keys.forEach((key, i) => {
    const t = s.trust.get(key);
    if (t) {
      out.level[i] = t.level;
      out.locked[i] = t.locked ? 1 : 0;
      out.trustStats.set([t.stats.daysActive, t.stats.replies, t.stats.reactionsReceived, t.stats.daysSinceJoining], i * 4);
    }
    const c = s.contributions.get(key);
    if (c) out.contributions.set([...CONTRIBUTION_FIELDS.map((f) => c[f]), c.lastActive ?? NaN], i * C);
    out.lastActive[i] = s.lastActive.get(key) ?? NaN;
  });
  return out;
}

export function unpackMemberStats(p: PackedMemberStats): MemberStats {
  const out: MemberStats = { trust: new Map(), contributions: new Map(), lastActive: new Map() };
  const t = p.trustStats;
  const c = p.contributions;
  // Object literals in CONTRIBUTION_FIELDS order, not built field by field: this runs on the page for every member.
  for (let i = 0; i < p.keys.length; i++) {
    const member = p.keys[i];
    const o = i * 4;
    if (p.level[i] !== 255) {
      const stats = { daysActive: t[o], replies: t[o + 1], reactionsReceived: t[o + 2], daysSinceJoining: t[o + 3] };
      out.trust.set(member, { member, level: p.level[i] as 0 | 1 | 2 | 3, locked: p.locked[i] === 1, stats });
    }
    const q = i * C;
    if (!Number.isNaN(c[q])) {
      out.contributions.set(member, {
        threads: c[q],
        replies: c[q + 1],
        questions: c[q + 2],
        answers: c[q + 3],
        answersAccepted: c[q + 4],
        checkins: c[q + 5],
        reactionsReceived: c[q + 6],
        featured: c[q + 7],
        daysActive: c[q + 8],
        lastActive: Number.isNaN(c[q + 9]) ? null : c[q + 9]
      });
    }
    if (!Number.isNaN(p.lastActive[i])) out.lastActive.set(member, p.lastActive[i]);
  }
  return out;
}
