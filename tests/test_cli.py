"""The command line end to end (click's CliRunner): specs in, text out, exit statuses."""

import json
import os
import re

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import KERAS_REFUSED, KERAS_STACKS, KERAS_TEXTS, cli_args, stack_id
from rnnshape import __version__
from rnnshape.cli import main


def invoke(*args, input=None, env=None):
    # click >= 8.2 keeps stdout and stderr apart
    return CliRunner().invoke(main, ["summary", *args], input=input, env={"COLUMNS": "80", **(env or {})})


def ok(*args, notes=(), **kwargs):
    """Success: status 0, and on stderr exactly the notes given (none by default)."""
    result = invoke(*args, **kwargs)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "".join(f"note: {note}\n" for note in notes)
    return result.stdout


def bad(*args, **kwargs):
    """Bad input: status 2, nothing on stdout, one message on stderr, no traceback."""
    result = invoke(*args, **kwargs)
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr and result.stderr.strip()
    assert not result.exception or isinstance(result.exception, SystemExit)
    return result.stderr


@pytest.mark.parametrize("stack", KERAS_STACKS, ids=stack_id)
def test_json_equals_keras(stack):
    result = invoke(*cli_args(stack), stack["spec"], "--json")
    document = json.loads(result.stdout)
    assert result.exit_code == 0
    assert [(layer["name"], layer["type"], layer["output_shape"], layer["params"]) for layer in document["layers"]] \
        == [(layer["name"], layer["type"], layer["output_shape"], layer["params"]) for layer in stack["layers"]]
    assert document["total_params"] == stack["total_params"]
    assert document["model"] == (stack["name"] or "sequential")
    # Notes on stderr are the JSON's warnings, nothing else.
    assert result.stderr == "".join(f"note: {note}\n" for note in document["warnings"])


@pytest.mark.parametrize("stack", KERAS_TEXTS, ids=stack_id)
def test_table_equals_keras(stack):
    result = invoke(*cli_args(stack), stack["spec"])
    assert result.exit_code == 0 and result.stdout == stack["summary"]


@pytest.mark.parametrize("stack", KERAS_REFUSED, ids=stack_id)
def test_what_keras_refuses_exits_2(stack):
    message = bad(*cli_args(stack), stack["spec"])
    assert message.startswith("Error: layer ") or message.startswith("Error: bad spec"), message


def test_readme_first_example():
    output = ok("-i", "2,10", "simple:3")
    assert "simple_rnn (SimpleRNN)" in output and "(None, 3)" in output and "│            42 │" in output
    assert " Total params: 42 (168.00 B)" in output


def test_seed_notations_agree():
    assert ok("-i", "2,10", "simple:3", "--json") == ok("-t", "2", "-d", "10", "simple:3", "--json")
    assert json.loads(ok("-d", "5", "simple:3", "--json"))["input_shape"] == [None, None, 5]
    assert json.loads(ok("-b", "8", "-i", "2,10", "simple:3:seq", "--json"))["layers"][0]["output_shape"] == [8, 2, 3]
    assert ok("-t", "50", "emb:100:8", "lstm:4", "--json") == ok("-i", "50", "emb:100:8", "lstm:4", "--json")


def test_specs_may_be_split_across_arguments():
    assert ok("-i", "10,5", "bi:8:seq bi:8:seq", "--json") == ok("-i", "10,5", "bi:8:seq", "bi:8:seq", "--json")


def test_specs_from_stdin_and_from_a_file(tmp_path):
    text = "# a deep RNN\nsimple:8:seq   # first\nsimple:8:seq\n"
    expected = ok("-i", "10,5", "simple:8:seq", "simple:8:seq", "--json")
    assert ok("-i", "10,5", "-", "--json", input=text) == expected
    path = tmp_path / "model.txt"
    path.write_text(text)
    assert ok("-i", "10,5", "-f", str(path), "--json") == expected
    assert ok("-i", "10,5", "-f", "-", "--json", input=text) == expected


@pytest.mark.parametrize("fmt", ["table", "plain", "markdown", "json"])
def test_every_format(fmt):
    output = ok("-i", "10,5", "bi:8:seq", "--format", fmt)
    assert "bidirectional" in output and "224" in output


