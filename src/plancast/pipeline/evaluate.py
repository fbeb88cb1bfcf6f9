"""Stage evaluate in memory: every trained model, the tabular models and the baselines scored on the same
validation and test windows, the route and intervals chosen on validation."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from plancast.data.daily import horizon_columns
from plancast.evaluation import evaluate as scoring
from plancast.evaluation.evaluate import Evaluation
from plancast.models.tabular import tabular_rows
from plancast.models.trained import TrainedModel
from plancast.params import Params
from plancast.pipeline.split_scale import Inputs


def evaluate(
    params: Params, inputs: Inputs, models: Mapping[str, TrainedModel], progress: Callable[[str], None] | None = None
) -> Evaluation:
    """:func:`plancast.evaluation.evaluate.evaluate` of the networks ``models`` (by name) with
    ``params.evaluate``'s tabular models, statistical baselines, seasons, ridge and test folds, routing for
    a recursive forecast where ``forecast.recursive_steps`` asks for one, the tabular refits as Ray tasks
    under ``train.backend: ray``; ``progress`` gets its lines, each beginning ``evaluate:``."""
    daily, windows, prepared = inputs.daily, inputs.windows, inputs.prepared
    choice = params.evaluate
    tabular = list(choice.tabular)
    period = params.train.profile_period
    horizons = len(horizon_columns(daily))
    rows = tabular_rows(windows, daily, prepared.scalers, horizons, profile_period=period) if tabular else None
    return scoring.evaluate(
        daily,
        windows,
        prepared.splits,
        prepared.scalers,
        models,
        season_period=choice.season_period,
        ridge_alpha=choice.ridge_alpha,
        rows=rows,
        tabular=tabular,
        folds=choice.folds,
        progress=None if progress is None else lambda line: progress(f"evaluate: {line}"),
        statistical=choice.statistical,
        recursive=params.forecast.recursive_steps > 0,
        backend=params.train.backend,
        ray_address=params.train.ray_address,
        boosted_rows=choice.boosted_rows,
    )
