"""rnnshape explain: each layer's weights, their sum, equations, shape rule and mult-adds."""

import json

import pytest
from click.testing import CliRunner

from conftest import KERAS_STACKS, stack_id
from rnnshape import summarize
from rnnshape.cli import main
from rnnshape.explain import explain, params_formula
from rnnshape.graph import parse_program
from rnnshape.kinds import KINDS
from rnnshape.shapes import infer_graph
from rnnshape.spec import kind_words


def run(*args, columns="80"):
    result = CliRunner().invoke(main, ["explain", *args], env={"COLUMNS": columns})
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_the_seed_chapters_first_question():
    """Why 42? 10 x 3 + 3 x 3 + 3."""
    text = run("-i", "2,10", "simple:3")
    assert "params: kernel (10, 3) = 30 + recurrent_kernel (3, 3) = 9 + bias (3,) = 3 → 42" in " ".join(
        line.strip() for line in text.splitlines())  # fmt: skip
    assert "   sum: 30 + 9 + 3 = 42\n" in text
    assert "h_t = tanh(x_t · kernel + h_t-1 · recurrent_kernel + bias)" in text
    assert "mult-adds: T · U · (D + U) = 2 · 3 · (10 + 3) = 78 per sample" in text
    assert all(len(line) <= 80 for line in text.splitlines())


@pytest.mark.parametrize("stack", KERAS_STACKS, ids=stack_id)
def test_the_weights_add_up_to_keras_counts(stack):
    summary = summarize(stack["spec"], stack["input"], stack["batch"], name=stack["name"] or "sequential")
    document = explain(summary)
    for layer, keras in zip(document["layers"], stack["layers"]):
        assert [weight["shape"] for weight in layer["weights"]] == keras["weight_shapes"]
        assert sum(weight["count"] for weight in layer["weights"]) == layer["params"] == keras["params"]
        assert sum(weight["count"] for weight in layer["weights"] if weight["trainable"]) == keras["trainable_params"]
        assert layer["formula"].endswith(f"→ {keras['params']:,}")
    assert document["total_params"] == stack["total_params"]


def test_every_kind_explains_itself():
    specs = {"embedding": "embedding:9:3:mask_zero", "repeat": "repeat:3", "bi": "bi:gru:4:seq:merge=ave",
             "td": "td:dense:3", "dropout": "dropout:0.5", "activation": "activation:relu",
             "spatialdropout": "spatialdropout:0.5", "noise": "noise:0.1", "conv1d": "conv1d:4:3:pad=causal"}
    specs.update({"reshape": "reshape:-1,2", "permute": "permute:2,1", "mha": "mha:2:4", "cell": "cell:gru:4"})
    for word in kind_words():
        spec = specs.get(word, f"{word}:4" if word in ("simple", "lstm", "gru", "dense") else word)
        dims = {"embedding": (6,), "repeat": (3,)}.get(word, (6, 3))
        if KINDS[word].arity[0] > 1:  # a merge: in a graph, after its two inputs
            summary = infer_graph(parse_program(f"a = input:6,3:batch=2; b = input:6,3; y = {spec}(a, b)"))
            layer = explain(summary)["layers"][2]
        else:
            layer = explain(summarize(spec, dims, 2))["layers"][0]
        assert layer["equations"] and all(layer["equations"]) and layer["shape_rule"], word
        if layer["mult_adds_formula"] is not None:
            assert layer["mult_adds_per_sample"] * 2 == layer["mult_adds"], word
        else:
            assert layer["mult_adds"] == 0, word


def test_json_and_unknown_steps():
    document = json.loads(run("-i", "None,5", "lstm:4:frozen", "dense:1", "--json"))
    lstm = document["layers"][0]
    assert lstm["weights"][0] == {"name": "kernel", "shape": [5, 16], "count": 80, "trainable": False}
    assert lstm["formula"] == "kernel (5, 16) = 80 + recurrent_kernel (4, 16) = 64 + bias (16,) = 16 → 160"
    assert lstm["mult_adds"] is None and lstm["mult_adds_per_sample"] is None
    assert "unknown while T is None" in run("-i", "None,5", "lstm:4")


def test_formula_of_a_layer_without_weights():
    summary = summarize("globalmax", (4, 2))
    assert params_formula(summary.rows[0]) == "no weights → 0"


def test_bad_input_is_refused_like_summary():
    result = CliRunner().invoke(main, ["explain", "-i", "4,2", "lstm:0"])
    assert result.exit_code == 2 and result.stdout == "" and "units must be" in result.stderr
