"""What a gap costs: the recommended forecast against the plan on windows with and without a gap in their inputs.

A window has a gap when its inputs hold a NaN: a day without a snapshot, or a missing value, kept by
``window.gaps: keep`` (with ``drop`` no window has one, and the gap rows count no pair). Per split and
delay (and pooled over the delays), both forecasts are scored on the same (window, delay) pairs: those
where the actual, the recommended forecast and the plan all exist (data/reports/gap_skill.csv).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from plancast.evaluation.metrics import mae, skill, valid_pairs

COLUMNS = ["split", "delay", "inputs", "windows", "pairs", "recommended_mae", "plan_mae", "skill"]
INPUTS = ("complete", "gap")  # the inputs column: windows without a NaN in their inputs, and with one


def has_gap(inputs: np.ndarray) -> np.ndarray:
    """Which windows' inputs (windows, lookback, features) hold a NaN: (windows,) bool."""
    return np.isnan(np.asarray(inputs, np.float64)).any(axis=(1, 2))


def _scores(actual: np.ndarray, recommended: np.ndarray, plan: np.ndarray) -> dict[str, float | int]:
    """MAE of the recommended forecast and of the plan on the pairs where all three exist, and its skill."""
    (y, ours, theirs), _ = valid_pairs(actual, recommended, plan)
    return {
        "pairs": int(y.size),
        "recommended_mae": mae(y, ours),
        "plan_mae": mae(y, theirs),
        "skill": skill(y, ours, theirs),
    }


def gap_skill(
    actual: np.ndarray,
    recommended: np.ndarray,
    plan: np.ndarray,
    split: np.ndarray,
    gap: np.ndarray,
    delays: Sequence[int],
    splits: Sequence[str] = ("val", "test"),
) -> pd.DataFrame:
    """One row per split, delay (``all`` pooled, then each delay) and inputs (``complete``, ``gap``): the
    windows there, the pairs scored, the recommended forecast's and the plan's MAE, and the skill
    1 − MAE(recommended) / MAE(plan) (NaN without a pair or with a perfect plan).

    ``actual``, ``recommended``, ``plan`` (windows, delays) in original units; ``split`` and ``gap``
    (windows,): each window's split and whether its inputs hold a gap (:func:`has_gap`).
    """
    columns = [("all", slice(None)), *((str(int(delay)), [j]) for j, delay in enumerate(delays))]
    split, gap = np.asarray(split), np.asarray(gap, bool)
    rows = []
    for name in splits:
        for delay, column in columns:
            for label, with_gap in zip(INPUTS, (False, True), strict=True):
                at = (split == name) & (gap == with_gap)
                scores = _scores(actual[at][:, column], recommended[at][:, column], plan[at][:, column])
                rows.append({"split": name, "delay": delay, "inputs": label, "windows": int(at.sum()), **scores})
    return pd.DataFrame(rows, columns=COLUMNS)
