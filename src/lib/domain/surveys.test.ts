import { describe, expect, it } from 'vitest';
import { admit, newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import { computeAuthority } from './authority';
import type { BodyOf } from './record';
import { checkSurvey, cleanAnswers, countedResponses, csvCell, defaultRecipients, surveyCsv, tallySurvey } from './surveys';

const T0 = 1_700_000_000_000;
const questions: BodyOf<'survey'>['questions'] = [
  { id: 'q1', kind: 'choice', prompt: 'Best day?', options: ['Sat', 'Sun'] },
  { id: 'q2', kind: 'scale', prompt: 'How happy?' },
  { id: 'q3', kind: 'text', prompt: 'Anything else?' }
];

async function setup() {
  const creator = await newMember();
  const admin = await newMember();
  const member = await newMember();
  const outsider = await newMember();
  const g = await newCommunity(creator);
  const authority = [...(await admit(creator, admin, g.id, T0 + 100, 'admin')), ...(await admit(creator, member, g.id, T0 + 200))];
  const auth = computeAuthority(g, [g, ...authority]);
  const w = (who: typeof creator) => writer(who, g.id, T0 + 10_000);
  return { creator, admin, member, outsider, g, auth, w };
}

const response = (w: ReturnType<Awaited<ReturnType<typeof setup>>['w']>, survey: string, to: string[], at: number) =>
  w('survey-response', { survey, epk: 'E'.repeat(43), iv: 'I'.repeat(16), ciphertext: 'c', keys: to.map((t) => ({ to: t, wrapped: 'w' })) }, at);

describe('who may run a survey', () => {
  it('the creator and admins may ask; members may not', async () => {
    const { creator, admin, member, auth, w } = await setup();
    const body = { title: 'Feedback', questions, recipients: [creator.publicKey], closesAt: null };
    expect(checkSurvey(await w(creator)('survey', body), auth)).toEqual({ ok: true });
    expect(checkSurvey(await w(admin)('survey', body), auth)).toEqual({ ok: true });
    expect(checkSurvey(await w(member)('survey', body), auth)).toEqual({ ok: false, reason: 'survey.not_allowed' });
  });

  it('recipients must be the creator or admins', async () => {
    const { creator, admin, member, auth, w } = await setup();
    expect(defaultRecipients(auth).sort()).toEqual([creator.publicKey, admin.publicKey].sort());
    const leaky = await w(creator)('survey', { title: 'F', questions, recipients: [creator.publicKey, member.publicKey], closesAt: null });
    expect(checkSurvey(leaky, auth)).toEqual({ ok: false, reason: 'survey.bad_recipients' });
  });

  it('rejects choice questions without options and duplicate question ids', async () => {
    const { creator, auth, w } = await setup();
    const noOptions = await w(creator)('survey', {
      title: 'F',
      questions: [{ id: 'a', kind: 'choice', prompt: 'x' }],
      recipients: [creator.publicKey],
      closesAt: null
    });
    expect(checkSurvey(noOptions, auth)).toEqual({ ok: false, reason: 'survey.bad_questions' });
    const dup = await w(creator)('survey', {
      title: 'F',
      questions: [questions[1], { ...questions[2], id: 'q2' }],
      recipients: [creator.publicKey],
      closesAt: null
    });
    expect(checkSurvey(dup, auth)).toEqual({ ok: false, reason: 'survey.bad_questions' });
  });
});

describe('which response counts', () => {
  it('one counted response per member: the latest before the survey closes', async () => {
    const { creator, member, admin, auth, w } = await setup();
    const survey = await w(creator)('survey', { title: 'F', questions, recipients: [creator.publicKey], closesAt: T0 + 50_000 });
    const to = [creator.publicKey];
    const first = await response(w(member), survey.id, to, T0 + 20_000);
    const second = await response(w(member), survey.id, to, T0 + 30_000);
    const late = await response(w(member), survey.id, to, T0 + 50_000);
    const adminAnswer = await response(w(admin), survey.id, to, T0 + 21_000);
    const { counted, ignored } = countedResponses(survey, [late, second, adminAnswer, first], auth);
    expect(counted.get(member.publicKey)?.id).toBe(second.id);
    expect(counted.get(admin.publicKey)?.id).toBe(adminAnswer.id);
    expect(counted.size).toBe(2);
    expect(ignored).toBe(2); // the replaced first answer and the late one
  });

  it('ignores responses from non-members and responses not sealed for every recipient', async () => {
    const { creator, admin, member, outsider, auth, w } = await setup();
    const survey = await w(creator)('survey', { title: 'F', questions, recipients: [creator.publicKey, admin.publicKey], closesAt: null });
    const stranger = await response(w(outsider), survey.id, [creator.publicKey, admin.publicKey], T0 + 20_000);
    const partial = await response(w(member), survey.id, [creator.publicKey], T0 + 20_000);
    const other = await response(w(member), 'X'.repeat(43), [creator.publicKey, admin.publicKey], T0 + 20_000);
    const { counted, ignored } = countedResponses(survey, [stranger, partial, other], auth);
    expect(counted.size).toBe(0);
    expect(ignored).toBe(3);
  });
});

describe('results', () => {
  const body: BodyOf<'survey'> = { title: 'F', questions, recipients: ['r'], closesAt: null };

  it('keeps only answers that fit their question', () => {
    expect(cleanAnswers(body, { q1: 1, q2: 9, q3: 'ok', zz: 'extra' })).toEqual({ q1: 1, q3: 'ok' });
    expect(cleanAnswers(body, { q1: 5, q2: 3, q3: 4 })).toEqual({ q2: 3 });
    expect(cleanAnswers(body, 'not an object')).toBeNull();
    expect(cleanAnswers(body, [1, 2])).toBeNull();
  });

  it('tallies choices, the scale with its mean, and texts', () => {
    const results = tallySurvey(body, [{ q1: 0, q2: 4, q3: 'a' }, { q1: 1, q2: 5 }, { q1: 1 }]);
    expect(results[0]).toMatchObject({ kind: 'choice', labels: ['Sat', 'Sun'], counts: [1, 2], answered: 3 });
    expect(results[1]).toMatchObject({ kind: 'scale', counts: [0, 0, 0, 1, 1], mean: 4.5, answered: 2 });
    expect(results[2]).toMatchObject({ kind: 'text', texts: ['a'], answered: 1 });
  });

  it('exports CSV with quoting, option labels and formula-looking answers defused', () => {
    const csv = surveyCsv(body, [{ member: 'k1', name: 'Bob, "B"', at: '2026-01-01', answers: { q1: 1, q2: 3, q3: '=HYPERLINK("x")\nline 2' } }], {
      member: 'Member',
      name: 'Name',
      at: 'Answered'
    });
    expect(csv.startsWith('\uFEFF')).toBe(true);
    const lines = csv.slice(1).split('\r\n');
    expect(lines[0]).toBe('Member,Name,Answered,Best day?,How happy?,Anything else?');
    expect(lines[1]).toBe('k1,"Bob, ""B""",2026-01-01,Sun,3,"\'=HYPERLINK(""x"")\nline 2"');
    expect(csvCell('-1+2')).toBe("'-1+2");
    expect(csvCell(-1)).toBe('-1');
  });
});
