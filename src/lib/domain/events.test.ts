import { describe, expect, it } from 'vitest';
import ICAL from 'ical.js';
import { admit, newMember, smallCommunity, writer } from '../../../tests/unit/community-fixture';
import { computeAuthority } from './authority';
import { attendance, canCheckIn, CHECKIN_EARLY_MS, dueReminders, eligibleAt, placesLeft, projectEvents, REMIND_BEFORE_MS, standingOf } from './events';
import { scopeContext } from './scopes';
import { eventCalendar } from './event-calendar';
import type { AnyRecord, BodyOf } from './record';

const HOUR = 3_600_000;
const START = 1_700_100_000_000;
const body = (over: Partial<BodyOf<'event'>> = {}): BodyOf<'event'> => ({
  title: 'Sunday ride',
  description: 'Bring water',
  place: 'Old bridge',
  start: START,
  end: START + 2 * HOUR,
  capacity: 2,
  ...over
});

/** A community with the creator, Bob and three more members; each writes with their own clock. */
async function town() {
  const c = await smallCommunity();
  const more = await Promise.all([newMember(), newMember(), newMember()]);
  const joins: AnyRecord[] = [];
  for (const m of more) joins.push(...(await admit(c.creator, m, c.cid)));
  const [x, y, z] = more.map((m) => writer(m, c.cid, 1_700_000_200_000));
  return { ...c, more, x, y, z, base: [...c.records, ...joins] };
}

const project = (records: AnyRecord[], genesis: AnyRecord) => projectEvents(records, computeAuthority(genesis as never, records));

