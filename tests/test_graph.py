"""Graphs (SPEC section 12): the program notation, the shape engine's walk of a
graph, and Keras's Functional summary, checked against real Keras's figures
(tests/fixtures/keras_graphs.json, made by make_keras_graph_fixtures.py)."""

import io
import json

import pytest
import rich.console
from click.testing import CliRunner
from conftest import FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnshape.cli import main
from rnnshape.errors import InputError
from rnnshape.graph import MAX_NESTING, ProgramError, chain, looks_like_program, parse_program
from rnnshape.render import View, print_table
from rnnshape.shapes import format_shape, infer_graph, summarize

GRAPHS_FILE = FIXTURES / "keras_graphs.json"
GRAPHS = json.loads(GRAPHS_FILE.read_text())["graphs"] if GRAPHS_FILE.exists() else []
BUILT = [graph for graph in GRAPHS if "refused" not in graph]
REFUSED = [graph for graph in GRAPHS if "refused" in graph]

SEQ2SEQ = """# keras-io lstm_seq2seq
enc_in = input:None,71
_, h, c = lstm:256:state(enc_in)
dec_in = input:None,93
dec, _, _ = lstm:256:seq:state(dec_in, init=[h, c])
out = dense:93:act=softmax(dec)
"""


def summary_of(program: str, name: str | None = None):
    return infer_graph(parse_program(program), name=name)


def table(summary, columns: int = 80) -> str:
    """The table as Keras's print_fn captures it: plain text, no colours."""
    console = rich.console.Console(file=io.StringIO(), width=max(columns, 44), height=25, highlight=False,
                                   force_terminal=False, color_system=None)  # fmt: skip
    print_table(summary, "float32", console, columns)
    return console.file.getvalue()


def cli(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), input=stdin, env={"COLUMNS": "80"})


# The notation ----------------------------------------------------------------------


def test_seq2seq_reads_as_keras_code_does():
    graph = parse_program(SEQ2SEQ)
    assert [spec.text for spec in graph.layers] == ["input:None,71", "lstm:256:state", "input:None,93",
                                                    "lstm:256:seq:state", "dense:93:act=softmax"]  # fmt: skip
    decoder = graph.calls[3]
    assert [ref.call for ref in decoder.arguments] == [2] and [(ref.call, ref.output) for ref in decoder.init] == [
        (1, 1), (1, 2)]  # fmt: skip
    assert [ref.call for ref in graph.inputs] == [0, 2] and [ref.call for ref in graph.outputs] == [4]
    summary = infer_graph(graph)
    assert [row.name for row in summary.rows] == ["input_layer", "input_layer_1", "lstm", "lstm_1", "dense"]
    assert summary.rows[2].connected_to == ("input_layer[0][0]",)
    assert summary.rows[3].connected_to == ("input_layer_1[0][0]", "lstm[0][1]", "lstm[0][2]")
    assert summary.total_params == 718_173 and summary.connected


def test_statements_on_one_line_nested_calls_and_shared_layers():
    one_line = summary_of("a = input:20; b = input:20; emb = embedding:100:8:mask_zero; m = lstm:16; "
                          "y = dense:1:act=sigmoid(concat(m(emb(a)), m(emb(b))))")  # fmt: skip
    # Python constructs Dense(1) before it evaluates the arguments, so the Concatenate comes after it.
    assert [row.name for row in one_line.rows] == ["input_layer", "input_layer_1", "embedding", "not_equal",
                                                   "not_equal_1", "lstm", "concatenate", "dense"]  # fmt: skip
    lstm = one_line.rows[5]
    assert lstm.node_count == 2 and lstm.params == 1600  # one set of weights for both calls
    assert lstm.connected_to == ("embedding[0][0]", "not_equal[0][0]", "embedding[1][0]", "not_equal_1[0][0]")


def test_default_and_given_inputs_and_outputs():
    summary = summary_of("x = input:5,3\ny = input:4\nh = lstm:4(x)\nz = dense:2(h)\nw = dense:3(y)")
    assert [format_shape(shape) for shape in summary.output_shapes] == ["(None, 2)", "(None, 3)"]
    ordered = summary_of("x = input:5,3\ny = input:4\nh = lstm:4(x)\nz = dense:2(h)\nw = dense:3(y)\n"
                         "inputs y, x\noutputs w, h")  # fmt: skip
    assert [format_shape(shape) for shape in ordered.input_shapes] == ["(None, 4)", "(None, 5, 3)"]
    assert [format_shape(shape) for shape in ordered.output_shapes] == ["(None, 3)", "(None, 4)"]
    indexed = summary_of("x = input:5,3; s = lstm:4:state(x); y = dense:2(s[2])")
    assert indexed.rows[-1].connected_to == ("lstm[0][2]",)


