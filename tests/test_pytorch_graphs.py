"""The PyTorch code of graphs: the modules rnnshape writes for Keras Functional
models, run by real PyTorch with Keras's weights converted
(tests/fixtures/keras_graphs_pytorch.json and .npz, made by
make_torch_graph_fixtures.py), against Keras's own outputs
(keras_graphs_forward.npz, made by make_keras_graph_fixtures.py). Neither
PyTorch nor Keras is needed here."""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import FIXTURES
from rnnshape.cli import main
from rnnshape.graph import parse_program
from rnnshape.kinds import KINDS, InputLayer
from rnnshape.pytorch import PARTS, helpers, pytorch_module, state_dict, state_shapes
from rnnshape.shapes import infer_graph

GRAPHS = {graph["id"]: graph for graph in json.loads((FIXTURES / "keras_graphs.json").read_text())["graphs"]}
KERAS = np.load(FIXTURES / "keras_graphs_forward.npz")
RECORDS = json.loads((FIXTURES / "keras_graphs_pytorch.json").read_text())["graphs"]
TORCH = np.load(FIXTURES / "keras_graphs_pytorch.npz")
RUN = [record for record in RECORDS if "sha256" in record]
EXTRA = json.loads((FIXTURES / "keras_graphs_pytorch.json").read_text())["extra"]


def numbered(arrays, gid: str, prefix: str) -> list:
    keys = sorted((key for key in arrays.files if key.startswith(f"{gid}/{prefix}")),
                  key=lambda key: int(key.rsplit("/", 1)[1][len(prefix):]))  # fmt: skip
    return [arrays[key] for key in keys]


def summary_of(gid: str):
    graph = GRAPHS[gid]
    return infer_graph(parse_program(graph["program"]), name=graph.get("name"))


def grouped(summary, flat: list) -> list:
    """Keras's flat get_weights() list, one list per row of the summary."""
    arrays = iter(flat)
    return [[next(arrays) for _ in row.weights] for row in summary.rows]


def sha256(text: str) -> str:
    return hashlib.sha256(text.split("\n", 1)[1].encode("utf-8")).hexdigest()


def test_every_graph_keras_ran_has_its_pytorch_module_run():
    ran_by_keras = {key.split("/")[0] for key in KERAS.files}
    assert {record["id"] for record in RECORDS} == ran_by_keras
    assert len(RUN) == len(RECORDS) >= 140  # none refused: Keras ran each one
    assert sum(record["id"].startswith("random_") for record in RUN) >= 90


@pytest.mark.parametrize("record", RUN, ids=[record["id"] for record in RUN])
def test_the_pytorch_module_of_a_graph_computes_what_keras_computes(record):
    """PyTorch ran the module rnnshape writes today, with Keras's weights
    converted by rnnshape, on Keras's inputs: every output within 1e-5 of
    Keras's; and the converted weights fit the module's state_dict."""
    gid = record["id"]
    summary = summary_of(gid)
    text = pytorch_module(summary)
    assert sha256(text) == record["sha256"], "the module changed: rerun tests/fixtures/make_torch_graph_fixtures.py"
    keras, torch = numbered(KERAS, gid, "y"), numbered(TORCH, gid, "y")
    assert len(torch) == len(keras) == record["outputs"] == len(summary.outputs)
    for output, expected in zip(torch, keras):
        assert output.shape == expected.shape
        assert np.max(np.abs(output - expected), initial=0) <= 1e-5
    layout = [(name, tuple(shape)) for name, shape in record["state"]]
    assert list(state_shapes(summary).items()) == layout
    weights = grouped(summary, numbered(KERAS, gid, "w"))
    assert [(name, array.shape) for name, array in state_dict(summary, weights).items()] == layout
    assert int(re.search(r"^Parameters: ([\d,]+),", text, re.M).group(1).replace(",", "")) == record["parameters"]


