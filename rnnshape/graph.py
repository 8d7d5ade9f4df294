"""The one description of a model that every part reads: a graph of layer calls.

A model is its layers, each declared once and in the order Keras would
construct them (that order gives their automatic names); the calls of those
layers on tensors, in the order they are made; and the model's inputs and
outputs. An input is the call of an ``InputLayer``. A straight stack of specs
is the special case of a chain from one input (``chain``); a program in the
notation of SPEC section 12 is read by ``parse_program``:

    enc_in = input:None,71
    _, h, c = lstm:256:state(enc_in)
    dec_in = input:None,93
    dec, _, _ = lstm:256:seq:state(dec_in, init=[h, c])
    out = dense:93:act=softmax(dec)

Statements are separated by newlines or ';' (a newline inside brackets
continues the statement). Variable names are the user's, as in Python, and
never become layer names. A mistake raises ``ProgramError``, whose message
quotes the statement and puts a caret under the offending part.
"""

from __future__ import annotations

import re
from typing import Sequence

from .errors import InputError, printable
from .kinds import KINDS, Embedding, InputLayer
from .spec import MAX_DIGITS, LayerSpec, SpecError, parse_dims, parse_spec
from .values import Value

MAX_NESTING = 50  # calls inside calls: Python allows about as many in one expression
MAX_CALLS = 20_000  # layer calls in one program: far beyond any real model
MAX_SHOWN = 60  # characters of a name or statement quoted in a message


class Ref(Value):
    """A tensor: the output ``output`` of the graph's call number ``call``."""

    def __init__(self, call: int, output: int = 0):
        self.call, self.output = call, output


class Where(Value):
    """Where a call is written: its statement's text and line, and the span of
    the call within the statement (for the caret of an error)."""

    def __init__(self, statement: str, line: int, start: int, end: int):
        self.statement, self.line, self.start, self.end = statement, line, start, end

    def error(self, problem: str) -> ProgramError:
        return ProgramError(self.statement, self.line, self.start, self.end, problem)


class Call(Value):
    """One call of the graph's layer number ``layer`` on the tensors
    ``arguments`` (several for a layer called on a list), with ``init``, a
    recurrent layer's initial states. ``where``: the statement, for errors
    (None for a stack, whose errors name the layer's number)."""

    def __init__(self, layer: int, arguments: tuple[Ref, ...] = (), init: tuple[Ref, ...] = (),
                 where: Where | None = None):  # fmt: skip
        self.layer, self.arguments, self.init, self.where = layer, arguments, init, where


class Graph(Value):
    """A model: ``layers`` (LayerSpecs, in construction order; an input is a
    LayerSpec of an InputLayer), ``calls`` (in call order, each after the calls
    it reads), the model's ``inputs`` and ``outputs`` (tensors), and whether it
    is a Keras ``Sequential`` (a stack) or a Functional model. ``constructed``:
    for each layer, how many calls were made before it was constructed (Keras
    names layers when they are constructed and the operations of masks when
    they are called, from the same counters); None: all before any call.
    ``operation_names``: the names a saved model gives its mask operations, by
    (Keras type, the tensors it reads as layer[node][tensor])."""

    def __init__(self, layers: tuple[LayerSpec, ...], calls: tuple[Call, ...], inputs: tuple[Ref, ...],
                 outputs: tuple[Ref, ...], sequential: bool = False, constructed: tuple[int, ...] | None = None,
                 operation_names: tuple[tuple[tuple[str, tuple[str, ...]], str], ...] = ()):  # fmt: skip
        self.layers, self.calls, self.inputs, self.outputs = layers, calls, inputs, outputs
        self.sequential, self.constructed, self.operation_names = sequential, constructed, operation_names


def with_input_shapes(graph: Graph, shapes: Sequence[tuple]) -> Graph:
    """The graph with its inputs' shapes (batch first) set to ``shapes``."""
    layers = list(graph.layers)
    for ref, shape in zip(graph.inputs, shapes):
        number = graph.calls[ref.call].layer
        source = layers[number].layer
        layers[number] = layers[number].replace(layer=source.replace(shape=tuple(shape[1:]), batch=shape[0]))
    return graph.replace(layers=tuple(layers))


