// The page's side of the analysis workers: starts them on first use, calls their typed API through
// comlink, forwards progress, and cancels a run by terminating the workers (a long synchronous
// computation cannot be interrupted any other way); the next call starts fresh ones.
// A run uses two workers at once: the social graph (graph metrics, Louvain, the view's layout) and
// the member segments and churn in one, the dashboard and recommendations in the other. Each reads the community from
// IndexedDB itself, so nothing large crosses between them, and on a phone's several cores a full
// refresh takes about as long as its larger half.
import * as Comlink from 'comlink';
import type { AnalysisApi, AnalysisPart, AnalysisResult, CsvTable, Progress } from '$workers/analysis-types';
import type { Recommendation } from '$workers/recommend/for-member';
import type { Suggestion } from '$workers/graph/analyse';
import { unpackMemberStats, type MemberStats } from '$lib/domain/membership';
import type { Board } from '$lib/domain/points';
import { endsWithLeadership } from '$lib/sync/leader-worker';

export class AnalysisCancelled extends Error {
  constructor() {
    super('analysis cancelled');
    this.name = 'AnalysisCancelled';
  }
}

/** A worker that could not be started (its script did not load: offline before the service worker held it, or a newer build replaced it). */
export class WorkerUnavailable extends Error {
  constructor(name: string) {
    super(`worker ${name} could not be loaded`);
    this.name = 'WorkerUnavailable';
  }
}

/** What a lane needs of a worker: comlink's endpoint, its `error` event and `terminate`. */
export type WorkerLike = Comlink.Endpoint & Pick<Worker, 'terminate'>;

const startAnalysisWorker = (name: string): WorkerLike =>
  endsWithLeadership(new Worker(new URL('../../../workers/analysis.worker.ts', import.meta.url), { type: 'module', name }));

/**
 * One worker and its comlink proxy, started on first use. A worker whose script does not load never
 * answers (comlink waits for ever): its calls are refused with WorkerUnavailable instead, and the
 * next call starts a fresh one.
 */
export class Lane {
  #worker: WorkerLike | null = null;
  #api: Comlink.Remote<AnalysisApi> | null = null;
  #calls = new Set<(reason: unknown) => void>();

  constructor(
    readonly name: string,
    private readonly start: (name: string) => WorkerLike = startAnalysisWorker
  ) {}