def test_json_flag_is_format_json():
    assert ok("-i", "2,10", "simple:3", "--json") == ok("-i", "2,10", "simple:3", "--format", "json")
    assert ok("-i", "2,10", "simple:3", "--json", "--format", "json")


def test_name_convention_and_dtype():
    document = json.loads(ok("-i", "2,10", "simple:3", "--json", "--name", "tiny", "--convention", "torch",
                             "--dtype", "float64"))
    assert (document["model"], document["total_params"], document["total_bytes"]) == ("tiny", 45, 360)
    assert 'Model: "tiny"' in ok("-i", "2,10", "simple:3", "--name", "tiny")
    assert "(336.00 B)" in ok("-i", "2,10", "simple:3", "--dtype", "float64")


def test_version_and_help():
    runner = CliRunner()
    assert runner.invoke(main, ["--version"]).output.strip() == f"rnnshape, version {__version__}"
    for args in (["--help"], ["-h"], ["summary", "--help"]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0 and "Usage:" in result.output
    summary_help = runner.invoke(main, ["summary", "--help"]).output
    assert "Examples:" in summary_help and "rnnshape summary -i 2,10 simple:3" in summary_help
    for option in ("--input", "--timesteps", "--input-dim", "--batch", "--file", "--format", "--json", "--name",
                   "--convention", "--dtype"):
        assert option in summary_help


@pytest.mark.parametrize("args, words", [
    # spec errors (SPEC section 2)
    (["-i", "2,10", "simpel:3"], "did you mean 'simple'?"),
    (["-i", "2,10", "simple:3:seqq"], "did you mean 'seq'?"),
    (["-i", "2,10", "simple"], "needs its units"),
    (["-i", "2,10", "simple:0"], "at least 1"),
    (["-i", "2,10", "dense:3:seq"], "does not apply to dense"),
    (["-i", "2,10", "bi:3:back"], "Keras refuses go_backwards"),
    (["-i", "2,10", "simple:3 emb:10:2"], "must be the first layer"),
    (["-i", "2,10", "simple:3:act=nope"], "unknown activation"),
    # input errors (SPEC section 3)
    (["simple:3"], "the input shape is missing: give it with -i"),
    (["-i", "2,x", "simple:3"], "bad input shape -i '2,x'"),
    (["-i", "2,None", "simple:3"], "feature dim"),
    (["-i", "0,5", "simple:3"], "at least 1"),
    (["-i", "2,10", "-t", "2", "simple:3"], "either with -i or with -t/-d"),
    (["-t", "x", "-d", "3", "simple:3"], "bad input shape -t 'x'"),
    (["-t", "2,3", "-d", "3", "simple:3"], "-t and -d each take one number"),
    (["-t", "2", "simple:3"], "give the features per timestep with -d"),
    (["-i", "2,10", "simple:3 simple:4"], "add ':seq' to layer 1"),
    (["-i", "10", "simple:3"], "give the input as -i TIMESTEPS,FEATURES"),
    (["-i", "10,5", "emb:10:4"], "takes integer ids"),
    (["-i", "7,3", "emb:10:4"], "give only the timesteps, as -i 7"),  # the user's own numbers
    (["-t", "12", "-d", "3", "emb:10:4"], "give only the timesteps, as -i 12"),
    # the shell split the input shape: -i 10 5, -i 10, 5
    (["-i", "10", "5", "lstm:8"], "'5' is not a layer spec: the input shape is one argument, with a comma and no "
                                  "space: -i 10,5"),
    (["-i", "10,", "5", "lstm:8"], "space: -i 10,5"),
    (["-i", "None", "5", "lstm:8"], "space: -i None,5"),
    (["-i", "2,10", "-b", "0", "simple:3"], "-b"),
    # options
    (["-i", "2,10", "simple:3", "--format", "html"], "'html' is not one of"),
    (["-i", "2,10", "simple:3", "--json", "--format", "plain"], "contradict"),
    (["-i", "2,10", "simple:3", "--convention", "jax"], "--convention"),
    (["-i", "2,10", "simple:3", "--dtype", "int8"], "--dtype"),
    (["-i", "2,10", "simple:3", "--name", "a/b"], "model name"),
    (["-i", "2,10", "simple:3", "--bogus"], "No such option"),
    (["-i", "2,10"], "no layers given"),
    (["-i", "2,10", "-", "simple:3"], "must be the only SPEC"),
])
def test_bad_input_exits_2_with_one_message(args, words):
    assert words in bad(*args)


@pytest.mark.parametrize("args, line", [
    (["-i", "10,5", "lstm:8"], "rnnshape summary -i 10,5 lstm:8"),
    (["lstm:8", "-i", "10,5"], "rnnshape summary lstm:8 -i 10,5"),
    (["-i", "10,5", "lstm:8 dense:1", "--json"], "rnnshape summary -i 10,5 'lstm:8 dense:1' --json"),
    (["flatten"], "rnnshape summary flatten"),
])
def test_a_missing_command_is_answered_with_the_line_that_has_it(args, line):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.endswith(f"The command comes first; did you mean:\n  {line}\n"), result.stderr


@pytest.mark.parametrize("args, message", [
    (["sumary", "-i", "2,10", "simple:3"], "Error: No such command 'sumary'. Did you mean 'summary'?\n"),
    (["--bogus"], "Error: No such option '--bogus'.\n"),
    (["summary", "-i", "2,10", "simple:3", "--bogus"], "Error: No such option '--bogus'.\n"),
])
def test_other_usage_errors_keep_click_s_own_words(args, message):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and result.stderr.endswith(message), result.stderr


def test_pytorch_is_one_word_in_every_option_and_torch_is_taken_too():
    runner = CliRunner()
    counts = {word: json.loads(ok("-i", "10,5", "lstm:8", "--convention", word, "--json")) for word in
              ("pytorch", "torch", "PyTorch")}  # fmt: skip
    assert counts["pytorch"] == counts["torch"] == counts["PyTorch"]
    assert counts["pytorch"]["total_params"] == 4 * (8 * (5 + 8) + 2 * 8)  # nn.LSTM's two biases
    assert counts["pytorch"]["convention"] == "torch"  # the JSON keeps its word
    modules = {word: runner.invoke(main, ["code", "--framework", word, "-i", "10,5", "lstm:8"]) for word in
               ("pytorch", "torch")}  # fmt: skip
    assert modules["pytorch"].exit_code == 0 and modules["pytorch"].stdout == modules["torch"].stdout
    for command in (["summary", "--help"], ["code", "--help"]):
        shown = runner.invoke(main, command, env={"COLUMNS": "200"}).stdout
        assert "[keras|pytorch]" in shown and not re.search(r"[\[|]torch[\]|]", shown)  # one spelling shown


def test_every_kind_and_flag_is_in_the_help_of_every_command_that_takes_specs():
    """The help's grammar paragraph is made from the kinds reference."""
    from rnnshape.reference import kinds_reference
    from rnnshape.spec import written_form

    reference = kinds_reference()["kinds"]
    for command in ("summary", "explain", "code", "plot"):
        shown = " ".join(CliRunner().invoke(main, [command, "--help"], env={"COLUMNS": "80"}).stdout.split())
        kinds = shown.split("Kinds: ", 1)[1].split(". Flags: ", 1)[0]
        assert kinds.split(", ")[0] == "simple:UNITS (alias rnn)"
        assert [entry.split(" (alias")[0] for entry in kinds.split(", ")] == [written_form(entry["kind"])
                                                                                 for entry in reference]  # fmt: skip
        flags = shown.split(". Flags: ", 1)[1].split(". `rnnshape kinds`", 1)[0].split(", ")
        assert {flag.split("=")[0] for flag in flags} == {flag["flag"] for entry in reference for flag in entry["flags"]}
        assert "merge=concat|sum|mul|ave|none" in flags and "pad=valid|same|causal" in flags


def test_the_run_header_names_the_files_the_weights_and_input_came_from(tmp_path):
    weights, data = tmp_path / "w.npz", tmp_path / "x.npy"
    ok("-i", "4,3", "lstm:2", "--run", "--seed", "5", "--save-weights", str(weights))
    np.save(data, np.ones((2, 4, 3), "float32"))
    header = {}
    for given in ([], ["--weights", str(weights)], ["--input-data", str(data)],
                  ["--weights", str(weights), "--input-data", str(data)]):  # fmt: skip
        text = ok("-i", "4,3", "lstm:2", "--run", "--seed", "5", *given, "--format", "plain")
        header[tuple(given[::2])] = text.split("(NumPy, ", 1)[1].split(")\n", 1)[0]
        run = json.loads(ok("-i", "4,3", "lstm:2", "--run", "--seed", "5", *given, "--json"))["run"]
        assert (run["weights_file"], run["input_file"]) == (str(weights) if "--weights" in given else None,
                                                            str(data) if "--input-data" in given else None)  # fmt: skip
    assert header[()] == "seed 5"  # both drawn, as before
    assert header[("--weights",)] == f"weights {weights}, input from seed 5"
    assert header[("--input-data",)] == f"weights from seed 5, input {data}"
    assert header[("--weights", "--input-data")] == f"weights {weights}, input {data}"


def test_bad_files_and_stdin(tmp_path):
    assert "cannot read specs from" in bad("-i", "2,10", "-f", str(tmp_path / "missing.txt"))
    assert "is a directory" in bad("-i", "2,10", "-f", str(tmp_path))
    directory_or_binary = tmp_path / "binary.txt"
    directory_or_binary.write_bytes(b"\xff\xfe\x00simple:3")
    assert "not UTF-8 text" in bad("-i", "2,10", "-f", str(directory_or_binary))
    assert "no layers given" in bad("-i", "2,10", "-", input="# nothing but a comment\n")
    assert "no layers given" in bad("-i", "2,10", "-", input="")
    assert "either as arguments or with -f" in bad("-i", "2,10", "-f", str(directory_or_binary), "simple:3")
    (tmp_path / "bad.txt").write_text("simple:3\nlstm:x\n")
    assert "bad spec for layer 2" in bad("-i", "2,10", "-f", str(tmp_path / "bad.txt"))


# --run, end to end


def keras_forward_case(tmp_path, number):
    """Files for Keras forward fixture `number`: weights .npz, input .npy; and Keras's output."""
    from test_forward import ARRAYS, FORWARD_STACKS

    stack = FORWARD_STACKS[number]
    weights = tmp_path / "weights.npz"
    np.savez(weights, *[ARRAYS[f"{number}_w{index}"] for index in range(stack["weights"])])
    inputs = tmp_path / "x.npy"
    np.save(inputs, ARRAYS[f"{number}_x"])
    return stack, str(weights), str(inputs), ARRAYS[f"{number}_y"]


@pytest.mark.parametrize("number", [1, 7, 21, 31, 32], ids=lambda n: f"case{n}")
def test_run_with_keras_weights_and_input_reproduces_keras(tmp_path, number):
    stack, weights, inputs, expected = keras_forward_case(tmp_path, number)
    output_path = tmp_path / "y.npy"
    document = json.loads(ok("-i", ",".join(str(d) for d in stack["input"]), stack["spec"], "--run", "--json",
                             "--weights", weights, "--input-data", inputs, "--save-output", str(output_path)))
    output = np.load(output_path)
    np.testing.assert_allclose(output, expected, rtol=1e-5, atol=1e-6)
    run = document["run"]
    assert run["output_shape"] == list(expected.shape) and run["seconds"] > 0
    assert run["mean"] == pytest.approx(float(output.mean(dtype=np.float64)))
    assert document["layers"][0]["output_shape"][0] is None  # the summary keeps the declared shapes


def test_run_report_under_every_format():
    table = ok("-i", "10,5", "bi:8:seq", "--run")
    assert table.startswith('Model: "sequential"') and " Forward pass: output (1, 10, 16) float32 in " in table
    assert " Output mean: " in table
    plain = ok("-i", "10,5", "bi:8:seq", "--run", "--format", "plain").splitlines()
    assert plain[-2].startswith("Forward pass: output (1, 10, 16) float32") and plain[-1].startswith("Output mean:")
    markdown = ok("-i", "10,5", "bi:8:seq", "--run", "--format", "markdown")
    assert "\n- Forward pass: output (1, 10, 16)" in markdown


def test_saved_weights_reproduce_the_run(tmp_path):
    weights, first, second = tmp_path / "w.npz", tmp_path / "a.npy", tmp_path / "b.npy"
    ok("-i", "6,3", "-b", "2", "lstm:4:seq gru:3", "--run", "--seed", "5", "--save-weights", str(weights),
       "--save-output", str(first), "--json")
    ok("-i", "6,3", "-b", "2", "lstm:4:seq gru:3", "--run", "--seed", "5", "--weights", str(weights),
       "--save-output", str(second), "--json")
    np.testing.assert_array_equal(np.load(first), np.load(second))
    assert [a.shape for a in np.load(weights).values()] == [(3, 16), (4, 16), (16,), (4, 9), (3, 9), (2, 9)]


def test_json_stays_valid_when_the_output_overflows(tmp_path):
    weights, inputs = tmp_path / "w.npz", tmp_path / "x.npy"
    np.savez(weights, np.ones((3, 2), np.float32))  # dense:2:nobias, every weight 1
    np.save(inputs, np.full((1, 3), 100, np.float32))  # exp(300) overflows float32
    text = ok("-i", "3", "dense:2:nobias:act=exponential", "--run", "--json", "--weights", str(weights),
              "--input-data", str(inputs), "--save-output", str(tmp_path / "y.npy"))
    run = json.loads(text)["run"]
    assert run["max"] is None and run["mean"] is None and "Infinity" not in text
    assert np.isinf(np.load(tmp_path / "y.npy")).all()  # the array itself keeps its inf


def test_float64_run():
    assert json.loads(ok("-i", "5,3", "gru:3", "--run", "--dtype", "float64", "--json"))["run"]["dtype"] == "float64"


@pytest.mark.parametrize("args, words", [
    (["-i", "4,5", "simple:3", "--weights", "w.npz"], "--weights is an option of --run: add --run"),
    (["-i", "4,5", "simple:3", "--save-output", "y.npy"], "--save-output is an option of --run"),
    (["-i", "4,5", "simple:3", "--run", "--dtype", "float16"], "float32 or float64"),
    (["-i", "None,5", "simple:3", "--run"], "None timesteps: give --input-data"),
    (["-i", "10,5", "simple:10000000:seq", "--run"], "more than this machine's"),
    (["-i", "100,64", "lstm:64:seq", "-b", "32", "--run", "--max-memory", "1M"], "raise the limit with --max-memory"),
    (["-i", "4,5", "simple:3", "--seed", "3"], "--seed is an option of --run: add --run"),
    (["-i", "4,5", "simple:3", "--run", "--max-memory", "9" * 400], "at most 30 digits"),
    (["-t", "x", "-d", "5", "simple:3"], "as in -t 10 or -t None"),
    (["-i", "2," + "9" * 150, "simple:3"], "a dim has more than 100 digits"),
    (["-i", "4,5", "simple:3", "--run", "--max-memory", "lots"], "bad --max-memory"),
    (["-i", "4,5", "simple:3", "--run", "--max-memory", "100"], "more than the 100.00 B allowed"),
    (["-i", "4,5", "simple:3", "--run", "--weights", "/nonexistent.npz"], "no such file"),
    (["-i", "4,5", "simple:3", "--run", "--input-data", "/nonexistent.npy"], "no such file"),
    (["-i", "4,5", "simple:3", "--run", "--seed", "-1"], "--seed"),
])
def test_bad_run_input_exits_2(args, words):
    assert words in bad(*args)


def test_bad_run_files_exit_2(tmp_path):
    stack, weights, inputs, _ = keras_forward_case(tmp_path, 1)  # simple:4:seq on (5, 3)
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, *list(np.load(weights).values())[:-1])
    assert "the first one missing is layer 1 'simple_rnn' weight 'bias' (4,)" in \
        bad("-i", "5,3", stack["spec"], "--run", "--weights", str(wrong))
    assert "has shape (2, 5, 3), but the stack takes (None, 5, 4)" in \
        bad("-i", "5,4", stack["spec"], "--run", "--input-data", inputs)
    assert "cannot write --save-output" in \
        bad("-i", "5,3", stack["spec"], "--run", "--save-output", str(tmp_path / "no" / "y.npy"))
    assert "is a single .npy array" in bad("-i", "5,3", stack["spec"], "--run", "--weights", inputs)


