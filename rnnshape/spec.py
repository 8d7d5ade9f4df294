"""Text to layer specs: ``'simple:3 bi:lstm:8:seq'`` -> two ``LayerSpec``.

A spec is fields joined by ``:``: the kind, its positional numbers, then flags
(SPEC section 2). What each kind takes is declared by its class in ``kinds``;
this module only reads text against those declarations. A mistake raises
``SpecError``, whose message quotes the spec, underlines the bad field and
suggests the nearest valid word.
"""

from __future__ import annotations

import math
import re
from typing import Iterable

from .errors import InputError
from .values import Value
from .kinds import ACTIVATIONS, ALIASES, KINDS, RECURRENT_KINDS, Bidirectional, Layer, Recurrent

# Python refuses to convert ints of more than 4300 digits to text; capping each
# number keeps every product of them (parameter counts) printable.
MAX_DIGITS = 100

# Flag word -> the constructor argument it sets.
FLAG_ARGUMENTS = {
    "seq": "return_sequences",
    "back": "go_backwards",
    "nobias": "use_bias",
    "act": "activation",
    "merge": "merge_mode",
    "reset_after": "reset_after",
}
VALUE_FLAGS = {"act", "merge", "reset_after"}  # written name=value; the others stand alone

_NUMBER = re.compile(r"[0-9]+", re.ASCII)
_COMMENT = re.compile(r"#[^\n]*")


class LayerSpec(Value):
    """One parsed layer: the text as the user wrote it and the layer it describes."""

    def __init__(self, text: str, layer: Layer):
        self.text, self.layer = text, layer


class SpecError(InputError):
    """A bad spec. ``str()`` quotes it and underlines the offending field."""

    def __init__(self, spec: str, index: int, start: int, end: int, problem: str):
        end = max(end, start + 1)  # an empty field still gets one caret
        self.spec, self.index, self.start, self.end, self.problem = spec, index, start, end, problem
        marker = " " * start + "^" * (end - start)
        super().__init__(f"bad spec for layer {index}: {problem}\n  {spec}\n  {marker}")


def split_specs(text: str) -> list[str]:
    """The whitespace-separated specs of ``text``; ``#`` starts a comment."""
    return _COMMENT.sub(" ", text).split()


