// Featured threads (精华) in "For you": a thread the moderators marked moves up a few places among
// what the models picked for this member. A lift in places, not in score, so it means the same
// whatever scale the blend's scores have, and never brings in a thread the models did not pick.
import type { Recommendation } from './for-member';

/** Places a featured thread moves up: past near equals, not past what fits the member far better. */
export const FEATURED_LIFT = 3;

export type RankedRecommendation = Recommendation & { featured?: true };

/** The top `k` of `recs` (best first) with featured threads lifted and marked; the order is otherwise kept. */
export function boostFeatured(recs: readonly Recommendation[], featured: ReadonlySet<string>, k: number, lift = FEATURED_LIFT): RankedRecommendation[] {
  return recs
    .map((r, i) => ({ r, at: featured.has(r.thread) ? i - lift - 0.5 : i }))
    .sort((a, b) => a.at - b.at)
    .slice(0, k)
    .map(({ r }) => (featured.has(r.thread) ? { ...r, featured: true as const } : r));
}