def test_the_run_modules_cover_every_kind_and_every_piece_of_graph_code():
    texts = "\n".join([pytorch_module(summary_of(record["id"])) for record in RUN]
                      + [pytorch_module(infer_graph(parse_program(record["program"]))) for record in EXTRA])
    for name in ["masked_multiply", "masked_extremum", "masked_softmax", "KerasPReLU", "KerasAttention",
                 "KerasMultiHeadAttention", "KerasRNN"]:  # fmt: skip
        assert re.search(rf"^(def|class) {name}\(", texts, re.M), name
    assert set(helpers()) <= set(re.findall(r"^(?:def|class) (\w+)\(", texts, re.M)) | {
        "sparsemax", "FrozenBatchNorm1d", "GaussianNoise", "average_pool_same", "log_softmax", "sparse_plus",
        "sparse_sigmoid", "squareplus", "leaky_relu", "linear"}  # stacks run those (test_pytorch)
    for piece in ["hx=(", "torch.stack([", "torch.cat([", "torch.einsum(", "F.normalize(", ".permute(0, ",
                  ".reshape(", " != 0", ".any(-1)", "torch.ones_like(", "torch.zeros_like(", ".unsqueeze(-1)",
                  "query_mask=", "value_mask=", "torch.maximum(", "torch.minimum(", " - ", ") / ", "F.leaky_relu(",
                  "F.elu(", "torch.relu(", "torch.softmax("]:  # fmt: skip
        assert piece in texts, piece
    kinds = {type(row.spec.layer) for record in RUN for row in summary_of(record["id"]).layers}
    assert set(PARTS) == set(KINDS.values()) - {InputLayer}
    assert set(PARTS) - kinds <= {KINDS[word] for word in ("noise", "spatialdropout", "bn", "avgpool")}


GOLDEN = ["seq2seq_lstm_small", "seq2seq_bilstm", "siamese", "luong_attention", "bahdanau_attention",
          "mha_self_attention"]  # fmt: skip


@pytest.mark.parametrize("gid", GOLDEN)
def test_golden_graph_modules(gid, golden):
    assert gid in {record["id"] for record in RUN}
    golden(f"pytorch/graph_{gid}.py", pytorch_module(summary_of(gid)))


def test_a_shared_layer_is_one_submodule_called_twice():
    summary = summary_of("siamese")
    text = pytorch_module(summary)
    shared = [row for row in summary.layers if row.node_count > 1]
    assert shared
    for row in shared:
        assert text.count(f"self.{row.name} = ") == 1
        assert text.count(f"self.{row.name}(") == row.node_count


def test_states_are_handed_over_in_pytorchs_form():
    text = pytorch_module(infer_graph(parse_program(
        "a = input:5,3; b = input:4,2; _, h, c = lstm:6:state(a); y = lstm:6:seq(b, init=[h, c]); "
        "_, f, g, p, q = bi:lstm:6:state(a); z = bi:lstm:6(b, init=[f, g, p, q]); _, s = gru:6:state(a); "
        "w = gru:6(b, init=[s])")))  # fmt: skip
    assert "hx=(lstm[1].unsqueeze(0), lstm[2].unsqueeze(0))" in text
    assert "hx=(torch.stack([bidirectional[1], bidirectional[3]]), torch.stack([bidirectional[2], bidirectional[4]]))" in text
    assert "hx=gru[1].unsqueeze(0)" in text


def test_a_gru_given_two_states_runs_on_the_first_as_keras_does():
    text = pytorch_module(infer_graph(parse_program(
        "a = input:5,3; _, h, c = lstm:6:state(a); y = gru:6(a, init=[h, c])")))  # fmt: skip
    assert "hx=lstm[1].unsqueeze(0))" in text


