// Events in the inbox: a new event from the creator is news, and a member who answered is reminded
// by their own device within the hour before it starts, once (Dexie on fake-indexeddb).
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { admit, newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import { REMIND_BEFORE_MS } from '../domain/events';
import type { AnyRecord } from '../domain/record';
import { HearthDb } from '../store/db';
import { CommunityDoc } from '../sync/community-doc';
import { fileEventReminders } from './event-reminders';
import { InboxDb } from './inbox-db';
import { notifyFromBatch } from './notifier';
import { readsOver } from '../sync/community-reads';

const START = 1_700_100_000_000;
let n = 0;

async function bobsDevice() {
  const alice = await newMember();
  const bob = await newMember();
  const carol = await newMember();
  const g = await newCommunity(alice);
  const db = new HearthDb(`events-notify-${n}`);
  const inbox = new InboxDb(`events-inbox-${n++}`);
  const doc = new CommunityDoc(db, g.id);
  await doc.open();
  const me = bob.publicKey;
  let pending: Promise<unknown> = Promise.resolve();
  doc.onAccepted((records) => void (pending = pending.then(() => notifyFromBatch(db, inbox, me, g.id, records))));
  const add = async (...records: AnyRecord[]) => {
    for (const r of records) expect((await doc.append(r)).ok).toBe(true);
    await doc.settled();
    await pending;
  };
  await add(g, ...(await admit(alice, bob, g.id)), ...(await admit(alice, carol, g.id, 1_700_000_000_600)));
  await db.communities.update(g.id, { addedAt: 0 });
  return { db, inbox, add, me, cid: g.id, a: writer(alice, g.id), b: writer(bob, g.id, 1_700_000_100_000), c: writer(carol, g.id, 1_700_000_100_000) };
}

const event = { title: 'Tea at the bridge', description: '', place: 'Old bridge', start: START, end: START + 3_600_000, capacity: null };

describe('events in the inbox', () => {
  it('a new event from the creator is news; one a member made up is not, nor is a revision', async () => {
    const { inbox, add, a, c } = await bobsDevice();
    const made = await a('event', event, START - 86_400_000);
    await add(
      made,
      await c('event', { ...event, title: 'Fake' }, START - 86_000_000),
      await a('event', { ...event, of: made.id, title: 'Tea, moved' }, START - 85_000_000)
    );
    expect((await inbox.notifications.toArray()).map((r) => [r.kind, r.source, r.link])).toEqual([['event', made.id, `/c/${made.cid}/events/${made.id}`]]);
  });

  it('reminds a member who is going within the hour before the start, once; not one who cannot go', async () => {
    const { db, inbox, add, a, b, me, cid } = await bobsDevice();
    const made = await a('event', event, START - 86_400_000);
    await add(made, await b('rsvp', { event: made.id, status: 'going' }, START - 80_000_000));
    expect(await fileEventReminders(db, inbox, me, cid, START - REMIND_BEFORE_MS - 60_000)).toEqual([]);
    const filed = await fileEventReminders(db, inbox, me, cid, START - REMIND_BEFORE_MS + 60_000);
    expect(filed.map((r) => [r.kind, r.source, r.excerpt])).toEqual([['event_reminder', made.id, 'Tea at the bridge']]);
    expect(await fileEventReminders(db, inbox, me, cid, START - 60_000)).toEqual([]);
    expect((await inbox.notifications.toArray()).filter((r) => r.kind === 'event_reminder')).toHaveLength(1);

    const other = await a('event', { ...event, title: 'Later' }, START - 86_300_000);
    await add(other, await b('rsvp', { event: other.id, status: 'no' }, START - 80_000_000));
    expect(await fileEventReminders(db, inbox, me, cid, START - 60_000)).toEqual([]);
  });

  it('reminds from the events the community’s reads give, not from records on the page’s own store (which holds none)', async () => {
    const { db, inbox, add, a, b, me, cid } = await bobsDevice();
    const made = await a('event', event, START - 86_400_000);
    await add(made, await b('rsvp', { event: made.id, status: 'going' }, START - 80_000_000));
    // A page's database: the community's counts (which say it has events), none of its records.
    const page = new HearthDb(`events-page-${n++}`);
    await page.recordCounts.bulkPut(await db.recordCounts.toArray());
    const filed = await fileEventReminders(page, inbox, me, cid, START - REMIND_BEFORE_MS + 60_000, readsOver(db));
    expect(filed.map((r) => [r.kind, r.source])).toEqual([['event_reminder', made.id]]);
  });
});
