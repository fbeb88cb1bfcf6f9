"""Score every network and every baseline on the same validation and test windows.

Networks predict scaled targets; they go back to original units through the part's scaler before any
metric, so every number here is in the parts' own units (pieces). A network is anything with
``predict_batch(inputs) -> outputs`` (:class:`KerasNetwork`, :class:`plancast.onnx_export.OnnxNetwork`);
a plain Keras model is wrapped on the way in. Each network sees all its windows in one call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from plancast import baselines
from plancast.errors import ParamsError
from plancast.metrics import METRICS, naive_scale, score
from plancast.scaling import inverse_transform_targets

SPLITS = ("val", "test")
BASELINE_PREFIX = "baseline_"
POOLED = "pooled"
ALL_DELAYS = "all"
LOWER_IS_BETTER = ("mae", "rmse", "wape", "smape", "mase")
SUMMARY_DIGITS = 4  # significant digits in metrics/evaluate.json: enough to rank, short in `dvc exp show`

# name -> (manifest, {part or scope key: network}) as plancast.models.load_networks returns them.
Models = Mapping[str, tuple[Mapping[str, Any], Mapping[str, Any]]]


class Network(Protocol):
    """An engine that runs one trained network on scaled windows."""

    def predict_batch(self, inputs: np.ndarray) -> np.ndarray:
        """Scaled predictions (windows, outputs) for scaled inputs (windows, lookback, features)."""
        ...

    def predict_recursive(self, window: np.ndarray, gain: np.ndarray, shift: np.ndarray, steps: int) -> np.ndarray:
        """(parts, steps) scaled one-step predictions, each fed back as ``gain·ŷ + shift``."""
        ...


class KerasNetwork:
    """A Keras model behind the :class:`Network` interface; the recursive loop runs in one ``tf.function``."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self._loop: Any = None

    def predict_batch(self, inputs: np.ndarray) -> np.ndarray:
        """Scaled predictions (windows, outputs) for scaled inputs (windows, lookback, features), one call."""
        return np.asarray(self.model.predict_on_batch(np.asarray(inputs, dtype=np.float32)), dtype=np.float64)

    def predict_recursive(self, window: np.ndarray, gain: np.ndarray, shift: np.ndarray, steps: int) -> np.ndarray:
        """Recursive forecast of (parts, lookback, 1) scaled windows -> (parts, steps) scaled targets.

        Each step's output ŷ (target units) enters the window as ``gain·ŷ + shift`` (input units) and the
        oldest row drops out. The whole loop is one XLA-compiled graph, traced once per model and input
        shape, so a step costs one fused network call and no Python round trip.
        """
        if steps == 0:
            return np.empty((len(window), 0))
        if self._loop is None:
            self._loop = recursive_graph(self.model)
        tf = _tensorflow()
        out = self._loop(
            tf.constant(window, tf.float32),
            tf.constant(gain, tf.float32),
            tf.constant(shift, tf.float32),
            tf.constant(steps, tf.int32),
        )
        return np.asarray(out, dtype=np.float64)


def _tensorflow() -> Any:
    from plancast.runtime import import_tensorflow

    return import_tensorflow()[0]


def recursive_graph(model: Any, jit_compile: bool = True) -> Any:
    """The recursive loop of :meth:`KerasNetwork.predict_recursive` as a ``tf.function``.

    Arguments ``(window, gain, shift, steps)`` as tensors; returns (parts, steps) scaled targets.
    """
    tf = _tensorflow()

    # XLA fuses the per-step network call and the inner time loop: ~30x faster than the plain graph
    # for LSTM(30) over 30 steps on CPU, for a one-off compile of about a second.
    @tf.function(jit_compile=jit_compile, reduce_retracing=True)
    def loop(window: Any, gain: Any, shift: Any, steps: Any) -> Any:
        outputs = tf.TensorArray(tf.float32, size=steps, element_shape=tf.TensorShape([None]))
        for step in tf.range(steps):
            predicted = model(window, training=False)[:, 0]
            outputs = outputs.write(step, predicted)
            fed = (predicted * gain + shift)[:, None, None]
            window = tf.concat([window[:, 1:, :], fed], axis=1)
        return tf.transpose(outputs.stack())

    return loop


def as_network(model: Any) -> Network:
    """``model`` itself if it has ``predict_batch``, else a Keras model wrapped in :class:`KerasNetwork`."""
    return model if hasattr(model, "predict_batch") else KerasNetwork(model)