# The wider layer set end to end.


def forward_number(spec):
    from test_forward import FORWARD_STACKS

    return next(number for number, stack in enumerate(FORWARD_STACKS) if stack["spec"] == spec)


@pytest.mark.parametrize("spec", ["emb:20:3:mask_zero bi:lstm:2:seq:state:merge=ave", "bi:gru:2:merge=none",
                                  "emb:20:3:mask_zero lstm:2:state"])
def test_several_outputs_run_report_and_npz(tmp_path, spec):
    """Every output is computed and saved (.npz, arr_0, arr_1, ... in Keras's order), each with its statistics."""
    from test_forward import ARRAYS, FORWARD_STACKS

    number = forward_number(spec)
    stack = FORWARD_STACKS[number]
    weights = tmp_path / "weights.npz"
    np.savez(weights, *[ARRAYS[f"{number}_w{index}"] for index in range(stack["weights"])])
    inputs = tmp_path / "x.npy"
    np.save(inputs, ARRAYS[f"{number}_x"])
    expected = [ARRAYS[f"{number}_y{k}"] for k in range(stack["outputs"])]
    saved = tmp_path / "outputs"  # no suffix: written at exactly this path
    options = ["-i", ",".join(str(d) for d in stack["input"]), spec, "--run", "--weights", str(weights),
               "--input-data", str(inputs), "--save-output", str(saved)]
    run = json.loads(ok(*options, "--json"))["run"]
    with np.load(saved) as archive:
        assert archive.files == [f"arr_{k}" for k in range(len(expected))]
        for k, y in enumerate(expected):
            np.testing.assert_allclose(archive[f"arr_{k}"], y, rtol=1e-5, atol=1e-6)
    assert run["output_shape"] == [list(y.shape) for y in expected]
    assert [output["shape"] for output in run["outputs"]] == run["output_shape"]
    assert run["outputs"][1]["mean"] == pytest.approx(float(expected[1].mean()), rel=1e-4, abs=1e-6)
    lines = ok(*options, "--format", "plain").splitlines()
    shapes = ", ".join("(" + ", ".join(str(d) for d in y.shape) + ")" for y in expected)
    assert lines[-len(expected) - 1].startswith(f"Forward pass: output [{shapes}] float32 in ")
    assert [line.split(" mean:")[0] for line in lines[-len(expected):]] == [f"Output {k}" for k in range(len(expected))]


