// What a page asks about a community that takes its authority or key state to answer: replaying
// authority reads every member's join, admit and level records (10,000+ at 10,000 members) and the
// key state every wrap of every epoch, seconds of a page's main thread in tasks of 100–900 ms.
// These are answered where the document is: in the community worker (DocHost serves them on its
// port), or on this thread only without a community worker (and in Node), through the same functions.
// Every answer is small, plain data (it crosses the worker's port); pages ask again when the
// community's records change (a live query on their count), and read everything else from the
// projections.
import type { Judged, Role } from '../domain/authority';
import { extractMentions, type Named } from '../domain/mentions';
import { projectSeries, type Series } from '../domain/series';
import { eligibleAt, projectEvents, type EventRow } from '../domain/events';
import type { PostingFacts } from '../domain/posting-policy';
import type { AnyRecord, Kind } from '../domain/record';
import { currentSettings, type Settings } from '../domain/membership';
import { reviewQueue, type ReviewItem } from '../store/queries/review';
import { uploadAllowanceAt } from '../domain/upload-quota';
import { countedCoverage, type Coverage } from '../automation/checkpoint';
import { communityFacts, type CommunityFactsView } from '../automation/community-facts';
import { auditEntries, type AuditEntry } from '../domain/audit';
import type { InviteState } from '../domain/authority';
import { allowedNoteEdits, noteDetail, noteList, type NoteDetail, type NoteView } from '../store/queries/notes';
import { surveyDetail, surveyList, surveyRecipients, type SurveyDetail, type SurveyView } from '../store/queries/surveys';
import { knownScopes } from '../domain/scopes';
import { scopeStatus, type ScopeKeyRow } from '../domain/epochs';
import type { HearthDb } from '../store/db';
import { keyState, sealingKeyFor, type SealingKey } from '../store/keyring';
import { authorityOf } from '../store/projection';
import { headsOf, newestStored } from '../store/record-chain';
import { postingFacts, threadSlowMode } from '../store/queries/posting';
import { standingOf, type Standing } from '../store/queries/standing';
import { refusedAttachments } from '../store/queries/uploads';
import { memberPostIds, type MemberPostIds } from '../store/queries/member-posts';
import { meshPlanOf, type MeshPlan } from './mesh';
import { recordsByAuthorBetween, recordsById, recordsOfKind, recordsOfKinds, recordsTargetingAny } from '../store/record-store';

/** Where a newcomer stands as their join goes out (state/join): from whatever records this device holds so far. */
export interface JoinStanding {
  /** A member now (joined and not removed). */
  member: boolean;
  /** The join that made them a member (null: not one, or the creator). */
  join: string | null;
  /** Their join waits for an admit (a limited invite). */
  pending: boolean;
  /** The invite as authority knows it (uses, revocation); null when it does not count. */
  invite: InviteState | null;
}

/** What the inbox judges a batch by: which records authority shows, and who moderates. */
export interface Judgement {
  /** Ids among those asked that authority accepts. */
  accepted: string[];
  /** Creator, admins and moderators. */
  moderators: string[];
  /** Creator and admins. */
  staff: string[];
}

