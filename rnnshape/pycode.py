"""Keras code in: the model a Python file builds, read without running it.

``read_code`` parses the file with Python's own parser and interprets the
little of Python that model-building code is made of (SPEC section 13):
imports of Keras in any form, constants, variables, arithmetic, tuples, lists
and dicts, f-strings, ``for`` over ranges and lists, ``if`` on constants, the
file's own functions called with constant arguments, and Keras itself:
``Sequential([...])``, ``model.add(...)``, ``Input(...)``, layer construction
and calls, ``Model(inputs, outputs)``. Nothing of the file is executed,
imported or evaluated by Python; every step is counted (``MAX_STEPS``), and
anything else is refused with FILE:LINE:COL, the construct, and how to go on.

A Keras layer constructed here is its class name and its arguments as Keras
saves them (``config``): ``saved.py`` reads that into rnnshape's kinds, so a
file and a saved model of the same layer are read by one piece of code, which
refuses by name every option rnnshape does not model.
"""

from __future__ import annotations

import ast
import bisect
import re
from typing import Any

from .errors import InputError, printable
from .graph import Call, Graph, Ref, chain
from .spec import LayerSpec
from .values import Value

MAX_BYTES = 1_000_000  # a model file is a few kilobytes
MAX_STEPS = 200_000  # statements and expressions interpreted: far beyond any model file
MAX_DEPTH = 50  # calls of the file's functions inside one another
MAX_ITEMS = 100_000  # elements of a list, string or range the file builds
MAX_WORK = 5_000_000  # elements of all the lists and strings it builds, one after another
MAX_BITS = 256  # a whole number larger than 2**256 is no model's size
MAX_NODES = 10_000  # values inside one argument of a layer, however nested

# Keras 3.15's positional arguments of each class, as far as users pass them so.
SIGNATURES: dict[str, tuple[str, ...]] = {
    "Activation": ("activation",), "AdditiveAttention": ("use_scale", "dropout"),
    "Attention": ("use_scale", "score_mode", "dropout"), "AveragePooling1D": ("pool_size", "strides", "padding"),
    "BatchNormalization": ("axis", "momentum", "epsilon"), "Bidirectional": ("layer", "merge_mode"),
    "Concatenate": ("axis",), "Conv1D": ("filters", "kernel_size", "strides", "padding"),
    "Dense": ("units", "activation", "use_bias"), "Dot": ("axes", "normalize"), "Dropout": ("rate",),
    "ELU": ("alpha",), "Embedding": ("input_dim", "output_dim"), "Flatten": ("data_format",),
    "GRU": ("units", "activation", "recurrent_activation", "use_bias"),
    "GRUCell": ("units", "activation", "recurrent_activation", "use_bias"), "GaussianNoise": ("stddev",),
    "GlobalAveragePooling1D": ("data_format",), "GlobalMaxPooling1D": ("data_format",),
    "LSTM": ("units", "activation", "recurrent_activation", "use_bias"),
    "LSTMCell": ("units", "activation", "recurrent_activation", "use_bias"), "LayerNormalization": ("axis", "epsilon"),
    "LeakyReLU": ("negative_slope",), "Masking": ("mask_value",), "MaxPooling1D": ("pool_size", "strides", "padding"),
    "MultiHeadAttention": ("num_heads", "key_dim", "value_dim"), "Permute": ("dims",), "RNN": ("cell",),
    "ReLU": ("max_value", "negative_slope", "threshold"), "RepeatVector": ("n",), "Reshape": ("target_shape",),
    "SimpleRNN": ("units", "activation", "use_bias"), "SimpleRNNCell": ("units", "activation", "use_bias"),
    "Softmax": ("axis",), "SpatialDropout1D": ("rate",), "TimeDistributed": ("layer",),
    "Add": (), "Subtract": (), "Multiply": (), "Average": (), "Maximum": (), "Minimum": (), "PReLU": (),
}  # fmt: skip
CELLS = {"SimpleRNNCell", "LSTMCell", "GRUCell"}
# Keras's functional forms of the merges: keras.layers.concatenate([a, b]) makes the layer and calls it.
MERGE_FUNCTIONS = {"concatenate": "Concatenate", "add": "Add", "subtract": "Subtract", "multiply": "Multiply",
                   "average": "Average", "maximum": "Maximum", "minimum": "Minimum", "dot": "Dot"}  # fmt: skip
# Keras 2's argument names Keras 3 renamed.
KERAS2_ARGUMENTS = {("LeakyReLU", "alpha"): "negative_slope"}
# Keras's methods of a model that change nothing rnnshape shows: their arguments (data) are not read.
IGNORED_METHODS = {"compile", "fit", "evaluate", "predict", "summary", "save", "save_weights", "load_weights",
                   "get_weights", "set_weights", "count_params", "to_json", "get_config"}  # fmt: skip
IGNORED_FUNCTIONS = {"print", "plot_model"}  # called for their output only


class CodeError(InputError):
    """A construct of the file rnnshape cannot read: FILE:LINE:COL, the
    construct quoted, the problem and how to go on."""


class Namespace(Value):
    """A module or a package of names: ``keras.layers``, ``tf.keras``, ``numpy``."""

    def __init__(self, path: tuple[str, ...]):
        self.path = path

    @property
    def keras(self) -> tuple[str, ...] | None:
        """The path within Keras (``('keras', 'layers')``), or None outside Keras."""
        path = self.path[1:] if self.path[:1] in (("tensorflow",), ("tf",)) else self.path
        return path if path[:1] == ("keras",) else None


class KerasClass(Value):
    def __init__(self, name: str):
        self.name = name


class LayerObject:
    """A Keras layer the file constructs: its class, its arguments as Keras's
    config holds them, its name (None: Keras's automatic one), and its number
    among the model's layers once it is one."""

    def __init__(self, class_name: str, config: dict, name: str | None, trainable: bool, node: ast.AST,
                 constructed: int):  # fmt: skip
        self.class_name, self.config, self.name, self.trainable = class_name, config, name, trainable
        self.node, self.constructed = node, constructed
        self.input_shape: tuple | None = None  # Keras 2's input_shape= (batch first)
        self.wrapped = False  # inside a Bidirectional, TimeDistributed or RNN
        self._spec: LayerSpec | None = None  # the kind it is, once read (Reader.spec)

    def entry(self) -> dict:
        """The layer as Keras saves it: class name and config (wrapped layers
        inside; a name where the file gives none, which Keras will choose)."""
        config = {key: value.entry() if isinstance(value, LayerObject) else _as_json(value)
                  for key, value in self.config.items()}  # fmt: skip
        return {"class_name": self.class_name,
                "config": {**config, "name": self.name or "layer", "trainable": self.trainable}}


class Tensor(Value):
    """A symbolic tensor: output ``output`` of the reader's call number ``call``."""

    def __init__(self, call: int, output: int = 0):
        self.call, self.output = call, output


class SequentialModel:
    def __init__(self, name: str | None, node: ast.AST):
        self.name, self.node = name, node
        self.layers: list[LayerObject] = []
        self.input: tuple[tuple, int | None, str, str | None] | None = None  # dims, batch, dtype, name


class FunctionalModel:
    def __init__(self, inputs: list, outputs: list, name: str | None, node: ast.AST):
        self.inputs, self.outputs, self.name, self.node = inputs, outputs, name, node


