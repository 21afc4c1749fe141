import { describe, expect, it } from 'vitest';
import { churnProbability, churnRisk, fitChurnModel } from './churn';
import type { MemberFeatures } from './segments';

const member = (i: number, recencyDays: number, recent30: number): MemberFeatures => ({
  member: `m${i}`,
  recencyDays,
  frequency: recent30,
  contribution: recent30 * 2,
  lastActive: 1,
  recent30,
  previous60: 4,
  usualGapDays: 5
});

describe('churn', () => {
  it('keeps the transparent score until there is history, then fits a model that ranks the quiet first', () => {
    const few = Array.from({ length: 10 }, (_, i) => ({ features: member(i, 40, 0), churned: true }));
    expect(fitChurnModel(few)).toBeNull();
    // History: members quiet for long at the cutoff mostly left; busy ones mostly stayed.
    const samples = Array.from({ length: 60 }, (_, i) => {
      const quiet = i % 2 === 0;
      return { features: member(i, quiet ? 30 + (i % 7) : 1 + (i % 3), quiet ? 0 : 5 + (i % 4)), churned: quiet ? i % 10 !== 0 : i % 10 === 1 };
    });
    const model = fitChurnModel(samples);
    expect(model).not.toBeNull();
    expect(model!.trainedOn).toBe(60);
    const pQuiet = churnProbability(model!, member(99, 45, 0));
    const pBusy = churnProbability(model!, member(98, 1, 8));
    expect(pQuiet).toBeGreaterThan(0.7);
    expect(pBusy).toBeLessThan(0.3);
    expect(churnRisk(member(97, 45, 0))?.factors.map((f) => f.key)).toContain('quiet_month');
  });
});