def test_a_variable_may_be_called_inputs_or_shadow_a_kind():
    summary = summary_of("inputs = input:5,3\nlstm = lstm:4\ny = lstm(inputs)")
    assert [row.name for row in summary.rows] == ["input_layer", "lstm"]


def test_a_chain_is_the_stack_as_a_functional_model_and_a_stack_is_unchanged():
    functional = summary_of("x = input:10,5; y = lstm:8:seq(x); z = dense:1(y)")
    assert not functional.connected and functional.model == "functional"
    assert [row.name for row in functional.rows] == ["input_layer", "lstm", "dense"]
    stack = summarize("lstm:8:seq dense:1", (10, 5))
    assert [row.name for row in stack.rows] == ["lstm", "dense"] and stack.model == "sequential"
    assert stack == infer_graph(chain([row.spec for row in stack.rows], (10, 5)))


@pytest.mark.parametrize("text", ["simple:3 bi:8:seq", "lstm:8:act=relu dense:1", "reshape:-1,2",
                                  "concat:axis=1"])  # fmt: skip
def test_a_stack_is_not_taken_for_a_program(text):
    assert not looks_like_program(text)


@pytest.mark.parametrize("program, marked, words", [
    ("x = input:5,3; y = lstm:4(z)", "z", "'z' is not defined"),
    ("x = input:5,3; y = lstm:4(X)", "X", "did you mean 'x'?"),
    ("x = input:5,3; a, b = lstm:4(x)", "a, b", "2 names, but the right side gives one tensor"),
    ("x = input:5,3; a, b = lstm:4:state(x)", "a, b", "the call gives 3 outputs"),
    ("x = input:5,3; lstm:4(x)", "lstm:4(x)", "none of them"),
    ("x = input:5,3; y = lstm:4(x) dense:1", "dense:1", "unexpected text"),
    ("x = input:5,3; y = lstm:4(x, init=[x])", "lstm:4(x, init=[x])", "init= gives a state of shape (None, 5, 3)"),
    ("x = input:5,3; y = dense:4(x, init=[x])", "dense:4(x, init=[x])", "Dense has none"),
    ("x = input:5,3; y = x(x)", "x", "holds a tensor, not a layer"),
    ("x = input:5,3; y = add(x)", "add(x)", "Add takes 2 or more tensors, got 1"),
    ("x = input:5,3; z = input:5,4; y = add(x, z)", "add(x, z)", "do not fit together"),
    ("x = input:5,3; z = input:6,3; y = concat(x, z)", "concat(x, z)", "differ in a dim"),
    ("x = input:5,3; y = reshape:4,4(x)", "reshape:4,4(x)", "cannot be rearranged"),
    ("x = input:5,3; y = reshape:-1,4(x)", "reshape:-1,4(x)", "not a multiple of 4"),
    ("x = input:5,3; y = permute:1,1(x)", "permute:1,1(x)", "write each of 1 … 2 once"),
    ("x = input:5,3; y = lstm:4:seqq(x)", "seqq", "did you mean 'seq'?"),
    ("x = input:5,3; y = lstm:4(x); y2 = lstm:4:name=lstm(x)", "lstm:4:name=lstm(x)", "already taken"),
    ("x = input:5,3; y = lstm:4(x); z = y[0]", "[0]", "only a call's several outputs"),
    ("x = input:5,3:batch=0", "batch=0", "batch=B"),
])  # fmt: skip
def test_mistakes_are_one_message_with_a_caret_under_the_statement(program, marked, words):
    with pytest.raises(InputError) as caught:
        summary_of(program)
    message = str(caught.value)
    assert words in message, message
    lines = message.splitlines()
    assert len(lines) == 3 and lines[0].startswith("bad program, line 1")
    start = lines[2].index("^")
    assert lines[1][start : start + len(marked)] == marked, message


