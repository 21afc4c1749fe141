// Convergence of read access: random joins, bans, Gold payments, posts, shares, concurrent
// rotations, forged and leaky key records, delivered to several replicas in different orders and
// partitions. Every replica must judge the same epochs, and each member must open exactly the
// posts whose epoch they were entitled to (or were given by a share), by an independent model.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { admit, newCommunity, newMember } from '../../../tests/unit/community-fixture';
import { keyringOf, rotate, share } from '../../../tests/unit/keys-fixture';
import { acceptedKeys, type Keyring } from '../crypto/epoch-keys';
import { openContent, sealContent } from '../crypto/content-seal';
import type { Identity } from '../crypto/identity';
import { sealRecord } from '../crypto/record-seal';
import { computeAuthority } from './authority';
import { currentEpochs, epochForSealing, validKeyRecords, type EpochView } from './epochs';
import type { AnyRecord, SignedRecord } from './record';
import { entitledMembers, scopeContext, type Scope } from './scopes';

const DAY = 86_400_000;
const T0 = 1_700_000_000_000;
const GRACE = 7 * DAY;
const PERIOD = 30 * DAY;
const MEMBERS = 4;
const SCOPES: Scope[] = ['all', 'tier:Gold'];

type Op =
  | { t: 'join'; m: number }
  | { t: 'ban'; m: number }
  | { t: 'pay'; m: number }
  | { t: 'rotate'; scope: number; concurrent: boolean }
  | { t: 'post'; m: number; scope: number }
  | { t: 'share'; m: number }
  | { t: 'forge'; m: number }
  | { t: 'leak' }
  | { t: 'wait'; days: number };

const m = fc.integer({ min: 0, max: MEMBERS - 1 });
const scope = fc.integer({ min: 0, max: 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('join' as const), m }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('ban' as const), m }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('pay' as const), m }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('rotate' as const), scope, concurrent: fc.boolean() }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('post' as const), m: fc.integer({ min: -1, max: MEMBERS - 1 }), scope }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('share' as const), m }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('forge' as const), m }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('leak' as const) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('wait' as const), days: fc.integer({ min: 5, max: 40 }) }) }
);

let creator: Identity;
let admin: Identity;
let members: Identity[];

beforeAll(async () => {
  creator = await newMember();
  admin = await newMember();
  members = await Promise.all(Array.from({ length: MEMBERS }, () => newMember()));
});

/** The independent model: who is entitled to what, from the operations alone. */
class Model {
  joined = new Map<number, number>();
  banned = new Map<number, number>();
  paid = new Map<number, number[]>();
  shared = new Map<number, Set<string>>();
  isMember(i: number, ts: number) {
    const j = this.joined.get(i);
    const b = this.banned.get(i);
    return j !== undefined && j <= ts && (b === undefined || ts < b);
  }
  entitled(i: number, s: Scope, ts: number): boolean {
    if (!this.isMember(i, ts)) return false;
    if (s === 'all') return true;
    let expires: number | null = null;
    for (const day of this.paid.get(i) ?? []) {
      if (day > ts) break;
      expires = expires === null || day > expires + GRACE ? day + PERIOD : expires + PERIOD;
    }
    return expires !== null && ts < expires + GRACE;
  }
}

