// Events converge: random answers from several members, with clashing timestamps, delivered in any
// order, give every replica the same line-up; it never passes the capacity, and it holds exactly the
// members whose latest answer is "going", first come first served by an independent model.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { admit, newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import type { Identity } from '../crypto/identity';
import { sealRecord } from '../crypto/record-seal';
import { computeAuthority } from './authority';
import { projectEvents, type RsvpStatus } from './events';
import { compareRecords, type AnyRecord, type SignedRecord } from './record';

const T0 = 1_700_000_000_000;
const START = T0 + 86_400_000;
const MEMBERS = 5;
const STATUSES: RsvpStatus[] = ['going', 'maybe', 'no'];

let creator: Identity;
let members: Identity[];
let base: AnyRecord[];
let cid: string;

beforeAll(async () => {
  creator = await newMember();
  members = await Promise.all(Array.from({ length: MEMBERS }, () => newMember()));
  const genesis = await newCommunity(creator);
  cid = genesis.id;
  base = [genesis];
  for (const [i, m] of members.entries()) base.push(...(await admit(creator, m, cid, T0 + 100 + i * 10)));
});

/** The line-up as a person would work it out: each member's answers in order, places by when their current "going" began. */
function model(rsvps: SignedRecord<'rsvp'>[], capacity: number) {
  const since = new Map<string, SignedRecord<'rsvp'> | null>();
  for (const r of [...rsvps].sort(compareRecords)) {
    const current = since.get(r.author);
    if (r.body.status !== 'going') since.set(r.author, null);
    else if (!current) since.set(r.author, r);
  }
  const going = [...since.values()]
    .filter((r): r is SignedRecord<'rsvp'> => !!r)
    .sort(compareRecords)
    .map((r) => r.author);
  return { going: going.slice(0, capacity), waitlist: going.slice(capacity) };
}

describe('events converge', () => {
  it('every delivery order gives the same places and waitlist, within capacity, as the model says', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.record({ m: fc.integer({ min: 0, max: MEMBERS - 1 }), s: fc.constantFrom(...STATUSES), dt: fc.integer({ min: 0, max: 6 }) }), {
          minLength: 1,
          maxLength: 14
        }),
        fc.array(fc.integer(), { minLength: 2, maxLength: 2 }),
        async (capacity, ops, seeds) => {
          const event = await writer(creator, cid)('event', { title: 'Ride', description: '', start: START, end: START + 3_600_000, capacity }, T0 + 1000);
          // Few distinct times, so equal timestamps (ordered by id) are common.
          const rsvps = await Promise.all(
            ops.map((o) => sealRecord(members[o.m], { kind: 'rsvp', cid, ts: T0 + 2000 + o.dt * 1000, body: { event: event.id, status: o.s } }))
          );
          const all = [...base, event, ...rsvps];
          const shuffled = (seed: number) =>
            [...all].sort((a, b) => (a.id.charCodeAt(seed & 31) ^ seed) - (b.id.charCodeAt(seed & 31) ^ seed) || (a.id < b.id ? -1 : 1));
          const rows = seeds.map((s) => projectEvents(shuffled(s >>> 0), computeAuthority(base[0] as never, all))[0]);
          const expected = model(rsvps, capacity);
          for (const row of rows) {
            expect(row.going).toEqual(expected.going);
            expect(row.waitlist).toEqual(expected.waitlist);
            expect(row.going.length).toBeLessThanOrEqual(capacity);
            expect(row.going.filter((k) => row.waitlist.includes(k))).toEqual([]);
          }
        }
      ),
      { numRuns: 60 }
    );
  });
});
