// Sampled betweenness on the generated 10,000-member community (issue 15): the conversation graph
// the analysis worker builds from the community file's records (snapshotFromRecords → socialTies →
// buildSocialGraph), exact betweenness once, then the sampled one the app runs past its exact limit
// at three seeds (the app's own seed first), each compared with exact. Also the graph step's time
// (graph.metrics_ms.10k as the worker's pipeline times it, here in Node).
// `npx tsx tests/bench/betweenness-10k-figures.ts [--no-metrics]`; one JSON line per figure.
import { readFileSync } from 'node:fs';
import { ensureDataset } from '../../scripts/data/datasets';
import type { AnyRecord } from '../../src/lib/domain/record';
import { analyse, socialTies } from '../../workers/analysis';
import { snapshotFromRecords } from '../../workers/community/from-records';
import { betweenness, EXACT_MAX, SAMPLED_SOURCES, spearman, topOverlap } from '../../workers/graph/betweenness';
import { buildSocialGraph } from '../../workers/graph/social-graph';
import { seededRandom } from '../../workers/recommend/random';

const emit = (bench: string, value: number, extra: Record<string, unknown> = {}) => console.log(JSON.stringify({ bench, value, ...extra }));
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

const dataset = await ensureDataset('generated-10k', { log: (l) => console.error(l) });
const file = JSON.parse(readFileSync(dataset.file, 'utf8')) as { records: AnyRecord[] };
const genesis = file.records.find((r) => r.kind === 'genesis')!;
// The analyses run as the creator (who opens Insights).
const snapshot = snapshotFromRecords(file.records, genesis.author);
const graph = buildSocialGraph(
  snapshot.members.map((m) => m.key),
  socialTies(snapshot)
);
console.error(`graph: ${graph.order} members, ${graph.size} ties`);

let t = performance.now();
const exact = betweenness(graph, { exactMax: Infinity });
const exactMs = performance.now() - t;
emit('graph.betweenness_exact_ms.10k', Math.round(exactMs), { nodes: graph.order, edges: graph.size });

// The app's seed (analysis.ts: `${cid}/betweenness`) and two more.
const seeds = [`${snapshot.cid}/betweenness`, 'bench/2', 'bench/3'];
const runs = seeds.map((seed) => {
  t = performance.now();
  const sampled = betweenness(graph, { random: seededRandom(seed) });
  const ms = performance.now() - t;
  return { seed, ms, rho: spearman(exact, sampled), top10: topOverlap(exact, sampled, 10) };
});
const spread = (v: number[], d = 3) => ({ per_seed: v.map((x) => round(x, d)), min: round(Math.min(...v), d), max: round(Math.max(...v), d) });
const config = { exact_max: EXACT_MAX, sources: graph.order > EXACT_MAX ? SAMPLED_SOURCES : graph.order };
emit('graph.betweenness_sampled_spearman.10k', round(mean(runs.map((r) => r.rho)), 4), {
  ...spread(
    runs.map((r) => r.rho),
    4
  ),
  ...config
});
emit('graph.betweenness_sampled_top10.10k', round(mean(runs.map((r) => r.top10)), 2), { ...spread(runs.map((r) => r.top10)), ...config });
emit('graph.betweenness_sampled_ms.10k', Math.round(mean(runs.map((r) => r.ms))), { per_seed: runs.map((r) => Math.round(r.ms)), ...config });

if (!process.argv.includes('--no-metrics')) {
  // The whole graph step as the worker runs it (PageRank, betweenness, invite tree, bridges, view layout).
  const times = [0, 1, 2].map(() => analyse(snapshot, ['graph']).result.timings.graphMetricsMs);
  emit('graph.metrics_ms.10k', Math.round(times.sort((a, b) => a - b)[1]), { runs: times.map(Math.round), where: 'node' });
}
