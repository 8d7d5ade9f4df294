"""Keras code in: `--from FILE.py` reads the model a file builds, without running it
(rnnshape/pycode.py). What a file builds is checked against rnnshape's own
reading of the same model as specs or a program (itself checked against Keras)."""

from __future__ import annotations

import json
import shlex
import re
import string
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnshape.cli import main

# The tutorial chapter's deep bidirectional RNN, as the chapter writes it (the docs' example).
TUTORIAL = (Path(__file__).resolve().parent.parent / "docs" / "examples" / "deep_bidirectional.py").read_text()

SEQ2SEQ = """\
import keras

num_encoder_tokens = 71
num_decoder_tokens = 93
latent_dim = 256

encoder_inputs = keras.Input(shape=(None, num_encoder_tokens))
encoder = keras.layers.LSTM(latent_dim, return_state=True)
encoder_outputs, state_h, state_c = encoder(encoder_inputs)
encoder_states = [state_h, state_c]
decoder_inputs = keras.Input(shape=(None, num_decoder_tokens))
decoder_lstm = keras.layers.LSTM(latent_dim, return_sequences=True, return_state=True)
decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
decoder_dense = keras.layers.Dense(num_decoder_tokens, activation="softmax")
decoder_outputs = decoder_dense(decoder_outputs)
model = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs)

encoder_model = keras.Model(encoder_inputs, encoder_states)
decoder_state_input_h = keras.Input(shape=(latent_dim,))
decoder_state_input_c = keras.Input(shape=(latent_dim,))
decoder_states_inputs = [decoder_state_input_h, decoder_state_input_c]
decoder_outputs, state_h, state_c = decoder_lstm(decoder_inputs, initial_state=decoder_states_inputs)
decoder_outputs = decoder_dense(decoder_outputs)
decoder_model = keras.Model([decoder_inputs] + decoder_states_inputs, [decoder_outputs, state_h, state_c])
"""


def cli(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), input=stdin, env={"COLUMNS": "80"})


def from_code(tmp_path, source: str, *options: str, name: str = "model.py"):
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    return cli("summary", "--from", str(path), *options)


def json_of(result) -> dict:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def bad(result, *words: str) -> str:
    assert result.exit_code == 2 and result.stdout == "" and "Traceback" not in result.stderr, result.output
    for word in words:
        assert word in result.stderr, result.stderr
    return result.stderr


def test_the_tutorials_deep_bidirectional_model_is_its_spec(tmp_path):
    result = from_code(tmp_path, TUTORIAL)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == cli("summary", "-i", "10,5", "bi:simple:8:seq " * 4).stdout


@pytest.mark.parametrize("imports, prefix, sequential", [
    ("from tensorflow.keras.layers import LSTM, Dense\nfrom tensorflow.keras.models import Sequential", "",
     "Sequential"),
    ("from keras import layers\nfrom keras import Sequential", "layers.", "Sequential"),
    ("import keras.layers as L\nimport keras", "L.", "keras.Sequential"),
    ("import tensorflow as tf", "tf.keras.layers.", "tf.keras.Sequential"),
    ("from tensorflow import keras", "keras.layers.", "keras.models.Sequential"),
    ("from keras.layers import *\nfrom keras.models import *", "", "Sequential"),
])  # fmt: skip
def test_every_import_style_reads_the_same_model(tmp_path, imports, prefix, sequential):
    source = (f"{imports}\nmodel = {sequential}([\n    {prefix}LSTM(16, return_sequences=True, input_shape=(20, 3)),"
              f"\n    {prefix}LSTM(8),\n    {prefix}Dense(1, activation='sigmoid'),\n])\n")  # fmt: skip
    assert json_of(from_code(tmp_path, source, "--json")) == json_of(
        cli("summary", "-i", "20,3", "lstm:16:seq lstm:8 dense:1:act=sigmoid", "--json"))


