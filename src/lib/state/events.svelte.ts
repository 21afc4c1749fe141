// Queries and actions of events (社区活动) for one open community: schedule, revise and cancel
// (creator and admins), RSVP, check in, and the .ics file. Writes go through CommunityState.write.
import { canCheckIn, isOpen, standingOf, type EventRow, type RsvpStatus } from '../domain/events';
import { eventCalendar, type CalendarResult } from '../domain/event-calendar';
import type { BodyOf } from '../domain/record';
import type { AppendResult } from '../sync/community-doc';
import type { CommunityState } from './community.svelte';
import { Live } from './live.svelte';
import { recordsChangedOf } from '../store/record-store';

export const EVENT_KINDS = ['event', 'rsvp', 'event-checkin'] as const;

export type EventDraft = Omit<BodyOf<'event'>, 'of'>;
type Refusal = Extract<AppendResult, { ok: false }>;

export class EventsState {
  constructor(readonly community: CommunityState) {}

  /** Every event this member can read, soonest first, with who is going, waiting and checked in. */
  list(): Live<EventRow[]> {
    const { db, cid, reads } = this.community;
    return new Live(
      () => {
        // Re-read when the clock ticks (every 30 s): who may still answer changes with time.
        void this.community.now;
        return async () => {
          // Judged where the authority is (the community worker), again whenever events or answers arrive.
          await recordsChangedOf(db, cid, { kinds: EVENT_KINDS });
          return reads.events(cid);
        };
      },
      [],
      { later: true }
    );
  }

  async schedule(draft: EventDraft): Promise<AppendResult> {
    const invalid = invalidDraft(draft);
    if (invalid) return invalid;
    return this.community.write('event', clean(draft));
  }

  /** A new revision of an event (moved, renamed, capacity changed, cancelled). */
  async revise(event: EventRow, changes: Partial<EventDraft>): Promise<AppendResult> {
    const current: EventDraft = {
      title: event.title,
      description: event.description,
      place: event.place ?? undefined,
      link: event.link ?? undefined,
      start: event.start,
      end: event.end,
      capacity: event.capacity,
      tier: event.tier ?? undefined,
      level: event.level ?? undefined,
      cancelled: event.cancelled || undefined
    };
    const next = { ...current, ...changes };
    const invalid = invalidDraft(next);
    if (invalid) return invalid;
    return this.community.write('event', { ...clean(next), of: event.id });
  }

  /**
   * Answers an event. An honest client refuses what peers would not count: an event that ended or
   * was cancelled, a tier or level this member does not have.
   */
  async rsvp(event: EventRow, status: RsvpStatus): Promise<AppendResult> {
    const refused = await this.refusal(event);
    if (refused) return refused;
    return this.community.write('rsvp', { event: event.id, status });
  }

  /** Checks this member in, or (creator and admins) another member who holds a place. */
  async checkIn(event: EventRow, member?: string): Promise<AppendResult> {
    const who = member ?? this.community.identity.publicKey;
    if (member && member !== this.community.identity.publicKey && !this.community.isStaff) return { ok: false, reason: 'event.checkin_staff_only' };
    if (!canCheckIn(event, who, Date.now())) return { ok: false, reason: event.going.includes(who) ? 'event.checkin_closed' : 'event.checkin_needs_place' };
    return this.community.write('event-checkin', member && member !== this.community.identity.publicKey ? { event: event.id, member } : { event: event.id });
  }

  calendar(event: EventRow, pageUrl: string): CalendarResult {
    return eventCalendar(event, { community: this.community.info.value?.name ?? '', pageUrl, alarmMinutes: 60 });
  }

  standing(event: EventRow) {
    return standingOf(event, this.community.identity.publicKey);
  }

  private async refusal(event: EventRow): Promise<Refusal | null> {
    if (!isOpen(event, Date.now())) return { ok: false, reason: event.cancelled ? 'event.cancelled' : 'event.ended' };
    if (this.community.isStaff) return null;
    // The same rule peers count answers by (as of now): an answer they would drop is not sent.
    const { reads, cid } = this.community;
    const me = this.community.identity.publicKey;
    const now = Date.now();
    if (event.tier && !(await reads.eligible(cid, me, { tier: event.tier, level: null }, now)))
      return { ok: false, reason: 'event.tier_needed', params: { tier: event.tier } };
    if (event.level && !(await reads.eligible(cid, me, { tier: null, level: event.level }, now)))
      return { ok: false, reason: 'event.level_needed', params: { level: event.level } };
    return null;
  }
}

/** What the record schema would refuse, as a reason the form can show (the draft stays). */
function invalidDraft(d: EventDraft): Refusal | null {
  if (!Number.isFinite(d.start) || !Number.isFinite(d.end) || d.end <= d.start || d.end - d.start > 31 * 86_400_000)
    return { ok: false, reason: 'event.end_before_start' };
  if (d.link?.trim() && !/^https?:\/\/\S+$/.test(d.link.trim())) return { ok: false, reason: 'event.bad_link' };
  return null;
}

/** Drops empty optional fields, so the signed body holds only what was set. */
function clean(d: EventDraft): EventDraft {
  return {
    title: d.title.trim(),
    description: d.description,
    ...(d.place?.trim() ? { place: d.place.trim() } : {}),
    ...(d.link?.trim() ? { link: d.link.trim() } : {}),
    start: Math.floor(d.start),
    end: Math.floor(d.end),
    capacity: d.capacity && d.capacity > 0 ? Math.floor(d.capacity) : null,
    ...(d.tier ? { tier: d.tier } : {}),
    ...(d.level && d.level > 1 ? { level: d.level } : {}),
    ...(d.cancelled ? { cancelled: true } : {})
  };
}
