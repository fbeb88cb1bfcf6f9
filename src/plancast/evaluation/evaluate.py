"""Score every trained model and every baseline on the same validation and test windows.

Models predict scaled targets; they go back to original units through the part's scaler (from the
model's manifest) before any metric, so every number here is in the parts' own units (pieces). Each
network sees all its windows in one call (:class:`plancast.models.trained.TrainedModel`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from plancast.errors import ParamsError
from plancast.evaluation.backtest import ets_backtest, fold_scores, tabular_backtest, test_folds
from plancast.evaluation.baselines import BASELINES, History
from plancast.evaluation.gap_skill import gap_skill, has_gap
from plancast.evaluation.horizon_trust import horizon_trust
from plancast.evaluation.intervals import LEVELS, model_intervals, part_scales, window_scale
from plancast.evaluation.metrics import mae, naive_scale, score
from plancast.evaluation.recommendation import combination, firm_route, recommendation_record, route_candidates, routed
from plancast.evaluation.significance import p_better_than_plan
from plancast.evaluation.summary import EvaluationSummary, Pooled, RecommendedScore, Scores
from plancast.features.correlation import POOLED
from plancast.features.scaling import Scalers
from plancast.features.splits import Splits
from plancast.features.windows import Windows, rows_by_part
from plancast.models.baseline_models import fit_baselines, part_series
from plancast.models.recommended import Recommendation
from plancast.models.tabular import runnable_tabular
from plancast.names import (
    AUTO_ETS,
    COMBINATION,
    ETS_BASELINE,
    PLAN_BASELINE,
    RECOMMENDED,
    reserved,
)

if TYPE_CHECKING:
    from plancast.models.tabular import TabularRows
    from plancast.models.trained import TrainedModel

SPLITS = ("val", "test")  # the splits every model is scored on
ALL_DELAYS = "all"
LOWER_IS_BETTER = ("mae", "rmse", "wape", "smape", "mase")
SUMMARY_METRICS = ("mae", "rmse", "bias", "skill")  # per model in error_by_model.csv; all of METRICS in evaluate_parts
SUMMARY_DIGITS = 4  # significant digits in data/reports/evaluation.json


def naive_scales(
    series: Mapping[str, np.ndarray],
    part: np.ndarray,
    end_row: np.ndarray,
    train: np.ndarray,
    delays: np.ndarray,
    room: np.ndarray | None = None,
) -> dict[str, float]:
    """MASE scale of each part: its one-step naive MAE on its training rows (0 .. last training target).

    ``part`` and ``end_row`` (windows,) describe all windows, ``train`` indexes the training ones;
    ``room`` (windows,), where a training window counts only its targets before validation starts
    (:class:`plancast.features.splits.Splits`), the days from its end to the last training day.
    """
    scales = {}
    reach = np.full(len(end_row), int(np.max(delays))) if room is None else np.minimum(int(np.max(delays)), room)
    last_target = pd.Series((end_row + reach)[train]).groupby(part[train], sort=True).max()  # one pass for all parts
    for name, last in last_target.items():
        last = int(last)
        scales[str(name)] = naive_scale(np.asarray(series[str(name)], dtype=np.float64)[: last + 1])
    return scales


def baseline_predictions(history: History, window: np.ndarray) -> dict[str, np.ndarray]:
    """Every baseline's predictions (windows, delays) in original units for the windows ``window`` indexes."""
    return {name: baseline(history, window) for name, baseline in BASELINES.items()}


