"""The grammar as data: every kind with its fields, flags, aliases and
defaults, and the activation names. `rnnshape kinds` prints it, and shell
completion offers its words; both read it from the kinds and the parser's
tables, so neither can fall behind them.
"""

from __future__ import annotations

from .kinds import ACTIVATIONS, KINDS, WRAPPED_KINDS, Layer
from .spec import ALIASES, EXAMPLES, FLAGS, MODEL_FLAGS, accepted_flags, kind_words, written_form

# How a flag's value is written, by the way the parser reads it.
VALUES = {"activation": "NAME", "bool": "true|false", "count": "N", "fraction": "R", "name": "NAME", "axis": "A",
          "axes": "A[,B]"}  # fmt: skip


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


def grammar_paragraph(reference: dict) -> str:
    """The kinds (whole, with their aliases) and every flag, in one paragraph:
    the grammar in the help of each command that takes specs."""
    kinds, flags = [], {}  # flag -> the words of its value, over every kind
    for entry in reference["kinds"]:
        aliases = f" (alias {', '.join(entry['aliases'])})" if entry["aliases"] else ""
        kinds.append(written_form(entry["kind"]) + aliases)
        for flag in entry["flags"]:
            name, _, values = flag["form"].partition("=")
            words = flags.setdefault(name, [])
            words += [word for word in values.split("|") if word and word not in words]
    flag_forms = [name + ("=" + "|".join(words) if words else "") for name, words in flags.items()]
    return (f"Kinds: {', '.join(kinds)}. Flags: {', '.join(flag_forms)}. `rnnshape kinds` says which flags each "
            "kind takes, their defaults, and the activation names.")


def render_kinds(reference: dict, width: int = 80) -> str:
    """The reference as text, for the terminal."""
    import textwrap

    lines = ["A spec is the kind, its numbers, then flags, joined by ':' (simple:8:seq).", ""]
    for entry in reference["kinds"]:
        aliases = f" (alias {', '.join(entry['aliases'])})" if entry["aliases"] else ""
        form = written_form(entry["kind"])
        lines.append(f"{form}{aliases}  -  Keras {entry['keras']}")
        if "CELL" in form:  # a wrapper of several kinds: which ones
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


# Short names for the positional fields in the cheat sheet: Embedding(V, E), not
# Embedding(INPUT_DIM, OUTPUT_DIM). A field not listed here is written as its label.
_SHORT_FIELDS = {"units": "U", "input_dim": "V", "output_dim": "E", "rate": "R", "mask_value": "V", "filters": "F",
                 "kernel_size": "K", "pool_size": "P", "n": "N", "activation": "NAME", "stddev": "S",
                 "negative_slope": "SLOPE", "target_shape": "SHAPE", "dims": "ORDER"}  # fmt: skip


def keras_cheat_sheet(reference: dict | None = None) -> str:
    """Keras -> rnnshape as a Markdown table, from the kinds reference: a row per
    kind (a wrapper's once per cell), then a row per flag, with the kinds it
    applies to and, for a flag with a value, the values it takes.

    >>> print(keras_cheat_sheet().splitlines()[2])
    | `SimpleRNN(U)` | `simple:U` (or `rnn:U`) |  |
    """
    reference = reference or kinds_reference()
    entries = {entry["kind"]: entry for entry in reference["kinds"]}
    rows = [_kind_row(word, entry, entries) for word, entry in entries.items()]
    rows = [row for group in rows for row in group]

    # Each flag once, with the kinds (or a wrapper's cells) that take it, grouped by how it is written there.
    flags: dict[str, tuple[dict, dict[str, list[str]]]] = {}
    for word, entry in entries.items():
        for flag in entry["flags"]:
            forms = flags.setdefault(flag["flag"], (flag, {}))[1]
            forms.setdefault(flag["form"], []).extend([f"{word}:{cell}" for cell in flag["cells"]]
                                                      if "cells" in flag else [word])  # fmt: skip
    order = list(FLAGS)  # the parser's order: seq, back, nobias, state, ...
    for name in sorted(flags, key=lambda name: order.index(name) if name in order else len(order)):
        flag, forms = flags[name]
        rows.append((f"`{_keras_argument(flag)}`", f"`:{flag.get('example', flag['form'])}`",
                     _where(name, forms, list(entries))))  # fmt: skip
    lines = ["| Keras | rnnshape | notes |", "|---|---|---|"]
    # A '|' inside a cell (merge=concat|sum) is escaped, or Markdown would end the cell there.
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _placeholder(field: dict) -> str:
    return _SHORT_FIELDS.get(field["name"], field["label"].upper().replace(" ", "_"))


def _keras_call(keras: str, fields: list[dict]) -> str:
    """SimpleRNN(U), Masking(mask_value=V): a field with a default by its keyword."""
    arguments = [_placeholder(field) if field["default"] is None else f"{field['name']}={_placeholder(field)}"
                 for field in fields]  # fmt: skip
    return f"{keras}({', '.join(arguments)})"


def _spec_text(words: list[str], fields: list[dict]) -> str:
    return ":".join(words + [_placeholder(field) for field in fields])


def _kind_row(word: str, entry: dict, entries: dict[str, dict]) -> list[tuple[str, str, str]]:
    """A kind's rows: Keras's constructor, the spec, and its aliases and optional fields."""
    if entry["wraps"]:  # a row per cell: Bidirectional(LSTM(U)) is bi:lstm:U
        rows = []
        for cell in [cell for cell in entry["wraps"] if cell in entries]:  # the cells' words, not their aliases
            inner = entries[cell]
            spec = f"`{_spec_text([word, cell], inner['fields'])}`"
            if word == "bi" and not rows:  # bi:8 is bi:simple:8
                spec += f" (or `{_spec_text([word], inner['fields'])}`)"
            rows.append((f"`{entry['keras']}({_keras_call(inner['keras'], inner['fields'])})`", spec, ""))
        return rows
    spec = f"`{_spec_text([word], entry['fields'])}`"
    spec += "".join(f" (or `{_spec_text([alias], entry['fields'])}`)" for alias in entry["aliases"])
    notes = "; ".join(f"`:{_placeholder(field)}` may be left out (default {_text(field['default'])})"
                      for field in entry["fields"] if field["default"] is not None)  # fmt: skip
    return [(f"`{_keras_call(entry['keras'], entry['fields'])}`", spec, notes)]


def _keras_argument(flag: dict) -> str:
    """The Keras argument a flag sets, with its example value: return_sequences=True, merge_mode="sum"."""
    how = FLAGS[flag["flag"]][1]
    value = flag.get("example", flag["form"]).partition("=")[2]
    if how in ("on", "off"):
        return f"{flag['sets']}={how == 'on'}"
    if how == "bool":
        return f"{flag['sets']}={value.capitalize()}"
    if how in ("count", "fraction", "axis"):
        return f"{flag['sets']}={value}"
    if how == "axes":
        return f"{flag['sets']}=({value.replace(',', ', ')})"
    return f'{flag["sets"]}="{value}"'


def _where(name: str, forms: dict[str, list[str]], kinds: list[str]) -> str:
    """The kinds a flag applies to, with how it is written there where it takes a value."""
    if [kind for where in forms.values() for kind in where] == kinds:
        places = ["every kind"]
    else:
        places = [", ".join(f"`{kind}`" for kind in where) for where in forms.values()]
    if len(forms) == 1:
        form = next(iter(forms))
        return ("" if form == name else f"`{form}` ") + "on " + places[0]
    return "on " + "; ".join(f"{place} (`{form}`)" for form, place in zip(forms, places))