def test_a_single_output_is_saved_as_npy_at_exactly_the_path(tmp_path):
    path = tmp_path / "output.data"
    ok("-i", "4,3", "conv1d:2:2 globalavg", "--run", "--save-output", str(path), "--json")
    assert np.load(path).shape == (1, 2) and not (tmp_path / "output.data.npy").exists()


def test_mask_notes_go_to_stderr_and_json():
    args = ["-i", "10", "emb:50:8:mask_zero", "conv1d:4:3", "lstm:4"]
    note = ("layer 2 'conv1d' (Conv1D) drops the mask made by layer 1 'embedding': the layers after it see padding "
            "as data")  # fmt: skip
    assert "conv1d (Conv1D)" in ok(*args, notes=[note])
    document = json.loads(ok(*args, "--json", notes=[note]))
    assert document["warnings"] == [note]
    assert json.loads(ok(*args, "--json", "--run", notes=[note]))["run"]["output_shape"] == [1, 4]


def test_frozen_layers_in_the_totals():
    table = ok("-i", "20", "emb:1000:16:frozen", "bi:lstm:8", "dense:1")
    assert " Trainable params: 1,617 (6.32 KB)" in table and " Non-trainable params: 16,000 (62.50 KB)" in table
    layers = json.loads(ok("-i", "20", "emb:1000:16:frozen", "bi:lstm:8", "dense:1", "--json"))["layers"]
    assert [(layer["trainable"], layer["trainable_params"]) for layer in layers] == \
        [(False, 0), (True, 1600), (True, 17)]


