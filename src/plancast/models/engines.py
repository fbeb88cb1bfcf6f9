"""Engines: one trained network behind one call, ``predict_batch`` (Keras, or ONNX Runtime in
:mod:`plancast.models.onnx`), the recursive forecast written once above it, and the gap channel a
network reads missing days by (:func:`with_gap_channel`).

:func:`step_by_step` feeds each forecast back into the window, follows the season profile and adds a
residual network's reference, in numpy over ``predict_batch``: any engine runs it. Keras also offers
the same loop as one XLA-compiled graph (:meth:`KerasNetwork.predict_recursive`, ~30x faster than a
plain graph), which :func:`recursive_forecast` takes when an engine has it. Importing this module
imports no TensorFlow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np


class Network(Protocol):
    """An engine that runs one trained network on scaled windows (Keras, or ONNX Runtime)."""

    def predict_batch(self, inputs: np.ndarray, context: np.ndarray | None = None) -> np.ndarray:
        """Scaled predictions (windows, outputs) for scaled inputs (windows, lookback, features) and,
        for a network with a second input, its context (windows, width)."""
        ...


def with_gap_channel(inputs: np.ndarray) -> np.ndarray:
    """What a network with a gap channel reads (manifest ``gap_channel``): scaled ``inputs`` (windows,
    lookback, features), NaN on missing days, as (windows, lookback, features + 1): every unknown value
    set to 0 and one more feature, 1 where the step's inputs are all known, 0 where any is missing.

    Example: ``with_gap_channel([[[0.5], [nan]]])`` is ``[[[0.5, 1.0], [0.0, 0.0]]]``.
    """
    inputs = np.asarray(inputs)
    known = np.isfinite(inputs)
    present = known.all(axis=-1, keepdims=True)
    return np.concatenate([np.where(known, inputs, 0), present], axis=-1, dtype=inputs.dtype)


def last_known(values: np.ndarray) -> np.ndarray:
    """The latest finite value of each row of ``values`` (rows, steps), oldest first: (rows,), NaN where
    a row has none (a window's last known target when its last days are missing)."""
    values = np.asarray(values)
    known = np.isfinite(values)
    newest = values.shape[1] - 1 - np.argmax(known[:, ::-1], axis=1)
    return np.where(known.any(axis=1), values[np.arange(len(values)), newest], np.nan)


@dataclass(frozen=True)
class Recursion:
    """A recursive forecast's inputs: (parts, lookback, 1) scaled windows -> (parts, steps) scaled targets.

    :func:`step_by_step` and :meth:`KerasNetwork.predict_recursive` run it alike. Each step's output ŷ
    (target units) enters the ``window`` as ``gain·ŷ + shift`` (input units; both (parts,)) and the
    oldest row drops out. A network with the season profile as its second input reads it off
    ``history`` (parts, seasons, period) of scaled targets (:func:`season_history`), which takes ŷ in as
    its newest value; a ``residual`` network's ŷ is its output plus the profile where one is known, else
    plus the window's last known value (the reference of a series without plans,
    :func:`plancast.models.trained.reference_forecast`). A ``gap_channel`` network reads the window, NaN
    on missing days, through :func:`with_gap_channel`; each ŷ fed back is a known day.
    """

    window: np.ndarray
    gain: np.ndarray
    shift: np.ndarray
    steps: int
    history: np.ndarray | None = None
    residual: bool = False
    gap_channel: bool = False


def recursive_forecast(network: Network, recursion: Recursion) -> np.ndarray:
    """(parts, steps) scaled one-step forecasts, each fed back (:func:`step_by_step`); through the
    engine's own compiled loop when it has one (``predict_recursive``: Keras' XLA graph)."""
    fast = getattr(network, "predict_recursive", None)
    if fast is not None:
        return fast(recursion)
    return step_by_step(network, recursion)


def step_by_step(network: Network, recursion: Recursion) -> np.ndarray:
    """The :class:`Recursion` in numpy, in float32 as in Keras' graph: one ``predict_batch`` per step."""
    window = np.array(recursion.window, dtype=np.float32)
    gain, shift = np.asarray(recursion.gain, dtype=np.float32), np.asarray(recursion.shift, dtype=np.float32)
    steps, history = recursion.steps, recursion.history
    flat = None if history is None else np.array(history, np.float32).reshape(len(window), -1)
    period = 0 if history is None else np.shape(history)[2]
    predictions = np.empty((len(window), steps), dtype=np.float32)
    for step in range(steps):
        context, known = None, np.zeros(len(window), bool)
        if flat is not None:
            column = flat[:, ::period]
            finite = np.isfinite(column)
            count = finite.sum(axis=1).astype(np.float32)
            known = count > 0
            total = np.where(finite, column, np.float32(0)).sum(axis=1, dtype=np.float32)
            context = np.where(count > 0, total / np.maximum(count, 1), 0).astype(np.float32)[:, None]
        batch = with_gap_channel(window) if recursion.gap_channel else window
        predicted = network.predict_batch(batch, context)[:, 0].astype(np.float32)
        if recursion.residual:  # the profile where one is known, else the last known value (reference_forecast)
            with np.errstate(divide="ignore", invalid="ignore"):
                newest = last_known(window[:, :, 0])
                last = np.where(gain != 0, (newest - shift) / gain, np.float32(0)).astype(np.float32)
            predicted = predicted + (last if context is None else np.where(known, context[:, 0], last))
        predictions[:, step] = predicted
        window[:, :-1] = window[:, 1:]
        window[:, -1, 0] = predicted * gain + shift
        if flat is not None:
            flat[:, :-1] = flat[:, 1:]
            flat[:, -1] = predicted
    return predictions.astype(np.float64)


class KerasNetwork:
    """A Keras model behind the :class:`Network` interface, with the recursive loop as one XLA-compiled
    ``tf.function`` (:meth:`predict_recursive`, the fast path of :func:`recursive_forecast`)."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self._loops: dict[tuple[bool, bool, bool], Any] = {}

    def predict_batch(self, inputs: np.ndarray, context: np.ndarray | None = None) -> np.ndarray:
        """Scaled predictions (windows, outputs) for scaled inputs (windows, lookback, features) and the
        context (windows, width) of a network with a second input, one call."""
        batch: Any = np.asarray(inputs, dtype=np.float32)
        if context is not None:
            batch = [batch, np.asarray(context, dtype=np.float32)]
        return np.asarray(self.model.predict_on_batch(batch), dtype=np.float64)

    def predict_recursive(self, recursion: Recursion) -> np.ndarray:
        """:func:`step_by_step`'s loop over the :class:`Recursion` as one XLA-compiled graph, traced once
        per model and input shape, so a step costs one fused network call and no Python round trip."""
        if recursion.steps == 0:
            return np.empty((len(recursion.window), 0))
        seasonal = recursion.history is not None
        key = (seasonal, recursion.residual, recursion.gap_channel)
        if key not in self._loops:
            self._loops[key] = recursive_graph(
                self.model, seasonal=seasonal, residual=recursion.residual, gap_channel=recursion.gap_channel
            )
        tf = _tensorflow()
        arguments = [tf.constant(recursion.window, tf.float32), tf.constant(recursion.gain, tf.float32),
                     tf.constant(recursion.shift, tf.float32), tf.constant(recursion.steps, tf.int32)]  # fmt: skip
        if seasonal:
            arguments.append(tf.constant(recursion.history, tf.float32))
        return np.asarray(self._loops[key](*arguments), dtype=np.float64)


def _tensorflow() -> Any:
    from plancast.runtime import import_tensorflow

    return import_tensorflow()[0]


def recursive_graph(
    model: Any, jit_compile: bool = True, seasonal: bool = False, residual: bool = False, gap_channel: bool = False
) -> Any:
    """The recursive loop of :meth:`KerasNetwork.predict_recursive` as a ``tf.function``.

    Arguments ``(window, gain, shift, steps)`` as tensors, and ``history`` (parts, seasons, period) when
    ``seasonal`` (the network's second input is the season profile; ``residual``: its output corrects
    the profile; ``gap_channel``: the network reads :func:`with_gap_channel` of the window); returns
    (parts, steps) scaled targets.
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
        """The window's last known target value in scaled target units (parts,): the fed-back
        ``gain·ŷ + shift`` undone (:func:`last_known`; only a gap-channel window has missing days)."""
        newest = window[:, -1, 0]
        if gap_channel:  # a Python bool: fixed when traced
            values = window[:, :, 0]
            known = tf.math.is_finite(values)
            step = tf.reduce_max(tf.where(known, tf.range(tf.shape(values)[1])[None, :], -1), axis=1)
            found = tf.gather(values, tf.maximum(step, 0), axis=1, batch_dims=1)
            newest = tf.where(step >= 0, found, tf.fill(tf.shape(found), float("nan")))
        return tf.math.divide_no_nan(newest - shift, gain)

    def read(window: Any) -> Any:
        """The network's view of the window: :func:`with_gap_channel` of it for a gap-channel network."""
        if not gap_channel:
            return window
        known = tf.math.is_finite(window)
        present = tf.cast(tf.reduce_all(known, axis=-1, keepdims=True), window.dtype)
        return tf.concat([tf.where(known, window, tf.zeros_like(window)), present], axis=-1)

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
            predicted = model(read(window), training=False)[:, 0]
            if residual:  # a Python bool: fixed when traced; a plain series' reference is the last known value
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
            predicted = model([read(window), now], training=False)[:, 0]
            if residual:  # the profile where one is known, else the last known value (reference_forecast)
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