class Function:
    """A function of the file: its definition, the names it sees, and its
    default values (made once, when it is defined, as Python makes them)."""

    def __init__(self, node: ast.FunctionDef, scope: dict, defaults: list):
        self.node, self.scope, self.defaults = node, scope, defaults


class MergeFunction(Value):
    def __init__(self, class_name: str):
        self.class_name = class_name


class Unknown(Value):
    """The result of a function rnnshape does not run (numpy's, a dataset's):
    an error only where the model needs its value."""

    def __init__(self, node: ast.AST, what: str):
        self.node, self.what = node, what


class Method(Value):
    def __init__(self, target: object, name: str):
        self.target, self.name = target, name


class Builtin(Value):
    def __init__(self, name: str):
        self.name = name


class _Return(Exception):
    def __init__(self, value: object):
        self.value = value


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


BUILTINS = {"range", "len", "int", "float", "str", "bool", "min", "max", "abs", "round", "sum", "tuple", "list",
            "dict", "print", "enumerate", "zip", "reversed"}  # fmt: skip


class Reader:
    """The interpretation of one file: its names, the layers and calls made so
    far, the models built, and the steps taken."""

    def __init__(self, path: str, source: str, defines: dict[str, Any]):
        self.path, self.lines, self.defines = path, source.splitlines(), defines
        self.steps = 0
        self.work = 0  # elements of the sequences built so far
        self.depth = 0
        self.objects: list[LayerObject] = []  # every layer constructed, in order
        self.calls: list[tuple[LayerObject | None, tuple, tuple, ast.AST]] = []  # (layer, arguments, init, node)
        self.inputs: dict[int, tuple[tuple, int | None, str, str | None]] = {}  # call -> its Input's shape
        self.models: list[tuple[str | None, object]] = []  # (variable, model) in the order built
        self.model_counts = {"sequential": 0, "functional": 0}  # Keras names models from counters too
        self.globals: dict[str, Any] = {"__name__": "__main__"}
        self.globals.update(defines)

    # Errors -----------------------------------------------------------------------

    def error(self, node: ast.AST, problem: str, hint: str = "") -> CodeError:
        line, column = getattr(node, "lineno", 1), getattr(node, "col_offset", 0)
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        end = getattr(node, "end_col_offset", None)
        end = end if end is not None and getattr(node, "end_lineno", line) == line else len(text)
        shown = printable(text[:120])
        caret = " " * min(column, len(shown)) + "^" * max(1, min(end, 120) - column)
        message = f"{printable(self.path)}:{line}:{column + 1}: {printable(problem)}\n  {shown}\n  {caret}"
        return CodeError(message + (f"\n{hint}" if hint else ""))

    def known(self, *values: Any, depth: int = 2) -> None:
        """Refuse the result of a function rnnshape does not run where its value
        is needed: among the values, and inside the small lists, tuples and dicts
        among them (a layer's shape argument), ``depth`` levels down."""
        for value in values:
            if isinstance(value, Unknown):
                raise self.error(value.node, f"{value.what} computes a value from data, which rnnshape cannot know",
                                 "give the size the model needs with -D NAME=VALUE, where the file assigns it to "
                                 "a name (n_features = X.shape[2]: -D n_features=8)")  # fmt: skip
            if depth and isinstance(value, (list, tuple, dict)) and len(value) <= 64:
                self.known(*(value.values() if isinstance(value, dict) else value), depth=depth - 1)

    def spend(self, node: ast.AST, elements: int) -> None:
        """Count the elements of a list, tuple or text the file builds: building
        them one step at a time in a loop (x = x + [i]) costs their length each time."""
        self.work += elements
        if self.work > MAX_WORK:
            raise self.error(node, f"the file builds more than {MAX_WORK:,} elements of lists and text to build its "
                                   "model", "rnnshape reads model-building code, not computations")  # fmt: skip

    def step(self, node: ast.AST) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise self.error(node, f"the file takes more than {MAX_STEPS:,} steps to build its model",
                             "rnnshape reads model-building code, not computations: write the sizes as numbers")

    # Statements ---------------------------------------------------------------------

    def run(self, body: list[ast.stmt], scope: dict) -> None:
        for statement in body:
            self.statement(statement, scope)

    def statement(self, node: ast.stmt, scope: dict) -> None:
        self.step(node)
        if isinstance(node, ast.Expr):
            if not (isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):  # a docstring
                self.expression(node.value, scope)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if node.value is None:
                return
            named = [target.id for target in targets if isinstance(target, ast.Name)]
            if named and all(name in self.defines for name in named):  # -D gives it: the file's value is data
                return
            if self.defined_unpacking(targets, node.value, scope):
                return
            value = self.expression(node.value, scope)
            for target in targets:
                self.assign(target, value, scope)
                if (isinstance(target, ast.Name) and isinstance(value, (SequentialModel, FunctionalModel))
                        and scope is self.globals):  # --model names the file's variables, not a function's
                    self.models.append((target.id, value))
        elif isinstance(node, ast.AugAssign):
            if not isinstance(node.target, ast.Name):
                raise self.error(node, "an augmented assignment to something other than a name")
            current = self.name(node.target, scope)
            self.assign(node.target, self.operate(node, node.op, current, self.expression(node.value, scope)), scope)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            self.import_(node, scope)
        elif isinstance(node, ast.For):
            self.for_(node, scope)
        elif isinstance(node, ast.If):
            test = self.expression(node.test, scope)
            self.known(test)
            if not isinstance(test, (bool, int, float, str, type(None), tuple, list, dict)):
                raise self.error(node.test, "an if on a value rnnshape cannot know")
            self.run(node.body if test else node.orelse, scope)
        elif isinstance(node, ast.FunctionDef):
            if node.decorator_list:
                raise self.error(node.decorator_list[0], "a decorated function")
            scope[node.name] = Function(node, scope, [self.expression(default, scope) for default in
                                                      node.args.defaults])  # fmt: skip
        elif isinstance(node, ast.Return):
            raise _Return(self.expression(node.value, scope) if node.value is not None else None)
        elif isinstance(node, ast.Pass):
            return
        elif isinstance(node, ast.Break):
            raise _Break()
        elif isinstance(node, ast.Continue):
            raise _Continue()
        elif isinstance(node, ast.ClassDef):
            raise self.error(node, f"a class of the file's own ({node.name})",
                             "rnnshape reads Keras's own layers; a custom layer class cannot be read")
        elif isinstance(node, ast.While):
            raise self.error(node, "a while loop", "rnnshape reads for loops over range(...) or a list")
        else:
            raise self.error(node, f"a {type(node).__name__} statement, which rnnshape does not read")

    def defined_unpacking(self, targets: list, value: ast.expr, scope: dict) -> bool:
        """a, b = X.shape[1], X.shape[2] where -D gives a and b: the names -D
        gives keep their values, the others take theirs (one by one where the
        value is written as a tuple). Whether the statement is done so."""
        if len(targets) != 1 or not isinstance(targets[0], (ast.Tuple, ast.List)):
            return False
        names = [element.id if isinstance(element, ast.Name) else None for element in targets[0].elts]
        given = [name is not None and name in self.defines for name in names]
        if not any(given):
            return False
        if all(given):
            return True
        if not isinstance(value, (ast.Tuple, ast.List)) or len(value.elts) != len(names) or any(
                isinstance(element, ast.Starred) for element in value.elts):  # fmt: skip
            return False  # evaluated as a whole: the data it reads is refused where it is
        for element, item, defined in zip(targets[0].elts, value.elts, given):
            if not defined:
                self.assign(element, self.expression(item, scope), scope)
        return True

    def assign(self, target: ast.expr, value: object, scope: dict) -> None:
        if isinstance(target, ast.Name):
            scope[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            if not isinstance(value, (tuple, list)):
                raise self.error(target, "unpacking a value that is not a tuple or list")
            if len(value) != len(target.elts):
                raise self.error(target, f"unpacking {len(value)} values into {len(target.elts)} names")
            for element, item in zip(target.elts, value):
                self.assign(element, item, scope)
        elif isinstance(target, ast.Subscript):
            container = self.expression(target.value, scope)
            if not isinstance(container, dict):
                raise self.error(target, "an assignment to an item of something other than a dict")
            container[self.constant_key(target.slice, scope)] = value
        else:
            raise self.error(target, "an assignment to something other than a name")

    def import_(self, node: ast.Import | ast.ImportFrom, scope: dict) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                path = tuple(alias.name.split("."))
                if alias.asname:
                    scope[alias.asname] = Namespace(path)
                else:
                    scope[path[0]] = Namespace(path[:1])
            return
        if node.level or node.module is None:
            raise self.error(node, "a relative import", "rnnshape reads one file: write the model in it")
        for alias in node.names:
            if alias.name == "*":
                base = Namespace(tuple(node.module.split(".")))
                if base.keras is None:
                    raise self.error(node, f"from {node.module} import *")
                for name in SIGNATURES.keys() | CELLS | {"Sequential", "Model", "Input"}:
                    scope[name] = KerasClass(name)
                continue
            scope[alias.asname or alias.name] = self.attribute_of(Namespace(tuple(node.module.split("."))),
                                                                  alias.name, node)

    def for_(self, node: ast.For, scope: dict) -> None:
        items = self.expression(node.iter, scope)
        self.known(items)
        if isinstance(items, dict):
            items = list(items)
        if not isinstance(items, (list, tuple, range, str)):
            raise self.error(node.iter, "a for loop over a value that is not a range, list or tuple")
        for item in items:
            self.step(node)
            self.assign(node.target, item, scope)
            try:
                self.run(node.body, scope)
            except _Break:
                break
            except _Continue:
                continue
        else:
            self.run(node.orelse, scope)

    # Expressions ----------------------------------------------------------------------

    def expression(self, node: ast.expr, scope: dict) -> Any:
        self.step(node)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.name(node, scope)
        if isinstance(node, (ast.Tuple, ast.List)):
            items = []
            for element in node.elts:
                if isinstance(element, ast.Starred):
                    items += list(self.sequence(element.value, scope))
                else:
                    items.append(self.expression(element, scope))
            return tuple(items) if isinstance(node, ast.Tuple) else items
        if isinstance(node, ast.Dict):
            result = {}
            for key, value in zip(node.keys, node.values):
                if key is None:
                    result.update(self.mapping(value, scope))
                else:
                    result[self.constant_key(key, scope)] = self.expression(value, scope)
            return result
        if isinstance(node, ast.BinOp):
            return self.operate(node, node.op, self.expression(node.left, scope), self.expression(node.right, scope))
        if isinstance(node, ast.UnaryOp):
            value = self.expression(node.operand, scope)
            self.known(value)
            if isinstance(node.op, ast.Not):
                return not value
            if not isinstance(value, (int, float)):
                raise self.error(node, "a sign on a value that is not a number")
            if isinstance(node.op, ast.Invert) and not isinstance(value, int):
                raise self.error(node, "a ~ of a value that is not a whole number")
            return {ast.USub: lambda: -value, ast.UAdd: lambda: +value, ast.Invert: lambda: ~value}[type(node.op)]()
        if isinstance(node, ast.BoolOp):
            value = None
            for operand in node.values:
                value = self.expression(operand, scope)
                if (not value) if isinstance(node.op, ast.And) else value:
                    return value
            return value
        if isinstance(node, ast.Compare):
            return self.compare(node, scope)
        if isinstance(node, ast.IfExp):
            return self.expression(node.body if self.expression(node.test, scope) else node.orelse, scope)
        if isinstance(node, ast.JoinedStr):
            return "".join(self.formatted(value, scope) for value in node.values)
        if isinstance(node, ast.Subscript):
            return self.subscript(node, scope)
        if isinstance(node, ast.Attribute):
            return self.attribute(node, scope)
        if isinstance(node, ast.Call):
            return self.call(node, scope)
        if isinstance(node, (ast.ListComp, ast.GeneratorExp)):
            return self.comprehension(node, node.generators, scope)
        if isinstance(node, ast.Lambda):
            raise self.error(node, "a lambda", "rnnshape reads Keras's own layers: a Lambda layer cannot be read")
        raise self.error(node, f"a {type(node).__name__} expression, which rnnshape does not read")

    def comprehension(self, node: ast.ListComp | ast.GeneratorExp, generators: list, scope: dict) -> list:
        """[ELEMENT for TARGET in ITEMS if TEST ...], its names local to it, as in Python 3."""
        results: list = []
        local = _Scope({}, scope)

        def loop(level: int) -> None:
            if level == len(generators):
                results.append(self.expression(node.elt, local))
                if len(results) > MAX_ITEMS:
                    raise self.error(node, f"a value of more than {MAX_ITEMS:,} elements")
                return
            generator = generators[level]
            if generator.is_async:
                raise self.error(node, "an async comprehension")
            items = self.expression(generator.iter, local)
            if not isinstance(items, (list, tuple, range, str, dict)):
                raise self.error(generator.iter, "a comprehension over a value that is not a range, list or tuple")
            for item in items:
                self.step(node)
                self.assign(generator.target, item, local)
                if all(self.expression(test, local) for test in generator.ifs):
                    loop(level + 1)

        loop(0)
        return results

    def name(self, node: ast.Name, scope: dict) -> Any:
        for names in (scope, self.globals):
            if node.id in names:
                return names[node.id]
        if node.id in BUILTINS:
            return Builtin(node.id)
        raise self.error(node, f"'{node.id}' is a value rnnshape cannot know",
                         f"give it with -D {node.id}=VALUE; where the file computes a size from it "
                         f"(vocab_size = len({node.id}...)), give that name instead: -D vocab_size=20000")

    def sequence(self, node: ast.expr, scope: dict) -> list | tuple:
        value = self.expression(node, scope)
        if not isinstance(value, (list, tuple)):
            raise self.error(node, "a * of something that is not a list or tuple")
        return value

    def mapping(self, node: ast.expr, scope: dict) -> dict:
        value = self.expression(node, scope)
        if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
            raise self.error(node, "a ** of something that is not a dict of names")
        return value

    def constant_key(self, node: ast.expr, scope: dict) -> Any:
        key = self.expression(node, scope)
        if not isinstance(key, (str, int, float, bool, tuple, type(None))):
            raise self.error(node, "a key that is not a constant")
        try:
            hash(key)
        except TypeError:
            raise self.error(node, "a key that holds a list or a dict") from None
        return key

    def operate(self, node: ast.AST, operator: ast.operator, left: Any, right: Any) -> Any:
        self.known(left, right)
        numbers = (int, float)
        sized = (str, list, tuple)
        try:
            if isinstance(left, numbers) and isinstance(right, numbers):
                if isinstance(operator, ast.Mult) and isinstance(left, int) and isinstance(right, int) and (
                        left.bit_length() + right.bit_length() > MAX_BITS):
                    raise self.error(node, "a number too large for a model's sizes")
                if isinstance(operator, ast.Pow) and (abs(right) > 64 or abs(left) > 2 ** 64):
                    raise self.error(node, "a power too large for a model's sizes")
                if isinstance(operator, (ast.LShift, ast.RShift)) and abs(right) > 64:
                    raise self.error(node, "a shift too large for a model's sizes")
                function = {ast.Add: lambda: left + right, ast.Sub: lambda: left - right,
                            ast.Mult: lambda: left * right, ast.Div: lambda: left / right,
                            ast.FloorDiv: lambda: left // right, ast.Mod: lambda: left % right,
                            ast.Pow: lambda: left ** right, ast.LShift: lambda: left << right,
                            ast.RShift: lambda: left >> right}.get(type(operator))  # fmt: skip
            elif isinstance(operator, ast.Add) and isinstance(left, sized) and type(left) is type(right):
                function = lambda: left + right  # noqa: E731
            elif isinstance(operator, ast.Mult) and (isinstance(left, sized) and isinstance(right, int)
                                                      or isinstance(right, sized) and isinstance(left, int)):
                items, times = (left, right) if isinstance(left, sized) else (right, left)
                if len(items) * max(times, 0) > MAX_ITEMS:  # checked before it is built
                    raise self.error(node, f"a value of more than {MAX_ITEMS:,} elements")
                function = lambda: left * right  # noqa: E731
            elif isinstance(operator, ast.Mod) and isinstance(left, str):
                _check_widths(self, node, left)
                values = right if isinstance(right, tuple) else (right,)
                if "*" in left or not all(isinstance(value, (int, float, str, bool, type(None))) for value in values):
                    raise self.error(node, "a % format of something other than numbers and text")
                function = lambda: left % right  # noqa: E731
            else:
                function = None
            if function is None:
                raise self.error(node, f"{type(operator).__name__} of {type(left).__name__} and "
                                       f"{type(right).__name__}, which rnnshape does not compute")  # fmt: skip
            result = function()
        except (ZeroDivisionError, OverflowError, TypeError, ValueError) as error:
            raise self.error(node, f"{type(error).__name__}: {printable(str(error))[:80]}") from None
        if isinstance(result, int) and result.bit_length() > MAX_BITS:
            raise self.error(node, "a number too large for a model's sizes")
        if isinstance(result, sized):
            if len(result) > MAX_ITEMS:
                raise self.error(node, f"a value of more than {MAX_ITEMS:,} elements")
            self.spend(node, len(result))
        return result

    def compare(self, node: ast.Compare, scope: dict) -> bool:
        left = self.expression(node.left, scope)
        for operator, comparator in zip(node.ops, node.comparators):
            right = self.expression(comparator, scope)
            self.known(left, right)
            if _too_nested(left) or _too_nested(right):
                raise self.error(node, f"a comparison of values of more than {MAX_NODES:,} elements")
            self.spend(node, sum(len(value) for value in (left, right) if isinstance(value, (list, tuple, str, dict,
                                                                                              range))))
            try:
                result = {ast.Eq: lambda: left == right, ast.NotEq: lambda: left != right,
                          ast.Lt: lambda: left < right, ast.LtE: lambda: left <= right,
                          ast.Gt: lambda: left > right, ast.GtE: lambda: left >= right,
                          ast.Is: lambda: left is right, ast.IsNot: lambda: left is not right,
                          ast.In: lambda: left in right, ast.NotIn: lambda: left not in right}[type(operator)]()
            except TypeError as error:
                raise self.error(node, f"a comparison rnnshape cannot make ({error})") from None
            if not result:
                return False
            left = right
        return True

    def formatted(self, node: ast.expr, scope: dict) -> str:
        if isinstance(node, ast.Constant):
            return str(node.value)
        value = self.expression(node.value, scope)
        self.known(value)
        if not isinstance(value, (str, int, float, bool, type(None))):
            raise self.error(node, "an f-string of a value that is not a number or text")
        spec = self.expression(node.format_spec, scope) if node.format_spec is not None else ""
        _check_widths(self, node, spec)
        converted = {-1: value, 115: str(value), 114: repr(value), 97: ascii(value)}[node.conversion]
        try:
            text = format(converted, spec)
            self.spend(node, len(text))
            return text
        except ValueError as error:
            raise self.error(node, f"an f-string format rnnshape cannot apply ({error})") from None

    def subscript(self, node: ast.Subscript, scope: dict) -> Any:
        value = self.expression(node.value, scope)
        if isinstance(value, Unknown):
            return Unknown(node, f"{value.what}[...]")
        if isinstance(node.slice, ast.Slice):
            parts = [self.expression(part, scope) if part is not None else None
                     for part in (node.slice.lower, node.slice.upper, node.slice.step)]  # fmt: skip
            if not isinstance(value, (list, tuple, str)) or not all(isinstance(part, (int, type(None)))
                                                                    for part in parts):  # fmt: skip
                raise self.error(node, "a slice rnnshape cannot take")
            if parts[2] == 0:
                raise self.error(node, "a slice whose step is 0")
            result = value[slice(*parts)]
            self.spend(node, len(result))
            return result
        key = self.constant_key(node.slice, scope)
        try:
            return value[key]
        except (KeyError, IndexError, TypeError) as error:
            raise self.error(node, f"{type(error).__name__}: {printable(str(error))[:60]}") from None

    def attribute(self, node: ast.Attribute, scope: dict) -> Any:
        value = self.expression(node.value, scope)
        if isinstance(value, Unknown):  # x_train.shape: data still, refused only where it is needed
            return Unknown(node, f"{value.what}.{node.attr}")
        if isinstance(value, Namespace):
            return self.attribute_of(value, node.attr, node)
        if isinstance(value, (SequentialModel, FunctionalModel)) or (
                isinstance(value, list) and node.attr in ("append", "extend")):
            return Method(value, node.attr)
        raise self.error(node, f".{node.attr} of a {_kind_of(value)}, which rnnshape does not read")

    def attribute_of(self, namespace: Namespace, name: str, node: ast.AST) -> Any:
        """A name inside a module: a Keras class, or a deeper namespace."""
        path = namespace.path + (name,)
        keras = Namespace(path).keras
        if keras is None:
            return Namespace(path)  # numpy.random …: what it makes is refused only where the model needs it
        if name in SIGNATURES or name in CELLS or name in ("Sequential", "Model", "Input", "InputLayer"):
            return KerasClass(name)
        if name in IGNORED_FUNCTIONS:
            return Builtin("print")
        if name in MERGE_FUNCTIONS:
            return MergeFunction(MERGE_FUNCTIONS[name])
        if name[:1].isupper() and "layers" in keras[:-1]:
            raise self.error(node, f"Keras's {name}, which rnnshape does not model",
                             "rnnshape kinds lists the layers it models")
        return Namespace(path)  # keras.optimizers.Adam …: what it makes is not the model

    # Calls --------------------------------------------------------------------------------

    def call(self, node: ast.Call, scope: dict) -> Any:
        callee = self.expression(node.func, scope)
        if isinstance(callee, Method) and callee.name in IGNORED_METHODS:
            return None
        if isinstance(callee, Builtin) and callee.name == "print":
            return None
        if isinstance(callee, Namespace) and (callee.keras is None or "layers" not in callee.keras):
            # numpy's, a dataset's, Keras's optimizers and initialisers: not run, refused only where needed
            return Unknown(node, f"{'.'.join(callee.path)}()")
        if isinstance(callee, Unknown):
            return Unknown(node, f"{callee.what}()")
        arguments = []
        for argument in node.args:
            if isinstance(argument, ast.Starred):
                arguments += list(self.sequence(argument.value, scope))
            else:
                arguments.append(self.expression(argument, scope))
        keywords = {}
        for keyword in node.keywords:
            if keyword.arg is None:
                keywords.update(self.mapping(keyword.value, scope))
            else:
                keywords[keyword.arg] = self.expression(keyword.value, scope)
        if isinstance(callee, Builtin):
            return self.builtin(node, callee.name, arguments, keywords)
        if isinstance(callee, Function):
            return self.function(node, callee, arguments, keywords)
        if isinstance(callee, KerasClass):
            return self.construct(node, callee.name, arguments, keywords)
        if isinstance(callee, LayerObject):
            return self.layer_call(node, callee, arguments, keywords)
        if isinstance(callee, Method):
            return self.method(node, callee, arguments, keywords)
        if isinstance(callee, MergeFunction):
            merge_keywords = {key: value for key, value in keywords.items() if key not in ("inputs",)}
            tensors = arguments[:1] or [keywords.get("inputs")]
            layer = self.construct(node, callee.class_name, arguments[1:], merge_keywords)
            return self.layer_call(node, layer, tensors, {})
        if isinstance(callee, Namespace):
            raise self.error(node.func, f"{'.'.join(callee.path)}(), which rnnshape does not know",
                             "rnnshape reads Keras's layers and models, and the file's own functions")
        raise self.error(node.func, f"a call of a {_kind_of(callee)}")

    def iterable(self, node: ast.AST, value: Any) -> list | tuple | range | str:
        if isinstance(value, dict):
            return list(value)
        if not isinstance(value, (list, tuple, range, str)):
            raise self.error(node, f"a {_kind_of(value)} where a list, tuple or range is needed")
        return value

    def builtin(self, node: ast.Call, name: str, arguments: list, keywords: dict) -> Any:
        self.known(arguments, keywords)
        if keywords and name not in ("dict", "round", "min", "max"):
            raise self.error(node, f"{name}() with keyword arguments")
        try:
            if name == "range":
                result = range(*arguments)
                if len(result) > MAX_ITEMS:
                    raise self.error(node, f"a range of more than {MAX_ITEMS:,} numbers")
                return result
            if name == "len":
                if not isinstance(arguments[0], (str, list, tuple, dict, range)):
                    raise self.error(node, "len() of a value rnnshape cannot know",
                                     "give the size with -D NAME=VALUE")
                return len(arguments[0])
            if name in ("min", "max", "sum", "abs", "round", "int", "float", "str", "bool"):
                scalars = (int, float, str, bool, type(None))
                flat = [item for argument in arguments for item in (
                    argument if isinstance(argument, (list, tuple, range)) and name in ("min", "max", "sum")
                    else [argument])]  # fmt: skip
                if not all(isinstance(item, scalars) for item in flat) or (isinstance(arguments[0], str)
                                                                            and len(arguments[0]) > 100):
                    raise self.error(node, f"{name}() of something other than numbers or short text")
                self.spend(node, len(flat))
                if any(isinstance(item, int) and item.bit_length() > MAX_BITS for item in flat) or (
                        name == "round" and len(arguments) > 1 and abs(arguments[1]) > 100):
                    raise self.error(node, f"{name}() of a number too large for a model's sizes")
                return {"min": min, "max": max, "sum": sum, "abs": abs, "round": round, "int": int, "float": float,
                        "str": str, "bool": bool}[name](*arguments, **keywords)  # fmt: skip
            if name in ("tuple", "list", "enumerate", "zip", "reversed"):
                self.spend(node, sum(len(value) for value in arguments if isinstance(value, (list, tuple, range,
                                                                                            str, dict))))
            if name in ("tuple", "list"):
                return {"tuple": tuple, "list": list}[name](*(self.iterable(node, value) for value in arguments))
            if name == "enumerate":
                return list(enumerate(self.iterable(node, arguments[0]), *arguments[1:]))
            if name == "zip":
                return list(zip(*(self.iterable(node, value) for value in arguments)))
            if name == "reversed":
                return list(reversed(self.iterable(node, arguments[0])))
            if name == "dict":
                return dict(*arguments, **keywords)
        except (TypeError, ValueError, IndexError, OverflowError) as error:
            raise self.error(node, f"{name}(): {printable(str(error))[:60]}") from None
        raise self.error(node, f"{name}()")

    def function(self, node: ast.Call, function: Function, arguments: list, keywords: dict) -> Any:
        definition = function.node  # (an Unknown argument is refused where the function uses it)
        if self.depth >= MAX_DEPTH:
            raise self.error(node, f"calls nested more than {MAX_DEPTH} deep")
        parameters = definition.args
        if parameters.vararg or parameters.kwarg or parameters.posonlyargs or parameters.kwonlyargs:
            raise self.error(definition, f"{definition.name}() takes *args, **kwargs or keyword-only arguments")
        names = [argument.arg for argument in parameters.args]
        defaults = dict(zip(names[len(names) - len(function.defaults):], function.defaults))
        if len(arguments) > len(names) or set(keywords) - set(names):
            raise self.error(node, f"arguments {definition.name}() does not take")
        local = dict(zip(names, arguments))
        for name in names[len(arguments):]:
            if name in keywords:
                local[name] = keywords[name]
            elif name in defaults:
                local[name] = defaults[name]
            else:
                raise self.error(node, f"{definition.name}() without its argument {name}")
        scope = _Scope(local, function.scope)
        self.depth += 1
        try:
            self.run(definition.body, scope)
        except _Return as returned:
            return returned.value
        finally:
            self.depth -= 1
        return None

    def construct(self, node: ast.Call, name: str, arguments: list, keywords: dict) -> Any:
        from .saved import IGNORED

        # An initialiser, regulariser or constraint changes nothing rnnshape shows: it may be anything.
        self.known(arguments, {key: value for key, value in keywords.items() if key not in IGNORED})
        if name == "Sequential":
            return self.sequential(node, arguments, keywords)
        if name == "Model":
            return self.model(node, arguments, keywords)
        if name in ("Input", "InputLayer"):
            return self.input(node, arguments, keywords)
        signature = SIGNATURES[name]
        if len(arguments) > len(signature):
            raise self.error(node, f"{name} given {len(arguments)} positional arguments; rnnshape reads "
                                   f"{len(signature)} ({', '.join(signature) or 'none'})",
                             "give the others by keyword")  # fmt: skip
        for value in list(arguments) + list(keywords.values()):
            if isinstance(value, (list, tuple, dict, str)) and len(value) > 64 or _too_nested(value):
                raise self.error(node, f"{name} given an argument of more than 64 elements, which no layer takes")
        config = dict(zip(signature, arguments))
        for key, value in keywords.items():
            key = KERAS2_ARGUMENTS.get((name, key), key)
            if key in config:
                raise self.error(node, f"{name} given {key} twice")
            config[key] = value
        for key, value in config.items():
            if key in IGNORED or isinstance(value, LayerObject):
                continue
            # A text or a list where Keras takes neither is Keras's error; here, it could read as flags
            # ("tanh:seq"), so values are checked before they become a spec.
            if isinstance(value, str) and not re.fullmatch(r"[A-Za-z0-9_.\-]*", value):
                raise self.error(node, f"{name}'s {key}={printable(value)[:40]!r}, which Keras does not take")
            if isinstance(value, (list, tuple)) and key not in SEQUENCE_ARGUMENTS:
                raise self.error(node, f"{name}'s {key} is a {type(value).__name__}, where Keras takes a value")
        layer_name = config.pop("name", None)
        if layer_name is not None and not isinstance(layer_name, str):
            raise self.error(node, f"{name}'s name is not text")
        trainable = config.pop("trainable", True)
        if not isinstance(trainable, bool):
            raise self.error(node, f"{name}'s trainable is not True or False")
        shape = None
        if "batch_input_shape" in config:  # Keras 2
            shape = self.shape(node, config.pop("batch_input_shape"))
        elif "input_shape" in config:
            shape = (None,) + self.shape(node, config.pop("input_shape"))
        if name != "Embedding" and "input_dim" in config:  # Keras 2: input_dim (and input_length) give the shape
            dim = config.pop("input_dim")
            length = config.pop("input_length", None)
            shape = self.shape(node, (None,) + ((length,) if length is not None or name in SEQUENCE_LAYERS else ())
                               + (dim,))  # fmt: skip
        if name == "Embedding" and "input_length" in config:  # Keras 2's: Keras 3 drops it with a warning
            config.pop("input_length")
        for wrapped in ("layer", "cell"):  # (a backward_layer the file makes takes its own name and count)
            inner = config.get(wrapped)
            if isinstance(inner, LayerObject):
                inner.wrapped = True
        layer = LayerObject(name, config, layer_name, bool(trainable), node, len(self.calls))
        layer.input_shape = shape
        self.objects.append(layer)
        return layer

    def input(self, node: ast.Call, arguments: list, keywords: dict) -> Tensor:
        allowed = ("shape", "batch_size", "dtype", "name", "batch_shape", "sparse")
        config = dict(zip(allowed, arguments))
        # Keras 2's InputLayer(input_shape=...) and InputLayer(batch_input_shape=...).
        config.update({{"input_shape": "shape", "batch_input_shape": "batch_shape"}.get(key, key): value
                       for key, value in keywords.items()})  # fmt: skip
        unknown = set(config) - set(allowed)
        if unknown:
            raise self.error(node, f"Input given {', '.join(sorted(unknown))}, which rnnshape does not read")
        if config.get("sparse"):
            raise self.error(node, "a sparse Input")
        if "batch_shape" in config:
            shape = self.shape(node, config["batch_shape"])
            dims, batch = shape[1:], shape[0]
        elif "shape" in config:
            dims, batch = self.shape(node, config["shape"]), config.get("batch_size")
        else:
            raise self.error(node, "an Input without a shape")
        if batch is not None and (not isinstance(batch, int) or isinstance(batch, bool) or batch < 1):
            raise self.error(node, "an Input whose batch size is not a whole number above 0")
        dtype = config.get("dtype") or "float32"
        if not isinstance(dtype, str):
            raise self.error(node, "an Input whose dtype is not a name such as 'int32'")
        name = config.get("name")
        if not isinstance(name, (str, type(None))) or (isinstance(name, str) and (not name or "/" in name)):
            raise self.error(node, "an Input whose name is not text without '/'")
        self.calls.append((None, (), (), node))
        self.inputs[len(self.calls) - 1] = (dims, batch, dtype, name)
        return Tensor(len(self.calls) - 1)

    def sequential(self, node: ast.Call, arguments: list, keywords: dict) -> SequentialModel:
        given = dict(zip(("layers", "trainable", "name"), arguments))
        given.update(keywords)
        if not isinstance(given.get("layers") or [], (list, tuple)) or not isinstance(given.get("name", ""),
                                                                                     (str, type(None))):
            raise self.error(node, "a Sequential model given something other than a list of layers and a name")
        model = SequentialModel(given.get("name") or self.automatic("sequential"), node)
        for layer in given.get("layers") or []:
            self.add(node, model, layer, rebuild=False)
        if model.input is not None and model.layers:  # Keras builds it once, with all its layers
            self.automatic("functional")
        self.models.append((None, model))
        return model

    def shape(self, node: ast.AST, value: Any) -> tuple:
        try:
            return _shape(value)
        except InputError as error:
            raise self.error(node, str(error)) from None

    def automatic(self, prefix: str) -> str:
        """Keras's name of the next model of a kind: sequential, sequential_1, …"""
        count = self.model_counts[prefix]
        self.model_counts[prefix] += 1
        return prefix if count == 0 else f"{prefix}_{count}"

    def add(self, node: ast.AST, model: SequentialModel, layer: Any, rebuild: bool = True) -> None:
        """A layer (or an Input) added to a Sequential model. Keras names what it
        makes for a model it can build: the InputLayer of a first layer's
        input_shape takes an input_layer name, and every build (after each
        add() once the input is known) a functional one."""
        if isinstance(layer, Tensor) and layer.call in self.inputs and not model.layers and model.input is None:
            model.input = self.inputs[layer.call]
            return
        if not isinstance(layer, LayerObject):
            raise self.error(node, f"adding a {_kind_of(layer)} to a Sequential model")
        if not model.layers and model.input is None and layer.input_shape is not None:
            shape = layer.input_shape
            model.input = self.implicit_input(node, shape)
        model.layers.append(layer)
        if rebuild and model.input is not None:
            self.automatic("functional")

    def implicit_input(self, node: ast.AST, shape: tuple) -> tuple:
        """The InputLayer Keras makes for a Sequential model's input shape: it takes an automatic name."""
        self.calls.append((None, (), (), node))
        self.inputs[len(self.calls) - 1] = (shape[1:], shape[0], "float32", None)
        return self.inputs[len(self.calls) - 1]

    def model(self, node: ast.Call, arguments: list, keywords: dict) -> FunctionalModel:
        keywords = {{"input": "inputs", "output": "outputs"}.get(key, key): value for key, value in keywords.items()}
        given = dict(zip(("inputs", "outputs", "name"), arguments))
        given.update(keywords)
        unknown = set(given) - {"inputs", "outputs", "name", "trainable"}
        if unknown or "inputs" not in given or "outputs" not in given:
            raise self.error(node, "a Model without inputs= and outputs=, or with other arguments")
        inputs, outputs = _tensors(given["inputs"]), _tensors(given["outputs"])
        if inputs is None or outputs is None:
            raise self.error(node, "a Model whose inputs or outputs are not tensors of the file's layers")
        if not isinstance(given.get("name", ""), (str, type(None))):
            raise self.error(node, "a Model whose name is not text")
        model = FunctionalModel(inputs, outputs, given.get("name") or self.automatic("functional"), node)
        self.models.append((None, model))
        return model

    def method(self, node: ast.Call, method: Method, arguments: list, keywords: dict) -> Any:
        self.known(arguments, keywords)
        model = method.target
        if isinstance(model, list):  # append and extend: a list of layers or sizes built in a loop
            if len(arguments) != 1 or keywords:
                raise self.error(node, f"{method.name}() takes one value")
            added = [arguments[0]] if method.name == "append" else list(self.iterable(node, arguments[0]))
            if len(model) + len(added) > MAX_ITEMS:
                raise self.error(node, f"a value of more than {MAX_ITEMS:,} elements")
            self.spend(node, len(added))
            model.extend(added)
            return None
        if isinstance(model, SequentialModel) and method.name == "add":
            if len(arguments) != 1 or keywords:
                raise self.error(node, "add() takes one layer")
            self.add(node, model, arguments[0])
            return None
        if isinstance(model, SequentialModel) and method.name == "build":
            shape = arguments[0] if arguments else keywords.get("input_shape")
            model.input = self.implicit_input(node, self.shape(node, shape))
            self.automatic("functional")
            return None
        raise self.error(node.func, f"the model's {method.name}(), which rnnshape does not read")

    def layer_call(self, node: ast.Call, layer: LayerObject, arguments: list, keywords: dict) -> Any:
        self.known(arguments, keywords)
        init = keywords.pop("initial_state", None)
        keywords.pop("training", None)  # dropout and noise: rnnshape's table and --run are inference
        tensors: list = []
        for argument in arguments + [keywords.pop(key) for key in ("query", "value", "key") if key in keywords]:
            tensors += argument if isinstance(argument, (list, tuple)) else [argument]
        if keywords:
            raise self.error(node, f"a layer called with {', '.join(sorted(keywords))}, which rnnshape does not read")
        init = list(init) if isinstance(init, (list, tuple)) else [] if init is None else [init]
        if not all(isinstance(tensor, Tensor) for tensor in tensors + init) or not tensors:
            raise self.error(node, "a layer called on something other than the file's tensors")
        self.calls.append((layer, tuple(tensors), tuple(init), node))
        number = len(self.calls) - 1
        count = self.output_count(node, layer)
        return Tensor(number) if count == 1 else tuple(Tensor(number, output) for output in range(count))

    def output_count(self, node: ast.AST, layer: LayerObject) -> int:
        return self.spec(layer).layer.output_count()

    def spec(self, layer: LayerObject) -> LayerSpec:
        """The layer as rnnshape's kind, read from its config as a saved model's is."""
        from .saved import _layer_spec

        if layer._spec is not None:
            return layer._spec
        try:
            spec = _layer_spec(layer.entry(), 1, "layer")
        except InputError as error:
            problem = str(error).split(": ", 1)[-1].replace("layer 1 'layer' ", "")
            raise self.error(layer.node, f"{layer.class_name}: {problem}") from None
        # Keras names a wrapped layer the file leaves unnamed itself (forward_lstm …).
        named_inside = any(isinstance(value, LayerObject) and value.name for value in layer.config.values())
        spec = spec.replace(name=layer.name, inner_names=spec.inner_names if named_inside else None)
        layer._spec = spec
        return spec

    # The model ----------------------------------------------------------------------------------

    def graph(self, model: object, dims: tuple | None, batch: int | None) -> tuple[Graph, str | None]:
        if isinstance(model, SequentialModel):
            return self.sequential_graph(model, dims, batch), model.name
        return self.functional_graph(model), model.name

    def sequential_graph(self, model: SequentialModel, dims: tuple | None, batch: int | None) -> Graph:
        if not model.layers:
            raise self.error(model.node, "a Sequential model without layers")
        specs = [self.spec(layer) for layer in model.layers]
        if model.input is not None:
            given_dims, given_batch, dtype, _name = model.input
            if dims is not None and (tuple(dims) != tuple(given_dims) or batch not in (None, given_batch)):
                raise self.error(model.node, f"the file gives the input shape {_text(given_dims)}, and -i/-t/-d/-b "
                                             f"another: leave them out")  # fmt: skip
            dims, batch = given_dims, given_batch
        if dims is None:
            raise self.error(model.node, "a Sequential model whose code gives no input shape (Keras leaves it "
                                         "unbuilt)", "give it with -i, for example -i 10,5")  # fmt: skip
        stack = chain(specs, tuple(dims), batch)
        # The file's other layers, constructed before or after these, take Keras's counters too (a
        # second build_model() names its layers dense_1 …): they are the graph's, uncalled. Named
        # ones take no count, and may repeat this model's names: they are left out.
        mine = {id(layer) for layer in model.layers}
        others = [layer for layer in self.objects if not layer.wrapped and layer.name is None
                  and id(layer) not in mine]  # fmt: skip
        if not others:
            return stack
        place = {id(layer): number for number, layer in enumerate(self.objects)}
        order = sorted(model.layers + others, key=lambda layer: place[id(layer)])
        number = {id(layer): place for place, layer in enumerate(order, 1)}
        layers = (stack.layers[0],) + tuple(self.spec(layer) for layer in order)
        calls = (stack.calls[0],) + tuple(call.replace(layer=number[id(layer)])
                                          for call, layer in zip(stack.calls[1:], model.layers))  # fmt: skip
        return stack.replace(layers=layers, calls=calls)

    def functional_graph(self, model: FunctionalModel) -> Graph:
        """The model's graph: every layer and call of the file, as Keras's
        counters and node indices count them all, but for the layers and inputs
        named in the code that this model does not use (another model's: their
        names may repeat this one's, and a named layer takes no count) and the
        calls that read what they make."""
        from .saved import input_spec

        kept_calls, dropped = self.kept_calls(model)
        ordered = sorted(kept_calls)
        numbers: dict[int, int] = {}  # LayerObject id -> its number among the graph's layers
        layers: list[LayerSpec] = []
        constructed: list[int] = []
        called = {id(layer) for layer, *_rest in self.calls if layer is not None}
        # A wrapped layer is inside its wrapper (Keras copies it there), unless the file calls it too.
        objects = [layer for layer in self.objects
                   if (not layer.wrapped or id(layer) in called) and id(layer) not in dropped]  # fmt: skip
        events = sorted([(layer.constructed, 0, index) for index, layer in enumerate(objects)]
                        + [(call, 1, call) for call in self.inputs if call in kept_calls])  # fmt: skip
        input_numbers: dict[int, int] = {}
        for when, is_input, index in events:
            if is_input:
                dims, batch, dtype, name = self.inputs[index]
                input_numbers[index] = len(layers)
                layers.append(input_spec(dims, batch, dtype, name))  # as a saved model's InputLayer is read
            else:
                numbers[id(objects[index])] = len(layers)
                layers.append(self.spec(objects[index]))
            constructed.append(bisect.bisect_left(ordered, when))
        position = {call: number for number, call in enumerate(ordered)}

        def ref(tensor: Tensor) -> Ref:
            return Ref(position[tensor.call], tensor.output)

        calls = []
        for number in ordered:
            layer, arguments, init, _node = self.calls[number]
            layer_number = input_numbers[number] if layer is None else numbers[id(layer)]
            calls.append(Call(layer_number, tuple(map(ref, arguments)), tuple(map(ref, init))))
        return Graph(tuple(layers), tuple(calls), tuple(map(ref, model.inputs)), tuple(map(ref, model.outputs)),
                     constructed=tuple(constructed))  # fmt: skip

    def kept_calls(self, model: FunctionalModel) -> tuple[set[int], set[int]]:
        """The calls the model's graph keeps, and the ids of the layers it drops."""
        reads = {number: [tensor.call for tensor in arguments + init]
                 for number, (_layer, arguments, init, _node) in enumerate(self.calls)}  # fmt: skip
        needed, waiting = set(), [tensor.call for tensor in model.outputs + model.inputs]
        while waiting:  # the model's own calls, from its outputs back
            number = waiting.pop()
            if number not in needed:
                needed.add(number)
                waiting += reads[number]
        used = {id(self.calls[number][0]) for number in needed if self.calls[number][0] is not None}
        dropped = {id(layer) for layer in self.objects if layer.name is not None and id(layer) not in used}
        kept = set()
        for number, (layer, _arguments, _init, _node) in enumerate(self.calls):
            if layer is None:
                name = self.inputs[number][3]
                if name is None or number in needed:
                    kept.add(number)
            elif id(layer) not in dropped and all(read in kept for read in reads[number]):
                kept.add(number)
        return kept, dropped


class _Scope(dict):
    """A function's names, falling back to the file's."""

    def __init__(self, local: dict, outer: dict):
        super().__init__(local)
        self.outer = outer

    def __missing__(self, key: str) -> Any:
        return self.outer[key]

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self.outer


SEQUENCE_LAYERS = {"SimpleRNN", "LSTM", "GRU", "Bidirectional", "Conv1D", "RNN"}
# The arguments Keras takes as a list or tuple.
SEQUENCE_ARGUMENTS = {"target_shape", "dims", "axes", "axis", "kernel_size", "strides", "pool_size", "dilation_rate",
                      "shared_axes", "attention_axes", "noise_shape", "output_shape", "input_shape",
                      "batch_input_shape", "weights"}  # fmt: skip


def _shape(value: Any) -> tuple:
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    if not isinstance(value, (list, tuple)) or not value or len(value) > 32 or not all(
            dim is None or (isinstance(dim, int) and not isinstance(dim, bool) and 0 < dim < 10**12) for dim in value):
        raise InputError(f"a shape of whole numbers above 0 and None, not {printable(repr(value))[:40]}")
    return tuple(value)


def _tensors(value: Any) -> list | None:
    """A model's inputs or outputs: one tensor, a list or tuple of them, or a
    dict of them (in Keras's order: by key)."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, dict):
        value = [value[key] for key in sorted(value)]
    if isinstance(value, (list, tuple)) and value and all(isinstance(item, Tensor) for item in value):
        return list(value)
    return None


def _too_nested(value: Any) -> bool:
    """Whether a value holds more than MAX_NODES values, counted without
    recursion: a list that holds itself twice, doubled in a loop, is 2**40 values."""
    waiting, count = [value], 0
    while waiting:
        one = waiting.pop()
        count += 1
        if count > MAX_NODES:
            return True
        if isinstance(one, (list, tuple)):
            waiting += one
        elif isinstance(one, dict):
            waiting += list(one.keys()) + list(one.values())
    return False


def _as_json(value: Any) -> Any:
    """A value as Keras's saved config holds it: tuples are lists."""
    if isinstance(value, (tuple, list)):
        return [_as_json(item) for item in value]
    return value


def _check_widths(reader: Reader, node: ast.AST, text: str) -> None:
    """A format's widths and precisions stay small: '%0100000000d' would build 100 MB."""
    if any(len(number) > 4 for number in re.findall(r"\d+", text)):
        raise reader.error(node, "a text format of a width too large for a name")


def _kind_of(value: Any) -> str:
    names = {LayerObject: "layer", Tensor: "tensor", SequentialModel: "model", FunctionalModel: "model",
             Namespace: "module", Function: "function", Unknown: "value from data"}  # fmt: skip
    return names.get(type(value), type(value).__name__)


def _text(dims: tuple) -> str:
    return ",".join("None" if dim is None else str(dim) for dim in dims)


def looks_like_keras_calls(text: str) -> bool:
    """Whether spec arguments are Keras layer calls ('LSTM(64, return_sequences=True)')
    rather than rnnshape's specs: a Keras class name, called. (A program's
    statements start with a name and '='; a spec holds no parenthesis.)"""
    found = re.match(r"\s*(?:[A-Za-z_]\w*\.)*([A-Za-z_]\w*)\s*\(", text)
    return found is not None and (found[1] in SIGNATURES or found[1] in CELLS or found[1] == "Input")


def keras_calls_source(text: str) -> str:
    """Keras layer calls given as specs, as the file a user would write: one
    Sequential model of them, every Keras name imported. The calls keep their
    lines (one per argument), so that a message points into them."""
    calls = [line for line in text.splitlines() if line.strip()]
    if len(calls) == 1:  # several calls in one argument: 'LSTM(8) Dense(1)'
        calls = re.split(r"(?<=\))\s+(?=(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*\s*\()", calls[0])
    return ("import keras\nimport tensorflow as tf\nfrom keras import layers\nfrom keras.layers import *\n"
            "from keras.models import *\nmodel = Sequential([\n" + "".join(f"{call},\n" for call in calls) + "])\n")


def read_code(path: str, source: str, defines: dict[str, Any] | None = None, model: str | None = None,
              dims: tuple | None = None, batch: int | None = None) -> tuple[Graph, str | None]:
    """The graph of the model ``source`` (the text of ``path``) builds, and its
    name: the model held by the variable ``model``, else the last one built.
    ``dims``/``batch``: the input options, for a model whose code gives no shape."""
    if len(source) > MAX_BYTES:
        raise InputError(f"{printable(path)} has more than {MAX_BYTES:,} characters: not a model file")
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as error:
        raise InputError(f"{printable(path)}:{error.lineno}:{error.offset}: not Python: {error.msg}") from None
    except (ValueError, RecursionError, MemoryError):
        raise InputError(f"{printable(path)}: not Python rnnshape can read") from None
    reader = Reader(path, source, defines or {})
    try:
        reader.run(tree.body, reader.globals)
    except (_Return, _Break, _Continue):
        raise InputError(f"{printable(path)}: a return, break or continue outside a function or loop") from None
    except RecursionError:
        raise InputError(f"{printable(path)}: expressions nested too deep to read") from None
    except InputError as error:
        if isinstance(error, CodeError):
            raise
        raise InputError(f"{printable(path)}: {error}") from None
    if model is not None:
        chosen = [value for variable, value in reader.models if variable == model]
        if not chosen:
            named = sorted({variable for variable, _ in reader.models if variable})
            raise InputError(f"{printable(path)} builds no model held by '{printable(model)}'"
                             + (f": it has {', '.join(named)}" if named else ""))  # fmt: skip
    elif not reader.models:
        raise InputError(f"{printable(path)} builds no Keras model (Sequential(...) or Model(...))")
    else:
        chosen = [reader.models[-1][1]]
    try:
        return reader.graph(chosen[-1], dims, batch)
    except RecursionError:
        raise InputError(f"{printable(path)}: values nested too deep to read") from None
