// Betweenness on the real communities' conversation graphs (answers and comments: who replied to
// whom), exact against sampled, and EASE's training time on each one's full matrix.
// `npx tsx tests/bench/betweenness-figures.ts [DATA_ROOT]`; one JSON line per figure.
import { communityDirs, loadSeInteractions } from '../../scripts/data/se-interactions';
import { betweenness, spearman, topOverlap } from '../../workers/graph/betweenness';
import { buildSocialGraph } from '../../workers/graph/social-graph';
import { seededRandom } from '../../workers/recommend/random';
import { Feedback } from '../../workers/recommend/feedback';
import { fitEase } from '../../workers/recommend/ease';

const root = process.argv[2] ?? '/work/shared/data';
for (const dir of communityDirs(root)) {
  const c = loadSeInteractions(dir);
  const ties = c.replies.map((r) => ({ from: String(r.from), to: String(r.to), kind: 'reply' as const, ts: r.ts }));
  const graph = buildSocialGraph(
    Array.from({ length: c.cat.members }, (_, i) => String(i)),
    ties
  );
  let t = performance.now();
  const exact = betweenness(graph, { exactMax: Infinity });
  const exactMs = performance.now() - t;
  const total = [...exact.values()].reduce((a, b) => a + b, 0);
  const topShare = Math.max(...exact.values()) / (total || 1);
  console.log(
    JSON.stringify({
      bench: 'graph.betweenness_exact_ms',
      data: c.name,
      value: Math.round(exactMs),
      nodes: graph.order,
      edges: graph.size,
      top_share: Math.round(topShare * 1000) / 1000
    })
  );
  for (const sources of [120, 300, 1000]) {
    if (sources >= graph.order) continue;
    const figures = [1, 2, 3].map((seed) => {
      const sampled = betweenness(graph, { exactMax: 0, sources, random: seededRandom(`${c.name}/${seed}`) });
      return { rho: spearman(exact, sampled), top10: topOverlap(exact, sampled, 10) };
    });
    console.log(
      JSON.stringify({
        bench: 'graph.betweenness_sampled',
        data: c.name,
        sources,
        spearman: figures.map((f) => Math.round(f.rho * 1000) / 1000),
        top10_overlap: figures.map((f) => f.top10)
      })
    );
  }
  const train = new Feedback(c.cat.members, c.cat.items, c.rows);
  fitEase(train);
  const times = [0, 1, 2].map(() => {
    t = performance.now();
    fitEase(train);
    return performance.now() - t;
  });
  console.log(
    JSON.stringify({
      bench: `recs.ease_train_ms.${c.name.replace('se-', '')}`,
      value: Math.round(times.sort((a, b) => a - b)[1]),
      items: c.cat.items,
      members: c.cat.members
    })
  );
}
