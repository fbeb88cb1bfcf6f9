"""Which number to give the planner for each delay: the candidate that was best on validation.

A candidate is any forecast in the one shape (windows, delays): a model, a baseline, or a
:func:`combination`. :func:`route` picks per delay the lowest validation MAE, ties going to the first
in order with the planner's own number first, so a model replaces the plan only when it did strictly
better on data it was not fitted on. :func:`firm_route`, the one evaluate uses, keeps one robust
candidate for every delay unless validation firmly prefers another at a delay: a small validation set
cannot rank the candidates delay by delay. Optionally a part with enough validation windows gets its own
choice per delay; others keep the pooled one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from plancast.evaluation.intervals import LEVELS
from plancast.features.windows import rows_by_part
from plancast.models.recommended import Recommendation, combination, routed  # noqa: F401  (one home: models.recommended)
from plancast.names import COMBINATION, PLAN_BASELINE, RECOMMENDED, SERVED_BASELINES

MIN_PART_WINDOWS = 0  # 0: routing per part is off; > 0: parts with this many validation windows route alone
# A delay leaves the one robust candidate for its own best only where that wins on this share of bootstrap
# resamples of the validation windows (:func:`firm_route`; docs/decisions.md, "a route validation can vouch for")
FIRM_SHARE = 0.9
BOOTSTRAP_DRAWS = 200


def candidate_order(names: Sequence[str]) -> list[str]:
    """The candidates in tie-breaking order: the planner's number first, then as given."""
    return sorted(names, key=lambda name: name != PLAN_BASELINE)


