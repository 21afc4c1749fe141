import { openAnswers, sealAnswers, surveyKeyOf, type SurveyAnswers, type SurveyKey } from '../crypto/survey-box';
import type { Authority } from '../domain/authority';
import type { BodyOf, SignedRecord } from '../domain/record';
import { checkSurvey, cleanAnswers, countedResponses, defaultRecipients, mayCreateSurvey } from '../domain/surveys';
import { authorityOf } from '../store/projection';
import type { AppendResult } from '../sync/community-doc';
import type { CommunityState } from '../state/community.svelte';
import { Live } from '../state/live.svelte';
import { hasRecords, recordsOfKind } from '../store/record-store';

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

export interface OpenedResponse {
  member: string;
  at: number;
  answers: Record<string, number | string>;
}

export class SurveysState {
  #key: Promise<SurveyKey | null> | null = null;

  constructor(readonly community: CommunityState) {}

  get me(): string {
    return this.community.identity.publicKey;
  }

  /** Every valid survey of the community, newest first. */
  list(): Live<SurveyView[]> {
    const { db, cid } = this.community;
    return new Live<SurveyView[]>(
      () => async () => {
        const [surveys, responses] = await Promise.all([recordsOfKind(db, cid, 'survey'), recordsOfKind(db, cid, 'survey-response')]);
        await db.members.where('cid').equals(cid).count(); // re-run when membership changes
        const auth = await authorityOf(db, cid);
        if (!auth) return [];
        return (surveys as SignedRecord<'survey'>[])
          .filter((s) => checkSurvey(s, auth).ok)
          .map((s) => this.#view(s, responses as SignedRecord<'survey-response'>[], auth))
          .sort((a, b) => b.record.ts - a.record.ts);
      },
      []
    );
  }

  /** One survey with its counted responses (still sealed); undefined while loading or when not valid. */
  detail(id: () => string): Live<SurveyDetail | null | undefined> {
    const { db, cid } = this.community;
    return new Live<SurveyDetail | null | undefined>(() => {
      const sid = id();
      return async () => {
        // Read in the community worker; the live query re-runs on any record written (responses come as records).
        await hasRecords(db, cid);
        const { record: survey, targeting: related } = await this.community.reads.recordAndTargeting(cid, sid);
        await db.members.where('cid').equals(cid).count();
        const auth = await authorityOf(db, cid);
        if (!auth || survey?.kind !== 'survey' || survey.cid !== cid || !checkSurvey(survey, auth).ok) return null;
        const responses = related.filter((r): r is SignedRecord<'survey-response'> & { target?: string } => r.kind === 'survey-response');
        const { counted, ignored } = countedResponses(survey, responses, auth);
        const mine = responses.filter((r) => r.author === this.me).map((r) => r.ts);
        return {
          ...this.#view(survey, responses, auth),
          counted: [...counted.values()],
          ignored,
          myLatestAt: mine.length ? Math.max(...mine) : null
        };
      };
    }, undefined);
  }

  #view(s: SignedRecord<'survey'>, responses: SignedRecord<'survey-response'>[], auth: Authority): SurveyView {
    const mine = responses.filter((r) => r.body.survey === s.id);
    return {
      record: s,
      canRead: s.body.recipients.includes(this.me),
      responses: countedResponses(s, mine, auth).counted.size,
      answeredByMe: mine.some((r) => r.author === this.me)
    };
  }

  /** May this member start a survey (creator or admin)? */
  async canCreate(): Promise<boolean> {
    const auth = await authorityOf(this.community.db, this.community.cid);
    return !!auth && mayCreateSurvey(this.me, auth);
  }

  async create(title: string, questions: BodyOf<'survey'>['questions'], closesAt: number | null): Promise<AppendResult> {
    const auth = await authorityOf(this.community.db, this.community.cid);
    if (!auth || !mayCreateSurvey(this.me, auth)) return { ok: false, reason: 'survey.not_allowed' };
    const recipients = defaultRecipients(auth).slice(0, 20);
    if (!recipients.includes(this.me)) recipients.unshift(this.me);
    return this.#write('survey', { title, questions, recipients: recipients.slice(0, 20), closesAt });
  }

  /** Seals this member's answers for the survey's recipients and publishes them. */
  async answer(survey: SignedRecord<'survey'>, answers: SurveyAnswers): Promise<AppendResult> {
    const sealed = await sealAnswers({ survey: survey.id, author: this.me, recipients: survey.body.recipients, answers });
    if (!sealed.ok) return sealed;
    return this.#write('survey-response', sealed.value);
  }

  /** Opens counted responses with this member's key (recipients only). Unopenable ones are counted. */
  async open(survey: SignedRecord<'survey'>, responses: SignedRecord<'survey-response'>[]): Promise<{ opened: OpenedResponse[]; failed: number }> {
    this.#key ??= surveyKeyOf(this.community.identity);
    const key = await this.#key;
    if (!key) return { opened: [], failed: responses.length };
    const opened: OpenedResponse[] = [];
    let failed = 0;
    for (const r of responses) {
      const result = await openAnswers(key, r);
      const answers = result.ok ? cleanAnswers(survey.body, result.value) : null;
      if (answers) opened.push({ member: r.author, at: r.ts, answers });
      else failed++;
    }
    return { opened, failed };
  }

  /** Through the community's one write path: posting policy, then seal, then append. */
  #write<K extends 'survey' | 'survey-response'>(kind: K, body: BodyOf<K>): Promise<AppendResult> {
    return this.community.write(kind, body);
  }
}