def test_no_output_and_no_input_are_said():
    with pytest.raises(InputError, match="no output"):
        summary_of("x = input:5,3; inputs x")  # every tensor is read: the input by its statement
    with pytest.raises(InputError, match="no input"):
        summary_of("m = lstm:4")


def test_hostile_programs_end_in_bounded_time():
    deep = "x = input:5,3; y = " + "relu(" * (MAX_NESTING + 5) + "x" + ")" * (MAX_NESTING + 5)
    with pytest.raises(ProgramError, match="nested more than"):
        summary_of(deep)
    long_name = "a" * 2**20
    with pytest.raises(ProgramError) as caught:
        summary_of(f"x = input:5,3; y = lstm:4({long_name})")
    assert len(str(caught.value)) < 600
    many = "x0 = input:4,3\n" + "\n".join(f"x{i} = dense:3(x{i - 1})" for i in range(1, 3000))
    summary = summary_of(many)
    assert len(summary.rows) == 3000 and summary.rows[-1].name == "dense_2998"
    inputs = summary_of("\n".join(f"v{i} = input:4" for i in range(3000)))  # each one an output too
    assert len(inputs.rows) == len(inputs.outputs) == 3000
    with pytest.raises(ProgramError, match="more than 20,000 calls"):
        summary_of("\n".join(f"v{i} = input:4" for i in range(20_001)))


@settings(max_examples=300)
@given(st.text(alphabet="xyz_=(),;:[] \n0123456789lstmdenseinputaddconcat", max_size=80))
def test_any_text_is_a_graph_or_one_input_error(text):
    try:
        summary_of(text)
    except InputError:
        pass


# The command line ---------------------------------------------------------------------


def test_a_program_from_a_file_stdin_and_an_argument(tmp_path):
    path = tmp_path / "seq2seq.rnn"
    path.write_text(SEQ2SEQ)
    from_file = cli("summary", "-f", str(path))
    assert from_file.exit_code == 0 and "lstm_1 (LSTM)" in from_file.stdout and "Connected to" in from_file.stdout
    assert cli("summary", "-", stdin=SEQ2SEQ).stdout == from_file.stdout
    one_argument = cli("summary", "; ".join(line for line in SEQ2SEQ.splitlines()[1:]))
    assert one_argument.stdout == from_file.stdout
    several_arguments = cli("summary", *SEQ2SEQ.splitlines()[1:])
    assert several_arguments.stdout == from_file.stdout


def test_json_has_the_rows_connections_inputs_and_outputs():
    result = cli("summary", "--json", SEQ2SEQ.replace("# keras-io lstm_seq2seq\n", ""))
    document = json.loads(result.stdout)
    assert [layer["type"] for layer in document["layers"]] == ["InputLayer", "InputLayer", "LSTM", "LSTM", "Dense"]
    assert document["layers"][3]["connected_to"] == ["input_layer_1[0][0]", "lstm[0][1]", "lstm[0][2]"]
    assert document["inputs"] == [{"tensor": "input_layer[0][0]", "shape": [None, None, 71]},
                                  {"tensor": "input_layer_1[0][0]", "shape": [None, None, 93]}]  # fmt: skip
    assert document["outputs"] == [{"tensor": "dense[0][0]", "shape": [None, None, 93]}]
    assert document["total_params"] == 718_173


@pytest.mark.parametrize("args, words", [
    (["-i", "10,5"], "leave out -i"),
    (["-b", "2"], "leave out -b"),
])  # fmt: skip
def test_what_graphs_do_not_take_is_refused(args, words):
    result = cli("summary", "x = input:5,3; z = input:5,3; y = add(x, z)", *args)
    assert result.exit_code == 2 and result.stdout == "" and words in result.stderr


def test_a_chain_runs_as_the_stack_it_is():
    program = cli("summary", "x = input:5,3; y = lstm:4(x); z = dense:2(y)", "--run", "--json")
    stack = cli("summary", "-i", "5,3", "lstm:4", "dense:2", "--run", "--json")
    assert program.exit_code == 0 and json.loads(program.stdout)["run"]["outputs"] == \
        json.loads(stack.stdout)["run"]["outputs"]  # fmt: skip