def parse(source: str | Iterable[str]) -> list[LayerSpec]:
    """Parse a whole stack: one string of specs, or an iterable of such strings."""
    texts = split_specs(source if isinstance(source, str) else "\n".join(source))
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
    return LayerSpec(text, _SpecReader(text, index).read())


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

    def read(self) -> Layer:
        for number, (_start, field) in enumerate(self.fields):
            if not field:
                raise self.fail(number, "empty field (two ':' in a row, or a ':' at an end)")
        kind_word = self.fields[0][1].lower()
        self.next = 1
        kind = KINDS.get(kind_word)
        if kind is None:
            raise self.fail(0, f"unknown layer kind '{self.fields[0][1]}'{_suggest(kind_word, KINDS)}")
        if kind is Bidirectional:
            return self.read_bidirectional()
        arguments = self.read_numbers(kind, kind_word)
        arguments.update(self.read_flags(kind.flags, kind_word))
        return kind(**arguments)

    def read_bidirectional(self) -> Bidirectional:
        cell_kind: type[Recurrent] = RECURRENT_KINDS["simple"]
        cell_word = "simple"
        word = self.peek()
        if word is not None and not _NUMBER.fullmatch(word) and _flag_name(word) not in FLAG_ARGUMENTS:
            cell_word = word.lower()
            if cell_word not in RECURRENT_KINDS:
                raise self.fail(self.next, f"unknown recurrent kind '{word}' for bi"
                                           f"{_suggest(cell_word, RECURRENT_KINDS)}")  # fmt: skip
            cell_kind = RECURRENT_KINDS[cell_word]
            self.next += 1
        arguments = self.read_numbers(cell_kind, f"bi:{cell_word}")
        allowed = (cell_kind.flags - {"back"}) | Bidirectional.flags
        flags = self.read_flags(allowed, f"bi:{cell_word}")
        merge_mode = flags.pop("merge_mode", "concat")
        return Bidirectional(cell_kind(**arguments, **flags), merge_mode)

    def read_numbers(self, kind: type[Layer], kind_word: str) -> dict:
        arguments = {}
        for spec_field in kind.positional:
            field = self.peek()
            if field is None or not _looks_numeric(field):
                got = "nothing" if field is None else f"'{field}'"
                raise self.fail(self.next, f"{kind_word} needs its {spec_field.label} here "
                                           f"({_usage(kind_word, kind)}), got {got}")  # fmt: skip
            arguments[spec_field.argument] = self.read_number(field, spec_field.label, spec_field.type)
            self.next += 1
        field = self.peek()
        if field is not None and _looks_numeric(field):
            raise self.fail(self.next, f"one number too many ({_usage(kind_word, kind)})")
        return arguments

    def read_number(self, field: str, name: str, number_type: str) -> int | float:
        if number_type == "count":
            if _NUMBER.fullmatch(field) and len(field) > MAX_DIGITS:
                raise self.fail(self.next, f"{name} has more than {MAX_DIGITS} digits")
            if not _NUMBER.fullmatch(field) or int(field) < 1:
                raise self.fail(self.next, f"{name} must be a whole number of at least 1, got '{field}'")
            return int(field)
        try:
            rate = float(field)
        except ValueError:
            rate = math.nan
        if not 0 <= rate < 1:
            raise self.fail(self.next, f"{name} must be a number from 0 up to (not including) 1, got '{field}'")
        return rate

    def read_flags(self, allowed: frozenset[str], kind_word: str) -> dict:
        arguments: dict = {}
        seen: set[str] = set()
        for number in range(self.next, len(self.fields)):
            self.next = number
            field = self.fields[number][1]
            name, has_value, value = field.partition("=")
            name = name.lower()
            if name not in FLAG_ARGUMENTS:
                raise self.fail(number, f"unknown flag '{field}' for {kind_word}{_suggest(name, sorted(allowed))}")
            if name not in allowed:
                raise self.fail(number, _not_applicable(name, kind_word))
            if name in seen:
                raise self.fail(number, f"flag '{name}' is given twice")
            seen.add(name)
            if name in VALUE_FLAGS and not (has_value and value):
                raise self.fail(number, f"flag '{name}' needs a value: {_value_example(name)}")
            if name not in VALUE_FLAGS and has_value:
                raise self.fail(number, f"flag '{name}' takes no value: write just '{name}'")
            arguments[FLAG_ARGUMENTS[name]] = self.flag_value(number, name, value.lower())
        self.next = len(self.fields)
        return arguments

    def flag_value(self, number: int, name: str, value: str) -> object:
        if name == "act":
            if value not in ACTIVATIONS:
                raise self.fail(number, f"unknown activation '{value}'{_suggest(value, sorted(ACTIVATIONS))}")
            return value
        if name == "merge":
            if value not in Bidirectional.MERGE_MODES:
                modes = "|".join(Bidirectional.MERGE_MODES)
                raise self.fail(number, f"unknown merge mode '{value}' (merge={modes})"
                                        f"{_suggest(value, Bidirectional.MERGE_MODES)}")  # fmt: skip
            return value
        if name == "reset_after":
            if value not in ("true", "false"):
                raise self.fail(number, f"reset_after must be true or false, got '{value}'")
            return value == "true"
        return name != "nobias"  # seq and back switch a feature on; nobias switches the bias off


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
    for part in parts:
        if part.lower() == "none":
            dims.append(None)
        elif _NUMBER.fullmatch(part) and len(part) <= MAX_DIGITS:
            dims.append(int(part))
        else:
            raise InputError(f"bad input shape {option} '{text}': each dim must be a whole number "
                             f"or None, as in {option} 10,5 or {option} None,5")  # fmt: skip
    return tuple(dims)


def _looks_numeric(field: str) -> bool:
    return bool(re.fullmatch(r"[-+]?[0-9.][0-9.eE+-]*", field))


def _flag_name(field: str) -> str:
    return field.partition("=")[0].lower()


def _usage(kind_word: str, kind: type[Layer]) -> str:
    numbers = [field.label.upper().replace(" ", "_") for field in kind.positional]
    return "write " + ":".join([kind_word] + numbers)


def _suggest(word: str, choices: Iterable[str]) -> str:
    import difflib  # only a bad spec needs it

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f"; did you mean '{close[0]}'?" if close else ""


def _value_example(name: str) -> str:
    return {"act": "act=relu", "merge": "merge=sum", "reset_after": "reset_after=false"}[name]


def _not_applicable(name: str, kind_word: str) -> str:
    if name == "back" and kind_word.startswith("bi"):
        return ("'back' does not apply inside bi: Keras refuses go_backwards in Bidirectional, "
                "which already runs a backward copy")  # fmt: skip
    owners = {word for word, kind in KINDS.items() if name in kind.flags and word not in ALIASES}
    if name != "back" and owners & set(RECURRENT_KINDS):
        owners.add("bi")
    return f"flag '{name}' does not apply to {kind_word} (it is for {', '.join(sorted(owners))})"
