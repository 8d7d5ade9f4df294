"""Summaries as text: Keras 3's rich table, Keras 2's plain layout, Markdown, JSON.

Only the table needs rich, and it imports rich when it is drawn, so the other
formats start without it.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

from .errors import printable
from .shapes import DTYPE_BYTES, Row, Summary, format_shape, memory_size
from .values import Value

if TYPE_CHECKING:
    import rich.console


def render(summary: Summary, fmt: str = "table", dtype: str = "float32", width: int | None = None,
           run: dict | None = None, view: View | None = None) -> str:  # fmt: skip
    """The summary as text in ``fmt``, without colour, followed by the report of
    a forward pass when ``run`` holds its statistics (``RunResult.statistics()``).

    ``width`` is the terminal width the table is laid out for (default: this
    terminal's, as Keras does); the other formats have fixed layouts. ``view``
    adds details, inner layers and the Trainable column (not to plain text,
    which is Keras 2's fixed layout; CSV always has every column).
    """
    view = view or View()
    if fmt == "table":
        import io

        import rich.console

        buffer = io.StringIO()
        console = rich.console.Console(file=buffer, width=width or 80, highlight=False,
                                       color_system=None, force_terminal=False)  # fmt: skip
        print_table(summary, dtype, console, width, view)
        if run:
            print_run(run, console)
        return buffer.getvalue()
    report = run_report(run) if run else []
    if fmt == "plain":
        if view != View():
            raise ValueError("plain text is Keras 2's three columns")
        return render_plain(summary) + "".join(f"{line}\n" for line in report)
    if fmt == "markdown":
        return render_markdown(summary, dtype, view) + ("\n" if report else "") + "".join(
            f"- {line}\n" for line in report)  # fmt: skip
    if fmt == "json":
        return render_json(summary, dtype, run, view)
    if fmt == "csv":
        return render_csv(summary, view)
    raise ValueError(f"unknown format {fmt!r}")


def run_report(run: dict) -> list[str]:
    """The forward pass: its output and time, then the output's statistics (a
    line for each output when the last layer has several)."""
    shape = format_shape(_as_shape(run["output_shape"]))
    lines = [f"Forward pass: output {shape} {run['dtype']} in {_duration(run['seconds'])} (NumPy, {_sources(run)})"]
    outputs = run["outputs"]
    for number, output in enumerate(outputs):
        label = "Output" if len(outputs) == 1 else f"Output {number}"
        lines.append(f"{label} mean: {output['mean']:.6g}, std: {output['std']:.6g}, "
                     f"min: {output['min']:.6g}, max: {output['max']:.6g}")  # fmt: skip
    for layer in run.get("layers", []):
        saturation = layer["saturation"]
        saturated = "" if saturation is None else (f", saturated: {100 * saturation['share']:.3g}% "
                                                   f"({saturation['activation']})")  # fmt: skip
        lines.append(f"Layer {layer['name']} mean: {layer['mean']:.6g}, std: {layer['std']:.6g}, "
                     f"min: {layer['min']:.6g}, max: {layer['max']:.6g}{saturated}")  # fmt: skip
    return lines


def _as_shape(shape: list):
    """A JSON shape back as a tuple, or several as a list of tuples."""
    return [tuple(one) for one in shape] if shape and isinstance(shape[0], list) else tuple(shape)


def print_run(run: dict, console: rich.console.Console) -> None:
    import rich.markup

    for line in run_report(run):
        label, text = line.split(": ", 1)
        # The text may hold a file name: escaped as markup, and wrapped by the terminal, whole.
        console.print(f"[bold] {label}: [/]{rich.markup.escape(text)}", soft_wrap=True)


def _sources(run: dict) -> str:
    """Where the weights and the input of a run came from: 'seed 0' when both
    were drawn, else each one's file (or seed)."""
    weights, inputs = run.get("weights_file"), run.get("input_file")
    if weights is None and inputs is None:
        return f"seed {run['seed']}"
    drawn = f"from seed {run['seed']}"
    return f"weights {printable(weights) if weights else drawn}, input {printable(inputs) if inputs else drawn}"


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


def readable_size(nbytes: int) -> str:
    """Bytes as Keras 3 prints them: 1024-based, two decimals ('5.56 KB')."""
    units = ["B", "KB", "MB", "GB", "TB", "PB"]
    try:
        size = float(nbytes)  # Keras computes in floats; so do we, to round alike
    except OverflowError:
        from decimal import Decimal

        size = Decimal(nbytes)  # beyond floats: exact arithmetic, same layout
    for unit in units[:-1]:
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} {units[-1]}"


