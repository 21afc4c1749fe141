// Events (社区活动) from their signed records: the newest revision of each by the creator or an
// admin, who is going (in the order they said so, up to the capacity), who waits in line, who
// checked in, and when a member's device reminds them. Same records, same answer on every peer.
import type { Authority } from './authority';
import { tierAt, type ScopeContext } from './scopes';
import { compareRecords, type AnyRecord, type SignedRecord } from './record';

export type RsvpStatus = 'going' | 'maybe' | 'no';

/** Check-in opens this long before the start (people arrive early) and closes at the end. */
export const CHECKIN_EARLY_MS = 30 * 60_000;
/** A member who is going (or maybe, or waiting) is reminded this long before the start. */
export const REMIND_BEFORE_MS = 60 * 60_000;

export interface EventRow {
  id: string;
  title: string;
  description: string;
  place: string | null;
  link: string | null;
  start: number;
  end: number;
  /** null: no limit. */
  capacity: number | null;
  tier: string | null;
  /** Lowest points level that may answer (null: everyone). */
  level: number | null;
  cancelled: boolean;
  author: string;
  createdAt: number;
  updatedAt: number;
  /** Members with a place, in the order they said they are going. */
  going: string[];
  /** Members who said they are going past the capacity, first in line first. */
  waitlist: string[];
  maybe: string[];
  no: string[];
  /** Member -> when their check-in counted. */
  checkedIn: Map<string, number>;
}

/** Where one member stands: their answer, and for "going" whether they hold a place or a place in line (1-based). */
export type Standing = { status: RsvpStatus | null; place: 'going' | 'waitlist' | null; position: number | null };

type EventRecord = SignedRecord<'event'>;
type RsvpRecord = SignedRecord<'rsvp'>;
type CheckinRecord = SignedRecord<'event-checkin'>;

/**
 * Who may answer an event at `ts` beyond being a member (staff always may). `eligibleAt` is the
 * rule every peer applies; tests may pass their own.
 */
export type Eligible = (member: string, event: { tier: string | null; level: number | null }, ts: number) => boolean;

/**
 * The event's limits judged as of the answer's `ts`, from records alone: the tier held then (in
 * grace counts) and the points level published then (`level` records). Every peer, whatever keys
 * it holds, drops the same answers, so a modified client cannot take a place it is not entitled to.
 */
export function eligibleAt(ctx: ScopeContext): Eligible {
  return (member, event, ts) => (!event.tier || tierAt(ctx, member, ts) === event.tier) && (!event.level || ctx.auth.levelAt(member, ts) >= event.level);
}

const isStaffAt = (auth: Authority, key: string, ts: number) => {
  const role = auth.roleAt(key, ts);
  return role === 'creator' || role === 'admin';
};

/** Every event (newest revision of each), soonest first; revisions by anyone but the creator or an admin are ignored. */
export function projectEvents(records: readonly AnyRecord[], auth: Authority, eligible: Eligible = () => true): EventRow[] {
  const sorted = [...records].sort(compareRecords);
  const heads = new Map<string, { head: EventRecord; author: string; createdAt: number }>();
  for (const r of sorted) {
    if (r.kind !== 'event' || !isStaffAt(auth, r.author, r.ts) || !auth.accepts(r)) continue;
    const id = r.body.of ?? r.id;
    const before = heads.get(id);
    // A revision of an event nobody made is ignored (as is anything naming a non-event).
    if (r.body.of && !before) continue;
    heads.set(id, { head: r, author: before?.author ?? r.author, createdAt: before?.createdAt ?? r.ts });
  }
  const answers = new Map<string, (RsvpRecord | CheckinRecord)[]>();
  for (const r of sorted) {
    if ((r.kind !== 'rsvp' && r.kind !== 'event-checkin') || !heads.has(r.body.event) || !auth.accepts(r)) continue;
    let list = answers.get(r.body.event);
    if (!list) answers.set(r.body.event, (list = []));
    list.push(r);
  }
  const out: EventRow[] = [];
  for (const [id, { head, author, createdAt }] of heads) {
    const b = head.body;
    const row: EventRow = {
      id,
      title: b.title,
      description: b.description,
      place: b.place ?? null,
      link: b.link ?? null,
      start: b.start,
      end: b.end,
      capacity: b.capacity,
      tier: b.tier ?? null,
      level: b.level ?? null,
      cancelled: b.cancelled === true,
      author,
      createdAt,
      updatedAt: head.ts,
      going: [],
      waitlist: [],
      maybe: [],
      no: [],
      checkedIn: new Map()
    };
    fillAnswers(row, answers.get(id) ?? [], auth, eligible);
    out.push(row);
  }
  return out.sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : 1));
}

/**
 * Applies answers in (ts, id) order. A member's latest RSVP holds; "going" members are lined up
 * by the RSVP that started their current run of "going" (saying it again keeps the place, leaving
 * and coming back goes to the end of the line), and the first `capacity` of them have a place —
 * so when someone with a place leaves, the first in line moves up, on every peer alike.
 * An RSVP dated at or after the end changes nothing. (An author picks its own ts, so a member can
 * backdate an RSVP to the event's creation at most: it cannot be earlier than the event's record.)
 */
