"""Text to layer specs: ``'simple:3 bi:lstm:8:seq'`` -> two ``LayerSpec``.

A spec is fields joined by ``:``: the kind (and, for a wrapper, the kind it
wraps), its positional fields, then flags (SPEC section 2). What each kind
takes is declared by its class in ``kinds``; this module only reads text
against those declarations. A mistake raises ``SpecError``, whose message quotes
the spec, underlines the bad field and suggests the nearest valid word — or,
for a Keras argument written as Keras writes it, the spec's word for it.
"""

from __future__ import annotations

import math
import re
from typing import Iterable

from .errors import InputError, printable
from .kinds import ACTIVATIONS, ALIASES, KINDS, WRAPPED_KINDS, Bidirectional, Layer
from .values import Value

# Python refuses to convert ints of more than 4300 digits to text; capping each
# number keeps every product of them (parameter counts) printable.
MAX_DIGITS = 100

# Flag word -> (the constructor argument it sets, how its value is read):
# "on"/"off" stand alone and set True/False; the others are written flag=value.
FLAGS = {
    "seq": ("return_sequences", "on"),
    "back": ("go_backwards", "on"),
    "nobias": ("use_bias", "off"),
    "state": ("return_state", "on"),
    "stateful": ("stateful", "on"),
    "unroll": ("unroll", "on"),
    "mask_zero": ("mask_zero", "on"),
    "act": ("activation", "activation"),
    "recurrent_activation": ("recurrent_activation", "activation"),
    "merge": ("merge_mode", "choice"),
    "pad": ("padding", "choice"),
    "reset_after": ("reset_after", "bool"),
    "stride": ("strides", "count"),
    "dilation": ("dilation_rate", "count"),
    "dropout": ("dropout", "fraction"),
    "recurrent_dropout": ("recurrent_dropout", "fraction"),
    "axis": ("axis", "axis"),
    "axes": ("axes", "axes"),
    "normalize": ("normalize", "on"),
    "scale": ("use_scale", "on"),
    "noscale": ("use_scale", "off"),
    "score": ("score_mode", "choice"),
    "value_dim": ("value_dim", "count"),
    "out": ("output_size", "count"),
    # Every kind takes these; they describe the layer in the model, not the
    # layer itself, so they go on the LayerSpec.
    "frozen": ("trainable", "off"),
    "name": ("name", "name"),
}
MODEL_FLAGS = frozenset({"frozen", "name"})
EXAMPLES = {"act": "act=relu", "recurrent_activation": "recurrent_activation=hard_sigmoid", "merge": "merge=sum",
            "pad": "pad=same", "reset_after": "reset_after=false", "stride": "stride=2", "dilation": "dilation=2",
            "dropout": "dropout=0.2", "recurrent_dropout": "recurrent_dropout=0.2", "name": "name=encoder",
            "axis": "axis=1", "axes": "axes=2,2", "score": "score=concat", "value_dim": "value_dim=16",
            "out": "out=32"}  # fmt: skip

# Keras's argument names, as people type them, -> the spec's word for them.
KERAS_ARGUMENTS = {
    "return_sequences": "seq", "go_backwards": "back", "use_bias": "nobias", "activation": "act=NAME",
    "merge_mode": "merge=MODE", "return_state": "state", "padding": "pad=MODE", "strides": "stride=S",
    "dilation_rate": "dilation=N", "trainable": "frozen", "bias": "nobias",
}  # fmt: skip

_NUMBER = re.compile(r"[0-9]+", re.ASCII)
_COMMENT = re.compile(r"#[^\n]*")


class LayerSpec(Value):
    """One parsed layer: the text as the user wrote it, the layer it describes,
    and its place in the model: a name of its own (None: Keras's automatic one),
    whether training updates its weights, and for a wrapper the names of the
    layers inside it (None: Keras's automatic ones; a saved model has its own)."""

    def __init__(self, text: str, layer: Layer, name: str | None = None, trainable: bool = True,
                 inner_names: tuple[str, ...] | None = None):  # fmt: skip
        self.text, self.layer, self.name, self.trainable = text, layer, name, trainable
        self.inner_names = inner_names


