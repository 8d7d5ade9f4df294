"""Layer kinds: one class per Keras layer type, the single source of truth about it.

Each kind declares, once:

* its Keras identity (class name and the base of its automatic layer name),
* the positional fields and flags its spec takes (the parser reads these),
* its output shape for a given input shape,
* its weights, named, shaped and ordered as Keras's ``get_weights()`` returns
  them (or as PyTorch's ``parameters()`` under the torch convention).

The parameter count of a layer is the sum of its weight sizes, as in Keras's
``count_params()``; the forward pass allocates exactly these shapes, so the count
and the computation cannot drift apart. Pure Python, exact integers.
"""

from __future__ import annotations

import math
from typing import ClassVar

from .values import Value

Shape = tuple  # of int | None; the first entry is the batch dimension

CONVENTIONS = ("keras", "torch")

# Activation names Keras 3 accepts that have a closed form and keep the shape of
# their input (glu halves the last axis; threshold needs arguments).
ACTIVATIONS = frozenset(
    {
        "celu", "elu", "exponential", "gelu", "hard_shrink", "hard_sigmoid",
        "hard_silu", "hard_swish", "hard_tanh", "leaky_relu", "linear",
        "log_sigmoid", "log_softmax", "mish", "relu", "relu6", "selu",
        "sigmoid", "silu", "soft_shrink", "softmax", "softplus", "softsign",
        "sparse_plus", "sparse_sigmoid", "squareplus", "swish", "tanh",
        "tanh_shrink",
    }
)  # fmt: skip


class Weight(Value):
    """One weight array: its Keras (or PyTorch) name and shape."""

    def __init__(self, name: str, shape: tuple[int, ...]):
        self.name, self.shape = name, shape

    @property
    def size(self) -> int:
        return math.prod(self.shape)


class Field(Value):
    """A positional number of a spec: ``units`` in ``simple:3``."""

    def __init__(self, argument: str, label: str, type: str):
        self.argument = argument  # the constructor argument it sets
        self.label = label  # what error messages call it
        self.type = type  # "count" (a whole number >= 1) or "rate" (0 <= r < 1)


class Layer(Value):
    """What every kind provides; see the module docstring."""

    keras_type: ClassVar[str]  # Keras class name, shown as "name (Type)"
    keras_name: ClassVar[str]  # base of Keras's automatic name: "simple_rnn"
    positional: ClassVar[tuple[Field, ...]] = ()  # the numbers after the kind word
    flags: ClassVar[frozenset[str]] = frozenset()
    required_rank: ClassVar[int | None] = None  # rank of the input, batch included
    first_only: ClassVar[bool] = False

    def output_shape(self, input_shape: Shape) -> Shape:
        raise NotImplementedError

    def weights(self, input_shape: Shape, convention: str = "keras") -> list[Weight]:
        raise NotImplementedError

    def auto_names(self) -> tuple[str, ...]:
        """Name bases Keras's per-type counters consume when this layer is built,
        in order; the layer's own name comes last."""
        return (self.keras_name,)


class Recurrent(Layer):
    """A Keras RNN layer over one cell whose weights stack ``gates`` blocks."""

    def __init__(self, units: int, return_sequences: bool = False, go_backwards: bool = False,
                 activation: str = "tanh", use_bias: bool = True):  # fmt: skip
        self.units, self.return_sequences, self.go_backwards = units, return_sequences, go_backwards
        self.activation, self.use_bias = activation, use_bias

    gates: ClassVar[int]
    positional = (Field("units", "units", "count"),)
    flags = frozenset({"seq", "back", "act", "nobias"})
    required_rank = 3

    def output_shape(self, input_shape: Shape) -> Shape:
        batch, timesteps, _features = input_shape
        if self.return_sequences:
            return (batch, timesteps, self.units)
        return (batch, self.units)

    def weights(self, input_shape: Shape, convention: str = "keras") -> list[Weight]:
        features, units, width = input_shape[-1], self.units, self.gates * self.units
        if convention == "torch":
            # torch.nn.RNN/LSTM/GRU: transposed kernels and two bias vectors.
            weights = [Weight("weight_ih_l0", (width, features)),
                       Weight("weight_hh_l0", (width, units))]  # fmt: skip
            if self.use_bias:
                weights += [Weight("bias_ih_l0", (width,)), Weight("bias_hh_l0", (width,))]
            return weights
        weights = [Weight("kernel", (features, width)), Weight("recurrent_kernel", (units, width))]
        if self.use_bias:
            weights.append(Weight("bias", self.bias_shape()))
        return weights

    def bias_shape(self) -> tuple[int, ...]:
        return (self.gates * self.units,)


class SimpleRNN(Recurrent):
    keras_type = "SimpleRNN"
    keras_name = "simple_rnn"
    gates = 1


class LSTM(Recurrent):
    """Gates i, f, c, o stacked along the last axis of each weight."""

    keras_type = "LSTM"
    keras_name = "lstm"
    gates = 4