async function play(ops: Op[]) {
  const genesis = await newCommunity(creator);
  const cid = genesis.id;
  const records: AnyRecord[] = [genesis, ...(await admit(creator, admin, cid, T0 + 100, 'admin'))];
  const model = new Model();
  const add = (...rs: AnyRecord[]) => records.push(...rs);
  const judge = () => {
    const auth = computeAuthority(genesis, records);
    return validKeyRecords(records, scopeContext(records, auth));
  };
  const staffKeys = [creator.publicKey, admin.publicKey];
  const posts: { record: SignedRecord<'sealed'>; scope: Scope; epoch: string }[] = [];
  const expectRejected = new Set<string>();
  const epochTs = new Map<string, number>();
  const checkpoints: number[] = [];
  add(await sealRecord(creator, { kind: 'tier', cid, ts: T0 + 200, body: { name: 'Gold', price: '$5', benefits: '', durationDays: 30 } }));

  let day = T0 + DAY - ((T0 + DAY) % DAY); // midnight UTC after T0: payments date by calendar day
  // A community under way: the first two members joined, the first paid, both scopes have an epoch.
  const opening: Op[] = [
    { t: 'join', m: 0 },
    { t: 'join', m: 1 },
    { t: 'pay', m: 0 },
    { t: 'rotate', scope: 0, concurrent: false },
    { t: 'rotate', scope: 1, concurrent: false }
  ];
  for (const o of [...opening, ...ops]) {
    day += DAY;
    const ts = day + 3_600_000;
    checkpoints.push(ts, day + 23 * 3_600_000);
    const entitledNow = (s: Scope) => [...staffKeys, ...members.filter((_, i) => model.entitled(i, s, ts)).map((x) => x.publicKey)];
    switch (o.t) {
      case 'wait':
        day += o.days * DAY;
        break;
      case 'join':
        if (model.joined.has(o.m)) break;
        add(...(await admit(creator, members[o.m], cid, ts)));
        model.joined.set(o.m, ts + 1); // the join is signed 1 ms after the invite
        break;
      case 'ban':
        if (!model.isMember(o.m, ts)) break;
        add(await sealRecord(creator, { kind: 'ban', cid, ts, body: { member: members[o.m].publicKey, banned: true } }));
        model.banned.set(o.m, ts);
        break;
      case 'pay': {
        if (!model.isMember(o.m, ts)) break;
        const paidOn = new Date(day).toISOString().slice(0, 10);
        add(
          await sealRecord(creator, { kind: 'payment', cid, ts, body: { member: members[o.m].publicKey, tier: 'Gold', amount: 5, currency: 'USD', paidOn } })
        );
        model.paid.set(o.m, [...(model.paid.get(o.m) ?? []), day]);
        break;
      }
      case 'rotate': {
        const s = SCOPES[o.scope];
        const parents = currentEpochs(judge(), s).map((e) => e.id);
        const one = await rotate(creator, cid, ts, s, entitledNow(s), parents, 'manual');
        epochTs.set(one.epoch, ts);
        add(...one.records);
        if (o.concurrent) {
          const two = await rotate(admin, cid, ts + 5, s, entitledNow(s), parents, 'manual');
          epochTs.set(two.epoch, ts + 5);
          add(...two.records);
        }
        break;
      }
      case 'leak': {
        // The admin wraps Gold for every member who ever joined: valid only if all are entitled now.
        const recipients = [...staffKeys, ...[...model.joined.keys()].map((i) => members[i].publicKey)];
        const leaky = await rotate(
          admin,
          cid,
          ts,
          'tier:Gold',
          recipients,
          currentEpochs(judge(), 'tier:Gold').map((e) => e.id)
        );
        epochTs.set(leaky.epoch, ts);
        if ([...model.joined.keys()].some((i) => !model.entitled(i, 'tier:Gold', ts))) for (const r of leaky.records) expectRejected.add(r.id);
        add(...leaky.records);
        break;
      }
      case 'forge': {
        const forged = await rotate(members[o.m], cid, ts, 'all', [members[o.m].publicKey]);
        for (const r of forged.records) expectRejected.add(r.id);
        add(...forged.records);
        break;
      }
      case 'share': {
        if (!model.entitled(o.m, 'tier:Gold', ts)) break;
        const view = judge();
        const ring = acceptedKeys(await keyringOf(admin, view, cid), view);
        const leaf = epochForSealing(view, 'tier:Gold', (id) => ring.has(id));
        if (!leaf) break;
        add(...(await share(admin, cid, ts, ring.get(leaf.id)!, [members[o.m].publicKey])));
        model.shared.set(o.m, new Set([...(model.shared.get(o.m) ?? []), leaf.id]));
        break;
      }
      case 'post': {
        const author = o.m < 0 ? creator : members[o.m];
        if (o.m >= 0 && !model.isMember(o.m, ts)) break;
        const s = SCOPES[o.scope];
        const view = judge();
        const ring = acceptedKeys(await keyringOf(author, view, cid), view);
        const epoch = epochForSealing(view, s, (id) => ring.has(id));
        if (!epoch) break;
        const sealed = await sealContent(
          { cid, author: author.publicKey, ts },
          'thread',
          { title: `post ${posts.length}`, body: 'words' },
          ring.get(epoch.id)!
        );
        if (!sealed.ok) throw new Error(sealed.reason);
        const record = await sealRecord(author, { kind: 'sealed', cid, ts, body: sealed.value });
        posts.push({ record, scope: s, epoch: epoch.id });
        add(record);
        break;
      }
    }
  }
  return { genesis, cid, records, model, posts, expectRejected, epochTs, checkpoints };
}

