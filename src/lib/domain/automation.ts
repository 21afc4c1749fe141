// Automation rules: pure functions (state, now) -> actions. A creator's or admin's device runs
// them and signs the actions like any member action. Each action carries a key; the first record
// with a given (rule, key) is the one shown, so two admin devices running at once never double up.
import type { Authority } from './authority';
import { dateOfDay, dayNumber } from './challenges';

/** A notice's structured message and a digest's contents, as the records carry them. */
export type NoticeMessage = NonNullable<BodyOf<'notice'>['message']>;
export type DigestData = NonNullable<BodyOf<'thread'>['digest']>;
import { DEFAULT_SETTINGS, type MemberTier, type Settings } from './membership';
import { MAX_TITLE, type BodyOf } from './record';

const DAY = 86_400_000;

export type RuleId = 'welcome' | 'reminder' | 'digest' | 'nudge' | 'trust' | 'level';

export type Action =
  | { rule: RuleId; key: string; kind: 'notice'; body: Omit<BodyOf<'notice'>, 'auto'> }
  | { rule: RuleId; key: string; kind: 'thread'; body: Omit<BodyOf<'thread'>, 'auto'> }
  | { rule: RuleId; key: string; kind: 'trust'; body: BodyOf<'trust'> }
  | { rule: RuleId; key: string; kind: 'level'; body: BodyOf<'level'> };

export interface AutomationState {
  now: number;
  auth: Authority;
  settings: Settings;
  names: Map<string, string>;
  tiers: MemberTier[];
  /** Keys of automation records already in the community, as `${rule}:${key}`. */
  done: Set<string>;
  /** Last record time of each member. */
  lastActive: Map<string, number>;
  /** For the digest: last week's most active threads, open questions. */
  topThreads: { id: string; title: string; replies: number }[];
  openQuestions: { id: string; title: string }[];
  /** Trust levels computed now (trustLevels), when the device computed them; publishing needs them. */
  trustNow?: Map<string, number>;
  /** Per member: trust records already published (how many), for a fresh key each time a level changes. */
  trustPublished?: Map<string, number>;
  /** Points levels (1–9) computed now from every record this staff device reads (all scopes). */
  levelNow?: Map<string, number>;
}

/** ISO week id (e.g. 2026-W48) of a timestamp, UTC. */
export function isoWeek(ts: number): string {
  const day = Math.floor(ts / DAY);
  const weekday = (new Date(ts).getUTCDay() + 6) % 7; // Monday = 0
  const thursday = day - weekday + 3;
  const year = new Date(thursday * DAY).getUTCFullYear();
  const firstThursday = dayNumber(`${year}-01-04`);
  const firstMonday = firstThursday - ((new Date(firstThursday * DAY).getUTCDay() + 6) % 7);
  return `${year}-W${String(Math.floor((day - weekday - firstMonday) / 7) + 1).padStart(2, '0')}`;
}

const fill = (text: string, vars: Record<string, string>) => text.replace(/\{(\w+)\}/g, (m, k) => vars[k] ?? m);

/** Newcomers of the last 7 days get a welcome note, once. */
export function welcomeRule(s: AutomationState): Action[] {
  if (!s.settings.automation.welcome.on) return [];
  const out: Action[] = [];
  for (const m of s.auth.members.values()) {
    if (m.role === 'creator' || m.bannedAt !== null || m.joinedAt < s.now - 7 * DAY || m.joinedAt > s.now) continue;
    const key = m.key;
    if (s.done.has(`welcome:${key}`)) continue;
    // The profile (with the name) follows the join; give it ten minutes before welcoming without a name.
    if (!s.names.get(m.key) && s.now - m.joinedAt < 10 * 60_000) continue;
    const name = s.names.get(m.key) || '';
    const text = fill(s.settings.automation.welcome.text, { name });
    // The default welcome is worded by each reader's app; a creator's own words are theirs.
    const standard = s.settings.automation.welcome.text === DEFAULT_SETTINGS.automation.welcome.text;
    out.push({ rule: 'welcome', key, kind: 'notice', body: { to: m.key, text, message: standard ? { type: 'welcome', name } : undefined } });
  }
  return out;
}

/** Members whose paid period ends within `daysBefore` days get one reminder per period. */
export function reminderRule(s: AutomationState): Action[] {
  const { on, daysBefore } = s.settings.automation.reminders;
  if (!on) return [];
  const out: Action[] = [];
  for (const t of s.tiers) {
    if (t.status !== 'active' || t.expiresAt === null) continue;
    if (t.expiresAt - s.now > daysBefore * DAY) continue;
    const key = `${t.member}:${t.expiresAt}`;
    if (s.done.has(`reminder:${key}`)) continue;
    const date = dateOfDay(Math.floor(t.expiresAt / DAY));
    out.push({
      rule: 'reminder',
      key,
      kind: 'notice',
      body: {
        to: t.member,
        text: `Your ${t.tier} membership ends on ${date}. Renew to keep access.`,
        message: { type: 'reminder', tier: t.tier ?? '', expiresAt: t.expiresAt }
      }
    });
  }
  return out;
}