class SpecError(InputError):
    """A bad spec. ``str()`` quotes it and underlines the offending field."""

    def __init__(self, spec: str, index: int, start: int, end: int, problem: str):
        end = max(end, start + 1)  # an empty field still gets one caret
        self.spec, self.index, self.start, self.end, self.problem = spec, index, start, end, problem
        # Control and invisible characters are shown escaped (a spec cannot move
        # the cursor or reverse the line), and the marker follows the escapes.
        shown = [printable(char) for char in spec]
        before, under = len("".join(shown[:start])), max(1, len("".join(shown[start:end])))
        marker = " " * before + "^" * under
        super().__init__(f"bad spec for layer {index}: {printable(problem)}\n  {''.join(shown)}\n  {marker}")


def split_specs(text: str, comments: bool = True) -> list[str]:
    """The whitespace-separated specs of ``text``; with ``comments``, ``#`` starts one."""
    return (_COMMENT.sub(" ", text) if comments else text).split()


def parse(source: str | Iterable[str], comments: bool = True) -> list[LayerSpec]:
    """Parse a whole stack: one string of specs, or an iterable of such strings.

    ``comments=False`` reads ``#`` as an ordinary character, as the command line
    does (a shell has its own comments, so a '#' inside an argument is meant, or
    a mistake to report, never a silent cut)."""
    texts = split_specs(source if isinstance(source, str) else "\n".join(source), comments)
    if not texts:
        raise InputError("no layers given: write specs such as 'simple:3' or 'bi:lstm:8:seq'")
    specs = [parse_spec(text, index) for index, text in enumerate(texts, 1)]
    for index, spec in enumerate(specs[1:], 2):
        if spec.layer.first_only:
            kind = spec.text.split(":", 1)[0]
            raise SpecError(spec.text, index, 0, len(kind),
                            f"'{kind}' must be the first layer: it reads integer ids")  # fmt: skip
    return specs


def parse_spec(text: str, index: int = 1) -> LayerSpec:
    """Parse one spec such as ``bi:gru:16:seq:merge=sum``."""
    return _SpecReader(text, index).read()


def kind_words() -> list[str]:
    """The kind words of the grammar, without aliases."""
    return [word for word in KINDS if word not in ALIASES]


