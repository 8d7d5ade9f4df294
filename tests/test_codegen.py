"""rnnshape code --framework keras: the generated module, as real Keras built it."""

import ast
import json

import pytest
from click.testing import CliRunner

from conftest import FIXTURES, as_lists
from rnnshape import summarize
from rnnshape.cli import main
from rnnshape.codegen import keras_module
from rnnshape.render import render

GENERATED = json.loads((FIXTURES / "keras_codegen.json").read_text(encoding="utf-8"))["models"]


def generated_id(model):
    return f"{model['spec']} @{model['input']}"


def rnnshape_summary(model):
    return summarize(model["spec"], model["input"], model["batch"], name=model["name"] or "sequential")


@pytest.mark.parametrize("model", GENERATED, ids=generated_id)
def test_keras_builds_what_rnnshape_shows(model):
    """Real Keras ran the generated module: its names, shapes, counts and table are rnnshape's."""
    summary = rnnshape_summary(model)
    assert [(row.name, row.type, as_lists(row.output_shape), row.params, row.trainable_params)
            for row in summary.rows] == [(layer["name"], layer["type"], layer["output_shape"], layer["params"],
                                          layer["trainable_params"]) for layer in model["layers"]]  # fmt: skip
    assert render(summary, "table", width=80) == model["summary"]


@pytest.mark.parametrize("model", GENERATED, ids=generated_id)
def test_the_module_is_the_one_keras_ran(model):
    """What rnnshape generates today is what the fixtures executed (regenerate them after a change)."""
    text = keras_module(rnnshape_summary(model))
    assert text == model["code"]
    compile(text, "generated.py", "exec")


def test_coverage():
    text = "\n".join(model["code"] for model in GENERATED)
    for call in ["layers.SimpleRNN(", "layers.LSTM(", "layers.GRU(", "layers.Bidirectional(", "layers.Dense(",
                 "layers.TimeDistributed(", "layers.Embedding(", "layers.Conv1D(", "layers.MaxPooling1D(",
                 "layers.AveragePooling1D(", "layers.GlobalMaxPooling1D(", "layers.GlobalAveragePooling1D(",
                 "layers.Flatten(", "layers.RepeatVector(", "layers.BatchNormalization(",
                 "layers.LayerNormalization(", "layers.Activation(", "layers.Dropout(", "layers.SpatialDropout1D(",
                 "layers.GaussianNoise(", "layers.Masking(", "frozen(", "merge_mode=None", "return_state=True",
                 "stateful=True", "mask_zero=True", "padding='causal'", "dilation_rate=", "strides=",
                 "recurrent_activation=", "reset_after=False", "go_backwards=True", "batch_size="]:
        assert call in text, call
    assert len(GENERATED) >= 60


CRAFTED = "x'),__import__('os').system('echo_owned'),('"


def test_a_crafted_name_cannot_inject_code():
    summary = summarize(f"dense:3:name={CRAFTED}", (4,), name="m\"\"\"'")
    tree = ast.parse(keras_module(summary))
    strings = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    assert CRAFTED in strings and "m\"\"\"'" in strings  # the names, whole, as string literals
    called = {ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    assert called <= {"keras.Sequential", "keras.Input", "layers.Dense", "frozen", "build_model().summary",
                      "build_model"}  # fmt: skip


def test_code_command_writes_stdout_or_a_file(tmp_path):
    runner = CliRunner()
    printed = runner.invoke(main, ["code", "--framework", "keras", "-i", "10,5", "lstm:8:seq", "dense:1"])
    assert printed.exit_code == 0 and "layers.LSTM(8, return_sequences=True, name='lstm')" in printed.stdout
    path = tmp_path / "model.py"
    written = runner.invoke(main, ["code", "--framework", "keras", "-i", "10,5", "lstm:8:seq", "dense:1", "-o",
                                   str(path)])  # fmt: skip
    assert written.exit_code == 0 and written.stdout == "" and path.read_text() == printed.stdout
    bad = runner.invoke(main, ["code", "--framework", "keras", "-i", "10,5", "lstm:8", "lstm:2"])
    assert bad.exit_code == 2 and "add ':seq' to layer 1" in bad.stderr
    assert runner.invoke(main, ["code", "-i", "10,5", "lstm:8"]).exit_code == 2  # --framework is required
