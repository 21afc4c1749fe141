// One analysis run as reactive state for a page: status, progress, result, and cancel.
// Results are remembered per community for the session, so returning to a page shows them at once.
import type { AnalysisPart, AnalysisResult, Progress } from '$workers/analysis-types';
import { AnalysisCancelled, analysisClient, type AnalysisClient } from './analysis-client';

export type JobStatus = 'idle' | 'running' | 'done' | 'cancelled' | 'failed';

const lastResults = new Map<string, AnalysisResult>();

export class AnalysisJob {
  status = $state<JobStatus>('idle');
  progress = $state.raw<Progress | null>(null);
  result = $state.raw<AnalysisResult | null>(null);
  error = $state<string | null>(null);
  startedAt = $state<number | null>(null);
  #run = 0;

  constructor(
    readonly cid: string,
    readonly me: string,
    readonly parts: AnalysisPart[],
    readonly client: AnalysisClient = analysisClient()
  ) {
    const cached = lastResults.get(this.#key());
    if (cached) {
      this.result = cached;
      this.status = 'done';
    }
  }

  #key(): string {
    return `${this.cid}/${this.me}/${[...this.parts].sort().join(',')}`;
  }

  get running(): boolean {
    return this.status === 'running';
  }

  async start(): Promise<void> {
    if (this.running) return;
    const run = ++this.#run;
    this.status = 'running';
    this.error = null;
    this.progress = null;
    this.startedAt = Date.now();
    try {
      const result = await this.client.run(this.cid, this.me, this.parts, (p) => {
        if (run === this.#run) this.progress = p;
      });
      if (run !== this.#run) return;
      this.result = result;
      lastResults.set(this.#key(), result);
      this.status = 'done';
    } catch (error) {
      if (run !== this.#run) return;
      if (error instanceof AnalysisCancelled) this.status = 'cancelled';
      else {
        this.status = 'failed';
        this.error = error instanceof Error ? error.message : String(error);
      }
    }
  }

  cancel(): void {
    if (!this.running) return;
    this.#run++;
    this.client.cancel();
    this.status = 'cancelled';
    this.progress = null;
  }
}
