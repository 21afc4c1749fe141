"""The feed ranker trained on lists shaped like the one it ranks: the weeks before the cut-off have
36 candidates a list, the scored weeks 12, so at each step k every earlier list is cut to its M
newest candidates, M from step k's own lists (known at t: their median, maximum or twice the
median; a list whose relevant threads all fall out is dropped), z-scored within the cut list and
refitted weekly on earlier weeks as the ranker, L2 chosen on the 40 weeks before the cut-off.
Input: the JSON that tests/bench/rolling-replay-figures.ts writes (its --shape flag runs this).
`python3 tests/bench/rolling-shape.py LISTS.json…` (numpy and scipy)."""
import importlib.util
import os
import sys

import numpy as np

spec = importlib.util.spec_from_file_location("rr", os.path.join(os.path.dirname(__file__), "rolling-replay.py"))
rr = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rr)

def run(path):
    F, pairs = rr.load(path)
    ix = {f: i for i, f in enumerate(F)}
    B = list(range(rr.RANKER))
    R = rr.Replay(pairs)
    # The ranker itself, reproduced.
    base_feat = lambda p: rr.z(p["f"][:, B])
    l2, val, sc = R.chosen(base_feat)
    print(path.split('/')[-1], "ranker L2", l2, rr.figures(sc))
    newest = ix["newest"]
    cache = {}
    def diffs(p, M):
        key = (id(p), M)
        if key not in cache:
            f = p["f"]
            order = np.argsort(-f[:, newest], kind="stable")[:M]
            keep = np.sort(order)
            X = rr.z(f[keep][:, B])
            cache[key] = rr.differences(X, p["rel"][keep])
        return cache[key]
    def linear_shape(l2, frm, to, stat):
        out, w = [], None
        for k in R.steps:
            if k >= to:
                break
            if k >= frm:
                train = [p for p in pairs if p["k"] < k]
                if not train:
                    continue
                M = max(2, int(stat([len(p["rel"]) for p in R.by[k]])))
                parts = [diffs(p, M) for p in train]
                D = np.vstack([d for d, _ in parts])
                W = np.concatenate([w_ for _, w_ in parts])
                if len(D) == 0:
                    continue
                w = rr.fit(D, W, l2, w, None, 3 if w is not None else 10)
                for p in R.by[k]:
                    out.append((p, rr.z(p["f"][:, B]) @ w))
        return out
    for name, stat in [("median", np.median), ("max", np.max), ("2x median", lambda x: 2 * np.median(x))]:
        val = {l2: rr.mean(linear_shape(l2, R.validation_from, 0, stat)) for l2 in (1, 10, 100)}
        best = max((1, 10, 100), key=lambda l: (val[l], -l))
        print(f"  shape-matched ({name}) L2 {best} val {', '.join(f'{v:.3f}' for v in val.values())}:", rr.figures(linear_shape(best, 0, 10**9, stat)))

if __name__ == "__main__":
    for p in sys.argv[1:]:
        run(p)
