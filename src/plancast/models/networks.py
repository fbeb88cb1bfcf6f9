"""Networks: from a ``models.<name>`` params entry to a compiled Keras network, its saved folder, and
the one interface that runs a trained model (Keras, or its ONNX twin) for evaluation and forecasting.

A saved model is a folder ``models/<name>/``:

- ``network.json``: the network's Keras config (architecture only, no optimizer), exact floats;
- ``<slug>.weights.h5``: ``model.save_weights`` of one trained network (``global.weights.h5`` for
  scope ``global``, one file per part for ``per_part``);
- ``manifest.json``: the :class:`Manifest`, the one source downstream of what the model takes (lookback,
  each part's input columns, delays) and how its inputs and outputs are scaled.

It loads back with Keras' safe mode (no pickle, no lambdas) as a :class:`TrainedModel`. Importing this
module imports no TensorFlow; the functions do, through :mod:`plancast.runtime`.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

from plancast.artifacts import atomic_folder, read_json, write_json
from plancast.errors import InputDataError
from plancast.features.scaling import Scalers, Split, Splits
from plancast.features.vintages import PROFILE_WEEKS
from plancast.features.windows import Windows, rows_by_part

if TYPE_CHECKING:
    import keras

    from plancast.params import LayerSpec, ModelSpec

NETWORK_FILE = "network.json"
MANIFEST_FILE = "manifest.json"
GLOBAL = "global"
GLOBAL_WEIGHTS = f"{GLOBAL}.weights.h5"
SLUG_LENGTH = 48  # file names from part names stay short: a long name is cut and given a hash
_EXACT_DIGITS = 17  # round-trips every float64, so configs are written exactly


def build_network(
    spec: ModelSpec, lookback: int, features: int, outputs: int, name: str = "network", context: int = 0
) -> keras.Model:
    """Compile ``Input (lookback, features) -> spec.layers -> [Dense(relu) per spec.head] -> Dense(outputs)``.

    Maps a batch ``(windows, lookback, features)`` to ``(windows, outputs)``, one output per delay.
    With ``context`` > 0 a second input ``context`` (windows, context), the plan vintages of each target
    day with their flags and calendar (:meth:`plancast.models.tabular.TabularRows.network_context`), is
    concatenated to the last recurrent layer's output before the head: the head reads both the
    window's summary and every plan made for the target days. Layers are named ``<type>_<index>`` and
    the head ``head``, so the saved config is the same however many networks the process built before.
    Weights are drawn from Keras' global seed: seed first (``plancast.runtime.import_tensorflow(seed)``)
    for reproducible initial weights.
    """
    from plancast.runtime import import_tensorflow

    _, keras = import_tensorflow()
    windows = keras.Input(shape=(lookback, features), name="windows")
    hidden = windows
    for index, layer in enumerate(spec.layers):
        hidden = _recurrent_layer(layer, f"{layer.type}_{index}")(hidden)
    inputs: Any = windows
    if context:
        plans = keras.Input(shape=(context,), name="context")
        hidden = keras.layers.Concatenate(name="with_context")([hidden, plans])
        inputs = [windows, plans]
    for index, units in enumerate(spec.head):  # a non-linear head: plans x flags interactions
        hidden = keras.layers.Dense(units, activation="relu", name=f"head_hidden_{index}")(hidden)
    forecast = keras.layers.Dense(outputs, activation="linear", name="head")(hidden)
    network = keras.Model(inputs, forecast, name=name)
    optimizers = {
        "adam": keras.optimizers.Adam,
        "rmsprop": keras.optimizers.RMSprop,
        "sgd": keras.optimizers.SGD,
    }
    losses = {"mse": "mean_squared_error", "mae": "mean_absolute_error", "huber": "huber"}
    # 32 steps per call into the graph: a third less CPU per epoch at small batches (benchmarks/cell_speed.py),
    # the same weights (steps are still taken one by one)
    network.compile(
        optimizer=optimizers[spec.optimizer](learning_rate=spec.learning_rate),
        loss=losses[spec.loss],
        steps_per_execution=32,
    )
    return network


def _recurrent_layer(layer: LayerSpec, name: str) -> Any:
    from plancast.runtime import import_tensorflow

    _, keras = import_tensorflow()
    options = {
        "activation": layer.activation,
        "recurrent_activation": layer.recurrent_activation,
        "dropout": layer.dropout,
        "recurrent_dropout": layer.recurrent_dropout,
        "return_sequences": layer.return_sequences,
        "name": name,
    }
    if layer.type == "lstm":
        return keras.layers.LSTM(layer.units, **options)
    if layer.type == "gru":
        return keras.layers.GRU(layer.units, **options)
    from plancast.models.cells import hand_lstm_layer

    return hand_lstm_layer(layer.units, **options)


def part_slugs(parts: Iterable[str]) -> dict[str, str]:
    """Map each part to a file-name slug: lowercase, runs of non-alphanumerics -> ``_``, bounded, unique.

    Parts are taken in sorted order; a slug already taken (``Part-1`` and ``part 1``) gets ``_2``,
    ``_3`` ..., and an empty one becomes ``part``. A name longer than :data:`SLUG_LENGTH` is cut and
    ends in 8 hex digits of its SHA-256, so a 300-character part name still makes a valid file name.
    """
    slugs: dict[str, str] = {}
    taken: set[str] = {GLOBAL}  # global.weights.h5 is the global network's file
    for part in sorted(set(parts)):
        base = re.sub(r"[^a-z0-9]+", "_", part.lower()).strip("_") or "part"
        if len(base) > SLUG_LENGTH:
            base = f"{base[: SLUG_LENGTH - 9]}_{hashlib.sha256(part.encode()).hexdigest()[:8]}"
        slug, counter = base, 1
        while slug in taken:
            counter += 1
            slug = f"{base}_{counter}"
        taken.add(slug)
        slugs[part] = slug
    return slugs


def network_config(network: keras.Model) -> dict[str, Any]:
    """The network's serialized Keras config, without its compile settings (an inference network)."""
    from plancast.runtime import import_tensorflow

    _, keras = import_tensorflow()
    config = keras.saving.serialize_keras_object(network)
    config.pop("compile_config", None)
    return config


