"""LightGBM's LambdaMART (lambdarank objective, NDCG@10) on the rolling lists, refitted every 4
weeks on the weeks before the scored one; the number of trees chosen on the 40 weeks before the
cut-off. `python3 tests/bench/rolling-lambdamart.py LISTS.json` (the JSON of rolling-replay-figures.ts;
numpy, scipy, lightgbm)."""
import sys

import lightgbm as lgb
import numpy as np

sys.path.insert(0, __import__("os").path.dirname(__file__))
from importlib import import_module

replay = import_module("rolling-replay")


def run(pairs, feat, rounds, frm, to, every=4):
    steps = sorted({p["k"] for p in pairs})
    out, model, last = [], None, None
    for k in steps:
        if k >= to:
            break
        if k < frm:
            continue
        train = [p for p in pairs if p["k"] < k and p["rel"].any() and (~p["rel"]).any()]
        if not train:
            continue
        if model is None or k - last >= every:
            X = np.vstack([feat(p) for p in train])
            y = np.concatenate([p["rel"].astype(int) for p in train])
            ds = lgb.Dataset(X, y, group=[len(p["rel"]) for p in train])
            params = dict(objective="lambdarank", metric="ndcg", eval_at=[10], learning_rate=0.05, num_leaves=7, min_data_in_leaf=50,
                          feature_fraction=0.8, lambda_l2=1.0, verbose=-1, num_threads=1, seed=1, deterministic=True)
            model, last = lgb.train(params, ds, num_boost_round=rounds), k
        for p in pairs:
            if p["k"] == k:
                out.append((p, model.predict(feat(p))))
    return out


def main():
    F, pairs = replay.load(sys.argv[1])
    for name, feat in [("25 features, z-scored", lambda p: replay.z(p["f"][:, :25])), ("47 features, z-scored and raw", lambda p: np.hstack([replay.z(p["f"]), p["f"]]))]:
        val = {r: replay.mean(run(pairs, feat, r, -40, 0)) for r in (50, 100, 200)}
        best = max(val, key=lambda r: (val[r], -r))
        print(f"LambdaMART, {name:32s} trees {best} (validation {' / '.join(f'{v:.3f}' for v in val.values())})  {replay.figures(run(pairs, feat, best, 0, 10**9))}", flush=True)


if __name__ == "__main__":
    main()
