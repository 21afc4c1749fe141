// `appendToAuthority` must give exactly what `computeAuthority` gives over all the records, or refuse.
import { describe, expect, it } from 'vitest';
import { sealRecord } from '../crypto/record-seal';
import type { Identity } from '../crypto/identity';
import { inviteKey, joinBody, newCommunity, newMember, sealInvite } from '../../../tests/unit/community-fixture';
import { appendToAuthority, computeAuthority, membersMoved, standingMoved, type Authority } from './authority';
import { compareRecords, type AnyRecord, type SignedRecord } from './record';

const T0 = 1_700_000_000_000;

/** Everything an authority says, in a form `toEqual` compares: maps sorted, answers asked at every record's time. */
function snapshot(auth: Authority, records: readonly AnyRecord[]) {
  const times = [...new Set(records.map((r) => r.ts))].sort((a, b) => a - b);
  const keys = [...new Set([...auth.known, ...records.map((r) => r.author)])].sort();
  return {
    members: [...auth.members.values()].sort((a, b) => (a.key < b.key ? -1 : 1)),
    invites: [...auth.invites]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([id, i]) => ({
        id,
        uses: i.uses,
        revokedAt: i.revokedAt,
        needsAdmit: i.needsAdmit,
        pending: i.pending.map((j) => j.id),
        admitted: [...i.admitted].sort()
      })),
    pending: [...auth.pending.keys()].sort(),
    restricted: [...auth.restricted].sort(),
    known: [...auth.known].sort(),
    answers: keys.map((key) => ({
      key,
      member: auth.isMember(key),
      role: auth.roleOf(key),
      moderator: auth.isModerator(key),
      hide: auth.mayHide(key),
      trust: auth.trustOf(key),
      at: times.map((ts) => [auth.isMember(key, ts), auth.roleAt(key, ts), auth.trustAt(key, ts), auth.levelAt(key, ts)])
    })),
    accepts: records.map((r) => [r.id, auth.accepts(r), auth.mayAct(r)])
  };
}

/**
 * A community's authority records with every rule in play: open and limited invites (one expiring),
 * joins past expiry, a second join by a member, a join on an unknown invite, admissions, an invite
 * by a trusted member, trust and points levels (each changed again later), a moderator's invite, all
 * at distinct times.
 */
async function history() {
  const creator = await newMember();
  const people = await Promise.all(Array.from({ length: 12 }, () => newMember()));
  const g = await newCommunity(creator);
  let ts = T0 + 1_000;
  const at = () => (ts += 1_000);
  const seal = <K extends 'invite' | 'join' | 'admit' | 'trust' | 'level'>(who: Identity, kind: K, body: SignedRecord<K>['body']) =>
    sealRecord(who, { kind, cid: g.id, ts: at(), body } as never) as Promise<SignedRecord<K>>;
  const invite = (who: Identity, body: Partial<SignedRecord<'invite'>['body']> = {}) =>
    seal(who, 'invite', { role: 'member', expiresAt: null, maxUses: null, label: 'l', nonce: String(ts), ...inviteKey(), ...body });
  const join = (who: Identity, inv: SignedRecord<'invite'>) => seal(who, 'join', joinBody(inv, who));
  const [a, b, c, d, e, f, h, i, j, k, l, m] = people;
  const records: AnyRecord[] = [];
  const open = await invite(creator);
  const limited = await invite(creator, { maxUses: 2 });
  const expiring = await invite(creator, { expiresAt: ts + 3_500 });
  const mods = await invite(creator, { role: 'moderator' });
  records.push(open, limited, expiring, mods);
  const joins = [await join(a, open), await join(b, limited), await join(c, expiring), await join(d, mods), await join(e, limited)];
  records.push(...joins);
  records.push(await join(f, expiring)); // past its expiry: refused
  records.push(await seal(creator, 'admit', { invite: limited.id, joins: [joins[1].id] }));
  records.push(await seal(creator, 'trust', { member: a.publicKey, level: 2 }));
  const byA = await invite(a);
  records.push(byA, await join(h, byA), await join(a, byA)); // a second join by a member: ignored
  records.push(await seal(creator, 'level', { member: h.publicKey, level: 3 }));
  const stray = await invite(people[11]); // by a non-member: never an invite
  records.push(stray, await join(i, stray));
  records.push(await seal(creator, 'admit', { invite: limited.id, joins: [joins[4].id] }));
  records.push(await join(j, limited)); // past its two uses: waits, and no admit can let it in
  records.push(await seal(creator, 'admit', { invite: limited.id, joins: [records.at(-1)!.id] }));
  records.push(await seal(creator, 'trust', { member: h.publicKey, level: 3 }), await join(k, open), await join(l, mods));
  records.push(await seal(d, 'trust', { member: k.publicKey, level: 1 })); // a moderator may not publish trust
  records.push(await seal(creator, 'level', { member: k.publicKey, level: 2 }), await join(m, open));
  // A second trust and a second level: an append adds to a history the authority before it holds.
  records.push(await seal(creator, 'trust', { member: a.publicKey, level: 1 }), await seal(creator, 'level', { member: k.publicKey, level: 3 }));
  return { g, records: records.sort(compareRecords), people };
}

