"""A stack as PyTorch code: a module whose build_model() returns an nn.Module
that computes what the Keras model computes, and Keras's weights converted to
that module's state_dict().

Each kind has one function here (``PARTS``) that says how the kind is written
in PyTorch: the submodule it holds (PyTorch's own where it is exact, else short
code of the module's own, with the reason), the lines of ``forward`` that apply
it, its parameters, and how Keras's weights (``get_weights()`` order) become
them. The parameters are the kind's weights under the torch convention
(``kinds``): the module's own code keeps PyTorch's layout, so the count the
generated module's header gives is the one ``rnnshape summary --convention
torch`` shows, and converted weights fit PyTorch's modules and its own alike.

Nothing the user typed reaches the code but layer names, and those only as
Python identifiers checked here (``attribute_names``), so a crafted name cannot
inject code. Pure Python: the conversion gets NumPy arrays and uses their
methods, and imports NumPy itself only where it makes new arrays.
"""

from __future__ import annotations

import builtins
import keyword
import re
from typing import Callable

from . import __version__
from .errors import InputError
from .kinds import (
    ELU, GRU, LSTM, RNN, Activation, Add, AdditiveAttention, Attention, Average, AveragePooling1D,
    BatchNormalization, Bidirectional, Concatenate, Conv1D, Dense, Dot, Dropout, Embedding, Flatten, GaussianNoise,
    GlobalAveragePooling1D, GlobalMaxPooling1D, Layer, LayerNormalization, LeakyReLU, Masking, Maximum, MaxPooling1D,
    Minimum, MultiHeadAttention, Multiply, Permute, PReLU, ReLU, RepeatVector, Reshape, SimpleRNN, Softmax,
    SpatialDropout1D, Subtract, TimeDistributed, Weight,
)  # fmt: skip
from .shapes import Row, Summary
from .values import Value

# Keras activation name -> the PyTorch function that computes it, or the name of
# a helper of torch_helpers where PyTorch's function needs Keras's arguments or
# has no equivalent. Keras's torch backend calls the same functions.
ACTIVATIONS = {
    "celu": "F.celu", "elu": "F.elu", "exponential": "torch.exp", "gelu": "F.gelu",
    "hard_shrink": "F.hardshrink", "hard_sigmoid": "F.hardsigmoid", "hard_silu": "F.hardswish",
    "hard_swish": "F.hardswish", "hard_tanh": "F.hardtanh", "leaky_relu": "leaky_relu", "linear": "linear",
    "log_sigmoid": "F.logsigmoid", "log_softmax": "log_softmax", "mish": "F.mish", "relu": "torch.relu",
    "relu6": "F.relu6", "selu": "F.selu", "sigmoid": "torch.sigmoid", "silu": "F.silu",
    "soft_shrink": "F.softshrink", "softmax": "softmax", "softplus": "F.softplus", "softsign": "F.softsign",
    "sparse_plus": "sparse_plus", "sparse_sigmoid": "sparse_sigmoid", "sparsemax": "sparsemax",
    "squareplus": "squareplus", "swish": "F.silu", "tanh": "torch.tanh", "tanh_shrink": "F.tanhshrink",
}  # fmt: skip

class Helper(Value):
    """A definition of ``torch_helpers``: its source, and the names of the
    other definitions it uses (which the generated module needs too), and of
    the imports beyond torch's ("math")."""

    def __init__(self, source: str, uses: frozenset[str]):
        self.source, self.uses = source, uses