describe('events', () => {
  it('fills to capacity in the order members said going; the next is waitlisted and moves up when someone leaves', async () => {
    const { genesis, a, b, x, y, bob, more, base } = await town();
    const event = await a('event', body(), START - 10 * HOUR);
    const r1 = await b('rsvp', { event: event.id, status: 'going' }, START - 9 * HOUR);
    const r2 = await x('rsvp', { event: event.id, status: 'going' }, START - 8 * HOUR);
    const r3 = await y('rsvp', { event: event.id, status: 'going' }, START - 7 * HOUR);
    const full = project([...base, event, r1, r2, r3], genesis)[0];
    expect(full.going).toEqual([bob.publicKey, more[0].publicKey]);
    expect(full.waitlist).toEqual([more[1].publicKey]);
    expect(placesLeft(full)).toBe(0);
    expect(standingOf(full, more[1].publicKey)).toEqual({ status: 'going', place: 'waitlist', position: 1 });

    const leave = await b('rsvp', { event: event.id, status: 'no' }, START - 6 * HOUR);
    const after = project([...base, event, r1, r2, r3, leave], genesis)[0];
    expect(after.going).toEqual([more[0].publicKey, more[1].publicKey]);
    expect(after.waitlist).toEqual([]);
    expect(after.no).toEqual([bob.publicKey]);
  });

  it('two RSVPs with the same time are ordered by id, the same on every peer whatever order they arrive in', async () => {
    const { genesis, a, b, x, base } = await town();
    const event = await a('event', body({ capacity: 1 }), START - 10 * HOUR);
    const r1 = await b('rsvp', { event: event.id, status: 'going' }, START - 5 * HOUR);
    const r2 = await x('rsvp', { event: event.id, status: 'going' }, START - 5 * HOUR);
    const first = r1.id < r2.id ? r1.author : r2.author;
    const one = project([...base, event, r1, r2], genesis)[0];
    const other = project([r2, event, ...base.slice().reverse(), r1], genesis)[0];
    expect(one.going).toEqual([first]);
    expect(other.going).toEqual(one.going);
    expect(other.waitlist).toEqual(one.waitlist);
  });

  it('a member’s latest RSVP holds; saying going again keeps the place, leaving and coming back goes to the end of the line', async () => {
    const { genesis, a, b, x, y, bob, more, base } = await town();
    const event = await a('event', body(), START - 10 * HOUR);
    const rs = [
      await b('rsvp', { event: event.id, status: 'going' }, START - 9 * HOUR),
      await x('rsvp', { event: event.id, status: 'going' }, START - 8 * HOUR),
      await y('rsvp', { event: event.id, status: 'going' }, START - 7 * HOUR),
      // Bob says going again: still first.
      await b('rsvp', { event: event.id, status: 'going' }, START - 6 * HOUR)
    ];
    expect(project([...base, event, ...rs], genesis)[0].going).toEqual([bob.publicKey, more[0].publicKey]);
    // X goes to maybe and back: behind Y, who now has the place.
    const maybe = await x('rsvp', { event: event.id, status: 'maybe' }, START - 5 * HOUR);
    const back = await x('rsvp', { event: event.id, status: 'going' }, START - 4 * HOUR);
    const row = project([...base, event, ...rs, maybe, back], genesis)[0];
    expect(row.going).toEqual([bob.publicKey, more[1].publicKey]);
    expect(row.waitlist).toEqual([more[0].publicKey]);
    expect(row.maybe).toEqual([]);
  });

  it('answers dated after the end or before the event was made change nothing', async () => {
    const { genesis, a, b, x, bob, base } = await town();
    const event = await a('event', body(), START - 10 * HOUR);
    const early = await x('rsvp', { event: event.id, status: 'going' }, START - 11 * HOUR);
    const going = await b('rsvp', { event: event.id, status: 'going' }, START - 9 * HOUR);
    const late = await b('rsvp', { event: event.id, status: 'no' }, START + 2 * HOUR);
    const row = project([...base, event, early, going, late], genesis)[0];
    expect(row.going).toEqual([bob.publicKey]);
    expect(row.no).toEqual([]);
  });

  it('only the creator or an admin makes or revises an event; the newest revision holds and may cancel it', async () => {
    const { genesis, a, b, creator, cid, base } = await town();
    const admin = await newMember();
    const [invite, join] = await admit(creator, admin, cid, 1_700_000_300_000, 'admin');
    const ad = writer(admin, cid, 1_700_000_400_000);
    const event = await a('event', body(), START - 10 * HOUR);
    const bobsOwn = await b('event', body({ title: 'Bob’s party' }), START - 10 * HOUR);
    const bobsRevision = await b('event', body({ of: event.id, title: 'Hijacked' }), START - 9 * HOUR);
    const moved = await ad('event', body({ of: event.id, start: START + HOUR, end: START + 3 * HOUR, capacity: null }), START - 8 * HOUR);
    const cancelled = await a('event', body({ of: event.id, start: START + HOUR, end: START + 3 * HOUR, capacity: null, cancelled: true }), START - 7 * HOUR);
    const orphan = await a('event', body({ of: 'x'.repeat(43), title: 'Ghost' }), START - 7 * HOUR);
    const all = [...base, invite, join, event, bobsOwn, bobsRevision, moved, orphan];
    const rows = project(all, genesis);
    expect(rows.map((e) => [e.id, e.title, e.start, e.capacity])).toEqual([[event.id, 'Sunday ride', START + HOUR, null]]);
    expect(project([...all, cancelled], genesis)[0].cancelled).toBe(true);
  });

  it('counts check-ins only from members holding a place, during the event (from half an hour before)', async () => {
    const { genesis, a, b, x, y, z, creator, bob, more, base } = await town();
    const event = await a('event', body(), START - 10 * HOUR);
    const rs = [
      await b('rsvp', { event: event.id, status: 'going' }, START - 9 * HOUR),
      await x('rsvp', { event: event.id, status: 'going' }, START - 8 * HOUR),
      await y('rsvp', { event: event.id, status: 'going' }, START - 7 * HOUR), // waitlisted
      await z('rsvp', { event: event.id, status: 'maybe' }, START - 7 * HOUR)
    ];
    const checkins = [
      await b('event-checkin', { event: event.id }, START - CHECKIN_EARLY_MS - 1), // too early
      await b('event-checkin', { event: event.id }, START - CHECKIN_EARLY_MS), // counts
      await y('event-checkin', { event: event.id }, START + 60_000), // waiting in line
      await z('event-checkin', { event: event.id }, START + 60_000), // only maybe
      await y('event-checkin', { event: event.id, member: more[0].publicKey }, START + 60_000), // not staff: for someone else
      await x('event-checkin', { event: event.id }, START + 2 * HOUR + 1) // after the end
    ];
    let row = project([...base, event, ...rs, ...checkins], genesis)[0];
    expect([...row.checkedIn.keys()]).toEqual([bob.publicKey]);
    expect(row.checkedIn.get(bob.publicKey)).toBe(START - CHECKIN_EARLY_MS);

    // The creator records X's presence; Bob leaving afterwards does not undo his check-in.
    const forX = await a('event-checkin', { event: event.id, member: more[0].publicKey }, START + HOUR);
    const bobLeaves = await b('rsvp', { event: event.id, status: 'no' }, START + HOUR + 1);
    row = project([...base, event, ...rs, ...checkins, forX, bobLeaves], genesis)[0];
    expect(new Set(row.checkedIn.keys())).toEqual(new Set([bob.publicKey, more[0].publicKey]));
    expect(attendance(row)).toEqual({ going: 2, checkedIn: 2, rate: 0.5 });
    expect(row.going).toEqual([more[0].publicKey, more[1].publicKey]);
    expect(creator.publicKey).toBe(row.author);
  });

  it('a check-in made while waiting in line does not count even if a place frees up later', async () => {
    const { genesis, a, b, x, more, base } = await town();
    const event = await a('event', body({ capacity: 1 }), START - 10 * HOUR);
    const rs = [
      await b('rsvp', { event: event.id, status: 'going' }, START - 9 * HOUR),
      await x('rsvp', { event: event.id, status: 'going' }, START - 8 * HOUR)
    ];
    const tooSoon = await x('event-checkin', { event: event.id }, START + 60_000);
    const bobLeaves = await b('rsvp', { event: event.id, status: 'no' }, START + 120_000);
    const row = project([...base, event, ...rs, tooSoon, bobLeaves], genesis)[0];
    expect(row.going).toEqual([more[0].publicKey]);
    expect(row.checkedIn.size).toBe(0);
    expect(canCheckIn(row, more[0].publicKey, START + 180_000)).toBe(true);
    expect(canCheckIn(row, more[0].publicKey, START + 2 * HOUR + 1)).toBe(false);
  });

  it('answers from members the limit leaves out do not take a place; staff always may', async () => {
    const { genesis, a, b, x, creator, more, base } = await town();
    const event = await a('event', body({ level: 3 }), START - 10 * HOUR);
    const rs = [
      await b('rsvp', { event: event.id, status: 'going' }, START - 9 * HOUR),
      await x('rsvp', { event: event.id, status: 'going' }, START - 8 * HOUR),
      await a('rsvp', { event: event.id, status: 'going' }, START - 7 * HOUR)
    ];
    const all = [...base, event, ...rs];
    const levels = new Map([[more[0].publicKey, 3]]);
    const rows = projectEvents(all, computeAuthority(genesis, all), (m, e) => (levels.get(m) ?? 1) >= (e.level ?? 1));
    expect(rows[0].going).toEqual([more[0].publicKey, creator.publicKey]);
  });

  it('a "going" from a member below the event\'s level when they sent it takes no place on any peer; once their level is published it does', async () => {
    const { genesis, a, b, x, bob, more, base } = await town();
    const event = await a('event', body({ level: 3, capacity: 1 }), START - 10 * HOUR);
    // Bob's modified client answers before his level allows it; the member x answers after reaching it.
    const forged = await b('rsvp', { event: event.id, status: 'going' }, START - 9 * HOUR);
    const promoted = await a('level', { member: more[0].publicKey, level: 3 }, START - 8 * HOUR);
    const fair = await x('rsvp', { event: event.id, status: 'going' }, START - 7 * HOUR);
    const all = [...base, event, forged, promoted, fair];
    const auth = computeAuthority(genesis, all);
    const rows = projectEvents(all, auth, eligibleAt(scopeContext(all, auth)));
    expect(rows[0].going).toEqual([more[0].publicKey]);
    expect(rows[0].waitlist).toEqual([]);
    expect(standingOf(rows[0], bob.publicKey).status).toBe(null);
    // Published for Bob later: only what he says from then on counts.
    const bobUp = await a('level', { member: bob.publicKey, level: 4 }, START - 6 * HOUR);
    const again = await b('rsvp', { event: event.id, status: 'going' }, START - 5 * HOUR);
    const later = [...all, bobUp, again];
    const auth2 = computeAuthority(genesis, later);
    const rows2 = projectEvents(later, auth2, eligibleAt(scopeContext(later, auth2)));
    expect(rows2[0].going).toEqual([more[0].publicKey]);
    expect(rows2[0].waitlist).toEqual([bob.publicKey]);
  });

  it('a "going" to a tier\'s event from a member without the tier then is dropped; after they paid it counts', async () => {
    const { genesis, a, b, bob, base } = await town();
    const tier = await a('tier', { name: 'Gold', price: '$5', benefits: 'Rides', durationDays: 30 }, START - 20 * 24 * HOUR);
    const event = await a('event', body({ tier: 'Gold' }), START - 10 * HOUR);
    const early = await b('rsvp', { event: event.id, status: 'going' }, START - 9 * HOUR);
    const project2 = (records: AnyRecord[]) => {
      const auth = computeAuthority(genesis, records);
      return projectEvents(records, auth, eligibleAt(scopeContext(records, auth)))[0];
    };
    expect(project2([...base, tier, event, early]).going).toEqual([]);
    const paidOn = new Date(START - 8 * HOUR).toISOString().slice(0, 10);
    const paid = await a('payment', { member: bob.publicKey, tier: 'Gold', amount: 5, currency: 'USD', paidOn }, START - 8 * HOUR);
    const after = await b('rsvp', { event: event.id, status: 'going' }, START - 1 * HOUR);
    expect(project2([...base, tier, event, early, paid, after]).going).toEqual([bob.publicKey]);
  });

  it('reminds members going, waiting or maybe within the hour before the start, and nobody else', async () => {
    const { genesis, a, b, x, y, z, bob, more, base } = await town();
    const event = await a('event', body({ capacity: 1 }), START - 10 * HOUR);
    const rs = [
      await b('rsvp', { event: event.id, status: 'going' }, START - 9 * HOUR),
      await x('rsvp', { event: event.id, status: 'going' }, START - 8 * HOUR),
      await y('rsvp', { event: event.id, status: 'maybe' }, START - 8 * HOUR),
      await z('rsvp', { event: event.id, status: 'no' }, START - 8 * HOUR)
    ];
    const events = project([...base, event, ...rs], genesis);
    const due = (m: string, now: number) => dueReminders(events, m, now).map((e) => e.id);
    expect(due(bob.publicKey, START - REMIND_BEFORE_MS - 1)).toEqual([]);
    expect(due(bob.publicKey, START - REMIND_BEFORE_MS)).toEqual([event.id]);
    expect(due(more[0].publicKey, START - 60_000)).toEqual([event.id]);
    expect(due(more[1].publicKey, START - 60_000)).toEqual([event.id]);
    expect(due(more[2].publicKey, START - 60_000)).toEqual([]);
    expect(due(bob.publicKey, START)).toEqual([]);
  });

  it('writes an .ics that a calendar parser reads with the event’s summary, start, end and place', async () => {
    const { genesis, a, base } = await town();
    const event = await a('event', body({ title: '周日骑行: Sunday ride', link: 'https://meet.example.org/ride' }), START - 10 * HOUR);
    const row = project([...base, event], genesis)[0];
    const file = eventCalendar(row, { community: 'Morning riders', alarmMinutes: 60 });
    if (!file.ok) throw new Error(file.reason);
    expect(file.filename).toBe('周日骑行-Sunday-ride.ics');
    const vevent = new ICAL.Component(ICAL.parse(file.value)).getFirstSubcomponent('vevent');
    if (!vevent) throw new Error('no VEVENT');
    const parsed = new ICAL.Event(vevent);
    expect(parsed.summary).toBe('周日骑行: Sunday ride');
    expect(parsed.startDate.toJSDate().getTime()).toBe(START);
    expect(parsed.endDate.toJSDate().getTime()).toBe(START + 2 * HOUR);
    expect(parsed.location).toBe('Old bridge');
    expect(parsed.uid).toBe(`${event.id}@hearth`);
    expect(parsed.description).toContain('https://meet.example.org/ride');
    expect(vevent.getFirstSubcomponent('valarm')).not.toBeNull();
  });
});