@pytest.mark.parametrize("args, words", [
    (["-i", "3,2", "conv1d:8:5"], "layer 1 'conv1d': its kernel spans 5 steps but its input has only 3"),
    (["-i", "5,3", "lstm:4:stateful"], "give it with -b"),
    (["-i", "5,3", "lstm:4:state", "dense:1"], "make layer 1 the last layer, or drop ':state'"),
    (["-i", "5,3", "lstm:units=64"], "without a name: write lstm:64"),
    (["-i", "5,3", "lstm:64:return_sequences=True"], "for Keras's return_sequences, write 'seq'"),
    (["-i", "5,3", "lstm:4:stateful", "--run"], "give it with -b"),
])
def test_wider_bad_input_exits_2(args, words):
    assert words in bad(*args)


def test_stateful_with_a_batch_runs():
    document = json.loads(ok("-i", "5,3", "-b", "4", "lstm:4:stateful:seq", "lstm:2:stateful", "--run", "--json"))
    assert document["run"]["output_shape"] == [4, 2]


def test_hash_is_an_ordinary_character_on_the_command_line(tmp_path):
    """SPEC section 1: only files and stdin have comments; a '#' in an argument is never a silent cut."""
    assert "got '3#x'" in bad("-i", "4,2", "simple:3#x")
    assert "'#' starts a comment only in a spec file or stdin" in bad("-i", "4,2", "simple:3", "#", "comment")
    assert json.loads(ok("-i", "4", "dense:3:name=a#b", "--json"))["layers"][0]["name"] == "a#b"
    specs = tmp_path / "specs.txt"
    specs.write_text("dense:3  # a comment\n")
    assert [layer["spec"] for layer in json.loads(ok("-i", "4", "-f", str(specs), "--json"))["layers"]] == ["dense:3"]