def _totals(summary: Summary, dtype: str) -> list[tuple[str, int, str]]:
    """(label, count, size) of the three lines under every summary."""
    return [
        (label, count, readable_size(memory_size(count, dtype)))
        for label, count in (
            ("Total params", summary.total_params),
            ("Trainable params", summary.trainable_params),
            ("Non-trainable params", summary.non_trainable_params),
        )
    ]


class View(Value):
    """What a summary shows besides Keras's three columns: ``details`` (the
    Input Shape and Mult-Adds columns, and memory under the totals), ``expand``
    (a wrapper's layers inside, indented under it) and ``show_trainable``
    (Keras's Trainable column)."""

    def __init__(self, details: bool = False, expand: bool = False, show_trainable: bool = False):
        self.details, self.expand, self.show_trainable = details, expand, show_trainable


NESTED = "   └ "  # Keras's prefix of a layer inside another (summary(expand_nested=True))


def rows_in_view(summary: Summary, view: View) -> list[tuple[Row, str]]:
    """(row, name prefix) of every row shown: the layers, and with ``expand``
    the layers inside each wrapper after it."""
    shown = []
    for row in summary.rows:
        shown.append((row, ""))
        if view.expand:
            shown += [(inner, NESTED) for inner in row.inner]
    return shown


def trainable_mark(row: Row) -> str:
    """Keras's Trainable column: Y or N for a layer with weights, - for one without."""
    if not row.weights:
        return "-"
    return "Y" if row.trainable else "N"


def print_table(
    summary: Summary, dtype: str, console: rich.console.Console, width: int | None = None, view: View | None = None
) -> None:
    """Draw the summary as Keras 3's ``model.summary()`` does (keras/src/utils/summary_utils.py):
    the same columns, widths, markup and colours; with ``show_trainable``, as
    ``summary(show_trainable=True)`` does. The details' columns are rnnshape's."""
    import shutil

    import rich.markup
    import rich.table

    view = view or View()
    header = ["Layer (type)", "Output Shape", "Param #"]
    alignment = ["left", "left", "right"]
    positions = [0.45, 0.80, 1.0]
    default_length = 88
    if summary.connected:  # Keras's Functional layout: a fourth column, Connected to
        header.append("Connected to")
        alignment.append("left")
        positions = [0.3, 0.56, 0.74, 1.0]
        default_length = 108
    if view.details:
        header = ["Layer (type)", "Input Shape", "Output Shape", "Param #", "Mult-Adds"]
        alignment = ["left", "left", "left", "right", "right"]
        positions = [0.28, 0.46, 0.64, 0.80, 1.0]
        default_length = 112
        if summary.connected:
            header.append("Connected to")
            alignment.append("left")
            positions = [0.22, 0.36, 0.50, 0.62, 0.74, 1.0]
            default_length = 136
    if view.show_trainable:  # as Keras makes room for it
        default_length += 12
        positions = [position * 0.90 for position in positions] + [1.0]
        header.append("Trainable")
        alignment.append("center")
    columns = width or shutil.get_terminal_size().columns
    line_length = max(min(default_length, columns - 4), 40)  # Keras: min(default, columns - 4); it fails below
    widths, current = [], 0
    for position in positions:
        widths.append(int(position * line_length) - current)
        current += widths[-1]
    table = rich.table.Table(
        *(rich.table.Column(name, justify=justify, width=column_width)
          for name, justify, column_width in zip(header, alignment, widths)),  # fmt: skip
        width=line_length,
        show_lines=True,
    )
    for row, prefix in rows_in_view(summary, view):
        fields = [f"{rich.markup.escape(prefix + row.name)} ([color(33)]{row.type}[/])"]
        if view.details:
            fields.append(_shape_markup(row.input_shape))
        fields += [_shape_markup(row.output_shape), _number_markup(f"{row.params:,}")]
        if view.details:
            fields.append(_number_markup(_count_text(row.mult_adds)))
        if summary.connected:
            fields.append(_connections_markup(row.connected_to))
        if view.show_trainable:
            mark = trainable_mark(row)
            fields.append({"Y": "[bold][color(34)]Y[/][/]", "N": "[bold][color(9)]N[/][/]"}.get(mark, "[bold]-[/]"))
        table.add_row(*fields)
    console.print(f'[bold]Model: "{rich.markup.escape(summary.model)}"[/]')
    console.print(table)
    for label, count, size in _totals(summary, dtype):
        console.print(f"[bold] {label}: [/]{_number_markup(f'{count:,}')} ({size})")
    if view.details:
        for label, text in details_lines(summary, dtype):
            console.print(f"[bold] {label}: [/]{text}")