def test_keras_2_spellings_give_the_input_shape(tmp_path):
    """batch_input_shape=, input_dim= with input_length=, as the chapter writes them."""
    batch = "from keras.models import Sequential\nfrom keras.layers import SimpleRNN\nmodel = Sequential()\n" \
            "model.add(SimpleRNN(3, batch_input_shape=(8, 2, 10), return_sequences=True))\n"  # fmt: skip
    assert json_of(from_code(tmp_path, batch, "--json")) == json_of(cli("summary", "-i", "2,10", "-b", "8",
                                                                        "simple:3:seq", "--json"))  # fmt: skip
    lengths = batch.replace("batch_input_shape=(8, 2, 10)", "input_length=2, input_dim=10")
    assert json_of(from_code(tmp_path, lengths, "--json")) == json_of(cli("summary", "-i", "2,10", "simple:3:seq",
                                                                          "--json"))  # fmt: skip


def test_loops_functions_fstrings_and_keyword_dicts(tmp_path):
    source = """\
from keras import layers, Sequential, Input

UNITS = [64, 32]
options = {"return_sequences": True}

def build_model(vocab, depth=2, name="tagger"):
    model = Sequential(name=name)
    model.add(Input(shape=(None,), dtype="int32"))
    model.add(layers.Embedding(vocab, 16, mask_zero=True))
    for number, units in enumerate_units(depth):
        model.add(layers.Bidirectional(layers.LSTM(units, **options), name=f"encoder_{number}"))
    if depth > 1:
        model.add(layers.TimeDistributed(layers.Dense(vocab // 100, activation="softmax")))
    return model

def enumerate_units(depth):
    pairs = []
    for number in range(depth):
        pairs.append((number, UNITS[number % len(UNITS)]))
    return pairs

model = build_model(30_000)
"""
    comprehension = source.replace("""    pairs = []
    for number in range(depth):
        pairs.append((number, UNITS[number % len(UNITS)]))
    return pairs""", """    return [(number, UNITS[number % len(UNITS)]) for number in range(depth) if number < 9]""")
    enumerated = source.replace("""    pairs = []
    for number in range(depth):
        pairs.append((number, UNITS[number % len(UNITS)]))
    return pairs""", """    return list(enumerate(UNITS))[:depth]""")
    assert len({source, comprehension, enumerated}) == 3
    for text in (comprehension, enumerated):
        assert from_code(tmp_path, text).stdout == from_code(tmp_path, source).stdout
    read = from_code(tmp_path, source)
    expected = cli("summary", "-i", "None", "--name", "tagger", "embedding:30000:16:mask_zero "
                   "bi:lstm:64:seq:name=encoder_0 bi:lstm:32:seq:name=encoder_1 td:dense:300:act=softmax")
    assert read.exit_code == 0 and read.stdout == expected.stdout


def test_a_functional_seq2seq_and_the_model_a_variable_holds(tmp_path):
    program = ("enc = input:None,71; _, h, c = lstm:256:state(enc); dec = input:None,93; "
               "d, _, _ = lstm:256:seq:state(dec, init=[h, c]); out = dense:93:act=softmax(d)")  # fmt: skip
    training = from_code(tmp_path, SEQ2SEQ, "--model", "model")
    assert training.exit_code == 0 and training.stdout == cli("summary", program).stdout
    last = from_code(tmp_path, SEQ2SEQ)  # the last model built: Keras names it functional_2
    assert last.exit_code == 0 and 'Model: "functional_2"' in last.stdout
    # Its decoder is the training model's second call of dense: node 1 (Keras's table says so).
    assert "│ dense (Dense)       │ (None, None, 93)  │     23,901 │ lstm_1[1][0]      │" in last.stdout
    bad(from_code(tmp_path, SEQ2SEQ, "--model", "nothing"), "no model held by 'nothing'", "decoder_model")


