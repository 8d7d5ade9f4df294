"""Summaries as text: Keras 3's rich table, Keras 2's plain layout, Markdown, JSON.

Only the table needs rich, and it imports rich when it is drawn, so the other
formats start without it.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

from .shapes import Summary, format_shape, memory_size

if TYPE_CHECKING:
    import rich.console


def render(summary: Summary, fmt: str = "table", dtype: str = "float32", width: int | None = None,
           run: dict | None = None) -> str:  # fmt: skip
    """The summary as text in ``fmt``, without colour, followed by the report of
    a forward pass when ``run`` holds its statistics (``RunResult.statistics()``).

    ``width`` is the terminal width the table is laid out for (default: this
    terminal's, as Keras does); the other formats have fixed layouts.
    """
    if fmt == "table":
        import io

        import rich.console

        buffer = io.StringIO()
        console = rich.console.Console(file=buffer, width=width or 80, highlight=False,
                                       color_system=None, force_terminal=False)  # fmt: skip
        print_table(summary, dtype, console, width)
        if run:
            print_run(run, console)
        return buffer.getvalue()
    report = run_report(run) if run else []
    if fmt == "plain":
        return render_plain(summary) + "".join(f"{line}\n" for line in report)
    if fmt == "markdown":
        return render_markdown(summary, dtype) + ("\n" if report else "") + "".join(f"- {line}\n" for line in report)
    if fmt == "json":
        return render_json(summary, dtype, run)
    raise ValueError(f"unknown format {fmt!r}")


def run_report(run: dict) -> list[str]:
    """The forward pass: its output and time, then the output's statistics (a
    line for each output when the last layer has several)."""
    shape = format_shape(_as_shape(run["output_shape"]))
    lines = [f"Forward pass: output {shape} {run['dtype']} in {_duration(run['seconds'])} "
             f"(NumPy, seed {run['seed']})"]  # fmt: skip
    outputs = run["outputs"]
    for number, output in enumerate(outputs):
        label = "Output" if len(outputs) == 1 else f"Output {number}"
        lines.append(f"{label} mean: {output['mean']:.6g}, std: {output['std']:.6g}, "
                     f"min: {output['min']:.6g}, max: {output['max']:.6g}")  # fmt: skip
    return lines


def _as_shape(shape: list):
    """A JSON shape back as a tuple, or several as a list of tuples."""
    return [tuple(one) for one in shape] if shape and isinstance(shape[0], list) else tuple(shape)


def print_run(run: dict, console: rich.console.Console) -> None:
    for line in run_report(run):
        label, text = line.split(": ", 1)
        console.print(f"[bold] {label}: [/]{text}")


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


def print_table(
    summary: Summary, dtype: str, console: rich.console.Console, width: int | None = None
) -> None:
    """Draw the summary as Keras 3's ``model.summary()`` does (keras/src/utils/summary_utils.py):
    the same columns, widths, markup and colours."""
    import shutil

    import rich.markup
    import rich.table

    columns = width or shutil.get_terminal_size().columns
    line_length = max(min(88, columns - 4), 40)  # Keras: min(88, columns - 4); it fails below
    widths, current = [], 0
    for position in (0.45, 0.80, 1.0):
        widths.append(int(position * line_length) - current)
        current += widths[-1]
    table = rich.table.Table(
        rich.table.Column("Layer (type)", justify="left", width=widths[0]),
        rich.table.Column("Output Shape", justify="left", width=widths[1]),
        rich.table.Column("Param #", justify="right", width=widths[2]),
        width=line_length,
        show_lines=True,
    )
    for row in summary.rows:
        table.add_row(
            f"{rich.markup.escape(row.name)} ([color(33)]{row.type}[/])",
            _shape_markup(row.output_shape),
            _number_markup(f"{row.params:,}"),
        )
    console.print(f'[bold]Model: "{rich.markup.escape(summary.model)}"[/]')
    console.print(table)
    for label, count, size in _totals(summary, dtype):
        console.print(f"[bold] {label}: [/]{_number_markup(f'{count:,}')} ({size})")


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
    lines = [f'Model: "{summary.model}"', "_" * PLAIN_WIDTH]
    lines += _plain_row(["Layer (type)", "Output Shape", "Param #"])
    lines.append("=" * PLAIN_WIDTH)
    for row in summary.rows:
        lines += _plain_row([f"{row.name} ({row.type})", format_shape(row.output_shape), str(row.params)])
        lines.append(" " * PLAIN_WIDTH)
    lines.append("=" * PLAIN_WIDTH)
    for label, count, _size in _totals(summary, "float32"):
        lines.append(f"{label}: {count:,}")
    lines.append("_" * PLAIN_WIDTH)
    return "\n".join(lines) + "\n"


def _plain_row(fields: list[str]) -> list[str]:
    """Keras 2's print_row: each field cut to its column (leaving two spaces
    before the next), the rest wrapped onto further lines, a leading space."""
    left = list(fields)
    lines = []
    while any(left):
        line = ""
        for column, end in enumerate(PLAIN_POSITIONS):
            start = PLAIN_POSITIONS[column - 1] if column else 0
            last = column == len(PLAIN_POSITIONS) - 1
            cutoff = end - start - (0 if last else 3)  # two spaces, and one for the lead
            piece, left[column] = left[column][:cutoff], left[column][cutoff:]
            if column == 0:
                line += " "
            line += piece + ("" if last else "  ")
            line += " " * (end - len(line))
        lines.append(line)
    return lines


def render_markdown(summary: Summary, dtype: str = "float32") -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = [f'**Model: "{cell(summary.model)}"**', "",
             "| Layer (type) | Output Shape | Param # |", "| :--- | :--- | ---: |"]  # fmt: skip
    for row in summary.rows:
        lines.append(f"| {cell(row.name)} ({row.type}) | {format_shape(row.output_shape)} | {row.params:,} |")
    lines.append("")
    lines += [f"- {label}: {count:,} ({size})" for label, count, size in _totals(summary, dtype)]
    return "\n".join(lines) + "\n"


def render_json(summary: Summary, dtype: str = "float32", run: dict | None = None) -> str:
    document = summary.to_dict()
    document["dtype"] = dtype
    document["total_bytes"] = memory_size(summary.total_params, dtype)
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
