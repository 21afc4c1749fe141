// An event as an iCalendar file (RFC 5545) a member adds to their calendar. Times are written in
// UTC, so every calendar shows them in its own zone; the uid is stable per event, so importing a
// revised event again updates the entry instead of adding a second one.
import { createEvent } from 'ics';
import type { EventRow } from './events';

export type CalendarResult = { ok: true; value: string; filename: string } | { ok: false; reason: 'event.ics_failed' };

/** The .ics text of one event, with a reminder `alarmMinutes` before it (the same lead as the inbox's). */
export function eventCalendar(event: EventRow, opts: { community: string; pageUrl?: string; alarmMinutes?: number; sequence?: number }): CalendarResult {
  const description = [event.description, event.link, opts.pageUrl].filter((s): s is string => !!s).join('\n\n');
  const { error, value } = createEvent({
    uid: `${event.id}@hearth`,
    title: event.title,
    description: description || undefined,
    location: event.place ?? event.link ?? undefined,
    url: event.link ?? opts.pageUrl,
    start: event.start,
    startInputType: 'utc',
    startOutputType: 'utc',
    end: event.end,
    endInputType: 'utc',
    endOutputType: 'utc',
    status: event.cancelled ? 'CANCELLED' : 'CONFIRMED',
    // The revision's time orders updates of one uid in calendars that import it again.
    sequence: opts.sequence ?? Math.floor((event.updatedAt - event.createdAt) / 1000),
    calName: opts.community,
    productId: 'hearth/events',
    alarms: opts.alarmMinutes ? [{ action: 'display', description: event.title, trigger: { minutes: opts.alarmMinutes, before: true } }] : undefined
  });
  if (error || !value) return { ok: false, reason: 'event.ics_failed' };
  return { ok: true, value, filename: `${fileSafe(event.title) || 'event'}.ics` };
}

/** A title as a file name: letters (any script), digits, spaces and dashes. */
function fileSafe(title: string): string {
  return title
    .replace(/[^\p{L}\p{N} _-]+/gu, ' ')
    .trim()
    .replace(/\s+/g, '-')
    .slice(0, 60);
}