def _connections_markup(connected_to: tuple[str, ...]) -> str:
    """Keras's 'Connected to': layer[node][tensor], the numbers marked up, or '-'.
    Keras writes the names into the markup unescaped: 'c\\' escapes the bracket
    after it (c[0][0]) and 'd[bold]x' prints dx. A name rich cannot read as
    markup at all (Keras's summary fails on it) is shown escaped."""
    import re

    import rich.errors
    import rich.markup

    tensors = [re.fullmatch(r"(.*)\[(\d+)\]\[(\d+)\]", tensor, re.DOTALL).groups() for tensor in connected_to]
    text = ", ".join(f"{name}[{_number_markup(node)}][{_number_markup(index)}]" for name, node, index in tensors)
    try:
        rich.markup.render(text)
    except rich.errors.MarkupError:
        text = ", ".join(f"{rich.markup.escape(name)}[{_number_markup(node)}][{_number_markup(index)}]"
                         for name, node, index in tensors)  # fmt: skip
    return text or "-"


def _count_text(count: int | None) -> str:
    return "?" if count is None else f"{count:,}"


def _size_text(nbytes: int | None) -> str:
    return "?" if nbytes is None else readable_size(nbytes)


def details_lines(summary: Summary, dtype: str) -> list[tuple[str, str]]:
    """The lines --details adds under the totals: the mult-adds of one forward
    pass, and its memory (the parameters, every layer's outputs, their sum)."""
    parameters = memory_size(summary.total_params, dtype)
    elements = summary.activation_elements
    activations = None if elements is None else elements * DTYPE_BYTES[dtype]
    unknown = " (unknown: a step count is None)"
    lines = [("Mult-adds", _count_text(summary.mult_adds) + (unknown if summary.mult_adds is None else "")),
             ("Memory", f"parameters {_size_text(parameters)} + activations {_size_text(activations)} = "
                        f"{_size_text(None if activations is None else parameters + activations)}"
                        + (unknown if activations is None else ""))]  # fmt: skip
    if summary.input_shape[0] is None:
        lines.append(("Batch", "None, counted as 1 in the mult-adds and activations"))
    return lines


def _shape_markup(shape) -> str:
    """A shape as Keras marks it up; several outputs as a list of shapes."""
    if isinstance(shape, list):
        return "[" + ", ".join(_shape_markup(one) for one in shape) + "]"
    return "(" + ", ".join(_number_markup(dim) for dim in shape) + ")"


def _number_markup(value: object) -> str:
    # Keras's colours: one for numbers, another for None dims.
    return f"[color(45)]{value}[/]" if value is None else f"[color(34)]{value}[/]"


# Keras 2's text layout, as the seed chapter prints it: 65 columns, fields
# starting at 0, 29 and 55.
PLAIN_WIDTH = 65
PLAIN_POSITIONS = (29, 55, 65)


