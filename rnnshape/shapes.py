"""The shape engine: walk a model's graph as Keras builds it (a stack is a
Sequential model, a chain; a program a Functional one).

For each call of each layer: its Keras name (a counter per type, as in a fresh
Keras session), its input and output shapes, the masks Keras hands it and the
operations that compute them, and its weights, whose sizes add up to its
parameter count; then the summary's rows in Keras's order. Pure Python, exact
integers.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

from .errors import InputError, ShapeError
from .graph import Call, Graph, Ref, chain, with_input_shapes
from .kinds import CONVENTIONS, Embedding, InputLayer, Operation, Shape, Weight
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
    ``calls``, how many times such a layer runs (None: unknown).

    In a graph a layer may be called several times (shared weights): its
    ``input_shapes`` are those of every call, and ``input_shape`` and
    ``outputs`` the last call's, as Keras shows them. ``connected_to``: the
    tensors its calls read, as a Functional summary lists them."""

    def __init__(self, name: str, spec: LayerSpec, input_shape: Shape, outputs: tuple[Shape, ...],
                 weights: tuple[Weight, ...], masked: bool = False, inner: tuple[Row, ...] = (),
                 calls: int | None = 1, input_shapes: tuple = (), connected_to: tuple[str, ...] = ()):  # fmt: skip
        self.name, self.spec, self.weights = name, spec, weights
        self.input_shape, self.outputs, self.masked, self.inner = input_shape, outputs, masked, inner
        self.calls, self.input_shapes, self.connected_to = calls, input_shapes or (input_shape,), connected_to

    @property
    def node_count(self) -> int:
        """How many times the layer is called."""
        return len(self.input_shapes)

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
        """Multiply-adds of the layer's matrix products for its batch (None counts
        as 1), over all its calls."""
        each = [self.spec.layer.mult_adds(shape) for shape in self.input_shapes]
        return None if None in each or self.calls is None else sum(each) * self.calls

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
                 warnings: tuple[str, ...] = (), nodes: tuple[Node, ...] = (), inputs: tuple[Ref, ...] = (),
                 outputs: tuple[Ref, ...] = (), sequential: bool = True, connected: bool = False,
                 graph: Graph | None = None, run_problems: tuple[str, ...] = ()):  # fmt: skip
        self.model, self.input_shape, self.rows, self.convention = model, input_shape, rows, convention
        self.warnings, self.nodes, self.inputs, self.outputs = warnings, nodes, inputs, outputs
        self.graph = graph  # what it was worked out from
        self.run_problems = run_problems  # why Keras, having built it, could not run it
        self.sequential = sequential  # a Keras Sequential model (a stack), else a Functional one
        self.connected = connected  # whether the table has Keras's 'Connected to' column

    @property
    def layers(self) -> tuple[Row, ...]:
        """The rows of layers, in the table's order, which is Keras's
        get_weights() order: without the inputs and the operations."""
        return tuple(row for row in self.rows if not isinstance(row.spec.layer, (InputLayer, Operation)))

    @property
    def input_layers(self) -> tuple[InputLayer, ...]:
        """The model's inputs, in order, as InputLayers (their shapes and dtypes)."""
        graph = self.graph
        return tuple(graph.layers[graph.calls[ref.call].layer].layer for ref in graph.inputs)

    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        """The shape of each of the model's inputs, in order."""
        return tuple(self.nodes[ref.call].outputs[ref.output] for ref in self.inputs) or (self.input_shape,)

    @property
    def output_shapes(self) -> tuple[Shape, ...]:
        """The shape of each of the model's outputs, in order."""
        return tuple(self.nodes[ref.call].outputs[ref.output] for ref in self.outputs)

    @property
    def output_shape(self) -> Shape | list[Shape]:
        """The model's output shape, or a list of them for several."""
        if self.sequential or not self.outputs:
            return self.rows[-1].output_shape
        shapes = list(self.output_shapes)
        return shapes[0] if len(shapes) == 1 else shapes

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

        def batched(shape):  # a shape, or a list of them (a layer called on a list)
            return [batched(one) for one in shape] if isinstance(shape, list) else (batch,) + shape[1:]

        def with_batch(row: Row) -> Row:
            return row.replace(input_shape=batched(row.input_shape), outputs=tuple(map(batched, row.outputs)),
                               inner=tuple(map(with_batch, row.inner)),
                               input_shapes=tuple(map(batched, row.input_shapes)))  # fmt: skip

        def node_with_batch(node: Node) -> Node:
            operation = node.operation and node.operation.replace(shape=batched(node.operation.shape))
            return node.replace(input_shape=None if node.input_shape is None else batched(node.input_shape),
                                outputs=tuple(map(batched, node.outputs)), operation=operation)

        nodes = tuple(map(node_with_batch, self.nodes))
        graph = self.graph and with_input_shapes(self.graph, [batched(shape) for shape in self.input_shapes])
        return self.replace(input_shape=batched(self.input_shape), rows=tuple(map(with_batch, self.rows)), nodes=nodes,
                            graph=graph)

    def _tensor(self, ref: Ref) -> dict:
        """A model input or output for JSON: the tensor as Keras names it
        (layer[node][tensor]) and its shape."""
        node = self.nodes[ref.call]
        return {"tensor": f"{node.name}[{node.node_index}][{ref.output}]", "shape": list(node.outputs[ref.output])}

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
            if not self.sequential:
                document["connected_to"] = list(row.connected_to)
            if details:
                document["mult_adds"] = row.mult_adds
            if expand and row.inner:
                document["inner"] = [{key: value for key, value in layer(inner).items() if key != "spec"}
                                     for inner in row.inner]  # fmt: skip
            return document

        graph = {} if self.sequential else {
            "inputs": [self._tensor(ref) for ref in self.inputs],
            "outputs": [self._tensor(ref) for ref in self.outputs],
        }  # fmt: skip
        return {
            "model": self.model,
            "input_shape": list(self.input_shape),
            **graph,
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
    return infer_graph(stack_graph(specs, input_shape, batch_size), convention, name)


def stack_graph(specs: Sequence[LayerSpec], input_shape: Sequence[int | None], batch_size: int | None = None) -> Graph:
    """A stack as the graph of a Sequential model, its input checked first."""
    shape = _model_input(specs, tuple(input_shape), batch_size)
    return chain(specs, shape[1:], batch_size)


def infer_graph(graph: Graph, convention: str = "keras", name: str | None = None) -> Summary:
    """Walk a graph's calls in order, as Keras builds the model: names, the
    shapes and masks of every call, weights, and the summary's rows in
    Keras's order. Raises ``InputError`` for anything Keras would refuse."""
    if convention not in CONVENTIONS:
        raise InputError(f"unknown convention '{convention}': use one of {', '.join(CONVENTIONS)}")
    name = name or ("sequential" if graph.sequential else "functional")
    _check_model_name(name)
    return _Engine(graph, convention).run(name)


class Node(Value):
    """One call in the model, as the engine saw it: the ``name`` of the row of
    its layer (or input, or operation) and which of its calls it is
    (``node_index``); the tensors it reads (Keras's node.input_tensors: the
    arguments, then the initial states, then the masks Keras hands it), as
    Refs to the nodes before it; its input shape (a list of shapes for a
    layer called on a list) and its outputs' shapes; and whether a mask
    reaches its call."""

    def __init__(self, name: str, node_index: int, arguments: tuple[Ref, ...], init: tuple[Ref, ...],
                 masks: tuple[Ref, ...], input_shape, outputs: tuple[Shape, ...], masked: bool = False,
                 output_masks: tuple[Ref | None, ...] = (), operation: Operation | None = None):  # fmt: skip
        self.name, self.node_index, self.arguments, self.init, self.masks = name, node_index, arguments, init, masks
        self.input_shape, self.outputs, self.masked = input_shape, outputs, masked
        self.output_masks = output_masks or (None,) * len(outputs)  # the mask of each output (a tensor)
        self.operation = operation  # for a mask operation

    @property
    def reads(self) -> tuple[Ref, ...]:
        return self.arguments + self.init + self.masks


class _Ops:
    """The MaskOps a kind's output_masks records its operations through."""

    def __init__(self, engine: _Engine):
        self.engine = engine

    def shape(self, tensor: Ref) -> Shape:
        return self.engine.shape(tensor)

    def op(self, keras_type: str, reads: list, shape: Shape, argument: object = None) -> Ref:
        return self.engine.operation(keras_type, tuple(reads), shape, argument)


class _Engine:
    """The walk of ``infer_graph``: nodes made so far, rows by name, masks by tensor."""

    def __init__(self, graph: Graph, convention: str):
        self.graph, self.convention = graph, convention
        self.counters: dict[str, int] = {}
        self.nodes: list[Node] = []
        self.rows: dict[str, Row] = {}  # by name, in the order the layers are built
        self.layer_names: list[str | None] = [None] * len(graph.layers)
        self.inner_base: dict[int, str] = {}  # layer number -> the automatic name its wrapped layer took
        self.named = 0  # layers named so far, in construction order
        self.saved_operations: dict[tuple, list[str]] = {}  # a saved model's names of its operations, in order
        for key, name in graph.operation_names:
            self.saved_operations.setdefault(key, []).append(name)
        self.current_call = 0
        self.first_call: dict[int, int] = {}  # layer number -> the call that built it
        self.node_of_call: list[int] = []  # call number -> its node
        self.masks: dict[Ref, Ref | None] = {}  # tensor -> its mask's tensor
        self.mask_sources: dict[Ref, str] = {}  # mask tensor -> the layer that made it, for notes
        self.notes: list[str] = []
        self.run_problems: list[str] = []  # why Keras, having built the model, fails to run it

    # Names ----------------------------------------------------------------------

    def name_layers_built_before(self, call: int) -> None:
        """Name the layers constructed before call number ``call`` (Keras names a
        layer when it is constructed, an operation when it is called)."""
        constructed, layers = self.graph.constructed, self.graph.layers
        while self.named < len(layers) and (constructed is None or constructed[self.named] <= call):
            number, spec = self.named, layers[self.named]
            self.named += 1
            # name= takes no count, though a wrapped layer still takes one of its own type.
            bases = spec.layer.auto_names()[:-1] if spec.name else spec.layer.auto_names()
            automatic = [next_name(base, self.counters) for base in bases]
            self.layer_names[number] = spec.name or automatic[-1]
            self.inner_base[number] = automatic[0] if automatic else ""

    # The walk -------------------------------------------------------------------

    def run(self, model: str) -> Summary:
        graph = self.graph
        for number, call in enumerate(graph.calls):
            self.name_layers_built_before(number)
            self.current_call = number
            self.call(number, call)
        inputs = tuple(self.node_ref(ref) for ref in graph.inputs)
        outputs = tuple(self.node_ref(ref) for ref in graph.outputs)
        reached, input_nodes = self.reached(outputs), {ref.call for ref in inputs}
        for number, call in enumerate(graph.calls):  # Keras: every output computable from the inputs alone
            node = self.node_of_call[number]
            if not call.arguments and node in reached and node not in input_nodes:
                raise self.fail(number, "the model's outputs need this input, which is not among the model's "
                                "inputs: add it to the inputs statement")  # fmt: skip
        notes = list(self.notes)
        for ref in inputs:
            if ref.call not in reached:
                notes.append(f"input '{self.nodes[ref.call].name}' is not used by any output: Keras builds the model "
                             "all the same, and the input must still be given")  # fmt: skip
        if graph.sequential:  # a Sequential model's rows: its layers, in order
            rows = tuple(self.rows[node.name] for node in self.nodes[1:] if node.operation is None)
            three_columns = True
        else:
            names, connected, three_columns = functional_layout(self.nodes, inputs, outputs)
            rows = tuple(self.rows[name].replace(connected_to=connected[name]) for name in names)
        return Summary(model, self.shape(inputs[0]), rows, self.convention, tuple(notes), nodes=tuple(self.nodes),
                       inputs=inputs, outputs=outputs, sequential=graph.sequential, connected=not three_columns,
                       graph=graph, run_problems=tuple(self.run_problems))  # fmt: skip

    def node_ref(self, ref: Ref) -> Ref:
        return Ref(self.node_of_call[ref.call], ref.output)

    def shape(self, ref: Ref) -> Shape:
        return self.nodes[ref.call].outputs[ref.output]

    def fail(self, number: int, problem: str) -> InputError:
        """An error at call ``number``: for a stack, named by its layer's number
        and name; in a program, with a caret under the call."""
        call = self.graph.calls[number]
        name = self.layer_names[call.layer]
        if call.where is None:  # a stack's layer by its number, a saved graph's by its name
            where = f"layer {number} '{name}'" if self.graph.sequential else f"'{name}'"
            return InputError(f"{where}: {problem}")
        return call.where.error(f"'{name}': {problem}")

    def call(self, number: int, call: Call) -> None:
        graph = self.graph
        spec = graph.layers[call.layer]
        layer, name = spec.layer, self.layer_names[call.layer]
        arguments = tuple(self.node_ref(ref) for ref in call.arguments)
        init = tuple(self.node_ref(ref) for ref in call.init)
        shapes = [self.shape(ref) for ref in arguments]
        if graph.sequential and number > 1 and len(self.nodes[-1].outputs) > 1:
            previous = self.rows[self.nodes[-1].name]
            raise InputError(_after_several_outputs(number, name, previous))
        if call.layer not in self.first_call and name in self.rows:
            raise self.duplicate(number, name)
        low, high = layer.arity
        if not low <= len(arguments) <= (len(arguments) if high is None else high):
            raise self.fail(number, _arity_problem(layer, len(arguments), graph.sequential))
        # An input reads nothing: its rows show its own shape as the input's too.
        input_shape = shapes if layer.takes_several() else (shapes[0] if shapes else layer.output_shape(None))
        if layer.required_rank is not None and len(input_shape) != layer.required_rank:
            if graph.sequential:
                raise InputError(_rank_message(number, name, spec, input_shape, self.stack_rows()))
            raise self.fail(number, _rank_problem(layer, input_shape))
        try:
            outputs = layer.output_shapes(input_shape)
        except ShapeError as error:
            raise self.fail(number, str(error)) from None
        if init:
            self.check_states(number, layer, input_shape, init)
        weights = tuple(layer.weights(input_shape, self.convention))
        if any(dim is None for weight in weights for dim in weight.shape):
            where = f"layer {number} '{name}'" if graph.sequential else f"'{name}'"
            problem = _unknown_features(where, input_shape, self.stack_rows() if graph.sequential else [])
            raise InputError(problem) if graph.sequential else self.fail(number, problem.split(": ", 1)[-1])
        if not spec.trainable:  # frozen: every weight of the layer stops training
            weights = tuple(weight.replace(trainable=False) for weight in weights)
        if call.layer in self.first_call:  # a shared layer: its weights are those of its first call
            row = self.rows[name]
            if [weight.shape for weight in weights] != [weight.shape for weight in row.weights]:
                first = self.graph.calls[self.first_call[call.layer]]
                if layer.checks_input_features:  # its Keras input spec refuses the second call
                    raise self.fail(number, f"this layer was built for an input of "
                                    f"{format_shape(row.input_shapes[0])} (its first call{_line(first)}) and Keras "
                                    f"refuses to call it on {format_shape(input_shape)}: a shared layer's weights fit "
                                    "one feature size")  # fmt: skip
                built, given = format_shape(row.input_shapes[0]), format_shape(input_shape)
                self.notes.append(f"'{name}' was built for an input of {built} (its first call{_line(first)}) and is "
                                  f"called again on {given}, which its weights do not fit: Keras builds the model, "
                                  "and fails when it runs")  # fmt: skip
                self.run_problems.append(f"'{name}' is called on {given}, which the weights of its first call, on "
                                         f"{built}, do not fit")  # fmt: skip
            weights = row.weights
        if call.layer not in self.first_call:
            for base in layer.build_names():  # the layers Keras makes inside it as it builds take names
                next_name(base, self.counters)
        argument_masks = [self.masks.get(ref) for ref in arguments]
        masks = _handed_masks(layer, argument_masks, bool(init))
        problem = layer.run_problem(input_shape, self.shape(masks[0]) if masks and not layer.listed else None)
        if problem:
            self.run_problems.append(f"'{name}': {problem}")
        node_index = self.rows[name].node_count if name in self.rows else 0
        self.nodes.append(Node(name, node_index, arguments, init, masks, input_shape, outputs, bool(masks)))
        node = len(self.nodes) - 1
        self.node_of_call.append(node)
        if call.layer not in self.first_call:
            self.first_call[call.layer] = number
            inner = () if layer.takes_several() else _inner_rows(spec, input_shape, self.inner_base.get(call.layer, ""),
                                                        self.convention)  # fmt: skip
            self.rows[name] = Row(name, spec, input_shape, outputs, weights, bool(masks), inner,
                                  input_shapes=(input_shape,))  # fmt: skip
        else:
            row = self.rows[name]
            self.rows[name] = row.replace(input_shape=input_shape, outputs=outputs, masked=bool(masks),
                                          input_shapes=row.input_shapes + (input_shape,))  # fmt: skip
        self.follow_masks(node, layer, arguments, argument_masks, len(outputs))

    def follow_masks(self, node: int, layer, arguments: tuple[Ref, ...], masks: list, outputs: int) -> None:
        """The masks of a call's outputs, as Keras's compute_mask gives them."""
        refs = [Ref(node, output) for output in range(outputs)]
        if not layer.supports_masking:
            dropped = [mask for mask in masks if mask is not None]
            if dropped:
                source = self.mask_sources.get(dropped[0], "a layer before it")
                self.notes.append(f"{self.where(node)} ({layer.keras_type}) drops the mask made by {source}: "
                                  "the layers after it see padding as data")  # fmt: skip
            return
        made = layer.output_masks(_Ops(self), list(arguments), masks, outputs)
        self.nodes[node] = self.nodes[node].replace(output_masks=tuple(made))
        for ref, mask in zip(refs, made):
            if mask is not None:
                self.masks[ref] = mask
                if mask not in masks:  # a new mask: this layer made it (Embedding, Masking) or merged them
                    self.mask_sources.setdefault(mask, self.where(node))

    def where(self, node: int) -> str:
        """A layer as notes name it: by its number in a stack, by its name in a graph."""
        name = self.nodes[node].name
        if self.graph.sequential:
            return f"layer {self.node_of_call.index(node) if node in self.node_of_call else node} '{name}'"
        return f"'{name}'"

    def operation(self, keras_type: str, reads: tuple[Ref, ...], shape: Shape, argument: object = None) -> Ref:
        """A Keras operation on ``reads``: a node and row of its own, named when it is made."""
        layer = Operation(keras_type, shape, argument)
        key = (keras_type, tuple(f"{self.nodes[ref.call].name}[{self.nodes[ref.call].node_index}][{ref.output}]"
                                 for ref in reads))  # fmt: skip
        saved = self.saved_operations.get(key)
        name = saved.pop(0) if saved else next_name(layer.keras_name, self.counters)
        if name in self.rows:  # Keras refuses a model with two operations of one name
            raise self.duplicate(self.current_call, name)
        inputs = [self.shape(ref) for ref in reads]
        self.nodes.append(Node(name, 0, reads, (), (), inputs, (shape,), operation=layer))
        self.rows[name] = Row(name, LayerSpec("", layer, name), inputs, (shape,), (), input_shapes=(inputs,))
        return Ref(len(self.nodes) - 1, 0)

    def check_states(self, number: int, layer, input_shape: Shape, init: tuple[Ref, ...]) -> None:
        """init=[...]: each state must have the cell's state shape; Keras runs
        with more or fewer of them than the cell carries, and a note says so."""
        states, units = layer.initial_states()
        name = self.layer_names[self.graph.calls[number].layer]
        for ref in init:
            shape = self.shape(ref)
            if len(shape) != 2:
                raise self.fail(number, f"init= gives a state of shape {format_shape(shape)}, but a state is "
                                f"(batch, units): {format_shape((input_shape[0], units))}")  # fmt: skip
            if shape[1] != units:  # Keras builds it; the first run fails
                self.notes.append(f"'{name}': init= gives a state of {shape[1]} units, but its cell has {units}: "
                                  "Keras builds the model, and fails when it runs")  # fmt: skip
                self.run_problems.append(f"'{name}': init= gives a state of {shape[1]} units to a cell of {units}")
        if len(init) != states:
            given = f"{len(init)} state{'s' if len(init) != 1 else ''}"
            self.notes.append(f"'{name}': init= gives {given}, but a {layer.keras_type} carries {states}; Keras "
                              "builds it with those it is given")  # fmt: skip
            if len(init) < states or not layer.ignores_extra_states:
                self.run_problems.append(f"'{name}': init= gives {len(init)} states to a {layer.keras_type} that "
                                         f"carries {states}")  # fmt: skip

    def duplicate(self, number: int, name: str) -> InputError:
        if self.graph.sequential:
            taken = next(index for index, node in enumerate(self.nodes) if node.name == name)
            return InputError(f"layer {number} '{name}': the name is already taken by layer {taken}; Keras needs "
                              "every layer of a model to have its own name: give one with name=")  # fmt: skip
        return self.fail(number, "the name is already taken by another layer; Keras needs every layer of a model "
                         "to have its own name: give one with name=")  # fmt: skip

    def stack_rows(self) -> list[Row]:
        """The rows so far of a stack, in order (for its error messages)."""
        return [self.rows[node.name] for node in self.nodes[1:]]

    # The model's rows -------------------------------------------------------------

    def reached(self, outputs: tuple[Ref, ...]) -> set[int]:
        """The nodes the outputs depend on."""
        seen: set[int] = set()
        stack = [ref.call for ref in outputs]
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(ref.call for ref in self.nodes[node].reads)
        return seen


def functional_layout(nodes: Sequence[Node], inputs: Sequence[Ref], outputs: Sequence[Ref],
                      masks: bool = True) -> tuple[list[str], dict[str, tuple[str, ...]], bool]:  # fmt: skip
    """How Keras lays out a Functional model's summary (keras/src/ops/function.py
    map_graph, utils/summary_utils.py): (the rows' names in order, each row's
    'Connected to', whether it prints three columns rather than four).

    Rows: a depth-first walk from the outputs over each node's input tensors,
    then by depth, deepest first, ties by first visit; an input no output needs
    comes at depth 0. Three columns when every depth holds one node of at most
    one input tensor and no layer has two nodes in the model. Without ``masks``,
    as Keras 2 did: the masks' tensors are not read and their operations are
    not nodes."""

    def reads(node: int) -> tuple[Ref, ...]:
        return nodes[node].reads if masks else nodes[node].arguments + nodes[node].init

    finished: set[int] = set()
    order: list[int] = []  # post-order
    first_visit: dict[str, int] = {}
    for output in outputs:
        stack = [(output.call, False)]
        while stack:
            node, done = stack.pop()
            if done:
                finished.add(node)
                order.append(node)
                continue
            if node in finished:
                continue
            first_visit.setdefault(nodes[node].name, len(first_visit))
            stack.append((node, True))
            stack.extend((ref.call, False) for ref in reversed(reads(node)) if ref.call not in finished)
    # Each node's depth: its distance from the outputs, the largest over its
    # readers; a shared layer's nodes take the deepest of its calls seen so far.
    depths: dict[int, int] = {}
    layer_depths: dict[str, int] = {}
    members = set(order)
    for node in reversed(order):
        depth = max(depths.setdefault(node, 0), layer_depths.get(nodes[node].name, 0))
        layer_depths[nodes[node].name] = depths[node] = depth
        for ref in reads(node):
            if ref.call in members:
                depths[ref.call] = max(depth + 1, depths.get(ref.call, 0))
    for ref in inputs:
        if ref.call not in depths:
            depths[ref.call] = 0
            first_visit.setdefault(nodes[ref.call].name, -1)
    layer_depth: dict[str, int] = {}
    for node, depth in depths.items():
        layer_depth[nodes[node].name] = max(layer_depth.get(nodes[node].name, 0), depth)
    names = sorted(layer_depth, key=lambda name: (-layer_depth[name], first_visit[name]))
    connected: dict[str, list[str]] = {name: [] for name in names}
    for number in sorted(depths):
        for ref in reads(number):
            source = nodes[ref.call]
            connected[nodes[number].name].append(f"{source.name}[{source.node_index}][{ref.output}]")
    by_depth: dict[int, list[int]] = {}
    for node, depth in depths.items():
        by_depth.setdefault(depth, []).append(node)
    three = all(len(group) == 1 and len(reads(group[0])) <= 1 for group in by_depth.values())
    three = three and len({nodes[node].name for node in depths}) == len(depths)
    return names, {name: tuple(values) for name, values in connected.items()}, three


def _handed_masks(layer, masks: list, init: bool) -> tuple[Ref, ...]:
    """The masks Keras hands a call as ``mask=`` (keras/src/layers/layer.py,
    __call__ step 6), which its node then reads: those of its one tensor
    argument (a list counts as one), if its call takes a mask. Initial states
    make a second argument, and then it hands none."""
    if layer.call_takes_mask and (layer.listed or (len(masks) == 1 and not init)):
        return tuple(mask for mask in masks if mask is not None)
    return ()


def _arity_problem(layer, given: int, stack: bool) -> str:
    low, high = layer.arity
    wanted = f"{low}" if low == high else f"{low} or more" if high is None else f"{low} to {high}"
    problem = f"{layer.keras_type} takes {wanted} tensor{'s' if wanted != '1' else ''}, got {given}"
    if stack:
        problem += "; in a stack each layer reads the one before it: write a program (SPEC section 12) for this"
    return problem


def _line(call: Call) -> str:
    return f", line {call.where.line}" if call.where is not None else ""


def _rank_problem(layer, shape: Shape) -> str:
    needs = {2: "(batch, features)", 3: "(batch, timesteps, features)"}.get(layer.required_rank,
                                                                          f"{layer.required_rank} dims")  # fmt: skip
    return f"a {layer.keras_type} needs {needs}, but its input is {format_shape(shape)}"


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