def evaluate_predictions(
    actual: np.ndarray,
    predictions: Mapping[str, np.ndarray],
    plan: np.ndarray,
    split: np.ndarray,
    part: np.ndarray,
    delays: np.ndarray,
    scales: Mapping[str, float],
) -> tuple[dict[str, dict[str, dict[str, float]]], pd.DataFrame]:
    """Metrics of every prediction set on the same windows: pooled summary and long per-part table.

    ``actual``, ``plan`` and each prediction are (windows, delays) in original units; ``split`` and
    ``part`` (windows,) label the windows; ``scales`` is each part's MASE scale. Returns
    ``{split: {model: {metric: value}}}`` pooled over parts and delays, and a frame with columns
    split, model, part (``pooled`` for all), delay (``all``, and each delay when there are several),
    the metrics of :data:`plancast.metrics.METRICS`, ``n`` and ``missing``.
    """
    window_scale = np.array([scales.get(str(name), np.nan) for name in part], dtype=np.float64)
    element_scale = np.broadcast_to(window_scale[:, None], np.shape(actual))
    delay_columns: list[tuple[str, slice | list[int]]] = [(ALL_DELAYS, slice(None))]
    if len(delays) > 1:
        delay_columns += [(str(int(delay)), [j]) for j, delay in enumerate(delays)]
    names = np.unique(part)
    summary: dict[str, dict[str, dict[str, float]]] = {}
    rows = []
    for split_name in SPLITS:
        # Each part's windows of the split, in window order (what a mask per part selects), found by one
        # stable sort rather than a comparison of every window with every part (2,000 parts).
        in_split = np.flatnonzero(split == split_name)
        own = rows_by_part(part[in_split])
        groups = [(POOLED, in_split)] + [
            (str(name), in_split[own[str(name)]] if str(name) in own else in_split[:0]) for name in names.tolist()
        ]
        # Per group, the arrays every model is scored against, sliced once.
        fixed = [(actual[at], plan[at], element_scale[at]) for _, at in groups]
        summary[split_name] = {}
        for model, prediction in predictions.items():
            for (label, at), (group_actual, group_plan, group_scale) in zip(groups, fixed, strict=True):
                group_prediction = prediction[at]
                for delay_label, columns in delay_columns:
                    metrics = score(
                        group_actual[:, columns],
                        group_prediction[:, columns],
                        group_plan[:, columns],
                        group_scale[:, columns],
                    )
                    rows.append({"split": split_name, "model": model, "part": label, "delay": delay_label, **metrics})
                    if label == POOLED and delay_label == ALL_DELAYS:
                        summary[split_name][model] = {key: metrics[key] for key in SUMMARY_METRICS}
    return summary, pd.DataFrame(rows)


def best_model(summary: Mapping[str, Mapping[str, Mapping[str, float]]], best_by: str) -> str | None:
    """The model with the lowest ``split.metric`` (e.g. ``val.mae``); ties to the first name; None if none."""
    split, metric = best_by.split(".")
    if metric not in LOWER_IS_BETTER:
        raise ValueError(f"best_by metric must be one of {', '.join(LOWER_IS_BETTER)}, got {metric!r}")
    scored = [(value, name) for name, metrics in summary[split].items() if np.isfinite(value := metrics[metric])]
    return min(scored)[1] if scored else None


def day_at(daily: pd.DataFrame, part: np.ndarray, row: np.ndarray) -> np.ndarray:
    """The ``day`` at row ``row`` of each window's part; ``row`` is (windows,) or (windows, k)."""
    ordered = daily.sort_values(["part", "day"], kind="stable")
    names, first = np.unique(ordered["part"].astype(str).to_numpy(), return_index=True)
    start = dict(zip(names, first, strict=True))
    offset = np.array([start[str(name)] for name in part], dtype=np.int64).reshape((-1,) + (1,) * (row.ndim - 1))
    return ordered["day"].to_numpy()[offset + row]


