"""The shape engine: walk a stack of layer specs as Keras builds a Sequential.

For each layer: its Keras name (a counter per type, as in a fresh Keras
session), its input and output shapes ``(batch, timesteps, features)``, and its
weights, whose sizes add up to its parameter count. Pure Python, exact integers.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

from .errors import InputError, ShapeError
from .kinds import CONVENTIONS, Embedding, Shape, Weight
from .spec import LayerSpec, parse
from .values import Value

DTYPE_BYTES = {"float16": 2, "bfloat16": 2, "float32": 4, "float64": 8}


class Row(Value):
    """One layer of the summary. ``outputs`` holds the shape of each of its
    outputs: one for most layers, several for ``state`` and ``merge=none``.
    ``masked``: a mask reaches the layer and it takes it (Keras passes it to
    the layer's call), as the layers after a Masking or mask_zero do.
    ``inner``: a wrapper's layers inside (Bidirectional's forward_ and
    backward_ copies, TimeDistributed's layer), as rows of their own, and
    ``calls``, how many times such a layer runs (None: unknown)."""

    def __init__(self, name: str, spec: LayerSpec, input_shape: Shape, outputs: tuple[Shape, ...],
                 weights: tuple[Weight, ...], masked: bool = False, inner: tuple[Row, ...] = (),
                 calls: int | None = 1):  # fmt: skip
        self.name, self.spec, self.weights = name, spec, weights
        self.input_shape, self.outputs, self.masked, self.inner = input_shape, outputs, masked, inner
        self.calls = calls

    @property
    def type(self) -> str:
        return self.spec.layer.keras_type

    @property
    def output_shape(self) -> Shape | list[Shape]:
        """The output's shape, or a list of shapes for several outputs (as Keras shows them)."""
        return self.outputs[0] if len(self.outputs) == 1 else list(self.outputs)

    @property
    def trainable(self) -> bool:
        return self.spec.trainable

    @property
    def params(self) -> int:
        return sum(weight.size for weight in self.weights)

    @property
    def trainable_params(self) -> int:
        return sum(weight.size for weight in self.weights if weight.trainable)

    @property
    def mult_adds(self) -> int | None:
        """Multiply-adds of the layer's matrix products for its batch (None counts as 1)."""
        once = self.spec.layer.mult_adds(self.input_shape)
        return None if once is None or self.calls is None else once * self.calls

    @property
    def output_elements(self) -> int | None:
        """Elements of the layer's outputs for its batch (None counts as 1); None when a
        step count is unknown."""
        total = 0
        for shape in self.outputs:
            if None in shape[1:]:
                return None
            total += (shape[0] or 1) * math.prod(shape[1:])
        return total


class Summary(Value):
    """A whole model: what ``model.summary()`` shows, as data, and the notes
    (``warnings``) on what Keras would do silently."""

    def __init__(self, model: str, input_shape: Shape, rows: tuple[Row, ...], convention: str = "keras",
                 warnings: tuple[str, ...] = ()):  # fmt: skip
        self.model, self.input_shape, self.rows, self.convention = model, input_shape, rows, convention
        self.warnings = warnings

    @property
    def output_shape(self) -> Shape | list[Shape]:
        return self.rows[-1].output_shape

    @property
    def total_params(self) -> int:
        return sum(row.params for row in self.rows)

    @property
    def trainable_params(self) -> int:
        return sum(row.trainable_params for row in self.rows)

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    @property
    def mult_adds(self) -> int | None:
        """Multiply-adds of one forward pass (a None batch counts as 1); None when unknown."""
        return _total(row.mult_adds for row in self.rows)

    @property
    def activation_elements(self) -> int | None:
        """Elements of every layer's outputs in one forward pass (a None batch
        counts as 1); None when a step count is unknown."""
        return _total(row.output_elements for row in self.rows)

    def with_batch(self, batch: int) -> Summary:
        """The same model with a concrete batch dim in every shape: no layer's
        other dims, names or weights depend on the batch, so nothing is inferred
        again."""

        def batched(shape: Shape) -> Shape:
            return (batch,) + shape[1:]

        def with_batch(row: Row) -> Row:
            return row.replace(input_shape=batched(row.input_shape), outputs=tuple(map(batched, row.outputs)),
                               inner=tuple(map(with_batch, row.inner)))

        rows = tuple(map(with_batch, self.rows))
        return self.replace(input_shape=batched(self.input_shape), rows=rows)

    def to_dict(self, details: bool = False, expand: bool = False) -> dict:
        """The JSON document of SPEC section 5 (plus the weights of each layer);
        with ``details`` each layer's mult-adds, with ``expand`` a wrapper's
        layers inside (``inner``)."""

        def layer(row: Row) -> dict:
            document = {
                "name": row.name,
                "type": row.type,
                "spec": row.spec.text,
                "input_shape": list(row.input_shape),
                "output_shape": _json_shape(row.output_shape),
                "params": row.params,
                "trainable": row.trainable,
                "trainable_params": row.trainable_params,
                "weights": [{"name": w.name, "shape": list(w.shape), "trainable": w.trainable}
                            for w in row.weights],  # fmt: skip
            }
            if details:
                document["mult_adds"] = row.mult_adds
            if expand and row.inner:
                document["inner"] = [{key: value for key, value in layer(inner).items() if key != "spec"}
                                     for inner in row.inner]  # fmt: skip
            return document

        return {
            "model": self.model,
            "input_shape": list(self.input_shape),
            "layers": [layer(row) for row in self.rows],
            "total_params": self.total_params,
            "trainable_params": self.trainable_params,
            "non_trainable_params": self.non_trainable_params,
            "convention": self.convention,
            "warnings": list(self.warnings),
        }


def _total(counts: Iterable[int | None]) -> int | None:
    counts = list(counts)
    return None if None in counts else sum(counts)


def _json_shape(shape: Shape | list[Shape]) -> list:
    return [list(one) for one in shape] if isinstance(shape, list) else list(shape)


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
    masks = _MaskTracker()
    for index, spec in enumerate(specs, 1):
        layer = spec.layer
        # Keras counts the names of the layers it names itself; name= takes no
        # count, though a wrapped layer still takes one of its own type.
        bases = layer.auto_names()[:-1] if spec.name else layer.auto_names()
        automatic = [next_name(base, counters) for base in bases]
        layer_name = spec.name or automatic[-1]
        where = f"layer {index} '{layer_name}'"
        if rows and len(rows[-1].outputs) > 1:
            raise InputError(_after_several_outputs(index, layer_name, rows[-1]))
        taken = next((number for number, row in enumerate(rows, 1) if row.name == layer_name), None)
        if taken is not None:
            raise InputError(f"{where}: the name is already taken by layer {taken}; Keras needs every layer "
                             f"of a model to have its own name: give one with name=")  # fmt: skip
        if layer.required_rank is not None and len(shape) != layer.required_rank:
            raise InputError(_rank_message(index, layer_name, spec, shape, rows))
        try:
            outputs = layer.output_shapes(shape)
        except ShapeError as error:
            raise InputError(f"{where}: {error}") from None
        weights = tuple(layer.weights(shape, convention))
        if any(dim is None for weight in weights for dim in weight.shape):
            raise InputError(_unknown_features(where, shape, rows))
        if not spec.trainable:  # frozen: every weight of the layer stops training
            weights = tuple(weight.replace(trainable=False) for weight in weights)
        inner = _inner_rows(spec, shape, automatic[0] if automatic else "", convention)
        rows.append(Row(layer_name, spec, shape, outputs, weights, masks.reaches(layer), inner))
        masks.follow(index, rows[-1])
        shape = outputs[0]
    return Summary(name, (batch_size,) + tuple(input_shape), tuple(rows), convention, tuple(masks.notes))


def _inner_rows(spec: LayerSpec, input_shape: Shape, name: str, convention: str) -> tuple[Row, ...]:
    """A wrapper's layers inside, as rows: each with the wrapper's trainability,
    and the names a saved model gives them, or Keras's from the wrapped layer's
    automatic ``name``."""
    rows = []
    inner = spec.layer.inner_layers(input_shape, name)
    names = spec.inner_names if spec.inner_names and len(spec.inner_names) == len(inner) else [one[0] for one in inner]
    for inner_name, (_, layer, shape, calls) in zip(names, inner):
        weights = tuple(weight if spec.trainable else weight.replace(trainable=False)
                        for weight in layer.weights(shape, convention))  # fmt: skip
        rows.append(Row(inner_name, LayerSpec("", layer, inner_name, spec.trainable), shape,
                        layer.output_shapes(shape), weights, calls=calls))  # fmt: skip
    return tuple(rows)


class _MaskTracker:
    """Where a mask is made, passed on and lost, as Keras propagates it: the
    notes say where a layer drops a mask (Keras only warns, in Python)."""

    def __init__(self):
        self.source: str | None = None  # the layer whose mask the current layer receives
        self.notes: list[str] = []

    def reaches(self, layer) -> bool:
        """Whether the current mask reaches ``layer`` and the layer takes it."""
        return self.source is not None and layer.supports_masking

    def follow(self, index: int, row: Row) -> None:
        layer = row.spec.layer
        if layer.mask_value is not None:
            self.source = f"layer {index} '{row.name}'"
        elif self.source is not None and not layer.supports_masking:
            self.notes.append(f"layer {index} '{row.name}' ({row.type}) drops the mask made by {self.source}: "
                              "the layers after it see padding as data")  # fmt: skip
            self.source = None
        elif not layer.keeps_mask():
            self.source = None


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


def next_name(base: str, counters: dict[str, int]) -> str:
    """Keras's automatic names: 'dense', then 'dense_1', 'dense_2', ..."""
    count = counters.get(base, 0)
    counters[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def _rank_message(index: int, name: str, spec: LayerSpec, shape: Shape, rows: list[Row]) -> str:
    layer = spec.layer
    if isinstance(layer, Embedding):  # the parser keeps it first, so this is the input
        return (f"layer {index} '{name}' takes integer ids of shape (batch, timesteps), "
                f"but the input is {format_shape(shape)}: give only the timesteps, as -i {shape[1]}")  # fmt: skip
    if not rows:
        given = f"but the input is {format_shape(shape)}"
        if layer.required_rank == 2:
            return f"layer {index} '{name}' needs (batch, features) {given}: give the input as -i FEATURES"
        return (f"layer {index} '{name}' needs (batch, timesteps, features) {given}: "
                "give the input as -i TIMESTEPS,FEATURES")  # fmt: skip
    previous = f"layer {index - 1} '{rows[-1].name}' returns {format_shape(shape)}"
    if layer.required_rank == 2:
        needs = f"layer {index} '{name}' needs (batch, features) but {previous}"
        if rows[-1].spec.layer.sequence_flag:
            return f"{needs}: remove ':{rows[-1].spec.layer.sequence_flag}' from layer {index - 1}"
        return f"{needs}: put a layer that drops the time axis before it (globalavg, globalmax, flatten, or a " \
               "recurrent layer without ':seq')"
    needs = f"layer {index} '{name}' needs (batch, timesteps, features) but {previous}"
    # The fix belongs to the last layer that dropped the time axis, which may
    # sit before a dense or dropout layer that kept the 2D shape.
    for number in range(len(rows), 0, -1):
        row = rows[number - 1]
        if len(row.input_shape) == 3 and len(row.outputs[0]) == 2:
            where = f"layer {number}" if number == index - 1 else f"layer {number} '{row.name}'"
            if row.spec.layer.sequence_flag:
                return f"{needs}: add ':{row.spec.layer.sequence_flag}' to {where}"
            return f"{needs}: {where} ({row.type}) drops the time axis; remove it or move it after layer {index}"
    return f"{needs}: give the input as -i TIMESTEPS,FEATURES"


def _after_several_outputs(index: int, name: str, previous: Row) -> str:
    flag = previous.spec.layer.several_outputs_flag()
    return (f"layer {index} '{name}' comes after layer {index - 1} '{previous.name}', which returns "
            f"{len(previous.outputs)} outputs (':{flag}'); in a Sequential model Keras would pass all of "
            f"them to the next layer, which takes one: make layer {index - 1} the last layer, or drop "
            f"':{flag}'")  # fmt: skip


def _unknown_features(where: str, shape: Shape, rows: list[Row]) -> str:
    message = (f"{where} builds its weights from the last dim of its input {format_shape(shape)}, "
               "which is unknown; Keras refuses that")  # fmt: skip
    for number in range(len(rows), 0, -1):
        row = rows[number - 1]
        if row.input_shape[-1] is not None and row.outputs[0][-1] is None:
            return (f"{message}: layer {number} '{row.name}' flattens None timesteps; give fixed timesteps "
                    "(-i T,D), or pool over time with globalavg or globalmax instead")  # fmt: skip
    return message


def _check_model_name(name: str) -> None:
    if not name or "/" in name:
        raise InputError(f"bad model name '{name}': Keras needs a non-empty name without '/'")


def format_shape(shape: Shape | list[Shape]) -> str:
    """A shape as Keras prints it: (None, 10, 16); several as [(None, 4), (None, 4)]."""
    if isinstance(shape, list):
        return "[" + ", ".join(format_shape(one) for one in shape) + "]"
    return "(" + ", ".join(str(dim) for dim in shape) + ")"