def helpers() -> dict[str, Helper]:
    """The module's own code, each piece written into it only when a layer
    needs it: every top-level definition of ``torch_helpers``, by name, in that
    module's order. It is read as text (Python's own parser finds the
    definitions and the names they use), never imported: rnnshape does not
    need PyTorch."""
    global _HELPERS
    if _HELPERS is None:
        import ast
        from pathlib import Path

        source = Path(__file__).with_name("torch_helpers.py").read_text(encoding="utf-8")
        lines = source.splitlines()
        definitions = [node for node in ast.parse(source).body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
        names = {node.name for node in definitions}
        _HELPERS = {}
        for node in definitions:
            used = {name.id for name in ast.walk(node) if isinstance(name, ast.Name)} & (names - {node.name} | {"math"})
            first = min([node.lineno] + [decorator.lineno for decorator in node.decorator_list])
            text = "\n".join(lines[first - 1: node.end_lineno])  # whole lines: definitions start a line
            _HELPERS[node.name] = Helper("\n" + text + "\n", frozenset(used))
    return _HELPERS


_HELPERS: dict[str, Helper] | None = None

# Attribute names an nn.Module has already (torch 2.x's dir(nn.Module) and
# what its __init__ sets): a layer named so gets another attribute name.
MODULE_ATTRIBUTES = frozenset({
    "T_destination", "add_module", "apply", "bfloat16", "buffers", "call_super_init", "children", "compile",
    "cpu", "cuda", "double", "dump_patches", "eval", "extra_repr", "float", "forward", "get_buffer",
    "get_extra_state", "get_parameter", "get_submodule", "half", "ipu", "load_state_dict", "modules", "mtia",
    "named_buffers", "named_children", "named_modules", "named_parameters", "parameters",
    "register_backward_hook", "register_buffer", "register_forward_hook", "register_forward_pre_hook",
    "register_full_backward_hook", "register_full_backward_pre_hook", "register_load_state_dict_post_hook",
    "register_load_state_dict_pre_hook", "register_module", "register_parameter",
    "register_state_dict_post_hook", "register_state_dict_pre_hook", "requires_grad_", "set_extra_state",
    "set_submodule", "share_memory", "state_dict", "to", "to_empty", "train", "training", "type", "xpu",
    "zero_grad",
})  # fmt: skip

Converter = Callable[[list], list]  # Keras's arrays of a layer -> [(state_dict name, array)]


class Part(Value):
    """How one layer is written in PyTorch.

    ``module``: the submodule's constructor (None: the layer needs none);
    ``lines``: the forward lines, on ``x`` (and ``mask``), where ``{m}`` is the
    submodule; ``parameters``: its parameters (the torch convention's weights);
    ``buffers``: other state_dict entries; ``convert``: Keras's arrays -> those
    entries, in order; ``custom``: why code of the module's own is needed
    (empty: PyTorch's own modules are exact); ``helpers``: that code;
    ``count_note``: why its parameter count differs from Keras's, if it does."""

    def __init__(self, module: str | None, lines: tuple[str, ...], parameters: tuple[Weight, ...] = (),
                 buffers: tuple[Weight, ...] = (), convert: Converter | None = None, custom: str = "",
                 helpers: tuple[str, ...] = (), count_note: str = ""):  # fmt: skip
        self.module, self.lines, self.parameters, self.buffers = module, lines, parameters, buffers
        self.convert, self.custom, self.helpers, self.count_note = convert, custom, helpers, count_note


def _activate(name: str, expression: str) -> str:
    """``expression`` through the Keras activation ``name`` ("linear": as it is)."""
    return expression if name == "linear" else f"{ACTIVATIONS[name]}({expression})"


def _activation_helpers(*names: str, called: bool = True) -> tuple[str, ...]:
    """The helpers the activations need; "linear" needs one only where it is
    passed as a function rather than left out of a call (``called``)."""
    return tuple(ACTIVATIONS[name] for name in names
                 if not ACTIVATIONS[name].startswith(("F.", "torch.")) and (name != "linear" or not called))  # fmt: skip


def _channels_first(expression: str) -> str:
    """What a (batch, steps, channels) tensor is to PyTorch's Conv1d and pooling."""
    return f"{expression}.transpose(1, 2)"


# Recurrent layers ---------------------------------------------------------------

# KerasRNN's arguments after the sizes that are Keras's own, with its defaults.
KERAS_RNN_OPTIONS = {"activation": "tanh", "recurrent_activation": "sigmoid", "reset_after": True,
                     "dropout": 0.0, "recurrent_dropout": 0.0, "stateful": False}  # fmt: skip


def _recurrent_custom(cell, masked: bool) -> str:
    """Why PyTorch's own module for ``cell`` is not exact (empty: it is)."""
    reasons = cell.torch_differences()
    if masked:
        reasons.append(f"a mask ({cell.torch_module} with packed sequences skips padding at the end of a "
                       "sequence only)")  # fmt: skip
    return "; ".join(reasons)


def _recurrent_module(cell, features: int, bidirectional: bool, custom: str) -> str:
    """PyTorch's own module, or KerasRNN with the Keras options that differ from its defaults."""
    arguments = [str(features), str(cell.units)]
    if custom:
        arguments.insert(0, f'"{cell.torch_module[3:].lower()}"')  # nn.LSTM -> "lstm"
    else:
        arguments.append("batch_first=True")
        if cell.activation != "tanh":
            arguments.append(f'nonlinearity="{cell.activation}"')  # nn.RNN's relu
    if not cell.use_bias:
        arguments.append("bias=False")
    if bidirectional:
        arguments.append("bidirectional=True")
    if not custom:
        return f"{cell.torch_module}({', '.join(arguments)})"
    for option, default in KERAS_RNN_OPTIONS.items():
        value = getattr(cell, option, default)
        if value != default:
            arguments.append(f"{option}={ACTIVATIONS[value] if option.endswith('activation') else repr(value)}")
    return f"KerasRNN({', '.join(arguments)})"


def _recurrent_parameters(cell, input_shape, directions: int) -> tuple[Weight, ...]:
    """The torch convention's weights: those of PyTorch's module, and of KerasRNN."""
    one = cell.weights(input_shape, "torch")
    return tuple(one) + tuple(weight.replace(name=weight.name + "_reverse") for weight in one if directions == 2)


def _recurrent_arrays(cell, arrays: list) -> list:
    """Keras's kernel, recurrent_kernel and bias -> PyTorch's weight_ih_l0,
    weight_hh_l0, bias_ih_l0 and bias_hh_l0: kernels transposed, gate blocks in
    PyTorch's order, and Keras's bias in bias_ih with zeros in bias_hh, or, for
    a GRU with reset_after, its two rows (input and recurrent) in each."""
    import numpy as np

    kernel, recurrent_kernel, bias = (list(arrays) + [None])[:3]
    units = recurrent_kernel.shape[0]
    order = np.concatenate([np.arange(block * units, (block + 1) * units) for block in cell.torch_gate_order])
    converted = [("weight_ih_l0", kernel[:, order].T.copy()), ("weight_hh_l0", recurrent_kernel[:, order].T.copy())]
    if bias is not None:
        input_bias, recurrent_bias = (bias[0], bias[1]) if bias.ndim == 2 else (bias, np.zeros_like(bias))
        converted += [("bias_ih_l0", input_bias[order].copy()), ("bias_hh_l0", recurrent_bias[order].copy())]
    return converted


def _states(cell) -> tuple[str, list[str]]:
    """The target of a recurrent module's final states in ``forward`` (h_n, or
    (h_n, c_n) for an LSTM), and the names of its state tensors."""
    names = ["h", "c"][: cell.states]
    return (names[0] if cell.states == 1 else f"({', '.join(names)})"), names


def _rnn_helpers(cell) -> tuple[str, ...]:
    names = (cell.activation, getattr(cell, "recurrent_activation", "sigmoid"))
    return ("KerasRNN",) + _activation_helpers(*names, called=False)


def _count_note(cell) -> str:
    if not cell.use_bias or len(cell.bias_shape()) == 2:
        return ""  # no bias, or a GRU's two, as PyTorch keeps them
    return ("PyTorch's recurrent modules (and KerasRNN, which keeps their layout) have two biases, bias_ih and "
            "bias_hh, where Keras's SimpleRNN, LSTM and GRU with reset_after=False have one; converted weights "
            "put Keras's in bias_ih and zeros in bias_hh.")  # fmt: skip


def _initial_states(cell, init: tuple[str, ...], directions: int) -> str:
    """Keras's initial_state (the tensors ``init``: each direction's states in
    turn, h then c) as PyTorch's modules take it: h_0, or (h_0, c_0), each
    (directions, batch, units). A cell given more states than it has (a GRU
    given [h, c]) uses its first ones, as Keras's does."""
    half = len(init) // directions
    per_direction = [init[number * half: number * half + cell.states] for number in range(directions)]
    stacked = [f"{states[0]}.unsqueeze(0)" if directions == 1 else f"torch.stack([{', '.join(states)}])"
               for states in zip(*per_direction)]  # fmt: skip
    return stacked[0] if len(stacked) == 1 else f"({', '.join(stacked)})"


def recurrent(layer, row: Row, init: tuple[str, ...] = ()) -> Part:
    """A SimpleRNN, LSTM or GRU layer. go_backwards reads the steps from the
    last: the input (and mask) flipped, and the output sequence in the order
    the layer made it, as Keras returns it. ``init``: the tensors of its
    initial states, in a graph."""
    custom = _recurrent_custom(layer, row.masked)
    flip = ".flip(1)" if layer.go_backwards else ""
    call = f"{{m}}(x{flip}, mask{flip})" if row.masked else f"{{m}}(x{flip})"
    if init:
        call = f"{{m}}(x{flip}, hx={_initial_states(layer, init, 1)})"
    target, names = _states(layer)
    lines = [f"x, {target} = {call}"]
    result = "x" if layer.return_sequences else "h[0]"  # without it, the last state h is the output
    if layer.return_state:
        lines.append(f"x = ({', '.join([result] + [f'{name}[0]' for name in names])})")
    elif result != "x":
        lines.append(f"x = {result}")
    return Part(
        _recurrent_module(layer, row.input_shape[-1], False, custom), tuple(lines),
        _recurrent_parameters(layer, row.input_shape, 1), convert=lambda arrays: _recurrent_arrays(layer, arrays),
        custom=custom, helpers=_rnn_helpers(layer) if custom else (), count_note=_count_note(layer),
    )  # fmt: skip


MERGES = {"sum": "{f} + {b}", "mul": "{f} * {b}", "ave": "({f} + {b}) / 2", None: "{f}, {b}"}


def bidirectional(layer: Bidirectional, row: Row, init: tuple[str, ...] = ()) -> Part:
    """Keras's Bidirectional: PyTorch's bidirectional=True runs the same two
    copies; their outputs (at each step, or the last states) are merged as
    merge_mode says, and the states follow, forward then backward. ``init``:
    the tensors of its initial states, in a graph (the forward copy's, then
    the backward one's)."""
    cell = layer.layer
    custom = _recurrent_custom(cell, row.masked)
    units = cell.units
    target, names = _states(cell)
    lines = [f"x, {target} = {{m}}(x, mask)" if row.masked else f"x, {target} = {{m}}(x)"]
    if init:
        lines = [f"x, {target} = {{m}}(x, hx={_initial_states(cell, init, 2)})"]
    if cell.return_sequences:
        forward, backward = f"x[..., :{units}]", f"x[..., {units}:]"
    else:
        forward, backward = "h[0]", "h[1]"
    if layer.merge_mode == "concat":
        merged = "x" if cell.return_sequences else "torch.cat([h[0], h[1]], -1)"
    else:
        merged = MERGES[layer.merge_mode].format(f=forward, b=backward)
    states = [f"{name}[{direction}]" for direction in (0, 1) for name in names]
    if cell.return_state:
        lines.append(f"x = ({merged}, {', '.join(states)})")
    elif layer.merge_mode is None:
        lines.append(f"x = ({merged})")
    elif merged != "x":
        lines.append(f"x = {merged}")

    def convert(arrays: list) -> list:
        half = len(arrays) // 2
        backward = [(name + "_reverse", array) for name, array in _recurrent_arrays(cell, arrays[half:])]
        return _recurrent_arrays(cell, arrays[:half]) + backward

    return Part(
        _recurrent_module(cell, row.input_shape[-1], True, custom), tuple(lines),
        _recurrent_parameters(cell, row.input_shape, 2), convert=convert, custom=custom,
        helpers=_rnn_helpers(cell) if custom else (), count_note=_count_note(cell),
    )  # fmt: skip


# Other layers -------------------------------------------------------------------


def _transposed(arrays: list) -> list:
    """A kernel (inputs, units) and its bias -> nn.Linear's weight (units, inputs) and bias."""
    return [("weight", arrays[0].T.copy())] + [("bias", array) for array in arrays[1:]]


def dense(layer: Dense, row: Row) -> Part:
    """nn.Linear acts on the last axis, as Dense does, whatever the rank."""
    bias = "" if layer.use_bias else ", bias=False"
    line = f"x = {_activate(layer.activation, '{m}(x)')}"
    return Part(f"nn.Linear({row.input_shape[-1]}, {layer.units}{bias})", (line,),
                tuple(layer.weights(row.input_shape, "torch")), convert=_transposed,
                helpers=_activation_helpers(layer.activation))  # fmt: skip


def time_distributed(layer: TimeDistributed, row: Row) -> Part:
    """A Dense at every step is a Dense on the sequence."""
    return dense(layer.layer, row)


def embedding(layer: Embedding, row: Row) -> Part:
    lines = ("mask = x != 0", "x = {m}(x)") if layer.mask_zero else ("x = {m}(x)",)
    return Part(f"nn.Embedding({layer.input_dim}, {layer.output_dim})", lines,
                tuple(layer.weights(row.input_shape, "torch")), convert=lambda arrays: [("weight", arrays[0])])


def conv1d(layer: Conv1D, row: Row) -> Part:
    """nn.Conv1d on the channels-first view. Keras's causal padding (all before)
    and its same padding with strides above 1 are padded here first."""
    arguments = [str(row.input_shape[-1]), str(layer.filters), str(layer.kernel_size)]
    arguments += [f"{word}={value}" for word, value in (("stride", layer.strides), ("dilation", layer.dilation_rate))
                  if value != 1]  # fmt: skip
    x, custom, helpers = _channels_first("x"), "", ()
    if layer.padding == "same" and layer.strides == 1:
        arguments.append('padding="same"')
    elif layer.padding == "same":
        dilation = f", {layer.dilation_rate}" if layer.dilation_rate != 1 else ""
        x = f"pad_same({x}, {layer.kernel_size}, {layer.strides}{dilation})"
        custom, helpers = "Keras's same padding with a stride above 1 (nn.Conv1d's needs a stride of 1)", ("pad_same",)
    elif layer.padding == "causal":
        x = f"F.pad({x}, ({layer.dilation_rate * (layer.kernel_size - 1)}, 0))"
    if not layer.use_bias:
        arguments.append("bias=False")
    line = f"x = {_activate(layer.activation, '{m}(' + x + ').transpose(1, 2)')}"

    def convert(arrays: list) -> list:  # Keras's kernel (window, in, out) -> (out, in, window)
        return [("weight", arrays[0].transpose(2, 1, 0).copy())] + [("bias", array) for array in arrays[1:]]

    return Part(f"nn.Conv1d({', '.join(arguments)})", (line,), tuple(layer.weights(row.input_shape, "torch")),
                convert=convert, custom=custom, helpers=helpers + _activation_helpers(layer.activation))  # fmt: skip


def max_pooling1d(layer: MaxPooling1D, row: Row) -> Part:
    x, custom, helpers = _channels_first("x"), "", ()
    if layer.padding == "same":  # padding that never wins the maximum
        x = f'pad_same({x}, {layer.pool_size}, {layer.stride}, value=-float("inf"))'
        custom, helpers = "Keras's same padding (nn.MaxPool1d pads both sides alike)", ("pad_same",)
    return Part(f"nn.MaxPool1d({layer.pool_size}, {layer.stride})", (f"x = {{m}}({x}).transpose(1, 2)",),
                custom=custom, helpers=helpers)  # fmt: skip


def average_pooling1d(layer: AveragePooling1D, row: Row) -> Part:
    if layer.padding == "same":
        line = f"x = average_pool_same({_channels_first('x')}, {layer.pool_size}, {layer.stride}).transpose(1, 2)"
        return Part(None, (line,), custom="Keras's same padding, whose windows average their real steps only",
                    helpers=("average_pool_same",))  # fmt: skip
    line = f"x = {{m}}({_channels_first('x')}).transpose(1, 2)"
    return Part(f"nn.AvgPool1d({layer.pool_size}, {layer.stride})", (line,))


def global_max_pooling1d(layer, row: Row) -> Part:
    return Part(None, ("x = x.amax(1)",))


def global_average_pooling1d(layer, row: Row) -> Part:
    if row.masked:  # the mean over the steps that are data (nan where there are none, as in Keras)
        return Part(None, ("weights = mask.unsqueeze(-1).to(x.dtype)", "x = (x * weights).sum(1) / weights.sum(1)"))
    return Part(None, ("x = x.mean(1)",))


def flatten(layer, row: Row) -> Part:
    return Part(None, ("x = x.flatten(1)",))


def repeat_vector(layer: RepeatVector, row: Row) -> Part:
    return Part(None, (f"x = x.unsqueeze(1).repeat(1, {layer.n}, 1)",))


def batch_normalization(layer: BatchNormalization, row: Row) -> Part:
    """nn.BatchNorm1d with Keras's epsilon and momentum (PyTorch's momentum is
    Keras's 1 - momentum). A frozen one runs in inference mode even in
    training, as Keras's does."""
    x = "x" if len(row.input_shape) == 2 else _channels_first("x")
    back = "" if len(row.input_shape) == 2 else ".transpose(1, 2)"
    features = row.input_shape[-1]
    module, custom, helpers = "nn.BatchNorm1d", "", ()
    if not row.trainable:
        module, helpers = "FrozenBatchNorm1d", ("FrozenBatchNorm1d",)
        custom = "a frozen BatchNormalization, in inference mode even in training, as in Keras"
    buffers = (Weight("running_mean", (features,)), Weight("running_var", (features,), "ones"),
               Weight("num_batches_tracked", ()))  # fmt: skip

    def convert(arrays: list) -> list:
        import numpy as np

        gamma, beta, mean, variance = arrays
        return [("weight", gamma), ("bias", beta), ("running_mean", mean), ("running_var", variance),
                ("num_batches_tracked", np.array(0, dtype=np.int64))]  # fmt: skip

    return Part(f"{module}({features}, eps={layer.epsilon}, momentum=0.01)", (f"x = {{m}}({x}){back}",),
                tuple(layer.weights(row.input_shape, "torch")), buffers, convert, custom, helpers,
                count_note="BatchNorm's moving mean and variance, which Keras counts, are buffers in PyTorch.")


def layer_normalization(layer: LayerNormalization, row: Row) -> Part:
    return Part(f"nn.LayerNorm({row.input_shape[-1]}, eps={layer.epsilon})", ("x = {m}(x)",),
                tuple(layer.weights(row.input_shape, "torch")),
                convert=lambda arrays: [("weight", arrays[0]), ("bias", arrays[1])])


def activation(layer: Activation, row: Row) -> Part:
    return Part(None, (f"x = {_activate(layer.activation, 'x')}",) if layer.activation != "linear" else (),
                helpers=_activation_helpers(layer.activation))  # fmt: skip


def dropout(layer: Dropout, row: Row) -> Part:
    return Part(f"nn.Dropout({layer.rate})", ("x = {m}(x)",))


def spatial_dropout1d(layer: SpatialDropout1D, row: Row) -> Part:
    """Whole feature channels dropped, as nn.Dropout1d does on (batch, channels, steps)."""
    return Part(f"nn.Dropout1d({layer.rate})", (f"x = {{m}}({_channels_first('x')}).transpose(1, 2)",))


def gaussian_noise(layer: GaussianNoise, row: Row) -> Part:
    return Part(f"GaussianNoise({layer.stddev})", ("x = {m}(x)",),
                custom="Keras's GaussianNoise (PyTorch has no noise layer)", helpers=("GaussianNoise",))  # fmt: skip


def masking(layer: Masking, row: Row) -> Part:
    """Keras's Masking: a step is padding when every feature equals the value;
    padding steps become zeros, and the mask goes to the layers after."""
    value = float(layer.mask_value)
    return Part(None, (f"mask = (x != {value!r}).any(-1)", "x = x * mask.unsqueeze(-1)"))


# Layers of graphs ------------------------------------------------------------------
# A layer called on several tensors reads them as x0, x1, ... and their masks as
# mask0, mask1, ... (None where a tensor has none); ``_node_lines`` renames them.


def _arguments(row: Row) -> list[str]:
    return [f"x{number}" for number in range(len(row.input_shape))]


def _masks(row: Row) -> list[str]:
    return [f"mask{number}" for number in range(len(row.input_shape))]


# How each merge combines its tensors, in Keras's order (Average divides after).
OPERATORS = {Add: " + ", Subtract: " - ", Multiply: " * ", Average: " + "}
EXTREMA = {Maximum: "torch.maximum", Minimum: "torch.minimum"}


def arithmetic_merge(layer, row: Row) -> Part:
    """Add, Subtract, Average, and Multiply of tensors without masks: masks
    change nothing they compute."""
    tensors = _arguments(row)
    expression = OPERATORS[type(layer)].join(tensors)
    return Part(None, (f"x = ({expression}) / {len(tensors)}" if isinstance(layer, Average) else f"x = {expression}",))


def multiply(layer: Multiply, row: Row) -> Part:
    """Keras's Multiply reads a masked step as 1 (Keras's _apply_merge_op_and_or_mask)."""
    if not row.masked:
        return arithmetic_merge(layer, row)
    return Part(None, (f"x = masked_multiply([{', '.join(_arguments(row))}], [{', '.join(_masks(row))}])",),
                custom="Keras's Multiply of masked tensors", helpers=("masked_multiply",))  # fmt: skip


def extremum(layer, row: Row) -> Part:
    """Maximum and Minimum: where one tensor is masked, the other's value is taken."""
    function, tensors = EXTREMA[type(layer)], _arguments(row)
    if row.masked:
        line = f"x = masked_extremum({function}, [{', '.join(tensors)}], [{', '.join(_masks(row))}])"
        return Part(None, (line,), custom=f"Keras's {layer.keras_type} of masked tensors",
                    helpers=("masked_extremum",))  # fmt: skip
    expression = tensors[0]
    for tensor in tensors[1:]:
        expression = f"{function}({expression}, {tensor})"
    return Part(None, (f"x = {expression}",))


def concatenate(layer: Concatenate, row: Row) -> Part:
    return Part(None, (f"x = torch.cat([{', '.join(_arguments(row))}], {layer.axis})",))


def dot(layer: Dot, row: Row) -> Part:
    """Keras's Dot: a product of two samples along one axis of each (each
    L2-normalised there first with normalize), written as an einsum."""
    first, second = row.input_shape
    axes = layer._axes(first, second)
    one_axis, other_axis = axes[0] % len(first), axes[1] % len(second)
    letters = "abcdefghijklmnopqrstuvw"
    one = ["z"] + list(letters[: len(first) - 1])
    other = ["z"] + list(letters[len(first) - 1: len(first) + len(second) - 2])
    other[other_axis] = one[one_axis]
    kept = [letter for number, letter in enumerate(one) if number != one_axis]
    kept += [letter for number, letter in enumerate(other) if number not in (0, other_axis)]
    tensors = ["x0", "x1"]
    if layer.normalize:
        tensors = [f"F.normalize({tensor}, dim={axis}, eps=1e-7)" for tensor, axis in zip(tensors, (one_axis, other_axis))]
    line = f'x = torch.einsum("{"".join(one)},{"".join(other)}->{"".join(kept)}", {", ".join(tensors)})'
    return Part(None, (line,) if len(kept) > 1 else (line, "x = x.unsqueeze(1)"))


def attention(layer: Attention, row: Row) -> Part:
    """Keras's Attention and AdditiveAttention: the query's mask and the value's
    are used, as Keras uses them."""
    arguments = _arguments(row)
    if row.masked:
        arguments += ["query_mask=mask0", "value_mask=mask1"]
    options = [f'"{layer.score_mode}"']
    weights = layer.weights(row.input_shape, "torch")
    if layer.use_scale:  # a scale of one number, or one per feature (AdditiveAttention's)
        options += ["use_scale=True"] + [f"features={size}" for size in weights[0].shape]
    return Part(f"KerasAttention({', '.join(options)})", (f"x = {{m}}({', '.join(arguments)})",),
                tuple(weights), convert=lambda arrays: _named(layer, row, arrays),
                custom=f"Keras's {layer.keras_type} (nn.MultiheadAttention is another computation)",
                helpers=("KerasAttention",))  # fmt: skip


def _named(layer: Layer, row: Row, arrays: list) -> list:
    """Arrays whose state_dict names are the layer's torch-convention weights' own."""
    return [(weight.name, array) for weight, array in zip(layer.weights(row.input_shape, "torch"), arrays)]


def multi_head_attention(layer: MultiHeadAttention, row: Row) -> Part:
    """Keras's MultiHeadAttention, whose projections are nn.Linear layers here:
    Keras's kernels (features, heads, size) become weights (heads · size,
    features), the output's (heads, size, out) one (out, heads · size)."""
    query, value = row.input_shape[0], row.input_shape[1]
    key = row.input_shape[2] if len(row.input_shape) > 2 else value
    heads, key_dim, value_dim = layer.num_heads, layer.key_dim, layer.value_dim or layer.key_dim
    out = layer.output_size or query[-1]
    arguments = [str(number) for number in (heads, key_dim, value_dim, query[-1], key[-1], value[-1], out)]
    if not layer.use_bias:
        arguments.append("bias=False")
    call = _arguments(row)
    if row.masked:
        call += [f"{name}_mask=mask{number}" for number, name in enumerate(("query", "value", "key")[: len(call)])]
    step = 2 if layer.use_bias else 1
    parameters = []
    for name, features, width in (("query", query[-1], heads * key_dim), ("key", key[-1], heads * key_dim),
                                  ("value", value[-1], heads * value_dim), ("output", heads * value_dim, out)):
        parameters.append(Weight(f"{name}.weight", (width, features)))
        if layer.use_bias:
            parameters.append(Weight(f"{name}.bias", (width,)))

    def convert(arrays: list) -> list:
        converted = []
        for number, name in enumerate(("query", "key", "value", "output")):
            kernel = arrays[number * step]
            if name == "output":
                converted.append(("output.weight", kernel.reshape(-1, kernel.shape[-1]).T.copy()))
            else:
                converted.append((f"{name}.weight", kernel.reshape(kernel.shape[0], -1).T.copy()))
            if layer.use_bias:
                converted.append((f"{name}.bias", arrays[number * step + 1].reshape(-1).copy()))
        return converted

    return Part(f"KerasMultiHeadAttention({', '.join(arguments)})", (f"x = {{m}}({', '.join(call)})",),
                tuple(parameters), convert=convert,
                custom="Keras's MultiHeadAttention (nn.MultiheadAttention ties each head's size to the features)",
                helpers=("KerasMultiHeadAttention",))  # fmt: skip


def reshape(layer: Reshape, row: Row) -> Part:
    return Part(None, (f"x = x.reshape(x.shape[0], {', '.join(map(str, layer.target_shape))})",))


def permute(layer: Permute, row: Row) -> Part:
    return Part(None, (f"x = x.permute(0, {', '.join(map(str, layer.dims))})",))


def relu(layer, row: Row) -> Part:
    return Part(None, ("x = torch.relu(x)",))


def elu(layer, row: Row) -> Part:
    return Part(None, ("x = F.elu(x)",))


def leaky_relu_layer(layer: LeakyReLU, row: Row) -> Part:
    return Part(None, (f"x = F.leaky_relu(x, {float(layer.negative_slope)!r})",))


def prelu(layer: PReLU, row: Row) -> Part:
    shape = ", ".join(map(str, row.input_shape[1:]))
    return Part(f"KerasPReLU({shape})", ("x = {m}(x)",), tuple(layer.weights(row.input_shape, "torch")),
                convert=lambda arrays: [("weight", arrays[0])],
                custom="Keras's PReLU, a slope per value of a sample (nn.PReLU has one per channel)",
                helpers=("KerasPReLU",))  # fmt: skip


def softmax_layer(layer: Softmax, row: Row) -> Part:
    if row.masked:
        return Part(None, (f"x = masked_softmax(x, mask, {layer.axis})",),
                    custom="Keras's Softmax of a masked tensor", helpers=("masked_softmax",))  # fmt: skip
    return Part(None, (f"x = torch.softmax(x, {layer.axis})",))


def rnn(layer: RNN, row: Row, init: tuple[str, ...] = ()) -> Part:
    """Keras's RNN over a cell computes the recurrent layer it stands for."""
    return recurrent(layer.layer, row, init)


PARTS: dict[type[Layer], Callable[..., Part]] = {
    SimpleRNN: recurrent, LSTM: recurrent, GRU: recurrent, Bidirectional: bidirectional, RNN: rnn,
    Dense: dense, TimeDistributed: time_distributed, Embedding: embedding,
    Conv1D: conv1d, MaxPooling1D: max_pooling1d, AveragePooling1D: average_pooling1d,
    GlobalMaxPooling1D: global_max_pooling1d, GlobalAveragePooling1D: global_average_pooling1d,
    Flatten: flatten, RepeatVector: repeat_vector, BatchNormalization: batch_normalization,
    LayerNormalization: layer_normalization, Activation: activation, Masking: masking,
    Dropout: dropout, SpatialDropout1D: spatial_dropout1d, GaussianNoise: gaussian_noise,
    Add: arithmetic_merge, Subtract: arithmetic_merge, Average: arithmetic_merge, Multiply: multiply,
    Maximum: extremum, Minimum: extremum,
    Concatenate: concatenate, Dot: dot, Attention: attention, AdditiveAttention: attention,
    MultiHeadAttention: multi_head_attention, Reshape: reshape, Permute: permute, ReLU: relu, ELU: elu,
    LeakyReLU: leaky_relu_layer, PReLU: prelu, Softmax: softmax_layer,
}  # fmt: skip


def parts(summary: Summary) -> list[Part]:
    """Each layer's part (its submodule, parameters and conversion), in
    get_weights() order. A layer of a graph takes a mask where any of its calls
    gets one."""
    masked = _masked_layers(summary) if not summary.sequential else set()
    return [_part(row.replace(masked=row.masked or row.name in masked)) for row in summary.layers]


def _part(row: Row, init: tuple[str, ...] = ()) -> Part:
    if type(row.spec.layer) not in PARTS:  # every kind has one; a new kind must add its own
        raise InputError(f"the PyTorch code does not write {row.type} layers yet (layer '{row.name}')")
    if init:
        return PARTS[type(row.spec.layer)](row.spec.layer, row, init)
    return PARTS[type(row.spec.layer)](row.spec.layer, row)


def attribute_names(summary: Summary) -> list[str]:
    """The submodule attribute of each layer: its Keras name where that is a
    Python identifier free to use on an nn.Module, else the name made one
    (characters other than ASCII letters, digits and '_' become '_'), prefixed
    with 'layer_' where it would still clash, or 'layer_N' where nothing is
    left of it; distinct, as Keras's names are."""
    names: list[str] = []
    for number, row in enumerate(summary.layers, 1):
        # ASCII only: Python folds other identifiers (NFKC), so two names could become one.
        name = re.sub(r"\W", "_", row.name, flags=re.ASCII)
        if not name.strip("_"):
            name = f"layer_{number}"
        elif not name.isidentifier() or keyword.iskeyword(name) or name in MODULE_ATTRIBUTES or name.startswith("_"):
            name = "layer_" + name.lstrip("_")
        base, number = name, 1
        while name in names:
            number += 1
            name = f"{base}_{number}"
        names.append(name)
    return names


# The generated module ---------------------------------------------------------------


def pytorch_module(summary: Summary) -> str:
    """The module's text for ``summary``'s stack or graph (counted as Keras counts)."""
    _require_keras_convention(summary)
    if summary.run_problems:  # Keras builds it but cannot run it: there is nothing to compute alike
        raise InputError(f"Keras builds this model but cannot run it, so there is no PyTorch equivalent: "
                         f"{summary.run_problems[0]}")  # fmt: skip
    layers = parts(summary)
    attributes = attribute_names(summary)
    init = []
    for row, part, attribute in zip(summary.layers, layers, attributes):
        module = f"self.{attribute}"
        if part.module is not None:
            init.append(f"{module} = {part.module}")
            if not row.trainable:
                init.append(f"{module}.requires_grad_(False)  # frozen, as Keras's trainable=False")
    if summary.sequential:
        forward = [line.replace("{m}", f"self.{attribute}") for part, attribute in zip(layers, attributes)
                   for line in part.lines] + ["return x"]  # fmt: skip
        inputs, calls = ["x"], []
    else:
        inputs, forward, calls = _graph_forward(summary, dict(zip((row.name for row in summary.layers), attributes)))
    needed = _needed_helpers(layers + calls)
    text = [_header(summary, layers, attributes, inputs, calls), _imports(needed)]
    text += [helper.source for name, helper in helpers().items() if name in needed] if needed else []
    text.append(MODEL.format(init=_indent(init or ["pass"], 8), inputs=", ".join(inputs),
                             forward=_indent(forward, 8)))  # fmt: skip
    return "\n".join(text)


# Graphs ------------------------------------------------------------------------------

# Names the forward code of a graph uses itself: a tensor is never given one.
RESERVED_LOCALS = frozenset({"self", "x", "h", "c", "mask", "weights", "torch", "F", "nn", "math"} | set(dir(builtins)))

# Keras's operations on masks, as PyTorch expressions of their tensors (a, b) and argument.
OPERATIONS = {
    "NotEqual": lambda a, argument: f"{a[0]} != {argument!r}",
    "Any": lambda a, argument: f"{a[0]}.any({argument})",
    "LogicalOr": lambda a, argument: f"{a[0]} | {a[1]}",
    "ConvertToTensor": lambda a, argument: a[0],
    "OnesLike": lambda a, argument: f"torch.ones_like({a[0]}, dtype=torch.bool)",
    "ZerosLike": lambda a, argument: f"torch.zeros_like({a[0]}, dtype=torch.bool)",
    "ExpandDims": lambda a, argument: f"{a[0]}.unsqueeze({argument})",
    "Concatenate": lambda a, argument: f"torch.cat([{', '.join(a)}], {argument})",
}


def _call_masks(summary: Summary, node) -> list:
    """The masks (Refs, or None) Keras hands a call, one per tensor: none to a
    call given initial states."""
    if node.init:
        return [None] * len(node.arguments)
    return [summary.nodes[ref.call].output_masks[ref.output] for ref in node.arguments]


def _computed(summary: Summary) -> list[bool]:
    """Which nodes the model computes from its inputs (as Keras's Functional
    model runs them; forward.forward skips the same)."""
    layers = {row.name for row in summary.layers}
    inputs = {ref.call for ref in summary.inputs}
    computed: list[bool] = []
    for number, node in enumerate(summary.nodes):
        computed.append(number in inputs or (
            (node.operation is not None or node.name in layers) and bool(node.arguments)
            and all(computed[ref.call] for ref in node.reads)))  # fmt: skip
    return computed


def _masked_layers(summary: Summary) -> set[str]:
    """The layers of a graph some call of which gets a mask."""
    computed = _computed(summary)
    return {node.name for number, node in enumerate(summary.nodes) if computed[number] and node.operation is None
            and any(mask is not None for mask in _call_masks(summary, node))}  # fmt: skip


def _graph_forward(summary: Summary, attributes: dict[str, str]) -> tuple[list[str], list[str], list[Part]]:
    """A graph's forward: its parameters (one per model input), its lines (a
    call's lines per layer call, an expression per mask operation a call
    needs, then the return), and the parts of the calls (for their helpers).
    The walk is made twice: the first finds the mask operations the calls
    read, the second names the tensors that are written and writes them."""
    computed = _computed(summary)
    rows = {row.name: row for row in summary.layers}
    inputs = {ref.call: number for number, ref in enumerate(summary.inputs)}

    def walk(names: dict[int, str]) -> tuple[list[str], list[Part], set[int]]:
        lines, calls, used = [], [], set()

        def tensor(ref) -> str:
            return _tensor(summary, names, ref)

        for number, node in enumerate(summary.nodes):
            if not computed[number] or number in inputs:
                continue
            if node.operation is not None:
                if number in names:
                    expression = OPERATIONS[node.operation.keras_type]([tensor(ref) for ref in node.arguments],
                                                                        _literal(node.operation.argument))
                    lines.append(f"{names[number]} = {expression}")
                continue
            masks = _call_masks(summary, node)
            row = rows[node.name]
            call_row = row.replace(input_shape=node.input_shape, outputs=node.outputs,
                                   masked=any(mask is not None for mask in masks))
            part = _part(call_row, tuple(tensor(ref) for ref in node.init))
            calls.append(part)
            module = f"self.{attributes[node.name]}"
            written, read = _node_lines(list(part.lines), module, names.get(number, "_"),
                                        [tensor(ref) for ref in node.arguments],
                                        [None if mask is None else tensor(mask) for mask in masks])  # fmt: skip
            lines += written
            used |= {masks[index].call for index in read}
        return lines, calls, used

    # Which operations the calls read, and those those read, and so on.
    _, _, wanted = walk({})
    needed, waiting = set(), list(wanted)
    while waiting:
        number = waiting.pop()
        if number not in needed and summary.nodes[number].operation is not None:
            needed.add(number)
            waiting += [ref.call for ref in summary.nodes[number].arguments]
    names: dict[int, str] = {}
    taken = set(RESERVED_LOCALS) | set(helpers())
    for number, node in enumerate(summary.nodes):
        if computed[number] and (node.operation is None or number in needed):
            names[number] = _local_name(node.name, taken)
    lines, calls, _ = walk(names)
    lines.append(f"return {', '.join(_tensor(summary, names, ref) for ref in summary.outputs)}")
    return [names[ref.call] for ref in summary.inputs], lines, calls


def _tensor(summary: Summary, names: dict[int, str], ref) -> str:
    """A tensor in forward: its node's variable, indexed where the node has
    several outputs ('_' while the variables are not named yet)."""
    name = names.get(ref.call, "_")
    return name if len(summary.nodes[ref.call].outputs) == 1 else f"{name}[{ref.output}]"


def _literal(value: object) -> object:
    """An operation's argument as a Python literal: a number (or None), never text."""
    if value is None or isinstance(value, bool):
        return value
    return value if isinstance(value, (int, float)) else float(value)


def _local_name(name: str, taken: set[str]) -> str:
    """A tensor's variable in forward: the name of the layer (or input, or
    operation) that makes it, made a Python identifier as attribute names
    are, never one of the names the code uses itself; added to ``taken``."""
    text = re.sub(r"\W", "_", name, flags=re.ASCII)
    if not text.strip("_"):
        text = "tensor"
    elif (not text.isidentifier() or keyword.iskeyword(text) or text in RESERVED_LOCALS or text.startswith("_")
          or re.fullmatch(r"(x|mask)\d+", text)):  # fmt: skip
        text = "t_" + text.lstrip("_")
    base, number = text, 1
    while text in taken:
        number += 1
        text = f"{base}_{number}"
    taken.add(text)
    return text


def _node_lines(lines: list[str], module: str, output: str, tensors: list[str],
                masks: list[str | None]) -> tuple[list[str], set[int]]:  # fmt: skip
    """A part's lines, written for a stack (on ``x`` and ``mask``, or ``x0``,
    ``mask0``, ... for several tensors), as the lines of one call in a graph:
    ``x`` is the call's tensor until a line assigns it, then its ``output``;
    ``xN`` and ``maskN`` the Nth tensor and its mask (None without one); a
    ``mask`` no line assigns is the tensor's mask, and a line that assigns a
    ``mask`` no later line reads goes (the graph's own mask operations
    compute the masks). ``{m}`` becomes ``module`` once the names are renamed
    (an attribute is no tensor, whatever its name). Returns the lines and the
    numbers of the masks read."""
    import io
    import tokenize

    result, read, assigned = [], set(), {"x": False, "mask": False}
    for number, line in enumerate(lines):
        target_end = line.index(" = ")
        targets = line[:target_end]
        if re.search(r"\bmask\b", targets) and not any(re.search(r"\bmask\b", later) for later in lines[number + 1:]):
            continue
        pieces, last, previous = [], 0, None
        for token in tokenize.generate_tokens(io.StringIO(line).readline):
            after_dot, previous = previous == ".", token.string
            if token.type != tokenize.NAME or after_dot:  # x.shape renames x; y.x is an attribute
                continue
            start, end, word = token.start[1], token.end[1], token.string
            in_target = end <= target_end
            found = re.fullmatch(r"(x|mask)(\d*)", word)
            if not found:
                continue
            kind, index = found.group(1), found.group(2)
            if index:
                replacement = tensors[int(index)] if kind == "x" else masks[int(index)]
                if kind == "mask" and replacement is not None:
                    read.add(int(index))
            elif kind == "x":
                replacement = output if in_target or assigned["x"] else tensors[0]
            elif in_target or assigned["mask"]:
                replacement = "mask"
            else:
                replacement = masks[0]
                if replacement is not None:
                    read.add(0)
            pieces += [line[last:start], "None" if replacement is None else replacement]
            last = end
        result.append(("".join(pieces) + line[last:]).replace("{m}", module))
        assigned["x"] = assigned["x"] or bool(re.search(r"\bx\b", targets))
        assigned["mask"] = assigned["mask"] or bool(re.search(r"\bmask\b", targets))
    if not assigned["x"]:  # a layer that changes nothing (a linear activation): its output is its tensor
        result.append(f"{output} = {tensors[0]}")
    return result, read


def _require_keras_convention(summary: Summary) -> None:
    if summary.convention != "keras":  # the header's Keras count, and the weights' Keras layout
        raise ValueError("the PyTorch module is made from a summary in the keras convention")


def _needed_helpers(layers: list[Part]) -> set[str]:
    """The helpers the layers name, those they use, and so on; and "math" where one imports it."""
    needed, waiting = set(), [name for part in layers for name in part.helpers]
    while waiting:
        name = waiting.pop()
        if name not in needed:
            needed.add(name)
            waiting += helpers()[name].uses if name != "math" else []
    return needed


def _imports(needed: set[str]) -> str:
    lines = ["import math", ""] if "math" in needed else []
    return "\n".join(lines + ["import torch", "import torch.nn.functional as F", "from torch import nn", ""])


def _indent(lines: list[str], spaces: int) -> str:
    return "\n".join(" " * spaces + line for line in lines)


MODEL = '''
class Model(nn.Module):
    def __init__(self):
        super().__init__()
{init}

    def forward(self, {inputs}):
{forward}


def build_model():
    return Model()


if __name__ == "__main__":
    model = build_model()
    print(model)
    print("parameters:", sum(parameter.numel() for parameter in model.parameters()))
'''


def _header(summary: Summary, layers: list[Part], attributes: list[str], inputs: list[str],
            calls: list[Part] = ()) -> str:  # fmt: skip
    parameters = sum(weight.size for part in layers for weight in part.parameters)
    builtin = sorted({part.module.split("(")[0] for part in layers if part.module and part.module.startswith("nn.")})
    where = [f"self.{attribute}" if part.module else f"layer {number} ({attribute})"
             for number, (part, attribute) in enumerate(zip(layers, attributes), 1)]  # fmt: skip
    custom = [_item(f"{place}: {part.custom}.") for place, part in zip(where, layers) if part.custom]
    # In a graph, a call's mask may need code of the module's own where its layer's other calls do not.
    custom += [_item(f"forward: {reason}.") for reason in
               dict.fromkeys(part.custom for part in calls if part.custom and part.module is None)
               if all(reason != part.custom for part in layers)]  # fmt: skip
    lines = [
        f'"""A PyTorch model, generated by rnnshape {__version__}.',
        "",
        _paragraph(f"build_model() returns an nn.Module that computes what the Keras model computes. It takes "
                   f"{_input_text(summary, inputs)}, and returns {_output_text(summary)}."),
        "",
        _paragraph(f"PyTorch's own modules: {', '.join(builtin) if builtin else 'none'}."),
    ]
    if custom:
        lines += ["Code of this module's own, where PyTorch has no exact equivalent:"] + custom
    lines += ["", f"Parameters: {parameters:,}, as rnnshape summary --convention torch counts them;",
              f"Keras counts {summary.total_params:,} (rnnshape summary)."]
    lines += [_item(note) for note in _count_notes(layers)]
    lines += [
        "",
        "Keras's weights: the command that wrote this module, with --weights KERAS_FILE",
        "--save-weights STATE.npz added, converts them to its state_dict() (gate order,",
        "transposed kernels, split biases); then",
        '    model.load_state_dict({k: torch.from_numpy(v) for k, v in np.load("STATE.npz").items()})',
        "(KERAS_FILE: an .npz of model.get_weights(), or a .keras or .weights.h5 file).",
        "Call model.eval() to compute what Keras's predict() does; in training mode",
        "dropout and noise act as in Keras's training.",
        '"""',
        "",
    ]
    return "\n".join(lines)


def _paragraph(text: str, first: str = "", rest: str = "") -> str:
    """Text of the header, wrapped to 79 columns."""
    import textwrap

    return textwrap.fill(text, 79, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False)


def _item(text: str) -> str:
    """A list item of the header."""
    return _paragraph(text, "- ", "  ")


def _input_text(summary: Summary, names: list[str]) -> str:
    """The model's inputs, as forward takes them (``names``: its parameters)."""
    if summary.sequential:
        shape = _shape_text(summary.input_shape)
        return f"Keras's batch-first input, {shape} {_dtype_text(summary.rows[0].spec.layer.first_only)}"
    texts = [f"{name} {_shape_text(shape)} {_dtype_text(layer.dtype == 'int32')}"
             for name, shape, layer in zip(names, summary.input_shapes, summary.input_layers)]  # fmt: skip
    if len(texts) == 1:
        return f"Keras's batch-first input, {texts[0]}"
    return f"Keras's {len(texts)} batch-first inputs, in its order: {', '.join(texts)}"


def _dtype_text(ids: bool) -> str:
    return "int64 token ids" if ids else "float32"


def _output_text(summary: Summary) -> str:
    outputs = summary.rows[-1].outputs if summary.sequential else summary.output_shapes
    if len(outputs) == 1:
        return f"its output, {_shape_text(outputs[0])}"
    return f"its {len(outputs)} outputs as a tuple, in Keras's order: {', '.join(map(_shape_text, outputs))}"


def _shape_text(shape) -> str:
    return "(" + ", ".join("batch" if dim is None and axis == 0 else "steps" if dim is None else str(dim)
                           for axis, dim in enumerate(shape)) + ")"  # fmt: skip


def _count_notes(layers: list[Part]) -> list[str]:
    """Why the module's count differs from Keras's, for the kinds this stack has."""
    return list(dict.fromkeys(part.count_note for part in layers if part.count_note))


# Weights ---------------------------------------------------------------------------


def state_dict(summary: Summary, weights: list[list]) -> dict:
    """Keras's weights of each row of the summary (get_weights() order, as
    ``weights`` loads them) -> the generated module's state_dict(), name -> array."""
    _require_keras_convention(summary)
    arrays = dict(zip((row.name for row in summary.rows), weights))
    state = {}
    for row, part, attribute in zip(summary.layers, parts(summary), attribute_names(summary)):
        if part.convert is None:
            continue
        for name, array in part.convert(arrays[row.name]):
            state[f"{attribute}.{name}"] = array
    return state


def state_shapes(summary: Summary) -> dict:
    """The state_dict()'s names and shapes, parameters and buffers, in order."""
    return {f"{attribute}.{weight.name}": weight.shape
            for part, attribute in zip(parts(summary), attribute_names(summary))
            for weight in part.parameters + part.buffers}  # fmt: skip