def network_from_config(config: Mapping[str, Any]) -> keras.Model:
    """Rebuild an (uncompiled) network from :func:`network_config`'s output in Keras' safe mode."""
    from plancast.runtime import import_tensorflow

    _, keras = import_tensorflow()
    import plancast.models.cells  # noqa: F401  registers PlanLSTMCell for deserialization

    # deepcopy: deserialize_keras_object consumes the nested dicts it is given
    return keras.saving.deserialize_keras_object(copy.deepcopy(dict(config)), safe_mode=True)


@dataclass(frozen=True)
class Manifest:
    """What a trained model takes and gives (``manifest.json``): the one source for everything downstream.

    ``columns``: each part's input columns in order, target first (features.json); ``scalers``: how each
    part's inputs and outputs are scaled (fitted on training windows only); ``weights``: each part's
    weights file (one ``global.weights.h5`` for every part when ``scope`` is global).
    """

    model: str
    scope: Literal["global", "per_part"]
    lookback: int
    delays: tuple[int, ...]
    columns: dict[str, list[str]]
    scalers: Scalers
    weights: dict[str, str]
    target: Literal["level", "residual"] = "level"
    context: tuple[str, ...] = ()  # the second input's feature sets (TabularRows.network_context); () = none
    max_horizon: int = 0  # plan horizons the context's vintages reach (h1 .. h{max_horizon})
    profile_period: int | None = None  # a step series' season for the profile context (train.profile_period)

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "context": list(self.context),
            "max_horizon": self.max_horizon,
            "profile_period": self.profile_period,
            "model": self.model,
            "scope": self.scope,
            "lookback": self.lookback,
            "delays": list(self.delays),
            "columns": self.columns,
            "scalers": self.scalers.to_json(),
            "weights": self.weights,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Manifest:
        return cls(
            model=str(data["model"]),
            scope=data["scope"],
            lookback=int(data["lookback"]),
            delays=tuple(int(d) for d in data["delays"]),
            columns={str(part): [str(c) for c in names] for part, names in data["columns"].items()},
            scalers=Scalers.from_json(data["scalers"]),
            weights={str(part): str(file) for part, file in data["weights"].items()},
            target=data.get("target", "level"),
            context=tuple(str(name) for name in data.get("context", ())),
            max_horizon=int(data.get("max_horizon", 0)),
            profile_period=None if data.get("profile_period") is None else int(data["profile_period"]),
        )

    @property
    def parts(self) -> list[str]:
        return sorted(self.weights)


