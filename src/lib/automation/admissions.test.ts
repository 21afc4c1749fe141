// Admissions on the creator's device, on real storage (fake-indexeddb): many joins on one invite are
// admitted in one append (one projection, one authority extension), not one per 200 joins.
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { inviteKey, joinBody, newCommunity, newMember } from '../../../tests/unit/community-fixture';
import { generateIdentity } from '../crypto/identity';
import { sealRecord } from '../crypto/record-seal';
import type { AnyRecord } from '../domain/record';
import { HearthDb } from '../store/db';
import { authorityOf } from '../store/projection';
import { CommunityDoc } from '../sync/community-doc';
import { admitPending } from './admissions';

describe('admitPending', () => {
  it('admits 450 joins on an open invite in one append of three admit records', async () => {
    const { identity: creator, stored } = await generateIdentity();
    const genesis = await newCommunity(creator);
    const cid = genesis.id;
    const db = new HearthDb('admissions-0');
    await db.identity.put({ key: 'me', ...stored, name: 'Alice', createdAt: 0 });
    const doc = new CommunityDoc(db, cid);
    await doc.open();
    const invite = await sealRecord(creator, {
      kind: 'invite',
      cid,
      ts: 1_700_000_000_500,
      body: { role: 'member', expiresAt: null, maxUses: null, label: 'imported', nonce: 'x', ...inviteKey() }
    });
    const members = await Promise.all(Array.from({ length: 450 }, () => newMember()));
    const joins = await Promise.all(members.map((m, i) => sealRecord(m, { kind: 'join', cid, ts: 1_700_000_001_000 + i, body: joinBody(invite, m) })));
    await doc.importRecords([genesis, invite, ...joins] as AnyRecord[]);
    await doc.settled();

    const append = vi.spyOn(doc, 'append');
    expect(await admitPending(db, doc, creator, 1_700_000_100_000)).toBe(3);
    expect(append).toHaveBeenCalledTimes(1);
    expect((append.mock.calls[0][0] as AnyRecord[]).map((r) => r.kind)).toEqual(['admit', 'admit', 'admit']);
    const state = (await authorityOf(db, cid))!.invites.get(invite.id)!;
    expect(state.admitted.size).toBe(450);
    // Nothing is left to admit.
    expect(await admitPending(db, doc, creator, 1_700_000_200_000)).toBe(0);
  }, 60_000);
});
