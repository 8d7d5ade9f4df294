"""summary --details, --expand, --show-trainable and --format csv: against real
Keras's printouts and inner layers, and against SPEC's definitions."""

import csv
import io
import json
import math

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, KERAS_STACKS, as_lists, stack_id
from rnnshape import summarize
from rnnshape.cli import main
from rnnshape.render import View, render
from rnnshape.saved import read_model
from rnnshape.shapes import infer_graph

TRAINABLE_TEXTS = [stack for stack in KERAS_STACKS if "trainable_80" in stack]
WRAPPED = [stack for stack in KERAS_STACKS if any("inner" in layer for layer in stack["layers"])]


def summary_of(stack):
    return summarize(stack["spec"], stack["input"], stack["batch"], name=stack["name"] or "sequential")


@pytest.mark.parametrize("stack", TRAINABLE_TEXTS, ids=stack_id)
@pytest.mark.parametrize("columns", [80, 120])
def test_show_trainable_is_keras_printout(stack, columns):
    """Keras's summary(show_trainable=True), character for character: its widths,
    the header cut to fit, and Y, N or - in each row."""
    text = render(summary_of(stack), "table", width=columns, view=View(show_trainable=True))
    assert text == stack[f"trainable_{columns}"]


def test_the_trainable_fixtures_cover_every_mark():
    texts = "".join(stack["trainable_80"] for stack in TRAINABLE_TEXTS)
    assert "┃ Trai… ┃" in texts and "┃ Traina… ┃" in "".join(stack["trainable_120"] for stack in TRAINABLE_TEXTS)
    for mark in ("│   Y   │", "│   N   │", "│   -   │"):
        assert mark in texts, mark
    assert any("frozen" in stack["spec"] for stack in TRAINABLE_TEXTS) and len(TRAINABLE_TEXTS) >= 35


@pytest.mark.parametrize("stack", WRAPPED, ids=stack_id)
def test_inner_layers_are_keras_own(stack):
    """Bidirectional's forward_ and backward_ layers and TimeDistributed's layer,
    with Keras's names, types, shapes and counts."""
    summary = summary_of(stack)
    for row, layer in zip(summary.rows, stack["layers"]):
        expected = [(one["name"], one["type"], one["output_shape"], one["params"], one["trainable_params"])
                    for one in layer.get("inner", [])]  # fmt: skip
        assert [(inner.name, inner.type, as_lists(inner.output_shape), inner.params, inner.trainable_params)
                for inner in row.inner] == expected  # fmt: skip


def test_the_inner_layers_cover_both_wrappers():
    types = {one["type"] for stack in WRAPPED for layer in stack["layers"] for one in layer.get("inner", [])}
    assert {"SimpleRNN", "LSTM", "GRU", "Dense"} <= types
    assert len(WRAPPED) >= 30


SAVED = json.loads((FIXTURES / "keras_saved.json").read_text(encoding="utf-8"))["models"]


def wrapped_configs(config):
    """(the wrapper's config, its class name) of every Bidirectional and TimeDistributed layer."""
    layers = config["config"]["layers"]
    return [layer for layer in layers if layer["class_name"] in ("Bidirectional", "TimeDistributed")]


@pytest.mark.parametrize("model", [model for model in SAVED if wrapped_configs(model["config"])],
                         ids=lambda model: model["spec"])
def test_inner_names_equal_the_saved_configs(model, tmp_path):
    path = tmp_path / "model.json"
    path.write_text(json.dumps(model["config"]))
    saved = read_model(str(path))
    summary = infer_graph(saved.model_graph(), name=saved.name)
    wrappers = {layer["config"]["name"]: layer["config"] for layer in wrapped_configs(model["config"])}
    for row in summary.rows:
        if row.name not in wrappers:
            continue
        config = wrappers[row.name]
        inner = config["layer"]["config"]["name"]  # Keras saves the forward copy's: forward_lstm
        if "backward_layer" in config:
            assert [one.name for one in row.inner] == [f"forward_{inner.removeprefix('forward_')}",
                                                       config["backward_layer"]["config"]["name"]]  # fmt: skip
        else:
            assert [one.name for one in row.inner] == [inner]


def test_a_saved_models_own_inner_name_is_kept(tmp_path):
    config = next(model["config"] for model in SAVED if any(
        layer["class_name"] == "TimeDistributed" for layer in model["config"]["config"]["layers"]))  # fmt: skip
    config = json.loads(json.dumps(config))
    wrapper = next(layer for layer in config["config"]["layers"] if layer["class_name"] == "TimeDistributed")
    wrapper["config"]["layer"]["config"]["name"] = "per_step"
    path = tmp_path / "model.json"
    path.write_text(json.dumps(config))
    result = CliRunner().invoke(main, ["summary", "--from", str(path), "--expand", "--format", "csv"])
    assert result.exit_code == 0 and ",per_step,Dense," not in result.stdout
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert any(row["name"] == "per_step" and row["inside"] == wrapper["config"]["name"] for row in rows)


