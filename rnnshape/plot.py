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

from .errors import InputError, printable
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

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        """A stretch of an arrow before its last, which has the head."""
        self.elements.append(f'<line class="arrow" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"/>')



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
            if returned == [True, False]:  # the last step only: the backward copy's last step is the first
                _draw_backward_last_step(canvas, columns, width, column, first_cells_y + row, merge_y)
            if returned[0]:
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


def _draw_backward_last_step(canvas: _Canvas, columns: list[float], width: float, merge_column: int,
                             backward_y: float, merge_y: float) -> None:  # fmt: skip
    """A Bidirectional layer that returns its last step merges the forward
    copy's last step (below the merge) with the backward copy's, the first
    step: an arrow from there, out of its frame on the right, up to the merge
    row and along it to the one merge."""
    start, aside = columns[0] + width, columns[0] + width + CELL_GAP / 2
    canvas.line(start, backward_y + 6, aside, backward_y + 6)
    canvas.line(aside, backward_y + 6, aside, merge_y + CELL_HEIGHT / 2)
    canvas.arrow(aside, merge_y + CELL_HEIGHT / 2, columns[merge_column] - 2, merge_y + CELL_HEIGHT / 2)


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
    """Text inside a DOT double-quoted string (control characters written as
    Python's escapes, so that a name stays on its line)."""
    return printable(text).replace("\\", "\\\\").replace('"', '\\"')


