// The community's private surveys as a member lists, starts, answers and (a recipient) opens them.
// Which surveys count and whose answers take the authority: the community worker answers
// (CommunityReads `surveys`, `survey`, `surveyRecipients`); every write goes through the community's
// one write path, and answers are opened on this device only.
import { openAnswers, sealAnswers, surveyKeyOf, type SurveyAnswers, type SurveyKey } from '../crypto/survey-box';
import type { BodyOf, SignedRecord } from '../domain/record';
import { cleanAnswers } from '../domain/surveys';
import type { SurveyDetail, SurveyView } from '../store/queries/surveys';
import type { AppendResult } from '../sync/community-doc';
import type { CommunityState } from '../state/community.svelte';
import { Live } from '../state/live.svelte';
import { hasRecords } from '../store/record-store';

export type { SurveyDetail, SurveyView };

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
        // Asked again whenever a record of the community is stored (a survey, a response, a join or a ban).
        await hasRecords(db, cid);
        return this.community.reads.surveys(cid, this.me);
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
        return this.community.reads.survey(cid, sid, this.me);
      };
    }, undefined);
  }

  /** May this member start a survey (creator or admin)? */
  async canCreate(): Promise<boolean> {
    return (await this.community.reads.surveyRecipients(this.community.cid, this.me)) !== null;
  }

  async create(title: string, questions: BodyOf<'survey'>['questions'], closesAt: number | null): Promise<AppendResult> {
    const recipients = await this.community.reads.surveyRecipients(this.community.cid, this.me);
    if (!recipients) return { ok: false, reason: 'survey.not_allowed' };
    return this.#write('survey', { title, questions, recipients, closesAt });
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