  #remote(): Comlink.Remote<AnalysisApi> {
    if (!this.#api) {
      const worker = (this.#worker = this.start(this.name));
      // A script that failed to load fires a plain Event; an error thrown inside a running worker an ErrorEvent.
      worker.addEventListener('error', (event) => {
        if (this.#worker === worker && !isErrorEvent(event)) this.#fail();
      });
      this.#api = Comlink.wrap<AnalysisApi>(worker);
    }
    return this.#api;
  }

  /** A call to this lane's worker, refused if the worker cannot be loaded. */
  call<T>(call: (api: Comlink.Remote<AnalysisApi>) => Promise<T>): Promise<T> {
    const api = this.#remote();
    return new Promise<T>((resolve, reject) => {
      this.#calls.add(reject);
      call(api)
        .then(resolve, reject)
        .finally(() => this.#calls.delete(reject));
    });
  }

  #fail(): void {
    const calls = [...this.#calls];
    this.#calls.clear();
    this.stop();
    for (const reject of calls) reject(new WorkerUnavailable(this.name));
  }

  stop(): void {
    this.#worker?.terminate();
    this.#worker = null;
    this.#api = null;
  }
}

function isErrorEvent(event: unknown): boolean {
  return typeof ErrorEvent !== 'undefined' && event instanceof ErrorEvent;
}

/** Tables whose rows live in the graph worker's last run. */
const GRAPH_TABLES = new Set<CsvTable>(['pagerank', 'bridges', 'referrals', 'segments', 'churn']);
/** Parts run in the graph worker: the graph, and the member segments and churn beside it, so the two halves take about as long. */
const GRAPH_LANE = new Set<AnalysisPart>(['graph', 'members']);

/** One result from the two lanes' results: each part comes from the lane that ran it; step times add up (each step ran in one lane). */
export function mergeResults(results: AnalysisResult[], wallMs: number, lanes: string[] = []): AnalysisResult {
  const [first, ...rest] = results;
  const out: AnalysisResult = { ...first, timings: { ...first.timings } };
  if (results.some((r) => r.timings.loadSteps))
    out.timings.loadSteps = Object.fromEntries(
      results.flatMap((r, i) => Object.entries(r.timings.loadSteps ?? {}).map(([step, ms]) => [`${lanes[i] ?? i}.${step}`, ms]))
    );
  for (const r of rest) {
    out.dashboard ??= r.dashboard;
    out.members ??= r.members;
    out.graph ??= r.graph;
    out.recs ??= r.recs;
    const t = out.timings;
    const u = r.timings;
    t.loadMs = Math.max(t.loadMs, u.loadMs);
    t.dashboardMs += u.dashboardMs;
    t.membersMs += u.membersMs;
    t.graphMetricsMs += u.graphMetricsMs;
    t.louvainMs += u.louvainMs;
    t.recsTrainMs += u.recsTrainMs;
    t.recsRankOneMs += u.recsRankOneMs;
    t.reusedRows = !!t.reusedRows && !!u.reusedRows;
    t.peakHeapMb = t.peakHeapMb === null || u.peakHeapMb === null ? null : t.peakHeapMb + u.peakHeapMb;
  }
  // What a person waits for: from the call until both lanes answered.
  out.timings.totalMs = wallMs;
  return out;
}

export class AnalysisClient {
  #main = new Lane('hearth-analysis');
  #graph = new Lane('hearth-analysis-graph');
  #pending = new Set<(reason: unknown) => void>();
  /** The cid and member of the last finished run: the workers hold its models. */
  #ready: string | null = null;

  /** Rejects with AnalysisCancelled if `cancel` is called first. */
  private guard<T>(call: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.add(reject);
      call.then(resolve, reject).finally(() => this.#pending.delete(reject));
    });
  }

  async run(cid: string, me: string, parts: AnalysisPart[], onProgress?: (p: Progress) => void): Promise<AnalysisResult> {
    this.#ready = null;
    const started = performance.now();
    const graphParts = parts.filter((p) => GRAPH_LANE.has(p));
    const mainParts = parts.filter((p) => !GRAPH_LANE.has(p));
    // Progress of the whole run: the lanes' steps added up.
    const latest = new Map<Lane, Progress>();
    const report = (lane: Lane) =>
      Comlink.proxy((p: Progress) => {
        latest.set(lane, p);
        let done = 0;
        let total = 0;
        for (const x of latest.values()) (done += x.done), (total += x.total);
        onProgress?.({ step: p.step, done, total });
      });
    const runs: Promise<AnalysisResult>[] = [];
    const lanes: string[] = [];
    if (mainParts.length || !graphParts.length)
      runs.push(this.guard(this.#main.call((api) => api.run(cid, me, mainParts, report(this.#main))))), lanes.push('main');
    if (graphParts.length) runs.push(this.guard(this.#graph.call((api) => api.run(cid, me, graphParts, report(this.#graph))))), lanes.push('graph');
    const result = mergeResults(await Promise.all(runs), performance.now() - started, lanes);
    if (parts.includes('recs')) this.#ready = `${cid}/${me}`;
    return result;
  }

  /** True when the worker holds a trained model for this community and member. */
  isReady(cid: string, me: string): boolean {
    return this.#ready === `${cid}/${me}`;
  }

  recommend(member: string, k: number): Promise<Recommendation[]> {
    return this.guard(this.#main.call((api) => api.recommend(member, k)));
  }

  related(thread: string, k: number): Promise<Recommendation[]> {
    return this.guard(this.#main.call((api) => api.related(thread, k)));
  }

  suggestions(member: string, k: number): Promise<Suggestion[]> {
    return this.guard(this.#graph.call((api) => api.suggestions(member, k)));
  }

  csv(table: CsvTable): Promise<string> {
    return this.guard((GRAPH_TABLES.has(table) ? this.#graph : this.#main).call((api) => api.csv(table)));
  }

  /** The last member stats unpacked here, by version: unpacking 10,000 members costs the page tens of ms. */
  #stats: { version: string; stats: MemberStats } | null = null;

  async memberStats(cid: string, now: number): Promise<MemberStats | null> {
    const answer = await this.guard(this.#main.call((api) => api.memberStats(cid, now, this.#stats?.version)));
    if (answer.unchanged && this.#stats?.version === answer.version) return this.#stats.stats;
    const stats = answer.packed && unpackMemberStats(answer.packed);
    // Not remembered while there is no genesis: its arrival does not change the record count.
    this.#stats = stats ? { version: answer.version, stats } : null;
    return stats;
  }

  /** Points on the 7-day, 30-day and all-time leaderboards (null: no genesis stored yet). */
  async pointsBoards(cid: string, now: number): Promise<Record<Board, Map<string, number>> | null> {
    const boards = await this.guard(this.#main.call((api) => api.pointsBoards(cid, now)));
    return boards && { week: new Map(boards.week), month: new Map(boards.month), all: new Map(boards.all) };
  }

  /** Stops whatever the workers are doing; pending calls reject with AnalysisCancelled. */
  cancel(): void {
    this.#main.stop();
    this.#graph.stop();
    this.#ready = null;
    for (const reject of this.#pending) reject(new AnalysisCancelled());
    this.#pending.clear();
  }
}

let shared: AnalysisClient | null = null;
let stats: AnalysisClient | null = null;

/** One pair of workers for the whole app: "For you" and the dashboard share their trained models. */
export function analysisClient(): AnalysisClient {
  return (shared ??= new AnalysisClient());
}

/**
 * Member stats (trust levels, contributions, last activity) in a worker of their own: the
 * scheduler and the posting check must not wait behind a long analysis run, nor fail when a
 * person cancels one.
 */
export function memberStatsClient(): AnalysisClient {
  return (stats ??= new AnalysisClient());
}
