"""rnnshape code --framework keras: the generated module, as real Keras built it."""

import ast
import base64
import hashlib
import json
import keyword
import re
import zlib

import pytest
from click.testing import CliRunner

from conftest import FIXTURES, as_lists
from rnnshape import summarize
from rnnshape.cli import main
from rnnshape.codegen import _program_form, _Variables, keras_module
from rnnshape.graph import parse_program
from rnnshape.kinds import KINDS
from rnnshape.render import render
from rnnshape.saved import read_model
from rnnshape.shapes import infer_graph

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


# Graphs: Keras functional code -------------------------------------------------------

GRAPH_CODE = json.loads((FIXTURES / "keras_graph_codegen.json").read_text(encoding="utf-8"))["graphs"]
PROGRAMS = {graph["id"]: graph for graph in json.loads((FIXTURES / "keras_graphs.json").read_text(encoding="utf-8"))
            ["graphs"]}  # fmt: skip


def graph_code_id(record):
    return record.get("id") or record["from"]


def code_arguments(record) -> list[str]:
    """The command-line arguments of the graph: its program and name, or --from its file."""
    if "from" in record:
        return ["--from", str(FIXTURES / record["from"])]
    program = PROGRAMS[record["id"]]
    return [program["program"]] + (["--name", program["name"]] if program["name"] else [])


def cli(*args: str):
    return CliRunner().invoke(main, list(args), env={"COLUMNS": "80"})


def keras_summary(record) -> str:
    return zlib.decompress(base64.b64decode(record["summary"])).decode("utf-8")


def graph_summary(record):
    """rnnshape's summary of the graph, as code takes it."""
    if "from" in record:
        saved = read_model(str(FIXTURES / record["from"]))
        graph, name = saved.model_graph(), saved.name
    else:
        program = PROGRAMS[record["id"]]
        graph, name = parse_program(program["program"]), program["name"]
    return infer_graph(graph, name=name)


def test_keras_built_the_code_of_every_graph():
    """Real Keras ran the generated module of every graph it builds, and refused none."""
    assert [graph_code_id(record) for record in GRAPH_CODE if "error" in record] == []
    assert len([record for record in GRAPH_CODE if "id" in record]) == len([graph for graph in PROGRAMS.values()
                                                                            if "refused" not in graph])  # fmt: skip
    assert len([record for record in GRAPH_CODE if "from" in record]) == len(list((FIXTURES / "graphs").glob("*.keras")))


@pytest.mark.parametrize("record", GRAPH_CODE, ids=graph_code_id)
def test_the_graph_module_is_the_one_keras_ran(record):
    """What rnnshape generates today is what the fixtures executed (regenerate them
    with tests/fixtures/make_keras_graph_code_fixtures.py after a change)."""
    result = cli("code", "--framework", "keras", *code_arguments(record))
    assert result.exit_code == 0, result.stderr
    assert hashlib.sha256(result.stdout.split("\n", 1)[1].encode("utf-8")).hexdigest() == record["sha256"]
    compile(result.stdout, "generated.py", "exec")


@pytest.mark.parametrize("record", GRAPH_CODE, ids=graph_code_id)
def test_keras_summary_of_the_graph_code_is_rnnshape_s(record):
    """Keras's model.summary() of the built module is `rnnshape summary` of the same
    program or saved file, character for character; and the weights, counts,
    inputs and outputs (one tensor given as itself) are rnnshape's."""
    result = cli("summary", *code_arguments(record))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == keras_summary(record)
    _same_figures(record, graph_summary(record))


def test_a_chain_written_as_a_program_stays_a_functional_model():
    """A program (or a saved Functional model) that is a straight chain is
    written as Keras's functional code, as its summary is Keras's Functional one;
    a stack of specs as keras.Sequential."""
    chains = [record for record in GRAPH_CODE if record.get("id") in ("plain_chain", "masking_chain")]
    assert len(chains) == 2 and not any(record["sequential"] for record in GRAPH_CODE)
    for record in chains:
        assert "keras.Model(" in cli("code", "--framework", "keras", *code_arguments(record)).stdout
    assert "keras.Sequential(" in cli("code", "--framework", "keras", "-i", "5,3", "lstm:4").stdout