def render_plain(summary: Summary) -> str:
    if not summary.sequential:
        return _render_plain_functional(summary)
    lines = [f'Model: "{summary.model}"', "_" * PLAIN_WIDTH]
    lines += _keras2_row(["Layer (type)", "Output Shape", "Param #"], PLAIN_POSITIONS, breaks=False)
    lines.append("=" * PLAIN_WIDTH)
    for row in summary.rows:
        lines += _keras2_row([f"{row.name} ({row.type})", format_shape(row.output_shape), str(row.params)],
                             PLAIN_POSITIONS, breaks=False)
        lines.append(" " * PLAIN_WIDTH)
    lines.append("=" * PLAIN_WIDTH)
    for label, count, _size in _totals(summary, "float32"):
        lines.append(f"{label}: {count:,}")
    lines.append("_" * PLAIN_WIDTH)
    return "\n".join(lines) + "\n"


def _render_plain_functional(summary: Summary) -> str:
    """A Functional model as tf.keras 2.15 (the last Keras 2) prints it: its
    layers in Keras 2's order, which had no mask operations; 65 columns when it
    is a chain, else 98 and Connected to as a Python list; an input's shape as
    a list; totals without separators, with their size."""
    from .shapes import functional_layout

    names, connected, three = functional_layout(summary.nodes, summary.inputs, summary.outputs, masks=False)
    rows = {row.name: row for row in summary.rows}
    calls: dict[str, set] = {}  # each layer's calls' output shapes
    for node in summary.nodes:
        calls.setdefault(node.name, set()).add(tuple(node.outputs))
    width, positions = (65, (29, 55, 65)) if three else (98, (29, 58, 68, 98))
    header = ["Layer (type)", "Output Shape", "Param #"] + ([] if three else ["Connected to"])
    lines = [f'Model: "{summary.model}"', "_" * width, *_keras2_row(header, positions), "=" * width]
    for name in names:
        row = rows[name]
        fields = [f"{name} ({row.type})", _keras2_shape(calls[name], row), str(row.params)]
        if not three:
            fields.append(str(list(connected[name])))
        lines += _keras2_row(fields, positions)
        lines.append(" " * width)
    lines.append("=" * width)
    for label, count, _size in _totals(summary, "float32"):
        lines.append(f"{label}: {count} ({_keras2_size(memory_size(count, 'float32'))})")
    lines.append("_" * width)
    return "\n".join(lines) + "\n"


def _keras2_shape(shapes: set, row) -> str:
    """A layer's output shape as Keras 2 wrote it: Python's text of the tuple,
    a list for an input or for several outputs, 'multiple' for a layer whose
    calls (their output ``shapes``) give different shapes."""
    if len(shapes) > 1:
        return "multiple"
    outputs = list(next(iter(shapes)))
    if len(outputs) > 1 or row.type == "InputLayer":
        return str(outputs)
    return str(outputs[0])


def _keras2_size(nbytes: int) -> str:
    """tf.keras 2.15's readable_memory_size: 'Byte', then KB, MB ... (1024-based)."""
    size = float(nbytes)
    for unit in ["Byte", "KB", "MB", "GB", "TB", "PB"]:
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def _keras2_row(fields: list[str], positions: tuple[int, ...], breaks: bool = True) -> list[str]:
    """Keras 2's print_row: each field cut to its column (leaving two spaces
    before the next), the rest wrapped onto further lines, a leading space;
    with ``breaks``, as tf.keras 2.15 also cut, at the first '),', '},', '],'
    or "'," within it (the seed chapter's Keras 2 did not)."""
    left = list(fields)
    lines = []
    while any(left):
        line = ""
        for column, end in enumerate(positions):
            start = positions[column - 1] if column else 0
            last = column == len(positions) - 1
            space = 0 if last else 2
            cutoff = end - start - space - (0 if last else 1)
            piece = left[column][:cutoff]
            ends = [piece.find(mark) + len(mark) for mark in ("),", "},", "],", "',") if piece.find(mark) >= 0]
            if breaks and ends:
                cutoff = min(ends)
                piece = piece[:cutoff]
            if column == 0:
                line += " "
            line += piece + " " * space
            left[column] = left[column][cutoff:]
            line += " " * (end - len(line))
        lines.append(line)
    return lines


