// Private surveys as a member reads them: the list, one survey with its counted responses (still
// sealed), and whom a new survey goes to. Each takes the authority (who is the creator or an admin,
// who was a member when they answered), so it is answered where the document is (the community
// worker), never replayed on a page.
import type { Authority } from '../../domain/authority';
import type { SignedRecord } from '../../domain/record';
import { checkSurvey, countedResponses, defaultRecipients, mayCreateSurvey } from '../../domain/surveys';
import type { HearthDb } from '../db';
import { authorityOf } from '../projection';
import { recordsById, recordsOfKind, recordsTargeting } from '../record-store';

export interface SurveyView {
  record: SignedRecord<'survey'>;
  /** This member is one of the recipients: can read the answers. */
  canRead: boolean;
  responses: number;
  answeredByMe: boolean;
}

export interface SurveyDetail extends SurveyView {
  counted: SignedRecord<'survey-response'>[];
  /** Responses not counted: replaced by a later answer, late, or from non-members. */
  ignored: number;
  myLatestAt: number | null;
}

/** How many of the survey's responses count, and whether `me` answered it. */
function viewOf(s: SignedRecord<'survey'>, responses: readonly SignedRecord<'survey-response'>[], auth: Authority, me: string): SurveyView {
  const mine = responses.filter((r) => r.body.survey === s.id);
  return {
    record: s,
    canRead: s.body.recipients.includes(me),
    responses: countedResponses(s, mine, auth).counted.size,
    answeredByMe: mine.some((r) => r.author === me)
  };
}

/** Every valid survey of the community, newest first. */
export async function surveyList(db: HearthDb, cid: string, me: string): Promise<SurveyView[]> {
  const [surveys, responses, auth] = await Promise.all([recordsOfKind(db, cid, 'survey'), recordsOfKind(db, cid, 'survey-response'), authorityOf(db, cid)]);
  if (!auth) return [];
  return (surveys as SignedRecord<'survey'>[])
    .filter((s) => checkSurvey(s, auth).ok)
    .map((s) => viewOf(s, responses as SignedRecord<'survey-response'>[], auth, me))
    .sort((a, b) => b.record.ts - a.record.ts);
}

/** One valid survey with its counted responses; null when there is none by that id or it is not valid. */
export async function surveyDetail(db: HearthDb, cid: string, id: string, me: string): Promise<SurveyDetail | null> {
  const [[survey], targeting, auth] = await Promise.all([recordsById(db, [id]), recordsTargeting(db, id), authorityOf(db, cid)]);
  if (!auth || survey?.kind !== 'survey' || survey.cid !== cid || !checkSurvey(survey, auth).ok) return null;
  const responses = targeting.filter((r): r is SignedRecord<'survey-response'> & { target?: string } => r.kind === 'survey-response' && r.cid === cid);
  const { counted, ignored } = countedResponses(survey, responses, auth);
  const mine = responses.filter((r) => r.author === me).map((r) => r.ts);
  return { ...viewOf(survey, responses, auth, me), counted: [...counted.values()], ignored, myLatestAt: mine.length ? Math.max(...mine) : null };
}

/**
 * Whom a survey `me` starts goes to: the creator and every admin not removed (at most 20, `me` among
 * them); null when `me` may not start one (not the creator or an admin).
 */
export async function surveyRecipients(db: HearthDb, cid: string, me: string): Promise<string[] | null> {
  const auth = await authorityOf(db, cid);
  if (!auth || !mayCreateSurvey(me, auth)) return null;
  const recipients = defaultRecipients(auth).slice(0, 20);
  if (!recipients.includes(me)) recipients.unshift(me);
  return recipients.slice(0, 20);
}