def test_the_code_of_a_graph_from_the_command_line_with_weights(tmp_path):
    program = "enc = input:7,3; _, h, c = lstm:4:state(enc); dec = input:5,2; y = lstm:4:seq(dec, init=[h, c]); " \
              "out = dense:2(y)"  # fmt: skip
    runner = CliRunner()
    weights = tmp_path / "keras.npz"
    summary = infer_graph(parse_program(program))
    rng = np.random.default_rng(0)
    np.savez(weights, *[rng.normal(size=weight.shape).astype(np.float32) for row in summary.rows for weight in row.weights])
    out, state = tmp_path / "model.py", tmp_path / "state.npz"
    result = runner.invoke(main, ["code", "--framework", "pytorch", program, "-o", str(out), "--weights", str(weights),
                                  "--save-weights", str(state)])  # fmt: skip
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "def forward(self, input_layer, input_layer_1):" in text and "return dense" in text
    saved = np.load(state)
    assert list(saved.keys()) == list(state_shapes(summary)) and saved["lstm.weight_ih_l0"].shape == (16, 3)
    kernel = np.load(weights)["arr_0"]  # Keras's (3, 16) kernel, gates i, f, c, o: PyTorch's i, f, g, o alike
    assert np.array_equal(saved["lstm.weight_ih_l0"], kernel.T)


def test_a_graph_keras_cannot_run_has_no_pytorch_code():
    result = CliRunner().invoke(main, ["code", "--framework", "pytorch",
                                       "x = input:5,3; y = input:4,2; z = attention(x, y)"])  # fmt: skip
    assert result.exit_code == 2 and result.stdout == ""
    assert "Keras builds this model but cannot run it" in result.stderr


@pytest.mark.parametrize("name", ["x", "mask", "torch", "self", "float", "x0", "mask1", "KerasRNN", "h", "return",
                                  "a-b", "1st", "a.b", "__init__", "_"])  # fmt: skip
def test_a_crafted_name_never_becomes_code(name):
    """Names reach the code only as identifiers made of them, never one the
    code uses itself: the module still parses, and no name is a statement."""
    program = (f"x = input:5,3:name={name}; a = lstm:4:seq:name={name}_1(x); b = dense:4:name={name}_3(x); "
               f"c = add:name={name}_2(a, b)")  # fmt: skip
    summary = infer_graph(parse_program(program))
    text = pytorch_module(summary)
    compile(text, "generated.py", "exec")
    forward = text.split("def forward(", 1)[1].split("\n\n", 1)[0]
    locals_written = re.findall(r"^        (\w+)(?:, \(h, c\))? = ", forward, re.M)
    assert not {"x", "mask", "torch", "self", "float", "h", "KerasRNN"} & set(locals_written)


@pytest.mark.parametrize("record", EXTRA, ids=[record["program"][:40] for record in EXTRA])
def test_more_graph_modules_compute_what_rnnshape_computes(record):
    """Pieces the Keras-run graphs do not reach (a masked Softmax, a
    Bidirectional given states, masked merges and attention): PyTorch ran the
    module with rnnshape's initial weights converted; its outputs equal
    rnnshape's forward pass (itself checked against Keras) on the same weights."""
    from rnnshape.forward import forward
    from rnnshape.weights import initial_weights

    number = EXTRA.index(record)
    summary = infer_graph(parse_program(record["program"]))
    text = pytorch_module(summary)
    assert sha256(text) == record["sha256"], "the module changed: rerun tests/fixtures/make_torch_graph_fixtures.py"
    weights = initial_weights(summary, record["seed"], "float32")
    assert [[name, list(array.shape)] for name, array in state_dict(summary, weights).items()] == record["state"]
    inputs = [TORCH[f"extra{number}/x{position}"] for position in range(record["inputs"])]
    ours = forward(summary, [[array.astype(np.float64) for array in arrays] for arrays in weights],
                   [x if x.dtype.kind in "iu" else x.astype(np.float64) for x in inputs])  # fmt: skip
    ours = ours if isinstance(ours, list) else [ours]
    torch = [TORCH[f"extra{number}/y{position}"] for position in range(record["outputs"])]
    assert len(ours) == len(torch) == len(summary.outputs)
    for output, expected in zip(torch, ours):
        assert output.shape == expected.shape
        assert np.max(np.abs(output - expected), initial=0) <= 1e-5


