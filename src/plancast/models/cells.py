"""Our hand-written LSTM (Seed B wrote its LSTM out by hand; so do we), as Keras 3 layers.

:class:`PlanLSTMCell` is one time step, gate by gate; :class:`PlanLSTM` runs it over a window. The
gate math lives here, not in ``keras.layers.LSTM``: the weights have Keras' layout (gates in the order
input, forget, cell, output), so weights copy either way and the parity test can compare the two.
Only public Keras names are used. Importing this module imports TensorFlow (through
:mod:`plancast.runtime`).
"""

from __future__ import annotations

import inspect
from typing import Any

from plancast.runtime import import_tensorflow

_, keras = import_tensorflow()

ops = keras.ops


def _check_arguments(units: int, dropout: float, recurrent_dropout: float) -> None:
    if int(units) < 1:
        raise ValueError(f"units must be a positive integer, got {units}")
    for label, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"{label} must be in [0, 1), got {rate}")


@keras.saving.register_keras_serializable(package="plancast")
class PlanLSTMCell(keras.layers.Layer):
    """One time step of a long short-term memory network, written out gate by gate.

    With ``z = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias`` split into four blocks of ``units``
    columns, ``i, f, o = recurrent_activation(z_i, z_f, z_o)``, ``g = activation(z_c)``,
    ``c_t = f * c_{t-1} + i * g`` and ``h_t = o * activation(c_t)``.

    :class:`PlanLSTM` runs it over the lookback, drawing the dropout masks once per sequence.
    ``keras.layers.RNN`` can run it too, but has no public way to draw masks once per sequence: there,
    in training, each step draws its own.

    Args:
        units: Positive integer, dimensionality of the hidden state ``h`` and the carry ``c``.
        activation: Activation of the candidate ``g`` and of the output ``h``. Default: ``"tanh"``.
        recurrent_activation: Activation of the input, forget and output gates. Default: ``"sigmoid"``.
        dropout: Float in ``[0, 1)``, fraction of the input features dropped in training, one mask
            shared by the four gates.
        recurrent_dropout: Float in ``[0, 1)``, fraction of ``h_{t-1}`` dropped in training, one mask
            shared by the four gates. The carry ``c`` is never dropped.
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
        states: List ``[h, c]`` of two 2D tensors ``(batch, units)`` from the previous step
            (``get_initial_state`` gives the zeros to start from).
        training: Python boolean; dropout is applied only when true.
        dropout_masks: ``(input_mask, recurrent_mask)`` from :meth:`dropout_masks`, to apply the same
            masks at every step of a sequence; ``None`` draws them for this call.

    Returns:
        ``(h, [h, c])``: the output ``(batch, units)`` and the new states.

    Example:

    >>> import numpy as np
    >>> cell = PlanLSTMCell(3)
    >>> h, c = cell.get_initial_state(batch_size=2)
    >>> output, (h, c) = cell(np.ones((2, 4), "float32"), [h, c])
    >>> tuple(output.shape), tuple(c.shape)
    ((2, 3), (2, 3))
    >>> [tuple(w.shape) for w in (cell.kernel, cell.recurrent_kernel, cell.bias)]
    [(4, 12), (3, 12), (12,)]
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        _check_arguments(units, dropout, recurrent_dropout)
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

    def get_initial_state(self, batch_size: Any) -> list[Any]:
        """Zeros ``[h, c]``, each ``(batch_size, units)``: the states before the first step."""
        return [ops.zeros((batch_size, size), dtype=self.compute_dtype) for size in self.state_size]

    def dropout_masks(self, inputs: Any, training: bool = False) -> tuple[Any, Any]:
        """``(input_mask, recurrent_mask)`` for a batch of sequences whose steps look like ``inputs``.

        ``inputs`` is one step ``(batch, input_dim)``. Each mask holds 0 (dropped) or
        ``1 / (1 - rate)`` (kept); it is ``None`` outside training or when its rate is 0.
        """
        if not training:
            return None, None
        batch = ops.shape(inputs)[0]
        masks = []
        for rate, width in ((self.dropout, ops.shape(inputs)[-1]), (self.recurrent_dropout, self.units)):
            ones = ops.ones((batch, width), dtype=self.compute_dtype)
            masks.append(keras.random.dropout(ones, rate, seed=self.seed_generator) if rate > 0.0 else None)
        return masks[0], masks[1]

    def call(
        self, inputs: Any, states: list[Any], training: bool = False, dropout_masks: tuple[Any, Any] | None = None
    ) -> tuple[Any, list[Any]]:
        h_prev, c_prev = states[0], states[1]
        input_mask, recurrent_mask = dropout_masks or self.dropout_masks(inputs, training)
        if input_mask is not None:
            inputs = inputs * input_mask
        if recurrent_mask is not None:
            h_prev = h_prev * recurrent_mask
        z = ops.matmul(inputs, self.kernel)
        z = ops.add(z, ops.matmul(h_prev, self.recurrent_kernel))
        z = ops.add(z, self.bias)
        h, c = self.gates(z, c_prev)
        return h, [h, c]

    def gates(self, z: Any, c_prev: Any) -> tuple[Any, Any]:
        """``(h, c)`` of one step from ``z = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias`` (batch, 4 * units).

        ``c_prev=None`` stands for a zero carry (the first step): ``c = i * g`` with no forget gate,
        the same numbers as ``f * 0 + i * g`` in fewer ops.
        """
        z_input, z_forget, z_cell, z_output = ops.split(z, 4, axis=-1)
        input_gate = self.recurrent_activation(z_input)
        output_gate = self.recurrent_activation(z_output)
        c = input_gate * self.activation(z_cell)
        if c_prev is not None:
            c = self.recurrent_activation(z_forget) * c_prev + c
        h = output_gate * self.activation(c)
        return h, c

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


# The cell's arguments besides ``units`` (activation, dropout, ..., seed): PlanLSTM hands them to its cell.
_CELL_OPTIONS = tuple(
    name
    for name, parameter in inspect.signature(PlanLSTMCell).parameters.items()
    if name != "units" and parameter.kind is parameter.POSITIONAL_OR_KEYWORD
)


@keras.saving.register_keras_serializable(package="plancast")
class PlanLSTM(keras.layers.Layer):
    """The hand-written LSTM over a whole window: :class:`PlanLSTMCell` unrolled over the lookback.

    Input ``(windows, lookback, features)`` with a fixed lookback; output ``(windows, lookback, units)``
    with ``return_sequences``, else the last step's ``(windows, units)``. The states start at zero
    (the first step skips the terms that multiply them). In training the dropout masks are drawn once
    per call, so a window loses the same input features (and the same entries of ``h``) at every step.
    Each step computes ``z`` as :meth:`PlanLSTMCell.call` does, one ``(windows, features)`` matmul per
    step as Keras' LSTM does: one matmul over all ``windows * lookback`` rows would have a kernel
    gradient summed over that many rows, in blocks sized by the CPU's cache and thread count, so the
    trained weights would differ in their last bits from one machine to another.

    Args:
        units: as :class:`PlanLSTMCell`, which this layer holds as ``cell``.
        return_sequences: Boolean, return every step's ``h`` rather than the last. Default: ``False``.
        **kwargs: the cell's other arguments (``activation``, ``dropout``, ..., ``seed``, by keyword),
            and a layer's own (``name``, ``dtype``, ...).

    Example:

    >>> import numpy as np
    >>> layer = PlanLSTM(8, activation="relu", dropout=0.2, return_sequences=True, name="hand")
    >>> tuple(layer(np.zeros((2, 10, 4), "float32")).shape)
    (2, 10, 8)
    >>> layer.cell.name, tuple(layer.cell.kernel.shape)
    ('hand_cell', (4, 32))
    """

    def __init__(self, units: int, *, return_sequences: bool = False, **kwargs: Any) -> None:
        options = {name: kwargs.pop(name) for name in _CELL_OPTIONS if name in kwargs}
        super().__init__(**kwargs)
        # The cell's name follows the layer's, so saved configs do not depend on how many layers a
        # process made before.
        self.cell = PlanLSTMCell(units, **options, name=f"{self.name}_cell", dtype=self.dtype_policy)
        self.return_sequences = bool(return_sequences)
        self.input_spec = keras.layers.InputSpec(ndim=3)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        if input_shape[1] is None or input_shape[1] < 1:
            raise ValueError(f"{self.name}: PlanLSTM unrolls over the lookback and needs it fixed, got {input_shape}")
        self.cell.build((input_shape[0], input_shape[-1]))

    def call(self, sequences: Any, training: bool = False) -> Any:
        cell = self.cell
        input_mask, recurrent_mask = cell.dropout_masks(sequences[:, 0, :], training)
        if input_mask is not None:
            sequences = sequences * ops.expand_dims(input_mask, 1)
        outputs = []
        # The states start at zero: the first step has no h_{t-1} @ recurrent_kernel (a zero matmul) and no
        # forget gate (it would multiply a zero carry), so it skips both; the numbers are the same.
        h = c = None
        for x_step in ops.unstack(sequences, axis=1):
            z = ops.matmul(x_step, cell.kernel)
            if h is not None:
                h_prev = h if recurrent_mask is None else h * recurrent_mask
                z = ops.add(z, ops.matmul(h_prev, cell.recurrent_kernel))
            h, c = cell.gates(ops.add(z, cell.bias), c)
            outputs.append(h)
        return ops.stack(outputs, axis=1) if self.return_sequences else h

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        if self.return_sequences:
            return (input_shape[0], input_shape[1], self.cell.units)
        return (input_shape[0], self.cell.units)

    def get_config(self) -> dict[str, Any]:
        cell = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell.pop(key, None)
        return {**super().get_config(), **cell, "return_sequences": self.return_sequences}