def _same_figures(record, summary):
    assert [list(weight.shape) for row in summary.layers for weight in row.weights] == record["weight_shapes"]
    assert [summary.total_params, summary.trainable_params, summary.non_trainable_params] == record["params"]
    assert [[summary.nodes[ref.call].name, layer.dtype] for ref, layer in zip(summary.inputs, summary.input_layers)
            ] == record["inputs"]  # fmt: skip
    if not summary.sequential:
        assert [summary._tensor(ref)["tensor"] for ref in summary.outputs] == record["outputs"]
        assert record["single_output"] == (len(summary.outputs) == 1)


def test_graph_fixtures_cover_the_kinds_of_graph():
    programs = [PROGRAMS[record["id"]]["program"] for record in GRAPH_CODE if "id" in record]
    for sign in ["init=[", "attention(", "mha:", "concat(", "dot:", "bi:", "cell:", "frozen", "mask_zero", "name="]:
        assert any(sign in program for program in programs), sign
    assert sum(not record.get("sequential") for record in GRAPH_CODE) >= 150


@pytest.mark.parametrize("graph", ["seq2seq_lstm", "siamese", "two_input_classifier", "luong_attention",
                                   "mha_self_attention", "mha_cross", "seq2seq_bilstm", "rnn_cells",
                                   "random_1066"])  # fmt: skip
def test_graph_code_golden(graph, golden):
    """The Keras code of the hand-written kinds of graph, as a reader sees it."""
    result = cli("code", "--framework", "keras", *code_arguments({"id": graph}))
    assert result.exit_code == 0, result.stderr
    golden(f"keras/{graph}.py", result.stdout.split("\n", 1)[1])  # after the line that names the version


def test_code_of_a_program_writes_stdout_or_a_file(tmp_path):
    program = PROGRAMS["seq2seq_lstm"]["program"]
    printed = cli("code", "--framework", "keras", program)
    assert printed.exit_code == 0 and "keras.Model(inputs=[input1, input2], outputs=dense1" in printed.stdout
    path = tmp_path / "seq2seq.py"
    written = cli("code", "--framework", "keras", program, "-o", str(path))
    assert written.exit_code == 0 and written.stdout == "" and path.read_text(encoding="utf-8") == printed.stdout
    bad = cli("code", "--framework", "keras", "x = input:6,3\ny = add(x, lstm:2(x))")
    assert bad.exit_code == 2 and "^" in bad.stderr  # what Keras refuses has no code


def test_a_program_of_an_input_alone_is_keras_model_of_it():
    """keras.Model(x, x) builds, and its summary is the input's row alone, as rnnshape's."""
    result = cli("code", "--framework", "keras", "x0 = input:6,3\nm1 = lstm:2")
    assert result.exit_code == 0, result.stderr
    body = result.stdout.split("def build_model():\n", 1)[1].split("\n\n", 1)[0]
    assert body == ("    input1 = keras.Input(shape=(6, 3))\n"
                    "    return keras.Model(inputs=input1, outputs=input1, name='functional')")  # fmt: skip


def test_a_layer_declared_and_never_called_is_still_constructed():
    """It takes its automatic name ('lstm'), so the next LSTM is 'lstm_1', as in Keras."""
    result = cli("code", "--framework", "keras", "x = input:5,3\nspare = lstm:4\ny = lstm:4(x)\nz = dense:2(y)\n"
                 "w = dense:3(y)")  # fmt: skip
    lines = result.stdout.split("def build_model():\n", 1)[1].splitlines()
    assert lines[1:3] == ["    layers.LSTM(4)", "    lstm1 = layers.LSTM(4)(input1)"]


def test_shared_layers_are_constructed_once_and_calls_keep_their_order():
    result = cli("code", "--framework", "keras", "x = input:5,3\nm = dense:3\na = m(x)\nb = dense:2(m(a))\n"
                 "y = concat(a, b)\nz = dense:1(x)")  # fmt: skip
    lines = result.stdout.split("def build_model():\n", 1)[1].splitlines()[:6]
    assert lines == ["    input1 = keras.Input(shape=(5, 3))",
                     "    dense_layer1 = layers.Dense(3)",
                     "    dense1 = dense_layer1(input1)",
                     "    dense_layer2 = layers.Dense(2)",  # constructed before the call inside it, as Python does
                     "    dense2 = dense_layer1(dense1)",
                     "    dense3 = dense_layer2(dense2)"]  # fmt: skip


