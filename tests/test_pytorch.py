"""rnnshape code --framework pytorch: the generated modules, as real PyTorch ran
them with Keras's weights converted (tests/fixtures/make_keras_fixtures.py).

Neither PyTorch nor Keras is needed here: the fixtures hold what PyTorch
computed with each module, and the hash of the module's text, so a module that
changes since must be run again before these tests pass.
"""

import ast
import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import rnnshape
from conftest import FIXTURES
from rnnshape import summarize
from rnnshape.cli import main
from rnnshape.forward import forward
from rnnshape.kinds import GRAPH_KINDS, KINDS
from rnnshape.pytorch import ACTIVATIONS, PARTS, helpers, attribute_names, pytorch_module, state_dict, state_shapes

RECORDS = json.loads((FIXTURES / "keras_pytorch.json").read_text(encoding="utf-8"))
TORCH = np.load(FIXTURES / "keras_pytorch.npz")
FORWARD_STACKS = json.loads((FIXTURES / "keras_forward.json").read_text(encoding="utf-8"))["stacks"]
KERAS = np.load(FIXTURES / "keras_forward.npz")


def sha256(text: str) -> str:
    """As the fixture script hashes a module: after its first line, which names
    rnnshape's version (a new version alone does not need new fixtures)."""
    return hashlib.sha256(text.split("\n", 1)[1].encode("utf-8")).hexdigest()


def grouped(summary, flat: list) -> list:
    """Keras's flat get_weights() list, grouped by layer."""
    arrays = iter(flat)
    return [[next(arrays) for _ in row.weights] for row in summary.rows]


def header_count(text: str) -> int:
    return int(re.search(r"^Parameters: ([\d,]+),", text, re.MULTILINE).group(1).replace(",", ""))


def close_enough(output, expected, summary, weights, x, position):
    """Within 1e-5 (relative; 1e-6 absolute near 0), or, where a stack amplifies
    float32's rounding step after step, at least as close to the float64 result
    as the expected float32 output is (as test_forward checks rnnshape's own),
    give or take 1e-5 of the output vector's scale: an element of a vector
    whose other elements are 1e8 carries their rounding, whatever its size."""
    if np.allclose(output, expected, rtol=1e-5, atol=1e-6, equal_nan=True):
        return
    exact = forward(summary, [[a.astype(np.float64) for a in arrays] for arrays in weights],
                    x if x.dtype.kind in "iu" else x.astype(np.float64))  # fmt: skip
    exact = (exact if isinstance(exact, list) else [exact])[position]
    ours, theirs = np.abs(output - exact), np.abs(expected - exact)
    scale = np.abs(exact).max(axis=-1, keepdims=True)
    assert np.all(ours <= theirs + 1e-5 * scale + 1e-6), f"max excess {np.max(ours - theirs)}"


FORWARD = RECORDS["forward"]


def forward_case(record):
    stack = FORWARD_STACKS[record["number"]]
    number = record["number"]
    x = KERAS[f"{number}_x"]
    summary = summarize(stack["spec"], stack["input"], len(x))
    weights = grouped(summary, [KERAS[f"{number}_w{k}"] for k in range(stack["weights"])])
    count = stack["outputs"]
    keras = [KERAS[f"{number}_y"]] if count == 1 else [KERAS[f"{number}_y{k}"] for k in range(count)]
    torch = [TORCH[f"{number}_t{k}"] for k in range(count)]
    return summary, weights, x, keras, torch


@pytest.mark.parametrize("record", FORWARD, ids=lambda record: FORWARD_STACKS[record["number"]]["spec"])
def test_the_pytorch_module_computes_what_keras_computes(record):
    """PyTorch ran the module rnnshape generates today, with Keras's weights
    converted by rnnshape, on Keras's input: its outputs are Keras's."""
    summary, weights, x, keras, torch = forward_case(record)
    text = pytorch_module(summary)
    assert sha256(text) == record["sha256"], "the module changed: rerun tests/fixtures/make_keras_fixtures.py"
    assert len(torch) == len(keras)
    for position, (output, expected) in enumerate(zip(torch, keras)):
        assert output.shape == expected.shape and output.dtype == np.float32
        close_enough(output, expected, summary, weights, x, position)


