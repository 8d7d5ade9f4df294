"""The shape engine: walk a stack of layer specs as Keras builds a Sequential.

For each layer: its Keras name (a counter per type, as in a fresh Keras
session), its input and output shapes ``(batch, timesteps, features)``, and its
weights, whose sizes add up to its parameter count. Pure Python, exact integers.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from .errors import InputError
from .kinds import CONVENTIONS, Embedding, Recurrent, Shape, Weight
from .spec import LayerSpec, parse
from .values import Value

DTYPE_BYTES = {"float16": 2, "bfloat16": 2, "float32": 4, "float64": 8}


class Row(Value):
    """One layer of the summary."""

    def __init__(self, name: str, spec: LayerSpec, input_shape: Shape, output_shape: Shape,
                 weights: tuple[Weight, ...]):  # fmt: skip
        self.name, self.spec, self.weights = name, spec, weights
        self.input_shape, self.output_shape = input_shape, output_shape

    @property
    def type(self) -> str:
        return self.spec.layer.keras_type

    @property
    def params(self) -> int:
        return sum(weight.size for weight in self.weights)


class Summary(Value):
    """A whole model: what ``model.summary()`` shows, as data."""

    def __init__(self, model: str, input_shape: Shape, rows: tuple[Row, ...], convention: str = "keras"):
        self.model, self.input_shape, self.rows, self.convention = model, input_shape, rows, convention

    @property
    def output_shape(self) -> Shape:
        return self.rows[-1].output_shape

    @property
    def total_params(self) -> int:
        return sum(row.params for row in self.rows)

    @property
    def trainable_params(self) -> int:
        return self.total_params  # every weight of these kinds is trainable

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    def to_dict(self) -> dict:
        """The JSON document of SPEC section 5 (plus the weights of each layer)."""
        return {
            "model": self.model,
            "input_shape": list(self.input_shape),
            "layers": [
                {
                    "name": row.name,
                    "type": row.type,
                    "spec": row.spec.text,
                    "input_shape": list(row.input_shape),
                    "output_shape": list(row.output_shape),
                    "params": row.params,
                    "weights": [{"name": w.name, "shape": list(w.shape)} for w in row.weights],
                }
                for row in self.rows
            ],
            "total_params": self.total_params,
            "trainable_params": self.trainable_params,
            "non_trainable_params": self.non_trainable_params,
            "convention": self.convention,
        }


def summarize(
    specs: str | Iterable[str] | Sequence[LayerSpec],
    input_shape: Sequence[int | None],
    batch_size: int | None = None,
    convention: str = "keras",
    name: str = "sequential",
) -> Summary:
    """Shapes, names and parameter counts of a stack, as Keras would report them.

    >>> summary = summarize("simple:3", input_shape=(2, 10))
    >>> summary.rows[0].name, summary.rows[0].output_shape, summary.total_params
    ('simple_rnn', (None, 3), 42)

    ``specs`` is spec text (or already parsed specs); ``input_shape`` excludes the
    batch dim, as Keras's ``input_shape`` does: ``(timesteps, features)``, or
    ``(timesteps,)`` when the first layer is an embedding.
    Raises ``InputError`` for anything Keras would refuse to build.
    """
    if isinstance(specs, str) or not all(isinstance(spec, LayerSpec) for spec in specs):
        specs = parse(specs)
    return infer(specs, input_shape, batch_size, convention, name)


def infer(
    specs: Sequence[LayerSpec],
    input_shape: Sequence[int | None],
    batch_size: int | None = None,
    convention: str = "keras",
    name: str = "sequential",
) -> Summary:
    """Walk parsed specs from an input shape; see ``summarize``."""
    if convention not in CONVENTIONS:
        raise InputError(f"unknown convention '{convention}': use one of {', '.join(CONVENTIONS)}")
    _check_model_name(name)
    shape = _model_input(specs, tuple(input_shape), batch_size)
    counters: dict[str, int] = {}
    rows: list[Row] = []
    for index, spec in enumerate(specs, 1):
        layer_name = [_next_name(base, counters) for base in spec.layer.auto_names()][-1]
        required = spec.layer.required_rank
        if required is not None and len(shape) != required:
            raise InputError(_rank_message(index, layer_name, spec, shape, rows))
        rows.append(Row(layer_name, spec, shape, spec.layer.output_shape(shape),
                        tuple(spec.layer.weights(shape, convention))))  # fmt: skip
        shape = rows[-1].output_shape
    return Summary(name, (batch_size,) + tuple(input_shape), tuple(rows), convention)


def memory_size(params: int, dtype: str = "float32") -> int:
    """Bytes the weights take in ``dtype``."""
    if dtype not in DTYPE_BYTES:
        raise InputError(f"unknown dtype '{dtype}': use one of {', '.join(DTYPE_BYTES)}")
    return params * DTYPE_BYTES[dtype]


def _model_input(specs: Sequence[LayerSpec], dims: tuple, batch_size: int | None) -> Shape:
    if not specs:
        raise InputError("no layers given: write specs such as 'simple:3' or 'bi:lstm:8:seq'")
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise InputError(f"the batch size must be a whole number of at least 1, got {batch_size}")
    if not 1 <= len(dims) <= 2:
        raise InputError(f"the input shape {format_shape(dims)} should have two dims: give it as "
                         "-i TIMESTEPS,FEATURES (or -i TIMESTEPS before an embedding)")  # fmt: skip
    for dim in dims:
        if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int) or dim < 1):
            raise InputError(f"input dims must be whole numbers of at least 1 or None, got {format_shape(dims)}")
    if dims[-1] is None and not isinstance(specs[0].layer, Embedding):
        raise InputError(f"the feature dim (the last of the input {format_shape(dims)}) must be a number: "
                         "Keras needs it to build the weights; only the timesteps may be None")  # fmt: skip
    return (batch_size,) + dims


def _next_name(base: str, counters: dict[str, int]) -> str:
    """Keras's automatic names: 'dense', then 'dense_1', 'dense_2', ..."""
    count = counters.get(base, 0)
    counters[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def _rank_message(index: int, name: str, spec: LayerSpec, shape: Shape, rows: list[Row]) -> str:
    if isinstance(spec.layer, Embedding):  # the parser keeps it first, so this is the input
        return (f"layer {index} '{name}' takes integer ids of shape (batch, timesteps), "
                f"but the input is {format_shape(shape)}: give only the timesteps, as -i 10")  # fmt: skip
    needs = f"layer {index} '{name}' needs (batch, timesteps, features)"
    if not rows:
        return f"{needs} but the input is {format_shape(shape)}: give the input as -i TIMESTEPS,FEATURES"
    previous = f"layer {index - 1} '{rows[-1].name}' returns {format_shape(shape)}"
    # The fix belongs to the last recurrent layer that dropped the time axis,
    # which may sit before a dense or dropout layer that kept the 2D shape.
    for number in range(len(rows), 0, -1):
        row = rows[number - 1]
        layer = row.spec.layer
        if isinstance(getattr(layer, "layer", layer), Recurrent) and len(row.output_shape) == 2:
            where = f"layer {number}" if number == index - 1 else f"layer {number} '{row.name}'"
            return f"{needs} but {previous}: add ':seq' to {where}"
    return f"{needs} but {previous}: give the input as -i TIMESTEPS,FEATURES"


def _check_model_name(name: str) -> None:
    if not name or "/" in name:
        raise InputError(f"bad model name '{name}': Keras needs a non-empty name without '/'")


def format_shape(shape: Sequence[int | None]) -> str:
    """A shape as Keras prints it: (None, 10, 16)."""
    return "(" + ", ".join(str(dim) for dim in shape) + ")"
