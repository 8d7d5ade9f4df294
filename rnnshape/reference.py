"""The grammar as data: every kind with its fields, flags, aliases and
defaults, and the activation names. `rnnshape kinds` prints it, and shell
completion offers its words; both read it from the kinds and the parser's
tables, so neither can fall behind them.
"""

from __future__ import annotations

from .kinds import ACTIVATIONS, KINDS, WRAPPED_KINDS, Layer
from .spec import ALIASES, EXAMPLES, FLAGS, MODEL_FLAGS, accepted_flags, kind_words, spec_form

# How a flag's value is written, by the way the parser reads it.
VALUES = {"activation": "NAME", "bool": "true|false", "count": "N", "fraction": "R", "name": "NAME"}


def flag_form(flag: str, kind: type[Layer]) -> str:
    """How a flag is written: 'seq', 'act=NAME', 'merge=concat|sum|mul|ave|none'."""
    how = FLAGS[flag][1]
    if how in ("on", "off"):
        return flag
    if how == "choice":
        return f"{flag}={'|'.join(choices(kind)[flag])}"
    return f"{flag}={VALUES[how]}"


def choices(kind: type[Layer]) -> dict[str, tuple]:
    """Flag -> the words it takes, for a kind and the kinds it wraps."""
    choices = dict(kind.choices)
    for inner in WRAPPED_KINDS.get(kind, {}).values():
        choices = {**inner.choices, **choices}
    return choices


def _defaults(kind: type[Layer]) -> dict[str, object]:
    """Constructor argument -> Keras's default, for the kind, then the kinds it wraps."""
    import inspect  # only the kinds command needs the defaults
    defaults: dict[str, object] = {}
    for one in [kind, *WRAPPED_KINDS.get(kind, {}).values()]:
        for cls in one.__mro__:  # a class's own __init__ first: its defaults win over its parents'
            init = cls.__dict__.get("__init__")
            if init is None or cls is object:
                continue
            for name, parameter in inspect.signature(init).parameters.items():
                if parameter.default is not inspect.Parameter.empty:
                    defaults.setdefault(name, parameter.default)
    return defaults


def kinds_reference() -> dict:
    """Every kind word (aliases with it), its Keras class, fields and flags with
    their defaults, the kinds a wrapper takes, and the activation names."""
    entries = []
    for word in kind_words():
        kind = KINDS[word]
        defaults = _defaults(kind)
        flags = []
        for flag in sorted(accepted_flags(kind)) + sorted(MODEL_FLAGS):
            argument, how = FLAGS[flag]
            entry = {"flag": flag, "form": flag_form(flag, kind), "sets": argument}
            if flag not in MODEL_FLAGS:
                default = defaults.get(argument)
                entry["default"] = default
            if flag in EXAMPLES:
                entry["example"] = EXAMPLES[flag]
            cells = [cell for cell, inner in WRAPPED_KINDS.get(kind, {}).items() if flag in inner.flags]
            if cells and len(cells) < len(WRAPPED_KINDS[kind]) and flag not in kind.flags:
                entry["cells"] = [cell for cell in cells if cell not in ALIASES]  # a flag of some cells only
            flags.append(entry)
        entries.append({
            "kind": word,
            "aliases": sorted(alias for alias, target in ALIASES.items() if target == word),
            "keras": kind.keras_type,
            "fields": [{"name": field.argument, "label": field.label, "type": field.type, "default": field.default}
                       for field in kind.positional],
            "wraps": list(WRAPPED_KINDS.get(kind, {})),
            "flags": flags,
        })  # fmt: skip
    return {"kinds": entries, "activations": sorted(ACTIVATIONS)}


def usage(entry: dict) -> str:
    """A kind's spec form: 'lstm:UNITS', 'maxpool[:POOL_SIZE]', 'bi[:CELL]:UNITS'."""
    if not entry["wraps"]:
        return spec_form(entry["kind"], KINDS[entry["kind"]])
    cell = "[CELL]" if entry["kind"] == "bi" else "CELL"  # bi:8 is bi:simple:8
    return spec_form(entry["kind"], KINDS[entry["wraps"][0]], cell)


def render_kinds(reference: dict, width: int = 80) -> str:
    """The reference as text, for the terminal."""
    import textwrap

    lines = ["A spec is the kind, its numbers, then flags, joined by ':' (simple:8:seq).", ""]
    for entry in reference["kinds"]:
        aliases = f" (alias {', '.join(entry['aliases'])})" if entry["aliases"] else ""
        lines.append(f"{usage(entry)}{aliases}  -  Keras {entry['keras']}")
        if entry["wraps"]:
            cells = ", ".join(entry["wraps"])
            default = " (default: simple)" if entry["kind"] == "bi" else ""
            lines.append(f"    CELL: {cells}{default}, with its fields and flags")
        flags = []
        for flag in entry["flags"]:
            default = flag.get("default")
            notes = []
            if "=" not in flag["form"]:  # a flag alone sets an argument: seq is return_sequences=True
                notes.append(f"{flag['sets']}={'False' if FLAGS[flag['flag']][1] == 'off' else 'True'}")
            elif "default" in flag:
                notes.append(f"default {_text(default)}")
            if "cells" in flag:
                notes.append(f"{' and '.join(flag['cells'])} only")
            flags.append(flag["form"] + (f" ({'; '.join(notes)})" if notes else ""))
        # Each flag whole on a line: its spaces do not break (no-break spaces while wrapping).
        wrapped = textwrap.wrap("flags: " + ", ".join(flag.replace(" ", "\u00a0") for flag in flags), width - 4,
                                initial_indent="    ", subsequent_indent="        ", break_on_hyphens=False)  # fmt: skip
        lines += [line.replace("\u00a0", " ") for line in wrapped]
    lines += ["", "Activation names (act=NAME, recurrent_activation=NAME, activation:NAME):"]
    lines += textwrap.wrap(", ".join(reference["activations"]), width - 4, initial_indent="    ",
                           subsequent_indent="    ", break_on_hyphens=False)  # fmt: skip
    return "\n".join(lines) + "\n"


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