@pytest.mark.parametrize("record", FORWARD, ids=lambda record: FORWARD_STACKS[record["number"]]["spec"])
def test_converted_weights_fit_the_module(record):
    """The state_dict rnnshape writes has the names, shapes and order of the
    module's own; the header's count is the module's parameter count."""
    summary, weights, _x, _keras, _torch = forward_case(record)
    layout = [(name, tuple(shape)) for name, shape in record["state"]]
    assert list(state_shapes(summary).items()) == layout
    assert [(name, array.shape) for name, array in state_dict(summary, weights).items()] == layout
    assert header_count(pytorch_module(summary)) == record["parameters"]


EXTRA = RECORDS["extra"]


def extra_case(number):
    record = EXTRA[number]
    x = TORCH[f"extra{number}_x"]
    summary = summarize(record["spec"], record["input"], len(x))
    weights = grouped(summary, [TORCH[f"extra{number}_w{k}"] for k in range(record["weights"])])
    torch = [TORCH[f"extra{number}_t{k}"] for k in range(record["outputs"])]
    return record, summary, weights, x, torch


@pytest.mark.parametrize("number", range(len(EXTRA)), ids=[record["spec"] for record in EXTRA])
def test_more_modules_compute_what_rnnshape_computes(number, golden):
    """Stacks where Keras's torch backend is no reference (same-padded average
    pooling, unroll with a mask backwards), and the golden modules: PyTorch's
    outputs equal rnnshape's forward pass, itself checked against Keras."""
    record, summary, weights, x, torch = extra_case(number)
    text = pytorch_module(summary)
    assert sha256(text) == record["sha256"], "the module changed: rerun tests/fixtures/make_keras_fixtures.py"
    compile(text, "generated.py", "exec")
    if record["golden"]:
        golden(f"pytorch/{record['golden']}.py", text)
    ours = forward(summary, weights, x)
    ours = ours if isinstance(ours, list) else [ours]
    assert len(torch) == len(ours)
    for position, (output, expected) in enumerate(zip(torch, ours)):
        assert output.shape == expected.shape
        close_enough(output, expected, summary, weights, x, position)
    assert [[name, list(array.shape)] for name, array in state_dict(summary, weights).items()] == record["state"]


BUILT = RECORDS["built"]


@pytest.mark.parametrize("record", BUILT, ids=lambda record: f"{record['spec']} @{record['input']}")
def test_modules_of_other_stacks_build_and_give_keras_shapes(record):
    """The stacks of the Keras codegen fixtures (random ones among them, None
    timesteps too): PyTorch built each module and ran it."""
    summary = summarize(record["spec"], record["input"], record["batch"])
    text = pytorch_module(summary)
    assert sha256(text) == record["sha256"], "the module changed: rerun tests/fixtures/make_keras_fixtures.py"
    assert list(state_shapes(summary).items()) == [(name, tuple(shape)) for name, shape in record["state"]]
    assert header_count(text) == record["parameters"]
    # PyTorch ran it on zeros with 5 steps where the steps are None.
    concrete = summarize(record["spec"], [5 if dim is None else dim for dim in record["input"]], record["batch"] or 2)
    assert record["output_shapes"] == [list(shape) for shape in concrete.rows[-1].outputs]


def all_texts() -> str:
    texts = [pytorch_module(forward_case(record)[0]) for record in FORWARD]
    texts += [pytorch_module(extra_case(number)[1]) for number in range(len(EXTRA))]
    return "\n".join(texts)


def test_the_executed_modules_cover_every_kind_and_every_piece_of_custom_code():
    text = all_texts()
    graph_only = {"masked_multiply", "masked_extremum", "masked_softmax", "KerasPReLU", "KerasAttention",
                  "KerasMultiHeadAttention"}  # graphs' kinds, run in test_pytorch_graphs
    for helper in set(helpers()) - graph_only:
        assert re.search(rf"^(def|class) {helper}\(", text, re.MULTILINE), helper
    for call in ["nn.RNN(", "nn.LSTM(", "nn.GRU(", "nn.Linear(", "nn.Embedding(", "nn.Conv1d(", "nn.MaxPool1d(",
                 "nn.AvgPool1d(", "nn.BatchNorm1d(", "nn.LayerNorm(", "nn.Dropout(", "nn.Dropout1d(", "KerasRNN(\"rnn\"",
                 "KerasRNN(\"lstm\"", "KerasRNN(\"gru\"", "reset_after=False", "bidirectional=True", "stateful=True",
                 "recurrent_dropout=", "nonlinearity=\"relu\"", "bias=False", "padding=\"same\"", "F.pad(",
                 "F.batch_norm(", "requires_grad_(False)", ".flip(1)", "mask = x != 0", "mask = (x !=",
                 "x.amax(1)", "x.mean(1)", "weights.sum(1)", "x.flatten(1)", ".repeat(1, ", "GaussianNoise(",
                 "x = (x[..., :", ") / 2", "h[0] * h[1]"]:  # fmt: skip
        assert call in text, call
    used = {name for name in ACTIVATIONS if f"{ACTIVATIONS[name]}(" in text or f"={ACTIVATIONS[name]}" in text}
    assert used == set(ACTIVATIONS), set(ACTIVATIONS) - used
    assert set(PARTS) - GRAPH_KINDS == set(KINDS.values()) - GRAPH_KINDS
    assert len(FORWARD) + len(EXTRA) >= 60


