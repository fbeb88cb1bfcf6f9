"""Do twelve outputs cost a network its near delays? The bundled sample under ``window.gaps: keep``: each
network of ``--models`` trained with delays [1, 2, 3] and with [1..12]; validation and test MAE at D+1..D+3
on the (part, end_day) windows both score, beside the plan's and the boosted trees'."""

import sys

import numpy as np

sys.path.insert(0, "benchmarks")
from harness import parser, prepare

from plancast.names import PLAN_BASELINE
from plancast.params import load_params, with_overrides
from plancast.pipeline import run as pipeline

args = parser(__doc__)
args.add_argument("--models", nargs="+", default=["lstm", "gru", "lstm_gru", "hand_lstm", "lstm_sigmoid"])
options = args.parse_args()
base = load_params("params.yaml")
key = ["part", "end_day", "delay"]
frames = {}
for label, delays in (("3", [1, 2, 3]), ("12", list(range(1, 13)))):
    params = with_overrides(base, {"window.gaps": "keep", "window.delays": delays})
    made = prepare(params, params.sample)
    inputs = pipeline.Inputs(made.daily.table, made.windowed.windows, made.prepared, made.features)
    models = {}
    for name in options.models:
        models[name] = pipeline.train(params, name, inputs).model()
        print(f"delays {label}: {name} trained", flush=True)
    frame = pipeline.evaluate(params, inputs, models).predictions
    frames[label] = frame[(frame.delay <= 3) & frame.actual.notna()]
common = frames["3"][[*key, "split"]].drop_duplicates().merge(frames["12"][[*key, "split"]].drop_duplicates())
print("split model " + " ".join(f"D+{d} (3 | 12 outputs)" for d in (1, 2, 3)))
for split in ("val", "test"):
    for name in [PLAN_BASELINE, "boosted", *options.models]:
        cells = []
        for d in (1, 2, 3):
            pair = []
            for label in ("3", "12"):
                f = frames[label].merge(common[(common.split == split) & (common.delay == d)], on=[*key, "split"])
                f = f[f.model == name]
                pair.append(float(np.mean(np.abs(f.prediction - f.actual))))
            cells.append(f"{pair[0]:.2f} | {pair[1]:.2f}")
        print(split, name, "  ".join(cells), flush=True)