# Mult-adds and memory, from SPEC section 10's definitions, written again here
# from the shapes alone (not from the kinds' own formulas).

GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}


def spec_mult_adds(row) -> int | None:
    batch = row.input_shape[0] or 1
    layer = row.spec.layer
    if row.type in GATES or row.type == "Bidirectional":
        cell = layer.layer if row.type == "Bidirectional" else layer
        steps, features = row.input_shape[1], row.input_shape[2]
        if steps is None:
            return None
        one = batch * steps * GATES[cell.keras_type] * cell.units * (features + cell.units)
        return 2 * one if row.type == "Bidirectional" else one
    if row.type in ("Dense", "TimeDistributed"):
        between = row.input_shape[1:-1]
        if None in between:
            return None
        units = row.outputs[0][-1]
        return batch * math.prod(between) * row.input_shape[-1] * units
    if row.type == "Conv1D":
        length = row.outputs[0][1]
        if length is None:
            return None
        return batch * length * layer.kernel_size * row.input_shape[-1] * layer.filters
    return 0


def test_mult_adds_follow_the_spec_on_every_fixture_stack():
    checked = 0
    for stack in KERAS_STACKS:
        summary = summary_of(stack)
        for row in summary.rows:
            assert row.mult_adds == spec_mult_adds(row), (stack["spec"], row.name)
            checked += row.mult_adds is not None and row.mult_adds > 0
    assert checked > 300


LAYERS = st.sampled_from(["simple:{u}:seq", "lstm:{u}:seq", "gru:{u}:seq", "bi:{u}:seq", "bi:gru:{u}:seq",
                          "dense:{u}", "td:dense:{u}", "conv1d:{u}:2:pad=same", "conv1d:{u}:3:stride=2:pad=causal",
                          "maxpool", "layernorm", "dropout:0.1", "bn"])  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(LAYERS, st.integers(1, 40)), min_size=1, max_size=5),
       st.sampled_from([None, 1, 7]), st.sampled_from([None, 4, 33]), st.integers(1, 30))  # fmt: skip
def test_mult_adds_and_memory_follow_the_spec_on_drawn_stacks(layers, batch, steps, features):
    text = " ".join(template.format(u=units) for template, units in layers)
    try:
        summary = summarize(text, (steps, features), batch)
    except Exception:  # noqa: BLE001 - a stack Keras refuses (a pool longer than its input) has no figures
        return
    expected = [spec_mult_adds(row) for row in summary.rows]
    assert [row.mult_adds for row in summary.rows] == expected
    assert summary.mult_adds == (None if None in expected else sum(expected))
    elements = [None if None in shape[1:] else (shape[0] or 1) * math.prod(shape[1:])
                for row in summary.rows for shape in row.outputs]  # fmt: skip
    assert summary.activation_elements == (None if None in elements else sum(elements))


