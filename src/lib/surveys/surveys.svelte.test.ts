// Surveys as a page asks for them: who may start one, for whom, and which surveys and responses
// count, all from the community's reads; the page's own store holds none of the records.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { admit, newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import { pageCommunity } from '../../../tests/unit/page-community';
import type { Identity } from '../crypto/identity';
import { sealAnswers } from '../crypto/survey-box';
import { HearthDb } from '../store/db';
import { applyRecords } from '../store/projection';
import { readsOver } from '../sync/community-reads';
import { SurveysState } from './surveys.svelte';

let n = 0;

async function community() {
  const alice = await newMember();
  const admin = await newMember();
  const bob = await newMember();
  const g = await newCommunity(alice);
  const a = writer(alice, g.id);
  const survey = await a('survey', {
    title: 'Next ride',
    questions: [{ id: 'q1', kind: 'choice', prompt: 'Where?', options: ['Hills', 'Coast'] }],
    recipients: [alice.publicKey],
    closesAt: null
  });
  const records = [g, ...(await admit(alice, admin, g.id, 1_700_000_000_500, 'admin')), ...(await admit(alice, bob, g.id, 1_700_000_000_600)), survey];
  const db = new HearthDb(`surveys-${n++}`);
  await applyRecords(db, g.id, records);
  return { alice, admin, bob, cid: g.id, db, survey };
}

/** Surveys on a page whose own database holds nothing: the records are where the reads are. */
function surveysOf(db: HearthDb, cid: string, identity: Identity) {
  const { community, write } = pageCommunity(db, cid, identity);
  return { surveys: new SurveysState(community), write };
}

describe('surveys from the community’s reads', () => {
  it('the creator may start a survey, sent to the creator and every admin; a member may not', async () => {
    const { alice, admin, bob, cid, db } = await community();
    const mine = surveysOf(db, cid, alice);
    expect(await mine.surveys.canCreate()).toBe(true);
    expect((await mine.surveys.create('Picnic', [{ id: 'q', kind: 'text', prompt: 'Food?' }], null)).ok).toBe(true);
    expect(mine.write).toHaveBeenCalledWith('survey', expect.objectContaining({ title: 'Picnic' }));
    const [, body] = mine.write.mock.calls[0] as unknown as [string, { recipients: string[] }];
    expect(new Set(body.recipients)).toEqual(new Set([alice.publicKey, admin.publicKey]));

    const bobs = surveysOf(db, cid, bob);
    expect(await bobs.surveys.canCreate()).toBe(false);
    expect(await bobs.surveys.create('Mine', [{ id: 'q', kind: 'text', prompt: 'Hm?' }], null)).toEqual({ ok: false, reason: 'survey.not_allowed' });
    expect(bobs.write).not.toHaveBeenCalled();
  });

  it('lists valid surveys and counts each member’s latest response', async () => {
    const { alice, bob, cid, db, survey } = await community();
    const b = writer(bob, cid, 1_700_000_200_000);
    const answer = async (place: number) => {
      const sealed = await sealAnswers({ survey: survey.id, author: bob.publicKey, recipients: survey.body.recipients, answers: { q1: place } });
      if (!sealed.ok) throw new Error(sealed.reason);
      return b('survey-response', sealed.value);
    };
    // Bob changed his mind: his later answer counts, the first is ignored.
    await applyRecords(db, cid, [await answer(0), await answer(1)]);
    const reads = readsOver(db);
    const list = await reads.surveys(cid, bob.publicKey);
    expect(list.map((s) => [s.record.id, s.canRead, s.answeredByMe, s.responses])).toEqual([[survey.id, false, true, 1]]);
    const detail = await reads.survey(cid, survey.id, alice.publicKey);
    expect(detail && [detail.canRead, detail.ignored, detail.counted.length, detail.myLatestAt]).toEqual([true, 1, 1, null]);
  });
});