def as_stack(graph: Graph) -> Graph | None:
    """A Functional model that is a straight chain (one input, each layer
    called once on the one before, the last one's output the model's) as the
    stack it computes; None for any other graph."""
    if graph.sequential:
        return graph
    calls, layers = graph.calls, graph.layers
    chained = (len(calls) > 1 and graph.inputs == (Ref(0),) and graph.outputs == (Ref(len(calls) - 1),)
               and not calls[0].arguments
               and len({call.layer for call in calls}) == len(calls)
               and all(call.arguments == (Ref(number - 1),) and not call.init for number, call in enumerate(calls)
                       if number)
               and all(layers[call.layer].layer.output_count() == 1 for call in calls[1:-1]))  # fmt: skip
    if not chained:
        return None
    specs = [layers[call.layer] for call in calls[1:]]
    source = layers[calls[0].layer].layer
    return chain(specs, source.shape, source.batch)


def chain(specs: Sequence[LayerSpec], dims: tuple, batch: int | None = None) -> Graph:
    """A stack as a graph: one input, then each layer called on the layer before."""
    ids = bool(specs) and isinstance(specs[0].layer, Embedding)
    source = LayerSpec("input", InputLayer(tuple(dims), batch, "int32" if ids else "float32"))
    calls = [Call(0)] + [Call(number, (Ref(number - 1),)) for number in range(1, len(specs) + 1)]
    # A Sequential model's outputs are all of its last layer's (return_state: the output and the states).
    last = specs[-1].layer.output_count() if specs else 1
    outputs = tuple(Ref(len(specs), output) for output in range(last))
    return Graph((source, *specs), tuple(calls), (Ref(0),), outputs, sequential=True)


class ProgramError(InputError):
    """A mistake in a program: ``str()`` quotes the statement and underlines the part."""

    def __init__(self, statement: str, line: int, start: int, end: int, problem: str):
        end = max(end, start + 1)
        shown = [printable(char) for char in statement]
        # A long statement is shown around the mistake, so the message stays short.
        first = max(0, start - 40)
        last = min(len(shown), max(end, first + 80))
        before = ("…" if first else "") + "".join(shown[first:start])
        marked = "".join(shown[start:end])
        if len(marked) > 80:
            marked, last = marked[:80], start + 80
        text = before + marked + "".join(shown[end:last]) + ("…" if last < len(shown) else "")
        self.statement, self.line, self.start, self.end, self.problem = statement, line, start, end, problem
        super().__init__(f"bad program, line {line}: {printable(problem)}\n  {text}\n"
                         f"  {' ' * len(before)}{'^' * max(1, len(marked))}")  # fmt: skip


def looks_like_program(text: str) -> bool:
    """Whether spec text is a program (assignments, calls, inputs/outputs
    statements) rather than a stack of specs."""
    return bool(_PROGRAM_SIGN.search(text))


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TARGETS = re.compile(r"\s*[A-Za-z_][A-Za-z0-9_]*(\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*\s*")
_SPEC_CHARS = re.compile(r"[A-Za-z0-9_:=.,+\-]+")
_PROGRAM_SIGN = re.compile(r"(^|[;\n])\s*([A-Za-z_]\w*(\s*,\s*[A-Za-z_]\w*)*\s*=(?!=)|(inputs|outputs)\s+[A-Za-z_])"
                           r"|[A-Za-z0-9_]\(", re.ASCII)  # fmt: skip
_KEYWORD = re.compile(r"(inputs|outputs)\s+(.*)", re.DOTALL)


class _Statement(Value):
    def __init__(self, text: str, line: int):
        self.text, self.line = text, line


def _statements(text: str) -> list[_Statement]:
    """The statements of a program, split at ';' and newlines outside brackets."""
    statements, depth, start, line, start_line = [], 0, 0, 1, 1
    for position, char in enumerate(text + "\n"):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(0, depth - 1)
        if char == ";" or (char == "\n" and depth == 0) or position == len(text):
            piece = text[start:position]
            if piece.strip():
                # Newlines inside brackets are spaces; the offsets stay those of the text.
                statements.append(_Statement(piece.replace("\n", " "), start_line))
            start, start_line = position + 1, line + (char == "\n")
            if char == ";":
                depth = 0
        if char == "\n":
            line += 1
    return statements


class _Tensors(Value):
    """What a variable holds: one tensor, or a call's several outputs (a group)."""

    def __init__(self, refs: tuple[Ref, ...], group: bool = False):
        self.refs, self.group = refs, group


