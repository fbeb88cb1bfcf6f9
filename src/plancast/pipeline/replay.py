"""The morning runs replayed in memory, day by day: stages forecast and monitor over a stretch of days with
the models of one training cut, to see when the retrain flag would have raised (``benchmarks/drift.py``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from plancast.evaluation.monitor import Backtest
from plancast.models.recommended import Recommendation
from plancast.models.tabular import TabularModel
from plancast.models.trained import TrainedModel
from plancast.params import Params
from plancast.pipeline.forecast import forecast
from plancast.pipeline.monitor import Monitored, empty_history, empty_log, monitor
from plancast.pipeline.split_scale import Inputs


def replay(
    params: Params,
    inputs: Inputs,
    models: Mapping[str, TrainedModel],
    recommendation: Recommendation,
    tabular: Mapping[str, TabularModel],
    backtest: Backtest,
    origins: Sequence[Any],
) -> Iterator[Monitored]:
    """The morning runs of ``origins`` in order, as stages forecast and monitor would make them: each
    forecasts from ``inputs.daily``'s days up to its origin with the same models (the ones of the training
    cut: ``models``, ``recommendation``, ``tabular``) and is monitored against the log and history of the
    runs before it. Yields each run's :class:`Monitored` (a simulated drift: ``benchmarks/drift.py``)."""
    log, previous = empty_log(), empty_history()
    daily = inputs.daily
    for origin in origins:
        seen = daily[daily["day"] <= origin]
        made = forecast(params, replace(inputs, daily=seen), models, recommendation, tabular)
        run = monitor(params.monitor, log, made.frame, seen, previous, backtest)
        log, previous = run.log, run.history
        yield run
