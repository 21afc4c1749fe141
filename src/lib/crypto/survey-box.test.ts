import { describe, expect, it } from 'vitest';
import { newCommunity, newMember } from '../../../tests/unit/community-fixture';
import { generateIdentity } from './identity';
import { fromBase64Url, toBase64Url } from './encoding';
import { sealRecord, checkRecord } from './record-seal';
import { openAnswers, sealAnswers, seedFromPkcs8, surveyKeyOf, type SurveyKey } from './survey-box';

const SURVEY = 'S'.repeat(43);
const answers = { q1: 2, q2: 5, q3: '更多周末骑行 — more weekend rides' };

async function people() {
  const creator = await newMember();
  const admin = await newMember();
  const member = await newMember();
  const keys = {
    creator: (await surveyKeyOf(creator))!,
    admin: (await surveyKeyOf(admin))!,
    member: (await surveyKeyOf(member))!
  };
  return { creator, admin, member, keys };
}

function flip(text: string, at = Math.floor(text.length / 2)): string {
  const bytes = fromBase64Url(text)!;
  bytes[Math.min(at, bytes.length - 1)] ^= 0x01;
  return toBase64Url(bytes);
}

describe('private survey answers', () => {
  it('the creator and each admin recipient decrypt the answers', async () => {
    const { creator, admin, member, keys } = await people();
    const sealed = await sealAnswers({ survey: SURVEY, author: member.publicKey, recipients: [creator.publicKey, admin.publicKey], answers });
    expect(sealed.ok).toBe(true);
    if (!sealed.ok) return;
    const response = { author: member.publicKey, body: sealed.value };
    expect(await openAnswers(keys.creator, response)).toEqual({ ok: true, value: answers });
    expect(await openAnswers(keys.admin, response)).toEqual({ ok: true, value: answers });
  });

  it('the ciphertext does not contain the answers', async () => {
    const { creator, member } = await people();
    const sealed = await sealAnswers({ survey: SURVEY, author: member.publicKey, recipients: [creator.publicKey], answers });
    if (!sealed.ok) throw new Error(sealed.reason);
    // Only the base64url fields hold data; a plaintext leak would carry JSON punctuation, which
    // base64url never contains (a bare "q3" can occur in random base64url by chance).
    const text = JSON.stringify(sealed.value);
    const answerText = JSON.stringify(answers);
    expect(text).not.toContain('weekend');
    expect(text).not.toContain('"q3"');
    expect(text).not.toContain(answerText.slice(1, 20));
    expect(
      Object.values(sealed.value)
        .filter((v) => typeof v === 'string')
        .every((v) => /^[A-Za-z0-9_-]*$/.test(v as string))
    ).toBe(true);
  });

  it('a signed response passes the gate and survives a JSON round trip', async () => {
    const creator = await newMember();
    const member = await newMember();
    const g = await newCommunity(creator);
    const sealed = await sealAnswers({ survey: g.id, author: member.publicKey, recipients: [creator.publicKey], answers });
    if (!sealed.ok) throw new Error(sealed.reason);
    const record = await sealRecord(member, { kind: 'survey-response', cid: g.id, ts: 1_700_000_002_000, body: sealed.value });
    const checked = await checkRecord(JSON.parse(JSON.stringify(record)), { cid: g.id, key: record.id });
    expect(checked.ok).toBe(true);
    expect(await openAnswers((await surveyKeyOf(creator))!, record)).toEqual({ ok: true, value: answers });
  });

  it('another member holding the same record cannot read it', async () => {
    const { creator, member, keys } = await people();
    const other = await newMember();
    const otherKey = (await surveyKeyOf(other))!;
    const sealed = await sealAnswers({ survey: SURVEY, author: member.publicKey, recipients: [creator.publicKey], answers });
    if (!sealed.ok) throw new Error(sealed.reason);
    const response = { author: member.publicKey, body: sealed.value };
    expect(await openAnswers(otherKey, response)).toEqual({ ok: false, reason: 'survey.not_recipient' });
    // Even the respondent cannot read it back: only the recipients hold a wrapped key.
    expect(await openAnswers(keys.member, response)).toEqual({ ok: false, reason: 'survey.not_recipient' });
    // Pretending to be a recipient with one's own secret fails authentication.
    const impostor: SurveyKey = { memberId: creator.publicKey, secret: otherKey.secret };
    expect(await openAnswers(impostor, response)).toEqual({ ok: false, reason: 'survey.cannot_decrypt' });
  });

  it('a tampered ciphertext, wrapped key, ephemeral key or iv fails cleanly', async () => {
    const { creator, member, keys } = await people();
    const sealed = await sealAnswers({ survey: SURVEY, author: member.publicKey, recipients: [creator.publicKey], answers });
    if (!sealed.ok) throw new Error(sealed.reason);
    const b = sealed.value;
    const cases = [
      { ...b, ciphertext: flip(b.ciphertext) },
      { ...b, ciphertext: flip(b.ciphertext, 0) },
      { ...b, keys: [{ to: b.keys[0].to, wrapped: flip(b.keys[0].wrapped) }] },
      { ...b, epk: flip(b.epk, 3) },
      { ...b, iv: flip(b.iv, 2) },
      { ...b, survey: 'T'.repeat(43) }
    ];
    for (const body of cases) {
      expect(await openAnswers(keys.creator, { author: member.publicKey, body })).toEqual({ ok: false, reason: 'survey.cannot_decrypt' });
    }
    expect(await openAnswers(keys.creator, { author: member.publicKey, body: { ...b, iv: 'AAAA' } })).toEqual({ ok: false, reason: 'survey.malformed' });
  });

  it('a ciphertext copied into another member’s response cannot be opened', async () => {
    const { creator, member, keys } = await people();
    const copier = await newMember();
    const sealed = await sealAnswers({ survey: SURVEY, author: member.publicKey, recipients: [creator.publicKey], answers });
    if (!sealed.ok) throw new Error(sealed.reason);
    expect(await openAnswers(keys.creator, { author: copier.publicKey, body: sealed.value })).toEqual({ ok: false, reason: 'survey.cannot_decrypt' });
  });

  it('refuses recipients that are not member keys and answers that are too large', async () => {
    const { creator, member } = await people();
    expect(await sealAnswers({ survey: SURVEY, author: member.publicKey, recipients: ['x'], answers })).toEqual({ ok: false, reason: 'survey.bad_recipient' });
    const big = { q1: 'x'.repeat(40_000) };
    expect(await sealAnswers({ survey: SURVEY, author: member.publicKey, recipients: [creator.publicKey], answers: big })).toEqual({
      ok: false,
      reason: 'survey.too_large'
    });
  });

  it('reads the Ed25519 seed from the stored PKCS#8 key', async () => {
    const { stored } = await generateIdentity();
    const seed = seedFromPkcs8(fromBase64Url(stored.privateKeyPkcs8)!);
    expect(seed).toHaveLength(32);
    expect(seedFromPkcs8(new Uint8Array(48))).toBeNull();
  });
});