class _Layer(Value):
    """What a variable holds: a declared layer (m = lstm:8), callable by name."""

    def __init__(self, layer: int):
        self.layer = layer


class _Binding:
    """A variable's value and whether a statement has read it since (for the default outputs)."""

    def __init__(self, value, order: int):
        self.value, self.order, self.read = value, order, False


def parse_program(text: str, comments: bool = True) -> Graph:
    """Read a program (SPEC section 12) into a Graph; see the module docstring."""
    if comments:
        text = re.sub(r"#[^\n]*", lambda match: " " * len(match.group()), text)
    reader = _ProgramReader()
    statements = _statements(text)
    if not statements:
        raise InputError("the program is empty: write statements such as 'x = input:10,5' and 'y = lstm:8(x)'")
    for statement in statements:
        reader.statement(statement)
    return reader.graph()


class _ProgramReader:
    """Reads statements one by one into layers, calls and variables."""

    def __init__(self):
        self.layers: list[LayerSpec] = []
        self.constructed: list[int] = []
        self.calls: list[Call] = []
        self.variables: dict[str, _Binding] = {}
        self.order = 0  # bindings made so far
        self.inputs_given: tuple[Ref, ...] | None = None
        self.outputs_given: tuple[Ref, ...] | None = None
        self.input_calls: list[int] = []
        self.bindings: list[_Binding] = []

    # Statements ---------------------------------------------------------------

    def statement(self, statement: _Statement) -> None:
        self.text, self.line = statement.text, statement.line
        text = statement.text
        equals = _assignment(text)
        if equals is None:
            keyword = _KEYWORD.fullmatch(text.strip())
            if keyword is None:
                start = len(text) - len(text.lstrip())
                raise self.fail(start, len(text.rstrip()), "a statement is 'NAME = ...', 'inputs ...' or 'outputs "
                                "...'; this is none of them (to describe a stack, write only specs)")  # fmt: skip
            offset = len(text) - len(text.lstrip()) + keyword.start(2)
            self.inputs_outputs(keyword.group(1), keyword.group(2), offset)
            return
        targets = [(match.group(), match.start()) for match in _NAME.finditer(text[:equals])]
        position, value = self.expression(equals + 1, 0)
        rest = text[position:]
        if rest.strip():
            start = position + len(rest) - len(rest.lstrip())
            raise self.fail(start, len(text.rstrip()), "unexpected text after the expression")
        self.bind(targets, value, equals + 1)

    def inputs_outputs(self, keyword: str, names: str, offset: int) -> None:
        refs = []
        for match in re.finditer(r"[^,\s]+", names):
            start, end = offset + match.start(), offset + match.end()
            if not _NAME.fullmatch(match.group()):
                raise self.fail(start, end, f"'{_shown(match.group())}' is not a variable name")
            value = self.read(match.group(), start, end)
            if not isinstance(value, _Tensors):
                raise self.fail(start, end, f"'{_shown(match.group())}' holds a layer; the model's {keyword} are "
                                "tensors")  # fmt: skip
            refs += value.refs
        if keyword == "inputs":
            if self.inputs_given is not None:
                raise self.fail(offset, len(self.text), "the model's inputs are given twice")
            self.inputs_given = tuple(refs)
        else:
            if self.outputs_given is not None:
                raise self.fail(offset, len(self.text), "the model's outputs are given twice")
            self.outputs_given = tuple(refs)

    def bind(self, targets: list[tuple[str, int]], value, start: int) -> None:
        if len(targets) == 1:
            name, _ = targets[0]
            if name != "_":
                self.set(name, value)
            return
        if not isinstance(value, _Tensors) or not value.group:
            count = 1 if isinstance(value, _Tensors) else 0
            what = "one tensor" if count else "a layer, not tensors"
            raise self.fail(targets[0][1], start - 1, f"{len(targets)} names, but the right side gives {what}")
        if len(value.refs) != len(targets):
            count = len(value.refs)
            raise self.fail(targets[0][1], start - 1, f"{len(targets)} names, but the call gives {count} outputs: "
                            f"write {count} names (_ for one not needed)")  # fmt: skip
        for (name, _), ref in zip(targets, value.refs):
            if name != "_":
                self.set(name, _Tensors((ref,)))

    def set(self, name: str, value) -> None:
        binding = _Binding(value, self.order)
        self.order += 1
        self.variables[name] = binding
        self.bindings.append(binding)

    # Expressions ----------------------------------------------------------------

    def expression(self, position: int, depth: int):
        """(position after it, value) of the expression at ``position``."""
        text = self.text
        position = _skip_spaces(text, position)
        if depth > MAX_NESTING:
            raise self.fail(position, position + 1, f"calls nested more than {MAX_NESTING} deep")
        match = _NAME.match(text, position)
        if match is None:
            end = position + 1 if position < len(text) else position
            raise self.fail(position, end, "expected a layer spec or a variable here")
        if match.end() < len(text) and text[match.end()] == ":":  # a spec: its fields may hold ',' (reshape:-1,8)
            match = _SPEC_CHARS.match(text, position)
        word, start, end = match.group(), match.start(), match.end()
        after = _skip_spaces(text, end)
        calls = after < len(text) and text[after] == "("
        if _NAME.fullmatch(word) and word in self.variables:
            value = self.read(word, start, end)
            if calls:
                if not isinstance(value, _Layer):
                    raise self.fail(start, end, f"'{_shown(word)}' holds a tensor, not a layer: only a layer is "
                                    "called")  # fmt: skip
                return self.call(value.layer, start, after, depth)
            return self.index(end, value)
        if word.split(":", 1)[0].lower() == "input":
            if calls:
                raise self.fail(start, end, "an input is not called: write x = input:10,5")
            return end, self.input(word, start)
        if _NAME.fullmatch(word) and word.lower() not in KINDS:
            raise self.fail(start, end, f"'{_shown(word)}' is not defined before this statement"
                            + self.spelling(word))  # fmt: skip
        layer = self.declare(word, start)
        if calls:
            return self.call(layer, start, after, depth)
        return end, _Layer(layer)

    def index(self, position: int, value):
        """A variable, and its [n] if it has one."""
        text = self.text
        after = _skip_spaces(text, position)
        if after >= len(text) or text[after] != "[":
            return position, value
        close = text.find("]", after)
        number = text[after + 1 : close].strip() if close > 0 else ""
        if not number.isdigit() or len(number) > MAX_DIGITS:
            raise self.fail(after, close + 1 if close > 0 else len(text), "an index is a whole number in [ ], as "
                            "in y[1]")  # fmt: skip
        if not isinstance(value, _Tensors) or not value.group:
            raise self.fail(after, close + 1, "only a call's several outputs are indexed (y = lstm:8:state(x); "
                            "y[1])")  # fmt: skip
        if int(number) >= len(value.refs):
            raise self.fail(after, close + 1, f"index {number} is past the last of the {len(value.refs)} outputs")
        return close + 1, _Tensors((value.refs[int(number)],))

    def declare(self, word: str, start: int) -> int:
        """A layer constructed from its spec: its number in the graph."""
        try:
            spec = parse_spec(word, len(self.layers))
        except SpecError as error:
            raise self.fail(start + error.start, start + error.end, error.problem) from None
        self.layers.append(spec)
        self.constructed.append(len(self.calls))
        return len(self.layers) - 1

    def input(self, word: str, start: int) -> _Tensors:
        """x = input:T,D[:batch=B][:name=N]: an InputLayer, called at once."""
        fields = word.split(":")
        if len(fields) < 2 or not fields[1]:
            raise self.fail(start, start + len(word), "an input needs its shape: input:TIMESTEPS,FEATURES "
                            "(or input:T for ids, input:D for vectors)")  # fmt: skip
        offset = start + len(fields[0]) + 1
        try:
            dims = parse_dims(fields[1], "input:")
        except InputError as error:
            raise self.fail(offset, offset + len(fields[1]), str(error)) from None
        if any(dim == 0 for dim in dims):
            raise self.fail(offset, offset + len(fields[1]), "input dims must be at least 1 (or None)")
        batch, name = None, None
        offset += len(fields[1]) + 1
        for field in fields[2:]:
            key, _, value = field.partition("=")
            if key.lower() == "batch" and value.isdigit() and 0 < len(value) <= MAX_DIGITS and int(value) > 0:
                batch = int(value)
            elif key.lower() == "name" and value and "/" not in value and value.isprintable():
                name = value
            else:
                raise self.fail(offset, offset + len(field), f"an input takes batch=B and name=NAME, not "
                                f"'{_shown(field)}'")  # fmt: skip
            offset += len(field) + 1
        self.layers.append(LayerSpec(word, InputLayer(dims, batch), name))
        self.constructed.append(len(self.calls))
        self.check_size(start, start + len(word))
        self.calls.append(Call(len(self.layers) - 1, (), (), Where(self.text, self.line, start, start + len(word))))
        self.input_calls.append(len(self.calls) - 1)
        return _Tensors((Ref(len(self.calls) - 1),))

    def call(self, layer: int, start: int, open_paren: int, depth: int) -> tuple[int, _Tensors]:
        """LAYER(arg, ..., init=[h, c]): the call, and the tensors it gives."""
        text = self.text
        arguments: list[Ref] = []
        init: list[Ref] | None = None

        def argument(position: int) -> int:
            nonlocal init
            keyword = re.compile(r"init\s*=\s*\[").match(text, position)
            if keyword:
                if init is not None:
                    raise self.fail(position, keyword.end(), "init= is given twice")
                init = []
                return self.items(keyword.end(), "]", lambda at: self.tensors(at, depth, init, "init= takes "
                                                                                 "tensors (states), not a layer"))
            return self.tensors(position, depth, arguments, "a layer is called on tensors; this is a layer (call "
                                "it first)")  # fmt: skip

        end = self.items(open_paren + 1, ")", argument)
        if init == []:
            raise self.fail(end - 1, end, "init=[ ] needs at least one state")
        self.check_size(start, end)
        where = Where(text, self.line, start, end)
        spec = self.layers[layer]
        if init is not None and not spec.layer.takes_initial_state:
            raise where.error(f"init= gives a recurrent layer its initial states; {spec.layer.keras_type} "
                              "has none")  # fmt: skip
        self.calls.append(Call(layer, tuple(arguments), tuple(init or ()), where))
        number = len(self.calls) - 1
        outputs = spec.layer.output_count()
        refs = tuple(Ref(number, output) for output in range(outputs))
        return end, _Tensors(refs, group=outputs > 1)

    def check_size(self, start: int, end: int) -> None:
        """A model of up to MAX_CALLS calls (inputs included): a bound on time and memory."""
        if len(self.calls) >= MAX_CALLS:
            raise self.fail(start, end, f"more than {MAX_CALLS:,} calls: rnnshape reads models up to that size")

    def items(self, position: int, close: str, read) -> int:
        """Items separated by ',' up to ``close`` (none at all, too), each read
        by ``read(position)``, which gives the position after it; the position
        after ``close``."""
        text = self.text
        position = _skip_spaces(text, position)
        if position < len(text) and text[position] == close:
            return position + 1
        while True:
            position = _skip_spaces(text, read(_skip_spaces(text, position)))
            if position < len(text) and text[position] == ",":
                position += 1
            elif position < len(text) and text[position] == close:
                return position + 1
            else:
                raise self.fail(position, position + 1, f"expected ',' or '{close}' here")

    def tensors(self, position: int, depth: int, into: list, problem: str) -> int:
        """An expression that gives tensors, added to ``into``; the position after it."""
        end, value = self.expression(position, depth + 1)
        if not isinstance(value, _Tensors):
            raise self.fail(position, end, problem)
        into += value.refs
        return end

    def read(self, name: str, start: int, end: int):
        binding = self.variables.get(name)
        if binding is None:
            raise self.fail(start, end, f"'{_shown(name)}' is not defined before this statement"
                            + self.spelling(name))  # fmt: skip
        binding.read = True
        return binding.value

    def spelling(self, name: str) -> str:
        import difflib

        same = [variable for variable in self.variables if variable.lower() == name.lower()]
        close = same or difflib.get_close_matches(name, list(self.variables)[-1000:], n=1, cutoff=0.7)
        return f"; did you mean '{_shown(close[0])}'?" if close else ""

    def fail(self, start: int, end: int, problem: str) -> ProgramError:
        return ProgramError(self.text, self.line, start, end, problem)

    # The model ------------------------------------------------------------------

    def graph(self) -> Graph:
        if not self.input_calls:
            raise InputError("the program has no input: start it with a statement such as 'x = input:10,5'")
        inputs = self.inputs_given
        if inputs is None:
            inputs = tuple(Ref(call) for call in self.input_calls)
        for ref in inputs:
            if not isinstance(self.layers[self.calls[ref.call].layer].layer, InputLayer):
                where = self.calls[ref.call].where
                raise where.error("the model's inputs are input statements; this tensor is a layer's output")
        outputs = self.outputs_given
        if outputs is None:
            outputs = tuple(ref for binding in self.bindings if not binding.read
                            and isinstance(binding.value, _Tensors) for ref in binding.value.refs)  # fmt: skip
        if not outputs:
            raise InputError("the program has no output: every tensor is read by a later statement; name the "
                             "model's outputs with a statement such as 'outputs y'")  # fmt: skip
        layers = self._input_dtypes()
        return Graph(tuple(layers), tuple(self.calls), tuple(inputs), tuple(outputs), False, tuple(self.constructed))

    def _input_dtypes(self) -> list[LayerSpec]:
        """Inputs whose every reader is an embedding hold integer ids."""
        readers: dict[int, list] = {}
        for call in self.calls:
            for ref in call.arguments + call.init:
                readers.setdefault(ref.call, []).append(self.layers[call.layer].layer)
        layers = list(self.layers)
        for call in self.input_calls:
            found = readers.get(call, [])
            if found and all(isinstance(layer, Embedding) for layer in found):
                number = self.calls[call].layer
                layers[number] = layers[number].replace(layer=layers[number].layer.replace(dtype="int32"))
        return layers


