"""Fit a model's networks on the prepared windows: one over all parts, or one per part.

Scope ``global`` fits one network on every part's training windows (each part was scaled on its own,
so they share one scale). Scope ``per_part`` fits one network per part (Seed B): the parts in sorted
order, the ``i``-th (from 0) seeded with ``seed + i``, reseeded before each, so a part's network
depends on its own windows and index only. With validation windows and ``patience > 0``, training
stops when the validation loss has not improved for ``patience`` epochs and the best epoch's weights
are kept; otherwise it runs all ``epochs`` and keeps the last.

Backend ``ray`` (scope ``per_part``) fits each part's network as a Ray task with the same seed and
windows; the task seeds TensorFlow inside its worker (:func:`plancast.runtime.import_tensorflow`), so
the weights are the same bits as ``local``'s, and the driver only rebuilds each network from its weights.

Importing this module imports no TensorFlow; :func:`train_model` does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import keras

    from plancast.features.splits import Splits
    from plancast.params_sections import ModelSpec

from plancast.models.manifest import GLOBAL


@dataclass(frozen=True)
class NetworkRun:
    """How one network's training went; epochs are counted from 1."""

    label: str  # "global" or the part
    seed: int
    windows_train: int
    windows_val: int
    loss: list[float]  # training loss per epoch
    val_loss: list[float]  # validation loss per epoch; empty without validation windows
    kept_epoch: int  # the epoch whose weights were kept
    stopping: str  # "early stopping", "off: patience 0" or "off: no validation windows"

    def metrics(self) -> dict[str, Any]:
        """This run as flat JSON-ready numbers: epochs run, kept and best epoch, losses."""
        best = int(np.argmin(self.val_loss)) if self.val_loss else None
        return {
            "seed": self.seed,
            "windows_train": self.windows_train,
            "windows_val": self.windows_val,
            "epochs_run": len(self.loss),
            "kept_epoch": self.kept_epoch,
            "best_epoch": None if best is None else best + 1,
            "best_val_loss": None if best is None else self.val_loss[best],
            "kept_val_loss": self.val_loss[self.kept_epoch - 1] if self.val_loss else None,
            "final_loss": self.loss[-1],
            "early_stopping": self.stopping,
        }


# the columns of data/reports/training.csv (stage evaluate): top-level keys of every TrainResult.metrics()
TRAINING_COLUMNS = ("model", "scope", "loss", "networks", "parameters", "epochs_run", "kept_epoch", "best_val_loss")


@dataclass(frozen=True)
class TrainResult:
    """The trained networks (part -> network, one shared object when global) and how training went."""

    name: str
    scope: str
    seed: int
    loss: str  # the loss function's name in params (mse, mae, huber)
    networks: dict[str, keras.Model]
    runs: list[NetworkRun]
    seconds: float  # wall time, for the stage's progress line only: outputs hold no timings
    parameters: int  # per network

    def metrics(self) -> dict[str, Any]:
        """The training record (``models/<name>/training.json``): epochs, best epoch and loss, parameters.

        For ``per_part`` the top level sums epochs and windows over parts and gives the
        windows-weighted mean of the parts' best validation losses; each part's figures are under
        ``parts``.
        """
        summary: dict[str, Any] = {
            "model": self.name,
            "scope": self.scope,
            "seed": self.seed,
            "parameters": self.parameters,
            "loss": self.loss,
            "networks": len(self.runs),
        }
        if self.scope == GLOBAL:
            return {**summary, **self.runs[0].metrics()}
        parts = {run.label: run.metrics() for run in self.runs}
        validated = [run for run in self.runs if run.val_loss]
        weighted = sum(run.windows_val * min(run.val_loss) for run in validated)
        windows_val = sum(run.windows_val for run in self.runs)
        return {
            **summary,
            "epochs_run": sum(len(run.loss) for run in self.runs),
            "kept_epoch": None,  # one per part, under parts
            "windows_train": sum(run.windows_train for run in self.runs),
            "windows_val": windows_val,
            "best_val_loss": weighted / windows_val if windows_val else None,
            "early_stopping": ", ".join(sorted({run.stopping for run in self.runs})),
            "parts": parts,
        }


