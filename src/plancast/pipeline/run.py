"""Any prefix of the pipeline, ingest .. forecast, in memory (see :mod:`plancast.pipeline`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from plancast.evaluation.evaluate import Evaluation
from plancast.models.trained import TrainedModel
from plancast.params import Params
from plancast.pipeline.correlate import Correlation, correlate
from plancast.pipeline.daily_last import Daily, daily_last
from plancast.pipeline.evaluate import evaluate
from plancast.pipeline.forecast import Forecast, forecast
from plancast.pipeline.ingest import Ingested, ingest
from plancast.pipeline.select_features import select_features
from plancast.pipeline.split_scale import Inputs, Prepared, split_scale
from plancast.pipeline.train import train
from plancast.pipeline.train_tabular import train_tabular
from plancast.pipeline.window import Windowed, window

STAGES = (
    "ingest", "daily_last", "correlate", "select_features", "window", "split_scale", "train", "evaluate", "forecast",
)  # fmt: skip


@dataclass(frozen=True)
class Artifacts:
    """What :func:`run` made; the stages after ``until`` are None."""

    ingested: Ingested
    daily: Daily | None = None
    correlation: Correlation | None = None
    features: dict[str, Any] | None = None  # data/features/features.json
    windowed: Windowed | None = None
    prepared: Prepared | None = None
    models: dict[str, TrainedModel] | None = None  # each of train.models, run by Keras in memory
    evaluation: Evaluation | None = None
    forecast: Forecast | None = None


def run(
    params: Params,
    until: str = "split_scale",
    ingested: Ingested | None = None,
    cache_dir: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> Artifacts:
    """The stages from ingest through ``until`` (one of :data:`STAGES`) in memory, with no file written.

    Correlate .. evaluate see the days up to ``train.until`` (``made.daily.training``), the forecast every
    day. The trained networks run on Keras (stage evaluate and forecast run the saved ONNX files by
    default: the two agree to ~1e-5); ``progress`` gets train's line per epoch and evaluate's line per step.

    ``ingest.source`` is read from the working directory, unless ``ingested`` is given: a snapshot table
    made elsewhere (a generated sample in a temporary folder, :func:`ingest` with its own ``root``).
    """
    if until not in STAGES:
        raise ValueError(f"until: {until!r} is not a stage ({', '.join(STAGES)})")
    last = STAGES.index(until)
    made: dict[str, Any] = {"ingested": ingested or ingest(params.ingest, params.daily, cache_dir=cache_dir)}
    if last >= 1:
        made["daily"] = daily_last(params.daily, made["ingested"].snapshots, until=params.train.until)
    training = made["daily"].training if last >= 1 else None  # the days up to train.until
    if last >= 2:
        made["correlation"] = correlate(params.correlate, training)
    if last >= 3:
        parts = made["daily"].training_parts
        made["features"] = select_features(params.select_features, made["correlation"].table, parts)
    if last >= 4:
        made["windowed"] = window(params.window, training, made["features"], params.train.until)
    if last >= 5:
        made["prepared"] = split_scale(params.split_scale, made["windowed"].windows, params.window.gaps)
    if last >= 6:
        inputs = Inputs(training, made["windowed"].windows, made["prepared"], made["features"])
        made["models"] = {name: train(params, name, inputs, progress).model() for name in params.train.models}
    if last >= 7:
        made["evaluation"] = evaluate(params, inputs, made["models"], progress)
    if last >= 8:
        every_day = replace(inputs, daily=made["daily"].table)  # the forecast starts after the newest day
        tabular = train_tabular(params, inputs)
        made["forecast"] = forecast(params, every_day, made["models"], made["evaluation"].recommendation, tabular)
    return Artifacts(**made)
