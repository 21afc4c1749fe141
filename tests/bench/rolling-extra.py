"""Four more features for the feed ranker, computed from the community's CSVs for exactly the lists
eval:recs builds, and each added to the ranker's 25 in the weekly refit of rolling-replay.py (L2
chosen on the 40 weeks before the cut-off from {1, 10, 100}, never on a scored week):
  partners-touched-7d  members u exchanged replies with before t who touched the thread in the 7 days before t
  same-asker-28d       ln(1 + u's touches in the 28 days before t of threads by the same asker)
  hour-match           mean cos of the angle between the thread's hour of creation and the hours of u's touches
  share-last-day       share of the thread's members so far who touched it in the day before t
Run by `npx tsx tests/bench/rolling-replay-figures.ts [DATA_ROOT] --extra` (numpy and scipy)."""
import bisect
import csv
import importlib.util
import json
import math
import sys
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

spec = importlib.util.spec_from_file_location("replay", Path(__file__).with_name("rolling-replay.py"))
rr = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rr)

LISTS, DATA = sys.argv[1], sys.argv[2]
CUT = datetime(2016, 1, 1, tzinfo=timezone.utc).timestamp() * 1000
DAY = 86_400_000
NAMES = ["partners-touched-7d", "same-asker-28d", "hour-match", "share-last-day"]


def rd(f):
    return list(csv.DictReader(open(f"{DATA}/{f}", encoding="utf-8")))


def ms(s):
    return datetime.fromisoformat(s).replace(tzinfo=timezone.utc).timestamp() * 1000


inter, posts, comments = rd("interactions.csv"), rd("posts.csv"), rd("comments.csv")
qs = sorted([p for p in posts if p["type"] == "question"], key=lambda p: int(p["id"]))
item = {q["id"]: i for i, q in enumerate(qs)}
users = sorted({r["user_id"] for r in inter}, key=int)  # member indices as eval:recs numbers them
uid = {u: i for i, u in enumerate(users)}
created = np.array([ms(q["creation_date"]) for q in qs])
author = [uid.get(q["owner_user_id"], -1) for q in qs]
touches = sorted((ms(r["timestamp"]), uid[r["user_id"]], item[r["thread_id"]]) for r in inter)
owner = {p["id"]: p["owner_user_id"] for p in posts}
edges = [(ms(p["creation_date"]), p["owner_user_id"], owner.get(p["parent_id"])) for p in posts if p["type"] == "answer" and p["parent_id"]]
edges += [(ms(c["creation_date"]), c["user_id"], owner.get(c["post_id"])) for c in comments]
edges = sorted((t, uid[a], uid[b]) for t, a, b in edges if a in uid and b in uid and a != b)
touch_times, edge_times = [x[0] for x in touches], [x[0] for x in edges]

_state = {}


def state(k):
    """What is known at step k's t: reply partners, each thread's touches, each member's touches."""
    if k not in _state:
        t = CUT + 7 * k * DAY
        partners, by_thread, by_member = defaultdict(set), defaultdict(list), defaultdict(list)
        for _, a, b in edges[: bisect.bisect_left(edge_times, t)]:
            partners[a].add(b)
            partners[b].add(a)
        for ts, u, i in touches[: bisect.bisect_left(touch_times, t)]:
            by_thread[i].append((ts, u))
            by_member[u].append((ts, i))
        _state[k] = (t, partners, by_thread, by_member)
    return _state[k]


def extra(p, cand):
    t, partners, by_thread, by_member = state(p["k"])
    u, out = p["u"], []
    mine = by_member.get(u, [])
    hours = [(ts / 3_600_000) % 24 for ts, _ in mine]
    for j in cand:
        members = by_thread.get(j, [])
        f1 = len({v for ts, v in members if ts >= t - 7 * DAY and v in partners[u]})
        f2 = math.log1p(sum(1 for ts, i in mine if ts >= t - 28 * DAY and author[j] >= 0 and author[i] == author[j]))
        h = (created[j] / 3_600_000) % 24
        f3 = float(np.mean([math.cos((h - x) / 24 * 2 * math.pi) for x in hours])) if hours else 0.0
        f4 = len({v for ts, v in members if ts >= t - DAY}) / max(1, len({v for _, v in members}))
        out.append([f1, f2, f3, f4])
    return np.array(out, float)


features, pairs = rr.load(LISTS)
for p, raw in zip(pairs, json.load(open(LISTS))["pairs"]):
    p["x"] = extra(p, raw["cand"])
ranker = list(range(rr.RANKER))
replay = rr.Replay(pairs)


def show(name, feat):
    l2, val, scored = replay.chosen(feat, tag=name)
    print(f"  {name:28s} L2 {l2} (validation {', '.join(f'{v:.3f}' for v in val.values())}) {rr.figures(scored)}", flush=True)


show("ranker", lambda p: rr.z(p["f"][:, ranker]))
for c, name in enumerate(NAMES):
    show(f"+ {name}", lambda p, c=c: np.hstack([rr.z(p["f"][:, ranker]), rr.z(p["x"][:, [c]])]))
show("+ all four", lambda p: np.hstack([rr.z(p["f"][:, ranker]), rr.z(p["x"])]))
