"""Layer kinds: one class per Keras layer type, the single source of truth about it.

Each kind declares, once:

* its Keras identity (class name and the base of its automatic layer name),
* the positional fields and flags its spec takes (the parser reads these),
* its output shapes for a given input shape, refusing (``ShapeError``) what
  Keras refuses to build,
* its weights, named, shaped and ordered as Keras's ``get_weights()`` returns
  them (or as PyTorch's ``parameters()`` under the torch convention), each with
  its Keras initialiser and whether it is trainable,
* how it treats a mask (``supports_masking``, ``keeps_mask``, ``mask_value``),
* the work and memory of its forward pass (``mult_adds``, ``working_elements``,
  ``progress_steps``).

The parameter count of a layer is the sum of its weight sizes, as in Keras's
``count_params()``; the forward pass allocates exactly these shapes, so the count
and the computation cannot drift apart. Pure Python, exact integers.
"""

from __future__ import annotations

import math
from typing import ClassVar, Protocol

from .errors import ShapeError
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
        "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "swish",
        "tanh", "tanh_shrink",
    }
)  # fmt: skip


class Weight(Value):
    """One weight array: its Keras (or PyTorch) name, shape, Keras initialiser
    (``initial_weights`` draws it) and whether training updates it."""

    def __init__(self, name: str, shape: tuple, initializer: str = "zeros", trainable: bool = True):
        self.name, self.shape, self.initializer, self.trainable = name, shape, initializer, trainable

    @property
    def size(self) -> int:
        return math.prod(self.shape)


class Field(Value):
    """A positional field of a spec: ``units`` in ``simple:3``, ``pool_size`` in ``maxpool:3``."""

    def __init__(self, argument: str, label: str, type: str, default: object = None):
        self.argument = argument  # the constructor argument it sets
        self.label = label  # what error messages call it
        # "count" (a whole number >= 1), "rate" (0 <= r < 1), "number" (any finite
        # number), "stddev" (a finite number >= 0) or "activation" (a name)
        self.type = type
        self.default = default  # None: the field must be given


def _batch(shape: Shape) -> int:
    """The batch a count is multiplied by: a None batch counts as 1."""
    return shape[0] or 1


def _product(dims) -> int | None:
    """The product of dims, or None when one of them is unknown."""
    return None if None in dims else math.prod(dims)


# Multiply-adds per block of a recurrent layer's input projection: small enough
# that Ctrl-C acts and the progress bar moves within a fraction of a second,
# large enough that the blocks' matrix products run at full speed. A block has
# at most PROJECTION_BLOCK_STEPS steps: the forward pass keeps one buffer of a
# block, and views of each of its steps, however small the layer.
PROJECTION_BLOCK_MULT_ADDS = 2**26
PROJECTION_BLOCK_STEPS = 256