class _SpecReader:
    """Walks the fields of one spec, keeping their offsets for error markers."""

    def __init__(self, text: str, index: int):
        self.text, self.index = text, index
        self.fields: list[tuple[int, str]] = []
        start = 0
        for field in text.split(":"):
            self.fields.append((start, field))
            start += len(field) + 1
        self.next = 0

    def fail(self, field_number: int | None, problem: str) -> SpecError:
        if field_number is None or field_number >= len(self.fields):  # points past the end
            return SpecError(self.text, self.index, len(self.text), len(self.text) + 1, problem)
        start, field = self.fields[field_number]
        return SpecError(self.text, self.index, start, start + len(field), problem)

    def peek(self) -> str | None:
        return self.fields[self.next][1] if self.next < len(self.fields) else None

    def read(self) -> LayerSpec:
        for number, (_start, field) in enumerate(self.fields):
            if not field:
                raise self.fail(number, "empty field (two ':' in a row, or a ':' at an end)")
        word = self.fields[0][1]
        kind = KINDS.get(word.lower())
        if kind is None:
            raise self.fail(0, _unknown_kind(word))
        self.next = 1
        if kind in WRAPPED_KINDS:
            return self.read_wrapper(kind, word.lower())
        arguments = self.read_positional(kind, word.lower())
        arguments, model = self.read_flags(kind.flags, word.lower(), kind.choices, arguments)
        return LayerSpec(self.text, kind(**arguments), **model)

    def read_wrapper(self, wrapper: type[Layer], wrapper_word: str) -> LayerSpec:
        """bi:lstm:8:... or td:dense:4:...: the wrapped kind's fields and flags,
        plus the wrapper's own flags."""
        inner_kinds = WRAPPED_KINDS[wrapper]
        default = "simple" if wrapper is Bidirectional else None  # bi:8 is bi:simple:8
        word = self.peek()
        if word is not None and not _looks_numeric(word) and "=" not in word and word.lower() not in FLAGS:
            if word.lower() not in inner_kinds:
                raise self.fail(self.next, f"{wrapper_word} cannot wrap '{word}' (it wraps "
                                           f"{', '.join(_canonical(inner_kinds))})"
                                           f"{_suggest(word.lower(), inner_kinds)}")  # fmt: skip
            inner_word = word.lower()
            self.next += 1
        elif default is None:
            raise self.fail(self.next, f"{wrapper_word} needs the layer it wraps: write "
                                       f"{wrapper_word}:{_canonical(inner_kinds)[0]}:UNITS")  # fmt: skip
        else:
            inner_word = default
        inner = inner_kinds[inner_word]
        label = f"{wrapper_word}:{inner_word}"
        arguments = self.read_positional(inner, label)
        allowed = wrapped_flags(wrapper, inner)
        arguments, model = self.read_flags(allowed, label, {**inner.choices, **wrapper.choices}, arguments)
        own = {FLAGS[flag][0] for flag in wrapper.flags}
        wrapper_arguments = {key: arguments.pop(key) for key in list(arguments) if key in own}
        return LayerSpec(self.text, wrapper(inner(**arguments), **wrapper_arguments), **model)

    def read_positional(self, kind: type[Layer], kind_word: str) -> dict:
        arguments = {}
        for spec_field in kind.positional:
            field = self.peek()
            given = field is not None and (_looks_numeric(field) if spec_field.type not in ("activation", "dims")
                                           else "=" not in field)  # fmt: skip
            if not given:
                if spec_field.default is not None:
                    arguments[spec_field.argument] = spec_field.default
                    continue
                raise self.fail(self.next, self.missing(kind, kind_word, spec_field, field))
            arguments[spec_field.argument] = self.read_value(field, spec_field.label, spec_field.type)
            self.next += 1
        field = self.peek()
        if field is not None and _looks_numeric(field):
            raise self.fail(self.next, f"one number too many ({_usage(kind_word, kind)})")
        return arguments

    def missing(self, kind: type[Layer], kind_word: str, spec_field, field: str | None) -> str:
        got = "nothing" if field is None else f"'{field}'"
        problem = f"{kind_word} needs its {spec_field.label} here ({_usage(kind_word, kind)}), got {got}"
        if field is not None and "=" in field:
            name, _, value = field.partition("=")
            if name.lower() in {f.argument for f in kind.positional}:
                # lstm:units=64: the Keras keyword where the spec wants the bare number.
                example = ":".join([kind_word] + [value or "N"])
                problem = (f"{spec_field.label} is the number right after the kind, without a name: "
                           f"write {example}")  # fmt: skip
        return problem

    def read_value(self, field: str, name: str, value_type: str) -> object:
        """A positional field or a flag's value, checked against its type."""
        if value_type == "count":
            if _NUMBER.fullmatch(field) and len(field) > MAX_DIGITS:
                raise self.fail(self.next, f"{name} has more than {MAX_DIGITS} digits")
            if not _NUMBER.fullmatch(field) or int(field) < 1:
                raise self.fail(self.next, f"{name} must be a whole number of at least 1, got '{field}'")
            return int(field)
        if value_type == "axis":
            if not re.fullmatch(r"-?[0-9]{1,3}", field):
                raise self.fail(self.next, f"{name} must be a whole number such as -1 or 2, got '{field}'")
            return int(field)
        if value_type == "axes":
            if not re.fullmatch(r"-?[0-9]{1,3}(,-?[0-9]{1,3})?", field):
                raise self.fail(self.next, f"{name} is one axis or two joined by ',' (axes=1, axes=2,2), "
                                           f"got '{field}'")  # fmt: skip
            return tuple(int(part) for part in field.split(","))
        if value_type == "dims":
            return self.read_dims(field, name)
        if value_type == "activation":
            value = field.lower()
            if value not in ACTIVATIONS:
                raise self.fail(self.next, f"unknown activation '{field}'{_suggest(value, sorted(ACTIVATIONS))}")
            return value
        try:
            number = float(field) if len(field) <= MAX_DIGITS else math.nan
        except ValueError:
            number = math.nan
        limits = {
            "rate": (lambda r: 0 <= r < 1, "a number from 0 up to (not including) 1"),
            "fraction": (lambda r: 0 <= r <= 1, "a number from 0 to 1"),
            "stddev": (lambda r: 0 <= r < math.inf, "a number of at least 0"),
            "number": (math.isfinite, "a number"),
        }
        accepts, wanted = limits[value_type]
        if not accepts(number):
            raise self.fail(self.next, f"{name} must be {wanted}, got '{field}'")
        return number

    def read_dims(self, field: str, name: str) -> tuple[int, ...]:
        """reshape:-1,8,2 or permute:2,1: whole numbers of at least 1, and for a
        target shape one -1."""
        parts = field.split(",")
        if not all(re.fullmatch(r"-?[0-9]{1,9}", part) for part in parts):
            raise self.fail(self.next, f"{name} must be whole numbers joined by ',' (as in 8,2 or -1,8), "
                                       f"got '{field}'")  # fmt: skip
        dims = tuple(int(part) for part in parts)
        unknown = dims.count(-1) if name == "target shape" else 0
        if unknown > 1 or any(dim < 1 for dim in dims if dim != -1 or not unknown):
            allowed = "at least 1, and one of them may be -1" if name == "target shape" else "at least 1"
            raise self.fail(self.next, f"each of the {name} must be {allowed}, got '{field}'")
        return dims

    def read_flags(self, allowed: frozenset[str], kind_word: str, choices: dict, arguments: dict) -> tuple[dict, dict]:
        """The flags after the positional fields: (the layer's arguments, the LayerSpec's)."""
        model: dict = {}
        seen: set[str] = set()
        for number in range(self.next, len(self.fields)):
            self.next = number
            field = self.fields[number][1]
            name, has_value, value = field.partition("=")
            name = name.lower()
            if name not in FLAGS:
                raise self.fail(number, _unknown_flag(field, name, kind_word, allowed | MODEL_FLAGS))
            if name not in allowed | MODEL_FLAGS:
                raise self.fail(number, _not_applicable(name, kind_word))
            if name in seen:
                raise self.fail(number, f"flag '{name}' is given twice")
            seen.add(name)
            argument, value_type = FLAGS[name]
            if value_type in ("on", "off"):
                if has_value:
                    raise self.fail(number, f"flag '{name}' takes no value: write just '{name}'")
                read: object = value_type == "on"
            elif not value:
                raise self.fail(number, f"flag '{name}' needs a value: {EXAMPLES[name]}")
            else:
                read = self.flag_value(name, value_type, value, choices)
            (model if name in MODEL_FLAGS else arguments)[argument] = read
        self.next = len(self.fields)
        return arguments, model

    def flag_value(self, name: str, value_type: str, value: str, choices: dict) -> object:
        if value_type == "name":
            if "/" in value or not value.isprintable():
                raise self.fail(self.next, f"bad layer name '{value}': Keras needs a name without '/'"
                                           " (and rnnshape one without control characters)")  # fmt: skip
            return value
        value = value.lower()
        if value_type == "choice":
            if value not in choices[name]:
                options = "|".join(choices[name])
                raise self.fail(self.next, f"unknown value '{value}' for {name} ({name}={options})"
                                           f"{_suggest(value, choices[name])}")  # fmt: skip
            return None if value == "none" else value
        if value_type == "bool":
            if value not in ("true", "false"):
                raise self.fail(self.next, f"{name} must be true or false, got '{value}'")
            return value == "true"
        return self.read_value(value, name, value_type)