/** A ban of `member` by the creator after every record of `history()`, naming no heads (unsigned: authority does not check signatures). */
function creatorsBan(g: SignedRecord<'genesis'>, member: Identity): AnyRecord {
  return {
    id: 'x'.repeat(43),
    kind: 'ban',
    cid: g.id,
    author: g.author,
    ts: T0 + 10_000_000,
    body: { member: member.publicKey, banned: true, heads: [] },
    sig: ''
  } as unknown as AnyRecord;
}

describe('an authority extended by records that come after all the others', () => {
  it('equals the authority replayed from every record, at every cut and batch size', async () => {
    const { g, records } = await history();
    const whole = snapshot(computeAuthority(g, records), records);
    let appended = 0;
    for (let cut = 0; cut < records.length; cut++) {
      for (const size of [1, 2, 5]) {
        let auth: Authority | null = computeAuthority(g, records.slice(0, cut));
        for (let from = cut; auth && from < records.length; from += size) auth = appendToAuthority(auth, records.slice(from, from + size));
        if (!auth) continue;
        appended++;
        expect(snapshot(auth, records), `cut ${cut}, batches of ${size}`).toEqual(whole);
      }
    }
    // Only the cuts after a join some admit names must replay: most appends are taken.
    expect(appended).toBeGreaterThan(records.length * 2);
  });

  it('leaves the authority it extends as it was, at every cut and batch size', async () => {
    const { g, records } = await history();
    let taken = 0;
    for (let cut = 0; cut < records.length; cut++) {
      for (const size of [1, 2, 5, records.length]) {
        let auth: Authority | null = computeAuthority(g, records.slice(0, cut));
        for (let from = cut; auth && from < records.length; from += size) {
          const was = snapshot(auth, records);
          const next = appendToAuthority(auth, records.slice(from, from + size));
          expect(snapshot(auth, records), `cut ${cut}, batch at ${from} of ${size}`).toEqual(was);
          if (next) taken++;
          auth = next;
        }
      }
    }
    expect(taken).toBeGreaterThan(records.length * 2);
  });

  it('refuses a record from before the last one replayed, a repeated one, and a ban', async () => {
    const { g, records, people } = await history();
    const auth = computeAuthority(g, records.slice(0, -3));
    expect(appendToAuthority(auth, [records[2]])).toBeNull();
    expect(appendToAuthority(auth, [records.at(-3)!, records.at(-3)!])).toBeNull();
    expect(appendToAuthority(computeAuthority(g, records), [creatorsBan(g, people[0])])).toBeNull();
  });

  it('refuses a join that an admission replayed earlier named (the full replay admits it there)', async () => {
    const creator = await newMember();
    const newcomer = await newMember();
    const g = await newCommunity(creator);
    const limited = await sealInvite(creator, g.id, T0 + 10, { maxUses: 1 });
    const join = await sealRecord(newcomer, { kind: 'join', cid: g.id, ts: T0 + 30, body: joinBody(limited, newcomer) });
    const admission = await sealRecord(creator, { kind: 'admit', cid: g.id, ts: T0 + 20, body: { invite: limited.id, joins: [join.id] } });
    // The admission came first (dated before the join it names: the newcomer's clock was ahead).
    const before = computeAuthority(g, [limited, admission]);
    expect(appendToAuthority(before, [join])).toBeNull();
    expect(computeAuthority(g, [limited, admission, join]).isMember(newcomer.publicKey)).toBe(true);
  });

  it('is not offered by an authority that restricts someone', async () => {
    const { g, records, people } = await history();
    const restricted = computeAuthority(g, [...records, creatorsBan(g, people[0])]);
    expect(restricted.restricted.size).toBe(1);
    const later = { ...records.find((r) => r.kind === 'level')!, id: 'y'.repeat(43), ts: T0 + 20_000_000 } as AnyRecord;
    expect(appendToAuthority(restricted, [later])).toBeNull();
  });
});

