"""Stage train_tabular in memory: the tabular models fitted once on every training window, for the forecast."""

from __future__ import annotations

from plancast.forecasting import fit_tabular
from plancast.models.tabular import TabularModel
from plancast.params import Params
from plancast.pipeline.split_scale import Inputs


def train_tabular(params: Params, inputs: Inputs) -> dict[str, TabularModel]:
    """``evaluate.tabular``'s models fitted on every training window with a known target
    (:func:`plancast.forecasting.fit_tabular`): what stage forecast and the served model run. They move
    only with the training data, so the morning run forecasts from them without refitting."""
    if params.forecast.recursive_steps:  # a recursive forecast is a plain series' own: no tabular models
        return {}
    period = params.train.profile_period
    choice = params.evaluate
    return fit_tabular(
        inputs.daily, inputs.windows, inputs.prepared.scalers, list(choice.tabular), period, choice.boosted_rows
    )