export interface CommunityReads {
  /** `me`'s standing (role, ban, tier, levels, settings, notices); null until the genesis is known. */
  standing(cid: string, me: string, now: number): Promise<Standing | null>;
  /** Records held, held back and expected (checkpoints), refused key records: the health panel (counted at most every 2 s, `countedCoverage`). */
  coverage(cid: string): Promise<Coverage>;
  /** Settings, tiers, every member's tier, payments and automation's log (automation/community-facts), for staff pages. */
  facts(cid: string, now: number): Promise<CommunityFactsView | null>;
  /** Invites with their uses and revocation, newest first. */
  invites(cid: string): Promise<InviteState[]>;
  /** The audit log: authority actions from the signed records, newest first (domain/audit). */
  audit(cid: string, kinds: readonly Kind[]): Promise<AuditEntry[]>;
  /** Each scope's current key: since when, how many of the entitled hold it, who waits (staff view). */
  keyStatus(cid: string, now: number): Promise<ScopeKeyRow[]>;
  /** The WebRTC rooms this device should be in (mesh.ts). */
  meshPlan(cid: string, me: string | null): Promise<MeshPlan>;
  /** The key a draft is sealed with (see store/keyring `SealingKey`). */
  sealingKey(cid: string, kind: Kind, body: Record<string, unknown>): Promise<SealingKey>;
  /**
   * The author's newest stored record in the community, by (ts, id): what a page's first write of a
   * session links to (store/record-chain `sealNext`). Found through the store's catalogue of every
   * stored record, which the worker keeps and a page would build for that one write.
   */
  chainTip(cid: string, author: string): Promise<string | undefined>;
  /** The tips of a member's chain as the device holds them, at most 64: what a ban or demotion names as seen. */
  headsOf(cid: string, member: string): Promise<string[]>;
  /** The ids of a member's thread and reply records (the member page; store/queries/member-posts). */
  memberPostIds(cid: string, member: string): Promise<MemberPostIds>;
  /**
   * The posting policy's facts for a write by `me` (store/queries/posting), but the trust level (0):
   * that comes from member stats, which the page has from the analysis worker.
   */
  postingFacts(cid: string, me: string, write: { kind: Kind; thread?: string; now: number }): Promise<PostingFacts>;
  /** A thread's slow mode in seconds (0: off). */
  slowMode(cid: string, thread: string): Promise<number>;
  /**
   * A record and the records pointing at it (a note's edits and access changes, a survey's
   * responses, a post's edits): found through the store's catalogue of content, which is kept where
   * records are written, not rebuilt on a page after every change.
   */
  recordAndTargeting(cid: string, id: string): Promise<{ record: AnyRecord | null; targeting: AnyRecord[] }>;
  /** A member's records dated after `since` (their uploads of the last 24 hours; the inbox's news of a member who just joined). */
  recordsOfAuthorSince(cid: string, author: string, since: number): Promise<AnyRecord[]>;
  /**
   * The community's records with these ids, null where none is stored (the inbox's admitted joins and
   * the posts a notification names). Content is found through the store's catalogue of every stored
   * record, which a page would have to build for itself: at 100,000 records, seconds of IndexedDB
   * reads that a newcomer's admission on the same device waited behind.
   */
  recordsById(cid: string, ids: readonly string[]): Promise<(AnyRecord | null)[]>;
  /** For each of these ids, the community's records pointing at it (what may retract a notification). */
  recordsTargetingEach(cid: string, ids: readonly string[]): Promise<AnyRecord[][]>;
  /** The moderators' review queue under these watched words (store/queries/review). */
  reviewQueue(cid: string, words: Settings['watchedWords']): Promise<ReviewItem[]>;
  /** `me`'s upload allowance in bytes per 24 hours under the community's settings (null: no limit). */
  uploadAllowance(cid: string, me: string, now: number): Promise<number | null>;
  /** Ids among these posts whose attachments every peer refuses (store/queries/uploads). */
  refusedAttachments(cid: string, posts: { id: string; author: string; createdAt: number }[]): Promise<string[]>;
  /** The community's series as this member reads them (domain/series). */
  series(cid: string): Promise<Series[]>;
  /** Every event this member can read, with the answers that count (domain/events). */
  events(cid: string): Promise<EventRow[]>;
  /** Whether `me` may answer an event limited to this tier or points level at `now`, as peers count answers. */
  eligible(cid: string, me: string, limit: { tier: string | null; level: number | null }, now: number): Promise<boolean>;
  /**
   * For the inbox's catch-up: records of these kinds dated from `since` on (any date for `anyTime`
   * kinds). Finding them reads every record of the kinds (tens of thousands): not on a page.
   */
  recordsSince(cid: string, kinds: readonly Kind[], since: number, anyTime: readonly Kind[]): Promise<AnyRecord[]>;
  /** For the inbox: which of these records are shown, and who moderates. Null before the genesis. */
  judge(cid: string, records: Judged[]): Promise<Judgement | null>;
  /** The community's notes shown to `me`, most recently edited first (store/queries/notes). */
  notes(cid: string, me: string, now: number): Promise<NoteView[]>;
  /** One note with its edits judged and what `me` may do with it; null when it is not shown. */
  note(cid: string, id: string, me: string, now: number): Promise<NoteDetail | null>;
  /** Ids among these newly arrived edits of a note that count; null when the note is not shown. */
  allowedNoteEdits(cid: string, note: string, edits: Judged[]): Promise<string[] | null>;
  /** Every valid survey, newest first (store/queries/surveys). */
  surveys(cid: string, me: string): Promise<SurveyView[]>;
  /** One valid survey with its counted responses (still sealed); null when not valid. */
  survey(cid: string, id: string, me: string): Promise<SurveyDetail | null>;
  /** Whom a survey `me` starts goes to; null when `me` may not start one. */
  surveyRecipients(cid: string, me: string): Promise<string[] | null>;
  /** A newcomer's standing and their invite's, as the join flow judges them; null before the genesis is known. */
  joinStanding(cid: string, me: string, invite: string): Promise<JoinStanding | null>;
  /** Members whose name starts with `prefix` (any case), at most `limit`: mention suggestions. */
  findMembers(cid: string, prefix: string, limit: number): Promise<Named[]>;
  /** The members "@name" mentions in a text (domain/mentions). */
  mentionsIn(cid: string, text: string): Promise<Named[]>;
}

