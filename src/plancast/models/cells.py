"""Our hand-written LSTM cell (Seed B wrote its LSTM out by hand; so do we), as a Keras 3 layer.

The gate math lives here, not in ``keras.layers.LSTM``: the weights have Keras' layout (gates in the
order input, forget, cell, output), so weights copy either way and the parity test can compare the two.
Importing this module imports TensorFlow (through :mod:`plancast.runtime`).
"""

from __future__ import annotations

from typing import Any

from plancast.runtime import import_tensorflow

_, keras = import_tensorflow()

# Keras' RNN layer draws a cell's dropout masks once per sequence, before its time loop, only for cells
# that carry this mixin (an isinstance check in keras/src/layers/rnn/rnn.py); it holds no gate math.
from keras.src.layers.rnn.dropout_rnn_cell import DropoutRNNCell  # noqa: E402

ops = keras.ops


@keras.saving.register_keras_serializable(package="plancast")
class PlanLSTMCell(keras.layers.Layer, DropoutRNNCell):
    """One time step of a long short-term memory network, written out gate by gate.

    With ``z = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias`` split into four blocks of ``units``
    columns, ``i, f, o = recurrent_activation(z_i, z_f, z_o)``, ``g = activation(z_c)``,
    ``c_t = f * c_{t-1} + i * g`` and ``h_t = o * activation(c_t)``.

    Use it inside ``keras.layers.RNN`` (or :func:`hand_lstm_layer`), which runs it over the lookback.

    Args:
        units: Positive integer, dimensionality of the hidden state ``h`` and the carry ``c``.
        activation: Activation of the candidate ``g`` and of the output ``h``. Default: ``"tanh"``.
        recurrent_activation: Activation of the input, forget and output gates. Default: ``"sigmoid"``.
        dropout: Float in ``[0, 1)``, fraction of the input features dropped in training. One mask per
            sequence (the same features are dropped at every time step), shared by the four gates.
        recurrent_dropout: Float in ``[0, 1)``, fraction of ``h_{t-1}`` dropped in training, with one
            mask per sequence shared by the four gates. The carry ``c`` is never dropped.
        kernel_initializer: Initializer of ``kernel``. Default: ``"glorot_uniform"`` (as Keras' LSTM).
        recurrent_initializer: Initializer of ``recurrent_kernel``. Default: ``"orthogonal"``.
        seed: Integer seed of the dropout masks; ``None`` draws one from Keras' global seed.

    Weights (created by ``build``):
        kernel: ``(input_dim, 4 * units)``, input to gates, columns ordered input, forget, cell, output.
        recurrent_kernel: ``(units, 4 * units)``, previous ``h`` to gates, same column order.
        bias: ``(4 * units,)``, zeros except the forget gate's block, which starts at 1 so that the
            carry is kept early in training (Jozefowicz et al., 2015).

    Call arguments:
        inputs: A 2D tensor ``(batch, input_dim)``, one time step.
        states: List ``[h, c]`` of two 2D tensors ``(batch, units)`` from the previous step.
        training: Python boolean; dropout is applied only when true.

    Returns:
        ``(h, [h, c])``: the output ``(batch, units)`` and the new states.
    """

    def __init__(
        self,
        units: int,
        activation: str = "tanh",
        recurrent_activation: str = "sigmoid",
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        if int(units) < 1:
            raise ValueError(f"units must be a positive integer, got {units}")
        for label, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not 0.0 <= rate < 1.0:
                raise ValueError(f"{label} must be in [0, 1), got {rate}")
        super().__init__(**kwargs)
        self.units = int(units)
        self.activation = keras.activations.get(activation)
        self.recurrent_activation = keras.activations.get(recurrent_activation)
        self.dropout = float(dropout)
        self.recurrent_dropout = float(recurrent_dropout)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed=seed)
        self.state_size = [self.units, self.units]
        self.output_size = self.units

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        units = self.units

        def bias_initializer(shape: tuple[int, ...], dtype: Any = None) -> Any:
            return ops.concatenate(
                [ops.zeros((units,), dtype), ops.ones((units,), dtype), ops.zeros((2 * units,), dtype)]
            )

        self.kernel = self.add_weight(
            shape=(input_shape[-1], 4 * units), name="kernel", initializer=self.kernel_initializer
        )
        self.recurrent_kernel = self.add_weight(
            shape=(units, 4 * units), name="recurrent_kernel", initializer=self.recurrent_initializer
        )
        self.bias = self.add_weight(shape=(4 * units,), name="bias", initializer=bias_initializer)
        super().build(input_shape)

    def call(self, inputs: Any, states: list[Any], training: bool = False) -> tuple[Any, list[Any]]:
        h_prev, c_prev = states[0], states[1]
        if training and self.dropout > 0.0:
            inputs = inputs * self.get_dropout_mask(inputs)
        if training and self.recurrent_dropout > 0.0:
            h_prev = h_prev * self.get_recurrent_dropout_mask(h_prev)

        z = ops.matmul(inputs, self.kernel)
        z = ops.add(z, ops.matmul(h_prev, self.recurrent_kernel))
        z = ops.add(z, self.bias)
        z_input, z_forget, z_cell, z_output = ops.split(z, 4, axis=-1)

        input_gate = self.recurrent_activation(z_input)
        forget_gate = self.recurrent_activation(z_forget)
        output_gate = self.recurrent_activation(z_output)
        c = forget_gate * c_prev + input_gate * self.activation(z_cell)
        h = output_gate * self.activation(c)
        return h, [h, c]

    def get_config(self) -> dict[str, Any]:
        config = {
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "recurrent_activation": keras.activations.serialize(self.recurrent_activation),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": keras.initializers.serialize(self.recurrent_initializer),
            "seed": self.seed,
        }
        return {**super().get_config(), **config}


def hand_lstm_layer(
    units: int,
    activation: str = "tanh",
    recurrent_activation: str = "sigmoid",
    dropout: float = 0.0,
    recurrent_dropout: float = 0.0,
    return_sequences: bool = False,
    name: str | None = None,
) -> Any:
    """``keras.layers.RNN(PlanLSTMCell(...))``: the hand-written LSTM over a whole window.

    Input ``(windows, lookback, features)``; output ``(windows, lookback, units)`` with
    ``return_sequences``, else the last step's ``(windows, units)``. ``name`` names the layer and,
    with a ``_cell`` suffix, its cell, so saved configs do not depend on how many layers a process made.
    """
    cell = PlanLSTMCell(
        units,
        activation=activation,
        recurrent_activation=recurrent_activation,
        dropout=dropout,
        recurrent_dropout=recurrent_dropout,
        name=None if name is None else f"{name}_cell",
    )
    return keras.layers.RNN(cell, return_sequences=return_sequences, name=name)