function summary(view: EpochView) {
  return {
    epochs: [...view.epochs.keys()].sort(),
    rejected: view.rejected.map((r) => `${r.record.id}:${r.reason}`).sort(),
    current: SCOPES.map((s) => currentEpochs(view, s).map((e) => e.id)),
    shares: view.shares.map((s) => s.id)
  };
}

describe('read access across replicas', () => {
  it('every replica judges the same epochs, and each member opens exactly the posts of epochs they were entitled to', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 4, maxLength: 16 }),
        fc.array(fc.tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 1 }), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: 3, maxLength: 3 }),
        async (ops, deliveries) => {
          const { genesis, cid, records, model, posts, expectRejected, epochTs, checkpoints } = await play(ops);
          const ctx = scopeContext(records, computeAuthority(genesis, records));
          for (const ts of checkpoints) {
            for (const s of SCOPES) {
              const expected = [creator.publicKey, admin.publicKey, ...members.filter((_, i) => model.entitled(i, s, ts)).map((x) => x.publicKey)].sort();
              expect({ ts, s, entitled: entitledMembers(ctx, s, ts) }).toEqual({ ts, s, entitled: expected });
            }
          }
          const judgeSet = (set: AnyRecord[]) => validKeyRecords(set, scopeContext(set, computeAuthority(genesis, set)));
          const reference = judgeSet(records);
          expect(new Set(reference.rejected.map((r) => r.record.id))).toEqual(expectRejected);

          for (const [[seed], cut] of deliveries) {
            // A replica receives the records in its own order, in two partitions.
            const order = [...records]
              .map((r, i) => ({ r, k: (Math.imul(i + 1, 2_654_435_761) ^ seed) >>> 0 }))
              .sort((a, b) => a.k - b.k)
              .map((x) => x.r);
            const early = order.slice(0, Math.floor(cut * order.length));
            if (!early.includes(genesis)) early.unshift(genesis);
            const partial = judgeSet(early);
            const view = judgeSet(order);
            expect(summary(view)).toEqual(summary(reference));

            const readers: [number, Identity][] = [[-2, creator], [-1, admin], ...members.map((x, i) => [i, x] as [number, Identity])];
            for (const [i, reader] of readers) {
              // Keys unwrapped on the partial view are kept; opening uses those of epochs accepted now.
              const ring: Keyring = acceptedKeys(await keyringOf(reader, view, cid, await keyringOf(reader, partial, cid)), view);
              for (const p of posts) {
                const mayRead = i < 0 || model.entitled(i, p.scope, epochTs.get(p.epoch)!) || !!model.shared.get(i)?.has(p.epoch);
                const opened = await openContent(p.record, ring);
                expect({ reader: i, post: p.record.id, ok: opened.ok }).toEqual({ reader: i, post: p.record.id, ok: mayRead });
              }
            }
          }
        }
      ),
      { numRuns: 40 }
    );
  }, 120_000);
});
