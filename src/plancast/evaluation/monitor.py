"""Does the model still hold? The recommended forecast's live record against the plan, and when to retrain.

**The log.** Each morning run logs the recommended forecast made at its origin (the data's last day) with
the models current then (:func:`log_entry`), one entry per origin, written once: the record of a day is
what that morning forecast, and a later rerun with newer models or an experiment never rewrites it
(:func:`with_entry`; the stage keeps one file per origin, :func:`entry_name`).

**The history.** The errors of the forecasts whose day has its actual (:func:`history`: the recommended
forecast's and the plan's, per part, origin and delay) are recomputed from the log and the daily table
and merged into the previous history (:func:`merge_history`), keyed by part, origin and delay: a rerun
counts no day twice, and a day whose export has left the daily table keeps its row.

**Live skill** (:func:`live_skill`). Each day of the history is judged on its last ``monitor.days`` working
days (a window): per delay and pooled, skill = 1 − MAE(recommended) / MAE(plan) on the same pairs, as
stage evaluate scores the backtest. A day raises an alarm when, even without the window's one day that
tells most for it (a plant-wide stoppage the planner knew of and the models did not would otherwise
hold the alarm up for a whole window),

- the pooled live skill falls below the backtest's folds, mean − ``monitor.band`` × their spread
  (backtest.csv), once every delay's window is full: our forecast lost ground against the plan; or
- the plan's bias at a delay, (plan − actual) / mean actual, moves from the backtest's
  (horizon_trust.csv) by more than ``monitor.plan_shift`` × the plan's relative MAE there: the planner
  changed, and the models learned the old one. A forecast that leans little on the plan keeps its skill
  through a planner's bias (its MAE barely moves while the plan's grows), so skill alone would not see it.

Retrain when ``monitor.consecutive`` days in a row raise one. Example::

    backtest = Backtest.from_reports(backtest_csv, horizon_trust_csv)
    table = history(log, daily)                       # part, origin, day, delay, forecast, plan, actual, ...
    days, horizons = live_skill(table, backtest, MonitorParams())
    print(status_line(days, horizons, MonitorParams()))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from plancast.data.training_cut import day_label
from plancast.evaluation.horizon_trust import pooled_skill
from plancast.features.correlation import POOLED, label
from plancast.names import RECOMMENDED
from plancast.params_sections import MonitorParams

LOG_COLUMNS = ["part", "origin", "day", "delay", "forecast", "plan"]
HISTORY_COLUMNS = [*LOG_COLUMNS, "actual", "error", "plan_error"]  # error: forecast − actual; plan_error: plan − actual
KEY = ["part", "origin", "delay"]  # a forecast's identity: the day is origin + delay working days
DAY_COLUMNS = [
    "day", "days", "live_skill", "judged_skill", "backtest_skill", "lower_band", "plan_shift", "judged_shift",
    "alarm", "retrain",
]  # fmt: skip
HORIZON_COLUMNS = ["delay", "label", "days", "live_skill", "backtest_skill", "plan_shift"]


@dataclass(frozen=True)
class Backtest:
    """What the backtest promised on stage evaluate's test period: the recommended forecast's skill per test
    fold (backtest.csv) and, per delay, its skill, the plan's bias and the plan's MAE, both relative to the
    mean actual (horizon_trust.csv's pooled rows)."""

    fold_skills: tuple[float, ...]
    skill: Mapping[int, float]
    plan_bias: Mapping[int, float]
    plan_error: Mapping[int, float]

    @classmethod
    def from_reports(cls, folds: pd.DataFrame, trust: pd.DataFrame) -> Backtest:
        """From backtest.csv (model, fold, mae, skill) and horizon_trust.csv (or evaluate's frames of them)."""
        own = folds[folds["model"].astype(str) == RECOMMENDED]["skill"].to_numpy(np.float64)
        pooled = trust[trust["part"].astype(str) == POOLED].drop_duplicates("horizon")
        delays = [int(k) for k in pooled["horizon"]]
        skill = {k: s["skill"] for k, s in pooled_skill(trust, delays).items() if s["skill"] is not None}
        bias, error = {}, {}
        for row in pooled.itertuples():
            relative, mae = float(row.relative_plan_mae), float(row.plan_mae)
            if np.isfinite(relative) and relative > 0 and mae > 0:  # plan_bias / mean actual
                bias[int(row.horizon)], error[int(row.horizon)] = float(row.plan_bias) * relative / mae, relative
        return cls(tuple(float(s) for s in own[np.isfinite(own)]), skill, bias, error)

    @property
    def fold_mean(self) -> float:
        return float(np.mean(self.fold_skills)) if self.fold_skills else np.nan

    @property
    def fold_spread(self) -> float:
        """The folds' standard deviation, as summary.json's ``skill_sd`` (0 with one fold)."""
        return float(np.std(self.fold_skills)) if self.fold_skills else np.nan

    def lower_band(self, band: float) -> float:
        """Pooled live skill below this raises an alarm: fold mean − ``band`` × spread (NaN: no folds)."""
        return self.fold_mean - band * self.fold_spread


def log_entry(forecast: pd.DataFrame, origin: Any) -> pd.DataFrame:
    """The recommended forecast of forecast.csv (its ``direct`` rows of model ``recommended``) as the log
    entry of ``origin``, the data's last day: part, origin, day, delay, forecast, plan; by part and delay."""
    rows = forecast[(forecast["method"] == "direct") & (forecast["model"] == RECOMMENDED)]
    entry = pd.DataFrame(
        {
            "part": rows["part"].astype(str).to_numpy(),
            "origin": origin,
            "day": rows["day"].to_numpy(),
            "delay": rows["step_ahead"].to_numpy(np.int64),
            "forecast": rows["forecast"].to_numpy(np.float64),
            "plan": rows["plan"].to_numpy(np.float64),
        }
    )
    return entry.sort_values(["part", "delay"], kind="stable").reset_index(drop=True)


def entry_name(origin: Any) -> str:
    """The log file of ``origin``: ``2026-01-12.csv`` (a step series: ``123.csv``)."""
    return f"{day_label(origin)}.csv"


def with_entry(log: pd.DataFrame, entry: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """``log`` with ``entry`` added unless its origin is logged already (the first record of a day stands),
    and whether it was added."""
    if entry.empty or entry["origin"].iloc[0] in set(log["origin"]):
        return log, False
    return pd.concat([log, entry], ignore_index=True) if len(log) else entry, True


def as_days(values: pd.Series, like: pd.Series) -> pd.Series:
    """``values`` (days read back from CSV: ISO dates or steps) in the dtype of the daily table's ``like``."""
    if pd.api.types.is_datetime64_any_dtype(like):
        return pd.to_datetime(values).astype(like.dtype)
    return values.astype(like.dtype)


def history(log: pd.DataFrame, daily: pd.DataFrame) -> pd.DataFrame:
    """Every logged forecast whose day has an actual in ``daily`` (present, finite target), with its error
    and the plan's (:data:`HISTORY_COLUMNS`), by origin, part and delay."""
    known = daily[daily["present"].to_numpy(bool) & np.isfinite(daily["target"].to_numpy(np.float64))]
    actuals = pd.DataFrame({"part": known["part"].astype(str), "day": known["day"], "actual": known["target"]})
    table = log.merge(actuals.astype({"actual": np.float64}), on=["part", "day"], how="inner")
    table["error"] = table["forecast"] - table["actual"]
    table["plan_error"] = table["plan"] - table["actual"]
    return table.sort_values(["origin", "part", "delay"], kind="stable").reset_index(drop=True)[HISTORY_COLUMNS]


def merge_history(previous: pd.DataFrame, recomputed: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """``recomputed`` merged into ``previous``, keyed by part, origin and delay, and how many keys are new.

    A key in both takes the recomputed row (an actual revised by a later export); a key only in
    ``previous`` stays (its export has left the daily table). Merging the same rows again changes nothing.
    """
    if previous.empty:
        return recomputed.reset_index(drop=True), len(recomputed)
    seen = pd.MultiIndex.from_frame(previous[KEY])
    new = int((~pd.MultiIndex.from_frame(recomputed[KEY]).isin(seen)).sum())
    merged = pd.concat([recomputed, previous], ignore_index=True).drop_duplicates(KEY, keep="first")
    return merged.sort_values(["origin", "part", "delay"], kind="stable").reset_index(drop=True), new


def _windows(by_day: pd.DataFrame, days: int) -> np.ndarray:
    """Each day's window: ``(days of the history, delays, days)``, the window's days last; zeros before the first."""
    values = by_day.to_numpy(np.float64)
    padded = np.concatenate([np.zeros((days - 1, values.shape[1])), values])
    return np.lib.stride_tricks.sliding_window_view(padded, days, axis=0)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan)


def _nan_extreme(values: np.ndarray, axis: int, largest: bool) -> np.ndarray:
    """``nanmax``/``nanmin`` along ``axis``, NaN where every value is NaN (without numpy's warning)."""
    filled = np.where(np.isnan(values), -np.inf if largest else np.inf, values)
    extreme = filled.max(axis=axis) if largest else filled.min(axis=axis)
    return np.where(np.isfinite(extreme), extreme, np.nan)


def live_skill(
    table: pd.DataFrame, backtest: Backtest, params: MonitorParams, delays: Sequence[int] = ()
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each day of the history judged on its window of ``params.days`` days: (per day, per delay on the last day).

    ``delays``: the ones forecast (the log's), so that a delay whose first actual has not come yet counts
    as an empty window, as it will in every later run; default: the history's.

    Per day (:data:`DAY_COLUMNS`): the days its window holds for every delay (the fewest), the pooled live
    skill, the backtest's fold mean and lower band, the largest plan shift (|plan bias − the backtest's| /
    the plan's backtest relative MAE) over the delays whose window is full, each as judged too: without the
    window's one day that tells most for an alarm, so that no single day (a plant-wide stoppage the planner
    knew of) decides; an alarm when the judged skill is below the band with every delay's window full, or
    the judged shift above ``params.plan_shift``; retrain at the ``params.consecutive``-th alarm in a row.
    Per delay (:data:`HORIZON_COLUMNS`): the last day's window, live skill against the backtest's and plan
    shift. Only pairs with a finite forecast and plan count, so both MAEs are on the same pairs.
    """
    scored = table.astype({"error": np.float64, "plan_error": np.float64})
    scored = scored[np.isfinite(scored["error"]) & np.isfinite(scored["plan_error"])]
    if scored.empty:
        return pd.DataFrame(columns=DAY_COLUMNS), pd.DataFrame(columns=HORIZON_COLUMNS)
    grouped = scored.assign(ours=scored["error"].abs(), theirs=scored["plan_error"].abs(), rows=1.0)
    grouped = grouped.groupby(["day", "delay"])[["ours", "theirs", "plan_error", "actual", "rows"]].sum()
    wanted = sorted({int(d) for d in delays} | {int(d) for d in scored["delay"]})
    by_day = {name: grouped[name].unstack("delay", fill_value=0.0).reindex(columns=wanted, fill_value=0.0)
              for name in grouped}  # fmt: skip
    ours, theirs, bias_sum, level, rows = (
        _windows(by_day[name], params.days) for name in ("ours", "theirs", "plan_error", "actual", "rows")
    )
    delays = [int(d) for d in by_day["ours"].columns]
    held = (rows > 0).sum(axis=-1)  # (days, delays)
    full = held >= params.days
    skill = 1.0 - _ratio(ours.sum(axis=-1), theirs.sum(axis=-1))
    reference = np.array([backtest.plan_bias.get(d, np.nan) for d in delays])
    scale = np.array([backtest.plan_error.get(d, np.nan) for d in delays])
    shift = np.where(full, np.abs(_ratio(bias_sum.sum(axis=-1), level.sum(axis=-1)) - reference) / scale, np.nan)
    # without each day of the window in turn: the day that tells most for an alarm left out
    without = _ratio(bias_sum.sum(axis=-1, keepdims=True) - bias_sum, level.sum(axis=-1, keepdims=True) - level)
    judged_shift = np.where(
        full, _nan_extreme(np.abs(without - reference[:, None]) / scale[:, None], axis=-1, largest=False), np.nan
    )
    pooled_ours, pooled_theirs = ours.sum(axis=1), theirs.sum(axis=1)  # (days, window days)
    pooled = 1.0 - _ratio(pooled_ours.sum(axis=-1), pooled_theirs.sum(axis=-1))
    kept = pooled_theirs.sum(axis=-1, keepdims=True) - pooled_theirs
    judged_skill = _nan_extreme(
        1.0 - _ratio(pooled_ours.sum(axis=-1, keepdims=True) - pooled_ours, kept), axis=-1, largest=True
    )
    lower = backtest.lower_band(params.band)
    largest_shift = _nan_extreme(judged_shift, axis=1, largest=True)
    alarm = (full.all(axis=1) & (judged_skill < lower)) | (largest_shift > params.plan_shift)
    in_a_row = np.zeros(len(alarm), np.int64)
    for index, raised in enumerate(alarm):
        in_a_row[index] = (in_a_row[index - 1] + 1 if index else 1) if raised else 0
    days = pd.DataFrame(
        {
            "day": by_day["ours"].index,
            "days": held.min(axis=1),
            "live_skill": pooled,
            "judged_skill": judged_skill,
            "backtest_skill": backtest.fold_mean,
            "lower_band": lower,
            "plan_shift": _nan_extreme(shift, axis=1, largest=True),
            "judged_shift": largest_shift,
            "alarm": alarm,
            "retrain": in_a_row >= params.consecutive,
        }
    )
    horizons = pd.DataFrame(
        {
            "delay": delays,
            "label": [label(d) for d in delays],
            "days": held[-1],
            "live_skill": skill[-1],
            "backtest_skill": [backtest.skill.get(d, np.nan) for d in delays],
            "plan_shift": shift[-1],
        }
    )
    return days[DAY_COLUMNS], horizons


def _signed(value: float) -> str:
    return f"{value:+.2f}" if np.isfinite(value) else "n/a"


def status_line(days: pd.DataFrame, horizons: pd.DataFrame, params: MonitorParams) -> str:
    """The run's verdict in one line: the last day's pooled live skill against the backtest's, the largest
    plan shift and whether to retrain (and why)."""
    if days.empty:
        return "live skill: no actual has arrived for a logged forecast yet; retrain: not judged"
    last = days.iloc[-1]
    window = f"last {params.days} days" if last["days"] >= params.days else f"{last['days']} of {params.days} days"
    backtest = f"backtest {_signed(last['backtest_skill'])} band {_signed(last['lower_band'])}"
    shifted = horizons.dropna(subset=["plan_shift"])
    where = label(int(shifted.loc[shifted["plan_shift"].idxmax(), "delay"])) if len(shifted) else ""
    shift = f"{last['plan_shift']:.2f} at {where}" if where else "n/a"
    run = int(days["alarm"].astype(int).iloc[::-1].cumprod().sum())  # alarms in a row up to the last day
    verdict = "yes" if last["retrain"] else "no"
    if run and not last["retrain"]:
        verdict += f" ({run} of {params.consecutive} alarm days)"
    return (
        f"live skill ({window} to {day_label(last['day'])}): {_signed(last['live_skill'])} ({backtest}); "
        f"plan bias shift {shift} (limit {params.plan_shift:g}); retrain: {verdict}"
    )


def horizons_line(horizons: pd.DataFrame) -> str:
    """Per delay, the live skill and the backtest's: ``D+1 +0.38 (+0.41)  D+2 ...``."""
    cells = [f"{row.label} {_signed(row.live_skill)} ({_signed(row.backtest_skill)})" for row in horizons.itertuples()]
    return "per horizon, live (backtest): " + "  ".join(cells)


def monitor_metrics(days: pd.DataFrame) -> dict[str, Any]:
    """metrics/monitor.json: three values however many parts and delays (`dvc exp show` stays short)."""
    if days.empty:
        return {"live_skill": None, "plan_shift": None, "retrain": False}
    last = days.iloc[-1]
    return {
        "live_skill": float(last["live_skill"]),
        "plan_shift": float(last["plan_shift"]),
        "retrain": bool(last["retrain"]),
    }