def parse_dims(text: str, option: str = "-i") -> tuple[int | None, ...]:
    """Read an input shape such as ``10,5``, ``None,5``, ``(10, 5)`` or ``10``.

    Each dim is a whole number or ``None``; whether the dims make sense for the
    stack is the shape engine's business.
    """
    inner = text.strip()
    if inner.startswith("(") and inner.endswith(")"):
        inner = inner[1:-1]
    parts = [part.strip() for part in inner.split(",")]
    if parts and parts[-1] == "" and len(parts) > 1:  # "(10,)" as Python writes a 1-tuple
        parts.pop()
    dims: list[int | None] = []
    examples = {"-t": "-t 10 or -t None", "-d": "-d 5"}.get(option, f"{option} 10,5 or {option} None,5")
    for part in parts:
        if part.lower() == "none":
            dims.append(None)
        elif _NUMBER.fullmatch(part) and len(part) > MAX_DIGITS:
            raise InputError(f"bad input shape {option}: a dim has more than {MAX_DIGITS} digits")
        elif _NUMBER.fullmatch(part):
            dims.append(int(part))
        else:
            shown = text if len(text) <= 40 else text[:40] + "..."
            raise InputError(f"bad input shape {option} '{shown}': each dim must be a whole number "
                             f"or None, as in {examples}")  # fmt: skip
    return tuple(dims)