@pytest.mark.parametrize("program, words", [
    ("x = input:5,3; m = lstm:4; a = m(x); z = input:5,6; b = m(z)", "is called again on (None, 5, 6)"),
    ("x = input:5,3; _, h, c = lstm:8:state(x); y = lstm:16(x, init=[h, c])", "a state of 8 units"),
    ("x = input:5,3; _, h = gru:8:state(x); y = lstm:8(x, init=[h])", "gives 1 state, but a LSTM carries 2"),
    ("x = input:5,3; z = input:4; y = lstm:8(x)\ninputs x, z\noutputs y", "input 'input_layer_1' is not used"),
])  # fmt: skip
def test_what_keras_builds_but_is_probably_a_mistake_is_noted(program, words):
    """Keras 3.15 builds these (they fail when run); rnnshape prints the table and a note."""
    result = cli("summary", program)
    assert result.exit_code == 0 and "Model:" in result.stdout and words in result.stderr, result.stderr


def test_a_mask_a_graph_drops_is_noted():
    result = cli("summary", "x = input:6; e = embedding:9:3:mask_zero(x); f = flatten(e); y = dense:1(f)")
    assert result.exit_code == 0 and "'flatten' (Flatten) drops the mask made by 'embedding'" in result.stderr


# Real Keras's figures -------------------------------------------------------------------


def graph_id(graph):
    return graph["id"]


@pytest.mark.skipif(not GRAPHS, reason="tests/fixtures/keras_graphs.json not made yet")
def test_the_fixtures_cover_the_graphs_the_issue_names():
    assert len(BUILT) >= 120 and len(REFUSED) >= 10
    for name in ["seq2seq", "siamese", "two_input", "autoencoder", "attention"]:  # the hand-written kinds of graph
        assert any(name in graph["id"] for graph in BUILT), name
    assert sum("summary_80" in graph for graph in BUILT) >= 80 and sum("trainable_80" in graph for graph in BUILT) >= 20


@pytest.mark.parametrize("graph", BUILT, ids=graph_id)
def test_names_shapes_counts_and_connections_equal_keras(graph):
    summary = summary_of(graph["program"], graph["name"])
    rows = [{"name": row.name, "type": row.type, "output_shape": _json_shape(row.output_shape),
             "params": row.params, "connected_to": list(row.connected_to)} for row in summary.rows]  # fmt: skip
    keras = [{key: row[key] for key in ("name", "type", "output_shape", "params", "connected_to")}
             for row in graph["rows"]]  # fmt: skip
    assert rows == keras
    assert (summary.total_params, summary.trainable_params, summary.non_trainable_params) == (
        graph["total_params"], graph["trainable_params"], graph["non_trainable_params"])  # fmt: skip
    assert [list(weight.shape) for row in summary.layers for weight in row.weights] == graph["weight_shapes"]


@pytest.mark.parametrize("graph", [graph for graph in BUILT if "summary_80" in graph], ids=graph_id)
def test_the_table_equals_keras_character_for_character(graph):
    summary = summary_of(graph["program"], graph["name"])
    assert table(summary, 80) == graph["summary_80"]
    if "summary_120" in graph:
        assert table(summary, 120) == graph["summary_120"]


@pytest.mark.parametrize("graph", [graph for graph in BUILT if "trainable_80" in graph], ids=graph_id)
def test_the_trainable_column_equals_keras(graph):
    console = rich.console.Console(file=io.StringIO(), width=80, height=25, highlight=False, force_terminal=False,
                                   color_system=None)  # fmt: skip
    print_table(summary_of(graph["program"], graph["name"]), "float32", console, 80, View(show_trainable=True))
    assert console.file.getvalue() == graph["trainable_80"]


@pytest.mark.parametrize("graph", REFUSED, ids=graph_id)
def test_what_keras_refuses_is_bad_input(graph):
    with pytest.raises(InputError):
        summary_of(graph["program"], graph["name"])


def _json_shape(shape):
    return [list(one) for one in shape] if isinstance(shape, list) else list(shape)


# The forward pass -------------------------------------------------------------------

FORWARD_FILE = FIXTURES / "keras_graphs_forward.npz"
FORWARD = [graph for graph in BUILT if "forward" in graph]