const STAFF: ReadonlySet<Role | null> = new Set<Role | null>(['creator', 'admin']);

/** Names of a community's members, as the member rows have them (removed members too, as the list always had). */
async function named(db: HearthDb, cid: string): Promise<Named[]> {
  const rows = await db.members.where('cid').equals(cid).toArray();
  return rows.filter((m) => m.name).map((m) => ({ key: m.key, name: m.name }));
}

/** The answers, from this thread's database and caches: the community worker's, or a page's without one. */
export function readsOver(db: HearthDb): CommunityReads {
  const coverage = countedCoverage(db);
  // The genesis is stored with an empty `cid`, under the community's id.
  const recordsOf = async (cid: string, ids: readonly string[]) => (await recordsById(db, ids)).map((r) => (r && (r.id === cid || r.cid === cid) ? r : null));
  const targetingEach = async (cid: string, ids: readonly string[]) => {
    const found = ids.length ? await recordsTargetingAny(db, ids) : [];
    return ids.map((id) => found.filter((r) => r.target === id && r.cid === cid));
  };
  return {
    standing: (cid, me, now) => standingOf(db, cid, me, now),
    coverage,
    async facts(cid, now) {
      const facts = await communityFacts(db, cid, now);
      if (!facts) return null;
      const { auth: _auth, ...view } = facts;
      return view;
    },
    async invites(cid) {
      const auth = await authorityOf(db, cid);
      return auth ? [...auth.invites.values()].sort((a, b) => b.record.ts - a.record.ts) : [];
    },
    async audit(cid, kinds) {
      const [records, auth] = await Promise.all([recordsOfKinds(db, cid, kinds), authorityOf(db, cid)]);
      return auth ? auditEntries(records, auth) : [];
    },
    async keyStatus(cid, now) {
      const state = await keyState(db, cid);
      if (!state) return [];
      return knownScopes(state.ctx, state.view.byScope.keys()).map((scope) => {
        const status = scopeStatus(state.view, state.ctx, scope, now);
        const newest = status.current[0];
        const waiting = new Set(status.missing.flatMap((m) => m.members));
        return { scope, since: newest?.ts ?? null, holders: status.entitled.length - waiting.size, entitled: status.entitled.length, waiting: [...waiting] };
      });
    },
    meshPlan: (cid, me) => meshPlanOf(db, cid, me),
    sealingKey: (cid, kind, body) => sealingKeyFor(db, cid, kind, body),
    chainTip: (cid, author) => newestStored(db, cid, author),
    headsOf: (cid, member) => headsOf(db, cid, member),
    memberPostIds: (cid, member) => memberPostIds(db, cid, member),
    postingFacts: (cid, me, write) => postingFacts(db, cid, me, write, async () => 0, undefined),
    slowMode: (cid, thread) => threadSlowMode(db, cid, thread),
    reviewQueue: (cid, words) => reviewQueue(db, cid, words),
    async recordAndTargeting(cid, id) {
      const [[record], [targeting]] = await Promise.all([recordsOf(cid, [id]), targetingEach(cid, [id])]);
      return { record, targeting };
    },
    recordsOfAuthorSince: (cid, author, since) => recordsByAuthorBetween(db, cid, author, since, Infinity, { includeFrom: false, includeTo: true }),
    recordsById: recordsOf,
    recordsTargetingEach: targetingEach,
    async uploadAllowance(cid, me, now) {
      const state = await keyState(db, cid);
      if (!state) return null;
      const settings = currentSettings(await recordsOfKinds(db, cid, ['settings']), state.ctx.auth);
      return uploadAllowanceAt(state.ctx, settings.uploadQuota, me, now);
    },
    refusedAttachments: async (cid, posts) => [...(await refusedAttachments(db, cid, posts))],
    async series(cid) {
      const [records, auth] = await Promise.all([recordsOfKinds(db, cid, ['series']), authorityOf(db, cid)]);
      return auth ? projectSeries(records, auth) : [];
    },
    async events(cid) {
      const [records, auth, keys] = await Promise.all([recordsOfKinds(db, cid, ['event', 'rsvp', 'event-checkin']), authorityOf(db, cid), keyState(db, cid)]);
      // The limits every peer applies: tier and published points level as of each answer.
      return auth ? projectEvents(records, auth, keys ? eligibleAt(keys.ctx) : undefined) : [];
    },
    async eligible(cid, me, limit, now) {
      const keys = await keyState(db, cid);
      return !keys || eligibleAt(keys.ctx)(me, limit, now);
    },
    async recordsSince(cid, kinds, since, anyTime) {
      const found: AnyRecord[] = [];
      for (const kind of kinds) {
        const rows = await recordsOfKind(db, cid, kind, (r) => r.ts >= since || anyTime.includes(r.kind));
        found.push(...(rows as AnyRecord[]));
      }
      return found;
    },
    async judge(cid, records) {
      const auth = await authorityOf(db, cid);
      if (!auth) return null;
      // Members above 'member' are the only candidates for either list: a handful, not 10,000.
      const ranked = [...auth.members.values()].filter((m) => m.role !== 'member').map((m) => m.key);
      return {
        accepted: records.filter((r) => auth.accepts(r)).map((r) => r.id),
        moderators: ranked.filter((key) => auth.isModerator(key)),
        staff: ranked.filter((key) => STAFF.has(auth.roleOf(key)))
      };
    },
    notes: (cid, me, now) => noteList(db, cid, me, now),
    note: (cid, id, me, now) => noteDetail(db, cid, id, me, now),
    allowedNoteEdits: (cid, note, edits) => allowedNoteEdits(db, cid, note, edits),
    surveys: (cid, me) => surveyList(db, cid, me),
    survey: (cid, id, me) => surveyDetail(db, cid, id, me),
    surveyRecipients: (cid, me) => surveyRecipients(db, cid, me),
    async joinStanding(cid, me, invite) {
      const auth = await authorityOf(db, cid);
      if (!auth) return null;
      const member = auth.isMember(me);
      return { member, join: (member && auth.members.get(me)?.join) || null, pending: auth.pending.has(me), invite: auth.invites.get(invite) ?? null };
    },
    async findMembers(cid, prefix, limit) {
      const lower = prefix.toLowerCase();
      return (await named(db, cid)).filter((m) => m.name.toLowerCase().startsWith(lower)).slice(0, limit);
    },
    async mentionsIn(cid, text) {
      if (!text.includes('@')) return [];
      const members = await named(db, cid);
      const found = new Set(extractMentions(text, members));
      return members.filter((m) => found.has(m.key));
    }
  };
}