def _looks_numeric(field: str) -> bool:
    return bool(re.fullmatch(r"[-+]?[0-9.][0-9.eE+-]*", field))


def spec_form(kind_word: str, kind: type[Layer], cell: str = "") -> str:
    """How a kind is written: 'lstm:UNITS', 'maxpool[:POOL_SIZE]', with a
    wrapper's cell part ('bi[:CELL]:UNITS') and then the cell's fields."""
    fields = []
    for field in kind.positional:
        name = field.label.upper().replace(" ", "_")
        fields.append(f"[{name}]" if field.default is not None else name)
    return ":".join([kind_word] + ([cell] if cell else []) + fields).replace(":[", "[:")


def written_form(kind_word: str) -> str:
    """How a kind is written whole: 'lstm:UNITS', 'bi[:CELL]:UNITS', and a
    wrapper of one kind with it: 'td:dense:UNITS'."""
    kind = KINDS[kind_word]
    cells = WRAPPED_KINDS.get(kind)
    if not cells:
        return spec_form(kind_word, kind)
    first = next(iter(cells))
    if len(cells) == 1:
        return spec_form(kind_word, cells[first], first)
    return spec_form(kind_word, cells[first], "[CELL]" if kind is Bidirectional else "CELL")  # bi:8 is bi:simple:8


def _usage(kind_word: str, kind: type[Layer]) -> str:
    return "write " + spec_form(kind_word, kind)


def _canonical(words: Iterable[str]) -> list[str]:
    return [word for word in words if word not in ALIASES]


def _suggest(word: str, choices: Iterable[str]) -> str:
    import difflib  # only a bad spec needs it

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f"; did you mean '{close[0]}'?" if close else ""


def _unknown_kind(word: str) -> str:
    if word.startswith("#"):
        return "'#' starts a comment only in a spec file or stdin (-f FILE, or -); on the command line it is text"
    lowered = word.lower()
    # Keras's own names for a kind: SimpleRNN, TimeDistributed, max_pooling1d ...
    keras_words = {}
    for kind_word in kind_words():
        kind = KINDS[kind_word]
        keras_words[kind.keras_type.lower()] = keras_words[kind.keras_name] = kind_word
    if lowered in keras_words:
        kind_word = keras_words[lowered]
        hint = f"; Keras's {KINDS[kind_word].keras_type} is '{written_form(kind_word)}' here"
    else:
        hint = _suggest(lowered, KINDS)
    return f"unknown layer kind '{word}'{hint} (kinds: {', '.join(kind_words())})"


def _unknown_flag(field: str, name: str, kind_word: str, allowed: frozenset[str]) -> str:
    problem = f"unknown flag '{field}' for {kind_word}"
    spec_word = KERAS_ARGUMENTS.get(name)
    if spec_word is not None:
        return f"{problem}: for Keras's {name}, write '{spec_word}'"
    return problem + _suggest(name, sorted(allowed))


def wrapped_flags(wrapper: type[Layer], inner: type[Layer]) -> frozenset[str]:
    """The flags of a wrapper around ``inner``: both kinds' own, but 'back' in bi."""
    allowed = inner.flags | wrapper.flags
    if wrapper is Bidirectional:
        allowed -= {"back"}  # Keras refuses go_backwards inside Bidirectional
    return allowed


def accepted_flags(kind: type[Layer]) -> frozenset[str]:
    """Every flag a kind word takes, with those of the kinds it can wrap."""
    flags = kind.flags
    for inner in WRAPPED_KINDS.get(kind, {}).values():
        flags |= inner.flags - ({"back"} if kind is Bidirectional else set())
    return flags


def _not_applicable(name: str, kind_word: str) -> str:
    if name == "back" and kind_word.startswith("bi"):
        return ("'back' does not apply inside bi: Keras refuses go_backwards in Bidirectional, "
                "which already runs a backward copy")  # fmt: skip
    owners = sorted(word for word in kind_words() if name in accepted_flags(KINDS[word]))
    return f"flag '{name}' does not apply to {kind_word} (it is for {', '.join(owners)})"
