// Private surveys: who may ask, who may answer, which answer counts, and what the creator sees.
// Pure rules over signed records + authority; the answers themselves are sealed (crypto/survey-box)
// and only the recipients' devices ever turn them into the tallies and CSV below.
import * as v from 'valibot';
import type { Authority } from './authority';
import { compareRecords, type BodyOf, type SignedRecord } from './record';

export type SurveyQuestion = BodyOf<'survey'>['questions'][number];
export const MAX_TEXT_ANSWER = 2000;

export type SurveyProblem = 'survey.not_member' | 'survey.not_allowed' | 'survey.bad_recipients' | 'survey.bad_questions';

/** Only the creator or an admin may ask; recipients must be the creator or admins; questions must make sense. */
export function checkSurvey(survey: SignedRecord<'survey'>, auth: Authority): { ok: true } | { ok: false; reason: SurveyProblem } {
  if (!auth.accepts(survey)) return { ok: false, reason: 'survey.not_member' };
  if (!mayCreateSurvey(survey.author, auth)) return { ok: false, reason: 'survey.not_allowed' };
  const { recipients, questions } = survey.body;
  if (new Set(recipients).size !== recipients.length || !recipients.every((r) => mayReceive(r, auth))) {
    return { ok: false, reason: 'survey.bad_recipients' };
  }
  const ids = new Set(questions.map((q) => q.id));
  const shaped = questions.every((q) => (q.kind === 'choice' ? (q.options?.length ?? 0) >= 2 : q.options === undefined));
  if (ids.size !== questions.length || !shaped) return { ok: false, reason: 'survey.bad_questions' };
  return { ok: true };
}

export function mayCreateSurvey(key: string, auth: Authority): boolean {
  const role = auth.roleOf(key);
  return auth.isMember(key) && (role === 'creator' || role === 'admin');
}

function mayReceive(key: string, auth: Authority): boolean {
  return mayCreateSurvey(key, auth);
}

/** The default recipients of a new survey: the creator and every admin not banned. */
export function defaultRecipients(auth: Authority): string[] {
  return [...auth.members.values()].filter((m) => mayReceive(m.key, auth)).map((m) => m.key);
}

export function isOpen(survey: SignedRecord<'survey'>, now: number): boolean {
  return survey.body.closesAt === null || now < survey.body.closesAt;
}

/**
 * The response counted for each member: their latest before the survey closes, from a member at
 * its time, sealed for exactly the survey's recipients (a response that leaves one out is not counted,
 * so no recipient silently sees fewer answers than another).
 */
export function countedResponses(
  survey: SignedRecord<'survey'>,
  responses: readonly SignedRecord<'survey-response'>[],
  auth: Authority
): { counted: Map<string, SignedRecord<'survey-response'>>; ignored: number } {
  const counted = new Map<string, SignedRecord<'survey-response'>>();
  const wanted = [...survey.body.recipients].sort().join(',');
  let ignored = 0;
  for (const r of [...responses].sort(compareRecords)) {
    const valid =
      r.body.survey === survey.id &&
      r.cid === survey.cid &&
      r.ts >= survey.ts &&
      (survey.body.closesAt === null || r.ts < survey.body.closesAt) &&
      auth.accepts(r) &&
      r.body.keys
        .map((k) => k.to)
        .sort()
        .join(',') === wanted;
    if (!valid) {
      ignored++;
      continue;
    }
    if (counted.has(r.author)) ignored++; // an earlier answer, replaced by this one
    counted.set(r.author, r);
  }
  return { counted, ignored };
}

// ---- decrypted answers --------------------------------------------------------------------

const AnswerValue = v.union([v.pipe(v.number(), v.integer()), v.pipe(v.string(), v.maxLength(MAX_TEXT_ANSWER))]);
const AnswersSchema = v.record(v.pipe(v.string(), v.maxLength(16)), AnswerValue);

/**
 * Decrypted answers cross a trust boundary (the respondent wrote them): keep only answers to the
 * survey's questions with a value that question allows.
 */
export function cleanAnswers(survey: BodyOf<'survey'>, value: unknown): Record<string, number | string> | null {
  if (Array.isArray(value)) return null;
  const parsed = v.safeParse(AnswersSchema, value);
  if (!parsed.success) return null;
  const out: Record<string, number | string> = {};
  for (const q of survey.questions) {
    const a = parsed.output[q.id];
    if (a === undefined) continue;
    if (q.kind === 'choice' && typeof a === 'number' && a >= 0 && a < (q.options?.length ?? 0)) out[q.id] = a;
    else if (q.kind === 'scale' && typeof a === 'number' && a >= 1 && a <= 5) out[q.id] = a;
    else if (q.kind === 'text' && typeof a === 'string' && a.trim()) out[q.id] = a;
  }
  return out;
}

export type QuestionResult =
  | { id: string; kind: 'choice'; prompt: string; labels: string[]; counts: number[]; answered: number }
  | { id: string; kind: 'scale'; prompt: string; labels: string[]; counts: number[]; answered: number; mean: number | null }
  | { id: string; kind: 'text'; prompt: string; texts: string[]; answered: number };

/** Per-question tallies of the decrypted answers, for the creator's charts. */
export function tallySurvey(survey: BodyOf<'survey'>, answers: readonly Record<string, number | string>[]): QuestionResult[] {
  return survey.questions.map((q): QuestionResult => {
    const given = answers.map((a) => a[q.id]).filter((a) => a !== undefined);
    if (q.kind === 'text') return { id: q.id, kind: 'text', prompt: q.prompt, texts: given.map(String), answered: given.length };
    const labels = q.kind === 'choice' ? [...(q.options ?? [])] : ['1', '2', '3', '4', '5'];
    const counts = labels.map(() => 0);
    for (const a of given) counts[q.kind === 'choice' ? Number(a) : Number(a) - 1]++;
    if (q.kind === 'choice') return { id: q.id, kind: 'choice', prompt: q.prompt, labels, counts, answered: given.length };
    const mean = given.length ? given.reduce<number>((s, a) => s + Number(a), 0) / given.length : null;
    return { id: q.id, kind: 'scale', prompt: q.prompt, labels, counts, answered: given.length, mean };
  });
}

/**
 * One cell of CSV (RFC 4180). Cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR)
 * are prefixed with an apostrophe: answers are written by members, not by the creator.
 */
export function csvCell(value: string | number): string {
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replaceAll('"', '""')}"` : s;
}

/** The creator's export: one row per counted response, one column per question. */
export function surveyCsv(
  survey: BodyOf<'survey'>,
  rows: readonly { member: string; name: string; at: string; answers: Record<string, number | string> }[],
  header: { member: string; name: string; at: string }
): string {
  const head = [header.member, header.name, header.at, ...survey.questions.map((q) => q.prompt)];
  const lines = [head.map(csvCell).join(',')];
  for (const r of rows) {
    const cells = survey.questions.map((q) => {
      const a = r.answers[q.id];
      if (a === undefined) return '';
      return q.kind === 'choice' ? (q.options?.[Number(a)] ?? '') : a;
    });
    lines.push([r.member, r.name, r.at, ...cells].map(csvCell).join(','));
  }
  // A byte-order mark lets spreadsheet programs read Chinese answers as UTF-8.
  return '\uFEFF' + lines.join('\r\n') + '\r\n';
}
