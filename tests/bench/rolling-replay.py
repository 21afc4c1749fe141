"""Replays the rolling protocol's weekly ranker refit on the lists eval:recs builds, for ideas not
in eval:recs: each variant is refitted every week on the weeks before it, its L2 (where it has
one) chosen on the 40 weeks before the cut-off, never on a scored week. Prints mean NDCG@10 over
all / warm / cold pairs. Input: the JSON that tests/bench/rolling-replay-figures.ts writes.
`python3 tests/bench/rolling-replay.py LISTS.json [--slow]` (numpy and scipy)."""
import json
import sys
from collections import defaultdict

import numpy as np
from scipy.stats import rankdata

RANKER = 25  # the ranker's features are the first 25 (RANKER_FEATURES)


def z(x):
    m, s = x.mean(0), x.std(0)
    out = np.zeros_like(x)
    ok = s > 1e-12
    out[:, ok] = (x[:, ok] - m[ok]) / s[ok]
    return out


def percentile(x):
    n = len(x)
    out = np.zeros_like(x)
    if n > 1:
        for j in range(x.shape[1]):
            out[:, j] = (rankdata(x[:, j]) - 1) / (n - 1) * 2 - 1
    return out


def ndcg(scores, rel):
    s = np.round(scores, 9)
    order = sorted(range(len(s)), key=lambda c: (-s[c], c))  # candidates are in thread id order
    dcg = sum(1 / np.log2(r + 2) for r, c in enumerate(order[:10]) if rel[c])
    ideal = sum(1 / np.log2(r + 2) for r in range(min(10, int(rel.sum()))))
    return dcg / ideal if ideal else 0.0


def fit(D, W, l2, start=None, prior=None, it=10):
    """Newton on Σ W log(1 + e^(−w·d)) + l2/2 |w − prior|² (prior 0: the ranker's own fit)."""
    d = D.shape[1]
    w0 = np.zeros(d) if prior is None else prior
    w = (w0.copy() if start is None else start.copy())
    for _ in range(it):
        p = 1 / (1 + np.exp(np.clip(D @ w, -50, 50)))
        g = -(W * p) @ D + l2 * (w - w0)
        H = (D * (W * p * (1 - p))[:, None]).T @ D + l2 * np.eye(d)
        step = np.linalg.solve(H, g)
        w -= step
        if (step**2).sum() < 1e-16:
            break
    return w


def load(path):
    d = json.load(open(path))
    pairs = []
    for p in d["pairs"]:
        f = np.array(p["f"], float).reshape(len(p["cand"]), len(d["features"]))
        pairs.append(dict(k=p["k"], u=p["u"], warm=p["warm"], rel=np.array(p["rel"], bool), f=f))
    return d["features"], pairs


def differences(X, rel, weight=None):
    a, b = np.where(rel)[0], np.where(~rel)[0]
    if not len(a) or not len(b):
        return np.zeros((0, X.shape[1])), np.zeros(0)
    D = (X[a][:, None, :] - X[b][None, :, :]).reshape(-1, X.shape[1])
    W = np.ones(len(D)) if weight is None else weight(a, b).reshape(-1)
    return D, W / W.sum()