def keras_run(graph):
    """Keras's weights, inputs and outputs for a graph, and rnnshape's summary of it
    at the inputs' concrete shapes."""
    import numpy as np

    from rnnshape.graph import with_input_shapes

    arrays = np.load(FORWARD_FILE)
    counts, name = graph["forward"], graph["id"]
    inputs = [arrays[f"{name}/x{number}"] for number in range(counts["inputs"])]
    weights = [arrays[f"{name}/w{number}"] for number in range(counts["weights"])]
    outputs = [arrays[f"{name}/y{number}"] for number in range(counts["outputs"])]
    parsed = parse_program(graph["program"])
    summary = infer_graph(with_input_shapes(parsed, [x.shape for x in inputs]), name=graph["name"])
    return summary, weights, inputs, outputs


@pytest.mark.parametrize("graph", FORWARD, ids=graph_id)
def test_the_forward_pass_equals_keras_predict(graph):
    """float64 against Keras's float32 (jax backend), masks, shared layers and states included."""
    import numpy as np

    from rnnshape.forward import forward

    summary, weights, inputs, outputs = keras_run(graph)
    given = iter(weights)
    arrays = [[next(given).astype(np.float64) for _ in row.weights] for row in summary.rows]
    assert next(given, None) is None  # as many arrays as Keras's get_weights()
    results = forward(summary, arrays, [x.astype(np.float64) if x.dtype.kind == "f" else x for x in inputs])
    results = results if isinstance(results, list) else [results]
    assert len(results) == len(outputs)
    for result, expected in zip(results, outputs):
        np.testing.assert_allclose(result, expected, rtol=1e-4, atol=1e-4)


def test_the_forward_fixtures_cover_masks_states_shared_layers_and_attention():
    if not FORWARD:
        pytest.skip("tests/fixtures/keras_graphs_forward.npz not made yet")
    programs = [graph["program"] for graph in FORWARD]
    for word in ["mask_zero", "masking", "init=[", "attention(", "additive_attention", "mha:", "dot:", "cell:",
                 "minimum(", "multiply(", "concat("]:  # fmt: skip
        assert any(word in program for program in programs), word
    assert len(FORWARD) >= 100


def test_run_on_several_inputs_from_an_npz(tmp_path):
    """--input-data FILE.npz: an array per input, by the inputs' names (or arr_0 ...); the
    outputs of a model of several outputs saved as an .npz."""
    import numpy as np

    program = "a = input:4,3:name=left; b = input:4,3:name=right; s = add(a, b); y = lstm:2(s); z = dense:1(b)"
    data = tmp_path / "x.npz"
    rng = np.random.default_rng(0)
    left, right = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 4, 3))
    np.savez(data, right=right, left=left)
    out = tmp_path / "y.npz"
    result = cli("summary", program, "--run", "--input-data", str(data), "--save-output", str(out), "--json")
    assert result.exit_code == 0, result.stderr
    by_name = np.load(out)
    np.savez(data, left, right)  # arr_0, arr_1 in input order: the same run
    again = tmp_path / "y2.npz"
    assert cli("summary", program, "--run", "--input-data", str(data), "--save-output", str(again)).exit_code == 0
    for key in ("arr_0", "arr_1"):
        np.testing.assert_array_equal(by_name[key], np.load(again)[key])
    assert json.loads(result.stdout)["run"]["output_shape"] == [[2, 2], [2, 4, 1]]
    np.savez(data, left=left)
    missing = cli("summary", program, "--run", "--input-data", str(data))
    assert missing.exit_code == 2 and "name them left, right" in missing.stderr


KERAS2 = json.loads((FIXTURES / "keras2_graphs.json").read_text())["graphs"]


@pytest.mark.parametrize("graph", KERAS2, ids=graph_id)
def test_the_plain_format_of_a_graph_is_keras_2s_summary(graph):
    """tf.keras 2.15's layout: no mask rows, three columns for a chain, Connected to as a list."""
    result = cli("summary", graph["program"], "--format", "plain", "--name", graph["id"])
    assert result.exit_code == 0 and result.stdout == graph["summary"]


SAVED_GRAPHS = sorted((FIXTURES / "graphs").glob("*.keras")) if (FIXTURES / "graphs").exists() else []
BY_ID = {graph["id"]: graph for graph in GRAPHS}