def as_networks(networks: Mapping[str, Any]) -> dict[str, Network]:
    """:func:`as_network` of every value, wrapping a model shared by several keys (scope global) once."""
    wrapped: dict[int, Network] = {}
    for model in networks.values():
        if id(model) not in wrapped:
            wrapped[id(model)] = as_network(model)
    return {key: wrapped[id(model)] for key, model in networks.items()}


def by_scope(
    networks: Mapping[str, Any],
    scope: str,
    part: np.ndarray,
    run: Callable[[Network, np.ndarray], np.ndarray],
) -> np.ndarray:
    """``run(network, rows)`` (rows, outputs) for every network of one model, stacked: (windows, outputs).

    ``scope`` ``global``: the one network (under one key or shared by every part's key, as
    ``load_networks`` gives it) gets every row in one call; ``per_part``: each part's network gets
    that part's rows in one call. ``part`` (windows,) names each row's part.
    """
    if scope == "global":
        distinct = {id(network): network for network in networks.values()}
        if len(distinct) != 1:
            raise ValueError(f"a global model has one network, got {len(distinct)}")
        return run(as_network(next(iter(distinct.values()))), np.arange(len(part)))
    chunks = []
    for name in np.unique(part):
        if str(name) not in networks:
            raise KeyError(f"no network for part {str(name)!r} in a per_part model")
        rows = np.flatnonzero(part == name)
        chunks.append((rows, run(as_network(networks[str(name)]), rows)))
    width = chunks[0][1].shape[1] if chunks else 0
    stacked = np.full((len(part), width), np.nan)
    for rows, values in chunks:
        stacked[rows] = values
    return stacked


def predict_scaled(networks: Mapping[str, Any], scope: str, inputs: np.ndarray, part: np.ndarray) -> np.ndarray:
    """Scaled predictions (windows, outputs) of one model for scaled inputs (windows, lookback, features)."""
    return by_scope(networks, scope, part, lambda network, rows: network.predict_batch(inputs[rows]))


def naive_scales(
    series: Mapping[str, np.ndarray],
    part: np.ndarray,
    end_row: np.ndarray,
    train: np.ndarray,
    delays: np.ndarray,
) -> dict[str, float]:
    """MASE scale of each part: its one-step naive MAE on its training rows (0 .. last training target).

    ``part`` and ``end_row`` (windows,) describe all windows, ``train`` indexes the training ones.
    """
    scales = {}
    for name in np.unique(part[train]):
        last = int(end_row[train][part[train] == name].max()) + int(np.max(delays))
        scales[str(name)] = naive_scale(np.asarray(series[str(name)], dtype=np.float64)[: last + 1])
    return scales


def baseline_predictions(
    windows: Mapping[str, np.ndarray],
    splits: Mapping[str, np.ndarray],
    scalers: Mapping[str, Any],
    series: Mapping[str, np.ndarray],
    window: np.ndarray,
    inputs: np.ndarray,
    season_period: int,
    ridge_alpha: float,
) -> dict[str, np.ndarray]:
    """Every baseline's predictions (windows, delays) in original units for the windows ``window`` indexes.

    ``windows`` and ``splits`` are the arrays of windows.npz and splits.npz; ``inputs`` are the scaled
    inputs (windows, lookback, features) of those same windows (the Ridge baseline's input).
    """
    part, delays = windows["part"][window], windows["delays"]
    return {
        "baseline_last": baselines.last_value(windows["inputs"][window], delays),
        "baseline_seasonal": baselines.seasonal_naive(series, part, windows["end_row"][window], delays, season_period),
        "baseline_mean": baselines.training_mean(windows["targets"], windows["part"], splits["window_train"])[window],
        "baseline_plan": baselines.planner(windows["plan"][window]),
        "baseline_ridge": baselines.ridge(
            splits["inputs_train"], splits["targets_train"], inputs, part, scalers, ridge_alpha
        ),
    }


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
    groups = [(POOLED, None)] + [(str(name), name) for name in np.unique(part)]
    summary: dict[str, dict[str, dict[str, float]]] = {}
    rows = []
    for split_name in SPLITS:
        in_split = split == split_name
        summary[split_name] = {}
        for model, prediction in predictions.items():
            for label, name in groups:
                selected = in_split if name is None else in_split & (part == name)
                for delay_label, columns in delay_columns:
                    metrics = score(
                        actual[selected][:, columns],
                        prediction[selected][:, columns],
                        plan[selected][:, columns],
                        element_scale[selected][:, columns],
                    )
                    rows.append({"split": split_name, "model": model, "part": label, "delay": delay_label, **metrics})
                    if name is None and delay_label == ALL_DELAYS:
                        summary[split_name][model] = {key: metrics[key] for key in METRICS}
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
    """What stage evaluate writes: ``summary`` (evaluate.json), ``parts`` and ``predictions`` (CSV)."""

    summary: dict[str, Any]
    parts: pd.DataFrame
    predictions: pd.DataFrame


