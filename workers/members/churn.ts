// Churn risk as a transparent score until the community has the history a fitted model needs:
// each factor is shown with its points, and the score is their sum (0–100).
import type { MemberFeatures } from './segments';

export interface ChurnFactor {
  /** i18n key suffix: insights.churn.factor.<key> */
  key: 'overdue' | 'declining' | 'quiet_month' | 'few_contributions';
  points: number;
}

export interface ChurnRisk {
  member: string;
  score: number;
  factors: ChurnFactor[];
}

/**
 * Factors: overdue (days since last activity beyond the member's usual gap, up to 40 points),
 * declining (fewer acts in the last 30 days than the monthly rate of the 60 before, up to 25),
 * quiet month (nothing in 30 days, 20), few contributions (under 5 in all, 15).
 * Members never active are not scored: they have not started, so they cannot churn.
 */
export function churnRisk(f: MemberFeatures): ChurnRisk | null {
  if (f.lastActive === null) return null;
  const factors: ChurnFactor[] = [];
  const usual = Math.max(7, f.usualGapDays ?? 14);
  if (f.recencyDays > usual) factors.push({ key: 'overdue', points: Math.round(Math.min(40, (40 * (f.recencyDays - usual)) / (3 * usual))) });
  const monthlyBefore = f.previous60 / 2;
  if (monthlyBefore > 0 && f.recent30 < monthlyBefore) factors.push({ key: 'declining', points: Math.round(25 * (1 - f.recent30 / monthlyBefore)) });
  if (f.recent30 === 0) factors.push({ key: 'quiet_month', points: 20 });
  if (f.contribution < 5) factors.push({ key: 'few_contributions', points: 15 });
  const kept = factors.filter((x) => x.points > 0);
  return { member: f.member, score: Math.min(100, kept.reduce((s, x) => s + x.points, 0)), factors: kept };
}