def train_model(
    name: str,
    spec: ModelSpec,
    splits: Splits,
    window_parts: np.ndarray,
    scope: str,
    seed: int,
    progress: Callable[[str], None] | None = None,
    backend: str = "local",
    ray_address: str = "",
    context: Mapping[str, np.ndarray] | None = None,
) -> TrainResult:
    """Fit the networks of model ``name`` on ``splits`` and return them with their training record.

    ``splits``: the train and val splits (inputs (windows, lookback, features), targets (windows, delays),
    window (windows,)) of splits.npz; ``window_parts`` (all windows,)
    names each window's part (windows.npz ``part``). The parts are those with training windows.
    ``progress`` (e.g. :func:`print_line`) gets one line per epoch: model, part or ``global``, epoch,
    loss, val_loss. The curves go to DVCLive through :func:`plancast.models.curves.log_curves` of
    :func:`epoch_curves`.
    ``backend``: ``local`` or ``ray`` (per-part networks as Ray tasks on ``ray_address``: "" = a Ray
    started here for this call, ``auto`` or ``host:port`` = a running cluster); with ``ray`` the
    progress is one line per part, when its network is done. ``context`` ({"train": (n, width), "val":
    ...}, rows as in ``splits``) is the networks' second input (:func:`plancast.models.networks.build_network`).
    """
    window_parts = np.asarray(window_parts).astype(str)
    train_parts = window_parts[splits.train.window]
    val_parts = window_parts[splits.val.window]
    parts = sorted(set(train_parts.tolist()))
    if not parts:
        raise ValueError("train_model needs at least one training window")
    if scope == GLOBAL:
        groups = [(GLOBAL, np.ones(len(train_parts), bool), np.ones(len(val_parts), bool), seed)]
    else:
        groups = [(part, train_parts == part, val_parts == part, seed + index) for index, part in enumerate(parts)]

    networks: dict[str, keras.Model] = {}
    runs: list[NetworkRun] = []
    started = time.perf_counter()
    jobs = [
        (
            label,
            splits.train.inputs[in_train],
            splits.train.targets[in_train],
            splits.val.inputs[in_val],
            splits.val.targets[in_val],
            None if context is None else context["train"][in_train],
            None if context is None else context["val"][in_val],
            group_seed,
        )
        for label, in_train, in_val, group_seed in groups
    ]
    if backend == "ray" and scope != GLOBAL:
        fitted = _fit_on_ray(spec, jobs, ray_address, None if progress is None else _prefixed(progress, name))
    else:
        fitted = (
            fit_one_network(
                spec, *arrays, seed=job_seed, label=label,
                progress=None if progress is None else _prefixed(progress, f"{name} {label}"),
            )
            for label, *arrays, job_seed in jobs
        )  # fmt: skip
    for (label, *_), (network, run) in zip(jobs, fitted, strict=True):
        runs.append(run)
        for part in parts if scope == GLOBAL else [label]:
            networks[part] = network
    seconds = time.perf_counter() - started

    return TrainResult(
        name=name,
        scope=scope,
        seed=seed,
        loss=spec.loss,
        networks=networks,
        runs=runs,
        seconds=seconds,
        parameters=int(networks[parts[0]].count_params()),
    )


def fit_one_network(
    spec: ModelSpec,
    inputs_train: np.ndarray,
    targets_train: np.ndarray,
    inputs_val: np.ndarray,
    targets_val: np.ndarray,
    context_train: np.ndarray | None = None,
    context_val: np.ndarray | None = None,
    *,
    seed: int,
    label: str = GLOBAL,
    progress: Callable[[str], None] | None = None,
) -> tuple[keras.Model, NetworkRun]:
    """Build a network from ``spec`` seeded with ``seed`` and fit it on ``(windows, lookback, features)``
    and, when given, each window's context ``(windows, width)`` as a second input.

    Batches of ``spec.batch_size`` windows, all windows reshuffled every epoch (seeded with ``seed``).
    Early stopping on the validation loss (best weights restored) when there are validation windows
    and ``spec.patience > 0``. A NaN target (a (window, delay) pair without an actual) is left out of
    both losses (:func:`plancast.models.networks.masked_loss`); without one the loss is Keras' own.
    """
    from plancast.models.networks import build_network
    from plancast.runtime import import_tensorflow

    tf, keras = import_tensorflow(seed)
    _, lookback, features = inputs_train.shape
    width = 0 if context_train is None else int(context_train.shape[1])
    missing = bool(np.isnan(targets_train).any() or np.isnan(targets_val).any())
    network = build_network(spec, lookback, features, targets_train.shape[1], context=width, missing_targets=missing)
    x_train: Any = inputs_train if context_train is None else (inputs_train, context_train)
    x_val: Any = inputs_val if context_val is None else (inputs_val, context_val)
    has_val = len(inputs_val) > 0
    # A tf.data pipeline rather than arrays: Keras' array adapter adds a parallel map whose op
    # attribute this TensorFlow build logs as an error line on every fit; this one is also seeded here.
    batches = (
        tf.data.Dataset.from_tensor_slices((x_train, targets_train))
        .shuffle(len(inputs_train), seed=seed, reshuffle_each_iteration=True)
        .batch(spec.batch_size)
    )
    val_batches = tf.data.Dataset.from_tensor_slices((x_val, targets_val)).batch(spec.batch_size)
    callbacks: list[Any] = []
    stopper = None
    if has_val and spec.patience > 0:
        stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=spec.patience, restore_best_weights=True)
        callbacks.append(stopper)
    if progress is not None:
        callbacks.append(_epoch_printer(keras, progress, spec.epochs))
    history = network.fit(
        batches,
        epochs=spec.epochs,
        validation_data=val_batches if has_val else None,
        shuffle=False,  # `batches` shuffles; Keras would only warn that it cannot
        verbose=0,
        callbacks=callbacks,
    ).history
    loss = [float(value) for value in history["loss"]]
    val_loss = [float(value) for value in history.get("val_loss", [])]
    if stopper is not None:
        kept, stopping = stopper.best_epoch + 1, "early stopping"
    else:
        kept = len(loss)
        stopping = "off: patience 0" if has_val else "off: no validation windows"
    run = NetworkRun(
        label=label,
        seed=seed,
        windows_train=len(inputs_train),
        windows_val=len(inputs_val),
        loss=loss,
        val_loss=val_loss,
        kept_epoch=kept,
        stopping=stopping,
    )
    return network, run


