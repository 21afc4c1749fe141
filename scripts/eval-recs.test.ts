import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedDataDir } from '../workers/recommend/se-snapshot';

// `npm run eval:recs` on one community folder: every line is one JSON row of the shape,
// holdout rows carry their seeds' spread, and each protocol's figures are present.
describe('eval:recs output', () => {
  it('prints one JSON row per model, protocol and community, with the hybrid compared pair by pair', () => {
    const dir = sharedDataDir('se-bicycles-meta');
    if (!dir) throw new Error('the shared data (../shared/data/se-bicycles-meta) is missing');
    const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
    expect(existsSync(tsx)).toBe(true);
    const out = execFileSync(tsx, ['scripts/eval-recs.ts', '--data', dir, '--seeds', '2'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const rows = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const figures = rows.filter((r) => 'ndcg@10' in r);
    for (const r of figures) {
      expect(r).toMatchObject({
        model: expect.any(String),
        protocol: expect.any(String),
        data: 'se-bicycles-meta',
        coverage: expect.any(Number),
        sd: expect.any(Number)
      });
      expect(r['ndcg@10']).toBeGreaterThanOrEqual(0);
      expect(r['ndcg@10']).toBeLessThanOrEqual(1);
      // Fair exposure: every model row of every protocol says how unequally its top-10s spread attention over authors.
      expect(r.exposure_gini).toEqual(expect.any(Number));
      expect(r.exposure_gini).toBeGreaterThanOrEqual(0);
      expect(r.exposure_gini).toBeLessThan(1);
    }
    // The diversity settings' rows: the hybrid re-ranked at each λ (the ranker on rolling), beside it.
    for (const protocol of ['holdout', 'temporal(2016-01-01)'])
      expect(figures.filter((r) => r.protocol === protocol).map((r) => r.model)).toEqual(
        expect.arrayContaining(['popularity', 'hybrid', 'hybrid+diversity(0.3)', 'hybrid+diversity(0.6)'])
      );
    expect(figures.filter((r) => r.protocol === 'rolling(2016-01-01)').map((r) => r.model)).toEqual(
      expect.arrayContaining(['popular-so-far', 'ranker', 'ranker+diversity(0.3)', 'ranker+diversity(0.6)'])
    );
    // Re-ranking spreads exposure: never a higher Gini than the hybrid's own lists on holdout.
    const holdoutOf = (model: string) => figures.find((r) => r.protocol === 'holdout' && r.model === model)!;
    expect(holdoutOf('hybrid+diversity(0.6)').exposure_gini).toBeLessThan(holdoutOf('hybrid').exposure_gini as number);
    expect(typeof holdoutOf('hybrid').exposure_gini_sd).toBe('number');
    // Each setting's cost in NDCG@10, paired against its own model on every protocol.
    const costs = rows.filter((r) => typeof r.vs === 'string' && String(r.model).includes('+diversity('));
    expect(costs.map((r) => `${r.protocol} ${r.model} vs ${r.vs}`).sort()).toEqual([
      'holdout hybrid+diversity(0.3) vs hybrid',
      'holdout hybrid+diversity(0.6) vs hybrid',
      'rolling(2016-01-01) ranker+diversity(0.3) vs ranker',
      'rolling(2016-01-01) ranker+diversity(0.6) vs ranker',
      'temporal(2016-01-01) hybrid+diversity(0.3) vs hybrid',
      'temporal(2016-01-01) hybrid+diversity(0.6) vs hybrid'
    ]);
    expect(costs.every((r) => typeof r.diff === 'number' && typeof r.sd === 'number')).toBe(true);
    const protocols = new Set(figures.map((r) => r.protocol));
    expect([...protocols].sort()).toEqual(['holdout', 'rolling(2016-01-01)', 'temporal(2016-01-01)']);
    const holdout = figures.filter((r) => r.protocol === 'holdout');
    expect(holdout.every((r) => r.seeds === 2 && typeof r['recall@20'] === 'number')).toBe(true);
    expect(holdout.map((r) => r.model)).toEqual(expect.arrayContaining(['hybrid', 'hybrid-without-time', 'reference-hybrid', 'hybrid-without-content']));
    const rolling = figures.filter((r) => r.protocol === 'rolling(2016-01-01)');
    expect(rolling.find((r) => r.model === 'newest-first')).toMatchObject({ pairs: 75, warm: 64 });
    expect(rolling.map((r) => r.model)).toEqual(expect.arrayContaining(['ranker', 'ranker-without-time', 'bound: linear, fitted on the scored weeks']));
    // Paired comparisons: holdout against the reference's recipe over seeds, temporal over members.
    expect(rows.filter((r) => r.vs === 'reference-hybrid' && r.protocol === 'holdout').map((r) => r.model)).toEqual(['hybrid', 'hybrid-without-time']);
    expect(rows.some((r) => r.vs === 'earliest-first' && typeof r.diff === 'number' && typeof r.members === 'number')).toBe(true);
  }, 300_000);
});