def render_dot(drawn: list[Box], title: str) -> str:
    lines = _dot_header(title)
    for number, box in enumerate(drawn):
        lines += _dot_box(number, box)
        if number:
            lines.append(f"    n{number - 1} -> n{number};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_header(title: str) -> list[str]:
    return ["digraph model {", f'    label="{escape_dot(title)}";', "    labelloc=t;", "    rankdir=TB;",
            '    node [shape=box, style="rounded,filled", fillcolor="#f4f7fb", fontname="monospace", fontsize=11];']  # fmt: skip


def _dot_box(number: int, box: Box) -> list[str]:
    """A box as a node n<number>, or as a cluster around a point n<number> and its inner boxes or steps."""
    lines = []
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
    return lines


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
    # Control characters are written as Python's escapes: a newline would end the statement.
    replacements = {"#": "#35;", "&": "#amp;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "`": "#96;"}
    return "".join(replacements.get(character, character) for character in printable(text))


def render_mermaid(drawn: list[Box], title: str) -> str:
    quoted = "'" + printable(title).replace("'", "''") + "'"  # a YAML single-quoted string: no markup in it
    lines = ["---", f"title: {quoted}", "---", "flowchart TB"]
    for number, box in enumerate(drawn):
        lines += _mermaid_box(number, box)
        if number:
            lines.append(f"    n{number - 1} --> n{number}")
    return "\n".join(lines) + "\n"


def _mermaid_box(number: int, box: Box) -> list[str]:
    """A box as a node n<number>, or as a subgraph g<number> holding n<number> and its inner boxes or steps."""
    lines = []
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
    return lines




# Graphs -------------------------------------------------------------------------------
#
# A Functional model is drawn as a layered graph: a box per layer (a shared layer
# once), an arrow per tensor a box reads. The SVG lays it out itself, in the
# manner of Sugiyama's: the boxes in layers from the top (each below every box
# it reads, cycles through shared layers broken by the order the layers are
# first called), a point on each layer an arrow passes, a few sweeps that order
# each layer by the mean position of its neighbours, then x by a least-squares
# fit that keeps the order and the spacing. An arrow leaves its box at the
# bottom and enters the next at the top, at a port of its own, after a last
# straight run down; its label, in the box text's size on a white halo, sits
# beside that run, in a strip no box reaches, within the box's width, the next
# port far enough on for it. Unrolled, a state runs square as the arrows inside
# the boxes do: out of its step's side, across below each layer on a track of
# its own (above the sloping arrows, ordered to cross each other least), and
# into its step from the side, its label over that last run, outside the box.


class Arrow(Value):
    """A tensor a box reads: from box ``source`` to box ``target``, with its
    ``label`` ("h", "c", "mask", or "" for a layer's output); ``tensor``
    identifies it, for the arrows that leave one port together. Unrolled, a
    state leaves the last step of the source's cell copy ``from_copy`` and
    enters the first step of the target's copy ``to_copy`` (None: the box's edge)."""

    def __init__(self, source: int, target: int, label: str, tensor: tuple, from_copy: int | None = None,
                 to_copy: int | None = None):  # fmt: skip
        self.source, self.target, self.label, self.tensor = source, target, label, tensor
        self.from_copy, self.to_copy = from_copy, to_copy


def graph_picture(summary: Summary, expand: bool = False, unroll: bool = False) -> tuple[list[Box], list[Arrow]]:
    """A graph's boxes (one per row of the summary, in the order the model first
    calls them) and its arrows: every tensor a call reads, once per box that reads it."""
    rows = {row.name: row for row in summary.rows}
    # The model's nodes: those its outputs need, and its inputs (a shared
    # layer's call outside the model is not drawn, as Keras's plot_model does not).
    model = {ref.call for ref in summary.inputs}
    waiting = [ref.call for ref in summary.outputs]
    while waiting:
        node = waiting.pop()
        if node not in model:
            model.add(node)
            waiting.extend(ref.call for ref in summary.nodes[node].reads)
    calls: dict[str, list] = {}
    for node in sorted(model):
        calls.setdefault(summary.nodes[node].name, []).append(summary.nodes[node])
    number = {name: position for position, name in enumerate(calls)}
    drawn = [_graph_box(rows[name], nodes, expand, unroll) for name, nodes in calls.items()]
    arrows: dict[tuple, Arrow] = {}
    for node in (summary.nodes[node] for node in sorted(model)):
        target = number[node.name]
        layer = rows[node.name].spec.layer
        copies = len(layer.directions()) if drawn[target].directions else 0
        reads = [(ref, None, "") for ref in node.arguments] + [(ref, position, "") for position, ref in enumerate(node.init)]
        reads += [(ref, None, "mask") for ref in node.masks]
        for ref, state, given in reads:
            source_node = summary.nodes[ref.call]
            source_row = rows[source_node.name]
            roles = source_row.spec.layer.output_roles()
            label, copy = roles[ref.output] if ref.output < len(roles) and not given else (given, None)
            if source_row.node_count > 1:  # which call of a shared layer made it
                label = f"call {source_node.node_index + 1}" + (f": {label}" if label else "")
            source = number[source_node.name]
            from_copy = copy if drawn[source].directions else None
            to_copy = None
            if state is not None and copies:  # init=[...]: the forward copy's states, then the backward's
                per_copy = max(1, len(node.init) // copies)
                to_copy = min(state // per_copy, copies - 1)
            if from_copy is not None or to_copy is not None:  # one arrow for a state, as textbooks draw it
                key = (ref.call, from_copy, target, to_copy)
                tensor = (ref.call, "state", from_copy)
            else:
                key, tensor = (ref, target), ref
            if key in arrows:
                joined = arrows[key].label
                if label and label not in joined.split(", "):
                    arrows[key] = arrows[key].replace(label=f"{joined}, {label}" if joined else label)
                continue
            arrows[key] = Arrow(source, target, label, tensor, from_copy, to_copy)
    return drawn, list(arrows.values())


def _graph_box(row: Row, nodes: list, expand: bool, unroll: bool) -> Box:
    """A row's box: an input's shape and dtype; a layer's box as in a stack,
    and for a shared layer how many calls it has, or each call's shapes when
    they differ."""
    layer = row.spec.layer
    if not nodes[0].reads:  # an input reads nothing
        dtype = getattr(layer, "dtype", "float32")
        return Box(f"{row.name} ({row.type})", (f"Output shape: {format_shape(row.outputs[0])}",
                                                "int ids" if dtype.startswith("int") else dtype))  # fmt: skip
    box = _box(row, expand, unroll)
    if len(nodes) == 1:
        return box
    shapes = [(format_shape(node.input_shape), format_shape(node.outputs[0] if len(node.outputs) == 1
                                                            else list(node.outputs))) for node in nodes]  # fmt: skip
    lines = list(box.lines)
    if len(set(shapes)) == 1:
        lines.insert(3, f"Shared: {len(nodes)} calls, one set of weights")
    else:
        lines[0:2] = [f"Call {number}: {given} → {made}" for number, (given, made) in enumerate(shapes, 1)]
        lines.insert(len(shapes), "Shared: one set of weights")
    return box.replace(lines=tuple(lines))


LABEL_ZONE = 24  # px above a box (below it, for an arrow going up): its arrows' last straight run, and their labels
LABEL_BASE = 9  # px from the box's edge to a label's baseline there: the label's middle beside the run's middle
SLOPE = 36  # px between layers where arrows run from one port to the next
TRACK = 8  # px between the horizontal runs of unrolled states in the room between two layers
SPACING = 28  # px between two things side by side in a layer
PORT_GAP = 14  # px at least between two ports of a box
LABEL_GAP = 4  # px between an arrow and its label beside it
LABEL_CLEAR = 14  # px at least between a label and the next arrow
SIDE = 12  # px beside a box where an unrolled state leaves or enters it, or an arrow loops back
MAX_SWEEPS = 6  # ordering sweeps (each down and up): crossings seldom fall after a few
MAX_POINTS = 50_000  # bend points of long arrows; beyond, the rest run straight
LARGE = 10_000  # boxes and points beyond which one sweep is done


def _label_reach(label: str) -> float:
    """How far right of its arrow a label beside it reaches (0 without one)."""
    return LABEL_GAP + _text_width(label) if label else 0.0


def _port_step(label: str) -> float:
    """From a port to the next along a box's edge: room for its label and a clear gap."""
    return max(PORT_GAP, _label_reach(label) + LABEL_CLEAR) if label else PORT_GAP


class _GraphLayout:
    """Where every box, port, arrow and label of a graph goes (see above)."""

    def __init__(self, drawn: list[Box], arrows: list[Arrow]):
        count = len(drawn)
        self.rank = _ranks(count, arrows)
        # An arrow against the ranks (a cycle through a shared layer) runs upwards,
        # from the box's top to the other's bottom; unrolled states only go down.
        self.down = [self.rank[arrow.source] < self.rank[arrow.target] for arrow in arrows]
        arrows = [arrow if down else arrow.replace(from_copy=None, to_copy=None) for arrow, down in zip(arrows, self.down)]
        self.drawn, self.arrows = drawn, arrows
        sizes = [_box_size(box) for box in drawn]
        self.layer = [0] * count
        upper_of: list[list[int]] = [[] for _ in range(count)]
        for number, arrow in enumerate(arrows):
            if arrow.source != arrow.target:
                upper, lower = self.ends(number)
                upper_of[lower].append(upper)
        for box in sorted(range(count), key=self.rank.__getitem__):
            self.layer[box] = max((self.layer[upper] + 1 for upper in upper_of[box]), default=0)
        layers = max(self.layer, default=0) + 1
        # Ports: each box's arrows at its top and bottom, with the labels they carry.
        self.top: list[list[tuple]] = [[] for _ in range(count)]  # (arrow number, label)
        self.bottom: list[list[tuple]] = [[] for _ in range(count)]  # (tensor or arrow, label)
        self.sides: list[dict[str, list[int]]] = [{"in_left": [], "in_right": [], "out_left": [], "out_right": []}
                                                  for _ in range(count)]  # fmt: skip
        self.loops: list[list[int]] = [[] for _ in range(count)]
        self.back_labels = [False] * layers  # whether the strip below a layer holds labels
        for number, arrow in enumerate(arrows):
            source, target = arrow.source, arrow.target
            if source == target:
                self.loops[source].append(number)
                self.bottom[source].append((arrow.tensor, ""))
                self.top[target].append((number, arrow.label))
            elif self.down[number]:
                if arrow.from_copy is None:
                    self.bottom[source].append((arrow.tensor, ""))
                else:
                    side = "out_left" if drawn[source].directions[arrow.from_copy][0] == "←" else "out_right"
                    self.sides[source][side].append(number)
                if arrow.to_copy is None:
                    self.top[target].append((number, arrow.label))
                else:
                    side = "in_right" if drawn[target].directions[arrow.to_copy][0] == "←" else "in_left"
                    self.sides[target][side].append(number)
            else:  # upwards: out of the source's top, into the target's bottom, labelled there
                self.top[source].append((number, ""))
                self.bottom[target].append((("up", number), arrow.label))
                self.back_labels[self.layer[target]] = True
        for box in range(count):  # one bottom port per tensor
            self.bottom[box] = list({key: label for key, label in self.bottom[box]}.items())
        self.box_width = [max(size[0], self.ports_width(self.top[box]) + 2 * PAD, self.ports_width(self.bottom[box])
                              + 2 * PAD) for box, size in enumerate(sizes)]  # fmt: skip
        self.box_height = [size[1] for size in sizes]
        self.margins = [self.side_margins(box) for box in range(count)]
        self.place(count, layers)

    def ends(self, number: int) -> tuple[int, int]:
        """An arrow's upper box and lower box."""
        arrow = self.arrows[number]
        return (arrow.source, arrow.target) if self.down[number] else (arrow.target, arrow.source)

    @staticmethod
    def ports_width(ports: list[tuple]) -> float:
        return sum(_port_step(label) for _, label in ports)

    def side_label_offsets(self, box: int, side: str) -> list[float]:
        """How far beyond the box's edge each arrow on one side runs. An entering
        state's label sits over its last run, between its way down and the box
        (or the way down of the one before), so each runs beyond its label."""
        offsets, reach = [], 0.0
        for number in self.sides[box][side]:
            if side.startswith("in"):
                reach += max(SIDE, _label_reach(self.arrows[number].label) + 8)
            else:
                reach = reach + 6 if offsets else SIDE
            offsets.append(reach)
        return offsets

    def side_margins(self, box: int) -> tuple[float, float]:
        """The room a box needs on its left and right, beyond its edges."""
        def reach(side: str) -> float:
            offsets = self.side_label_offsets(box, side)
            return offsets[-1] + 4 if offsets else 0.0

        left = max(reach("in_left"), reach("out_left"))
        right = max(reach("in_right"), reach("out_right")) + (SIDE + 6 * len(self.loops[box]) + 4 if self.loops[box]
                                                              else 0)  # fmt: skip
        return left, right

    # Layers, order and x ----------------------------------------------------------

    def place(self, count: int, layers: int) -> None:
        arrows = self.arrows
        widths = [self.margins[box][0] + self.box_width[box] + self.margins[box][1] for box in range(count)]
        item_layer = list(self.layer)
        # The points each arrow bends at, one per layer between its ends.
        self.chains: list[list[int]] = []
        budget = MAX_POINTS
        for number, arrow in enumerate(arrows):
            upper, lower = self.ends(number)
            span = self.layer[lower] - self.layer[upper] - 1
            chain = []
            if arrow.source != arrow.target and 0 < span <= budget:
                budget -= span
                for layer in range(self.layer[upper] + 1, self.layer[lower]):
                    chain.append(len(item_layer))
                    item_layer.append(layer)
                    widths.append(0.0)
            self.chains.append(chain)
        # An unrolled state runs square, as inside a box: a horizontal run (a track of
        # its own) in the room below each layer it passes, above the sloping arrows.
        self.tracks = [0] * layers
        self.track: list[dict[int, int]] = [{} for _ in arrows]  # arrow number -> {layer: its track below it}
        for number, arrow in enumerate(arrows):
            if self.down[number] and (arrow.from_copy is not None or arrow.to_copy is not None):
                upper, lower = self.ends(number)
                complete = len(self.chains[number]) == self.layer[lower] - self.layer[upper] - 1
                for layer in range(self.layer[upper] if complete else self.layer[lower] - 1, self.layer[lower]):
                    self.track[number][layer] = self.tracks[layer]
                    self.tracks[layer] += 1
        items = len(item_layer)
        up: list[list[int]] = [[] for _ in range(items)]
        down: list[list[int]] = [[] for _ in range(items)]
        for number, (arrow, chain) in enumerate(zip(arrows, self.chains)):
            if arrow.source == arrow.target:
                continue
            upper, lower = self.ends(number)
            path = [upper, *chain, lower]
            if chain or self.layer[lower] == self.layer[upper] + 1:
                for a, b in zip(path, path[1:]):
                    down[a].append(b)
                    up[b].append(a)
        order: list[list[int]] = [[] for _ in range(layers)]
        for item in range(items):
            order[item_layer[item]].append(item)
        position = [0.0] * items
        for members in order:
            for index, item in enumerate(members):
                position[item] = index
        best, best_crossings = [list(members) for members in order], self.crossings(order, down, position)
        sweeps = 1 if items > LARGE else MAX_SWEEPS
        for _ in range(sweeps):
            for layer_range, neighbours in ((range(1, layers), up), (range(layers - 2, -1, -1), down)):
                for layer in layer_range:
                    members = order[layer]
                    keys = {item: (sum(position[n] for n in neighbours[item]) / len(neighbours[item])
                                   if neighbours[item] else position[item]) for item in members}  # fmt: skip
                    members.sort(key=keys.__getitem__)
                    for index, item in enumerate(members):
                        position[item] = index
            crossings = self.crossings(order, down, position)
            if crossings < best_crossings:
                best, best_crossings = [list(members) for members in order], crossings
            if best_crossings == 0:
                break
        order = best
        self.order, self.item_layer, self.widths = order, item_layer, widths
        # x: each layer fitted to the mean of its neighbours' centres, keeping order and spacing.
        centre = [0.0] * items
        for members in order:
            x = 0.0
            for item in members:
                centre[item] = x + widths[item] / 2
                x += widths[item] + SPACING
        for layer_range, neighbours in ((range(1, layers), up), (range(layers - 2, -1, -1), down),
                                        (range(1, layers), up), (range(layers - 2, -1, -1), down)):  # fmt: skip
            for layer in layer_range:
                members = order[layer]
                wanted = [sum(centre[n] for n in neighbours[item]) / len(neighbours[item]) if neighbours[item]
                          else centre[item] for item in members]  # fmt: skip
                for item, x in zip(members, _fit(wanted, [widths[item] for item in members])):
                    centre[item] = x
        left = min((centre[item] - widths[item] / 2 for item in range(items)), default=0.0)
        self.centre = [x - left + GAP for x in centre]
        self.width = max((self.centre[item] + widths[item] / 2 for item in range(items)), default=0.0) + GAP
        # y: a band per layer as tall as its tallest box, label strips and sloping room between.
        self.band_top, self.band_bottom, self.slope_top = [], [], []
        y = GAP + LABEL_ZONE
        for layer in range(layers):
            height = max((self.box_height[item] for item in order[layer] if item < count), default=0.0)
            self.band_top.append(y)
            self.band_bottom.append(y + height)
            y += height + (LABEL_ZONE if self.back_labels[layer] else 0)
            y += TRACK * (self.tracks[layer] + 1) + 8 if self.tracks[layer] else 0
            self.slope_top.append(y)  # where the sloping arrows start, below the states' tracks
            y += SLOPE + LABEL_ZONE
        self.height = self.band_bottom[-1] + (LABEL_ZONE if self.back_labels[-1] else 0) + LABEL_ZONE + GAP if layers \
            else 2 * GAP

    @staticmethod
    def crossings(order: list[list[int]], down: list[list[int]], position: list[float]) -> int:
        """Crossings of the links between each two neighbouring layers (inversions, by merge sort)."""
        total = 0
        for members in order:
            ends = [position[b] for a in members for b in sorted(down[a], key=position.__getitem__)]
            total += _inversions(ends)
        return total

    # Where things are -----------------------------------------------------------

    def track_y(self, number: int, layer: int) -> float:
        """The y of an unrolled state's horizontal run below ``layer``."""
        first = self.band_bottom[layer] + (LABEL_ZONE if self.back_labels[layer] else 0)
        return first + TRACK * (self.track[number][layer] + 1) + 4

    def box_x(self, box: int) -> float:
        return self.centre[box] - self.widths[box] / 2 + self.margins[box][0]

    def box_y(self, box: int) -> float:
        return self.band_top[self.layer[box]]

    def item_x(self, item: int) -> float:
        return self.centre[item]

    def ports(self, box: int, ports: list[tuple], ends: list[float]) -> list[float]:
        """The x of each port along a box's edge, in the order of the x of the
        other ends of their arrows, centred in the box."""
        ranked = sorted(range(len(ports)), key=lambda index: ends[index])
        steps = [_port_step(ports[index][1]) for index in ranked]
        span = sum(steps) - steps[-1] + _label_reach(ports[ranked[-1]][1]) if ranked else 0.0
        x = self.box_x(box) + max(PAD, (self.box_width[box] - span) / 2)
        placed = [0.0] * len(ports)
        for index, step in zip(ranked, steps):
            placed[index] = x
            x += step
        return placed


def _ranks(count: int, arrows: list[Arrow]) -> list[int]:
    """An order of the boxes in which every arrow goes down, but those that
    close a cycle: each next box the first (in the model's order) that reads
    only boxes already ranked, or, in a cycle, the first box left."""
    import heapq

    readers: list[list[int]] = [[] for _ in range(count)]
    waiting = [0] * count  # arrows into a box from boxes not yet ranked
    for arrow in arrows:
        if arrow.source != arrow.target:
            readers[arrow.source].append(arrow.target)
            waiting[arrow.target] += 1
    ready = [box for box in range(count) if not waiting[box]]
    heapq.heapify(ready)
    rank, placed, next_unplaced = [0] * count, [False] * count, 0
    for position in range(count):
        while ready and placed[ready[0]]:
            heapq.heappop(ready)
        if ready:
            box = heapq.heappop(ready)
        else:  # a cycle: break it at its earliest box
            while placed[next_unplaced]:
                next_unplaced += 1
            box = next_unplaced
        placed[box], rank[box] = True, position
        for reader in readers[box]:
            waiting[reader] -= 1
            if not waiting[reader] and not placed[reader]:
                heapq.heappush(ready, reader)
    return rank


def _fit(wanted: list[float], widths: list[float]) -> list[float]:
    """Centres as near ``wanted`` as least squares allows, in order, each two
    at least their half widths and SPACING apart (pool-adjacent-violators)."""
    offsets, total = [], 0.0
    for index, width in enumerate(widths):
        if index:
            total += (widths[index - 1] + width) / 2 + SPACING
        offsets.append(total)
    blocks: list[list[float]] = []  # [sum, count] of merged runs
    for x, offset in zip(wanted, offsets):
        blocks.append([x - offset, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total_sum, count = blocks.pop()
            blocks[-1][0] += total_sum
            blocks[-1][1] += count
    fitted = []
    for total_sum, count in blocks:
        fitted += [total_sum / count] * int(count)
    return [x + offset for x, offset in zip(fitted, offsets)]


def _inversions(values: list[float]) -> int:
    """Pairs out of order in ``values``."""
    if len(values) < 2:
        return 0
    middle = len(values) // 2
    left, right = values[:middle], values[middle:]
    count = _inversions(left) + _inversions(right)
    left.sort()
    right.sort()
    import bisect

    for value in right:
        count += len(left) - bisect.bisect_right(left, value)
    return count


def _unrolled_rows(box: Box, y: float) -> tuple[float, list[float], float, list[float]]:
    """Where a box drawn at ``y`` has its unrolled cells: the y of each copy's
    row of cells, the cells' width and each column's x from the box's left."""
    top = y + PAD + SIZE + LINE * len(box.lines) + PAD
    if box.inner:
        top += max(_box_size(one)[1] for one in box.inner) + PAD
    row = CELL_HEIGHT + CELL_GAP
    two = len(box.directions) == 2
    first = top + row * (2 if two else 1)
    width = _cell_width(box)
    columns = [PAD + 40 + column * (width + CELL_GAP) for column in range(len(box.directions[0][1]))]
    return top, [first + number * row for number in range(len(box.directions))], width, columns


def render_graph_svg(drawn: list[Box], arrows: list[Arrow], title: str) -> str:
    layout = _GraphLayout(drawn, arrows)
    canvas = _Canvas()
    for box in range(len(drawn)):
        _draw_box(canvas, drawn[box], layout.box_x(box), layout.box_y(box), layout.box_width[box],
                  layout.box_height[box])  # fmt: skip
    labels: list[str] = []
    paths = _arrow_paths(layout, labels)
    for arrow, points in zip(arrows, paths):
        what = f"{drawn[arrow.source].title} → {drawn[arrow.target].title}" + (f": {arrow.label}" if arrow.label else "")
        route = " ".join(f"{'M' if index == 0 else 'L'}{x:.1f},{y:.1f}" for index, (x, y) in enumerate(points))
        canvas.elements.append(f'<path class="edge" d="{route}" marker-end="url(#head)"><title>{escape_xml(what)}'
                               "</title></path>")  # fmt: skip
    canvas.elements += labels
    return GRAPH_SVG.format(width=f"{layout.width:.0f}", height=f"{layout.height:.0f}", title=escape_xml(title),
                            font=escape_xml(FONT), size=SIZE, body="\n".join(canvas.elements))  # fmt: skip


def _label(x: float, y: float, text: str, anchor: str = "start") -> str:
    end = ' text-anchor="end"' if anchor == "end" else ""
    return f'<text class="arrow-label" x="{x:.1f}" y="{y:.1f}"{end}>{escape_xml(text)}</text>'


def _arrow_paths(layout: _GraphLayout, labels: list[str]) -> list[list[tuple[float, float]]]:
    """Each arrow's points, from its tail to its head; its label added to ``labels``."""
    drawn, arrows, chains = layout.drawn, layout.arrows, layout.chains
    top_x: dict[int, float] = {}  # arrow number -> its port on the top of a box
    bottom_x: dict[tuple, float] = {}  # (box, tensor or ("up", arrow number)) -> its port on the bottom
    leaving: dict[tuple, list[int]] = {}  # the same keys -> the arrows through that port
    for number, arrow in enumerate(arrows):
        if arrow.source == arrow.target:
            continue
        if not layout.down[number]:
            leaving[(arrow.target, ("up", number))] = [number]
        elif arrow.from_copy is None:
            leaving.setdefault((arrow.source, arrow.tensor), []).append(number)
    for box in range(len(drawn)):
        ends = []
        for number, _text in layout.top[box]:
            arrow, chain = arrows[number], chains[number]
            if arrow.source == arrow.target:
                ends.append(float("inf"))
            else:
                ends.append(layout.item_x(chain[-1] if chain else layout.ends(number)[0]))
        for (number, _text), x in zip(layout.top[box], layout.ports(box, layout.top[box], ends)):
            top_x[number] = x
        ends = []
        for key, _text in layout.bottom[box]:
            below = [layout.item_x(chains[number][0] if chains[number] else layout.ends(number)[1])
                     for number in leaving.get((box, key), ())]
            ends.append(sum(below) / len(below) if below else float("inf"))
        for (key, _text), x in zip(layout.bottom[box], layout.ports(box, layout.bottom[box], ends)):
            bottom_x[(box, key)] = x
    _order_sides(layout)
    states = {number: _state_ends(layout, number, bottom_x, top_x, labels) for number in range(len(arrows))
              if layout.track[number]}  # fmt: skip
    _order_tracks(layout, states)
    paths = []
    for number, (arrow, chain) in enumerate(zip(arrows, chains)):
        source, target = arrow.source, arrow.target
        if source == target:
            paths.append(_loop(layout, number, bottom_x[(source, arrow.tensor)], top_x[number], labels))
            continue
        if number in states:
            paths.append(_state_path(layout, number, *states[number]))
            continue
        upper, lower = layout.ends(number)
        upper_layer, lower_layer = layout.layer[upper], layout.layer[lower]
        below_upper = layout.slope_top[upper_layer]
        above_lower = layout.band_top[lower_layer] - LABEL_ZONE
        upper_bottom = layout.box_y(upper) + layout.box_height[upper]
        if layout.down[number]:
            x = bottom_x[(source, arrow.tensor)]
            start = [(x, upper_bottom + 1), (x, max(below_upper, upper_bottom + 1))]
            x = top_x[number]
            end = [(x, above_lower), (x, layout.band_top[lower_layer] - 2)]
            if arrow.label:
                labels.append(_label(x + LABEL_GAP, layout.band_top[lower_layer] - LABEL_BASE, arrow.label))
        else:
            x = bottom_x[(target, ("up", number))]
            start = [(x, upper_bottom + 2), (x, max(below_upper, upper_bottom + 2))]
            if arrow.label:
                labels.append(_label(x + LABEL_GAP, layout.band_bottom[upper_layer] + LABEL_ZONE - LABEL_BASE + 1,
                                     arrow.label))  # fmt: skip
            x = top_x[number]
            end = [(x, above_lower), (x, layout.band_top[lower_layer])]
        middle = []
        for item in chain:
            layer = layout.item_layer[item]
            x = layout.item_x(item)
            middle += [(x, layout.band_top[layer] - LABEL_ZONE), (x, layout.slope_top[layer])]
        points = _distinct(start + middle + end)
        paths.append(points if layout.down[number] else points[::-1])
    return paths


def _order_sides(layout: _GraphLayout) -> None:
    """Order the states that leave or enter one side of a box so their runs
    nest: out of the right, the one going least far right (or furthest left)
    nearest the box; into the left, the one coming from furthest right nearest
    it; and mirrored. (The room they take does not depend on their order.)"""
    def towards(number: int) -> float:
        chain = layout.chains[number]
        return layout.item_x(chain[0] if chain else layout.arrows[number].target)

    def coming_from(number: int) -> float:
        chain = layout.chains[number]
        return layout.item_x(chain[-1] if chain else layout.arrows[number].source)

    for sides in layout.sides:
        for side, numbers in sides.items():
            if len(numbers) > 1:
                key = towards if side.startswith("out") else coming_from
                numbers.sort(key=key, reverse=side in ("out_left", "in_left"))


def _state_ends(layout: _GraphLayout, number: int, bottom_x: dict, top_x: dict, labels: list[str]) -> tuple:
    """An unrolled state's first points (out of its step, or the box's bottom),
    the x at which it goes down through each room between layers, and its last
    points (into its step from the side, or into the box's top), its label
    over its last run."""
    arrow, chain = layout.arrows[number], layout.chains[number]
    upper, lower = arrow.source, arrow.target
    if arrow.from_copy is None:
        x = bottom_x[(upper, arrow.tensor)]
        start = [(x, layout.box_y(upper) + layout.box_height[upper] + 1)]
    else:
        start = _side_exit(layout, number)
    xs = [start[-1][0]] + [layout.item_x(item) for item in chain]
    if arrow.to_copy is None:
        end = [(top_x[number], layout.box_y(lower) - 2)]
        if arrow.label:
            labels.append(_label(top_x[number] + LABEL_GAP, layout.box_y(lower) - LABEL_BASE, arrow.label))
    else:
        end = _side_entry(layout, number, labels)
    gaps = len(layout.track[number])
    return start, xs[len(xs) - gaps:] + [end[0][0]], end  # beyond the bend points' budget: across the last room only


def _order_tracks(layout: _GraphLayout, states: dict) -> None:
    """In each room between layers, the order of the states' horizontal runs
    (top to bottom) that crosses the fewest of their runs down there."""
    import itertools

    rooms: dict[int, list[int]] = {}
    for number in states:
        for layer in layout.track[number]:
            rooms.setdefault(layer, []).append(number)
    for layer, numbers in rooms.items():
        if not 1 < len(numbers) <= 6:
            continue
        runs = {}
        for number in numbers:
            index = sorted(layout.track[number]).index(layer)
            xs = states[number][1]
            runs[number] = (xs[index], xs[index + 1])

        def crossings(tracks: dict) -> int:
            count = 0
            for a in numbers:
                low, high = sorted(runs[a])
                for b in numbers:
                    down_to, down_from = runs[b]  # b comes down to its track at one x and leaves it at the other
                    count += (b != a and low < down_to < high and tracks[b] > tracks[a])
                    count += (b != a and low < down_from < high and tracks[b] < tracks[a])
            return count

        best = min((dict(zip(numbers, order)) for order in itertools.permutations(range(len(numbers)))), key=crossings)
        for number in numbers:
            layout.track[number][layer] = best[number]


def _state_path(layout: _GraphLayout, number: int, start: list, xs: list[float], end: list) -> list:
    """An arrow that leaves or enters an unrolled box at a step, square as the
    box's own arrows are: down to its track below each layer, across to where
    it goes down next (a point of its own on each layer between), and in."""
    points = list(start)
    for (x, next_x), layer in zip(zip(xs, xs[1:]), sorted(layout.track[number])):
        y = layout.track_y(number, layer)
        points += [(x, y), (next_x, y)]
    return _distinct(points + end)


def _distinct(points: list) -> list:
    """The points without a repeat of the one before."""
    return [point for index, point in enumerate(points) if index == 0 or point != points[index - 1]]


def _side_exit(layout: _GraphLayout, number: int) -> list[tuple[float, float]]:
    """An unrolled state's way out: from the last step its copy reads, out of
    the box's side."""
    arrow = layout.arrows[number]
    box = layout.drawn[arrow.source]
    x, y = layout.box_x(arrow.source), layout.box_y(arrow.source)
    _top, rows, width, columns = _unrolled_rows(box, y)
    cell_y = rows[arrow.from_copy] + 6
    backwards = box.directions[arrow.from_copy][0] == "←"
    side = "out_left" if backwards else "out_right"
    reach = layout.side_label_offsets(arrow.source, side)[layout.sides[arrow.source][side].index(number)]
    if backwards:
        return [(x + columns[0], cell_y), (x - reach, cell_y)]
    return [(x + columns[-1] + width, cell_y), (x + layout.box_width[arrow.source] + reach, cell_y)]


def _side_entry(layout: _GraphLayout, number: int, labels: list[str]) -> list[tuple[float, float]]:
    """An unrolled state's way in: beside the box, down to the first step its
    copy reads, and along into it, its label over that last run, outside the box."""
    arrow = layout.arrows[number]
    box = layout.drawn[arrow.target]
    x, y = layout.box_x(arrow.target), layout.box_y(arrow.target)
    _top, rows, width, columns = _unrolled_rows(box, y)
    backwards = box.directions[arrow.to_copy][0] == "←"
    side = "in_right" if backwards else "in_left"
    index = layout.sides[arrow.target][side].index(number)
    reach = layout.side_label_offsets(arrow.target, side)[index]
    cell_y = rows[arrow.to_copy] + 7 + 5 * min(index, 2)  # the further out, the lower: no run crosses another
    if backwards:
        aside = x + layout.box_width[arrow.target] + reach
        if arrow.label:
            labels.append(_label(aside - LABEL_GAP, cell_y - 5, arrow.label, "end"))
        return [(aside, cell_y), (x + columns[-1] + width + 2, cell_y)]
    aside = x - reach
    if arrow.label:
        labels.append(_label(aside + LABEL_GAP, cell_y - 5, arrow.label))
    return [(aside, cell_y), (x + columns[0] - 2, cell_y)]


def _loop(layout: _GraphLayout, number: int, out_x: float, in_x: float, labels: list[str]) -> list:
    """A shared layer reading what it made: out of its bottom, round its right side, into its top."""
    box = layout.arrows[number].source
    x, y = layout.box_x(box), layout.box_y(box)
    turn = x + layout.box_width[box] + layout.margins[box][1] - 4 - 6 * layout.loops[box].index(number)
    below = layout.band_bottom[layout.layer[box]] + 8
    above = y - LABEL_ZONE - 8
    if layout.arrows[number].label:
        labels.append(_label(in_x + 3, y - 5, layout.arrows[number].label))
    return [(out_x, y + layout.box_height[box] + 1), (out_x, below), (turn, below), (turn, above), (in_x, above),
            (in_x, y - 2)]  # fmt: skip


GRAPH_SVG = SVG.replace("</style>", """path.edge {{ fill: none; stroke: #35506b; stroke-width: 1.2; }}
text.arrow-label {{ fill: #8a3b12; paint-order: stroke; stroke: #ffffff; stroke-width: 4px; stroke-linejoin: round; }}
</style>""")


def render_graph_dot(drawn: list[Box], arrows: list[Arrow], title: str) -> str:
    lines = _dot_header(title)
    for number, box in enumerate(drawn):
        lines += _dot_box(number, box)
    for arrow in arrows:
        label = f' [label="{escape_dot(arrow.label)}"]' if arrow.label else ""
        lines.append(f"    {_step_node(drawn, arrow.source, arrow.from_copy, True)} -> "
                     f"{_step_node(drawn, arrow.target, arrow.to_copy, False)}{label};")  # fmt: skip
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_graph_mermaid(drawn: list[Box], arrows: list[Arrow], title: str) -> str:
    quoted = "'" + printable(title).replace("'", "''") + "'"  # a YAML single-quoted string: no markup in it
    lines = ["---", f"title: {quoted}", "---", "flowchart TB"]
    for number, box in enumerate(drawn):
        lines += _mermaid_box(number, box)
    for arrow in arrows:
        label = f'|"{escape_mermaid(arrow.label)}"|' if arrow.label else ""
        lines.append(f"    {_step_node(drawn, arrow.source, arrow.from_copy, True)} -->{label} "
                     f"{_step_node(drawn, arrow.target, arrow.to_copy, False)}")  # fmt: skip
    return "\n".join(lines) + "\n"


def _step_node(drawn: list[Box], box: int, copy: int | None, last: bool) -> str:
    """The node an arrow starts or ends at: the box's, or, for an unrolled state,
    the step its cell copy reads last (or first)."""
    if copy is None:
        return f"n{box}"
    arrow, steps = drawn[box].directions[copy]
    at_end = (arrow == "→") == last
    return f"n{box}_d{copy}_s{len(steps) - 1 if at_end else 0}"


def plot(summary: Summary, fmt: str = "svg", expand: bool = False, unroll: bool = False) -> str:
    """The picture of ``summary`` in ``fmt`` (svg, dot or mermaid)."""
    title = f'Model "{summary.model}"'
    if summary.sequential:
        drawn = boxes(summary, expand, unroll)
        return {"svg": render_svg, "dot": render_dot, "mermaid": render_mermaid}[fmt](drawn, title)
    drawn, arrows = graph_picture(summary, expand, unroll)
    return {"svg": render_graph_svg, "dot": render_graph_dot, "mermaid": render_graph_mermaid}[fmt](drawn, arrows,
                                                                                                   title)  # fmt: skip
