// The page's side of the analysis worker: starts it on first use, calls its typed API through
// comlink, forwards progress, and cancels a run by terminating the worker (a long synchronous
// computation cannot be interrupted any other way); the next call starts a fresh one.
import * as Comlink from 'comlink';
import type { AnalysisApi, AnalysisPart, AnalysisResult, CsvTable, Progress } from '$workers/analysis-types';
import type { Recommendation } from '$workers/recommend/for-member';
import type { Suggestion } from '$workers/graph/analyse';
import type { MemberStats } from '$lib/domain/membership';

export class AnalysisCancelled extends Error {
  constructor() {
    super('analysis cancelled');
    this.name = 'AnalysisCancelled';
  }
}

export class AnalysisClient {
  #worker: Worker | null = null;
  #api: Comlink.Remote<AnalysisApi> | null = null;
  #pending = new Set<(reason: unknown) => void>();
  /** The cid and member of the last finished run: the worker holds its models. */
  #ready: string | null = null;

  private api(): Comlink.Remote<AnalysisApi> {
    if (!this.#api) {
      this.#worker = new Worker(new URL('../../../workers/analysis.worker.ts', import.meta.url), { type: 'module', name: 'hearth-analysis' });
      this.#api = Comlink.wrap<AnalysisApi>(this.#worker);
    }
    return this.#api;
  }

  /** Rejects with AnalysisCancelled if `cancel` is called first. */
  private guard<T>(call: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.add(reject);
      call.then(resolve, reject).finally(() => this.#pending.delete(reject));
    });
  }

  async run(cid: string, me: string, parts: AnalysisPart[], onProgress?: (p: Progress) => void): Promise<AnalysisResult> {
    this.#ready = null;
    const result = await this.guard(this.api().run(cid, me, parts, onProgress ? Comlink.proxy(onProgress) : undefined));
    if (parts.includes('recs')) this.#ready = `${cid}/${me}`;
    return result;
  }

  /** True when the worker holds a trained model for this community and member. */
  isReady(cid: string, me: string): boolean {
    return this.#ready === `${cid}/${me}`;
  }

  recommend(member: string, k: number): Promise<Recommendation[]> {
    return this.guard(this.api().recommend(member, k));
  }

  related(thread: string, k: number): Promise<Recommendation[]> {
    return this.guard(this.api().related(thread, k));
  }

  suggestions(member: string, k: number): Promise<Suggestion[]> {
    return this.guard(this.api().suggestions(member, k));
  }

  csv(table: CsvTable): Promise<string> {
    return this.guard(this.api().csv(table));
  }

  memberStats(cid: string, now: number): Promise<MemberStats | null> {
    return this.guard(this.api().memberStats(cid, now));
  }

  /** Stops whatever the worker is doing; pending calls reject with AnalysisCancelled. */
  cancel(): void {
    this.#worker?.terminate();
    this.#worker = null;
    this.#api = null;
    this.#ready = null;
    for (const reject of this.#pending) reject(new AnalysisCancelled());
    this.#pending.clear();
  }
}

let shared: AnalysisClient | null = null;
let stats: AnalysisClient | null = null;

/** One worker for the whole app: "For you" and the dashboard share its trained models. */
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