class GRU(Recurrent):
    """Gates z, r, h. With ``reset_after`` (the Keras default) the input and the
    recurrent projections each get their own bias, stacked as a (2, 3U) array."""

    def __init__(self, units: int, return_sequences: bool = False, go_backwards: bool = False,
                 activation: str = "tanh", use_bias: bool = True, reset_after: bool = True):  # fmt: skip
        super().__init__(units, return_sequences, go_backwards, activation, use_bias)
        self.reset_after = reset_after

    keras_type = "GRU"
    keras_name = "gru"
    gates = 3
    flags = Recurrent.flags | {"reset_after"}

    def bias_shape(self) -> tuple[int, ...]:
        if self.reset_after:
            return (2, 3 * self.units)
        return (3 * self.units,)


class Bidirectional(Layer):
    """Keras's Bidirectional wrapper around any recurrent kind: a forward copy and
    a backward copy of ``layer``, their outputs merged by ``merge_mode``."""

    def __init__(self, layer: Recurrent, merge_mode: str = "concat"):
        self.layer, self.merge_mode = layer, merge_mode

    keras_type = "Bidirectional"
    keras_name = "bidirectional"
    flags = frozenset({"merge"})
    required_rank = 3
    MERGE_MODES: ClassVar[tuple[str, ...]] = ("concat", "sum", "mul", "ave")

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = self.layer.output_shape(input_shape)
        if self.merge_mode == "concat":
            return shape[:-1] + (2 * shape[-1],)
        return shape

    def weights(self, input_shape: Shape, convention: str = "keras") -> list[Weight]:
        one_direction = self.layer.weights(input_shape, convention)
        if convention == "torch":
            # torch's bidirectional=True names the backward copies "..._reverse".
            return one_direction + [Weight(w.name + "_reverse", w.shape) for w in one_direction]
        return [Weight(f"{direction}/{w.name}", w.shape)
                for direction in ("forward", "backward") for w in one_direction]  # fmt: skip

    def auto_names(self) -> tuple[str, ...]:
        # Keras builds the wrapped layer first, so it takes a name of its own
        # type: after 'bi:8', the next 'simple' layer is 'simple_rnn_1'.
        return self.layer.auto_names() + (self.keras_name,)


class Dense(Layer):
    """Acts on the last axis, so a 3D input stays 3D, as in Keras."""

    def __init__(self, units: int, activation: str = "linear", use_bias: bool = True):
        self.units, self.activation, self.use_bias = units, activation, use_bias

    keras_type = "Dense"
    keras_name = "dense"
    positional = (Field("units", "units", "count"),)
    flags = frozenset({"act", "nobias"})

    def output_shape(self, input_shape: Shape) -> Shape:
        return input_shape[:-1] + (self.units,)

    def weights(self, input_shape: Shape, convention: str = "keras") -> list[Weight]:
        features = input_shape[-1]
        if convention == "torch":
            weights = [Weight("weight", (self.units, features))]
        else:
            weights = [Weight("kernel", (features, self.units))]
        if self.use_bias:
            weights.append(Weight("bias", (self.units,)))
        return weights


class Embedding(Layer):
    """Integer ids (batch, timesteps) to vectors (batch, timesteps, output_dim)."""

    def __init__(self, input_dim: int, output_dim: int):
        self.input_dim, self.output_dim = input_dim, output_dim

    keras_type = "Embedding"
    keras_name = "embedding"
    positional = (Field("input_dim", "vocabulary size", "count"), Field("output_dim", "output dim", "count"))
    required_rank = 2
    first_only = True

    def output_shape(self, input_shape: Shape) -> Shape:
        return input_shape + (self.output_dim,)

    def weights(self, input_shape: Shape, convention: str = "keras") -> list[Weight]:
        name = "weight" if convention == "torch" else "embeddings"
        return [Weight(name, (self.input_dim, self.output_dim))]


class Dropout(Layer):
    """No weights; the identity in inference, which is all rnnshape runs."""

    def __init__(self, rate: float):
        self.rate = rate

    keras_type = "Dropout"
    keras_name = "dropout"
    positional = (Field("rate", "rate", "rate"),)

    def output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def weights(self, input_shape: Shape, convention: str = "keras") -> list[Weight]:
        return []


RECURRENT_KINDS: dict[str, type[Recurrent]] = {
    "simple": SimpleRNN,
    "rnn": SimpleRNN,
    "lstm": LSTM,
    "gru": GRU,
}

# Every kind word of the spec grammar. "bi" is the wrapper; the parser resolves
# its optional cell word through RECURRENT_KINDS.
KINDS: dict[str, type[Layer]] = {
    **RECURRENT_KINDS,
    "bi": Bidirectional,
    "dense": Dense,
    "embedding": Embedding,
    "emb": Embedding,
    "dropout": Dropout,
}
ALIASES = {"rnn": "simple", "emb": "embedding"}