class Replay:
    def __init__(self, pairs):
        self.pairs = pairs
        self.steps = sorted({p["k"] for p in pairs})
        self.by = defaultdict(list)
        for p in pairs:
            self.by[p["k"]].append(p)
        # The 40 weeks before the cut-off (weeks k = −40 … −1, with or without pairs), as chooseL2.
        self.validation_from = -40

    def linear(self, feat, l2, frm, to, weight=None, prior=None, pool=None, tag=None):
        """Weekly refit of a linear pairwise model on feat(p); scores the steps in [frm, to)."""
        key = tag or id(feat)
        for p in self.pairs + (pool or []):
            cache = p.setdefault("cache", {})
            if key not in cache:
                X = feat(p)
                cache[key] = (X, *differences(X, p["rel"], None if weight is None else lambda a, b: weight(p, a, b)))
        out, w = [], None
        for k in self.steps:
            if k >= to:
                break
            if k >= frm:
                train = [p for p in self.pairs if p["k"] < k] + [p for p in (pool or []) if p["k"] < k]
                if train:
                    D = np.vstack([p["cache"][key][1] for p in train])
                    W = np.concatenate([p["cache"][key][2] for p in train])
                    pr = prior(k) if callable(prior) else prior
                    w = fit(D, W, l2, w, pr, 3 if w is not None else 10)
                    for p in self.by[k]:
                        out.append((p, p["cache"][key][0] @ w))
        return out

    def chosen(self, feat, grid=(1, 10, 100), **kw):
        """The variant at the L2 of `grid` with the best validation NDCG@10 (ties to the first)."""
        val = {l2: mean(self.linear(feat, l2, self.validation_from, 0, **kw)) for l2 in grid}
        best = grid[0]
        for l2 in grid:
            if val[l2] > val[best] + 1e-12:
                best = l2
        return best, val, self.linear(feat, l2=best, frm=0, to=10**9, **kw)


def mean(scored):
    return float(np.mean([ndcg(s, p["rel"]) for p, s in scored])) if scored else 0.0


def figures(scored):
    r = np.array([ndcg(s, p["rel"]) for p, s in scored])
    warm = np.array([p["warm"] for p, _ in scored])
    part = lambda m: f"{r[m].mean():.3f}" if m.any() else "–"
    return f"all {r.mean():.3f} warm {part(warm)} cold {part(~warm)} (pairs {len(r)})"


def boosted(replay, B, trees, depth, rate, from_linear, refit_every=4):
    """A small LambdaRank-free GBDT on the RankNet gradient (Newton leaves), optionally boosting the linear ranker's scores."""

    def grow(X, g, h, idx, dep, minleaf=20, lam=1.0):
        G, H = g[idx].sum(), h[idx].sum()
        if dep == 0 or len(idx) < 2 * minleaf:
            return ("L", -G / (H + lam))
        best, split = 0.0, None
        for f in range(X.shape[1]):
            xs = X[idx, f]
            for q in np.unique(np.quantile(xs, np.linspace(0.05, 0.95, 16))):
                m = xs <= q
                nl = m.sum()
                if nl < minleaf or len(idx) - nl < minleaf:
                    continue
                GL, HL = g[idx][m].sum(), h[idx][m].sum()
                gain = GL * GL / (HL + lam) + (G - GL) ** 2 / (H - HL + lam) - G * G / (H + lam)
                if gain > best:
                    best, split = gain, (f, q)
        if split is None:
            return ("L", -G / (H + lam))
        f, q = split
        m = X[idx, f] <= q
        return ("S", f, q, grow(X, g, h, idx[m], dep - 1), grow(X, g, h, idx[~m], dep - 1))

    def predict(t, X):
        out = np.zeros(len(X))

        def go(t, idx):
            if t[0] == "L":
                out[idx] = t[1]
                return
            m = X[idx, t[1]] <= t[2]
            go(t[3], idx[m])
            go(t[4], idx[~m])

        go(t, np.arange(len(X)))
        return out

    linear = {id(p): s for p, s in replay.linear(lambda p: z(p["f"][:, B]), 100, 0, 10**9, tag="z25")}
    weights_at = {}
    out, forest, last = [], [], -(10**9)
    for k in replay.steps:
        if k < 0:
            continue
        lists = [p for p in replay.pairs if p["k"] < k]
        if k - last >= refit_every:
            # The linear part for training rows: the same weekly fit, its last weights (fitted on weeks < k).
            D = np.vstack([p["cache"]["z25"][1] for p in lists])
            W = np.concatenate([p["cache"]["z25"][2] for p in lists])
            w = fit(D, W, 100, weights_at.get("w"), None, 10)
            weights_at["w"] = w
            X = np.vstack([z(p["f"][:, B]) for p in lists])
            off = np.cumsum([0] + [len(p["rel"]) for p in lists])
            s = X @ w if from_linear else np.zeros(len(X))
            forest = []
            for _ in range(trees):
                g, h = np.zeros(len(X)), np.zeros(len(X))
                for n, p in enumerate(lists):
                    a, b = np.where(p["rel"])[0], np.where(~p["rel"])[0]
                    if not len(a) or not len(b):
                        continue
                    sl = s[off[n] : off[n + 1]]
                    rho = 1 / (1 + np.exp(sl[a][:, None] - sl[b][None, :]))
                    wt = 1 / (len(a) * len(b))
                    g[off[n] + a] -= (rho * wt).sum(1)
                    g[off[n] + b] += (rho * wt).sum(0)
                    hh = rho * (1 - rho) * wt
                    h[off[n] + a] += hh.sum(1)
                    h[off[n] + b] += hh.sum(0)
                t = grow(X, g * len(lists), h * len(lists), np.arange(len(X)), depth)
                s += rate * predict(t, X)
                forest.append(t)
            last = k
        for p in replay.by[k]:
            X = z(p["f"][:, B])
            out.append((p, (linear[id(p)] if from_linear else 0) + rate * sum(predict(t, X) for t in forest)))
    return out


