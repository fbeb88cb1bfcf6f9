"""Cold-start rule for a part without training windows, measured on validation (and Part 10 on test).

Run from the project root after `dvc repro`:  python benchmarks/cold_start.py [K]  (default K 20)
For each trained part, its validation windows are predicted by the trained models with the part's scaler
replaced by a cold-start rule: `own`: fitted on its own last K present days before validation starts
(what a young part has); `pooled`: the median of the other parts' scalers; `trained`: its real scaler.
"""

import json
import sys

import numpy as np
import pandas as pd

from plancast.artifacts import load_npz, read_json
from plancast.data.daily import horizon_columns
from plancast.features.scaling import PartScaler, Scalers, Splits, history_scaler
from plancast.features.windows import Windows
from plancast.forecasting import fit_tabular
from plancast.models.recommended import Recommendation
from plancast.models.store import load_model
from plancast.models.tabular import tabular_rows
from plancast.params import load_params

K = int(sys.argv[1]) if len(sys.argv) > 1 else 20
params = load_params()
daily = pd.read_parquet("data/interim/daily.parquet")
windows = Windows.load("data/windows/windows.npz")
splits = Splits.from_arrays(load_npz("data/prepared/splits.npz"))
scalers = Scalers.from_json(read_json("data/prepared/scalers.json"))
columns = read_json("data/features/features.json")["columns"]
rec = Recommendation.from_json(read_json("data/reports/recommendation.json"))
models = {n: load_model(f"models/{n}", "onnx") for n in params.train.models}
days = windows.days
val_start_pos = int(windows.position[splits.val.window].min())  # a window's end position
first_val_day = days[val_start_pos]
names = columns[next(iter(scalers.parts))]
H = len(horizon_columns(daily))
tab = fit_tabular(daily, windows, scalers, ["boosted"], params.train.profile_period)["boosted"]


def own_scaler(part, before_day, k):
    rows = daily[(daily.part == part) & daily.present.astype(bool) & (daily.day < pd.Timestamp(before_day))]
    rows = rows[np.isfinite(rows[names].to_numpy(float)).all(axis=1)].tail(k)
    if len(rows) < params.window.lookback:
        return None
    return history_scaler(rows[names].to_numpy(float), rows["target"].to_numpy(float), scalers.kind)


def pooled_scaler(part):
    others = [s for p, s in scalers.parts.items() if p != part]
    return PartScaler(
        np.median([s.feature_offset for s in others], axis=0),
        np.median([s.feature_scale for s in others], axis=0),
        float(np.median([s.target_offset for s in others])),
        float(np.median([s.target_scale for s in others])),
    )


def predict(index, part_scalers):
    sc = Scalers(scalers.kind, part_scalers)
    w = windows.take(index)
    out = {}
    for n, m in models.items():
        m2 = m.with_new_parts({p: columns[p] for p in part_scalers}, sc)
        from dataclasses import replace

        m2 = type(m)(replace(m2.manifest, scalers=sc), m2.networks)
        out[n] = m2.predict_windows(w, daily)
    out["boosted"] = tab.predict(tabular_rows(w, daily, sc, H, profile_period=params.train.profile_period))
    out["plan"] = w.plan
    return out, w.targets


val = splits.val.window
errors = {rule: {} for rule in ("trained", "own", "pooled")}
for rule in errors:
    chosen = dict(scalers.parts)
    used = []
    for part in sorted(scalers.parts):
        idx = val[windows.part[val] == part]
        if not len(idx):
            continue
        if rule == "own":
            s = own_scaler(part, first_val_day, K)
            if s is None:
                continue
            chosen[part] = s
        elif rule == "pooled":
            chosen[part] = pooled_scaler(part)
        used.append(idx)
    idx = np.concatenate(used)
    preds, actual = predict(idx, chosen)
    for n, v in preds.items():
        errors[rule][n] = float(np.nanmean(np.abs(v - actual)))
    errors[rule]["windows"] = len(idx)
print(f"validation MAE by model when each trained part is scaled by the rule (own: last {K} days before validation)")
print(json.dumps(errors, indent=1))

# Part 10, started after validation began: its test windows from a cold start on its days before the test.
test = splits.test.window
part = "Part 10"
mine = np.flatnonzero((windows.part == part) & (windows.position >= windows.position[test].min()))
first_test_day = days[int(windows.position[test].min())]
s = own_scaler(part, first_test_day, 10_000)
if s is not None and len(mine):
    chosen = {**scalers.parts, part: s}
    preds, actual = predict(mine, chosen)
    routed = np.column_stack(
        [preds.get(rec.route[int(d)], preds["boosted"])[:, j] for j, d in enumerate(windows.delays)]
    )
    print(
        part,
        "test windows",
        len(mine),
        {n: round(float(np.nanmean(np.abs(v - actual))), 2) for n, v in preds.items()},
        "routed",
        round(float(np.nanmean(np.abs(routed - actual))), 2),
        "route",
        rec.route,
    )