/** Once per ISO week: a digest thread of the week's top threads, open questions and new members. */
export function digestRule(s: AutomationState): Action[] {
  if (!s.settings.automation.digest.on) return [];
  const week = isoWeek(s.now);
  if (s.done.has(`digest:${week}`)) return [];
  const newMembers = [...s.auth.members.values()].filter((m) => m.joinedAt > s.now - 7 * DAY && m.role !== 'creator');
  const digest: DigestData = {
    week,
    top: s.topThreads.slice(0, 5).map((t) => ({ id: t.id, title: t.title.slice(0, MAX_TITLE), replies: t.replies })),
    questions: s.openQuestions.slice(0, 5).map((q) => ({ id: q.id, title: q.title.slice(0, MAX_TITLE) })),
    newMembers: newMembers.slice(0, 50).map((m) => m.key)
  };
  // The title and body are the writer's wording, for readers whose app predates `digest`.
  const lines = [
    '**Top threads**',
    ...(digest.top.length ? digest.top.map((t) => `- ${t.title} (${t.replies})`) : ['- —']),
    '',
    '**Open questions**',
    ...(digest.questions.length ? digest.questions.map((q) => `- ${q.title}`) : ['- —']),
    '',
    `**New members**: ${newMembers.map((m) => s.names.get(m.key) || m.key.slice(0, 6)).join(', ') || '—'}`
  ];
  return [{ rule: 'digest', key: week, kind: 'thread', body: { title: `Weekly digest ${week}`, body: lines.join('\n'), digest } }];
}

/** Once per week: the creator gets a list of members inactive for `inactiveDays`. */
export function nudgeRule(s: AutomationState): Action[] {
  const { on, inactiveDays } = s.settings.automation.nudges;
  if (!on) return [];
  const week = isoWeek(s.now);
  if (s.done.has(`nudge:${week}`)) return [];
  const cutoff = s.now - inactiveDays * DAY;
  const inactive = [...s.auth.members.values()].filter((m) => m.role !== 'creator' && m.bannedAt === null && (s.lastActive.get(m.key) ?? m.joinedAt) < cutoff);
  if (!inactive.length) return [];
  const names = inactive.slice(0, 50).map((m) => s.names.get(m.key) || m.key.slice(0, 6));
  const message: NoticeMessage = { type: 'nudge', count: inactive.length, days: inactiveDays, members: inactive.slice(0, 50).map((m) => m.key) };
  return [
    {
      rule: 'nudge',
      key: week,
      kind: 'notice',
      body: { to: s.auth.creator, text: `Members inactive for ${inactiveDays}+ days (${inactive.length}): ${names.join(', ')}`, message }
    }
  ];
}

/**
 * Trust-level promotions and demotions: when a member's computed level differs from the published
 * one, publish it as a signed `trust` record, so every peer grants the level's privileges alike.
 */
export function trustRule(s: AutomationState): Action[] {
  if (!s.trustNow) return [];
  const out: Action[] = [];
  for (const [key, level] of s.trustNow) {
    const m = s.auth.members.get(key);
    if (!m || m.role !== 'member' || m.bannedAt !== null || s.auth.trustOf(key) === level) continue;
    const n = s.trustPublished?.get(key) ?? 0;
    const actionKey = `${key}:${n}:${level}`;
    if (s.done.has(`trust:${actionKey}`)) continue;
    out.push({ rule: 'trust', key: actionKey, kind: 'trust', body: { member: key, level } });
  }
  return out;
}

/**
 * Points levels: when a member's level computed from the points differs from the published one,
 * publish it as a signed `level` record. Content limited to a level is judged by the published
 * level on every peer (a peer without a tier's key cannot count the reactions sealed in it), and
 * the key automation then shares the level's key with the member (or rotates it away from them).
 */
export function levelRule(s: AutomationState): Action[] {
  if (!s.levelNow) return [];
  const out: Action[] = [];
  for (const [key, m] of s.auth.members) {
    if (m.role === 'creator' || m.bannedAt !== null || m.joinedAt > s.now) continue;
    const level = s.levelNow.get(key) ?? 1;
    if (s.auth.levelAt(key, s.now) === level) continue;
    out.push({ rule: 'level', key: `${key}:${level}`, kind: 'level', body: { member: key, level } });
  }
  return out;
}

export const RULES: Record<RuleId, (s: AutomationState) => Action[]> = {
  welcome: welcomeRule,
  reminder: reminderRule,
  digest: digestRule,
  nudge: nudgeRule,
  trust: trustRule,
  level: levelRule
};

export function evaluateRules(s: AutomationState): Action[] {
  return Object.values(RULES).flatMap((rule) => rule(s));
}

/** Of several records carrying the same automation key, the one every peer shows: the first by (ts, id). */
export function firstPerAutoKey<T extends { ts: number; id: string; body: { auto?: { rule: string; key: string } } }>(records: T[]): T[] {
  const first = new Map<string, T>();
  for (const r of records) {
    if (!r.body.auto) continue;
    const k = `${r.body.auto.rule}:${r.body.auto.key}`;
    const prev = first.get(k);
    if (!prev || r.ts < prev.ts || (r.ts === prev.ts && r.id < prev.id)) first.set(k, r);
  }
  return records.filter((r) => !r.body.auto || first.get(`${r.body.auto.rule}:${r.body.auto.key}`) === r);
}
