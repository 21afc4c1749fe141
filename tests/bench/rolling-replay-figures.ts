// The rolling protocol's lists (every step's (member, week) pairs with every computed feature, FEATURES: 47 until 2026-12-05, 51 since) written
// to a temporary file per community and replayed by tests/bench/rolling-replay.py: ideas for the
// feed ranker measured outside eval:recs on exactly its lists, each refitted weekly on earlier
// weeks. `npx tsx tests/bench/rolling-replay-figures.ts [DATA_ROOT] [--slow] [--lambdamart] [--shape] [--extra]`; needs numpy and
// scipy (--slow: the hand-written GBDTs too; --lambdamart: LightGBM's, needs lightgbm; --shape:
// training lists cut to the scored week's shape, tests/bench/rolling-shape.py; --extra: four more
// features from the CSVs, tests/bench/rolling-extra.py).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { communityDirs, loadSeInteractions } from '../../scripts/data/se-interactions';
import { FEATURES, rollingSteps } from '../../workers/recommend/rolling';

const root = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? '/work/shared/data';
const cutoff = Date.parse('2016-01-01T00:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'rolling-replay-'));
try {
  const files = communityDirs(root).map((d) => {
    const c = loadSeInteractions(d);
    const built = rollingSteps(c, { cutoff });
    const pairs = built.steps.flatMap((s) =>
      s.pairs.map((p) => ({
        k: s.k,
        u: p.member,
        warm: p.warm,
        cand: Array.from(p.candidates),
        rel: Array.from(p.candidates, (i) => (p.relevant.has(i) ? 1 : 0)),
        f: p.features.map((v) => Array.from(v))
      }))
    );
    const file = join(dir, `${basename(d)}.json`);
    writeFileSync(file, JSON.stringify({ features: FEATURES, pairs }));
    return { name: c.name, file, data: d };
  });
  for (const { name, file, data } of files) {
    const others = files.filter((f) => f.file !== file).map((f) => `--other=${f.file}`);
    console.log(`\n${name} rolling(2016-01-01), replayed:`);
    const args = [join(import.meta.dirname, 'rolling-replay.py'), file, ...others.slice(0, 1), ...process.argv.filter((a) => a === '--slow')];
    console.log(execFileSync('python3', args, { encoding: 'utf8', maxBuffer: 1 << 26 }));
    // LightGBM's LambdaMART on the same lists (needs the lightgbm Python package).
    if (process.argv.includes('--lambdamart'))
      console.log(execFileSync('python3', [join(import.meta.dirname, 'rolling-lambdamart.py'), file], { encoding: 'utf8', maxBuffer: 1 << 26 }));
    // Four more features computed from the CSVs (tests/bench/rolling-extra.py).
    if (process.argv.includes('--extra'))
      console.log(execFileSync('python3', [join(import.meta.dirname, 'rolling-extra.py'), file, data], { encoding: 'utf8', maxBuffer: 1 << 26 }));
    // Training lists cut to the shape of the scored week's (tests/bench/rolling-shape.py).
    if (process.argv.includes('--shape'))
      console.log(execFileSync('python3', [join(import.meta.dirname, 'rolling-shape.py'), file], { encoding: 'utf8', maxBuffer: 1 << 26 }));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