def validation_mae(
    validation_errors: Mapping[str, np.ndarray], rows: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """MAE per candidate and delay: {name: (delays,)}, on the windows (``rows`` of them, if given) where
    every candidate has an error, so all are scored on the same windows; NaN where none has."""
    errors = {name: np.abs(np.asarray(e, np.float64)) for name, e in validation_errors.items()}
    if rows is not None:
        errors = {name: e[rows] for name, e in errors.items()}
    common = np.logical_and.reduce([np.isfinite(e) for e in errors.values()])
    count = common.sum(axis=0)
    return {
        name: np.where(count > 0, np.where(common, e, 0.0).sum(axis=0) / np.maximum(count, 1), np.nan)
        for name, e in errors.items()
    }


def _best(scores: Mapping[str, np.ndarray], column: int) -> str:
    best_name, best = None, np.inf
    for name in candidate_order(list(scores)):
        value = scores[name][column]
        if np.isfinite(value) and value < best:
            best_name, best = name, value
    return best_name if best_name is not None else candidate_order(list(scores))[0]


def route(validation_errors: Mapping[str, np.ndarray], delays: Sequence[int]) -> dict[int, str]:
    """{delay: the candidate with the lowest validation MAE}; ``validation_errors`` {name: (windows, delays)}
    actual − prediction. Ties go to the first in :func:`candidate_order`."""
    scores = validation_mae(validation_errors)
    return {int(delay): _best(scores, column) for column, delay in enumerate(delays)}


def robust_route(validation_errors: Mapping[str, np.ndarray], delays: Sequence[int]) -> dict[int, str]:
    """One candidate for every delay: the lowest validation MAE pooled over the delays (ties as :func:`route`)."""
    scores = validation_mae(validation_errors)
    pooled = {name: np.array([np.nanmean(v) if np.isfinite(v).any() else np.nan]) for name, v in scores.items()}
    choice = _best(pooled, 0)
    return {int(delay): choice for delay in delays}


def firm_route(
    validation_errors: Mapping[str, np.ndarray],
    delays: Sequence[int],
    share: float = FIRM_SHARE,
    draws: int = BOOTSTRAP_DRAWS,
    seed: int = 0,
) -> tuple[dict[int, str], dict[int, str], dict[int, float]]:
    """The route validation can vouch for, each delay's own best (:func:`route`) and how firmly it beat the
    robust candidate: (route, own, {delay: share}).

    Each delay starts from the one robust candidate (:func:`robust_route`); it takes its own best
    (:func:`route`) instead only where that beats the robust one on at least ``share`` of ``draws``
    bootstrap resamples of the validation windows (seeded: the same errors give the same route). With
    few validation windows no delay's own pick is firm and every delay keeps the robust candidate; a
    delay whose own best is the robust candidate reports 1.0.
    """
    own, robust = route(validation_errors, delays), robust_route(validation_errors, delays)
    count = len(next(iter(validation_errors.values()))) if validation_errors else 0
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(count, np.full(count, 1.0 / max(count, 1)), size=draws).astype(float) if count else None
    chosen, firmness = {}, {}
    for column, delay in enumerate(delays):
        mine, theirs = own[int(delay)], robust[int(delay)]
        if mine == theirs or weights is None:
            chosen[int(delay)], firmness[int(delay)] = theirs, 1.0 if mine == theirs else 0.0
            continue
        a = np.abs(np.asarray(validation_errors[mine], np.float64)[:, column])
        b = np.abs(np.asarray(validation_errors[theirs], np.float64)[:, column])
        both = np.isfinite(a) & np.isfinite(b)
        wins = (weights @ np.where(both, a - b, 0.0)) < 0  # resampled sums of paired differences
        firmness[int(delay)] = float(wins.mean())
        chosen[int(delay)] = mine if firmness[int(delay)] >= share else theirs
    return chosen, own, firmness


def route_per_part(
    validation_errors: Mapping[str, np.ndarray], part: np.ndarray, delays: Sequence[int], min_windows: int
) -> dict[tuple[str, int], str]:
    """{(part, delay): candidate} for parts with at least ``min_windows`` validation windows; others
    are left out (they follow :func:`route`). ``part`` (windows,) labels the validation windows."""
    part = np.asarray(part).astype(str)
    chosen: dict[tuple[str, int], str] = {}
    if min_windows <= 0:
        return chosen
    for name, rows in rows_by_part(part).items():
        if rows.size < min_windows:
            continue
        scores = validation_mae(validation_errors, rows)
        for column, delay in enumerate(delays):
            chosen[(str(name), int(delay))] = _best(scores, column)
    return chosen


def route_candidates(
    predictions: Mapping[str, np.ndarray],
    networks: Sequence[str],
    tabular: Sequence[str],
    recursive: bool,
    plan: np.ndarray,
) -> list[str]:
    """The forecasts the route chooses among, in :func:`candidate_order`: the plan (not where ``plan``
    (windows, delays) holds no number: a plain series), the served baselines in ``predictions``, the
    ``networks`` and, unless the forecast is ``recursive`` (fed its own forecasts), the ``tabular`` models
    and their combination."""
    baselines = [name for name in SERVED_BASELINES if name in predictions]
    fitted = [] if recursive else [*tabular, *([COMBINATION] if COMBINATION in predictions else [])]
    candidates = [PLAN_BASELINE, *baselines, *networks, *fitted]
    if not np.isfinite(plan).any():  # a plain series has no plan
        candidates = candidates[1:]
    return candidates


def recommendation_record(
    route: Mapping[int, str],
    best_network: str | None,
    best_tabular: str | None,
    delays: np.ndarray,
    scales: dict[str, float],
    intervals: dict[str, dict[str, Any]],
    baselines: dict[str, dict[str, Any]],
) -> Recommendation:
    """The :class:`~plancast.models.recommended.Recommendation` stage forecast applies: the ``route`` per
    delay, the combination's halves, the recommended forecast's half-widths at each of :data:`LEVELS`
    (from ``intervals``, every forecast's), each part's interval ``scales`` and the routed ``baselines``'
    fits (:meth:`plancast.models.baseline_models.BaselineFits.to_json`)."""
    return Recommendation(
        route=dict(route),
        plan=PLAN_BASELINE,
        best_network=best_network,
        best_tabular=best_tabular,
        levels=[float(level) for level in LEVELS],
        half_widths=intervals[RECOMMENDED]["half_widths"],
        delays=[int(d) for d in delays],
        scales=scales,
        intervals=intervals,
        baselines=baselines,
    )
