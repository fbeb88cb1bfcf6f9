"""Route on n of the sample's validation windows (data/reports/predictions.csv): the per-delay route, the
robust one (one candidate) and the firm route at several shares; their agreement with the full route and test MAE (the full 838 test windows), 20 subsamples per n."""

import sys

import numpy as np
import pandas as pd

from plancast.evaluation.recommendation import firm_route, robust_route, route
from plancast.models.recommended import routed

p = pd.read_csv(sys.argv[1] if len(sys.argv) > 1 else "data/reports/predictions.csv")
cands = [
    "baseline_plan",
    "lstm_sigmoid",
    "lstm",
    "gru",
    "lstm_gru",
    "hand_lstm",
    "plan_linear",
    "boosted",
    "combination",
]
cands = [c for c in cands if c in set(p.model)]
delays = sorted(p.delay.unique())


def arrays(split):
    s = p[p.split == split]
    pv = s.pivot_table(index=["window", "delay"], columns="model", values="prediction").unstack("delay")
    act = s[s.model == "baseline_plan"].pivot_table(index="window", columns="delay", values="actual")
    return {m: pv[m].to_numpy() for m in cands}, act.to_numpy()


val, va = arrays("val")
test, ta = arrays("test")
errs = {m: va - val[m] for m in cands}
full = route(errs, delays)
rng = np.random.default_rng(1)
print("full route", full, "robust", robust_route(errs, delays), "firm", firm_route(errs, delays))
print("n   test MAE: per-delay  robust  firm0.8  firm0.9  firm0.95   | delays off robust (firm0.9)")
for n in [10, 15, 25, 50, 100, 200, len(va)]:
    rows = {k: [] for k in ("route", "robust", "f80", "f90", "f95", "off")}
    for _ in range(20 if n < len(va) else 1):
        idx = rng.choice(len(va), n, replace=False)
        e = {m: v[idx] for m, v in errs.items()}

        def mae(r):
            return np.nanmean(np.abs(ta - routed(test, r, delays)))

        rows["route"].append(mae(route(e, delays)))
        rb = robust_route(e, delays)
        rows["robust"].append(mae(rb))
        for k, sh in (("f80", 0.8), ("f90", 0.9), ("f95", 0.95)):
            r, _ = firm_route(e, delays, share=sh)
            rows[k].append(mae(r))
            if k == "f90":
                rows["off"].append(np.mean([r[d] != rb[d] for d in delays]))
    print(
        f"{n:4d}  "
        + "  ".join(f"{np.mean(rows[k]):.3f}" for k in ("route", "robust", "f80", "f90", "f95"))
        + f"   | {np.mean(rows['off']):.2f}"
    )