@pytest.mark.parametrize("path", SAVED_GRAPHS + [path.with_suffix(".json") for path in SAVED_GRAPHS], ids=str)
def test_saved_functional_models_give_keras_s_tables(path):
    """--from reads the model Keras saved (.keras, and to_json()) as the program it was built from."""
    graph = BY_ID[path.stem]
    result = CliRunner().invoke(main, ["summary", "--from", str(path)], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.stderr
    assert result.stdout == graph["summary_120"]


@pytest.mark.parametrize("path", SAVED_GRAPHS, ids=str)
def test_spec_from_a_saved_graph_is_its_program(path):
    program = cli("spec", "--from", str(path))
    assert program.exit_code == 0, program.stderr
    name = program.stdout.split()[2].rstrip(":")  # "# model NAME: ..."
    again = CliRunner().invoke(main, ["summary", "-", "--name", name], input=program.stdout, env={"COLUMNS": "120"})
    assert again.stdout == BY_ID[path.stem]["summary_120"]


@pytest.mark.parametrize("path", [path for path in SAVED_GRAPHS if "forward" in BY_ID.get(path.stem, {})], ids=str)
def test_weights_of_a_saved_graph_are_keras_s_get_weights(path):
    import numpy as np

    from rnnshape.saved import read_model
    from rnnshape.weights import load_weights

    saved = read_model(str(path))
    summary = infer_graph(saved.model_graph(), name=saved.name)
    loaded = [array for row in load_weights(str(path), summary, "float32") for array in row]
    arrays = np.load(FORWARD_FILE)
    expected = [arrays[f"{path.stem}/w{number}"] for number in range(BY_ID[path.stem]["forward"]["weights"])]
    assert len(loaded) == len(expected)
    for mine, theirs in zip(loaded, expected):
        np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize("program, words", [
    ("x = input:5,3; _, h, c = lstm:8:state(x); y = lstm:16(x, init=[h, c])", "a state of 8 units to a cell of 16"),
    ("x = input:5,3; _, h = gru:8:state(x); y = lstm:8(x, init=[h])", "gives 1 states to a LSTM that carries 2"),
    ("x = input:5,3; _, h, c = lstm:8:state(x); y = simple:8(x, init=[h, c])", "to a SimpleRNN that carries 1"),
    ("x = input:5,3; m = lstm:4; a = m(x); z = input:5,6; b = m(z)", "do not fit"),
    ("q = input:5,6; v = input:8,4; y = attention(q, v)", "query's features (6) and its key's (4) differ"),
    ("i = input:5; e = embedding:9:6:mask_zero(i); y = softmax(e)", "cannot broadcast to its input (None, 5, 6)"),
])  # fmt: skip
def test_what_keras_builds_but_cannot_run_is_refused_by_run(program, words):
    """The table is printed (Keras builds these); --run says why Keras fails to run them."""
    assert cli("summary", program).exit_code == 0
    result = cli("summary", program, "--run")
    assert result.exit_code == 2 and result.stdout == "" and words in result.stderr, result.stderr


def test_a_gru_given_two_states_runs_on_the_first_as_keras_does():
    import numpy as np

    two = cli("summary", "x = input:5,3; _, h, c = lstm:8:state(x); y = gru:8(x, init=[h, c])", "--run", "--json")
    one = cli("summary", "x = input:5,3; _, h, c = lstm:8:state(x); y = gru:8(x, init=[h]); outputs y", "--run",
              "--json")  # fmt: skip
    assert two.exit_code == 0 and "carries 1" in two.stderr
    assert np.isclose(json.loads(two.stdout)["run"]["mean"], json.loads(one.stdout)["run"]["mean"])


# Found by a review: each a regression test ------------------------------------------

CRAFTED = FIXTURES / "crafted_graphs"


@pytest.mark.parametrize("name, words", [
    ("cycle", "in a cycle"), ("dense_init", "only a recurrent layer takes"), ("huge_out", "reads output 1000"),
    ("input_is_dense", "not an input layer"), ("out_index", "reads output 5 of 'd'"),
    ("read_index", "reads output 3 of 'x'"), ("zero_dim", "no usable batch_shape"),
])  # fmt: skip
def test_crafted_functional_configs_are_bad_input(name, words):
    result = cli("summary", "--from", str(CRAFTED / f"{name}.json"))
    assert result.exit_code == 2 and result.stdout == "" and words in result.stderr, result.stderr


def test_two_embeddings_of_one_input_keep_both_saved_mask_names():
    result = cli("summary", "--from", str(CRAFTED / "two_emb.json"), "--json")
    names = [layer["name"] for layer in json.loads(result.stdout)["layers"]]
    assert "not_equal" in names and "not_equal_1" in names and len(names) == len(set(names))


@pytest.mark.parametrize("name", ["float_ids", "in_int_dense"])
def test_ids_in_a_float_input_and_an_int_input_read_by_dense_run(name):
    """Keras's default Input is float32, and an Embedding casts its ids; an int
    input read by a Dense gets real values, not uninitialised memory."""
    result = cli("summary", "--from", str(CRAFTED / f"{name}.json"), "--run", "--json")
    assert result.exit_code == 0, result.stderr
    run = json.loads(result.stdout)["run"]
    assert all(abs(output["mean"]) < 100 for output in run["outputs"])


@pytest.mark.parametrize("program, words", [
    ("x = input:5; e = embedding:10:4:mask_zero(x); y = lstm:3:name=not_equal_1(e); "
     "z = embedding:10:4:mask_zero(x); w = lstm:3(z)", "already taken"),
    ("x = input:5,3:name=not_equal; e = masking(x); y = lstm:3(e)", "already taken"),
    ("x = input:5,3; m = lstm:4; outputs m", "holds a layer"),
    ("x = input:5,3; m = lstm:4; inputs m", "holds a layer"),
    ("a = input:6; b = input:3; m = dense:4; y = m(a); z = m(b)", "Keras refuses to call it on"),
])  # fmt: skip
def test_names_and_shared_layers_keras_refuses(program, words):
    with pytest.raises(InputError, match=words):
        summary_of(program)


def test_additive_attention_and_attention_of_unequal_steps_run_or_say_why():
    assert cli("summary", "x = input:5,3; y = additive_attention(x, x)", "--run").exit_code == 0
    result = cli("summary", "q = input:4,4; v = input:5,3; k = input:4,4; y = attention(q, v, k)", "--run")
    assert result.exit_code == 2 and "key's steps (4) and its value's (5) differ" in result.stderr


def test_an_npz_member_without_the_npy_suffix_is_read(tmp_path):
    import zipfile

    import numpy as np

    buffer = io.BytesIO()
    np.save(buffer, np.ones((2, 5, 3), np.float32))
    with zipfile.ZipFile(tmp_path / "x.npz", "w") as archive:
        archive.writestr("arr_0", buffer.getvalue())
    result = cli("summary", "-i", "5,3", "lstm:2", "--run", "--input-data", str(tmp_path / "x.npz"))
    assert result.exit_code == 0, result.stderr


def test_a_masked_softmax_broadcasts_its_mask_as_keras_does():
    """Keras aligns a (batch, steps) mask with the input's last two axes: with as many
    steps as features and a batch of one it runs, and masks along the features."""
    import numpy as np

    from rnnshape.forward import forward
    from rnnshape.weights import initial_weights

    summary = summary_of("x = input:4:batch=1; e = embedding:9:4:mask_zero(x); y = softmax(e)")
    weights = initial_weights(summary, 0, "float64")
    output = forward(summary, weights, [np.array([[3, 5, 0, 0]])])
    assert np.allclose(output[0, :, 2:], 0) and np.allclose(output[0, :, :2].sum(axis=-1), 1)


@pytest.mark.parametrize("path", [path for path in SAVED_GRAPHS if all(
    None not in one["shape"][1:] for one in BY_ID.get(path.stem, {}).get("inputs", [{"shape": [None, None]}]))],
    ids=str)  # fmt: skip
def test_weights_of_a_saved_graph_from_a_weights_h5_file(path, tmp_path):
    """A .keras file holds model.weights.h5, the file model.save_weights writes: --weights reads it alone too."""
    import zipfile

    pytest.importorskip("h5py")
    with zipfile.ZipFile(path) as archive:
        (tmp_path / "m.weights.h5").write_bytes(archive.read("model.weights.h5"))
    from_h5 = cli("summary", "--from", str(path), "--run", "--weights", str(tmp_path / "m.weights.h5"), "--json",
                  "--seed", "3")  # fmt: skip
    from_keras = cli("summary", "--from", str(path), "--run", "--weights", str(path), "--json", "--seed", "3")
    assert from_h5.exit_code == 0, from_h5.stderr
    assert json.loads(from_h5.stdout)["run"]["outputs"] == json.loads(from_keras.stdout)["run"]["outputs"]


def test_details_expand_csv_and_markdown_of_a_graph():
    program = "x = input:6,3; y = bi:lstm:4:seq(x); z = input:6,8; s = add(y, z); a = attention(s, y)"
    expanded = cli("summary", program, "--expand", "--format", "markdown").stdout
    assert "└ forward_lstm (LSTM)" in expanded and "└ backward_lstm (LSTM)" in expanded
    rows = cli("summary", program, "--format", "csv", "--expand").stdout.splitlines()
    assert rows[0].startswith("name,type,spec") and any(row.startswith("forward_lstm,LSTM,") for row in rows)
    names = [row.split(",")[0] for row in rows[1:]]  # Keras's order: deepest first, so the inputs come apart
    assert names[:2] == ["input_layer", "bidirectional"] and names.index("input_layer_1") > names.index("bidirectional")
    details = json.loads(cli("summary", program, "--json", "--details").stdout)
    by_name = {layer["name"]: layer for layer in details["layers"]}
    assert by_name["attention"]["mult_adds"] == 6 * 6 * (8 + 8)  # Tq · Tv · (D_key + D_value), a batch of one
    assert by_name["bidirectional"]["mult_adds"] == 2 * 6 * 4 * 4 * (3 + 4)
    assert details["mult_adds"] == sum(layer["mult_adds"] for layer in details["layers"])
    table = CliRunner().invoke(main, ["summary", program, "--expand", "--details"], env={"COLUMNS": "200"}).stdout
    assert "Connected to" in table and "Mult-Adds" in table and "forward_lstm" in table


@pytest.mark.parametrize("command", [["code", "--framework", "pytorch"], ["code", "--framework", "keras"], ["plot"],
                                     ["plot", "--format", "dot"], ["plot", "--unroll"]])  # fmt: skip
def test_a_program_of_an_input_alone_is_a_model_of_its_input(command):
    """Found by benchmarks/fuzz_cli.py: `code` on a program whose only output is its input
    was an internal error. It is a model whose output is its input, as
    keras.Model(x, x) is: its code returns the input, its picture is one box."""
    result = cli(*command, "x0 = input:6,3\nm1 = lstm:2")
    assert result.exit_code == 0 and result.stderr == "", result.stderr
    assert {"pytorch": "return input_layer", "keras": "outputs=input1"}.get(command[-1], "input_layer") in result.stdout
    assert cli("summary", "x0 = input:6,3", "--run").exit_code == 0


def test_names_in_connected_to_are_markup_as_keras_writes_them():
    """Keras's get_connections writes a layer's name into the rich markup of
    'Connected to' unescaped: 'c\\' escapes the bracket after it and prints
    c[0][0], and 'd[bold]x' prints dx (Keras 3.15.1 printed this very table for
    this model, a to_json() of it; its Layer column escapes the names)."""
    result = CliRunner().invoke(main, ["summary", "--from", str(CRAFTED / "markup_names.json")],
                                env={"COLUMNS": "80"})  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "│ c\\\\ (LSTM)" in result.stdout and "│ d[bold]x (Dense)" in result.stdout
    assert "│ c[0][0], dx[0][0] │" in result.stdout and "c\\[" not in result.stdout


def test_a_name_rich_cannot_read_as_markup_is_shown_as_text_in_connected_to():
    """Keras's summary fails on such a name; rnnshape's table shows it (no
    name reaches here with a '/' today: this guards the cell all the same)."""
    import rich.markup

    from rnnshape.render import _connections_markup

    assert rich.markup.render(_connections_markup(("d[/]x[1][0]", "c[0][2]"))).plain == "d[/]x[1][0], c[0][2]"
    assert rich.markup.render(_connections_markup(("c\\[0][0]",))).plain == "c[0][0]"


def test_a_gru_cell_given_two_states_fails_to_run_as_in_keras():
    """Keras 3.15 runs GRU(...)(x, initial_state=[h, c]) on h, but
    RNN(GRUCell(...)) hands the cell both states and fails when it runs."""
    program = "a = input:6,4; _, h, c = lstm:3:state(a); y = cell:gru:3:seq(a, init=[h, c])"
    assert cli("summary", program).exit_code == 0
    for command in (["summary", program, "--run"], ["code", "--framework", "pytorch", program]):
        result = cli(*command)
        assert result.exit_code == 2 and result.stdout == "" and "carries 1" in result.stderr, result.stderr
    assert cli("summary", program.replace("cell:gru", "gru"), "--run").exit_code == 0