def test_the_header_explains_the_custom_parts_and_the_counts():
    """GRU (reset_after=False): 3*4*(2+4) + 12 = 84 in Keras, 96 with PyTorch's two
    biases; LSTM: 4*3*(4+3) + 12 = 96 in Keras, 108 in PyTorch; BatchNorm: 12 in
    Keras, 6 parameters in PyTorch. 192 and 210 in all."""
    spec = "masking gru:4:seq:reset_after=false lstm:3:act=relu bn"
    summary = summarize(spec, (6, 2))
    assert (summary.total_params, summarize(spec, (6, 2), convention="torch").total_params) == (192, 210)
    header = pytorch_module(summary).split('"""')[1]
    flat = " ".join(header.split())
    assert "self.gru: reset_after=False" in flat and "a mask (nn.GRU with packed sequences" in flat
    assert "self.lstm: activation relu (nn.LSTM has tanh only)" in flat
    assert "Parameters: 210, as rnnshape summary --convention torch counts them; Keras counts 192" in flat
    assert "two biases, bias_ih and bias_hh" in flat and "buffers in PyTorch" in flat
    assert all(len(line) <= 100 for line in header.splitlines())
    assert sum(int(np.prod(shape)) for name, shape in state_shapes(summary).items()
               if "running" not in name and "num_batches" not in name) == 210  # fmt: skip


CRAFTED = "x'),__import__('os').system('echo_owned'),('"


@pytest.mark.parametrize("name", [CRAFTED, 'a"""b', "forward", "training", "class", "1st", "_private", "lstm.1",
                                  "π", "dense-1"])
def test_a_crafted_name_cannot_reach_the_code(name):
    summary = summarize(f"lstm:3:seq:name={name} dense:2", (4, 2), name="m\"\"\"'")
    text = pytorch_module(summary)
    tree = ast.parse(text)
    strings = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    assert not any(name in string for string in strings if name not in {"forward", "training"})
    attribute = attribute_names(summary)[0]
    assert attribute.isidentifier() and f"self.{attribute} = nn.LSTM(" in text
    assert attribute not in {"forward", "training", "class"}
    assert attribute.isascii()
    if name.isidentifier() and name.isascii() and name not in {"forward", "training", "class"} and name[0] != "_":
        assert attribute == name


def test_attribute_names_are_distinct():
    summary = summarize("dense:2:name=a-b dense:2:name=a_b dense:2:name=a.b", (3,))
    assert attribute_names(summary) == ["a_b", "a_b_2", "a_b_3"]


def test_code_command_prints_and_writes(tmp_path):
    runner = CliRunner()
    args = ["code", "--framework", "pytorch", "-i", "10,5", "lstm:8:seq", "dense:1"]
    printed = runner.invoke(main, args)
    assert printed.exit_code == 0 and "self.lstm = nn.LSTM(5, 8, batch_first=True)" in printed.stdout
    compile(printed.stdout, "generated.py", "exec")
    module, state = tmp_path / "model.py", tmp_path / "state.npz"
    written = runner.invoke(main, args + ["-o", str(module), "--save-weights", str(state), "--seed", "3"])
    assert written.exit_code == 0 and written.stdout == "" and module.read_text() == printed.stdout
    summary = summarize("lstm:8:seq dense:1", (10, 5))
    with np.load(state) as saved:
        assert [(name, saved[name].shape) for name in saved.files] == list(state_shapes(summary).items())
        assert np.all(saved["lstm.bias_hh_l0"] == 0) and np.all(saved["lstm.bias_ih_l0"][8:16] == 1)  # forget bias