def evaluate(
    daily: pd.DataFrame,
    windows: Mapping[str, np.ndarray],
    splits: Mapping[str, np.ndarray],
    scalers: Mapping[str, Any],
    models: Models,
    season_period: int,
    ridge_alpha: float,
    best_by: str = "val.mae",
    networks: list[str] | None = None,
) -> Evaluation:
    """Predict the validation and test windows with every model and baseline, and score them all.

    ``daily`` is the daily table, ``windows``/``splits`` the arrays of windows.npz/splits.npz, ``scalers``
    scalers.json, ``models`` name -> (manifest, networks) as ``load_networks`` returns. The best model
    is chosen on validation by default: choosing on test would make the test score optimistic.
    """
    for name in models:
        if name.startswith(BASELINE_PREFIX):
            raise ParamsError(f"train.models: {name!r}: names starting with {BASELINE_PREFIX!r} are reserved")
    window = np.concatenate([splits[f"window_{name}"] for name in SPLITS]).astype(np.int64)
    split = np.concatenate([np.full(len(splits[f"window_{name}"]), name) for name in SPLITS])
    inputs = np.concatenate([splits[f"inputs_{name}"] for name in SPLITS])
    part, end_row, delays = windows["part"][window], windows["end_row"][window], windows["delays"]
    series = baselines.part_series(daily)
    predictions = {
        name: inverse_transform_targets(predict_scaled(networks, manifest["scope"], inputs, part), part, scalers)
        for name, (manifest, networks) in models.items()
    }
    predictions.update(
        baseline_predictions(windows, splits, scalers, series, window, inputs, season_period, ridge_alpha)
    )
    scales = naive_scales(series, windows["part"], windows["end_row"], splits["window_train"], delays)
    actual = windows["targets"][window]
    summary, parts = evaluate_predictions(actual, predictions, windows["plan"][window], split, part, delays, scales)
    frame = predictions_frame(predictions, actual, split, part, window, end_row, delays, daily)
    names = list(models) if networks is None else networks
    trained = {split_name: {m: v for m, v in table.items() if m in names} for split_name, table in summary.items()}
    head = {
        "best_by": best_by,
        "best_model": best_model(summary, best_by),  # among networks and baselines
        "best_network": best_model(trained, best_by),  # among the trained networks only
    }
    return Evaluation({**head, **summary}, parts, frame)


@dataclass(frozen=True)
class ReportTables:
    """Small tables behind the `dvc plots` bar charts and the PNG figures of stage evaluate.

    ``by_model``: model, kind (network | baseline), test_/val_ MAE, RMSE and skill, pooled over parts
    and delays. ``by_part``: part, test_mae of the best network, plan_mae. ``showcase_part``: the part
    with the largest mean test actual (the one drawn in the predictions figure).
    """

    by_model: pd.DataFrame
    by_part: pd.DataFrame
    showcase_part: str


def report_tables(result: Evaluation, networks: list[str]) -> ReportTables:
    """The :class:`ReportTables` of an evaluation whose trained networks are ``networks``."""
    rows = []
    for model in result.summary["test"]:
        row: dict[str, Any] = {"model": model, "kind": "network" if model in networks else "baseline"}
        for split_name in SPLITS:
            for metric in ("mae", "rmse", "skill"):
                row[f"{split_name}_{metric}"] = result.summary[split_name].get(model, {}).get(metric, np.nan)
        rows.append(row)
    by_model = pd.DataFrame(rows).sort_values(["kind", "model"], kind="stable").reset_index(drop=True)

    best = result.summary["best_network"]
    parts = result.parts
    test_all = parts[
        (parts["split"] == "test") & (parts["delay"].astype(str) == ALL_DELAYS) & (parts["part"] != POOLED)
    ]
    mine = test_all[test_all["model"] == best].set_index("part")["mae"]
    plan = test_all[test_all["model"] == f"{BASELINE_PREFIX}plan"].set_index("part")["mae"]
    by_part = pd.DataFrame({"part": mine.index.astype(str), "test_mae": mine.to_numpy()})
    by_part["plan_mae"] = plan.reindex(mine.index).to_numpy()

    test_rows = result.predictions[result.predictions["split"] == "test"]
    volume = test_rows.groupby("part")["actual"].mean()
    showcase = str(volume.idxmax()) if len(volume) else ""
    return ReportTables(by_model, by_part, showcase)
