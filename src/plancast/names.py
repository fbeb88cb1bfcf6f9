"""The names of the forecasts plancast compares, each defined once.

Baselines, tabular models, the combination and the recommended forecast are named here; params,
models, evaluation, forecasting, serving and reporting import them. Trained networks are named by the
user (params.yaml's ``models``), so a network may take none of these names (:func:`reserved`). This
module imports nothing: it sits below every floor.
"""

from __future__ import annotations

BASELINE_PREFIX = "baseline_"  # a model named so is a baseline; trained models may not use it
PLAN_BASELINE = f"{BASELINE_PREFIX}plan"  # the planner's own number, the yardstick of every skill
LAST_BASELINE = f"{BASELINE_PREFIX}last"
SEASONAL_BASELINE = f"{BASELINE_PREFIX}seasonal"
MEAN_BASELINE = f"{BASELINE_PREFIX}mean"
RIDGE_BASELINE = f"{BASELINE_PREFIX}ridge"
AUTO_ETS = "auto_ets"  # statsforecast's AutoETS per part (evaluate.statistical)
STATISTICAL = (AUTO_ETS,)  # the statistical baselines params may name
ETS_BASELINE = f"{BASELINE_PREFIX}{AUTO_ETS}"
# the baselines a route may give the planner besides the plan: each is a candidate, and the forecast can run it
SERVED_BASELINES = (LAST_BASELINE, SEASONAL_BASELINE, MEAN_BASELINE, RIDGE_BASELINE, ETS_BASELINE)

PLAN_LINEAR = "plan_linear"  # the plan corrected per part, from the vintages alone
BOOSTED = "boosted"  # boosted trees over the window, the vintages and the calendar
TABULAR = (PLAN_LINEAR, BOOSTED)  # the tabular models params may name (evaluate.tabular)
PLAN_MODELS = (PLAN_LINEAR,)  # tabular models made of the plan vintages alone: none without plan horizons

COMBINATION = "combination"  # the mean of the best network and the best tabular model
RECOMMENDED = "recommended"  # per delay, the candidate best on validation


def is_baseline(name: str) -> bool:
    """Whether ``name`` is a baseline's."""
    return name.startswith(BASELINE_PREFIX)


def reserved(name: str) -> bool:
    """Whether a trained network may not be called ``name``: a baseline's, a tabular model's, or the
    combination's or the recommended forecast's."""
    return is_baseline(name) or name in (RECOMMENDED, COMBINATION, *TABULAR)