def projection_block(batch: int, features: int, width: int) -> int:
    """Timesteps per block of an input projection (batch x features -> width per step)."""
    return max(1, min(PROJECTION_BLOCK_STEPS, PROJECTION_BLOCK_MULT_ADDS // max(1, batch * features * width)))


class MaskOps(Protocol):
    """What a kind's ``output_masks`` may ask of the graph being built."""

    def shape(self, tensor) -> Shape:
        """The shape of a tensor of the graph."""

    def op(self, keras_type: str, reads: list, shape: Shape, argument: object = None):
        """Record a Keras operation (NotEqual, Any, ...) on ``reads``, with its
        ``argument`` (the value NotEqual compares with, the axis of Any ...), as
        Keras records one when compute_mask runs on symbolic tensors; its
        output tensor."""


class Layer(Value):
    """What every kind provides; see the module docstring."""

    keras_type: ClassVar[str]  # Keras class name, shown as "name (Type)"
    keras_name: ClassVar[str]  # base of Keras's automatic name: "simple_rnn"
    positional: ClassVar[tuple[Field, ...]] = ()  # the fields after the kind word
    flags: ClassVar[frozenset[str]] = frozenset()
    choices: ClassVar[dict[str, tuple]] = {}  # flag -> the values it takes, when they are words
    required_rank: ClassVar[int | None] = None  # rank of the input, batch included
    first_only: ClassVar[bool] = False
    # Keras's supports_masking: a layer without it drops an incoming mask (Keras
    # only warns), so the layers after it see padding as data.
    supports_masking: ClassVar[bool] = True
    mask_value: ClassVar[object] = None  # the value a layer that makes a mask masks
    sequence_flag: ClassVar[str | None] = None  # the flag that keeps the time axis in the output
    # How a graph calls it: on one tensor, or (``listed``) on a list of
    # ``arity`` tensors, as Keras's merges and attention layers are called;
    # ``input_shape`` is then the list of their shapes.
    listed: ClassVar[bool] = False
    arity: ClassVar[tuple[int, int | None]] = (1, 1)  # fewest and most tensors (None: no limit)
    # Whether Keras's call() has a ``mask`` argument: Keras then hands it the
    # mask of its input, and a Functional summary lists the mask's tensor in
    # "Connected to".
    call_takes_mask: ClassVar[bool] = False
    takes_initial_state: ClassVar[bool] = False  # a recurrent layer's init=[...]
    # Keras's names of constructor arguments whose name here differs.
    keras_arguments: ClassVar[dict[str, str]] = {}

    def output_shape(self, input_shape: Shape) -> Shape:
        """The shape of the layer's (first) output."""
        raise NotImplementedError

    def output_shapes(self, input_shape: Shape) -> tuple[Shape, ...]:
        """Every output's shape, in Keras's order; one for most kinds."""
        return (self.output_shape(input_shape),)

    def weights(self, input_shape: Shape, convention: str = "keras") -> list[Weight]:
        return []

    def auto_names(self) -> tuple[str, ...]:
        """Name bases Keras's per-type counters consume when this layer is built,
        in order; the layer's own name comes last."""
        return (self.keras_name,)

    def build_names(self) -> tuple[str, ...]:
        """Name bases the counters consume when the layer is first called (the
        layers Keras creates inside it as it builds), in order."""
        return ()

    def several_outputs_flag(self) -> str | None:
        """The flag that gives the layer several outputs, when it has them."""
        return None

    def initial_states(self) -> tuple[int, int] | None:
        """(how many states init=[...] gives it, the units of each), for a kind
        that takes initial states."""
        return None

    # Whether Keras runs it given more initial states than it carries (it uses the first).
    ignores_extra_states: ClassVar[bool] = False
    # Whether Keras's layer fixes its input's features when it is built (an
    # InputSpec on the last axis), so that a shared layer refuses other ones.
    checks_input_features: ClassVar[bool] = False

    def run_problem(self, input_shape, mask_shape: Shape | None = None) -> str | None:
        """Why Keras, having built a call on ``input_shape`` (with a mask of
        ``mask_shape`` handed to it), fails when it runs it; None when it runs."""
        return None

    def output_count(self) -> int:
        """How many tensors a call gives."""
        return 1

    @classmethod
    def takes_several(cls) -> bool:
        """Whether it reads several tensors: its input shape is then the list of theirs."""
        return cls.arity[1] is None or cls.arity[1] > 1

    def inner_layers(self, input_shape: Shape, name: str) -> tuple[tuple[str, Layer, Shape, int | None], ...]:
        """A wrapper's layers inside, as Keras builds them: (Keras name, layer,
        its input shape, how many times it runs: None when unknown), given the
        wrapped layer's ``name``; none for other kinds."""
        return ()

    def keeps_mask(self) -> bool:
        """Whether a mask this layer supports still applies to its output (it
        does not when the time axis is gone)."""
        return True

    def output_masks(self, graph: MaskOps, inputs: list, masks: list, outputs: int) -> list:
        """The masks of the layer's outputs, as Keras's compute_mask makes them
        in a Functional graph: tensors of ``graph`` (None: no mask), one per
        output. ``inputs`` are the call's tensors and ``masks`` theirs; a kind
        whose compute_mask computes with Keras operations records them through
        ``graph``, as Keras records them, so they get their names and rows.
        Only called for a kind that supports masking; ``outputs`` is how many
        outputs the call has."""
        kept = masks[0] if self.keeps_mask() else None
        return [kept] + [None] * (outputs - 1)

    def weight_groups(self) -> tuple[str, ...]:
        """Where a Keras 3 weights file (.keras, .weights.h5) keeps this layer's
        variables, under its group: numbered datasets, in get_weights() order."""
        return ("vars",)

    def mult_adds(self, input_shape: Shape) -> int | None:
        """Multiply-adds of the layer's matrix products for the whole batch (a None
        batch counts as 1); None when a dim it needs is unknown."""
        return 0

    def mult_adds_terms(self, input_shape: Shape) -> tuple[str, str] | None:
        """The mult-adds per sample as a formula and with this input's numbers,
        ('T · g · U · (D + U)', '10 · 4 · 8 · (5 + 8)'); None for a kind without
        matrix products (explain says 0)."""
        return None

    def equations(self) -> tuple[str, ...]:
        """What the layer computes, in Keras's weight names, for explain."""
        return ()

    def output_activation(self) -> str | None:
        """The activation that bounds the layer's outputs, where one does (a
        saturated tanh or sigmoid shows there); None for others."""
        return getattr(self, "activation", None)

    def directions(self) -> tuple[bool, ...]:
        """How a recurrent layer reads its steps, one entry per copy of its cell
        (True: from the last step); none for a kind that is not recurrent."""
        return ()

    def merge_text(self) -> str:
        """How the outputs of two directions become one (plot draws it)."""
        return ""

    def output_roles(self) -> tuple[tuple[str, int | None], ...]:
        """What each output of a call is, for plot's arrows: its label ("" for
        the layer's output, the state's name for a recurrent layer's state) and,
        for a state, which copy of the cell (as in ``directions``) returns it
        (None: not a state)."""
        return (("", None),) * self.output_count()

    def shape_rule(self) -> str:
        """How the output shape follows from the input's, for explain."""
        return "the output has the input's shape"

    def working_elements(self, input_shape: Shape) -> int:
        """Elements the forward pass holds besides the layer's input and output."""
        return 0

    def progress_steps(self, input_shape: Shape) -> int:
        """How many times the forward pass reports progress for this layer."""
        return 0


# Recurrent layers ------------------------------------------------------------


class Recurrent(Layer):
    """A Keras RNN layer over one cell whose weights stack ``gates`` blocks.

    ``dropout``, ``recurrent_dropout`` and ``unroll`` are kept as given: they
    change neither shapes, counts nor inference."""

    def __init__(self, units: int, return_sequences: bool = False, go_backwards: bool = False,
                 activation: str = "tanh", use_bias: bool = True, return_state: bool = False,
                 stateful: bool = False, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 unroll: bool = False):  # fmt: skip
        self.units, self.return_sequences, self.go_backwards = units, return_sequences, go_backwards
        self.activation, self.use_bias, self.return_state = activation, use_bias, return_state
        self.stateful, self.dropout, self.recurrent_dropout, self.unroll = stateful, dropout, recurrent_dropout, unroll

    gates: ClassVar[int]
    sequence_flag = "seq"
    states: ClassVar[int] = 1  # state vectors the cell carries (and return_state returns)
    state_names: ClassVar[tuple[str, ...]] = ("h",)  # those vectors, as textbooks name them
    # PyTorch's own module for the cell, the activations it offers, and its
    # order of the gate blocks, as the numbers of Keras's blocks.
    torch_module: ClassVar[str]
    torch_activations: ClassVar[tuple[str, ...]] = ("tanh",)
    torch_gate_order: ClassVar[tuple[int, ...]] = (0,)
    positional = (Field("units", "units", "count"),)
    flags = frozenset({"seq", "back", "act", "nobias", "state", "stateful", "dropout", "recurrent_dropout", "unroll"})
    required_rank = 3
    call_takes_mask = True
    takes_initial_state = True

    def output_shape(self, input_shape: Shape) -> Shape:
        batch, timesteps, _features = input_shape
        if self.return_sequences:
            return (batch, timesteps, self.units)
        return (batch, self.units)

    def output_shapes(self, input_shape: Shape) -> tuple[Shape, ...]:
        batch = input_shape[0]
        if self.stateful and batch is None:
            raise ShapeError("'stateful' keeps the state of each sample between batches, so Keras needs a "
                             "fixed batch size: give it with -b")  # fmt: skip
        output = self.output_shape(input_shape)
        if self.return_state:
            return (output,) + ((batch, self.units),) * self.states
        return (output,)

    def several_outputs_flag(self) -> str | None:
        return "state" if self.return_state else None

    def output_count(self) -> int:
        return 1 + (self.states if self.return_state else 0)

    def output_roles(self) -> tuple[tuple[str, int | None], ...]:
        return (("", None),) + (tuple((name, 0) for name in self.state_names) if self.return_state else ())

    def initial_states(self) -> tuple[int, int] | None:
        return self.states, self.units

    def weight_groups(self) -> tuple[str, ...]:
        return ("cell/vars",)  # an RNN layer's variables belong to its cell

    def torch_differences(self) -> list[str]:
        """What PyTorch's own module does not compute as this layer does (empty:
        it is exact)."""
        differences = []
        if self.activation not in self.torch_activations:
            offered = " or ".join(self.torch_activations)
            differences.append(f"activation {self.activation} ({self.torch_module} has {offered} only)")
        if self.dropout or self.recurrent_dropout:
            differences.append(f"Keras's dropout, one mask per sequence ({self.torch_module}'s dropout acts "
                               "between stacked layers)")  # fmt: skip
        if self.stateful:
            differences.append("stateful (the states carry over to the next batch)")
        return differences

    def keeps_mask(self) -> bool:
        return self.return_sequences

    def weights(self, input_shape: Shape, convention: str = "keras") -> list[Weight]:
        features, units, width = input_shape[-1], self.units, self.gates * self.units
        if convention == "torch":
            # torch.nn.RNN/LSTM/GRU: transposed kernels and two bias vectors.
            weights = [Weight("weight_ih_l0", (width, features), "glorot_uniform"),
                       Weight("weight_hh_l0", (width, units), "orthogonal")]  # fmt: skip
            if self.use_bias:
                weights += [Weight("bias_ih_l0", (width,)), Weight("bias_hh_l0", (width,))]
            return weights
        weights = [Weight("kernel", (features, width), "glorot_uniform"),
                   Weight("recurrent_kernel", (units, width), "orthogonal")]  # fmt: skip
        if self.use_bias:
            weights.append(Weight("bias", self.bias_shape(), self.bias_initializer))
        return weights

    bias_initializer: ClassVar[str] = "zeros"

    def bias_shape(self) -> tuple[int, ...]:
        return (self.gates * self.units,)

    def mult_adds(self, input_shape: Shape) -> int | None:
        timesteps, features = input_shape[1], input_shape[2]
        if timesteps is None:
            return None
        return _batch(input_shape) * timesteps * self.gates * self.units * (features + self.units)

    def mult_adds_terms(self, input_shape: Shape) -> tuple[str, str] | None:
        steps, features = input_shape[1], input_shape[2]
        gates = f"{self.gates} · " if self.gates > 1 else ""
        return (f"T · {'g · ' if self.gates > 1 else ''}U · (D + U)",
                f"{'T' if steps is None else steps} · {gates}{self.units} · ({features} + {self.units})")

    def directions(self) -> tuple[bool, ...]:
        return (self.go_backwards,)

    def shape_rule(self) -> str:
        rule = ("seq: every step's output, (batch, T, units)" if self.return_sequences
                else "the last step's output, (batch, units)")  # fmt: skip
        if self.return_state:
            rule += f"; state: then the final state{'s h and c' if self.states == 2 else ' h'}, (batch, units) each"
        return rule

    def _bias(self, block: str = "") -> str:
        return f" + bias{block}" if self.use_bias else ""

    def _reads(self) -> str:
        return "steps read from the last (back)" if self.go_backwards else "steps read from the first"

    def working_elements(self, input_shape: Shape) -> int:
        # The input projection of a block of steps (the forward pass reuses
        # one buffer for every block), the reordered weights' product
        # buffers, and a few state-sized vectors.
        batch, timesteps = _batch(input_shape), input_shape[1] or 1
        steps = min(timesteps, projection_block(batch, input_shape[2], self.gates * self.units))
        return steps * batch * self.units * self.gates + 8 * batch * self.units

    def progress_steps(self, input_shape: Shape) -> int:
        # Every block of the input projection, then every step of the loop.
        timesteps = input_shape[1] or 0
        block = projection_block(_batch(input_shape), input_shape[2], self.gates * self.units)
        return -(-timesteps // block) + timesteps


class SimpleRNN(Recurrent):
    keras_type = "SimpleRNN"
    keras_name = "simple_rnn"
    gates = 1
    torch_module = "nn.RNN"
    torch_activations = ("tanh", "relu")

    def equations(self) -> tuple[str, ...]:
        return (f"h_t = {self.activation}(x_t · kernel + h_t-1 · recurrent_kernel{self._bias()})",
                f"h_0 = 0; {self._reads()}")  # fmt: skip


class GatedRecurrent(Recurrent):
    """A cell with gates, whose activation ``recurrent_activation`` sets."""

    def __init__(self, units: int, recurrent_activation: str = "sigmoid", **options):
        super().__init__(units, **options)
        self.recurrent_activation = recurrent_activation

    flags = Recurrent.flags | {"recurrent_activation"}

    def torch_differences(self) -> list[str]:
        differences = super().torch_differences()
        if self.recurrent_activation != "sigmoid":
            differences.append(f"recurrent_activation {self.recurrent_activation} ({self.torch_module} has "
                               "sigmoid gates only)")  # fmt: skip
        return differences


class LSTM(GatedRecurrent):
    """Gates i, f, c, o stacked along the last axis of each weight; states h, c.
    Keras initialises the forget gate's bias to 1 (unit_forget_bias)."""

    keras_type = "LSTM"
    keras_name = "lstm"
    gates = 4
    states = 2
    state_names = ("h", "c")
    torch_module = "nn.LSTM"
    torch_gate_order = (0, 1, 2, 3)  # i, f, c (PyTorch's g), o in both

    def equations(self) -> tuple[str, ...]:
        gate = self.recurrent_activation
        return (f"z = x_t · kernel + h_t-1 · recurrent_kernel{self._bias()}, in 4 blocks of units: i, f, c, o",
                f"i, f, o = {gate}(z_i), {gate}(z_f), {gate}(z_o)",
                f"c_t = f · c_t-1 + i · {self.activation}(z_c)",
                f"h_t = o · {self.activation}(c_t)",
                f"h_0 = c_0 = 0; {self._reads()}")  # fmt: skip
    bias_initializer = "unit_forget_bias"


class GRU(GatedRecurrent):
    """Gates z, r, h. With ``reset_after`` (the Keras default) the input and the
    recurrent projections each get their own bias, stacked as a (2, 3U) array."""

    def __init__(self, units: int, reset_after: bool = True, **options):
        super().__init__(units, **options)
        self.reset_after = reset_after

    keras_type = "GRU"
    keras_name = "gru"
    gates = 3
    ignores_extra_states = True  # GRU([h, c]) runs on h
    flags = GatedRecurrent.flags | {"reset_after"}
    torch_module = "nn.GRU"
    torch_gate_order = (1, 0, 2)  # Keras's z, r, h are PyTorch's r, z, n in this order

    def torch_differences(self) -> list[str]:
        differences = super().torch_differences()
        if not self.reset_after:
            differences.append("reset_after=False (nn.GRU applies the reset gate after the product only)")
        return differences

    def equations(self) -> tuple[str, ...]:
        gate, act = self.recurrent_activation, self.activation
        if self.reset_after:
            biases = " + input_bias" if self.use_bias else ""
            recurrent = " + recurrent_bias" if self.use_bias else ""
            return (f"blocks z, r, h of x_t · kernel{biases} and of h_t-1 · recurrent_kernel{recurrent} "
                    "(bias: the rows input_bias, recurrent_bias)",
                    f"z = {gate}(x_z + h_z), r = {gate}(x_r + h_r)",
                    f"h~ = {act}(x_h + r · h_h)  (reset_after: r applied after the product)",
                    "h_t = z · h_t-1 + (1 - z) · h~", f"h_0 = 0; {self._reads()}")  # fmt: skip
        return (f"blocks z, r, h of x_t · kernel{self._bias()}; U = recurrent_kernel",
                f"z = {gate}(x_z + h_t-1 · U_z), r = {gate}(x_r + h_t-1 · U_r)",
                f"h~ = {act}(x_h + (r · h_t-1) · U_h)  (reset_after=false: r applied before the product)",
                "h_t = z · h_t-1 + (1 - z) · h~", f"h_0 = 0; {self._reads()}")  # fmt: skip

    def bias_shape(self) -> tuple[int, ...]:
        if self.reset_after:
            return (2, 3 * self.units)
        return (3 * self.units,)


class Bidirectional(Layer):
    """Keras's Bidirectional wrapper around any recurrent kind: a forward copy and
    a backward copy of ``layer``, their outputs merged by ``merge_mode`` (None:
    both returned, as two outputs)."""

    def __init__(self, layer: Recurrent, merge_mode: str | None = "concat"):
        self.layer, self.merge_mode = layer, merge_mode

    keras_type = "Bidirectional"
    keras_name = "bidirectional"
    flags = frozenset({"merge"})
    choices = {"merge": ("concat", "sum", "mul", "ave", "none")}
    required_rank = 3
    sequence_flag = "seq"
    call_takes_mask = True
    takes_initial_state = True

    def output_masks(self, graph: MaskOps, inputs: list, masks: list, outputs: int) -> list:
        # merge=none: each direction's sequence keeps the mask.
        kept = masks[0] if self.layer.return_sequences else None
        merged = 2 if self.merge_mode is None else 1
        return [kept] * merged + [None] * (outputs - merged)

    def output_shape(self, input_shape: Shape) -> Shape:
        return self.output_shapes(input_shape)[0]

    def several_outputs_flag(self) -> str | None:
        return "merge=none" if self.merge_mode is None else self.layer.several_outputs_flag()

    def output_count(self) -> int:
        states = self.layer.output_count() - 1
        return (2 if self.merge_mode is None else 1) + 2 * states

    def initial_states(self) -> tuple[int, int] | None:
        return 2 * self.layer.states, self.layer.units  # the forward copy's, then the backward one's

    @property
    def ignores_extra_states(self) -> bool:  # type: ignore[override]
        return self.layer.ignores_extra_states

    def output_shapes(self, input_shape: Shape) -> tuple[Shape, ...]:
        output, *states = self.layer.output_shapes(input_shape)
        if self.merge_mode == "concat":
            outputs = (output[:-1] + (2 * output[-1],),)
        elif self.merge_mode is None:
            outputs = (output, output)
        else:
            outputs = (output,)
        return outputs + tuple(states) * 2  # the forward states, then the backward ones

    def keeps_mask(self) -> bool:
        return self.layer.keeps_mask()

    def output_activation(self) -> str | None:
        # A sum of two directions is no longer in the activation's range.
        return None if self.merge_mode == "sum" else self.layer.output_activation()

    def directions(self) -> tuple[bool, ...]:
        return (False, True)  # the forward copy, then the backward one

    def output_roles(self) -> tuple[tuple[str, int | None], ...]:
        merged = (("", None),) if self.merge_mode is not None else (("forward", None), ("backward", None))
        _output, *states = self.layer.output_roles()
        return merged + tuple((f"{direction} {name}", copy) for copy, direction in enumerate(("forward", "backward"))
                              for name, _ in states)  # fmt: skip

    def merge_text(self) -> str:
        return {"concat": "[ , ]", "sum": "+", "mul": "×", "ave": "avg", None: "2"}[self.merge_mode]

    def inner_layers(self, input_shape: Shape, name: str) -> tuple[tuple[str, Layer, Shape, int | None], ...]:
        # Keras names the copies forward_<name> and backward_<name> (without a
        # prefix the name has already); the backward one reads from the end.
        return ((f"forward_{name.removeprefix('forward_')}", self.layer, input_shape, 1),
                (f"backward_{name.removeprefix('backward_')}", self.layer.replace(go_backwards=True), input_shape,
                 1))  # fmt: skip

    def weights(self, input_shape: Shape, convention: str = "keras") -> list[Weight]:
        one_direction = self.layer.weights(input_shape, convention)
        if convention == "torch":
            # torch's bidirectional=True names the backward copies "..._reverse".
            return one_direction + [w.replace(name=w.name + "_reverse") for w in one_direction]
        return [w.replace(name=f"{direction}/{w.name}")
                for direction in ("forward", "backward") for w in one_direction]  # fmt: skip

    def auto_names(self) -> tuple[str, ...]:
        # Keras builds the wrapped layer first, so it takes a name of its own
        # type: after 'bi:8', the next 'simple' layer is 'simple_rnn_1'.
        return self.layer.auto_names() + (self.keras_name,)

    def weight_groups(self) -> tuple[str, ...]:
        return tuple(f"{side}/{group}" for side in ("forward_layer", "backward_layer")
                     for group in self.layer.weight_groups())  # fmt: skip

    def mult_adds(self, input_shape: Shape) -> int | None:
        one = self.layer.mult_adds(input_shape)
        return None if one is None else 2 * one

    def mult_adds_terms(self, input_shape: Shape) -> tuple[str, str] | None:
        formula, numbers = self.layer.mult_adds_terms(input_shape)
        return f"2 · {formula}", f"2 · {numbers}"

    MERGES: ClassVar[dict] = {"concat": "[forward, backward] (concatenated features)", "sum": "forward + backward",
                              "mul": "forward · backward", "ave": "(forward + backward) / 2",
                              None: "forward and backward, two outputs"}  # fmt: skip

    def equations(self) -> tuple[str, ...]:
        cell = self.layer.equations()[:-1]  # its own h_0 line is replaced by the directions
        return (f"forward: the {self.layer.keras_type} reading x_1 … x_T; backward: a copy of it, with weights of "
                "its own, reading x_T … x_1",) + cell + (f"output: {self.MERGES[self.merge_mode]}",)

    def shape_rule(self) -> str:
        rule = self.layer.replace(return_state=False).shape_rule()
        if self.merge_mode == "concat":
            rule += ", features doubled by concat"
        elif self.merge_mode is None:
            rule += ", once per direction (merge=none)"
        if self.layer.return_state:
            rule += "; state: then the forward states, then the backward ones"
        return rule

    def working_elements(self, input_shape: Shape) -> int:
        return 2 * self.layer.working_elements(input_shape)

    def progress_steps(self, input_shape: Shape) -> int:
        return 2 * self.layer.progress_steps(input_shape)


# Dense layers -----------------------------------------------------------------


class Dense(Layer):
    """Acts on the last axis, so a 3D input stays 3D, as in Keras."""

    def __init__(self, units: int, activation: str = "linear", use_bias: bool = True):
        self.units, self.activation, self.use_bias = units, activation, use_bias

    keras_type = "Dense"
    keras_name = "dense"
    positional = (Field("units", "units", "count"),)
    flags = frozenset({"act", "nobias"})
    checks_input_features = True

    def output_shape(self, input_shape: Shape) -> Shape:
        return input_shape[:-1] + (self.units,)

    def weights(self, input_shape: Shape, convention: str = "keras") -> list[Weight]:
        features = input_shape[-1]
        if convention == "torch":
            weights = [Weight("weight", (self.units, features), "glorot_uniform")]
        else:
            weights = [Weight("kernel", (features, self.units), "glorot_uniform")]
        if self.use_bias:
            weights.append(Weight("bias", (self.units,)))
        return weights

    def mult_adds(self, input_shape: Shape) -> int | None:
        rows = _product(input_shape[1:-1])
        return None if rows is None else _batch(input_shape) * rows * input_shape[-1] * self.units

    def mult_adds_terms(self, input_shape: Shape) -> tuple[str, str] | None:
        between = ["T" if dim is None else str(dim) for dim in input_shape[1:-1]]
        return ("rows · D · U", " · ".join(between + [str(input_shape[-1]), str(self.units)]))

    def equations(self) -> tuple[str, ...]:
        bias = " + bias" if self.use_bias else ""
        return (f"y = {self.activation}(x · kernel{bias}), on the last axis",)

    def shape_rule(self) -> str:
        return "the last dim becomes units; the others stay"


class TimeDistributed(Layer):
    """Keras's TimeDistributed wrapper: ``layer`` (a Dense) applied at every timestep."""

    def __init__(self, layer: Dense):
        self.layer = layer

    keras_type = "TimeDistributed"
    keras_name = "time_distributed"
    required_rank = 3
    call_takes_mask = True

    def output_shape(self, input_shape: Shape) -> Shape:
        return self.layer.output_shape(input_shape)

    def inner_layers(self, input_shape: Shape, name: str) -> tuple[tuple[str, Layer, Shape, int | None], ...]:
        return ((name, self.layer, input_shape[:1] + input_shape[2:], input_shape[1]),)  # one step, every step

    def weights(self, input_shape: Shape, convention: str = "keras") -> list[Weight]:
        return self.layer.weights(input_shape, convention)

    def auto_names(self) -> tuple[str, ...]:
        # As with Bidirectional, the wrapped layer is built first and takes a
        # name: after 'td:dense:4', the next 'dense' layer is 'dense_1'.
        return self.layer.auto_names() + (self.keras_name,)

    def weight_groups(self) -> tuple[str, ...]:
        return tuple(f"layer/{group}" for group in self.layer.weight_groups())

    def mult_adds(self, input_shape: Shape) -> int | None:
        return self.layer.mult_adds(input_shape)

    def mult_adds_terms(self, input_shape: Shape) -> tuple[str, str] | None:
        return self.layer.mult_adds_terms(input_shape)

    def output_activation(self) -> str | None:
        return self.layer.output_activation()

    def equations(self) -> tuple[str, ...]:
        return tuple(line.replace("y = ", "y_t = ").replace("(x ", "(x_t ") for line in self.layer.equations()[:1]) + (
            "at every step t, with the same weights",)  # fmt: skip

    def shape_rule(self) -> str:
        return "(batch, T, D) → (batch, T, units): the wrapped layer at every step"


class Embedding(Layer):
    """Integer ids (batch, timesteps) to vectors (batch, timesteps, output_dim).
    With ``mask_zero``, id 0 is padding: the mask marks the other steps."""

    def __init__(self, input_dim: int, output_dim: int, mask_zero: bool = False):
        self.input_dim, self.output_dim, self.mask_zero = input_dim, output_dim, mask_zero

    keras_type = "Embedding"
    keras_name = "embedding"
    positional = (Field("input_dim", "vocabulary size", "count"), Field("output_dim", "output dim", "count"))
    flags = frozenset({"mask_zero"})
    required_rank = 2
    first_only = True

    @property
    def mask_value(self) -> int | None:  # type: ignore[override]
        return 0 if self.mask_zero else None

    def output_masks(self, graph: MaskOps, inputs: list, masks: list, outputs: int) -> list:
        if not self.mask_zero:
            return [None]
        return [graph.op("NotEqual", [inputs[0]], graph.shape(inputs[0]), 0)]  # ids != 0

    def output_shape(self, input_shape: Shape) -> Shape:
        return input_shape + (self.output_dim,)

    def weights(self, input_shape: Shape, convention: str = "keras") -> list[Weight]:
        name = "weight" if convention == "torch" else "embeddings"
        return [Weight(name, (self.input_dim, self.output_dim), "uniform")]

    def equations(self) -> tuple[str, ...]:
        lines = ("y_t = embeddings[x_t]: the row of the table for id x_t (a lookup, no products)",)
        if self.mask_zero:
            lines += ("mask_t = (x_t != 0): id 0 is padding, and the layers after skip it",)
        return lines

    def shape_rule(self) -> str:
        return "(batch, T) ids → (batch, T, output_dim) vectors"


# Convolution and pooling ----------------------------------------------------------


def window_length(length: int | None, window: int, stride: int, padding: str, dilation: int = 1) -> int | None:
    """Output length of a sliding window over ``length`` steps, as Keras computes it."""
    if length is None:
        return None
    if padding == "valid":
        return (length - dilation * (window - 1) - 1) // stride + 1
    return -(-length // stride)  # same and causal pad so that every stride-th step gets a window


def same_padding(length: int, window: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """Steps added before and after for 'same' padding; the odd one goes after."""
    span = dilation * (window - 1) + 1
    total = max(0, (-(-length // stride) - 1) * stride + span - length)
    return total // 2, total - total // 2


class Conv1D(Layer):
    """Keras's Conv1D: ``filters`` kernels of ``kernel_size`` steps over the time axis."""

    def __init__(self, filters: int, kernel_size: int, strides: int = 1, padding: str = "valid",
                 dilation_rate: int = 1, activation: str = "linear", use_bias: bool = True):  # fmt: skip
        self.filters, self.kernel_size, self.strides, self.padding = filters, kernel_size, strides, padding
        self.dilation_rate, self.activation, self.use_bias = dilation_rate, activation, use_bias

    keras_type = "Conv1D"
    keras_name = "conv1d"
    checks_input_features = True
    positional = (Field("filters", "filters", "count"), Field("kernel_size", "kernel size", "count"))
    flags = frozenset({"stride", "pad", "dilation", "act", "nobias"})
    choices = {"pad": ("valid", "same", "causal")}
    required_rank = 3
    supports_masking = False

    def padding_steps(self, length: int) -> tuple[int, int]:
        """Zero steps added before and after the input."""
        if self.padding == "valid":
            return 0, 0
        if self.padding == "causal":
            return self.dilation_rate * (self.kernel_size - 1), 0
        return same_padding(length, self.kernel_size, self.strides, self.dilation_rate)

    def output_shape(self, input_shape: Shape) -> Shape:
        batch, length, _features = input_shape
        if self.strides > 1 and self.dilation_rate > 1:
            raise ShapeError(f"stride={self.strides} with dilation={self.dilation_rate}: Keras refuses "
                             "strides above 1 together with a dilation rate above 1")  # fmt: skip
        out = window_length(length, self.kernel_size, self.strides, self.padding, self.dilation_rate)
        if out is not None and out <= 0:
            span = self.dilation_rate * (self.kernel_size - 1) + 1
            raise ShapeError(f"its kernel spans {span} steps but its input has only {length}, so its output "
                             "would have no steps: use a smaller kernel, pad=same, or more timesteps")  # fmt: skip
        return (batch, out, self.filters)

    def weights(self, input_shape: Shape, convention: str = "keras") -> list[Weight]:
        features = input_shape[-1]
        if convention == "torch":
            weights = [Weight("weight", (self.filters, features, self.kernel_size), "glorot_uniform")]
        else:
            weights = [Weight("kernel", (self.kernel_size, features, self.filters), "glorot_uniform")]
        if self.use_bias:
            weights.append(Weight("bias", (self.filters,)))
        return weights

    def mult_adds(self, input_shape: Shape) -> int | None:
        length = self.output_shape(input_shape)[1]
        if length is None:
            return None
        return _batch(input_shape) * length * self.kernel_size * input_shape[-1] * self.filters

    def mult_adds_terms(self, input_shape: Shape) -> tuple[str, str] | None:
        length = self.output_shape(input_shape)[1]
        return ("L_out · K · D · F",
                f"{'L_out' if length is None else length} · {self.kernel_size} · {input_shape[-1]} · {self.filters}")

    def equations(self) -> tuple[str, ...]:
        bias = "bias + " if self.use_bias else ""
        padding = {"valid": "no padding", "same": "zeros around it, so that every stride-th step starts a window",
                   "causal": "zeros before it only, so that no output sees a later step"}[self.padding]  # fmt: skip
        return (f"y_t = {self.activation}({bias}Σ_k x_(t·{self.strides} + k·{self.dilation_rate}) · kernel[k]), "
                f"k = 0 … {self.kernel_size - 1}", f"the input padded with {padding}")  # fmt: skip

    def shape_rule(self) -> str:
        if self.padding == "valid":
            return "T_out = (T - dilation · (K - 1) - 1) // stride + 1; features become filters"
        return "T_out = ceil(T / stride); features become filters"

    def working_elements(self, input_shape: Shape) -> int:
        # The padded input the windows read (at most about three input lengths,
        # however long the kernel: see forward._windows) and a window's copy.
        batch, steps, features = _batch(input_shape), input_shape[1] or 1, input_shape[2]
        return batch * features * (4 * steps + self.dilation_rate + 1)


class Pooling1D(Layer):
    """Keras's MaxPooling1D and AveragePooling1D: windows of ``pool_size`` steps,
    ``strides`` apart (default: the pool size)."""

    def __init__(self, pool_size: int = 2, strides: int | None = None, padding: str = "valid"):
        self.pool_size, self.strides, self.padding = pool_size, strides, padding

    positional = (Field("pool_size", "pool size", "count", default=2),)
    flags = frozenset({"stride", "pad"})
    choices = {"pad": ("valid", "same")}
    required_rank = 3
    supports_masking = False

    @property
    def stride(self) -> int:
        return self.strides or self.pool_size

    def output_shape(self, input_shape: Shape) -> Shape:
        batch, length, features = input_shape
        out = window_length(length, self.pool_size, self.stride, self.padding)
        if out is not None and out <= 0:
            raise ShapeError(f"its pool spans {self.pool_size} steps but its input has only {length}, so its "
                             "output would have no steps: use a smaller pool, pad=same, or more timesteps")  # fmt: skip
        return (batch, out, features)

    def working_elements(self, input_shape: Shape) -> int:
        # The padded input the windows read: at most about three input lengths.
        batch, steps, features = _batch(input_shape), input_shape[1] or 1, input_shape[2]
        return batch * features * (3 * steps + 2)

    reduction: ClassVar[str]

    def equations(self) -> tuple[str, ...]:
        return (f"y_t = the {self.reduction} of x over steps t·{self.stride} … t·{self.stride} + {self.pool_size - 1}, "
                "per feature",)

    def shape_rule(self) -> str:
        if self.padding == "valid":
            return "T_out = (T - pool) // stride + 1; the features stay"
        return "T_out = ceil(T / stride); the features stay"


class MaxPooling1D(Pooling1D):
    keras_type = "MaxPooling1D"
    keras_name = "max_pooling1d"
    reduction = "maximum"


class AveragePooling1D(Pooling1D):
    """With pad=same, each window's mean is over its real steps only."""

    keras_type = "AveragePooling1D"
    keras_name = "average_pooling1d"
    reduction = "mean (of the real steps, with pad=same)"


class GlobalPooling1D(Layer):
    """The maximum or mean over the time axis: (batch, steps, features) -> (batch, features)."""

    def __init__(self):
        pass

    required_rank = 3
    reduction: ClassVar[str]

    def output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], input_shape[2])

    def equations(self) -> tuple[str, ...]:
        return (f"y = the {self.reduction} of x_t over every step t, per feature",)

    def shape_rule(self) -> str:
        return "(batch, T, D) → (batch, D): the time axis is gone"


class GlobalMaxPooling1D(GlobalPooling1D):
    keras_type = "GlobalMaxPooling1D"
    keras_name = "global_max_pooling1d"
    supports_masking = False
    reduction = "maximum"


class GlobalAveragePooling1D(GlobalPooling1D):
    """With a mask, the mean over the unmasked steps; the mask ends here."""

    keras_type = "GlobalAveragePooling1D"
    keras_name = "global_average_pooling1d"
    call_takes_mask = True
    reduction = "mean (of the unmasked steps, with a mask)"

    def keeps_mask(self) -> bool:
        return False


# Reshaping -------------------------------------------------------------------------


class Flatten(Layer):
    """Every dim after the batch into one; unknown if any of them is None."""

    def __init__(self):
        pass

    keras_type = "Flatten"
    keras_name = "flatten"
    supports_masking = False

    def output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], _product(input_shape[1:]))

    def equations(self) -> tuple[str, ...]:
        return ("y = x with every dim after the batch in one, step after step",)

    def shape_rule(self) -> str:
        return "(batch, T, D) → (batch, T · D)"


class RepeatVector(Layer):
    """(batch, features) -> (batch, n, features): the encoder's vector for every decoder step."""

    def __init__(self, n: int):
        self.n = n

    keras_type = "RepeatVector"
    keras_name = "repeat_vector"
    positional = (Field("n", "times", "count"),)
    required_rank = 2
    supports_masking = False

    def output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], self.n, input_shape[1])

    def equations(self) -> tuple[str, ...]:
        return (f"y_t = x for t = 1 … {self.n}",)

    def shape_rule(self) -> str:
        return "(batch, D) → (batch, n, D)"


# Shape-keeping layers ---------------------------------------------------------------


class ShapeKeeping(Layer):
    """A layer whose output has its input's shape."""

    def output_shape(self, input_shape: Shape) -> Shape:
        return input_shape


class Normalization(ShapeKeeping):
    """Over the last axis, with Keras's epsilon, then scaled by gamma and shifted by beta."""

    def __init__(self):
        pass

    epsilon: ClassVar[float] = 1e-3

    def weights(self, input_shape: Shape, convention: str = "keras") -> list[Weight]:
        features = (input_shape[-1],)
        names = ("weight", "bias") if convention == "torch" else ("gamma", "beta")
        scale_and_shift = [Weight(names[0], features, "ones"), Weight(names[1], features)]
        if convention == "torch":  # running statistics are buffers, not parameters, in PyTorch
            return scale_and_shift
        return scale_and_shift + self.statistics(features)

    def statistics(self, features: tuple[int]) -> list[Weight]:
        """Weights kept beside gamma and beta (in Keras's get_weights() order)."""
        return []

    def equations(self) -> tuple[str, ...]:
        return (f"y = gamma · (x - mean) / sqrt(variance + {self.epsilon}) + beta, per feature",
                self.statistics_text)  # fmt: skip

    statistics_text: ClassVar[str]


class BatchNormalization(Normalization):
    """In inference (all rnnshape runs) it uses the moving mean and variance,
    which training updates but no gradient does: Keras counts them as
    non-trainable."""

    keras_type = "BatchNormalization"
    keras_name = "batch_normalization"
    call_takes_mask = True
    statistics_text = ("mean, variance: moving_mean and moving_variance in inference (what training "
                       "averaged over its batches); the batch's own in training")  # fmt: skip

    def statistics(self, features: tuple[int]) -> list[Weight]:
        return [Weight("moving_mean", features, "zeros", trainable=False),
                Weight("moving_variance", features, "ones", trainable=False)]  # fmt: skip


class LayerNormalization(Normalization):
    """Each sample's (and step's) features to mean 0 and variance 1."""

    keras_type = "LayerNormalization"
    keras_name = "layer_normalization"
    statistics_text = "mean, variance: over the features of each sample at each step"


class Activation(ShapeKeeping):
    def __init__(self, activation: str):
        self.activation = activation

    keras_type = "Activation"
    keras_name = "activation"
    positional = (Field("activation", "activation name", "activation"),)

    def equations(self) -> tuple[str, ...]:
        return (f"y = {self.activation}(x)",)


class Dropout(ShapeKeeping):
    """The identity in inference, which is all rnnshape runs."""

    def __init__(self, rate: float):
        self.rate = rate

    keras_type = "Dropout"
    keras_name = "dropout"
    positional = (Field("rate", "rate", "rate"),)

    def equations(self) -> tuple[str, ...]:
        return ("y = x in inference",
                f"in training, each value is zeroed with probability {self.rate} and the rest scaled by "
                "1 / (1 - rate)")  # fmt: skip


class SpatialDropout1D(Dropout):
    """Dropout of whole feature channels; the identity in inference."""

    keras_type = "SpatialDropout1D"
    keras_name = "spatial_dropout1d"
    required_rank = 3

    def equations(self) -> tuple[str, ...]:
        return ("y = x in inference",
                f"in training, each feature is zeroed at every step with probability {self.rate}, the rest "
                "scaled by 1 / (1 - rate)")  # fmt: skip


class GaussianNoise(ShapeKeeping):
    """Adds noise in training only; the identity in inference."""

    def __init__(self, stddev: float):
        self.stddev = stddev

    keras_type = "GaussianNoise"
    keras_name = "gaussian_noise"
    positional = (Field("stddev", "stddev", "stddev"),)

    def equations(self) -> tuple[str, ...]:
        return ("y = x in inference", f"in training, y = x + noise drawn from N(0, {self.stddev}²)")


class Masking(ShapeKeeping):
    """Masks each step whose features all equal ``mask_value``, and zeroes it."""

    def __init__(self, mask_value: float = 0.0):
        self.mask_value = mask_value

    keras_type = "Masking"
    keras_name = "masking"
    positional = (Field("mask_value", "mask value", "number", default=0.0),)

    def output_masks(self, graph: MaskOps, inputs: list, masks: list, outputs: int) -> list:
        # any(x != mask_value, axis=-1): two operations on the layer's input
        shape = graph.shape(inputs[0])
        return [graph.op("Any", [graph.op("NotEqual", [inputs[0]], shape, self.mask_value)], shape[:-1], -1)]

    def equations(self) -> tuple[str, ...]:
        return (f"mask_t = any feature of x_t != {self.mask_value}: a step of {self.mask_value} throughout is padding",
                "y_t = x_t · mask_t (padding becomes zeros); the layers after skip it")  # fmt: skip


# Graphs: inputs, the operations Keras records, merges, reshaping, activation layers ---


def snake_case(name: str) -> str:
    """Keras's automatic name base of a class: 'LeakyReLU' -> 'leaky_re_lu'."""
    import re

    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", re.sub(r"\W+", "", name))
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


class InputLayer(Layer):
    """keras.Input: a model input of ``shape`` (without the batch dim), ``batch``
    (None: any) and ``dtype`` (int32 for the ids an embedding reads)."""

    def __init__(self, shape: tuple, batch: int | None = None, dtype: str = "float32"):
        self.shape, self.batch, self.dtype = shape, batch, dtype

    keras_type = "InputLayer"
    keras_name = "input_layer"
    arity = (0, 0)
    supports_masking = False  # it reads no tensor, so has no mask to pass on

    def output_shape(self, input_shape: Shape) -> Shape:
        return (self.batch,) + tuple(self.shape)

    def shape_rule(self) -> str:
        return "the model's input, (batch,) + its shape"

    def equations(self) -> tuple[str, ...]:
        return ("y = the data given for this input",)


class Operation(Layer):
    """An operation Keras records in a Functional graph as a node of its own
    (NotEqual, Any, LogicalOr ...: the masks' arithmetic): a row of the
    summary, with its own automatic name and no weights."""

    def __init__(self, keras_type: str, shape: Shape, argument: object = None):
        self.keras_type, self.shape, self.argument = keras_type, shape, argument  # type: ignore[misc]
        self.keras_name = snake_case(keras_type)  # type: ignore[misc]

    arity = (1, None)
    listed = True

    def output_shape(self, input_shape: Shape) -> Shape:
        return self.shape

    def shape_rule(self) -> str:
        return "a mask, computed by Keras from the tensors it reads"

    def equations(self) -> tuple[str, ...]:
        return (f"the mask the layers after it read: Keras's {self.keras_type} of the tensors it reads",)


def broadcast_shapes(first: Shape, second: Shape) -> Shape:
    """The shape of an elementwise operation's result, as Keras's merges work
    it out: trailing dims aligned, 1 stretches, None stays unknown."""
    if len(first) < len(second):
        first, second = second, first
    shape = list(first[: len(first) - len(second)])
    for one, other in zip(first[len(first) - len(second) :], second):
        if one is None or other is None:
            shape.append(None)
        elif one == 1 or other == 1:
            shape.append(other if one == 1 else one)
        elif one != other:
            raise ShapeError(f"its inputs have shapes {_shape_text(first)} and {_shape_text(second)}, which do not "
                             "fit together: an elementwise merge needs equal dims (or 1) after the batch")  # fmt: skip
        else:
            shape.append(one)
    return tuple(shape)


def _dim_text(dim: int | None, unknown: str = "T") -> str:
    return unknown if dim is None else str(dim)


def _shape_text(shape: Shape) -> str:
    return "(" + ", ".join(str(dim) for dim in shape) + ")"


class Merge(Layer):
    """Keras's elementwise merge layers, called on a list of tensors of one shape."""

    def __init__(self):
        pass

    listed = True
    arity = (2, None)
    operation: ClassVar[str]

    def output_shape(self, input_shape: list) -> Shape:
        if len({len(shape) for shape in input_shape}) > 1:
            ranks = ", ".join(_shape_text(shape) for shape in input_shape)
            raise ShapeError(f"its inputs {ranks} have different ranks; rnnshape merges tensors of one rank")
        shape = input_shape[0][1:]
        for other in input_shape[1:]:
            shape = broadcast_shapes(shape, other[1:])
        batches = {one[0] for one in input_shape} - {None}
        if len(batches) > 1:
            raise ShapeError(f"its inputs have different batch sizes {sorted(batches)}")
        return (batches.pop() if batches else None,) + shape

    def output_masks(self, graph: MaskOps, inputs: list, masks: list, outputs: int) -> list:
        # Keras ORs the masks, and only when every input has one.
        if any(mask is None for mask in masks):
            return [None]
        merged = masks[0]
        for mask in masks[1:]:
            merged = graph.op("LogicalOr", [merged, mask], broadcast_shapes(graph.shape(merged), graph.shape(mask)))
        return [merged]

    def equations(self) -> tuple[str, ...]:
        return (f"y = {self.operation}, elementwise",)

    def shape_rule(self) -> str:
        return "the inputs' common shape"


class Add(Merge):
    keras_type, keras_name, operation = "Add", "add", "x_1 + x_2 + …"


class Subtract(Merge):
    keras_type, keras_name, operation = "Subtract", "subtract", "x_1 - x_2"
    arity = (2, 2)


class Multiply(Merge):
    keras_type, keras_name, operation = "Multiply", "multiply", "x_1 · x_2 · …"


class Average(Merge):
    keras_type, keras_name, operation = "Average", "average", "(x_1 + x_2 + …) / n"


class Maximum(Merge):
    keras_type, keras_name, operation = "Maximum", "maximum", "max(x_1, x_2, …)"


class Minimum(Merge):
    keras_type, keras_name, operation = "Minimum", "minimum", "min(x_1, x_2, …)"


class Concatenate(Layer):
    """Keras's Concatenate: tensors joined along ``axis`` (default the last)."""

    def __init__(self, axis: int = -1):
        self.axis = axis

    keras_type = "Concatenate"
    keras_name = "concatenate"
    flags = frozenset({"axis"})
    listed = True
    arity = (1, None)

    def _axis(self, rank: int) -> int:
        axis = self.axis + rank if self.axis < 0 else self.axis
        if not 1 <= axis < rank:
            raise ShapeError(f"axis={self.axis} is not an axis after the batch of its {rank}-dim inputs")
        return axis

    def output_shape(self, input_shape: list) -> Shape:
        ranks = {len(shape) for shape in input_shape}
        shapes = ", ".join(_shape_text(shape) for shape in input_shape)
        if len(ranks) > 1:
            raise ShapeError(f"its inputs {shapes} have different ranks: Keras concatenates tensors of one rank")
        axis = self._axis(ranks.pop())
        for position in range(1, len(input_shape[0])):
            known = {shape[position] for shape in input_shape} - {None}
            if position != axis and len(known) > 1:
                raise ShapeError(f"its inputs {shapes} differ in a dim other than the one they are joined on "
                                 f"(axis {self.axis}): Keras needs them equal")  # fmt: skip
        joined = [shape[axis] for shape in input_shape]
        output = list(input_shape[0])
        output[axis] = None if None in joined else sum(joined)
        return tuple(output)

    def output_masks(self, graph: MaskOps, inputs: list, masks: list, outputs: int) -> list:
        # Keras's compute_mask: every input's mask at the input's rank (ones
        # where it has none), joined as the inputs are, then any() over the last axis.
        if all(mask is None for mask in masks):
            return [None]
        full = []
        for tensor, mask in zip(inputs, masks):
            shape = graph.shape(tensor)
            if mask is None:
                full.append(graph.op("OnesLike", [tensor], shape))
            elif len(graph.shape(mask)) < len(shape):
                expanded = graph.op("ExpandDims", [mask], graph.shape(mask) + (1,), -1)
                zeros = graph.op("ZerosLike", [tensor], shape)
                full.append(graph.op("LogicalOr", [expanded, zeros], broadcast_shapes(graph.shape(expanded), shape)))
            else:
                full.append(mask)
        joined = graph.op("Concatenate", full, self.output_shape([graph.shape(mask) for mask in full]), self.axis)
        return [graph.op("Any", [joined], graph.shape(joined)[:-1], -1)]

    def equations(self) -> tuple[str, ...]:
        return (f"y = [x_1, x_2, …] joined along axis {self.axis}",)

    def shape_rule(self) -> str:
        return f"the inputs' shape, with their dims on axis {self.axis} added up"


class Reshape(Layer):
    """Keras's Reshape: the dims after the batch rearranged into ``target_shape``
    (one of them may be -1: whatever the others leave)."""

    def __init__(self, target_shape: tuple[int, ...]):
        self.target_shape = target_shape

    keras_type = "Reshape"
    keras_name = "reshape"
    positional = (Field("target_shape", "target shape", "dims"),)
    supports_masking = False

    def output_shape(self, input_shape: Shape) -> Shape:
        target = list(self.target_shape)
        size = _product(input_shape[1:])
        if -1 not in target:
            if size is not None and size != math.prod(target):
                wanted = f"{_shape_text(tuple(target))} ({math.prod(target)})"
                raise ShapeError(f"its input {_shape_text(input_shape)} has {size} values per sample, which cannot "
                                 f"be rearranged into {wanted}")  # fmt: skip
            return (input_shape[0],) + tuple(target)
        known = math.prod(dim for dim in target if dim != -1)
        if size is None:
            target[target.index(-1)] = None
        elif size % known:
            raise ShapeError(f"its input {_shape_text(input_shape)} has {size} values per sample, which "
                             f"{_shape_text(tuple(self.target_shape))} cannot hold: {size} is not a multiple "
                             f"of {known}")  # fmt: skip
        else:
            target[target.index(-1)] = size // known
        return (input_shape[0],) + tuple(target)

    def equations(self) -> tuple[str, ...]:
        return ("y = the values of x, in order, in the new shape",)

    def shape_rule(self) -> str:
        return f"(batch,) + {_shape_text(self.target_shape)}, -1 filled in"


class Permute(Layer):
    """Keras's Permute: the dims after the batch in the order ``dims`` gives (1-based)."""

    def __init__(self, dims: tuple[int, ...]):
        self.dims = dims

    keras_type = "Permute"
    keras_name = "permute"
    positional = (Field("dims", "dims", "dims"),)
    supports_masking = False

    def output_shape(self, input_shape: Shape) -> Shape:
        if sorted(self.dims) != list(range(1, len(input_shape))):
            raise ShapeError(f"dims {','.join(map(str, self.dims))} are not an order of the {len(input_shape) - 1} "
                             f"dims after the batch of its input {_shape_text(input_shape)}: write each of "
                             f"1 … {len(input_shape) - 1} once")  # fmt: skip
        return (input_shape[0],) + tuple(input_shape[dim] for dim in self.dims)

    def equations(self) -> tuple[str, ...]:
        return (f"y = x with its dims after the batch in the order {', '.join(map(str, self.dims))}",)

    def shape_rule(self) -> str:
        return "the input's dims, reordered"


class ReLU(ShapeKeeping):
    def __init__(self):
        pass

    keras_type = "ReLU"
    keras_name = "re_lu"
    activation = "relu"

    def equations(self) -> tuple[str, ...]:
        return ("y = max(x, 0)",)


class LeakyReLU(ShapeKeeping):
    def __init__(self, negative_slope: float = 0.3):
        self.negative_slope = negative_slope

    keras_type = "LeakyReLU"
    keras_name = "leaky_re_lu"
    positional = (Field("negative_slope", "slope", "number", default=0.3),)

    def equations(self) -> tuple[str, ...]:
        return (f"y = x where x ≥ 0, else {self.negative_slope} · x",)


class PReLU(ShapeKeeping):
    """A leaky ReLU whose slope is learnt, one per value of a sample."""

    def __init__(self):
        pass

    keras_type = "PReLU"
    keras_name = "p_re_lu"

    def weights(self, input_shape: Shape, convention: str = "keras") -> list[Weight]:
        return [Weight("weight" if convention == "torch" else "alpha", tuple(input_shape[1:]))]

    def equations(self) -> tuple[str, ...]:
        return ("y = x where x ≥ 0, else alpha · x (alpha: one slope per value, learnt)",)


class ELU(ShapeKeeping):
    def __init__(self):
        pass

    keras_type = "ELU"
    keras_name = "elu"
    activation = "elu"

    def equations(self) -> tuple[str, ...]:
        return ("y = x where x > 0, else exp(x) - 1",)


class Softmax(ShapeKeeping):
    """Keras's Softmax layer: with a mask, masked positions get (nearly) no weight."""

    def __init__(self, axis: int = -1):
        self.axis = axis

    keras_type = "Softmax"
    keras_name = "softmax"
    flags = frozenset({"axis"})
    call_takes_mask = True

    def run_problem(self, input_shape: Shape, mask_shape: Shape | None = None) -> str | None:
        # Keras's Softmax.call: the mask must broadcast to the inputs, dims compared from the last.
        if mask_shape is not None and any(one is not None and other is not None and one not in (1, other)
                                          for one, other in zip(mask_shape[::-1], input_shape[::-1])):  # fmt: skip
            return (f"it is handed a mask of {_shape_text(mask_shape)}, which Keras's Softmax cannot broadcast to "
                    f"its input {_shape_text(input_shape)}")  # fmt: skip
        return None

    def output_shape(self, input_shape: Shape) -> Shape:
        if not -len(input_shape) <= self.axis < len(input_shape) or self.axis % len(input_shape) == 0:
            raise ShapeError(f"axis={self.axis} is not an axis after the batch of its input "
                             f"{_shape_text(input_shape)}")  # fmt: skip
        return input_shape

    def equations(self) -> tuple[str, ...]:
        return (f"y = exp(x) / Σ exp(x), along axis {self.axis}",)


class Dot(Layer):
    """Keras's Dot: the dot products of two tensors' samples along ``axes`` (one
    axis for both, or one each), optionally L2-normalised first (cosine)."""

    def __init__(self, axes: tuple[int, ...] = (-1,), normalize: bool = False):
        self.axes, self.normalize = axes, normalize

    keras_type = "Dot"
    keras_name = "dot"
    flags = frozenset({"axes", "normalize"})
    listed = True
    arity = (2, 2)

    def _axes(self, first: Shape, second: Shape) -> tuple[int, int]:
        if len(self.axes) == 1:
            axis = self.axes[0]
            return (axis % len(first), axis % len(second)) if axis < 0 else (axis, axis)
        return self.axes[0], self.axes[1]

    def output_shape(self, input_shape: list) -> Shape:
        first, second = input_shape
        one, other = self._axes(first, second)
        for axis, shape in ((one, first), (other, second)):
            if not -len(shape) <= axis < len(shape) or axis % len(shape) == 0:
                raise ShapeError(f"axes={','.join(map(str, self.axes))}: {axis} is not an axis after the batch of "
                                 f"{_shape_text(shape)}")  # fmt: skip
        if first[one] != second[other]:
            raise ShapeError(f"its inputs {_shape_text(first)} and {_shape_text(second)} differ on the axes it "
                             f"multiplies ({first[one]} at axis {one}, {second[other]} at axis {other}): Keras "
                             "needs them equal")  # fmt: skip
        kept = [dim for axis, dim in enumerate(first) if axis != one % len(first)]
        kept += [dim for axis, dim in enumerate(second) if axis not in (0, other % len(second))]
        return tuple(kept + [1] if len(kept) == 1 else kept)

    def output_masks(self, graph: MaskOps, inputs: list, masks: list, outputs: int) -> list:
        return [None]

    def mult_adds(self, input_shape: list) -> int | None:
        first, second = input_shape
        output = self.output_shape(input_shape)
        size = _product(output[1:])
        contracted = first[self._axes(first, second)[0]]
        return None if size is None or contracted is None else _batch(first) * size * contracted

    def mult_adds_terms(self, input_shape: list) -> tuple[str, str] | None:
        first, second = input_shape
        output = self.output_shape(input_shape)
        return ("out · D", " · ".join(_dim_text(dim) for dim in output[1:]) + f" · "
                f"{_dim_text(first[self._axes(first, second)[0]])}")  # fmt: skip

    def equations(self) -> tuple[str, ...]:
        normal = "x_1 and x_2 each divided by its L2 norm along that axis, then " if self.normalize else ""
        return (f"y = {normal}the sum over axes {','.join(map(str, self.axes))} of x_1 · x_2, per sample",)

    def shape_rule(self) -> str:
        return "the dims of x_1 but its axis, then those of x_2 but the batch and its axis"


class Attention(Layer):
    """Keras's Attention (Luong): called on [query, value] or [query, value, key];
    scores query · key (score=dot) or Σ tanh(query + key) (score=concat),
    softmax over the value's steps, then the weighted sum of the values."""

    def __init__(self, use_scale: bool = False, score_mode: str = "dot"):
        self.use_scale, self.score_mode = use_scale, score_mode

    keras_type = "Attention"
    keras_name = "attention"
    flags = frozenset({"scale", "score"})
    choices = {"score": ("dot", "concat")}
    listed = True
    arity = (2, 3)

    def output_shape(self, input_shape: list) -> Shape:
        query, value = input_shape[0], input_shape[1]
        return query[:-1] + value[-1:]

    def run_problem(self, input_shape: list, mask_shape: Shape | None = None) -> str | None:
        query, value = input_shape[0], input_shape[1]
        key = input_shape[2] if len(input_shape) > 2 else value
        if len(query) != 3 or len(key) != 3 or len(value) != 3:
            return "it runs on (batch, steps, features) tensors"
        if query[-1] != key[-1]:
            return (f"its query's features ({query[-1]}) and its key's ({key[-1]}) differ, and the scores need them "
                    "equal")  # fmt: skip
        if None not in (key[1], value[1]) and key[1] != value[1]:
            return f"its key's steps ({key[1]}) and its value's ({value[1]}) differ: each score weighs one value"
        return None

    def output_masks(self, graph: MaskOps, inputs: list, masks: list, outputs: int) -> list:
        # Keras's compute_mask returns convert_to_tensor(the query's mask): an operation of its own.
        if masks[0] is None:
            return [None]
        return [graph.op("ConvertToTensor", [masks[0]], graph.shape(masks[0]))]

    def weights(self, input_shape: list, convention: str = "keras") -> list[Weight]:
        weights = [Weight("scale", (), "ones")] if self.use_scale else []
        if self.score_mode == "concat":
            weights.append(Weight("concat_score_weight", (), "ones"))
        return weights

    def mult_adds(self, input_shape: list) -> int | None:
        query, value = input_shape[0], input_shape[1]
        key = input_shape[2] if len(input_shape) > 2 else value
        steps = _product([query[1], key[1]]) if len(query) == 3 and len(key) == 3 else None
        if steps is None:
            return None
        return _batch(query) * steps * (key[-1] + value[-1])  # the scores, then the weighted sum

    def mult_adds_terms(self, input_shape: list) -> tuple[str, str] | None:
        query, value = input_shape[0], input_shape[1]
        key = input_shape[2] if len(input_shape) > 2 else value
        if len(query) != 3 or len(key) != 3:
            return None
        return ("Tq · Tv · (D_key + D_value)",
                f"{_dim_text(query[1], 'Tq')} · {_dim_text(key[1], 'Tv')} · ({key[-1]} + {value[-1]})")  # fmt: skip

    def equations(self) -> tuple[str, ...]:
        score = ("scores = query · keyᵀ" if self.score_mode == "dot" else
                 "scores = concat_score_weight · Σ_d tanh(query_d + key_d)")  # fmt: skip
        if self.use_scale:
            score += ", times scale" if self.score_mode == "dot" else " (query + key scaled by scale)"
        return (score, "y = softmax(scores over the value's steps) · value (key = value when not given)")

    def shape_rule(self) -> str:
        return "(batch, Tq, value dim): a step per query step, the value's features"


class AdditiveAttention(Attention):
    """Keras's AdditiveAttention (Bahdanau): scores Σ scale · tanh(query + key)."""

    def __init__(self, use_scale: bool = True):
        self.use_scale = use_scale

    keras_type = "AdditiveAttention"
    keras_name = "additive_attention"
    flags = frozenset({"noscale"})
    choices = {}
    score_mode = "additive"

    def weights(self, input_shape: list, convention: str = "keras") -> list[Weight]:
        return [Weight("scale", (input_shape[0][-1],), "glorot_uniform")] if self.use_scale else []

    def equations(self) -> tuple[str, ...]:
        scale = "scale · " if self.use_scale else ""
        return (f"scores = Σ_d {scale}tanh(query_d + key_d), for every query step and key step",
                "y = softmax(scores over the value's steps) · value (key = value when not given)")  # fmt: skip


class MultiHeadAttention(Layer):
    """Keras's MultiHeadAttention, called mha(query, value[, key]): ``num_heads``
    projections of ``key_dim`` (queries, keys) and ``value_dim`` (values), scaled
    dot-product attention in each, then one output projection."""

    def __init__(self, num_heads: int, key_dim: int, value_dim: int | None = None, output_size: int | None = None,
                 use_bias: bool = True):  # fmt: skip
        self.num_heads, self.key_dim, self.value_dim = num_heads, key_dim, value_dim
        self.output_size, self.use_bias = output_size, use_bias  # output_size: Keras's output_shape

    keras_type = "MultiHeadAttention"
    keras_name = "multi_head_attention"
    positional = (Field("num_heads", "heads", "count"), Field("key_dim", "key dim", "count"))
    flags = frozenset({"value_dim", "out", "nobias"})
    arity = (2, 3)  # (in Keras 3.15 its node records no masks: each call works them out from its tensors)
    keras_arguments = {"output_shape": "output_size"}

    def output_shape(self, input_shape: Shape) -> Shape:
        raise NotImplementedError  # several tensors: see output_shapes

    def output_shapes(self, input_shape: list) -> tuple[Shape, ...]:
        query, value = input_shape[0], input_shape[1]
        key = input_shape[2] if len(input_shape) > 2 else value
        if value[1:-1] != key[1:-1]:
            raise ShapeError(f"its value {_shape_text(value)} and key {_shape_text(key)} differ in a dim other "
                             "than the last: Keras needs them equal")  # fmt: skip
        return (query[:-1] + ((self.output_size,) if self.output_size else query[-1:]),)

    def build_names(self) -> tuple[str, ...]:
        return ("softmax", "dropout")  # its Softmax and Dropout layers, made as it builds

    def run_problem(self, input_shape: list, mask_shape: Shape | None = None) -> str | None:
        if any(len(shape) != 3 for shape in input_shape):
            return "rnnshape runs it on (batch, steps, features) tensors"
        return None

    def weight_groups(self) -> tuple[str, ...]:
        return ("query_dense/vars", "key_dense/vars", "value_dense/vars", "output_dense/vars")

    def weights(self, input_shape: list, convention: str = "keras") -> list[Weight]:
        query, value = input_shape[0], input_shape[1]
        key = input_shape[2] if len(input_shape) > 2 else value
        heads, key_dim, value_dim = self.num_heads, self.key_dim, self.value_dim or self.key_dim
        out = self.output_size or query[-1]
        weights = []
        for name, features, width in (("query", query[-1], key_dim), ("key", key[-1], key_dim),
                                      ("value", value[-1], value_dim)):  # fmt: skip
            weights.append(Weight(f"{name}/kernel", (features, heads, width), "glorot_uniform"))
            if self.use_bias:
                weights.append(Weight(f"{name}/bias", (heads, width)))
        weights.append(Weight("attention_output/kernel", (heads, value_dim, out), "glorot_uniform"))
        if self.use_bias:
            weights.append(Weight("attention_output/bias", (out,)))
        return weights

    def mult_adds(self, input_shape: list) -> int | None:
        query, value = input_shape[0], input_shape[1]
        key = input_shape[2] if len(input_shape) > 2 else value
        tq, tv = _product(query[1:-1]), _product(key[1:-1])
        if tq is None or tv is None:
            return None
        heads, key_dim, value_dim = self.num_heads, self.key_dim, self.value_dim or self.key_dim
        out = self.output_size or query[-1]
        projections = tq * query[-1] * heads * key_dim
        projections += tv * (key[-1] * heads * key_dim + value[-1] * heads * value_dim)
        attention = heads * tq * tv * (key_dim + value_dim)
        return _batch(query) * (projections + attention + tq * heads * value_dim * out)

    def mult_adds_terms(self, input_shape: list) -> tuple[str, str] | None:
        query, value = input_shape[0], input_shape[1]
        key = input_shape[2] if len(input_shape) > 2 else value
        heads, key_dim, value_dim = self.num_heads, self.key_dim, self.value_dim or self.key_dim
        out = self.output_size or query[-1]
        tq, tv = _dim_text(_product(query[1:-1]), "Tq"), _dim_text(_product(key[1:-1]), "Tv")
        numbers = (f"{tq}·{query[-1]}·{heads}·{key_dim} + {tv}·({key[-1]}·{heads}·{key_dim} + "
                   f"{value[-1]}·{heads}·{value_dim}) + {heads}·{tq}·{tv}·({key_dim} + {value_dim}) + "
                   f"{tq}·{heads}·{value_dim}·{out}")  # fmt: skip
        return "Tq·Dq·h·k + Tv·(Dk·h·k + Dv·h·v) + h·Tq·Tv·(k + v) + Tq·h·v·O", numbers

    def equations(self) -> tuple[str, ...]:
        return ("per head h: Q = query · W_q[h], K = key · W_k[h], V = value · W_v[h]" + (" (plus biases)"
                if self.use_bias else ""),  # fmt: skip
                f"head_h = softmax(Q · Kᵀ / sqrt({self.key_dim})) · V",
                "y = Σ_h head_h · W_o[h]" + (" + bias" if self.use_bias else ""))

    def shape_rule(self) -> str:
        return "the query's shape, its last dim the output size (out=, default the query's)"


class RNN(Layer):
    """Keras's generic RNN over a cell: RNN(LSTMCell(U)) computes what LSTM(U)
    does, under another class and name; ``layer`` is that recurrent layer."""

    def __init__(self, layer: Recurrent):
        self.layer = layer

    keras_type = "RNN"
    keras_name = "rnn"
    required_rank = 3
    sequence_flag = "seq"
    call_takes_mask = True
    takes_initial_state = True

    def output_shape(self, input_shape: Shape) -> Shape:
        return self.layer.output_shape(input_shape)

    def output_shapes(self, input_shape: Shape) -> tuple[Shape, ...]:
        return self.layer.output_shapes(input_shape)

    def output_count(self) -> int:
        return self.layer.output_count()

    def several_outputs_flag(self) -> str | None:
        return self.layer.several_outputs_flag()

    def keeps_mask(self) -> bool:
        return self.layer.keeps_mask()

    def weights(self, input_shape: Shape, convention: str = "keras") -> list[Weight]:
        return self.layer.weights(input_shape, convention)

    def auto_names(self) -> tuple[str, ...]:
        # The cell is constructed first: LSTMCell takes 'lstm_cell'.
        return (self.layer.keras_name + "_cell" if self.layer.keras_name != "simple_rnn" else "simple_rnn_cell",
                self.keras_name)  # fmt: skip

    def weight_groups(self) -> tuple[str, ...]:
        return self.layer.weight_groups()

    def initial_states(self) -> tuple[int, int] | None:
        return self.layer.initial_states()

    # Keras's RNN hands the cell every state it is given: a GRUCell given [h, c]
    # fails when it runs (only the GRU layer keeps the first).
    ignores_extra_states = False

    def mult_adds(self, input_shape: Shape) -> int | None:
        return self.layer.mult_adds(input_shape)

    def mult_adds_terms(self, input_shape: Shape) -> tuple[str, str] | None:
        return self.layer.mult_adds_terms(input_shape)

    def equations(self) -> tuple[str, ...]:
        return self.layer.equations()

    def shape_rule(self) -> str:
        return self.layer.shape_rule()

    def directions(self) -> tuple[bool, ...]:
        return self.layer.directions()

    def output_roles(self) -> tuple[tuple[str, int | None], ...]:
        return self.layer.output_roles()

    def output_activation(self) -> str | None:
        return self.layer.output_activation()


RECURRENT_KINDS: dict[str, type[Recurrent]] = {
    "simple": SimpleRNN,
    "rnn": SimpleRNN,
    "lstm": LSTM,
    "gru": GRU,
}

# The kinds a wrapper's second word may name: bi:lstm:8, td:dense:4.
WRAPPED_KINDS: dict[type[Layer], dict[str, type[Layer]]] = {
    Bidirectional: RECURRENT_KINDS,
    TimeDistributed: {"dense": Dense},
    RNN: RECURRENT_KINDS,
}

# Every kind word of the spec grammar, aliases included.
KINDS: dict[str, type[Layer]] = {
    **RECURRENT_KINDS,
    "bi": Bidirectional,
    "dense": Dense,
    "td": TimeDistributed,
    "embedding": Embedding,
    "emb": Embedding,
    "dropout": Dropout,
    "masking": Masking,
    "conv1d": Conv1D,
    "conv": Conv1D,
    "maxpool": MaxPooling1D,
    "avgpool": AveragePooling1D,
    "globalmax": GlobalMaxPooling1D,
    "globalavg": GlobalAveragePooling1D,
    "flatten": Flatten,
    "repeat": RepeatVector,
    "batchnorm": BatchNormalization,
    "bn": BatchNormalization,
    "layernorm": LayerNormalization,
    "ln": LayerNormalization,
    "activation": Activation,
    "spatialdropout": SpatialDropout1D,
    "noise": GaussianNoise,
    "concat": Concatenate,
    "add": Add,
    "subtract": Subtract,
    "multiply": Multiply,
    "average": Average,
    "maximum": Maximum,
    "minimum": Minimum,
    "reshape": Reshape,
    "permute": Permute,
    "relu": ReLU,
    "leakyrelu": LeakyReLU,
    "prelu": PReLU,
    "elu": ELU,
    "softmax": Softmax,
    "dot": Dot,
    "attention": Attention,
    "additive_attention": AdditiveAttention,
    "mha": MultiHeadAttention,
    "cell": RNN,
}
ALIASES = {"rnn": "simple", "emb": "embedding", "conv": "conv1d", "bn": "batchnorm", "ln": "layernorm"}

# The kinds of SPEC section 12 (graphs), checked against Keras (and their
# PyTorch code against PyTorch) in graphs, tests/fixtures/keras_graphs*.json,
# rather than in the stack fixtures.
GRAPH_KINDS: frozenset[type[Layer]] = frozenset(
    {Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum, Reshape, Permute, ReLU, LeakyReLU, PReLU, ELU,
     Softmax, Dot, Attention, AdditiveAttention, MultiHeadAttention, RNN}
)  # fmt: skip