def _fit_weights(
    spec: ModelSpec, *arrays: np.ndarray | None, seed: int, label: str
) -> tuple[list[np.ndarray], NetworkRun]:
    """A Ray task: :func:`fit_one_network` in the worker (which seeds TensorFlow there), weights back."""
    network, run = fit_one_network(spec, *arrays, seed=seed, label=label)
    return network.get_weights(), run


def _fit_on_ray(
    spec: ModelSpec, jobs: list[tuple], address: str, progress: Callable[[str], None] | None
) -> list[tuple[keras.Model, NetworkRun]]:
    """Each job ``(label, inputs/targets train, inputs/targets val, context train/val, seed)`` fitted as a
    Ray task (:mod:`plancast.cluster`), in order; ``progress`` gets a line per part as it is done and one
    that says on how many nodes they ran."""
    from plancast.cluster import ray_session
    from plancast.models.networks import build_network
    from plancast.runtime import import_tensorflow

    def done(_: int, result: tuple[list[np.ndarray], NetworkRun]) -> None:
        if progress is not None:
            run = result[1]
            progress(f"{run.label} done: {len(run.loss)} epochs, kept {run.kept_epoch}")

    with ray_session(address) as session:
        shared = session.put(spec)
        calls = [((shared, *arrays), {"seed": seed, "label": label}) for label, *arrays, seed in jobs]
        results = session.run(_fit_weights, calls, done)
    if progress is not None:
        progress(session.where(len(jobs), "networks"))
    import_tensorflow()
    fitted = []
    for (_, inputs_train, targets_train, _, _, context_train, *_), (weights, run) in zip(jobs, results, strict=True):
        # Built in part order as local builds them; the layers' names are fixed, so the config is too.
        width = 0 if context_train is None else int(context_train.shape[1])
        network = build_network(
            spec, inputs_train.shape[1], inputs_train.shape[2], targets_train.shape[1], context=width
        )
        network.set_weights(weights)
        fitted.append((network, run))
    return fitted


def epoch_curves(runs: list[NetworkRun]) -> dict[str, list[float]]:
    """Per epoch, the mean training (``train/loss``) and validation (``val/loss``) loss over ``runs``.

    A run that stopped early counts with its last epoch's loss in later epochs, so the mean is over
    the same runs at every epoch (no jump when a part stops); ``val/loss`` is left out when no run had
    validation windows.
    """
    curves = {"train/loss": _mean_by_epoch([run.loss for run in runs])}
    val = [run.val_loss for run in runs if run.val_loss]
    if val:
        curves["val/loss"] = _mean_by_epoch(val)
    return curves


def _mean_by_epoch(series: list[list[float]]) -> list[float]:
    epochs = max(len(values) for values in series)
    return [float(np.mean([values[min(e, len(values) - 1)] for values in series])) for e in range(epochs)]


def print_line(line: str) -> None:
    """Print ``line`` at once (stdout is a pipe under DVC, and progress should not wait for the end)."""
    print(line, flush=True)


def _prefixed(progress: Callable[[str], None], prefix: str) -> Callable[[str], None]:
    return lambda line: progress(f"{prefix} {line}")


def _epoch_printer(keras: Any, progress: Callable[[str], None], epochs: int) -> Any:
    width = len(str(epochs))

    class EpochPrinter(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
            logs = logs or {}
            line = f"epoch {epoch + 1:>{width}}/{epochs} loss {logs.get('loss', float('nan')):.5f}"
            if "val_loss" in logs:
                line += f" val_loss {logs['val_loss']:.5f}"
            progress(line)

    return EpochPrinter()