def predictions_frame(
    predictions: Mapping[str, np.ndarray],
    actual: np.ndarray,
    split: np.ndarray,
    part: np.ndarray,
    window: np.ndarray,
    end_row: np.ndarray,
    delays: np.ndarray,
    daily: pd.DataFrame,
) -> pd.DataFrame:
    """Long table of every prediction.

    Columns: split, model, part, window, end_day, target_day, delay, actual, prediction.

    Arrays are per evaluated window (windows,) or (windows, delays); ``window`` indexes windows.npz; the
    daily table dates the window's last row and its target rows.
    """
    delays = np.asarray(delays, dtype=np.int64)
    width = len(delays)
    common = {
        "split": np.repeat(split, width),
        "part": np.repeat(part, width),
        "window": np.repeat(window, width),
        "end_day": np.repeat(day_at(daily, part, end_row), width),
        "target_day": day_at(daily, part, end_row[:, None] + delays[None, :]).ravel(),
        "delay": np.tile(delays, len(window)),
        "actual": np.asarray(actual, dtype=np.float64).ravel(),
    }
    frames = [
        pd.DataFrame({"model": model, **common, "prediction": np.asarray(values, dtype=np.float64).ravel()})
        for model, values in predictions.items()
    ]
    columns = ["split", "model", "part", "window", "end_day", "target_day", "delay", "actual", "prediction"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


@dataclass(frozen=True)
class Evaluation:
    """What stage evaluate writes: ``summary`` (evaluation.json, summary.json), ``scores`` (split -> model
    -> metric, pooled over parts and delays: error_by_model.csv), ``parts`` and ``predictions`` (CSV),
    ``folds`` (per test fold, each model's MAE and skill), ``recommendation`` (what stage forecast needs
    to give the recommended number and its interval: the route per delay, the models combined, the
    conformal half-widths per delay and each part's interval scale), ``gap_skill`` (the recommended
    forecast and the plan on windows with and without a gap in their inputs)."""

    summary: EvaluationSummary
    scores: dict[str, Scores]
    parts: pd.DataFrame
    predictions: pd.DataFrame
    folds: pd.DataFrame
    recommendation: Recommendation
    horizon_trust: pd.DataFrame
    gap_skill: pd.DataFrame
    # per delay: validation's own best, and the share of bootstrap resamples on which it beat the robust choice
    own_route: dict[int, str] = field(default_factory=dict)
    firmness: dict[int, float] = field(default_factory=dict)

    def loose_delays(self) -> list[int]:
        """The delays whose own best on validation was not firm enough to leave the one robust choice."""
        return [delay for delay, name in self.own_route.items() if name != self.recommendation.route[delay]]


def _best_by_validation(
    actual: np.ndarray, predictions: Mapping[str, np.ndarray], names: list[str], in_val: np.ndarray
) -> str | None:
    scored = [(mae(actual[in_val], predictions[name][in_val]), name) for name in names]
    scored = [(value, name) for value, name in scored if np.isfinite(value)]
    return min(scored)[1] if scored else None


def evaluate(
    daily: pd.DataFrame,
    windows: Windows,
    splits: Splits,
    scalers: Scalers,
    models: Mapping[str, TrainedModel],
    season_period: int,
    ridge_alpha: float,
    rows: TabularRows | None = None,
    tabular: Sequence[str] = (),
    folds: int = 1,
    seed: int = 0,
    best_by: str = "val.mae",
    progress: Callable[[str], None] | None = None,
    statistical: Sequence[str] = (),
    recursive: bool = False,
    backend: str = "local",
    ray_address: str = "",
    boosted_rows: int | None = None,
) -> Evaluation:
    """Predict the validation and test windows with every model and baseline, score them all, and recommend.

    ``daily`` is the daily table, ``windows``/``splits``/``scalers`` what stages window and split_scale
    wrote, ``models`` each trained network by name, ``rows`` the windows with their plan vintages for
    the ``tabular`` models (refitted at each of the ``folds`` test origins, :mod:`backtest`); each network
    builds its own context from ``daily`` (:meth:`~plancast.models.trained.TrainedModel.predict_windows`). Every
    choice is made on validation: the best network and tabular model (their mean is the combination),
    and per delay the recommended candidate among the plan, the baselines (last value, seasonal naive,
    training mean, Ridge on the window; AutoETS where ``statistical`` names ``auto_ets``, refitted per test
    fold like the tabular models), networks, tabular models and the combination, in that order on ties: one
    robust candidate for every delay, which a delay leaves for its own best only where bootstrap resamples
    of validation vouch for it (:func:`~plancast.evaluation.recommendation.firm_route`), so the recommended
    forecast is never worse on validation than the best baseline. For a ``recursive`` forecast (a plain
    series fed its own forecasts) the route chooses among what can run recursively: the baselines and the
    networks. A routed baseline's fit for the days after the data (:func:`fit_baselines`, on every window up
    to the training cut) goes into the recommendation. Every forecast gets split-conformal intervals
    (:func:`model_intervals`: each test fold calibrated on validation and the earlier folds' known
    residuals); test reports their coverage, the recommended forecast's skill per fold and a
    Diebold-Mariano test against the plan per delay, and per delay the recommended forecast against the
    plan on windows with a gap in their inputs and without (:func:`~plancast.evaluation.gap_skill.gap_skill`).
    ``progress`` gets a line per network, per tabular model and test fold, for the baselines, the route
    and the intervals: no timings, so that a run's output is the same on every machine. ``backend`` ``ray``
    refits the tabular models as Ray tasks on ``ray_address`` (:func:`tabular_backtest`, the same bits);
    the boosted trees fit at most ``boosted_rows`` rows per delay.
    """
    say = progress or (lambda line: None)
    for name in models:
        if reserved(name):
            raise ParamsError(f"train.models: {name!r}: that name is reserved (baselines, tabular models)")
    tabular = runnable_tabular(tabular, 0 if rows is None else rows.vintages.shape[-1])
    window = np.concatenate([splits[name].window for name in SPLITS]).astype(np.int64)
    split = np.concatenate([np.full(len(splits[name].window), name) for name in SPLITS])
    part, end_row, delays = windows.part[window], windows.end_row[window], windows.delays
    actual = np.concatenate([splits.actual(name, windows) for name in SPLITS])  # NaN: a gap, or another split's day
    plan = windows.plan[window]
    in_val = split == "val"
    series = part_series(daily)
    evaluated = windows.take(window)
    predictions: dict[str, np.ndarray] = {}
    for name, model in models.items():
        predictions[name] = model.predict_windows(evaluated, daily)
        say(f"network {name}: {len(window)} windows scored")
    cut = test_folds(windows, splits, folds)
    if rows is not None and tabular:
        backtest = tabular_backtest(
            rows, windows, splits, cut, list(tabular), seed, say, backend, ray_address, boosted_rows
        )
        predictions.update(backtest)
    best_network = _best_by_validation(actual, predictions, list(models), in_val)
    best_tabular = _best_by_validation(actual, predictions, list(tabular), in_val)
    combined = [name for name in (best_network, best_tabular) if name is not None]
    if len(combined) == 2:
        predictions[COMBINATION] = combination(predictions[best_network], predictions[best_tabular])
    history = History(windows, splits, scalers, series, season_period, ridge_alpha)
    predictions.update(baseline_predictions(history, window))
    say(f"baselines: {len(window)} windows scored by {', '.join(BASELINES)}")
    if AUTO_ETS in statistical:
        predictions[ETS_BASELINE] = ets_backtest(daily, windows, splits, cut, season_period, say)

    candidates = route_candidates(predictions, list(models), tabular, recursive, plan)
    errors = {name: (actual - predictions[name])[in_val] for name in candidates}
    chosen, own_route, firmness = firm_route(errors, delays)  # a delay leaves the robust choice only on firm evidence
    predictions[RECOMMENDED] = routed(predictions, chosen, delays)
    served = fit_baselines(sorted(set(chosen.values())), windows, daily, scalers, season_period, ridge_alpha)
    say(f"route chosen per delay on validation; scoring {len(predictions)} forecasts per part and delay")

    room = None if splits.cut is None else int(splits.cut[0]) - 1 - windows.position
    scales = naive_scales(series, windows.part, windows.end_row, splits.train.window, delays, room)
    summary, parts = evaluate_predictions(actual, predictions, plan, split, part, delays, scales)
    frame = predictions_frame(predictions, actual, split, part, window, end_row, delays, daily)
    counted = np.concatenate([splits.counted(name, windows) for name in SPLITS]).ravel()
    frame = frame[np.tile(counted, len(predictions))].reset_index(drop=True)  # each target in its own split

    train = splits.train.window
    fallback = {name: scaler.target_scale for name, scaler in scalers.parts.items()}
    interval_scale = part_scales(windows.part[train], splits.actual("train", windows), windows.plan[train], fallback)
    scale = window_scale(interval_scale, part)
    in_test = split == "test"
    fold = np.where(in_test, cut.of_window[window], -1)  # a window in validation and test: its test row only
    target_day = windows.position[window][:, None] + np.asarray(delays)[None, :]
    intervals = model_intervals(actual, predictions, scale, in_val, in_test, fold, target_day, cut.start)
    say(f"intervals: {len(intervals)} forecasts calibrated over {len(cut.start)} test fold(s)")
    own = intervals[RECOMMENDED]  # the recommended forecast's: the ones summary.json and stage forecast give
    coverage_by_level = {round(level * 100): own["coverage"][str(level)] for level in LEVELS}

    per_fold = fold_scores(actual, predictions, plan, fold)
    fold_table = pd.DataFrame(
        [
            {"model": name, "fold": f + 1, "mae": s["mae"][f], "skill": s["skill"][f]}
            for name, s in per_fold.items()
            for f in range(len(s["mae"]))
        ]
    )
    significance = p_better_than_plan(actual, predictions[RECOMMENDED], plan, in_test, target_day, delays, chosen)
    skills = per_fold[RECOMMENDED]["skill"]
    head = EvaluationSummary(
        best_by=best_by,
        best_model=best_model(summary, best_by),
        best_network=best_network,
        best_tabular=best_tabular,
        recommended=RecommendedScore.of(summary, chosen, skills, coverage_by_level, significance),
        plan=Pooled.of(summary, PLAN_BASELINE),
        network=Pooled.of(summary, best_network),
        tabular=Pooled.of(summary, best_tabular),
    )
    recommendation = recommendation_record(
        chosen, best_network, best_tabular, delays, interval_scale, intervals, served.to_json()
    )
    test_windows = splits.test.window
    first_test_day = int((windows.position[test_windows] + int(np.min(delays))).min()) if len(test_windows) else 0
    if splits.cut is not None:  # a window straddling the cut is a test window for its later targets only
        first_test_day = int(splits.cut[1])
    trust = horizon_trust(daily, first_test_day, parts, [int(d) for d in delays], RECOMMENDED)
    gaps = gap_skill(actual, predictions[RECOMMENDED], plan, split, has_gap(windows.inputs[window]), delays)
    return Evaluation(head, summary, parts, frame, fold_table, recommendation, trust, gaps, own_route, firmness)
