// Which records notify this member, decided from the records themselves: a mention of me, a reply
// to my post or in my thread, an answer to my question, a question asked to me, my answer accepted
// (by the asker or a moderator only), a new poll, challenge or event. Nothing I wrote myself, nothing by
// someone who was not a member when writing, nothing older than when this device took the
// community in (joining must not replay a community's history as news).
import { plainText } from '../search/highlight';
import { contentLink } from '../search/content-links';
import type { AnyRecord } from '../domain/record';

/** `event_reminder` is filed by this device's clock before an event this member answered (notify/event-reminders). */
export type NotificationKind = 'mention' | 'reply' | 'answer' | 'asked' | 'accepted' | 'poll' | 'challenge' | 'event' | 'event_reminder';
export const NOTIFICATION_KINDS: NotificationKind[] = ['mention', 'reply', 'answer', 'asked', 'accepted', 'poll', 'challenge', 'event', 'event_reminder'];

export interface DeriveContext {
  me: string;
  /** Records with an earlier timestamp are history on this device. */
  since: number;
  /** Whether the community shows this record (member at its time, within a ban's causal past, not held back). */
  accepts(r: AnyRecord): boolean;
  isModerator(key: string): boolean;
  /** Creator or admin (who schedule events); without it, moderators count. */
  isStaff?(key: string): boolean;
  /** A record this device holds (the parent post, thread, question or answer), if it has it. */
  get(id: string): AnyRecord | undefined;
}

export interface Derived {
  kind: NotificationKind;
  /** The record that notifies. */
  source: string;
  /** The content it is about: deleting or hiding that takes the notification away. */
  subject: string;
  link: string;
  actor: string;
  ts: number;
  excerpt: string;
}

const EXCERPT = 140;

function excerptOf(text: string): string {
  const plain = plainText(text);
  return plain.length > EXCERPT ? plain.slice(0, EXCERPT - 1) + '…' : plain;
}

const mentions = (r: AnyRecord, me: string) => 'mentions' in r.body && Array.isArray(r.body.mentions) && r.body.mentions.includes(me);

/** The notification a record gives this member, if any (at most one per record). */
export function deriveNotification(r: AnyRecord, ctx: DeriveContext): Derived | null {
  if (r.author === ctx.me || r.ts < ctx.since || !ctx.accepts(r)) return null;
  const base = { source: r.id, subject: r.id, actor: r.author, ts: r.ts };
  switch (r.kind) {
    case 'thread':
      return mentions(r, ctx.me) ? { ...base, kind: 'mention', link: contentLink(r.cid, 'thread', r.id), excerpt: r.body.title } : null;
    case 'reply': {
      const link = contentLink(r.cid, 'reply', r.id, r.body.thread);
      const excerpt = excerptOf(r.body.body);
      if (mentions(r, ctx.me)) return { ...base, kind: 'mention', link, excerpt };
      const parent = ctx.get(r.body.parent);
      const thread = ctx.get(r.body.thread);
      if (parent?.author === ctx.me || (thread?.kind === 'thread' && thread.author === ctx.me)) return { ...base, kind: 'reply', link, excerpt };
      return null;
    }
    case 'question': {
      const link = contentLink(r.cid, 'question', r.id);
      if (r.body.askTo === ctx.me) return { ...base, kind: 'asked', link, excerpt: r.body.title };
      return mentions(r, ctx.me) ? { ...base, kind: 'mention', link, excerpt: r.body.title } : null;
    }
    case 'answer': {
      const link = contentLink(r.cid, 'answer', r.id, r.body.question);
      const question = ctx.get(r.body.question);
      if (question?.kind === 'question' && question.author === ctx.me) return { ...base, kind: 'answer', link, excerpt: excerptOf(r.body.body) };
      return mentions(r, ctx.me) ? { ...base, kind: 'mention', link, excerpt: excerptOf(r.body.body) } : null;
    }
    case 'accept': {
      if (r.body.answer === null) return null;
      const answer = ctx.get(r.body.answer);
      const question = ctx.get(r.body.question);
      if (answer?.kind !== 'answer' || question?.kind !== 'question' || answer.body.question !== question.id) return null;
      if (answer.author !== ctx.me) return null;
      // Only the asker or a moderator may accept: anyone else's accept record is no news.
      if (r.author !== question.author && !ctx.isModerator(r.author)) return null;
      return { ...base, subject: answer.id, kind: 'accepted', link: contentLink(r.cid, 'answer', answer.id, question.id), excerpt: question.body.title };
    }
    case 'poll':
      return { ...base, kind: 'poll', link: contentLink(r.cid, 'poll', r.id, r.body.thread ?? ''), excerpt: r.body.title };
    case 'challenge':
      return { ...base, kind: 'challenge', link: contentLink(r.cid, 'challenge', r.id), excerpt: r.body.title };
    case 'event':
      // A new event by the creator or an admin; revisions (moves, cancellations) are no news here.
      if (r.body.of || !(ctx.isStaff ?? ctx.isModerator)(r.author)) return null;
      return { ...base, kind: 'event', link: contentLink(r.cid, 'event', r.id), excerpt: r.body.title };
    default:
      return null;
  }
}

/** Ids whose notifications a record takes away: a valid deletion or hiding of that content. */
export function retractedBy(r: AnyRecord, ctx: Pick<DeriveContext, 'accepts' | 'isModerator' | 'get'>): string | null {
  if (!ctx.accepts(r)) return null;
  if (r.kind === 'hide' && r.body.hidden && ctx.isModerator(r.author)) return r.body.target;
  if (r.kind === 'tombstone') {
    const target = ctx.get(r.body.target);
    if (target && (target.author === r.author || ctx.isModerator(r.author))) return r.body.target;
  }
  return null;
}

/** Ids of the records a batch points at, which deriving needs to look at. */
export function neededIds(records: AnyRecord[]): string[] {
  const ids = new Set<string>();
  for (const r of records) {
    if (r.kind === 'reply') ids.add(r.body.parent).add(r.body.thread);
    else if (r.kind === 'answer') ids.add(r.body.question);
    else if (r.kind === 'accept') {
      ids.add(r.body.question);
      if (r.body.answer) ids.add(r.body.answer);
    } else if (r.kind === 'tombstone' || r.kind === 'hide') ids.add(r.body.target);
  }
  return [...ids];
}