def _assignment(text: str) -> int | None:
    """The position of the statement's '=' if it is 'NAMES = ...'."""
    equals = text.find("=")
    if equals < 0 or not _TARGETS.fullmatch(text[:equals]):
        return None
    return equals


def _skip_spaces(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r":
        position += 1
    return position


def _shown(text: str) -> str:
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


_WRITABLE_NAME = re.compile(r"[A-Za-z0-9_.+\-]+")


def program_text(graph: Graph, automatic: Sequence[str] = ()) -> str:
    """A graph as a program that reads back as the same graph: an input
    statement per input, a statement per call (a layer called more than once
    declared first, so that its calls share it), then the inputs and outputs
    statements. Every layer keeps its name: with name=, unless it is the one
    given in ``automatic`` (the names Keras would give the layers, in order,
    in a fresh session; the names of the masks' operations follow then too)."""
    calls_of: dict[int, int] = {}
    for call in graph.calls:
        calls_of[call.layer] = calls_of.get(call.layer, 0) + 1
    variables: dict[tuple[int, int], str] = {}
    declared: dict[int, str] = {}
    lines = []
    for number, call in enumerate(graph.calls):
        spec = graph.layers[call.layer]
        if spec.name is not None and not _WRITABLE_NAME.fullmatch(spec.name):
            raise InputError(f"the layer name '{printable(spec.name)[:MAX_SHOWN]}' cannot be written in a program "
                             "(it holds a character other than letters, digits and _ . + -): rename the layer, "
                             "or use --from directly")  # fmt: skip
        text = spec.text
        if isinstance(spec.layer, InputLayer) and spec.layer.batch is not None:
            text += f":batch={spec.layer.batch}"
        if spec.name is not None and (call.layer >= len(automatic) or automatic[call.layer] != spec.name):
            text += f":name={spec.name}"
        outputs = spec.layer.output_count()
        targets = [f"t{number}"] if outputs == 1 else [f"t{number}_{output}" for output in range(outputs)]
        for output, target in enumerate(targets):
            variables[(number, output)] = target
        if not call.arguments and not call.init:
            lines.append(f"{targets[0]} = {text}")
            continue
        if calls_of[call.layer] > 1:
            if call.layer not in declared:
                declared[call.layer] = f"layer{call.layer}"
                lines.append(f"{declared[call.layer]} = {text}")
            text = declared[call.layer]
        arguments = [variables[(ref.call, ref.output)] for ref in call.arguments]
        if call.init:
            arguments.append("init=[" + ", ".join(variables[(ref.call, ref.output)] for ref in call.init) + "]")
        lines.append(f"{', '.join(targets)} = {text}({', '.join(arguments)})")
    lines.append("inputs " + ", ".join(variables[(ref.call, ref.output)] for ref in graph.inputs))
    lines.append("outputs " + ", ".join(variables[(ref.call, ref.output)] for ref in graph.outputs))
    return "\n".join(lines) + "\n"
