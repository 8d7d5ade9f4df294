"""rnnshape plot: the model as a picture, as keras.utils.plot_model(show_shapes=True,
show_layer_names=True, show_trainable=True) draws it, without pydot or graphviz;
and recurrent layers unrolled over their timesteps, as textbooks draw RNNs.

The picture is first a list of boxes (``Box``: a layer, its lines of text, the
boxes inside it, or its unrolled steps), made from the shape engine's rows;
then one renderer per format writes it: SVG (laid out here, in a monospace
font whose width per character is known), Graphviz DOT and Mermaid (which lay
themselves out). Every piece of text goes through its format's escaping.
Pure Python: no numpy, no rich.
"""

from __future__ import annotations

from .errors import InputError
from .shapes import Row, Summary, format_shape
from .values import Value

FORMATS = ("svg", "dot", "mermaid")
SUFFIXES = {".svg": "svg", ".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".mermaid": "mermaid"}
# Pictures rnnshape does not write but Graphviz draws from its DOT (dot -Tpng).
GRAPHVIZ_SUFFIXES = {".png": "png", ".jpg": "jpg", ".jpeg": "jpg", ".gif": "gif", ".pdf": "pdf", ".bmp": "bmp",
                     ".tif": "tiff", ".tiff": "tiff", ".webp": "webp"}  # fmt: skip
MAX_STEPS = 12  # steps drawn when unrolled; more are shown as an ellipsis


def output_format(path: str, fmt: str | None) -> str:
    """The format of a picture written to ``path``: its suffix's, which
    ``fmt`` (--format), when given, must agree with; a name without a
    suffix takes ``fmt``. Raises InputError for anything else."""
    import os

    stem, suffix = os.path.splitext(path)
    suffix = suffix.lower()
    if suffix in SUFFIXES:
        if fmt is not None and SUFFIXES[suffix] != fmt:
            raise InputError(f"-o '{path}' ends in {suffix} but --format is {fmt}: name the file "
                             f"{stem}{_suffix_of(fmt)}, or leave out --format")  # fmt: skip
        return SUFFIXES[suffix]
    if suffix in GRAPHVIZ_SUFFIXES:
        kind = GRAPHVIZ_SUFFIXES[suffix]
        raise InputError(f"-o '{path}': rnnshape writes SVG, DOT and Mermaid, not {kind.upper()}; for a "
                         f"{kind.upper()}, have Graphviz draw the DOT (rnnshape plot ... --format dot | dot -T{kind} "
                         f"-o {path}), or write {stem}.svg and open it in a browser")  # fmt: skip
    if suffix and fmt is not None:
        raise InputError(f"-o '{path}' does not end in {_suffix_of(fmt)}, the suffix of a {fmt} file: name the "
                         f"file {stem}{_suffix_of(fmt)}")  # fmt: skip
    if fmt is None:
        raise InputError(f"-o '{path}': give the picture's format with --format, or a file name ending in .svg, "
                         ".dot, .gv or .mmd")  # fmt: skip
    return fmt


def _suffix_of(fmt: str) -> str:
    return next(suffix for suffix, named in SUFFIXES.items() if named == fmt)


class Step(Value):
    """One drawn timestep of an unrolled layer: its label (1 … T, or 'T' when
    the count is None) and whether the layer returns its output there."""

    def __init__(self, label: str, returned: bool):
        self.label, self.returned = label, returned


class Box(Value):
    """One layer of the picture: its title and lines, whether it trains, the
    boxes inside it (--expand), and, unrolled, its directions' steps."""

    def __init__(self, title: str, lines: tuple[str, ...], trainable: bool = True, inner: tuple[Box, ...] = (),
                 directions: tuple[tuple[str, tuple[object, ...]], ...] = (), merge: str = ""):  # fmt: skip
        self.title, self.lines, self.trainable, self.inner = title, lines, trainable, inner
        # (arrow, steps) per direction: "→" reads x_1 first, "←" x_T first; an
        # ellipsis is the string "…" among the steps. merge: how two directions meet.
        self.directions, self.merge = directions, merge


def boxes(summary: Summary, expand: bool = False, unroll: bool = False) -> list[Box]:
    """The picture's boxes, top to bottom: the input, then every layer."""
    shape = summary.input_shape
    ids = summary.rows[0].spec.layer.first_only
    drawn = [Box("input_layer (InputLayer)", (f"Output shape: {format_shape(shape)}",
                                             "int ids" if ids else "float32"))]  # fmt: skip
    for row in summary.rows:
        drawn.append(_box(row, expand, unroll))
    return drawn


def _box(row: Row, expand: bool, unroll: bool) -> Box:
    lines = (f"Input shape: {format_shape(row.input_shape)}", f"Output shape: {format_shape(row.output_shape)}",
             f"Params: {row.params:,}" + ("" if row.trainable else "  (frozen)"))  # fmt: skip
    title = f"{row.name} ({row.type})"
    inner = tuple(Box(f"{one.name} ({one.type})", (f"Output shape: {format_shape(one.output_shape)}",
                                                   f"Params: {one.params:,}"), one.trainable)
                  for one in row.inner) if expand else ()  # fmt: skip
    layer = row.spec.layer
    reading = layer.directions()
    if not unroll or not reading:
        return Box(title, lines, row.trainable, inner)
    steps = row.input_shape[1]
    every = len(row.outputs[0]) == 3  # a sequence out: every step's output is returned
    directions = tuple(("←" if backwards else "→", _steps(steps, every, backwards)) for backwards in reading)
    unrolled = lines + (_unrolled_text(steps, reading, every),)
    return Box(title, unrolled, row.trainable, inner, directions, layer.merge_text())


def _unrolled_text(steps: int | None, reading: tuple[bool, ...], every: bool) -> str:
    count = "T = None: a variable number of steps" if steps is None else f"{steps} steps"
    returned = "every step's output" if every else "the last step's output"
    how = "both directions" if len(reading) == 2 else ("from the last step (back)" if reading[0] else "in order")
    return f"Unrolled: {count}, read {how}; returns {returned}"


def _steps(count: int | None, every: bool, backwards: bool) -> tuple[object, ...]:
    """The steps drawn: all of them up to MAX_STEPS; else the first ones, an
    ellipsis and the last; with None steps, three, an ellipsis and T. A step is
    returned with every=True (seq), else only the one read last."""
    if count is None:
        labels = ["1", "2", "3", "…", "T"]
    elif count <= MAX_STEPS:
        labels = [str(t) for t in range(1, count + 1)]
    else:
        labels = [str(t) for t in range(1, MAX_STEPS)] + ["…", str(count)]
    last = labels[0] if backwards else labels[-1]
    return tuple(label if label == "…" else Step(label, every or label == last) for label in labels)


# SVG --------------------------------------------------------------------------------

FONT = "'DejaVu Sans Mono', Menlo, Consolas, 'Liberation Mono', 'Courier New', monospace"
SIZE = 12  # px
CHAR = 0.62 * SIZE  # the widest advance of the font stack's characters, and a little more
LINE = 17  # px between baselines
PAD = 10  # px inside a box
GAP = 28  # px between boxes, where the arrows are
CELL_WIDTH, CELL_HEIGHT, CELL_GAP = 40, 26, 18  # an unrolled step (wider for long step numbers)


def _text_width(text: str) -> float:
    return len(text) * CHAR


def escape_xml(text: str) -> str:
    """Text as XML character data or an attribute value: & < > " ' escaped."""
    import html

    return html.escape(text, quote=True)


class _Canvas:
    """SVG elements, in the order they are drawn."""

    def __init__(self):
        self.elements: list[str] = []

    def rect(self, x: float, y: float, width: float, height: float, kind: str, frozen: bool = False) -> None:
        dash = ' stroke-dasharray="5 3"' if frozen else ""
        self.elements.append(f'<rect class="{kind}" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
                             f'rx="4"{dash}/>')  # fmt: skip

    def text(self, x: float, y: float, text: str, kind: str = "line", anchor: str = "start") -> None:
        middle = ' text-anchor="middle"' if anchor == "middle" else ""
        self.elements.append(f'<text class="{kind}" x="{x:.1f}" y="{y:.1f}"{middle}>{escape_xml(text)}</text>')

    def arrow(self, x1: float, y1: float, x2: float, y2: float) -> None:
        self.elements.append(f'<line class="arrow" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                             'marker-end="url(#head)"/>')  # fmt: skip



def _box_size(box: Box) -> tuple[float, float]:
    width = max(_text_width(text) for text in (box.title, *box.lines)) + 2 * PAD
    height = PAD + LINE * (1 + len(box.lines)) + PAD / 2
    if box.inner:
        sizes = [_box_size(one) for one in box.inner]
        width = max(width, sum(w for w, _ in sizes) + PAD * (len(sizes) + 1))
        height += max(h for _, h in sizes) + PAD
    if box.directions:
        columns = len(box.directions[0][1])
        width = max(width, 2 * PAD + 40 + columns * (_cell_width(box) + CELL_GAP))
        height += _unrolled_height(box) + PAD
    return width, height


def _cell_width(box: Box) -> float:
    """An unrolled step's width: room for its longest label (h₁₀₀₀₀) and a margin."""
    longest = max(len(step.label) for _, steps in box.directions for step in steps if step != "…")
    return max(CELL_WIDTH, (1 + longest) * CHAR + 10)


def _unrolled_height(box: Box) -> float:
    """Outputs row, a row per direction, a merge row when there are two, inputs row."""
    rows = len(box.directions)
    return (CELL_HEIGHT + CELL_GAP) * (rows + 2 + (1 if rows == 2 else 0))


def render_svg(drawn: list[Box], title: str) -> str:
    sizes = [_box_size(box) for box in drawn]
    width = max(w for w, _ in sizes) + 2 * GAP
    height = sum(h for _, h in sizes) + GAP * (len(drawn) + 1)
    canvas = _Canvas()
    y = GAP
    previous_bottom = None
    for box, (box_width, box_height) in zip(drawn, sizes):
        x = (width - box_width) / 2
        if previous_bottom is not None:
            canvas.arrow(width / 2, previous_bottom + 2, width / 2, y - 3)
        _draw_box(canvas, box, x, y, box_width, box_height)
        previous_bottom = y + box_height
        y += box_height + GAP
    return SVG.format(width=f"{width:.0f}", height=f"{height:.0f}", title=escape_xml(title), font=escape_xml(FONT),
                      size=SIZE, body="\n".join(canvas.elements))  # fmt: skip


def _draw_box(canvas: _Canvas, box: Box, x: float, y: float, width: float, height: float, kind: str = "layer") -> None:
    """A box's rectangle and everything in it, as one group (<g class="box">)."""
    canvas.elements.append('<g class="box">')
    _draw_box_content(canvas, box, x, y, width, height, kind)
    canvas.elements.append("</g>")


def _draw_box_content(canvas: _Canvas, box: Box, x: float, y: float, width: float, height: float, kind: str) -> None:
    canvas.rect(x, y, width, height, kind + ("" if box.trainable else " frozen"), not box.trainable)
    baseline = y + PAD + SIZE
    canvas.text(x + PAD, baseline, box.title, "title")
    for line in box.lines:
        baseline += LINE
        canvas.text(x + PAD, baseline, line)
    top = baseline + PAD
    if box.inner:
        sizes = [_box_size(one) for one in box.inner]
        inner_x = x + PAD
        for one, (inner_width, inner_height) in zip(box.inner, sizes):
            _draw_box(canvas, one, inner_x, top, inner_width, inner_height, "inner")
            inner_x += inner_width + PAD
        top += max(h for _, h in sizes) + PAD
    if box.directions:
        _draw_unrolled(canvas, box, x + PAD, top)


def _draw_unrolled(canvas: _Canvas, box: Box, left: float, top: float) -> None:
    """Outputs on top, then (for two directions) the merge, then a row of cells
    per direction with arrows between steps, then the inputs x_t."""
    steps = box.directions[0][1]
    two = len(box.directions) == 2
    width = _cell_width(box)
    columns = [left + 40 + column * (width + CELL_GAP) for column in range(len(steps))]
    row = CELL_HEIGHT + CELL_GAP
    outputs_y = top
    merge_y = top + row if two else None
    first_cells_y = top + row * (2 if two else 1)
    inputs_y = first_cells_y + row * len(box.directions)
    canvas.text(left, inputs_y + CELL_HEIGHT / 2 + 4, "x", "label")
    canvas.text(left, outputs_y + CELL_HEIGHT / 2 + 4, "y", "label")
    if two:  # step t's two cells in one frame: both directions read x_t, and both outputs meet at the merge
        for column, step in enumerate(steps):
            if step != "…":
                canvas.rect(columns[column] - 4, first_cells_y - 4, width + 8, row + CELL_HEIGHT + 8, "column")
    for number, (arrow, direction_steps) in enumerate(box.directions):
        cells_y = first_cells_y + number * row
        canvas.text(left, cells_y + CELL_HEIGHT / 2 + 4, arrow, "label")
        order = list(range(len(direction_steps)))
        if arrow == "←":
            order.reverse()
        for column, step in enumerate(direction_steps):
            cx = columns[column]
            if step == "…":
                canvas.text(cx + width / 2, cells_y + CELL_HEIGHT / 2 + 4, "…", "label", "middle")
                continue
            canvas.elements.append('<g class="box">')  # a cell and its label, as a box of their own
            canvas.rect(cx, cells_y, width, CELL_HEIGHT, "cell returned" if step.returned else "cell")
            canvas.text(cx + width / 2, cells_y + CELL_HEIGHT / 2 + 4, f"h{_sub(step.label)}", "step", "middle")
            canvas.elements.append("</g>")
        for position in range(len(order) - 1):  # the state passed from step to step, in reading order
            a, b = order[position], order[position + 1]
            if "…" in (direction_steps[a], direction_steps[b]):
                continue
            start, end = (columns[a] + width, columns[b]) if a < b else (columns[a], columns[b] + width)
            canvas.arrow(start + (1 if a < b else -1), cells_y + CELL_HEIGHT / 2, end - (2 if a < b else -2),
                         cells_y + CELL_HEIGHT / 2)  # fmt: skip
    for column, step in enumerate(steps):  # inputs, merge and outputs, column by column
        cx = columns[column] + width / 2
        if step == "…":
            canvas.text(cx, inputs_y + CELL_HEIGHT / 2 + 4, "…", "label", "middle")
            continue
        canvas.text(cx, inputs_y + CELL_HEIGHT / 2 + 4, f"x{_sub(step.label)}", "step", "middle")
        last_cells_y = first_cells_y + (len(box.directions) - 1) * row
        canvas.arrow(cx, inputs_y - 1, cx, last_cells_y + CELL_HEIGHT + (6 if two else 2))
        returned = [direction_steps[column].returned for _, direction_steps in box.directions]
        if two:
            if any(returned):
                canvas.elements.append('<g class="box">')
                canvas.rect(cx - width / 2, merge_y, width, CELL_HEIGHT, "merge")
                canvas.text(cx, merge_y + CELL_HEIGHT / 2 + 4, box.merge, "step", "middle")
                canvas.elements.append("</g>")
                canvas.arrow(cx, first_cells_y - 5, cx, merge_y + CELL_HEIGHT + 2)
                canvas.arrow(cx, merge_y - 1, cx, outputs_y + CELL_HEIGHT + 2)
                canvas.text(cx, outputs_y + CELL_HEIGHT / 2 + 4, f"y{_sub(step.label)}", "step", "middle")
        elif returned[0]:
            canvas.arrow(cx, first_cells_y - 1, cx, outputs_y + CELL_HEIGHT + 2)
            canvas.text(cx, outputs_y + CELL_HEIGHT / 2 + 4, f"y{_sub(step.label)}", "step", "middle")


SUBSCRIPTS = str.maketrans("0123456789T", "₀₁₂₃₄₅₆₇₈₉ₜ")


def _sub(label: str) -> str:
    return label.translate(SUBSCRIPTS)


SVG = """<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" \
font-family="{font}" font-size="{size}">
<title>{title}</title>
<style>
rect.layer {{ fill: #f4f7fb; stroke: #35506b; stroke-width: 1.2; }}
rect.inner {{ fill: #ffffff; stroke: #6b8aa8; stroke-width: 1; }}
rect.frozen {{ fill: #eeeeee; stroke: #808080; }}
rect.cell {{ fill: #ffffff; stroke: #35506b; }}
rect.returned {{ fill: #dcebdc; stroke: #2e6b2e; }}
rect.merge {{ fill: #fff4dc; stroke: #8a6d1f; }}
rect.column {{ fill: #e8eef5; stroke: #9fb3c8; stroke-dasharray: 3 2; }}
text {{ fill: #1d2a36; }}
text.title {{ font-weight: bold; }}
text.label {{ fill: #5a6b7b; }}
line.arrow {{ stroke: #35506b; stroke-width: 1.2; }}
</style>
<defs><marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">\
<path d="M0,0 L10,5 L0,10 z" fill="#35506b"/></marker></defs>
<rect width="100%" height="100%" fill="#ffffff"/>
{body}
</svg>
"""


# DOT --------------------------------------------------------------------------------


def escape_dot(text: str) -> str:
    """Text inside a DOT double-quoted string."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def render_dot(drawn: list[Box], title: str) -> str:
    lines = ["digraph model {", f'    label="{escape_dot(title)}";', "    labelloc=t;", "    rankdir=TB;",
             '    node [shape=box, style="rounded,filled", fillcolor="#f4f7fb", fontname="monospace", fontsize=11];']  # fmt: skip
    for number, box in enumerate(drawn):
        label = "\\n".join(escape_dot(text) for text in (box.title, *box.lines))
        style = ', style="rounded,filled,dashed", fillcolor="#eeeeee"' if not box.trainable else ""
        if box.inner or box.directions:
            lines.append(f"    subgraph cluster_{number} {{")
            style_cluster = "rounded" if box.trainable else "rounded,dashed"
            lines.append(f'        label="{label}"; labeljust=l; style="{style_cluster}"; fontname="monospace";')
            lines.append(f'        n{number} [shape=point, width=0.01, label=""];')
            for position, one in enumerate(box.inner):
                inner_label = "\\n".join(escape_dot(text) for text in (one.title, *one.lines))
                lines.append(f'        n{number}_inner{position} [label="{inner_label}", fillcolor="#ffffff"];')
            lines += _dot_steps(box, number)
            lines.append("    }")
        else:
            lines.append(f'    n{number} [label="{label}"{style}];')
        if number:
            lines.append(f"    n{number - 1} -> n{number};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_steps(box: Box, number: int) -> list[str]:
    lines = []
    for direction, (arrow, steps) in enumerate(box.directions):
        names = []
        for position, step in enumerate(steps):
            node = f"n{number}_d{direction}_s{position}"
            if step == "…":
                lines.append(f'        {node} [label="…", shape=plaintext];')
            else:
                fill = "#dcebdc" if step.returned else "#ffffff"
                lines.append(f'        {node} [label="h{_sub(step.label)}", fillcolor="{fill}"];')
            names.append(node)
        if arrow == "←":
            names.reverse()
        lines.append(f"        {{ rank=same; {'; '.join(names)}; }}")
        lines += [f"        {a} -> {b};" for a, b in zip(names, names[1:])]
    return lines


# Mermaid -----------------------------------------------------------------------------


def escape_mermaid(text: str) -> str:
    """Text inside a Mermaid "quoted" label: its markup characters as entity codes."""
    # Inside quotes only '"' ends the label; '#' starts an entity code, and
    # '<', '>', '&' would be HTML (and '`' Markdown) in Mermaid's labels.
    replacements = {"#": "#35;", "&": "#amp;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "`": "#96;"}
    return "".join(replacements.get(character, character) for character in text)


def render_mermaid(drawn: list[Box], title: str) -> str:
    quoted = "'" + title.replace("'", "''") + "'"  # a YAML single-quoted string: no markup in it
    lines = ["---", f"title: {quoted}", "---", "flowchart TB"]
    for number, box in enumerate(drawn):
        label = "<br/>".join(escape_mermaid(text) for text in (box.title, *box.lines))
        if box.inner or box.directions:
            lines.append(f'    subgraph g{number} ["{label}"]')
            lines.append("        direction LR")
            lines.append(f'        n{number}(["in"])')
            for position, one in enumerate(box.inner):
                inner_label = "<br/>".join(escape_mermaid(text) for text in (one.title, *one.lines))
                lines.append(f'        n{number}_inner{position}["{inner_label}"]')
            for direction, (arrow, steps) in enumerate(box.directions):
                names = []
                for position, step in enumerate(steps):
                    node = f"n{number}_d{direction}_s{position}"
                    text = "…" if step == "…" else f"h{_sub(step.label)}"
                    lines.append(f'        {node}["{text}"]')
                    names.append(node)
                if arrow == "←":
                    names.reverse()
                lines += [f"        {a} --> {b}" for a, b in zip(names, names[1:])]
            lines.append("    end")
        else:
            lines.append(f'    n{number}["{label}"]')
        if not box.trainable:
            group = f"g{number}" if box.inner or box.directions else f"n{number}"
            lines.append(f"    style {group} stroke-dasharray: 5 3,fill:#eeeeee")
        if number:
            lines.append(f"    n{number - 1} --> n{number}")
    return "\n".join(lines) + "\n"


def plot(summary: Summary, fmt: str = "svg", expand: bool = False, unroll: bool = False) -> str:
    """The picture of ``summary`` in ``fmt`` (svg, dot or mermaid)."""
    if not summary.sequential:
        raise InputError("plot takes stacks; graphs (programs) are not supported by plot yet")
    drawn = boxes(summary, expand, unroll)
    title = f'Model "{summary.model}"'
    return {"svg": render_svg, "dot": render_dot, "mermaid": render_mermaid}[fmt](drawn, title)