class Network(Protocol):
    """An engine that runs one trained network on scaled windows (Keras, or ONNX Runtime)."""

    def predict_batch(self, inputs: np.ndarray, context: np.ndarray | None = None) -> np.ndarray:
        """Scaled predictions (windows, outputs) for scaled inputs (windows, lookback, features) and,
        for a network with a second input, its context (windows, width)."""
        ...

    def predict_recursive(
        self,
        window: np.ndarray,
        gain: np.ndarray,
        shift: np.ndarray,
        steps: int,
        history: np.ndarray | None = None,
        residual: bool = False,
    ) -> np.ndarray:
        """(parts, steps) scaled one-step predictions, each fed back as ``gain·ŷ + shift``; a network
        whose second input is the season profile gets it from ``history`` (:func:`season_history`), and
        a ``residual`` one's output is added to it."""
        ...


class KerasNetwork:
    """A Keras model behind the :class:`Network` interface; the recursive loop runs in one ``tf.function``."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self._loops: dict[tuple[bool, bool], Any] = {}

    def predict_batch(self, inputs: np.ndarray, context: np.ndarray | None = None) -> np.ndarray:
        """Scaled predictions (windows, outputs) for scaled inputs (windows, lookback, features) and the
        context (windows, width) of a network with a second input, one call."""
        batch: Any = np.asarray(inputs, dtype=np.float32)
        if context is not None:
            batch = [batch, np.asarray(context, dtype=np.float32)]
        return np.asarray(self.model.predict_on_batch(batch), dtype=np.float64)

    def predict_recursive(
        self,
        window: np.ndarray,
        gain: np.ndarray,
        shift: np.ndarray,
        steps: int,
        history: np.ndarray | None = None,
        residual: bool = False,
    ) -> np.ndarray:
        """Recursive forecast of (parts, lookback, 1) scaled windows -> (parts, steps) scaled targets.

        Each step's output ŷ (target units) enters the window as ``gain·ŷ + shift`` (input units) and the
        oldest row drops out. A network with the season profile as its second input also gets
        ``history`` (parts, seasons, period) of scaled targets (:func:`season_history`): each step reads
        the profile off it (a ``residual`` network's ŷ is its output plus the profile) and appends ŷ.
        The whole loop is one XLA-compiled graph, traced once per model and input shape, so a step costs
        one fused network call and no Python round trip.
        """
        if steps == 0:
            return np.empty((len(window), 0))
        seasonal = history is not None
        key = (seasonal, residual)
        if key not in self._loops:
            self._loops[key] = recursive_graph(self.model, seasonal=seasonal, residual=residual)
        tf = _tensorflow()
        arguments = [tf.constant(window, tf.float32), tf.constant(gain, tf.float32), tf.constant(shift, tf.float32),
                     tf.constant(steps, tf.int32)]  # fmt: skip
        if seasonal:
            arguments.append(tf.constant(history, tf.float32))
        return np.asarray(self._loops[key](*arguments), dtype=np.float64)


def _tensorflow() -> Any:
    from plancast.runtime import import_tensorflow

    return import_tensorflow()[0]


def recursive_graph(model: Any, jit_compile: bool = True, seasonal: bool = False, residual: bool = False) -> Any:
    """The recursive loop of :meth:`KerasNetwork.predict_recursive` as a ``tf.function``.

    Arguments ``(window, gain, shift, steps)`` as tensors, and ``history`` (parts, seasons, period) when
    ``seasonal`` (the network's second input is the season profile; ``residual``: its output corrects
    the profile); returns (parts, steps) scaled targets.
    """
    tf = _tensorflow()

    def profile(history: Any) -> tuple[Any, Any]:
        """The next step's profile (parts, 1), 0 where none is known, and whether one is (parts,): the
        mean of the known values at its phase (column 0)."""
        column = history[:, :, 0]
        known = tf.math.is_finite(column)
        count = tf.reduce_sum(tf.cast(known, tf.float32), axis=1)
        total = tf.reduce_sum(tf.where(known, column, tf.zeros_like(column)), axis=1)
        return tf.where(count > 0, total / tf.maximum(count, 1.0), tf.zeros_like(total))[:, None], count > 0

    def last(window: Any, gain: Any, shift: Any) -> Any:
        """The window's last target value in scaled target units (parts,): the fed-back ``gain·ŷ + shift``
        undone."""
        return tf.math.divide_no_nan(window[:, -1, 0] - shift, gain)

    def pushed(history: Any, predicted: Any) -> Any:
        """``history`` one step on: the oldest value drops out, ŷ comes in as the newest."""
        flat = tf.reshape(history, [tf.shape(history)[0], -1])
        flat = tf.concat([flat[:, 1:], predicted[:, None]], axis=1)
        return tf.reshape(flat, tf.shape(history))

    # XLA fuses the per-step network call and the inner time loop: ~30x faster than the plain graph
    # for LSTM(30) over 30 steps on CPU, for a one-off compile of about a second.
    @tf.function(jit_compile=jit_compile, reduce_retracing=True)
    def loop(window: Any, gain: Any, shift: Any, steps: Any) -> Any:
        outputs = tf.TensorArray(tf.float32, size=steps, element_shape=tf.TensorShape([None]))
        for step in tf.range(steps):
            predicted = model(window, training=False)[:, 0]
            if residual:  # a Python bool: fixed when traced; a plain series' reference is the last value
                predicted = predicted + last(window, gain, shift)
            outputs = outputs.write(step, predicted)
            fed = (predicted * gain + shift)[:, None, None]
            window = tf.concat([window[:, 1:, :], fed], axis=1)
        return tf.transpose(outputs.stack())

    @tf.function(jit_compile=jit_compile, reduce_retracing=True)
    def seasonal_loop(window: Any, gain: Any, shift: Any, steps: Any, history: Any) -> Any:
        outputs = tf.TensorArray(tf.float32, size=steps, element_shape=tf.TensorShape([None]))
        for step in tf.range(steps):
            now, known = profile(history)
            predicted = model([window, now], training=False)[:, 0]
            if residual:  # the profile where one is known, else the last value (reference_forecast)
                predicted = predicted + tf.where(known, now[:, 0], last(window, gain, shift))
            history = pushed(history, predicted)
            outputs = outputs.write(step, predicted)
            fed = (predicted * gain + shift)[:, None, None]
            window = tf.concat([window[:, 1:, :], fed], axis=1)
        return tf.transpose(outputs.stack())

    return seasonal_loop if seasonal else loop


def season_history(targets: np.ndarray, period: int, seasons: int) -> np.ndarray:
    """The recursive forecast's memory for the season profile: (parts, seasons, period) float32.

    ``targets`` (parts, rows): each part's scaled targets up to its last row, oldest first, NaN where
    there is no value. Column ``p`` holds the last ``seasons`` known values at the phase of the ``p``-th
    step after the data, oldest first (NaN-padded on top when fewer are known): column 0 is the next
    step's profile as :func:`plancast.features.vintages.season_profile` computes it, gaps skipped. The
    loop reads column 0 and pushes each forecast in as the newest value of the flat (seasons·period)
    memory: a shift by one makes column 1 the next step's column 0, and the forecast falls in line
    behind its own phase's values.
    """
    targets = np.asarray(targets, np.float64)
    parts, rows = targets.shape
    history = np.full((parts, seasons, period), np.nan)
    for p in range(period):
        same = targets[:, (rows + p) % period :: period][:, ::-1]  # the phase of step rows + p, newest first
        for part in range(parts):
            known = same[part][np.isfinite(same[part])][:seasons][::-1]
            history[part, seasons - len(known) :, p] = known
    return history.astype(np.float32)


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


@dataclass(frozen=True)
class TrainedModel:
    """A trained model: its :class:`Manifest` and a :class:`Network` per part (one shared when global).

    Every method takes all windows at once: a global model runs them in one call, a per-part model one
    call per part.
    """

    manifest: Manifest
    networks: Mapping[str, Network]

    @classmethod
    def of(cls, manifest: Manifest, networks: Mapping[str, Any]) -> TrainedModel:
        """Wrap Keras models (or ready :class:`Network` engines) by part."""
        return cls(manifest, as_networks(networks))

    def _by_network(self, part: np.ndarray, run: Callable[[Network, np.ndarray], np.ndarray]) -> np.ndarray:
        """``run(network, rows)`` (rows, outputs) for the rows of each network, stacked: (windows, outputs)."""
        part = np.asarray(part).astype(str)
        if self.manifest.scope == GLOBAL:
            distinct = {id(network): network for network in self.networks.values()}
            if len(distinct) != 1:
                raise ValueError(f"a global model has one network, got {len(distinct)}")
            return run(next(iter(distinct.values())), np.arange(len(part)))
        chunks = []
        for name, rows in rows_by_part(part).items():
            if name not in self.networks:
                raise KeyError(f"no network for part {name!r} in a per_part model")
            chunks.append((rows, run(self.networks[name], rows)))
        width = chunks[0][1].shape[1] if chunks else 0
        stacked = np.full((len(part), width), np.nan)
        for rows, values in chunks:
            stacked[rows] = values
        return stacked

    def predict_scaled(self, inputs: np.ndarray, part: np.ndarray, context: np.ndarray | None = None) -> np.ndarray:
        """Scaled predictions (windows, delays) for scaled inputs (windows, lookback, features) and, when
        the manifest names a context, its (windows, width) second input."""
        if bool(self.manifest.context) != (context is not None):
            need = f"the context {', '.join(self.manifest.context)}" if self.manifest.context else "no context"
            raise ValueError(f"model {self.manifest.model} takes {need} beside the windows")
        if context is None:
            return self._by_network(part, lambda network, rows: network.predict_batch(inputs[rows]))
        return self._by_network(part, lambda network, rows: network.predict_batch(inputs[rows], context[rows]))

    def to_raw(self, scaled: np.ndarray, part: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
        """Network outputs (windows, delays) in raw units; a residual network's output is added to the
        scaled ``reference`` (windows, delays, raw: :func:`reference_forecast`) first."""
        scalers = self.manifest.scalers
        if self.manifest.target == "residual":
            if reference is None:
                raise ValueError(f"model {self.manifest.model} is residual: its forecast needs the reference")
            scaled = np.asarray(scaled, np.float64) + scalers.targets(reference, part)
        return scalers.unscale_targets(scaled, part)

    def predict(
        self,
        inputs: np.ndarray,
        part: np.ndarray,
        reference: np.ndarray | None = None,
        context: np.ndarray | None = None,
    ) -> np.ndarray:
        """Predictions (windows, delays) in raw units for raw inputs (windows, lookback, features) and, for
        a model with a context, :meth:`~plancast.models.tabular.TabularRows.network_context`'s array."""
        scaled = self.manifest.scalers.inputs(inputs, part).astype(np.float32)
        return self.to_raw(self.predict_scaled(scaled, part, context), part, reference)

    def predict_recursive(
        self, inputs: np.ndarray, part: np.ndarray, steps: int, targets: np.ndarray | None = None
    ) -> np.ndarray:
        """Recursive ``steps``-step forecast (parts, steps) in raw units from raw (parts, lookback, 1) windows.

        A model whose context is the season profile alone (a step series with ``train.profile_period``)
        also needs ``targets`` (parts, rows): each part's raw targets up to its last row, NaN where
        absent; the profile then follows the forecast step by step. Any other context (plans of the target
        days) is unknown for the later steps: ValueError. A residual network corrects the profile where one
        is known, else the window's last value (a plan's later steps are unknown too: params refuse a
        residual recursive forecast on plan data).
        """
        manifest = self.manifest
        seasonal = manifest.context == ("profile",) and manifest.profile_period is not None
        if manifest.context and not seasonal:
            raise ValueError(
                f"model {manifest.model} reads the plans of each target day (context), which a recursive "
                "forecast does not have for its later steps"
            )
        residual = manifest.target == "residual"
        if seasonal and targets is None:
            raise ValueError(
                f"model {manifest.model} reads the season profile: its recursive forecast needs the targets"
            )
        scalers = manifest.scalers
        scaled = scalers.inputs(inputs, part).astype(np.float32)
        gain, shift = scalers.feedback(part)
        history = None
        if seasonal:
            history = season_history(scalers.targets(targets, part), int(manifest.profile_period), PROFILE_WEEKS)
        predicted = self._by_network(
            part,
            lambda network, rows: network.predict_recursive(
                scaled[rows], gain[rows], shift[rows], steps, None if history is None else history[rows], residual
            ),
        )
        return scalers.unscale_targets(predicted, part)


def reference_forecast(plan: np.ndarray, inputs: np.ndarray, profile: np.ndarray | None = None) -> np.ndarray:
    """What a residual network corrects: the latest plan for each target day, else the season profile
    (given for a step series with ``train.profile_period``), else the last value.

    ``plan`` (windows, delays) raw, NaN where the data has no such horizon; ``inputs`` raw (windows,
    lookback, features) with the target as feature 0; ``profile`` (windows, delays) raw, NaN where
    unknown (:meth:`plancast.models.tabular.TabularRows.profile`). Returns (windows, delays).
    """
    plan = np.asarray(plan, np.float64)
    last = np.asarray(inputs, np.float64)[:, -1, :1]
    if profile is not None:
        profile = np.asarray(profile, np.float64)
        last = np.where(np.isfinite(profile), profile, last)
    return np.where(np.isfinite(plan), plan, last)


def residual_splits(splits: Splits, windows: Windows, scalers: Scalers, profile: np.ndarray | None = None) -> Splits:
    """The splits with targets turned into corrections of the reference (:func:`reference_forecast`: the
    latest plan, else the season ``profile`` (windows, delays) raw of all ``windows`` when given, else the
    last value), in the same scaled units: target_s - reference_s. What stage train fits a
    ``train.target: residual`` network on; :meth:`TrainedModel.to_raw` adds the reference back."""

    def corrected(split: Split) -> Split:
        index = split.window
        seasonal = None if profile is None else profile[index]
        reference = reference_forecast(windows.plan[index], windows.inputs[index], seasonal)
        scaled = scalers.targets(reference, windows.part[index]).astype(np.float32)
        return Split(split.inputs, (split.targets - scaled).astype(np.float32), index)

    return Splits(corrected(splits.train), corrected(splits.val), corrected(splits.test))


def save_model(
    model_dir: str | Path,
    manifest: Manifest,
    networks: Mapping[str, keras.Model],
    extra: Callable[[Path], None] | None = None,
) -> Manifest:
    """Write ``networks`` (part -> network; one shared object for scope ``global``) as a model folder.

    The manifest's ``weights`` are filled in here (bounded, collision-free file names per part). All
    networks share one architecture. Only the layer weights are saved (no optimizer state): each
    network is copied into an uncompiled network rebuilt from ``network.json`` first, which also proves
    the written config loads. The folder is assembled beside ``model_dir`` and swapped in, so a failed
    run leaves the old folder intact and no stale weights files survive. ``extra(folder)`` may add
    files (the training record) before the swap. Returns the written manifest.
    """
    if not networks:
        raise ValueError("save_model needs at least one network")
    model_dir = Path(model_dir)
    parts = sorted(networks)
    config = network_config(networks[parts[0]])
    if manifest.scope == GLOBAL:
        files = dict.fromkeys(parts, GLOBAL_WEIGHTS)
    else:
        files = {part: f"{slug}.weights.h5" for part, slug in part_slugs(parts).items()}
    manifest = Manifest(**{**manifest.__dict__, "weights": files})
    with atomic_folder(model_dir) as staging:
        write_json(staging / NETWORK_FILE, config, digits=_EXACT_DIGITS)
        written: set[str] = set()
        for part in parts:
            if files[part] in written:
                continue
            inference = network_from_config(config)
            inference.set_weights(networks[part].get_weights())
            inference.save_weights(staging / files[part])
            written.add(files[part])
        write_json(staging / MANIFEST_FILE, manifest.to_json(), digits=_EXACT_DIGITS)
        if extra is not None:
            extra(staging)
    return manifest


def read_manifest(model_dir: str | Path) -> Manifest:
    """The manifest of a model folder; a missing or unreadable one raises InputDataError naming it."""
    path = Path(model_dir) / MANIFEST_FILE
    try:
        return Manifest.from_json(_read_model_json(path))
    except (KeyError, TypeError, ValueError) as exc:
        raise InputDataError(f"{path}: not a plancast model manifest ({type(exc).__name__}: {exc})") from None


def load_keras_networks(model_dir: str | Path, manifest: Manifest) -> dict[str, keras.Model]:
    """One Keras network per part (the same object for all parts of a global model), for prediction.

    Networks are rebuilt from ``network.json`` in Keras' safe mode and given their weights; they are
    not compiled. A missing weights file raises InputDataError naming it.
    """
    model_dir = Path(model_dir)
    config = _read_model_json(model_dir / NETWORK_FILE)
    networks: dict[str, keras.Model] = {}
    by_file: dict[str, keras.Model] = {}
    for part, file in sorted(manifest.weights.items()):
        if file not in by_file:
            path = model_dir / file
            if not path.is_file():
                raise InputDataError(f"{path}: weights file named in {MANIFEST_FILE} is missing")
            network = network_from_config(config)
            network.load_weights(path)
            by_file[file] = network
        networks[part] = by_file[file]
    return networks


Engine = Literal["keras", "onnx"]


def load_model(model_dir: str | Path, engine: Engine = "keras") -> TrainedModel:
    """A saved model folder as a :class:`TrainedModel` run by Keras or, ``engine="onnx"``, ONNX Runtime.

    ONNX runs the ``<weights>.onnx`` files stage train wrote beside each weights file (Keras' own
    export, :mod:`plancast.models.onnx`), the files the served model holds: no TensorFlow is imported.
    The two engines agree to ~1e-5.
    """
    if engine == "onnx":
        return load_onnx_model(Path(model_dir))
    manifest = read_manifest(model_dir)
    return TrainedModel.of(manifest, load_keras_networks(model_dir, manifest))


def load_onnx_model(model_dir: Path) -> TrainedModel:
    """A network's folder run by ONNX Runtime from its ``<weights>.onnx`` files (no TensorFlow)."""
    from plancast.models.onnx import OnnxNetwork, onnx_file

    manifest = read_manifest(model_dir)
    opened: dict[str, Any] = {}
    for file in sorted(set(manifest.weights.values())):
        path = model_dir / onnx_file(file)
        if not path.is_file():
            raise InputDataError(f"{path}: not found (rerun `dvc repro train@{manifest.model}`)")
        try:
            opened[file] = OnnxNetwork(path)
        except Exception as exc:
            reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
            raise InputDataError(f"{path}: not a readable ONNX model ({reason})") from None
    return TrainedModel.of(manifest, {part: opened[file] for part, file in manifest.weights.items()})


def _read_model_json(path: Path) -> dict[str, Any]:
    try:
        return read_json(path)
    except FileNotFoundError:
        raise InputDataError(f"{path}: not found (train the model first: dvc repro train)") from None
    except ValueError as exc:
        raise InputDataError(f"{path}: not valid JSON ({exc})") from None