def test_weights_are_converted_to_pytorch_layouts(tmp_path):
    """Gate order, transposes and split biases, from a known Keras layout."""
    summary = summarize("gru:2:seq bi:lstm:1 dense:3", (4, 3))
    rng = np.random.default_rng(0)
    weights = [[rng.normal(size=w.shape).astype(np.float32) for w in row.weights] for row in summary.rows]
    state = state_dict(summary, weights)
    kernel, _recurrent, bias = weights[0]
    z, r, h = (kernel[:, 2 * k : 2 * k + 2] for k in range(3))
    np.testing.assert_array_equal(state["gru.weight_ih_l0"], np.concatenate([r, z, h], axis=1).T)
    np.testing.assert_array_equal(state["gru.bias_hh_l0"], np.concatenate([bias[1][2:4], bias[1][:2], bias[1][4:]]))
    np.testing.assert_array_equal(state["bidirectional.weight_hh_l0_reverse"], weights[1][4].T)
    np.testing.assert_array_equal(state["bidirectional.bias_ih_l0"], weights[1][2])
    assert not state["bidirectional.bias_hh_l0_reverse"].any()
    np.testing.assert_array_equal(state["dense.weight"], weights[2][0].T)
    conv = summarize("conv1d:2:3", (5, 4))
    kernel = rng.normal(size=(3, 4, 2)).astype(np.float32)
    converted = state_dict(conv, [[kernel, np.zeros(2, np.float32)]])["conv1d.weight"]
    assert converted.shape == (2, 4, 3) and converted[1, 2, 0] == kernel[0, 2, 1]


def test_code_command_options_are_checked(tmp_path):
    runner = CliRunner()
    base = ["code", "-i", "10,5", "lstm:8"]
    cases = [
        (["--framework", "keras", "--save-weights", str(tmp_path / "s.npz")], "for --framework pytorch"),
        (["--framework", "pytorch", "--weights", str(tmp_path / "w.npz")], "add --save-weights"),
        (["--framework", "pytorch", "--seed", "1"], "add --save-weights"),
        (["--framework", "pytorch", "--weights", str(tmp_path / "missing.npz"), "--save-weights",
          str(tmp_path / "s.npz")], "missing.npz"),  # fmt: skip
        (["--framework", "pytorch", "--save-weights", str(tmp_path / "no" / "s.npz")], "--save-weights"),
    ]
    for extra, message in cases:
        result = runner.invoke(main, base + extra)
        assert result.exit_code == 2 and message in result.stderr and result.stdout == "", extra
    assert not (tmp_path / "s.npz").exists()


def test_saved_keras_weights_convert_from_a_keras_file(tmp_path):
    pytest.importorskip("h5py")
    model = FIXTURES / "saved" / "model_40.keras"
    state = tmp_path / "state.npz"
    result = CliRunner().invoke(main, ["code", "--framework", "pytorch", "--from", str(model), "--weights", str(model),
                                       "--save-weights", str(state)])  # fmt: skip
    assert result.exit_code == 0, result.stderr
    from rnnshape.saved import read_model

    saved = read_model(str(model))
    summary = summarize(list(saved.specs), saved.dims, saved.batch, name=saved.name)
    with np.load(state) as arrays:
        assert [(name, arrays[name].shape) for name in arrays.files] == list(state_shapes(summary).items())


def test_the_module_is_made_from_keras_counts():
    with pytest.raises(ValueError, match="keras convention"):
        pytorch_module(summarize("lstm:3", (4, 2), convention="torch"))


def test_the_helpers_module_stands_alone_and_every_definition_uses_only_what_it_may():
    """rnnshape/torch_helpers.py, linted without PyTorch: every global name a
    definition reads is one of the module's imports or definitions, or a
    builtin (so its copied source works in the generated module), and the
    definitions the generator copies are exactly the module's."""
    import builtins
    import symtable

    path = Path(rnnshape.__file__).with_name("torch_helpers.py")
    source = path.read_text(encoding="utf-8")
    module = symtable.symtable(source, str(path), "exec")
    defined = {symbol.get_name() for symbol in module.get_symbols() if symbol.is_assigned() or symbol.is_imported()}
    allowed = defined | set(dir(builtins))
    waiting = list(module.get_children())
    assert {table.get_name() for table in waiting} == set(helpers())
    while waiting:
        table = waiting.pop()
        waiting += table.get_children()
        for symbol in table.get_symbols():
            if symbol.is_global() and symbol.is_referenced():
                assert symbol.get_name() in allowed, f"{table.get_name()} reads {symbol.get_name()}"
    assert helpers()["KerasRNN"].uses == {"project", "math"} and helpers()["average_pool_same"].uses == {"pad_same"}