def invoke(*args):
    result = CliRunner().invoke(main, ["summary", *args], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_details_in_the_table_markdown_and_json():
    args = ["-i", "10,5", "-b", "2", "lstm:8:seq", "td:dense:3"]
    table = invoke(*args, "--details")
    assert "Input Shape" in table and "Mult-Adds" in table
    # LSTM: 2 * 10 * 4 * 8 * (5 + 8) = 8,320; Dense: 2 * 10 * 8 * 3 = 480
    assert "8,320" in table and "480" in table and " Mult-adds: 8,800\n" in table
    # parameters 448 + 27 = 475, 1,900 B; outputs 2*10*8 + 2*10*3 = 220 elements, 880 B
    assert " Memory: parameters 1.86 KB + activations 880.00 B = 2.71 KB\n" in table
    markdown = invoke(*args, "--details", "--format", "markdown")
    assert "| lstm (LSTM) | (2, 10, 5) | (2, 10, 8) | 448 | 8,320 |" in markdown
    document = json.loads(invoke(*args, "--details", "--json"))
    assert [layer["mult_adds"] for layer in document["layers"]] == [8320, 480]
    assert document["mult_adds"] == 8800
    assert document["memory"] == {"parameter_bytes": 1900, "activation_bytes": 880, "total_bytes": 2780, "batch": 2}


def test_unknown_figures_are_said_to_be_unknown():
    table = invoke("-i", "None,5", "gru:4:seq", "--details")
    assert " Mult-adds: ? (unknown: a step count is None)" in table
    assert "activations ? = ?" in table
    # Without seq the output's size is known (the mult-adds still are not).
    assert "activations 16.00 B = 544.00 B" in invoke("-i", "None,5", "gru:4", "--details")
    document = json.loads(invoke("-i", "None,5", "gru:4:seq", "--details", "--json"))
    assert document["mult_adds"] is None and document["layers"][0]["mult_adds"] is None
    assert document["memory"]["activation_bytes"] is None
    assert " Batch: None, counted as 1 in the mult-adds and activations" in invoke("-i", "4,5", "gru:4", "--details")
    assert " Batch:" not in invoke("-i", "4,5", "-b", "3", "gru:4", "--details")


def test_expand_in_the_table_and_json():
    table = invoke("-i", "10,5", "bi:lstm:8:seq", "td:dense:3", "--expand")
    assert "   └ forward_lstm (LSTM)" in table and "   └ backward_lstm (LSTM)" in table
    assert "   └ dense (Dense)" in table
    document = json.loads(invoke("-i", "10,5", "bi:lstm:8:seq", "td:dense:3", "--expand", "--json"))
    inner = document["layers"][0]["inner"]
    assert [one["name"] for one in inner] == ["forward_lstm", "backward_lstm"]
    assert [one["params"] for one in inner] == [448, 448] and "spec" not in inner[0]
    assert "inner" not in json.loads(invoke("-i", "10,5", "bi:lstm:8:seq", "--json"))["layers"][0]


def test_csv_has_a_row_per_layer_with_every_column():
    rows = list(csv.DictReader(io.StringIO(invoke("-i", "10,5", "lstm:8:frozen", "dense:1", "--format", "csv"))))
    assert rows == [
        {"name": "lstm", "type": "LSTM", "spec": "lstm:8:frozen", "inside": "", "input_shape": "(None, 10, 5)",
         "output_shape": "(None, 8)", "params": "448", "trainable_params": "0", "trainable": "false",
         "mult_adds": "4160"},
        {"name": "dense", "type": "Dense", "spec": "dense:1", "inside": "", "input_shape": "(None, 8)",
         "output_shape": "(None, 1)", "params": "9", "trainable_params": "9", "trainable": "true", "mult_adds": "8"},
    ]  # fmt: skip
    # A spec with a comma or a quote is quoted as CSV quotes it.
    quoted = invoke("-i", "4,2", 'dense:1:name=a,"b', "--format", "csv")
    assert list(csv.DictReader(io.StringIO(quoted)))[0]["name"] == 'a,"b'


def test_plain_refuses_the_extra_columns():
    for option in ("--details", "--expand", "--show-trainable"):
        result = CliRunner().invoke(main, ["summary", "-i", "4,2", "lstm:3", option, "--format", "plain"])
        assert result.exit_code == 2 and option in result.stderr and result.stdout == ""


def test_run_details_give_each_layers_statistics_as_the_stack_cut_there_gives_its_output():
    """Layer k's statistics are those of the output of the stack cut after layer k
    (the weights and input are drawn in the same order)."""
    from rnnshape.run import execute, plan_run

    specs = ["lstm:6:seq", "bi:gru:4:seq:merge=sum", "td:dense:3:act=sigmoid", "globalavg"]
    full = execute(plan_run(" ".join(specs), (7, 5), 3, seed=4), details=True).statistics()
    assert [layer["name"] for layer in full["layers"]] == ["lstm", "bidirectional", "time_distributed",
                                                          "global_average_pooling1d"]  # fmt: skip
    for count in range(1, len(specs) + 1):
        cut = execute(plan_run(" ".join(specs[:count]), (7, 5), 3, seed=4)).statistics()
        layer = full["layers"][count - 1]
        assert {key: layer[key] for key in ("mean", "std", "min", "max")} == pytest.approx(
            {key: cut[key] for key in ("mean", "std", "min", "max")}, rel=1e-6)  # fmt: skip
    assert full["layers"][0]["saturation"]["activation"] == "tanh"
    assert full["layers"][1]["saturation"] is None  # a sum of two directions is not bounded by tanh
    assert full["layers"][2]["saturation"]["activation"] == "sigmoid"
    assert full["layers"][3]["saturation"] is None


def test_saturation_is_the_share_at_the_ends_of_the_range():
    import numpy as np

    from rnnshape.run import layer_statistics

    rows = summarize("simple:4:seq dense:4:act=sigmoid dense:4", (3, 2)).rows
    values = np.array([-1.0, -0.995, -0.5, 0.0, 0.5, 0.98, 0.99, 1.0], np.float32)
    assert layer_statistics(rows[0], values)["saturation"] == {"activation": "tanh", "share": 0.5}
    sigmoid = np.array([0.0, 0.005, 0.01, 0.5, 0.9, 0.995, 0.2, 0.3], np.float32)
    assert layer_statistics(rows[1], sigmoid)["saturation"] == {"activation": "sigmoid", "share": 0.5}
    assert layer_statistics(rows[2], values)["saturation"] is None  # linear does not saturate


def test_run_details_in_text_and_json():
    text = invoke("-i", "6,3", "lstm:4:seq", "dense:2:act=tanh", "--run", "--details", "--format", "markdown")
    assert "- Layer lstm mean: " in text and "saturated: " in text and "% (tanh)" in text
    document = json.loads(invoke("-i", "6,3", "lstm:4:seq", "dense:2", "--run", "--details", "--json"))
    assert [layer["name"] for layer in document["run"]["layers"]] == ["lstm", "dense"]
    assert "layers" not in json.loads(invoke("-i", "6,3", "lstm:4", "--run", "--json"))["run"]
