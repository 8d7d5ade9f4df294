"""rnnshape explain: why each layer has its parameter count, what it computes,
how its output shape follows from its input's, and its mult-adds.

Every figure comes from the kinds' declared weights and the shape engine (the
sum is the sum of the weights the forward pass allocates); the words come from
the kinds (``equations``, ``shape_rule``, ``mult_adds_terms``).
"""

from __future__ import annotations

import textwrap

from .shapes import Row, Summary, format_shape


def explain(summary: Summary) -> dict:
    """The explanation as data (explain --json)."""
    return {
        "model": summary.model,
        "input_shape": list(summary.input_shape),
        "input_shapes": [list(shape) for shape in summary.input_shapes],
        "layers": [_layer(row) for row in summary.rows],
        "total_params": summary.total_params,
        "trainable_params": summary.trainable_params,
        "non_trainable_params": summary.non_trainable_params,
    }


def _layer(row: Row) -> dict:
    layer = row.spec.layer
    one = [(1,) + shape[1:] for shape in row.input_shape] if isinstance(row.input_shape, list) else \
        (1,) + row.input_shape[1:]  # fmt: skip
    per_sample = layer.mult_adds(one)
    terms = layer.mult_adds_terms(row.input_shape)
    return {
        "name": row.name,
        "type": row.type,
        "spec": row.spec.text,
        "input_shape": [list(shape) for shape in row.input_shape] if isinstance(row.input_shape, list)
        else list(row.input_shape),
        "output_shape": [list(shape) for shape in row.outputs] if len(row.outputs) > 1 else list(row.outputs[0]),
        "weights": [{"name": weight.name, "shape": list(weight.shape), "count": weight.size,
                     "trainable": weight.trainable} for weight in row.weights],  # fmt: skip
        "params": row.params,
        "formula": params_formula(row),
        "shape_rule": layer.shape_rule(),
        "equations": list(layer.equations()),
        "mult_adds_per_sample": per_sample,
        "mult_adds_formula": None if terms is None else f"{terms[0]} = {terms[1]}",
        "mult_adds": row.mult_adds,
    }


def _shape_of(shape: list) -> str:
    """A JSON shape, or a list of them, as Keras prints shapes."""
    return format_shape([tuple(one) for one in shape] if shape and isinstance(shape[0], list) else tuple(shape))


def params_formula(row: Row) -> str:
    """kernel (10, 3) = 30 + recurrent_kernel (3, 3) = 9 + bias (3,) = 3 → 42"""
    if not row.weights:
        return "no weights → 0"
    terms = [f"{weight.name} {_shape(weight.shape)} = {weight.size:,}" for weight in row.weights]
    return " + ".join(terms) + f" → {row.params:,}"


def _shape(shape: tuple) -> str:
    return f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(map(str, shape)) + ")"


def render_explain(document: dict, width: int = 80) -> str:
    """The explanation as text for a learner: a block per layer, in the terminal's width."""
    width = max(width, 40)
    shapes = document.get("input_shapes") or [document["input_shape"]]
    given = ", ".join(format_shape(tuple(shape)) for shape in shapes)
    lines = [f'Model "{document["model"]}", input{"s" if len(shapes) > 1 else ""} {given}', ""]
    for number, layer in enumerate(document["layers"], 1):
        lines.append(f"{number}. {layer['name']} ({layer['type']})  {layer['spec']}")
        output = layer["output_shape"]
        shape, given = _shape_of(output), _shape_of(layer["input_shape"])
        lines += _wrap(f"shape: {given} → {shape}; {layer['shape_rule']}", width)
        if layer["weights"]:
            name_width = max(len(weight["name"]) for weight in layer["weights"])
            shape_width = max(len(_shape(tuple(weight["shape"]))) for weight in layer["weights"])
            count_width = max(len(f"{weight['count']:,}") for weight in layer["weights"])
            lines.append("   weights:")
            for weight in layer["weights"]:
                frozen = "" if weight["trainable"] else "  (not trainable)"
                lines.append(f"     {weight['name']:<{name_width}}  {_shape(tuple(weight['shape'])):<{shape_width}}  "
                             f"{weight['count']:>{count_width},}{frozen}")  # fmt: skip
            counts = " + ".join(f"{weight['count']:,}" for weight in layer["weights"])
            lines += _wrap(f"params: {layer['formula']}", width)
            if len(layer["weights"]) > 1:
                lines.append(f"   sum: {counts} = {layer['params']:,}")
        else:
            lines.append("   params: no weights → 0")
        lines.append("   computes:")
        for equation in layer["equations"]:
            lines += _wrap(equation, width, indent=5)
        lines += _wrap(f"mult-adds: {_mult_adds_text(layer, document['input_shape'][0])}", width)
        lines.append("")
    lines.append(f"Total params: {document['total_params']:,} (trainable {document['trainable_params']:,}, "
                 f"non-trainable {document['non_trainable_params']:,})")  # fmt: skip
    return "\n".join(lines) + "\n"


def _mult_adds_text(layer: dict, batch: int | None) -> str:
    formula = layer["mult_adds_formula"]
    if formula is None:
        return "0 (no matrix products; elementwise work is not counted)"
    per_sample = layer["mult_adds_per_sample"]
    if per_sample is None:
        return f"{formula}, unknown while T is None"
    text = f"{formula} = {per_sample:,} per sample"
    if batch is not None and batch != 1:
        text += f"; × batch {batch} = {layer['mult_adds']:,}"
    return text


def _wrap(text: str, width: int, indent: int = 3) -> list[str]:
    """Lines of at most ``width``, never breaking '= 30' or '→ 42' from its number."""
    kept = text.replace("= ", "=\u00a0").replace("→ ", "→\u00a0")
    lines = textwrap.wrap(kept, width, initial_indent=" " * indent, subsequent_indent=" " * (indent + 4),
                          break_on_hyphens=False, break_long_words=False)  # fmt: skip
    return [line.replace("\u00a0", " ") for line in lines]