describe('the members an appended join or admission moves', () => {
  it('include everyone whose standing differs, and only the joins’ authors, over every run of joins and admissions (and so do the members to re-project)', async () => {
    const { g, records } = await history();
    const byId = new Map(records.map((r) => [r.id, r]));
    const answers = (auth: Authority) => new Map(snapshot(auth, records).answers.map((a) => [a.key, JSON.stringify(a)]));
    let runs = 0;
    for (let cut = 0; cut < records.length; cut++) {
      const base = computeAuthority(g, records.slice(0, cut));
      const then = answers(base);
      let auth: Authority | null = base;
      const authors = new Set<string>();
      for (let i = cut; auth && i < records.length && ['join', 'admit'].includes(records[i].kind); i++) {
        const r = records[i];
        auth = appendToAuthority(auth, [r]);
        if (!auth) break;
        if (r.kind === 'join') authors.add(r.author);
        if (r.kind === 'admit') for (const id of r.body.joins) if (byId.has(id)) authors.add(byId.get(id)!.author);
        const moved = membersMoved(auth, base);
        expect(moved, `cut ${cut}, up to ${i}`).not.toBeNull();
        const differ = [...answers(auth)].filter(([key, a]) => then.get(key) !== a).map(([key]) => key);
        const changed = standingMoved(base, auth).shown;
        for (const key of differ) expect(moved!.has(key) && changed.has(key), `cut ${cut}, up to ${i}: ${key.slice(0, 8)} differs`).toBe(true);
        for (const key of moved!) expect(authors.has(key), `cut ${cut}, up to ${i}: ${key.slice(0, 8)} moved`).toBe(true);
        runs++;
      }
    }
    expect(runs).toBeGreaterThan(10);
  });

  it('are not known across anything else appended, nor between authorities replayed apart', async () => {
    const { g, records } = await history();
    const trust = records.findIndex((r) => r.kind === 'trust');
    const base = computeAuthority(g, records.slice(0, trust));
    const withTrust = appendToAuthority(base, [records[trust]])!;
    expect(withTrust).not.toBeNull();
    expect(membersMoved(withTrust, base)).toBeNull();
    expect(membersMoved(base, base)).toEqual(new Set());
    // The same records replayed twice: neither continues the other.
    expect(membersMoved(computeAuthority(g, records), computeAuthority(g, records.slice(0, -1)))).toBeNull();
    // Two appends from one authority of different joins: neither continues the other.
    const cut = records.findIndex((r, i) => i > 0 && r.kind === 'join' && records[i + 1]?.kind === 'join');
    const from = computeAuthority(g, records.slice(0, cut));
    const first = appendToAuthority(from, [records[cut]])!;
    const second = appendToAuthority(from, [records[cut + 1]])!;
    expect(membersMoved(second, first)).toBeNull();
    expect(membersMoved(first, second)).toBeNull();
    // Both joins appended at once continue the first alone: the second join's author moved since.
    const both = appendToAuthority(from, [records[cut], records[cut + 1]])!;
    expect(membersMoved(both, first)).toEqual(new Set([records[cut + 1].author]));
  });
});
