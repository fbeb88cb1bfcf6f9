"""Six plan_skill samples (tabular models + baselines, no networks): recommended test skill vs the plan per
delay, window.gaps drop [1,2,3] | keep [1,2,3] | keep [1..12], each target counted in the split of its own day
under keep; D+1..D+3 on the (part, end_day) windows all three score; far delays pooled; and the share of the
(part, day) pairs with an actual in validation and test that some window scores (coverage)."""

import sys

import numpy as np

sys.path.insert(0, "benchmarks")
from harness import prepare

from plancast.names import PLAN_BASELINE, RECOMMENDED
from plancast.params import load_params, with_overrides
from plancast.pipeline import run as pipeline

base = load_params("params.yaml")
configs = {
    "drop3": {},
    "keep3": {"window.gaps": "keep"},
    "keep12": {"window.gaps": "keep", "window.delays": list(range(1, 13))},
}
key = ["part", "end_day", "delay"]
for regime in ("noisy", "sharp"):
    for seed in (2026, 7, 11):
        runs = {}
        for name, over in configs.items():
            params = with_overrides(base, over)
            made = prepare(params, params.sample.model_copy(update={"planner": regime, "seed": seed}))
            inputs = pipeline.Inputs(made.daily.table, made.windowed.windows, made.prepared, made.features)
            ev = pipeline.evaluate(params, inputs, {})
            p = ev.predictions
            runs[name] = (p[p.split == "test"], ev)
            daily = made.daily.table
            first = p[p.split == "val"].target_day.min()
            have = daily[(daily.day >= first) & daily.present & daily.target.notna()][["part", "day"]]
            rec = p[(p.model == RECOMMENDED) & p.actual.notna()]
            scored = rec[["part", "target_day"]].drop_duplicates().rename(columns={"target_day": "day"})
            coverage = len(have.merge(scored, on=["part", "day"])) / len(have)
            first_day = int(((rec.split == "test") & (rec.delay == 1)).sum())
            print(f"  {name}: coverage {coverage:.3f}, test windows D+1 {first_day}", flush=True)
        common = None
        for p, _ in runs.values():
            k = p[(p.model == RECOMMENDED) & p.actual.notna() & (p.delay <= 3)][key].drop_duplicates()
            common = k if common is None else common.merge(k, on=key)
        out = []
        for d in (1, 2, 3):
            cells = []
            for p, _ in runs.values():
                f = p[p.delay == d].merge(common[common.delay == d], on=key)
                rec = f[f.model == RECOMMENDED].set_index(key)
                plan = f[f.model == PLAN_BASELINE].set_index(key)
                cells.append(
                    1
                    - np.nanmean(np.abs(rec.prediction - rec.actual))
                    / np.nanmean(np.abs(plan.prediction - plan.actual))
                )
            out.append(f"D+{d} " + "/".join(f"{c:+.3f}" for c in cells))
        parts = runs["keep12"][1].parts
        far = parts[
            (parts.split == "test") & (parts.model == RECOMMENDED) & (parts.part == "pooled") & (parts.delay != "all")
        ]
        far = far[far.delay.astype(int) >= 4]
        p12 = runs["keep12"][0]
        r = p12[(p12.model == RECOMMENDED) & (p12.delay >= 4)]
        pl = p12[(p12.model == PLAN_BASELINE) & (p12.delay >= 4)]
        pooled = 1 - np.nanmean(np.abs(r.prediction - r.actual)) / np.nanmean(np.abs(pl.prediction - pl.actual))
        print(
            regime, seed, " ".join(out), f"| keep12 D+4..12 pooled {pooled:+.3f} min {far.skill.min():+.3f}", flush=True
        )