function fillAnswers(row: EventRow, answers: readonly (RsvpRecord | CheckinRecord)[], auth: Authority, eligible: Eligible): void {
  const latest = new Map<string, { status: RsvpStatus; since: RsvpRecord }>();
  const may = (member: string, ts: number) => isStaffAt(auth, member, ts) || eligible(member, row, ts);
  const checkins: CheckinRecord[] = [];
  for (const r of answers) {
    if (r.kind === 'event-checkin') {
      checkins.push(r);
      continue;
    }
    if (r.ts < row.createdAt || r.ts >= row.end || !may(r.author, r.ts)) continue;
    const before = latest.get(r.author);
    const since = before && before.status === 'going' && r.body.status === 'going' ? before.since : r;
    latest.set(r.author, { status: r.body.status, since });
  }
  const lineUp = (upTo?: CheckinRecord) => {
    const going = [...latest.entries()]
      .filter(([, v]) => v.status === 'going' && (!upTo || compareRecords(v.since, upTo) <= 0))
      .sort((x, y) => compareRecords(x[1].since, y[1].since))
      .map(([k]) => k);
    return row.capacity === null ? { going, waitlist: [] } : { going: going.slice(0, row.capacity), waitlist: going.slice(row.capacity) };
  };
  const { going, waitlist } = lineUp();
  row.going = going;
  row.waitlist = waitlist;
  for (const [member, v] of latest) if (v.status === 'maybe') row.maybe.push(member);
  for (const [member, v] of latest) if (v.status === 'no') row.no.push(member);

  // A check-in counts during the event (from CHECKIN_EARLY_MS before it) for a member who held a
  // place when it was made: their own, or recorded for them by the creator or an admin.
  if (!checkins.length || row.cancelled) return;
  const standingAt = replayer(answers);
  for (const c of checkins) {
    const member = c.body.member ?? c.author;
    if (c.body.member && c.body.member !== c.author && !isStaffAt(auth, c.author, c.ts)) continue;
    if (c.ts < row.start - CHECKIN_EARLY_MS || c.ts > row.end || row.checkedIn.has(member)) continue;
    const then = standingAt(c, row, auth, eligible);
    if (!then.going.includes(member)) continue;
    row.checkedIn.set(member, c.ts);
  }
}

/** Who held a place as of a record: the same rules as above over the answers up to it. */
function replayer(answers: readonly (RsvpRecord | CheckinRecord)[]) {
  return (at: CheckinRecord, row: EventRow, auth: Authority, eligible: Eligible): { going: string[] } => {
    const upTo = answers.filter((r): r is RsvpRecord => r.kind === 'rsvp' && compareRecords(r, at) <= 0);
    const partial: EventRow = { ...row, going: [], waitlist: [], maybe: [], no: [], checkedIn: new Map() };
    fillAnswers(partial, upTo, auth, eligible);
    return { going: partial.going };
  };
}

/** One member's answer and place. */
export function standingOf(event: EventRow, member: string): Standing {
  const g = event.going.indexOf(member);
  if (g >= 0) return { status: 'going', place: 'going', position: null };
  const w = event.waitlist.indexOf(member);
  if (w >= 0) return { status: 'going', place: 'waitlist', position: w + 1 };
  if (event.maybe.includes(member)) return { status: 'maybe', place: null, position: null };
  if (event.no.includes(member)) return { status: 'no', place: null, position: null };
  return { status: null, place: null, position: null };
}

/** Places left (null: no limit). */
export function placesLeft(event: EventRow): number | null {
  return event.capacity === null ? null : Math.max(0, event.capacity - event.going.length);
}

/** Whether `member` may check in at `now`: holding a place, the event not cancelled, and it is on. */
export function canCheckIn(event: EventRow, member: string, now: number): boolean {
  return !event.cancelled && event.going.includes(member) && !event.checkedIn.has(member) && now >= event.start - CHECKIN_EARLY_MS && now <= event.end;
}

/** Whether answers still count: until the event ends, unless it was cancelled. */
export function isOpen(event: EventRow, now: number): boolean {
  return !event.cancelled && now < event.end;
}

/**
 * Events this member should be reminded of at `now`: not cancelled, starting within
 * REMIND_BEFORE_MS, and the member going, waiting in line or maybe.
 */
export function dueReminders(events: readonly EventRow[], member: string, now: number): EventRow[] {
  return events.filter((e) => {
    if (e.cancelled || now >= e.start || now < e.start - REMIND_BEFORE_MS) return false;
    const s = standingOf(e, member);
    return s.status === 'going' || s.status === 'maybe';
  });
}

/** Attendance as the creator sees it: who had a place, who came, and who came of those. */
export function attendance(event: EventRow): { going: number; checkedIn: number; rate: number | null } {
  const came = event.going.filter((m) => event.checkedIn.has(m)).length;
  return { going: event.going.length, checkedIn: event.checkedIn.size, rate: event.going.length ? came / event.going.length : null };
}