def render_markdown(summary: Summary, dtype: str = "float32", view: View | None = None) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    view = view or View()
    header = ["Layer (type)", "Output Shape", "Param #"]
    align = [":---", ":---", "---:"]
    if view.details:
        header[1:1], align[1:1] = ["Input Shape"], [":---"]
        header.append("Mult-Adds")
        align.append("---:")
    if view.show_trainable:
        header.append("Trainable")
        align.append(":---:")
    lines = [f'**Model: "{cell(summary.model)}"**', "", f"| {' | '.join(header)} |", f"| {' | '.join(align)} |"]
    for row, prefix in rows_in_view(summary, view):
        fields = [f"{cell(prefix + row.name)} ({row.type})"]
        if view.details:
            fields.append(format_shape(row.input_shape))
        fields += [format_shape(row.output_shape), f"{row.params:,}"]
        if view.details:
            fields.append(_count_text(row.mult_adds))
        if view.show_trainable:
            fields.append(trainable_mark(row))
        lines.append(f"| {' | '.join(fields)} |")
    lines.append("")
    lines += [f"- {label}: {count:,} ({size})" for label, count, size in _totals(summary, dtype)]
    if view.details:
        lines += [f"- {label}: {text}" for label, text in details_lines(summary, dtype)]
    return "\n".join(lines) + "\n"


CSV_COLUMNS = ["name", "type", "spec", "inside", "input_shape", "output_shape", "params", "trainable_params",
               "trainable", "mult_adds"]  # fmt: skip


def render_csv(summary: Summary, view: View | None = None) -> str:
    """One row per layer (and, with ``expand``, per layer inside a wrapper, named
    in ``inside``), every column always: for spreadsheets. An unknown mult-adds
    count is empty."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in summary.rows:
        inner = row.inner if (view or View()).expand else ()
        for one, inside in [(row, "")] + [(layer, row.name) for layer in inner]:
            writer.writerow([one.name, one.type, one.spec.text, inside, format_shape(one.input_shape),
                             format_shape(one.output_shape), one.params, one.trainable_params,
                             "true" if one.trainable else "false", "" if one.mult_adds is None else one.mult_adds])  # fmt: skip
    return buffer.getvalue()


def render_json(summary: Summary, dtype: str = "float32", run: dict | None = None, view: View | None = None) -> str:
    view = view or View()
    document = summary.to_dict(details=view.details, expand=view.expand)
    document["dtype"] = dtype
    document["total_bytes"] = memory_size(summary.total_params, dtype)
    if view.details:
        elements = summary.activation_elements
        activations = None if elements is None else elements * DTYPE_BYTES[dtype]
        document["mult_adds"] = summary.mult_adds
        document["memory"] = {
            "parameter_bytes": document["total_bytes"],
            "activation_bytes": activations,
            "total_bytes": None if activations is None else document["total_bytes"] + activations,
            "batch": summary.input_shape[0] or 1,  # the batch the counts are for: None counts as 1
        }
    if run:
        # JSON has no NaN or infinity (an exponential can overflow): those are null.
        document["run"] = _finite(run)
    return _dumps(document) + "\n"


def _finite(value: object) -> object:
    """JSON has no NaN or infinity (an exponential can overflow): those become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def _dumps(value: object, indent: int = 0) -> str:
    """JSON like ``json.dumps(indent=2)``, but a list or object that fits on a
    line stays on one line, so shapes read as [null, 10, 5]."""
    flat = json.dumps(value)
    if not isinstance(value, (dict, list)) or indent + len(flat) <= 88:
        return flat
    pad = " " * (indent + 2)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(key)}: {_dumps(item, indent + 2)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + _dumps(item, indent + 2) for item in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