def main():
    path = sys.argv[1]
    slow = "--slow" in sys.argv
    other = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--other=")), None)
    F, pairs = load(path)
    ix = {f: i for i, f in enumerate(F)}
    B = list(range(RANKER))
    R = Replay(pairs)
    # The member's preference from earlier weeks only: shrunk mean within-list z of the features of
    # the threads they touched in each earlier week's list (n / (n + 2)).
    hist = defaultdict(lambda: [np.zeros(RANKER), 0])
    for k in R.steps:
        for p in R.by[k]:
            s, n = hist[p["u"]]
            p["pref"] = s / (n + 2)
        for p in R.by[k]:
            h = hist[p["u"]]
            h[0] = h[0] + z(p["f"][:, B])[p["rel"]].mean(0)
            h[1] += 1
    T = [ix[f] for f in ["newest", "live", "age", "touches-24h", "since-visit", "touches-7d", "unanswered", "author-back"]]
    AL = [ix["age"], ix["live"]]

    def newest_position_weight(p, a, b):
        r = rankdata(-p["f"][:, ix["newest"]], method="ordinal") - 1
        return np.outer(np.ones(len(a)), 1 / np.log2(r[b] + 2))

    rows = [
        ("ranker (25 features, z-scored within the list)", lambda p: z(p["f"][:, B]), {}),
        ("within-list rank percentiles instead of z-scores", lambda p: percentile(p["f"][:, B]), {}),
        ("z-scores and rank percentiles", lambda p: np.hstack([z(p["f"][:, B]), percentile(p["f"][:, B])]), {}),
        ("centred, not scaled", lambda p: p["f"][:, B] - p["f"][:, B].mean(0), {}),
        ("pairs weighted 1/log2(2 + newest position of the other thread)", lambda p: z(p["f"][:, B]), {"weight": newest_position_weight}),
        ("+ member's age/live preference × z (raw product)", lambda p: (lambda Z: np.hstack([Z, Z[:, AL] * p["pref"][AL]]))(z(p["f"][:, B])), {}),
        ("+ member's preference · z (all 25, one feature)", lambda p: (lambda Z: np.hstack([Z, (Z @ p["pref"])[:, None]]))(z(p["f"][:, B])), {}),
        ("+ squares of 8 time and thread features", lambda p: (lambda Z: np.hstack([Z, z(Z[:, T] ** 2)]))(z(p["f"][:, B])), {}),
        (
            "+ the 28 products of those 8",
            lambda p: (lambda Z: np.hstack([Z, z(np.array([Z[:, T[i]] * Z[:, T[j]] for i in range(8) for j in range(i + 1, 8)]).T)]))(z(p["f"][:, B])),
            {"grid": (10, 100, 1000)},
        ),
        ("+ exp(−age / τ), τ = 0.5…8 days, unscaled", lambda p: np.hstack([z(p["f"][:, B]), np.array([np.exp(p["f"][:, 0] / t) for t in (0.5, 1, 2, 4, 8)]).T]), {}),
    ]
    for name, feat, kw in rows:
        l2, val, scored = R.chosen(feat, **kw)
        print(f"{name:70s} L2 {l2:<5} validation {' / '.join(f'{v:.3f}' for v in val.values())}  {figures(scored)}", flush=True)

    # Separate models for returning and new members (each on its own kind of list only).
    for warm in (True, False):
        sub = Replay([p for p in pairs if p["warm"] == warm])
        l2, _, scored = sub.chosen(lambda p: z(p["f"][:, B]))
        print(f"{'separate model, ' + ('warm' if warm else 'cold') + ' lists only':70s} L2 {l2:<5} {figures(scored)}", flush=True)

    # The fit pulled towards "newest first" (a residual on it) instead of towards 0: prior weight c
    # on one column; (column, c, L2) chosen on the validation weeks.
    best = None
    for col in ("age", "newest"):
        for c in (0.5, 1):
            for l2 in (10, 100, 300):
                prior = np.zeros(RANKER)
                prior[ix[col]] = c
                v = mean(R.linear(lambda p: z(p["f"][:, B]), l2, R.validation_from, 0, prior=prior, tag="z25"))
                if best is None or v > best[0] + 1e-12:
                    best = (v, col, c, l2, prior)
    v, col, c, l2, prior = best
    print(f"{f'residual on newest-first (L2 towards {c}·{col}, L2 {l2})':70s} validation {v:.3f}  {figures(R.linear(lambda p: z(p['f'][:, B]), l2, 0, 10**9, prior=prior, tag='z25'))}", flush=True)

    # Ensembles of the weekly rankers: z-averaged over L2 10/100/1000, and rank fusion with newest-first.
    by_l2 = {l2: {id(p): s for p, s in R.linear(lambda p: z(p["f"][:, B]), l2, R.steps[0] + 1, 10**9, tag="z25")} for l2 in (10, 100, 1000)}
    scored_pairs = [p for p in pairs if id(p) in by_l2[100]]

    def ens(fn, validation):
        return [(p, fn(p)) for p in scored_pairs if (p["k"] < 0 and p["k"] >= R.validation_from) == validation and (validation or p["k"] >= 0)]

    avg = lambda p: sum(z(by_l2[l][id(p)][:, None])[:, 0] for l in (10, 100, 1000))
    print(f"{'mean of the z-scored rankers at L2 10, 100, 1000':70s} validation {mean(ens(avg, True)):.3f}  {figures(ens(avg, False))}", flush=True)
    rr = lambda x: rankdata(-np.round(x, 9), method="average")
    fusions = {a: (lambda p, a=a: -(rr(by_l2[100][id(p)]) + a * rr(p["f"][:, ix["newest"]]))) for a in (0.25, 0.5, 1, 2)}
    a = max(fusions, key=lambda a: mean(ens(fusions[a], True)))
    print(f"{f'rank fusion: ranker + {a} × newest-first rank (α on validation)':70s} validation {mean(ens(fusions[a], True)):.3f}  {figures(ens(fusions[a], False))}", flush=True)

    if other:
        # Another community's lists: pooled into the training lists (weeks before k), or its fit as the prior.
        _, others = load(other)
        for p in others:
            p["cache"] = {}
        l2, _, scored = R.chosen(lambda p: z(p["f"][:, B]), pool=others, tag="z25")
        print(f"{'pooled with the other community’s earlier lists':70s} L2 {l2:<5} {figures(scored)}", flush=True)

    if slow:
        print(f"{'GBDT boosting the linear ranker (20 trees, depth 2, rate 0.1)':70s} {figures(boosted(R, B, 20, 2, 0.1, True))}", flush=True)
        print(f"{'GBDT alone (50 trees, depth 3, rate 0.1)':70s} {figures(boosted(R, B, 50, 3, 0.1, False))}", flush=True)


if __name__ == "__main__":
    main()