def test_the_readmes_training_example_is_the_one_pytorch_ran():
    """make_torch_graph_fixtures.py ran the README's example (the seq2seq module
    written by rnnshape code, trained one step): the README's block is that
    code, and it printed a loss near ln(93), a fresh model's on 93 classes."""
    readme = json.loads((FIXTURES / "keras_graphs_pytorch.json").read_text())["readme"]
    text = (FIXTURES.parent.parent / "README.md").read_text(encoding="utf-8")
    marker = "<!-- training example, run with PyTorch -->"
    example = text.split(marker, 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    assert hashlib.sha256(example.encode("utf-8")).hexdigest() == readme["sha256"], \
        "the README's example changed: rerun tests/fixtures/make_torch_graph_fixtures.py"  # fmt: skip
    loss = float(re.fullmatch(r"loss (\d+\.\d\d)\n", readme["printed"]).group(1))
    assert abs(loss - np.log(93)) < 0.5
    assert "from seq2seq import build_model" in example and "loss.backward()" in example


def test_the_forward_docs_show_is_the_one_rnnshape_writes():
    text = (FIXTURES.parent.parent / "docs" / "code.md").read_text(encoding="utf-8")
    shown = text.split("```\n    def forward(self, input_layer, input_layer_1):", 1)[1].split("```", 1)[0]
    program = (FIXTURES.parent.parent / "docs" / "examples" / "seq2seq.rnn").read_text(encoding="utf-8")
    written = pytorch_module(infer_graph(parse_program(program, comments=True)))
    assert "    def forward(self, input_layer, input_layer_1):" + shown in written


SAVED = sorted(path.stem for path in (FIXTURES / "graphs").glob("*.keras"))


@pytest.mark.parametrize("gid", SAVED)
def test_a_saved_graph_gives_the_module_pytorch_ran_with_its_own_weights(gid, tmp_path):
    """`code --from ID.keras --weights ID.keras`: the module of the saved model is
    the one PyTorch ran for its program (its lines; independent branches may come
    in another order, as the file orders Keras's nodes), and the weights read
    from the file convert to the state_dict whose outputs were Keras's."""
    pytest.importorskip("h5py")
    state = tmp_path / "state.npz"
    path = str(FIXTURES / "graphs" / f"{gid}.keras")
    result = CliRunner().invoke(main, ["code", "--framework", "pytorch", "--from", path, "--weights", path,
                                       "--save-weights", str(state)])  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = summary_of(gid)
    ran = pytorch_module(summary)
    assert sha256(ran) == next(record["sha256"] for record in RUN if record["id"] == gid)
    assert sorted(result.stdout.splitlines()) == sorted(ran.splitlines())
    expected = state_dict(summary, grouped(summary, numbered(KERAS, gid, "w")))
    saved = np.load(state)
    assert list(saved.keys()) == list(expected)
    for name, array in expected.items():
        assert np.array_equal(saved[name], array), name


@pytest.mark.parametrize("program, calls", [
    ("a = input:6,4; b = input:6,4; y = dense:4:name=x1(a); z = add(y, b)", ["t_x1 = self.x1(input_layer)"]),
    ("a = input:6,4; y = lstm:3:name=x(a)", ["t_x, (h, c) = self.x(input_layer)"]),
    ("a = input:6; e = embedding:9:4:mask_zero(a); y = lstm:3:name=mask(e); z = gru:2:name=x0(e)",
     ["t_mask, (h, c) = self.mask(embedding, not_equal)", "t_x0, h = self.x0(embedding, not_equal)"]),
    ("q = input:5,4; v = input:6,4; a = attention:name=mask1(q, v)", ["t_mask1 = self.mask1(input_layer, input_layer_1)"]),
])  # fmt: skip
def test_a_layer_named_as_the_parts_own_variables_is_called_as_itself(program, calls):
    """Found in review: a layer named x, mask, x0 or mask1 had its attribute
    renamed as if it were the call's tensor (self.input_layer(...), self.None(...))."""
    text = pytorch_module(infer_graph(parse_program(program)))
    compile(text, "generated.py", "exec")
    for call in calls:
        assert call in text