def test_spec_prints_the_code_as_rnnshapes_notation(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(TUTORIAL)
    result = cli("spec", "--from", str(path))
    assert result.exit_code == 0 and result.stdout == "-i 10,5 " + "bi:simple:8:seq " * 3 + "bi:simple:8:seq\n"
    path.write_text(SEQ2SEQ)
    program = cli("spec", "--from", str(path), "--model", "model")
    assert program.exit_code == 0 and program.stdout.startswith("# model functional:")
    again = cli("summary", "-f", "-", "--name", "functional", stdin=program.stdout)
    assert again.exit_code == 0 and again.stdout == from_code(tmp_path, SEQ2SEQ, "--model", "model").stdout


def test_a_value_from_data_is_given_with_d(tmp_path):
    source = ("import keras\nvocab_size = len(tokenizer.word_index) + 1\nmodel = keras.Sequential([\n"
              "    keras.layers.Embedding(vocab_size, 8),\n    keras.layers.LSTM(4),\n])\n")  # fmt: skip
    error = bad(from_code(tmp_path, source, "-i", "20"), "model.py:2:18: 'tokenizer' is a value rnnshape cannot know",
                "-D")  # fmt: skip
    assert "^^^^^^^^^" in error
    read = json_of(from_code(tmp_path, source, "-i", "20", "-D", "vocab_size=20000", "--json"))
    assert read == json_of(cli("summary", "-i", "20", "embedding:20000:8 lstm:4", "--json"))


def test_a_sequential_without_an_input_shape_takes_it_from_the_options(tmp_path):
    source = "import keras\nmodel = keras.Sequential([keras.layers.GRU(4), keras.layers.Dense(1)])\n"
    bad(from_code(tmp_path, source), "gives no input shape", "-i")
    assert json_of(from_code(tmp_path, source, "-i", "7,3", "--json")) == json_of(
        cli("summary", "-i", "7,3", "gru:4 dense:1", "--json"))
    shaped = source.replace("GRU(4)", "GRU(4, input_shape=(7, 3))")
    assert from_code(tmp_path, shaped, "-i", "7,3").exit_code == 0  # they agree
    bad(from_code(tmp_path, shaped, "-i", "8,3"), "gives the input shape 7,3")


@pytest.mark.parametrize("line, words", [
    ("keras.layers.LSTM(8, time_major=True)", ["time_major", "does not model"]),
    ("keras.layers.Dense(4, lora_rank=2)", ["lora_rank"]),
    ("keras.layers.Lambda(lambda x: x)", ["Lambda", "does not model"]),
    ("keras.layers.ConvLSTM1D(4, 3)", ["ConvLSTM1D"]),
    ("MyLayer(4)", ["'MyLayer' is a value rnnshape cannot know"]),
])  # fmt: skip
def test_what_rnnshape_does_not_model_is_refused_by_name(tmp_path, line, words):
    source = f"import keras\nmodel = keras.Sequential([keras.Input((5, 3)), {line}])\n"
    bad(from_code(tmp_path, source), "model.py:2:", *words)


@pytest.mark.parametrize("source, words", [
    ("while True:\n    pass\n", ["a while loop"]),
    ("for i in range(10**8):\n    pass\n", ["more than 100,000"]),
    ("def f(n):\n    return f(n + 1)\nf(0)\n", ["nested more than 50 deep"]),
    ("x = [0] * 10**9\n", ["more than 100,000 elements"]),
    ("eval('1')\n", ["'eval' is a value rnnshape cannot know"]),
    ("exec('import os')\n", ["'exec'"]),
    ("__import__('os').system('touch owned')\n", ["'__import__'"]),
    ("().__class__.__bases__[0].__subclasses__()\n", ["__class__"]),
    ("import os\nos.system('touch owned')\n", ["builds no Keras model"]),
    ("class Custom(keras.layers.Layer):\n    pass\n", ["a class of the file's own"]),
    ("f = lambda: 1\n", ["a lambda"]),
    ("x = (\n", ["not Python"]),
    ("x = 2 ** 10 ** 10\n", ["power too large"]),
    ("x = f'{1:>100000000}'\n", ["width too large"]),
    ("x = '%0100000000d' % 1\n", ["width too large"]),
    ("x = 'ab' * 10**8\n", ["more than 100,000 elements"]),
    ("x = []\nfor i in range(60000):\n    x = x + [i]\n", ["more than 5,000,000 elements"]),
    ("big = list(range(99999))\nfor i in range(60000):\n    if big == big:\n        pass\n",
     ["a comparison of values of more than 10,000 elements"]),
    ("a = [1]\nfor i in range(40):\n    a = [a, a]\nimport keras\nm = keras.Sequential([keras.layers.Dense(2, "
     "kernel_initializer=a)])\n", ["more than 64 elements"]),
    ("x = 3\nfor i in range(40):\n    x = x * x\n", ["a number too large"]),
    ("x = round(5, -10**9)\n", ["round() of a number too large"]),
    ("x = '%*d' % (300000000, 1)\n", ["a % format of something other"]),
    ("x = ~1.5\n", ["a ~ of a value"]),
    ("x = [1, 2][::0]\n", ["a slice whose step is 0"]),
    ("x = {(1, [2]): 3}\n", ["a key that holds a list"]),
    ("x = [list(range(1000))] * 60\nfor i in range(30000):\n    y = min(x)\n", ["min() of something other"]),
    ("x = [[0] * 1000 for i in range(99)]\nz = str(x)\n", ["str() of something other"]),
    ("for i in range(1000):\n    for j in range(1000):\n        x = i * j\n", ["more than 200,000 steps"]),
    ("x = 1\n", ["builds no Keras model"]),
])  # fmt: skip
def test_hostile_files_are_refused_in_bounded_time_and_nothing_they_ask_for_happens(tmp_path, source, words):
    """Each in a process of its own, in a user's environment, so that a hang is a
    failure (after a guard of minutes), not a CI that never ends."""
    import subprocess
    import sys

    from conftest import user_environment

    (tmp_path / "model.py").write_text("import keras\n" + source, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "rnnshape", "summary", "--from", "model.py"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300, env=user_environment())  # fmt: skip
    assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr
    assert not (tmp_path / "owned").exists()


def test_a_huge_file_is_refused_before_it_is_parsed(tmp_path):
    bad(from_code(tmp_path, "x = 1\n" * 1_000_000), "longer than 1,000 kB")


def test_code_on_stdin_and_the_options_that_go_with_it():
    assert cli("summary", "--from", "-", stdin=TUTORIAL).stdout == cli("summary", "-i", "10,5",
                                                                        "bi:simple:8:seq " * 4).stdout  # fmt: skip
    bad(cli("summary", "-i", "10,5", "lstm:4", "-D", "a=1"), "-D is for --from FILE.py")
    bad(cli("summary", "-i", "10,5", "lstm:4", "--model", "m"), "--model is for --from FILE.py")
    bad(cli("summary", "--from", "-", "lstm:4", stdin=TUTORIAL), "leave out SPEC")
    bad(cli("summary", "--from", "-", "-D", "2x=1", stdin=TUTORIAL), "write NAME=VALUE")


def test_every_command_reads_code(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(SEQ2SEQ)
    for command in (["code", "--framework", "keras"], ["code", "--framework", "pytorch"], ["plot"], ["explain"],
                    ["summary", "--details"]):  # fmt: skip
        result = cli(*command, "--from", str(path), "--model", "model")
        assert result.exit_code == 0 and result.stdout, (command, result.stderr)


SNIPPETS = st.sampled_from(["import keras", "from keras import layers", "x = 3", "x = x + 1",
                            "model = keras.Sequential()",
                            "model.add(layers.LSTM(x))", "model.add(keras.layers.Dense(2))", "y = keras.Input((4, 2))",
                            "z = layers.GRU(3)(y)", "m = keras.Model(y, z)", "for i in range(3):", "    x = i",
                            "if x:", "def f(a):", "    return a * 2", "x = f(x)", "x = [x, x]", "x = (", ")",
                            "x = undefined", "model.add(layers.Embedding(10, x))", "w = layers.LSTM(2)(z)",
                            "x = f'{x}'", "x = {'a': x}", "x = x['a']", "x, q = x", "break", "return x",
                            "model.add(layers.LSTM('a'))", "model.add(layers.Dense(x, activation=3))",
                            "y = keras.Input(shape=x)", "m = keras.Model(y, 3)", "m = keras.Model(z, y)",
                            "model.add(layers.Bidirectional(z))", "w = layers.Concatenate()([y, z])",
                            "w = layers.add([z, z])", "model.add(layers.Dense(2, name=x))", "model.build(x)",
                            "z = layers.LSTM(2, return_state=True)(y)", "q = layers.GRU(2)(y, initial_state=z)",
                            "model.add(y)", "model.add(layers.TimeDistributed(layers.LSTM(2)))"])  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(SNIPPETS, max_size=12), st.text(string.printable, max_size=30))
def test_random_files_end_in_a_model_or_one_message(lines, noise):
    """Random model-building files, and a random line among them: exit 0, or 2
    with one message; never a traceback."""
    source = "\n".join(lines + [noise])
    result = cli("summary", "--from", "-", "-i", "4,2", stdin=source)
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert result.stdout == "" and result.stderr.startswith("Error: ") and "Traceback" not in result.stderr


@pytest.mark.parametrize("calls, spec", [
    (["LSTM(64, return_sequences=True)"], "lstm:64:seq"),
    (["LSTM(64, return_sequences=True)", "Dense(1, activation='sigmoid')"], "lstm:64:seq dense:1:act=sigmoid"),
    (["Bidirectional(GRU(8, return_sequences=True)) layers.TimeDistributed(layers.Dense(3))"],
     "bi:gru:8:seq td:dense:3"),
    (["keras.layers.SimpleRNN(3)"], "simple:3"),
])  # fmt: skip
def test_keras_layer_calls_are_read_as_specs_and_answered_in_rnnshapes_notation(calls, spec):
    result = cli("summary", "-i", "10,5", *calls)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == cli("summary", "-i", "10,5", spec).stdout
    assert f"in rnnshape's notation: -i 10,5 {spec}" in result.stderr


def test_keras_layer_calls_that_cannot_be_read_are_bad_input():
    bad(cli("summary", "-i", "10,5", "LSTM(64, bogus=1)"), "LSTM: sets bogus, which rnnshape does not model")
    bad(cli("summary", "-i", "10,5", "LSTM(64"), "not Python")
    bad(cli("summary", "LSTM(64)"), "gives no input shape", "-i")


def model_files() -> list[str]:
    """Real model files: the documentation's examples and the corpus of public model code."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    paths = sorted((root / "docs" / "examples").glob("*.py")) + sorted((root / "tests" / "fixtures" /
                                                                          "keras_code").glob("*.py"))  # fmt: skip
    return [path.read_text(encoding="utf-8") for path in paths]


@st.composite
def mutated_model_files(draw) -> str:
    """A real model file with a few lines deleted, repeated, swapped or cut, a
    number changed, or random text put in."""
    lines = draw(st.sampled_from(model_files())).splitlines()
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        place = draw(st.integers(0, len(lines) - 1))
        change = draw(st.sampled_from(["delete", "repeat", "swap", "cut", "number", "noise"]))
        if change == "delete":
            del lines[place]
        elif change == "repeat":
            lines.insert(place, lines[place])
        elif change == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[place], lines[other] = lines[other], lines[place]
        elif change == "cut":
            lines[place] = lines[place][: draw(st.integers(0, len(lines[place])))]
        elif change == "number":
            lines[place] = re.sub(r"\d+", str(draw(st.sampled_from([0, 1, -1, 10**9, 3]))), lines[place], count=1)
        else:
            lines.insert(place, draw(st.text(string.printable, max_size=20)))
    return "\n".join(lines)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated_model_files())
def test_mutated_real_model_files_end_in_a_model_or_one_message(source):
    result = cli("summary", "--from", "-", "-i", "10,5", "-D", "vocab_size=100", stdin=source)
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert result.stdout == "" and result.stderr.startswith("Error: ") and "Traceback" not in result.stderr


# Real model code (tests/fixtures/keras_code/, made by make_keras_code_fixtures.py): each
# file's model, as Keras 3.15 built it (with the -D values and -i the entry gives; a Keras 2
# spelling Keras 3 refuses, as mapped to Keras 3's, which is what Keras 2 built).
CORPUS = json.loads((Path(__file__).resolve().parent / "fixtures" / "keras_code.json").read_text())["entries"]
# What rnnshape refuses by name, as it must: an option that changes what it computes and that it
# does not model.
REFUSED_BY_NAME = {"style_multihead_attention.py": "LayerNormalization: sets epsilon=1e-06, which rnnshape does "
                                                    "not model"}  # fmt: skip


def corpus_arguments(entry: dict) -> tuple[list[str], str]:
    """The command line a user gives for the entry's file, and its source (with
    the entry's stand-ins for sizes the file computes in an expression)."""
    source = (Path(__file__).resolve().parent / "fixtures" / "keras_code" / entry["file"]).read_text()
    for old, new in (entry.get("replace") or {}).items():
        assert old in source
        source = source.replace(old, new)
    arguments = [option for name, value in (entry.get("D") or {}).items() for option in ("-D", f"{name}={value}")]
    arguments += ["-i", entry["i"]] if "i" in entry else []
    return arguments + ["--model", (entry.get("keras2_mapped") or entry)["model"]], source


@pytest.mark.parametrize("entry", CORPUS, ids=[f"{entry['file']}:{entry.get('model', '')}" for entry in CORPUS])
def test_real_model_code_gives_the_summary_keras_printed(entry):
    arguments, source = corpus_arguments(entry)
    result = cli("summary", "--from", "-", *arguments, stdin=source)
    if entry["file"] in REFUSED_BY_NAME:
        bad(result, REFUSED_BY_NAME[entry["file"]])
        return
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (entry.get("keras2_mapped") or entry)["summary"]


def test_the_corpus_is_real_model_code_of_every_kind():
    assert len(CORPUS) >= 80 and sum(entry["file"].startswith("random_") for entry in CORPUS) >= 20
    assert sum("keras3_refuses" in entry for entry in CORPUS) >= 5 and sum("D" in entry for entry in CORPUS) >= 15
    assert sum(entry.get("unbuilt", False) for entry in CORPUS) >= 10
    assert sum(entry["file"] in REFUSED_BY_NAME for entry in CORPUS) <= 1


def test_a_layer_both_wrapped_and_called_is_a_layer_of_its_own(tmp_path):
    """Found by the mutation test: Bidirectional(rnn) copies rnn inside it, and the
    file may call rnn too (Keras 3.15 printed this table for this code)."""
    source = ("import keras\nfrom keras import layers\ninputs = keras.Input(shape=(30, 6), name='series')\n"
              "rnn = layers.LSTM(8, return_sequences=True, name='lstm_0')\n"
              "x = layers.Bidirectional(rnn, name='bi')(inputs)\nx = rnn(x)\nmodel = keras.Model(inputs, x)\n")
    result = from_code(tmp_path, source)
    assert result.exit_code == 0, result.stderr
    assert "│ bi (Bidirectional)              │ (None, 30, 16)         │           960 │" in result.stdout
    assert "│ lstm_0 (LSTM)                   │ (None, 30, 8)          │           800 │" in result.stdout


@pytest.mark.parametrize("entry", CORPUS, ids=[f"{entry['file']}:{entry.get('model', '')}" for entry in CORPUS])
def test_spec_of_real_model_code_reads_back_as_the_same_model(entry):
    """`rnnshape spec --from FILE.py` is rnnshape's notation for the model: the
    one-line spec, or the program, gives the same table."""
    if entry["file"] in REFUSED_BY_NAME:
        return
    arguments, source = corpus_arguments(entry)
    spec = cli("spec", "--from", "-", *arguments, stdin=source)
    assert spec.exit_code == 0, spec.stderr
    read = cli("summary", "--from", "-", *arguments, stdin=source)
    if spec.stdout.startswith("# model "):  # a graph's program, with its name
        name = spec.stdout.split("--name ", 1)[1].split(" ", 1)[0]
        again = cli("summary", "-f", "-", "--name", shlex.split(name)[0], stdin=spec.stdout)
    else:
        again = cli("summary", *shlex.split(spec.stdout))
    assert again.exit_code == 0, again.stderr
    assert again.stdout == read.stdout


def test_d_gives_names_a_tuple_assignment_unpacks(tmp_path):
    """Found in review: n_timesteps, n_features = X.shape[1], X.shape[2], as tutorials write it."""
    source = ("import keras\nn_timesteps, n_features = trainX.shape[1], trainX.shape[2]\na, b = 3, data.x\n"
              "model = keras.Sequential([keras.Input((n_timesteps, n_features)), keras.layers.LSTM(a)])\n")
    result = from_code(tmp_path, source, "-D", "n_timesteps=10", "-D", "n_features=3", "-D", "b=1")
    assert result.exit_code == 0 and "(None, 3)" in result.stdout and "│            84 │" in result.stdout
    bad(from_code(tmp_path, source, "-D", "n_timesteps=10"), "trainX")


def test_default_arguments_are_made_once_when_the_function_is_defined(tmp_path):
    """Found in review: def block(x, layer=Dense(3)) shares one Dense over its calls,
    and u=units keeps the value units had then (Keras 3.15 printed these figures)."""
    source = ("import keras\nunits = 8\ndef block(x, layer=keras.layers.Dense(3), u=units):\n"
              "    return layer(keras.layers.Dense(u)(x))\nunits = 16\ni = keras.Input((4,))\n"
              "model = keras.Model(i, block(block(i)))\n")
    result = from_code(tmp_path, source)
    assert result.exit_code == 0, result.stderr
    assert "│ dense (Dense)       │ (None, 3)         │         27 │ dense_1[0][0],    │" in result.stdout
    assert " Total params: 99 (396.00 B)" in result.stdout


def test_sequential_models_take_keras_counters_as_keras_builds_them(tmp_path):
    """Found in review: every build of a Sequential model takes a functional name
    (after each add() once its input is known), and the InputLayer Keras makes
    for input_shape or build() an input_layer name: Keras 3.15 named the last
    model of this file functional_8, its input input_layer_5."""
    source = """\
import keras
from keras import layers
s = keras.Sequential(); s.add(layers.LSTM(4, input_shape=(5, 3))); s.add(layers.Dense(2)); s.add(layers.Dense(1))
s2 = keras.Sequential(); s2.add(keras.Input((5, 3))); s2.add(layers.Dense(2)); s2.add(layers.Dense(1))
s3 = keras.Sequential([keras.Input((5, 3)), layers.Dense(2), layers.Dense(1)])
s4 = keras.Sequential([layers.Dense(2, input_shape=(5, 3)), layers.Dense(1)])
s5 = keras.Sequential([layers.Dense(2), layers.Dense(1)])
s6 = keras.Sequential([layers.Dense(2), layers.Dense(1)]); s6.build((None, 5, 3))
i = keras.Input((5, 3))
model = keras.Model(i, layers.Dense(1)(i))
"""
    result = from_code(tmp_path, source)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith('Model: "functional_8"') and "input_layer_5 (InputLayer)" in result.stdout


def test_a_backward_layer_the_file_makes_takes_its_count(tmp_path):
    """Found in review: Bidirectional(..., backward_layer=LSTM(...)): the backward
    LSTM takes a name, so the next LSTM is lstm_2 (Keras 3.15 printed this)."""
    source = ("import keras\nfrom keras import layers\ninp = keras.Input((5, 3))\n"
              "x = layers.Bidirectional(layers.LSTM(4, return_sequences=True), backward_layer=layers.LSTM(4, "
              "return_sequences=True, go_backwards=True))(inp)\ny = layers.Dense(2)(x)\nz = layers.LSTM(2)(x)\n"
              "model = keras.Model(inp, [y, z])\n")
    result = from_code(tmp_path, source)
    assert result.exit_code == 0, result.stderr
    assert "│ lstm_2 (LSTM)       │ (None, 2)         │         88 │ bidirectional[0]… │" in result.stdout


def test_keras_2s_input_layer_with_input_shape(tmp_path):
    """InputLayer(input_shape=(10, 5)) as a Sequential model's first item, as Keras 2 tutorials
    write it (Keras 3.15 builds it: lstm (None, 4), 160 parameters)."""
    source = ("from keras.layers import InputLayer, LSTM\nfrom keras.models import Sequential\n"
              "model = Sequential([InputLayer(input_shape=(10, 5)), LSTM(4)])\n")
    assert from_code(tmp_path, source).stdout == cli("summary", "-i", "10,5", "lstm:4").stdout