def _crafted_saved_model(tmp_path, names: dict) -> str:
    """tests/fixtures/graphs/siamese.json with its layers and model renamed."""
    text = (FIXTURES / "graphs" / "siamese.json").read_text(encoding="utf-8")
    for old, new in names.items():
        text = text.replace(json.dumps(old), json.dumps(new))
    path = tmp_path / "crafted.json"
    path.write_text(text, encoding="utf-8")
    return str(path)


CRAFTED_NAMES = {"lstm": 'a"""b\'\'\'c\\', "dense": "x'),__import__('os').system('echo owned'),('\n#",
                 "input_layer": "ünï €", "siamese": 'm"""\n\\'}  # fmt: skip


def test_crafted_names_of_a_saved_graph_are_string_literals(tmp_path):
    result = cli("code", "--framework", "keras", "--from", _crafted_saved_model(tmp_path, CRAFTED_NAMES))
    assert result.exit_code == 0, result.stderr
    tree = ast.parse(result.stdout)
    strings = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    assert set(CRAFTED_NAMES.values()) <= strings
    called = {ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    assert all(name.startswith(("layers.", "keras.", "frozen")) or re.fullmatch(r"[a-z_]+_layer[0-9]+", name)
               for name in called - {"build_model().summary", "build_model"}), called  # fmt: skip
    assigned = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
    assert all(re.fullmatch(r"[a-z_]+[0-9]+(_[0-9]+)?|[a-z_]+_layer[0-9]+|_", name) for name in assigned), assigned


def test_names_a_program_allows_are_string_literals():
    program = "x = input:4,3:name=in.put-1+\ny = dense:2:name=Dense.9-x+(x)\nz = dense:1(x)"
    result = cli("code", "--framework", "keras", program, "--name", "m'\"\\")
    assert result.exit_code == 0, result.stderr
    assert "name='in.put-1+'" in result.stdout and "name='Dense.9-x+'" in result.stdout
    assert "name='m\\'\"\\\\'" in result.stdout
    ast.parse(result.stdout)


def test_variable_names_cannot_collide():
    """Tensors are BASE + a number (and _OUTPUT), layer objects BASE_layer + a number:
    no kind's base ends in _layer once an input's is cut to 'input'."""
    bases = {_Variables.base(kind.__new__(kind)) for kind in KINDS.values() if hasattr(kind, "keras_name")}
    assert all(base.isidentifier() and not base.endswith("_layer") and not keyword.iskeyword(base) for base in bases)


def test_a_saved_graph_s_operations_take_the_names_of_a_fresh_session(tmp_path):
    """Code cannot name the masks' operations: Keras counts them as it builds. A
    saved model whose operations were named in another session ('not_equal_7')
    gets the names of a fresh one in its code's model ('not_equal'); its layers
    keep theirs, with no name= where Keras gives the same one (so the mask's
    concatenate operation does not take the Concatenate layer's name)."""
    text = (FIXTURES / "graphs" / "masked_concat_unmasked.json").read_text(encoding="utf-8")
    path = tmp_path / "renamed.json"
    path.write_text(text.replace('"not_equal"', '"not_equal_7"'), encoding="utf-8")
    graph = read_model(str(path)).model_graph()
    saved = [(row.name, row.connected_to) for row in infer_graph(graph).rows]
    built = [(row.name, row.connected_to) for row in infer_graph(_program_form(graph)).rows]
    assert "not_equal_7" in {name for name, _ in saved}
    assert built == [(name.replace("not_equal_7", "not_equal"), tuple(one.replace("not_equal_7", "not_equal")
                                                                       for one in connected))
                     for name, connected in saved]  # fmt: skip
    code = cli("code", "--framework", "keras", "--from", str(path)).stdout
    assert "layers.Concatenate()([embedding1, input2])" in code