def test_spec_input_is_bounded_and_a_bom_is_accepted(tmp_path):
    """Issue 7: /dev/zero or `yes |` as specs end at once with a message, not with all the memory."""
    assert "longer than 1 MB, the limit" in bad("-i", "2,10", "-", input=b"simple:3 " * 200_000)
    assert "longer than 1 MB, the limit" in bad("-i", "2,10", "-f", "/dev/zero")
    specs = tmp_path / "specs.txt"
    specs.write_bytes(b"\xef\xbb\xbfsimple:3\n")  # as some editors save UTF-8
    assert json.loads(ok("-i", "2,10", "-f", str(specs), "--json"))["total_params"] == 42


def test_control_characters_in_errors_are_shown_escaped():
    message = bad("-i", "2,10", "simple:3:\x1b[31mred\u202e")
    assert "\x1b" not in message and "\u202e" not in message
    lines = message.splitlines()
    assert lines[0] == "Error: bad spec for layer 1: unknown flag '\\x1b[31mred\\u202e' for simple"
    assert lines[1] == "  simple:3:\\x1b[31mred\\u202e" and lines[2] == "  " + " " * 9 + "^" * 17


def test_output_paths_are_checked_before_the_run_and_all_or_nothing(tmp_path):
    ok_path, missing = tmp_path / "ok.npy", tmp_path / "missing" / "w.npz"
    message = bad("-i", "4,3", "simple:2", "--run", "--save-output", str(ok_path), "--save-weights", str(missing))
    assert f"cannot write --save-weights '{missing}': no folder" in message
    assert not ok_path.exists()  # nothing is written when one destination fails
    assert "it is a folder" in bad("-i", "4,3", "simple:2", "--run", "--save-output", str(tmp_path))
    assert "needs a file name" in bad("-i", "4,3", "simple:2", "--run", "--save-output", "")
    assert "No space left on device" in bad("-i", "4,3", "simple:2", "--run", "--save-weights", "/dev/full")
    ok("-i", "4,3", "simple:2", "--run", "--save-output", "/dev/null", "--json")
    assert not os.path.exists("/dev/null.npy")


def test_a_fifo_or_device_as_an_array_file_is_refused_not_waited_on(tmp_path):
    """A regression: a FIFO as --weights hung for ever (a second open waited for a writer)."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for option in ("--weights", "--input-data"):
        assert "is not a regular file (a FIFO or a device)" in bad("-i", "4,3", "simple:2", "--run", option, str(fifo))
    assert "is not a regular file" in bad("-i", "4,3", "simple:2", "--run", "--input-data", "/dev/zero")
    assert "is a folder" in bad("-i", "4,3", "simple:2", "--run", "--weights", str(tmp_path))
