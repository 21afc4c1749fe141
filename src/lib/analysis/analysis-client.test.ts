import { describe, expect, it } from 'vitest';
import type { AnalysisResult, Timings } from '$workers/analysis-types';
import { mergeResults } from './analysis-client';

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
