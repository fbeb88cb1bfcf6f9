"""Which plan horizons to trust: the planner's own error at each horizon, and where our forecast beats it.

For every part and horizon k (D+k), over the test period's target days: the plan made k working days
earlier for that day against what went in (MAE and bias, positive = planned too much), and, at the
forecast's delays, the recommended forecast's MAE on the same part and delay, the plan's on those very
windows, and whether ours is lower there.
A planner reads it in one glance: a low plan error means "trust the plan at this horizon"; a beaten
plan means "use the forecast there".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from plancast.data.daily import horizon_columns
from plancast.features.correlation import POOLED, label
from plancast.features.windows import on_calendar
from plancast.names import PLAN_BASELINE

COLUMNS = ["part", "horizon", "label", "pairs", "plan_mae", "plan_bias", "relative_plan_mae",
           "recommended_mae", "plan_mae_same_windows", "beats_plan"]  # fmt: skip


def plan_errors(daily: pd.DataFrame, first_position: int) -> pd.DataFrame:
    """Per part and horizon k: the plan h{k} made on row t - k against the actual on row t, for the
    rows on calendar positions >= ``first_position``: part, horizon, pairs, plan_mae, plan_bias, mean_actual."""
    rows = []
    ordered = on_calendar(daily).sort_values(["part", "day"], kind="stable")
    for part, days in ordered.groupby("part", sort=True):
        actual = days["target"].to_numpy(np.float64)
        inside = days["position"].to_numpy(np.int64) >= first_position
        for k in horizon_columns(daily):
            plan = days[f"h{k}"].shift(k).to_numpy(np.float64)  # rows are calendar days: k rows = k working days
            keep = inside & np.isfinite(actual) & np.isfinite(plan)
            error = plan[keep] - actual[keep]
            rows.append({
                "part": str(part), "horizon": k, "pairs": int(keep.sum()),
                "plan_mae": float(np.abs(error).mean()) if keep.any() else np.nan,
                "plan_bias": float(error.mean()) if keep.any() else np.nan,
                "mean_actual": float(actual[keep].mean()) if keep.any() else np.nan,
            })  # fmt: skip
    return pd.DataFrame(rows)


def horizon_trust(
    daily: pd.DataFrame, first_position: int, parts: pd.DataFrame, delays: Sequence[int], recommended: str
) -> pd.DataFrame:
    """The horizon-trust table (horizon_trust.csv): one row per part and horizon, then the pooled rows.

    ``first_position``: the first test target day on the calendar; ``parts``: evaluate_parts.csv's
    frame (split, model, part, delay, mae, ...), from which the ``recommended`` forecast's test MAE per
    part and delay is taken. ``relative_plan_mae`` = plan MAE / the part's mean actual on those days.
    """
    errors = plan_errors(daily, first_position)
    if errors.empty:
        return pd.DataFrame(columns=COLUMNS)
    pooled = []
    for k, rows in errors.groupby("horizon", sort=True):
        w = rows["pairs"].to_numpy(np.float64)
        total = w.sum()

        def mean(column: str, w: np.ndarray = w, rows: pd.DataFrame = rows, total: float = total) -> float:
            values = rows[column].to_numpy(np.float64)
            return float(np.nansum(values * w) / total) if total else np.nan

        pooled.append({"part": POOLED, "horizon": k, "pairs": int(total), "plan_mae": mean("plan_mae"),
                       "plan_bias": mean("plan_bias"), "mean_actual": mean("mean_actual")})  # fmt: skip
    table = pd.concat([errors, pd.DataFrame(pooled)], ignore_index=True)
    table["label"] = [label(int(k)) for k in table["horizon"]]
    table["relative_plan_mae"] = table["plan_mae"] / table["mean_actual"].where(table["mean_actual"] > 0)
    single = len(delays) == 1  # one delay: evaluate_parts.csv holds only the "all" rows

    def test_mae(model: str) -> list[float]:
        rows = parts[(parts["split"] == "test") & (parts["model"] == model)]
        found = {(str(p), str(d)): m for p, d, m in zip(rows["part"], rows["delay"], rows["mae"], strict=True)}
        return [
            found.get((str(part), "all" if single else str(k)), np.nan) if int(k) in set(delays) else np.nan
            for part, k in zip(table["part"], table["horizon"], strict=True)
        ]

    table["recommended_mae"] = test_mae(recommended)
    plan_same_windows = np.asarray(test_mae(PLAN_BASELINE), np.float64)  # "beats" on the very same windows
    table["plan_mae_same_windows"] = plan_same_windows
    known = table["recommended_mae"].notna().to_numpy() & np.isfinite(plan_same_windows)
    table["beats_plan"] = np.where(known, table["recommended_mae"].to_numpy() < plan_same_windows, None)
    return table[COLUMNS]


def pooled_skill(trust: pd.DataFrame, delays: Sequence[int]) -> dict[int, dict[str, float | None]]:
    """Per delay k, from the pooled rows of the horizon-trust table: the recommended forecast's test MAE
    (``mae``), the plan's on the same windows (``plan_mae``) and the skill 1 − mae / plan_mae; None
    where the table has no such figure (or the plan is perfect there)."""
    pooled = trust[trust["part"].astype(str) == POOLED].drop_duplicates("horizon").set_index("horizon")

    def figure(k: int, column: str) -> float:
        return float(pooled.at[k, column]) if k in pooled.index else np.nan

    skills = {}
    for k in delays:
        ours, plan = figure(k, "recommended_mae"), figure(k, "plan_mae_same_windows")
        skill = 1.0 - ours / plan if plan > 0 else np.nan  # NaN compares False
        skills[int(k)] = {
            name: float(value) if np.isfinite(value) else None
            for name, value in (("mae", ours), ("plan_mae", plan), ("skill", skill))
        }
    return skills
