// EASE's training time against numpy on the same matrix, in one run: each community's binary
// member × thread matrix is written to a temporary file, fitted here (fitEase: Cholesky or
// Woodbury on flat Float64Arrays) and by numpy (G = XᵀX + λI, P = inv(G), B = −P / diag(P)),
// median of 3 after a warm-up each. `npx tsx tests/bench/ease-figures.ts [DATA_ROOT]`; JSON lines.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { communityDirs, loadSeInteractions } from '../../scripts/data/se-interactions';
import { Feedback } from '../../workers/recommend/feedback';
import { fitEase } from '../../workers/recommend/ease';

const NUMPY = `
import sys, time, numpy as np
m, n, lam = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
pairs = np.fromfile(sys.argv[1], dtype=np.int32).reshape(-1, 2)
X = np.zeros((m, n)); X[pairs[:, 0], pairs[:, 1]] = 1
def fit():
    G = X.T @ X + lam * np.eye(n)
    P = np.linalg.inv(G)
    B = -P / np.diag(P); np.fill_diagonal(B, 0)
    return B
fit()
times = []
for _ in range(3):
    t = time.perf_counter(); fit(); times.append((time.perf_counter() - t) * 1000)
print(sorted(times)[1])
`;

const median3 = (f: () => void) => {
  f();
  const times = [0, 1, 2].map(() => {
    const t = performance.now();
    f();
    return performance.now() - t;
  });
  return times.sort((a, b) => a - b)[1];
};

const root = process.argv[2] ?? '/work/shared/data';
const dir = mkdtempSync(join(tmpdir(), 'ease-'));
try {
  for (const d of communityDirs(root)) {
    const c = loadSeInteractions(d);
    const train = new Feedback(c.cat.members, c.cat.items, c.rows);
    const ours = median3(() => fitEase(train, { lambda: 200 }));
    const pairs = new Int32Array(train.nnz * 2);
    let n = 0;
    for (let u = 0; u < train.members; u++) for (const i of train.itemsOf(u)) (pairs[n++] = u), (pairs[n++] = i);
    const file = join(dir, `${c.name}.bin`);
    writeFileSync(file, pairs);
    let numpy: number | null = null;
    try {
      numpy = Number(execFileSync('python3', ['-c', NUMPY, file, String(train.members), String(train.items), '200'], { encoding: 'utf8' }).trim());
    } catch (e) {
      console.error(`numpy not measured: ${(e as Error).message.split('\n')[0]}`);
    }
    const name = c.name.replace('se-', '');
    console.log(
      JSON.stringify({
        bench: `recs.ease_train_ms.${name}`,
        value: Math.round(ours),
        numpy_ms: numpy === null ? null : Math.round(numpy),
        ratio: numpy ? Math.round((ours / numpy) * 100) / 100 : null,
        members: train.members,
        items: train.items
      })
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
