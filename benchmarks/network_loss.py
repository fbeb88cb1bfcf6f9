"""Validation (and test) MAE of networks trained with a given loss, with their plan context, on the
pipeline's prepared data (run `dvc repro split_scale` first). How train's MSE-vs-MAE default was chosen:

    python benchmarks/network_loss.py mae lstm gru lstm_gru lstm_sigmoid
    python benchmarks/network_loss.py mse lstm gru lstm_gru lstm_sigmoid

Measured (seed 42, loaded 2-core machine), validation MAE mae / mse: lstm 29.43 / 29.41, gru 29.17 /
29.36, lstm_gru 28.55 / 28.93, lstm_sigmoid 29.63 / 29.63 -> mae (choices on validation only).
"""

import sys

import numpy as np
import pandas as pd

from plancast.artifacts import load_npz, read_json
from plancast.features.scaling import Scalers, Splits
from plancast.features.windows import Windows
from plancast.models.tabular import network_context_sets, tabular_rows
from plancast.models.training import train_model
from plancast.params import load_params

params = load_params("params.yaml")
daily = pd.read_parquet("data/interim/daily.parquet")
w = Windows.load("data/windows/windows.npz")
sp = Splits.from_arrays(load_npz("data/prepared/splits.npz"))
sc = Scalers.from_json(read_json("data/prepared/scalers.json"))
sets, K = network_context_sets(w, daily, params.train.context)
rows = tabular_rows(w, daily, sc, K)
ctx = {s: rows.take(sp[s].window).network_context(sets) for s in ("train", "val", "test")}
for name in sys.argv[2:]:
    spec = params.models[name].model_copy(update={"loss": sys.argv[1]})
    r = train_model(name, spec, sp, w.part, "global", 42, context=ctx)
    net = r.networks[sorted(r.networks)[0]]
    out = {}
    for s in ("val", "test"):
        p = np.asarray(net.predict_on_batch([sp[s].inputs, ctx[s]]), float)
        pred = sc.unscale_targets(p, w.part[sp[s].window])
        out[s] = np.nanmean(np.abs(w.targets[sp[s].window] - pred))
    print(
        f"{name} loss={sys.argv[1]}: val MAE {out['val']:.2f} test MAE {out['test']:.2f} epochs {len(r.runs[0].loss)}",
        flush=True,
    )
