import { describe, expect, it } from 'vitest';
import type { AnalysisResult, Timings } from '$workers/analysis-types';
import { Lane, mergeResults, WorkerUnavailable, type WorkerLike } from './analysis-client';

const timings = (over: Partial<Timings>): Timings => ({
  loadMs: 0,
  dashboardMs: 0,
  membersMs: 0,
  graphMetricsMs: 0,
  louvainMs: 0,
  recsTrainMs: 0,
  recsRankOneMs: 0,
  totalMs: 0,
  peakHeapMb: null,
  reusedRows: true,
  ...over
});
const counts = { members: 3, threads: 2, replies: 1, reactions: 0, views: 0 };

describe('a run over two workers', () => {
  it('takes each part from the worker that ran it, the slower load, each step’s own time, and the wall time as the total', () => {
    const main = {
      cid: 'c',
      counts,
      recs: { cf: 'ease', ranker: null, items: 2, interactions: 3, diversity: 'off', forMe: [], related: null },
      timings: timings({ loadMs: 300, recsTrainMs: 900, dashboardMs: 50, totalMs: 1300 })
    } as AnalysisResult;
    const graph = {
      cid: 'c',
      counts,
      graph: { nodes: 3 } as AnalysisResult['graph'],
      timings: timings({ loadMs: 400, graphMetricsMs: 700, louvainMs: 80, totalMs: 1200, reusedRows: false })
    } as AnalysisResult;
    const merged = mergeResults([main, graph], 1350);
    expect(merged.recs).toBe(main.recs);
    expect(merged.graph).toBe(graph.graph);
    expect(merged.timings).toMatchObject({
      loadMs: 400,
      recsTrainMs: 900,
      dashboardMs: 50,
      graphMetricsMs: 700,
      louvainMs: 80,
      totalMs: 1350,
      reusedRows: false
    });
  });
});

/** A worker whose script never answers (as one that is still loading, or failed to load). */
class SilentWorker extends EventTarget {
  posted = 0;
  terminated = false;
  postMessage() {
    this.posted++;
  }
  terminate() {
    this.terminated = true;
  }
}

describe('a lane whose worker cannot be loaded', () => {
  it('refuses the calls waiting on it, and the next call starts a fresh worker', async () => {
    const started: SilentWorker[] = [];
    const lane = new Lane('hearth-analysis', () => {
      const worker = new SilentWorker();
      started.push(worker);
      return worker as unknown as WorkerLike;
    });
    const stats = lane.call((api) => api.memberStats('c', 0));
    const boards = lane.call((api) => api.pointsBoards('c', 0));
    await Promise.resolve();
    expect(started[0].posted).toBe(2);
    // The script did not load (offline, never cached): a plain error event, not an ErrorEvent.
    started[0].dispatchEvent(new Event('error'));
    await expect(stats).rejects.toBeInstanceOf(WorkerUnavailable);
    await expect(boards).rejects.toBeInstanceOf(WorkerUnavailable);
    expect(started[0].terminated).toBe(true);

    void lane.call((api) => api.memberStats('c', 0)).catch(() => {});
    await Promise.resolve();
    expect(started).toHaveLength(2);
    expect(started[1].posted).toBe(1);
    // The failed worker's late events touch the fresh one's calls no more.
    const late = lane.call((api) => api.memberStats('c', 1));
    started[0].dispatchEvent(new Event('error'));
    const settled = await Promise.race([
      late.then(
        () => 'answered',
        () => 'refused'
      ),
      new Promise((r) => setTimeout(() => r('waiting'), 20))
    ]);
    expect(settled).toBe('waiting');
    lane.stop();
  });
});
