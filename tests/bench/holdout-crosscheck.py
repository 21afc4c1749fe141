"""Recomputes EVALUATION.md's holdout reference rows (popularity, EASE λ=200, plain TF-IDF and their
z-scored equal-weight sum) with numpy from the CSVs, on the splits `holdout-crosscheck.ts` wrote,
and prints them beside ours. With `--splits K` it also draws K splits of its own (numpy's
default_rng, seeds 0…K−1) to show how far one split moves the reference's figures, and how many
reach EVALUATION.md's published one-split rows.
python3 tests/bench/holdout-crosscheck.py DATA_DIR SPLITS.json [--splits K]"""
import csv, json, math, re, sys
from collections import defaultdict
import numpy as np

D, J = sys.argv[1], sys.argv[2]
K = int(sys.argv[sys.argv.index('--splits') + 1]) if '--splits' in sys.argv else 0
# EVALUATION.md's published one-split rows (popularity, EASE, TF-IDF, hybrid), to count how many splits reach them.
PUBLISHED = {'se-bicycles-meta': [0.063, 0.125, 0.149, 0.183], 'se-beer': [0.014, 0.037, 0.038, 0.061]}
def rd(f): return list(csv.DictReader(open(f'{D}/{f}', encoding='utf-8')))
inter, posts = rd('interactions.csv'), rd('posts.csv')
qs = sorted([p for p in posts if p['type'] == 'question'], key=lambda p: int(p['id']))
item = {q['id']: i for i, q in enumerate(qs)}
users = sorted({r['user_id'] for r in inter}, key=int)
uid = {u: i for i, u in enumerate(users)}
M, N = len(users), len(qs)
rows = [(uid[r['user_id']], item[r['thread_id']]) for r in inter]
by = defaultdict(set)
for u, i in rows: by[u].add(i)
TOK = re.compile(r'[a-z][a-z0-9\-]{1,}|[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+')
docs = []
for q in qs:
    c = defaultdict(int)
    for w in TOK.findall((q['title'] + ' ' + ' '.join((q['tags'] or '').split(';')) + ' ' + q['body']).lower()):
        if re.match('[a-z]', w) or len(w) == 1: c[w] += 1
        else:
            for k in range(len(w) - 1): c[w[k:k + 2]] += 1
    docs.append(c)
df = defaultdict(int)
for c in docs:
    for w in c: df[w] += 1
vocab = {w: k for k, w in enumerate(sorted(w for w in df if df[w] >= 2))}
V = np.zeros((N, len(vocab)))
for i, c in enumerate(docs):
    for w, n in c.items():
        if w in vocab: V[i, vocab[w]] = (1 + math.log(n)) * math.log(N / df[w])
V /= np.maximum(np.linalg.norm(V, axis=1, keepdims=True), 1e-300)
S = V @ V.T

def ndcg(rank, rel):
    dcg = sum(1 / math.log2(r + 2) for r, i in enumerate(rank[:10]) if i in rel)
    return dcg / sum(1 / math.log2(r + 2) for r in range(min(10, len(rel))))

def z(x, pool):
    sd = x[pool].std()
    return (x - x[pool].mean()) / sd if sd > 1e-12 else np.zeros_like(x)

def evaluate(held):
    X = np.zeros((M, N))
    for u, i in rows:
        if not (u in held and i in held[u]): X[u, i] = 1
    P = np.linalg.inv(X.T @ X + 200 * np.eye(N))
    B = -P / np.diag(P); np.fill_diagonal(B, 0)
    pop, E, T = X.sum(0), X @ B, X @ S
    out, ar = defaultdict(list), np.arange(N)
    for u, rel in held.items():
        pool = X[u] == 0
        for name, s in (('popularity', pop), ('ease', E[u]), ('tfidf', T[u]), ('recipe', z(pop, pool) + z(E[u], pool) + z(T[u], pool))):
            s = np.round(np.where(pool, s, -np.inf), 9)
            out[name].append(ndcg(list(np.lexsort((ar, -s))[:10]), rel))
    return {k: float(np.mean(v)) for k, v in out.items()}

names = ['popularity', 'ease', 'tfidf', 'recipe']
given = json.load(open(J))
for s in given['seeds']:
    held = {m: {item[str(t)] for t in ts} for m, ts in s['held']}
    mine = evaluate(held)
    print(json.dumps({'data': given['data'], 'seed': s['seed'], 'ours': {k: round(s['ndcg'][k], 4) for k in names}, 'numpy': {k: round(mine[k], 4) for k in names}}))
if K:
    figs = []
    for seed in range(K):
        g, held = np.random.default_rng(seed), {}
        for u in sorted(by):
            its = sorted(by[u])
            if len(its) >= 3: held[u] = set(g.choice(its, max(1, int(round(len(its) * 0.2))), replace=False).tolist())
        figs.append(evaluate(held))
    published = dict(zip(names, PUBLISHED.get(given['data'], [None] * 4)))
    for k in names:
        x = np.array([f[k] for f in figs])
        p = published[k]
        print(json.dumps({'data': given['data'], 'model': k, 'numpy_splits': K, 'mean': round(x.mean(), 4), 'sd': round(x.std(), 4), 'min': round(x.min(), 4), 'max': round(x.max(), 4),
                          'published': p, 'at_or_above_published': None if p is None else int((x >= p).sum()), 'published_in_sd': None if p is None else round((p - x.mean()) / x.std(), 2)}))
    if all(published.values()):
        every = sum(all(f[k] >= published[k] for k in names) for f in figs)
        print(json.dumps({'data': given['data'], 'numpy_splits': K, 'splits_reaching_every_published_row': every}))
