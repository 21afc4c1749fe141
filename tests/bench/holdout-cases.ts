// What the holdout dev benches (holdout-tuning-figures.ts, holdout-components-figures.ts) score: each
// test member's candidate pool (threads they did not touch in training) with every component's
// scores over it, and the z-score the blends work on.
import type { Scorer } from '../../workers/recommend/feedback';

export interface RawCase {
  member: number;
  /** Threads the member touched in the training rows. */
  seen: number;
  relevant: Set<number>;
  pool: Int32Array;
  /** Each component's scores over the pool. */
  raw: Float64Array[];
}

/** The cases of `test`: scored members need training rows (as evaluateScorer); validation members as validationCases. */
export function rawCases(components: Scorer[], items: number, seen: (u: number) => Int32Array, test: Map<number, Set<number>>, scored: boolean): RawCase[] {
  const out: RawCase[] = [];
  for (const [member, relevant] of test) {
    const s = new Set(seen(member));
    if (scored && s.size === 0) continue;
    const pool = Int32Array.from({ length: items }, (_, i) => i).filter((i) => !s.has(i));
    const rel = new Set([...relevant].filter((i) => !s.has(i)));
    if (!rel.size) continue;
    out.push({
      member,
      seen: s.size,
      relevant: rel,
      pool,
      raw: components.map((c) => {
        const sc = c.score(member);
        return Float64Array.from(pool, (i) => sc[i]);
      })
    });
  }
  return out;
}

/** Scores as z-scores (all zero where they do not vary). */
export function zOf(x: Float64Array): Float64Array {
  const n = x.length;
  let m = 0;
  for (const v of x) m += v;
  m /= n;
  let q = 0;
  for (const v of x) q += (v - m) ** 2;
  const sd = Math.sqrt(q / n);
  return sd > 1e-12 ? x.map((v) => (v - m) / sd) : new Float64Array(n);
}
