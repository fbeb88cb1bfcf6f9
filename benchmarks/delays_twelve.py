"""D+1..D+3 with window.delays [1,2,3] vs [1..12] (run from the project root: python benchmarks/delays_twelve.py),
six plan_skill samples; skill of the recommended forecast vs the plan per delay on the windows both have."""

import sys
import numpy as np

sys.path.insert(0, "benchmarks")
from harness import prepare
from plancast.names import PLAN_BASELINE, RECOMMENDED
from plancast.params import load_params, with_overrides
from plancast.pipeline import run as pipeline


def scored(params, regime, seed):
    made = prepare(params, params.sample.model_copy(update={"planner": regime, "seed": seed}))
    ev = pipeline.evaluate(params, made.daily.table, made.windowed.windows, made.prepared, {})
    p = ev.predictions
    p = p[p.split == "test"]
    return p, ev


base = load_params("params.yaml")
for regime in ("noisy", "sharp"):
    for seed in (2026, 7, 11):
        short, ev3 = scored(base, regime, seed)
        long, ev12 = scored(with_overrides(base, {"window.delays": list(range(1, 13))}), regime, seed)
        key = ["part", "end_day", "delay"]
        row = []
        for d in (1, 2, 3):
            a = short[short.delay == d]
            b = long[long.delay == d]
            common = a.merge(b[key].drop_duplicates(), on=key)[key].drop_duplicates()

            def skill(frame):
                f = frame.merge(common, on=key)
                rec = f[f.model == RECOMMENDED].set_index(key).prediction
                plan = f[f.model == PLAN_BASELINE].set_index(key).prediction
                act = f[f.model == RECOMMENDED].set_index(key).actual
                return 1 - np.mean(np.abs(rec - act)) / np.mean(np.abs(plan - act))

            row.append(f"D+{d} {skill(a):+.3f}/{skill(b):+.3f}")
        far = ev12.parts
        far = far[(far.split == "test") & (far.model == RECOMMENDED) & (far.part == "pooled") & (far.delay != "all")]
        far = far[far.delay.astype(int) >= 4]
        pooled12 = ev12.summary.to_json()
        print(
            regime,
            seed,
            " ".join(row),
            "| D+4..12 skill min",
            round(float(far.skill.min()), 3),
            "mean",
            round(float(far.skill.mean()), 3),
            "| route12",
            ev12.recommendation.route,
            flush=True,
        )
