// The worker's typed API and what crosses it: compact results (top lists, summaries), never
// whole tables, so the page's main thread never spends long deserialising. Full tables come as
// CSV text on request (one string crosses cheaply).
import type { ChurnRisk } from './members/churn';
import type { Segment } from './members/segments';
import type { ActiveMembers, Cohort, Contributor, NewMembersWeek, ThreadPerformance } from './metrics/dashboard';
import type { Bridge, Suggestion } from './graph/analyse';
import type { InviteTree, Referrals } from './graph/invites';
import type { RankerInfo, Recommendation } from './recommend/for-member';
import type { RankedRecommendation } from './recommend/featured-boost';
import type { PackedMemberStats } from '../src/lib/domain/membership';
import type { Board } from '../src/lib/domain/points';

export type AnalysisStep = 'load' | 'dashboard' | 'members' | 'graph' | 'louvain' | 'recs';
export const ANALYSIS_STEPS: AnalysisStep[] = ['load', 'dashboard', 'members', 'graph', 'louvain', 'recs'];

export interface Progress {
  step: AnalysisStep;
  /** Steps finished so far, of `total`. */
  done: number;
  total: number;
}

export type AnalysisPart = 'dashboard' | 'members' | 'graph' | 'recs';

export interface Timings {
  loadMs: number;
  dashboardMs: number;
  membersMs: number;
  graphMetricsMs: number;
  louvainMs: number;
  recsTrainMs: number;
  recsRankOneMs: number;
  totalMs: number;
  /** True when the community's rows were unchanged since the last run and reused (loadMs is then a count). */
  reusedRows?: boolean;
  /** When each read of the load had answered, ms from its start (by lane in a merged result): where a slow load waits. */
  loadSteps?: Record<string, number>;
  /** Largest JS heap the worker saw (performance.memory, Chromium only), MB; null elsewhere. */
  peakHeapMb: number | null;
}

export interface GraphView {
  nodes: { key: string; x: number; y: number; size: number; community: number; pagerank: number }[];
  edges: [string, string, number][];
}

export interface DashboardResult {
  asOf: number;
  active: ActiveMembers;
  newMembers: NewMembersWeek[];
  cohorts: Cohort[];
  /** The 50 threads with most replies and reactions. */
  content: ThreadPerformance[];
  unanswered: number;
  medianFirstAnswerMs: number | null;
  contributors: Contributor[];
}

export interface MembersResult {
  segments: Segment[];
  /** Members most at risk, highest score first (at most 50). */
  churn: ChurnRisk[];
}

export interface GraphResult {
  nodes: number;
  edges: number;
  modularity: number;
  communities: { id: number; size: number; top: string[] }[];
  pagerank: { member: string; value: number }[];
  betweenness: { member: string; value: number }[];
  bridges: Bridge[];
  suggestions: Suggestion[];
  funnel: InviteTree['funnel'];
  referrals: Referrals[];
  view: GraphView;
}

export interface RecsResult {
  cf: 'ease' | 'ials';
  /** The feed ranker that orders the newest threads, or null when the blend ranks everything. */
  ranker: RankerInfo | null;
  items: number;
  interactions: number;
  /** The creator's variety setting the lists were re-ranked with. */
  diversity: 'off' | 'some' | 'more';
  /** With featured threads lifted and marked (recommend/featured-boost). */
  forMe: RankedRecommendation[];
  /** Threads related to the one this member last opened or took part in. */
  related: { thread: string; title: string; items: Recommendation[] } | null;
}

export interface AnalysisResult {
  cid: string;
  counts: { members: number; threads: number; replies: number; reactions: number; views: number };
  dashboard?: DashboardResult;
  members?: MembersResult;
  graph?: GraphResult;
  recs?: RecsResult;
  timings: Timings;
}

export type CsvTable =
  | 'active'
  | 'new_members'
  | 'cohorts'
  | 'content'
  | 'contributors'
  | 'segments'
  | 'churn'
  | 'pagerank'
  | 'bridges'
  | 'referrals'
  | 'recommendations';

export interface AnalysisApi {
  /** Reads the community from this device's database and runs the requested analyses. */
  run(cid: string, me: string, parts: AnalysisPart[], onProgress?: (p: Progress) => void): Promise<AnalysisResult>;
  /** "For you" of one member, from the last run's model. */
  recommend(member: string, k: number): Promise<Recommendation[]>;
  related(thread: string, k: number): Promise<Recommendation[]>;
  suggestions(member: string, k: number): Promise<Suggestion[]>;
  /** A whole table of the last run as CSV (every row, not only the shown top). */
  csv(table: CsvTable): Promise<string>;
  /**
   * Every member's trust level, contributions and last activity now, packed (null: no genesis
   * stored yet), with the version of that answer; `packed` is left out when it is `known`.
   */
  memberStats(cid: string, now: number, known?: string): Promise<{ version: string; packed: PackedMemberStats | null; unchanged?: true }>;
  /** Points of every member on the 7-day, 30-day and all-time boards (domain/points), as [member, points] pairs (null: no genesis). */
  pointsBoards(cid: string, now: number): Promise<Record<Board, [string, number][]> | null>;
}
