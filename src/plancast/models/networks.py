"""Networks: from a ``models.<name>`` params entry to a compiled Keras network, and its config to and
from JSON (what :mod:`plancast.models.store` writes as ``network.json`` and reads back).

Importing this module imports no TensorFlow; the functions do, through :mod:`plancast.runtime`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import keras

    from plancast.params_sections import LayerSpec, ModelSpec


def build_network(
    spec: ModelSpec,
    lookback: int,
    features: int,
    outputs: int,
    name: str = "network",
    context: int = 0,
    missing_targets: bool = False,
) -> keras.Model:
    """Compile ``Input (lookback, features) -> spec.layers -> [Dense(relu) per spec.head] -> Dense(outputs)``.

    Maps a batch ``(windows, lookback, features)`` to ``(windows, outputs)``, one output per delay.
    With ``context`` > 0 a second input ``context`` (windows, context), the plan vintages of each target
    day with their flags and calendar (:meth:`plancast.models.tabular.TabularRows.network_context`), is
    concatenated to the last recurrent layer's output before the head: the head reads both the
    window's summary and every plan made for the target days. Layers are named ``<type>_<index>`` and
    the head ``head``, so the saved config is the same however many networks the process built before.
    Weights are drawn from Keras' global seed: seed first (``plancast.runtime.import_tensorflow(seed)``)
    for reproducible initial weights. With ``missing_targets`` the loss leaves NaN targets out
    (:func:`masked_loss`); without, it is Keras' own by name.
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
    # 32 steps per call into the graph: a third less CPU per epoch at small batches (docs/decisions.md),
    # the same weights (steps are still taken one by one)
    network.compile(
        optimizer=optimizers[spec.optimizer](learning_rate=spec.learning_rate),
        loss=masked_loss(losses[spec.loss]) if missing_targets else losses[spec.loss],
        steps_per_execution=32,
    )
    return network


def masked_loss(loss: str) -> Callable[[Any, Any], Any]:
    """Keras loss ``loss`` (a name, e.g. ``mean_absolute_error``) over the known targets only.

    A NaN target (a (window, delay) pair without an actual) is replaced by the prediction, without its
    gradient, so the pair adds zero error and pulls no weight; the batch mean still divides by every
    pair, so each known pair counts as much as it would in a batch without gaps, and with no NaN target
    the loss is ``loss`` itself. Early stopping's validation loss is masked alike (the same compiled loss).
    """
    from plancast.runtime import import_tensorflow

    _, keras = import_tensorflow()
    ops = keras.ops
    base = keras.losses.get(loss)

    def masked(y_true: Any, y_pred: Any) -> Any:
        return base(ops.where(ops.isnan(y_true), ops.stop_gradient(y_pred), y_true), y_pred)

    masked.__name__ = f"masked_{loss}"
    return masked


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
    from plancast.models.cells import PlanLSTM

    return PlanLSTM(layer.units, **options)


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
