"""Hypothesis strategies that drive the whole command line with hostile input:
specs, options and file contents (random bytes, truncated and crafted .npy and
.npz files). ``check`` asserts the exit-status contract on one invocation.

Used by tests/test_fuzz.py at a modest example count, and by
benchmarks/fuzz_cli.py at 10^5 examples.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import warnings
import zipfile

import numpy as np
from click.testing import CliRunner
from hypothesis import strategies as st

from rnnshape.cli import main

WORDS = ["simple", "rnn", "lstm", "gru", "bi", "td", "dense", "emb", "embedding", "dropout", "masking", "conv1d",
         "conv", "maxpool", "avgpool", "globalmax", "globalavg", "flatten", "repeat", "bn", "ln", "activation",
         "spatialdropout", "noise", "seq", "back", "state", "stateful", "nobias", "frozen", "unroll", "mask_zero",
         "act=relu", "act=softmax", "act=sparsemax", "merge=none", "merge=sum", "pad=same", "pad=causal",
         "stride=2", "dilation=2", "reset_after=false", "recurrent_activation=hard_sigmoid", "name=x", "name=a/b",
         "dropout=0.2", "units=4", "return_sequences=true", "relu", "0", "1", "2", "3", "7", "0.5", "-1", "1e9",
         "nan", "", "#", "\x1b[2J", "\u202e", "\ufeff"]  # fmt: skip


# Layers that parse, so that many stacks get past the parser into the engine,
# the forward pass and the files (half the stacks are drawn from these).
LAYERS = ["simple:3:seq", "lstm:2:seq", "gru:2", "gru:2:seq:reset_after=false", "bi:2:seq", "bi:lstm:2:merge=none",
          "lstm:3:state", "dense:3", "dense:2:act=softmax", "td:dense:2", "conv1d:2:2:pad=same", "conv:2:3",
          "maxpool:pad=same", "avgpool:3:stride=1", "globalavg", "globalmax", "flatten", "repeat:2", "bn", "ln",
          "dropout:0.5", "activation:sparsemax", "masking", "masking:-1", "noise:0.1", "spatialdropout:0.1",
          "lstm:2:seq:frozen", "dense:2:name=head", "simple:2:stateful"]  # fmt: skip


# Pieces of programs (graphs): layers taking one tensor or several, and the
# notation's own words, to reach the parser, the engine and the forward pass.
ONE = LAYERS + ["relu", "leakyrelu:0.1", "prelu", "elu", "softmax", "reshape:-1,3", "permute:2,1", "cell:gru:2:seq",
                "cell:lstm:2:state", "mha:2:2"]  # fmt: skip
SEVERAL = ["concat", "concat:axis=1", "add", "subtract", "multiply", "average", "maximum", "minimum", "dot:axes=2",
           "dot:axes=1,1:normalize", "attention", "attention:scale:score=concat", "additive_attention",
           "mha:1:2"]  # fmt: skip


@st.composite
def programs(draw) -> str:
    """A program of statements: inputs, calls on earlier names (often of fitting
    shapes, sometimes not), unpacking, init=, shared layers, inputs/outputs
    statements, and random text."""
    names = ["x0"]
    lines = [f"x0 = input:{draw(st.sampled_from(['6,3', '6,2', 'None,3', '6', '5,3:batch=2']))}"]
    for number in range(1, draw(st.integers(1, 6)) + 1):
        kind = draw(st.integers(0, 9))
        target = f"x{number}"
        if kind == 0:
            line = f"{target} = input:{draw(st.sampled_from(['6,3', '4', 'None,2', '6,3:name=b']))}"
        elif kind <= 4:
            line = f"{target} = {draw(st.sampled_from(ONE))}({draw(st.sampled_from(names))})"
        elif kind <= 6:
            tensors = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3))
            line = f"{target} = {draw(st.sampled_from(SEVERAL))}({', '.join(tensors)})"
        elif kind == 7:
            line = f"{target}, s{number}, c{number} = lstm:2:seq:state({draw(st.sampled_from(names))})"
            names += [f"s{number}", f"c{number}"]
        elif kind == 8:
            states = ", ".join(draw(st.lists(st.sampled_from(names), min_size=1, max_size=2)))
            line = f"{target} = {draw(st.sampled_from(['lstm:2', 'gru:2:seq', 'bi:2']))}" \
                   f"({draw(st.sampled_from(names))}, init=[{states}])"  # fmt: skip
        else:
            line = draw(st.sampled_from([f"m{number} = lstm:2", f"{target} = m{number - 1}(x0)",
                                         f"outputs {draw(st.sampled_from(names))}", "inputs x0", f"{target} = x0[1]",
                                         f"{target} = dense:2(dense:2({names[-1]}))"]))  # fmt: skip
            if draw(st.booleans()):
                line = draw(st.text(max_size=30))
        names.append(target)
        lines.append(line)
    return draw(st.sampled_from(["\n", "; "])).join(lines)


@st.composite
def specs(draw) -> str:
    if draw(st.booleans()):
        first = ["emb:9:3:mask_zero"] if draw(st.booleans()) else []
        return " ".join(first + draw(st.lists(st.sampled_from(LAYERS), min_size=1, max_size=4)))
    layers = []
    for _ in range(draw(st.integers(1, 4))):
        fields = draw(st.lists(st.sampled_from(WORDS) | st.text(max_size=6), min_size=1, max_size=5))
        layers.append(":".join(fields))
    return " ".join(layers)


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


@st.composite
def npy_bytes(draw) -> bytes:
    """A real .npy, a truncated one, one with a crafted header, or random bytes."""
    kind = draw(st.sampled_from(["real", "truncated", "crafted", "random"]))
    shape = tuple(draw(st.lists(st.integers(0, 6), min_size=1, max_size=3)))
    if kind == "random":
        return draw(st.binary(max_size=300))
    data = _npy(np.ones(shape, draw(st.sampled_from(["float32", "float64", "int64", "uint8"]))))
    if kind == "real":
        return data
    if kind == "truncated":
        return data[: draw(st.integers(0, len(data)))]
    header = io.BytesIO()
    claimed = tuple(draw(st.lists(st.integers(0, 2**40), min_size=0, max_size=3)))
    descr = draw(st.sampled_from(["<f4", "<f8", "|O", "<i8", "|V8", ">f4"]))
    np.lib.format.write_array_header_1_0(header, {"descr": descr, "fortran_order": draw(st.booleans()),
                                                  "shape": claimed})  # fmt: skip
    return header.getvalue() + draw(st.binary(max_size=200))


@st.composite
def npz_bytes(draw) -> bytes:
    """A zip of .npy members (crafted or not), a damaged zip, or random bytes."""
    if draw(st.booleans()):
        return draw(npy_bytes())
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        warnings.simplefilter("ignore")  # duplicate names are part of the point
        for number in range(draw(st.integers(0, 4))):
            name = draw(st.sampled_from([f"arr_{number}.npy", f"arr_{number}", "kernel.npy", "../x.npy"]))
            archive.writestr(name, draw(npy_bytes()))
    data = buffer.getvalue()
    return data[: draw(st.integers(0, len(data)))] if draw(st.booleans()) else data


@st.composite
def invocations(draw) -> tuple[list[str], dict[str, bytes], bytes | None]:
    """(arguments, files to create by name, stdin) for one run of `rnnshape summary`
    (or `rnnshape code`):
    half of them well-formed (so that they reach the engine, the forward pass and
    the output files), half hostile throughout."""
    if draw(st.booleans()):
        return draw(well_formed())
    return draw(hostile())


@st.composite
def well_formed(draw) -> tuple[list[str], dict[str, bytes], bytes | None]:
    embedding = draw(st.booleans())
    layers = draw(st.lists(st.sampled_from(LAYERS), min_size=1, max_size=3))
    stack = " ".join((["emb:9:3:mask_zero"] if embedding else []) + layers)
    args = ["-i", draw(st.sampled_from(["6", "None"] if embedding else ["6,3", "4,2", "None,3"])), stack]
    args += ["-b", draw(st.sampled_from(["1", "3"]))] if draw(st.booleans()) else []
    if draw(st.integers(0, 3)) == 0:  # the code command, with its files
        framework = draw(st.sampled_from(["keras", "pytorch"]))
        files_args = ["-o", "model.py"] + (["--save-weights", "s.npz"] if framework == "pytorch" else [])
        return ["code", "--framework", framework, *args, *draw(st.sampled_from([[], files_args]))], {}, None
    args += draw(st.sampled_from([[], ["--json"], ["--format", "plain"], ["--format", "markdown"]]))
    files: dict[str, bytes] = {}
    if draw(st.booleans()):
        args += ["--run", "--save-output", "out.npy", "--save-weights", "w.npz"]
        if "None" in args[1]:
            files["x.npy"] = _npy(np.random.default_rng(0).integers(0, 9, (2, 5)) if embedding
                                  else np.ones((2, 5, 3), np.float32))  # fmt: skip
            args += ["--input-data", "x.npy"]
    return ["summary", *args], files, None


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-3, 10) | st.floats(allow_nan=False)
                           | st.sampled_from(["float32", "channels_last", "LSTM", "Dense", "InputLayer", "keras.src.ops"]),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                               st.sampled_from(["class_name", "config", "layers", "name", "units", "batch_shape",
                                                "return_sequences", "layer", "merge_mode", "module", "inbound_nodes",
                                                "trainable", "dtype", "pool_size", "strides", "activation"]),
                               inner, max_size=5),
                           max_leaves=30)  # fmt: skip


@st.composite
def saved_model(draw) -> tuple[list[str], dict[str, bytes], bytes | None]:
    """--from with a crafted configuration: a plausible Sequential with junk in it,
    random JSON, random bytes, or a zip holding any of them."""
    layer = st.fixed_dictionaries({"class_name": st.sampled_from(["LSTM", "Dense", "Bidirectional", "Conv1D",
                                                                  "TimeDistributed", "Masking", "Reshape"]),
                                   "config": JSON_VALUES})  # fmt: skip
    plausible = {"class_name": draw(st.sampled_from(["Sequential", "Functional", "Model"])), "config": {
        "name": "m", "layers": [{"class_name": "InputLayer", "config": {"batch_shape": draw(JSON_VALUES)}}]
        + draw(st.lists(layer, max_size=3))}}  # fmt: skip
    data = draw(st.sampled_from([__import__("json").dumps(plausible).encode(),
                                 __import__("json").dumps(draw(JSON_VALUES)).encode(),
                                 draw(st.binary(max_size=200))]))  # fmt: skip
    if draw(st.booleans()):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(draw(st.sampled_from(["config.json", "../config.json", "x"])), data)
        data = buffer.getvalue()
    extra = draw(st.sampled_from([[], ["--json"], ["--run"], ["-i", "4,3"]]))
    if draw(st.integers(0, 3)) == 0:
        return ["code", "--from", "m.keras", "--framework", draw(st.sampled_from(["pytorch", "keras"]))], \
            {"m.keras": data}, None
    return ["summary", "--from", "m.keras", *extra], {"m.keras": data}, None


@st.composite
def code_options(draw, files: dict[str, bytes]) -> list[str]:
    """rnnshape code's own options, sound and not; files gets what they read."""
    args = ["--framework", draw(st.sampled_from(["pytorch", "pytorch", "keras", "PyTorch", "jax"]))]
    if draw(st.booleans()):
        args += ["-o", draw(st.sampled_from(["model.py", "model.py", "", "missing/model.py", "."]))]
    if draw(st.booleans()):
        args += ["--save-weights", draw(st.sampled_from(["state.npz", "state.npz", "model.py", "missing/s.npz"]))]
        if draw(st.booleans()):
            files["w.npz"] = draw(npz_bytes())
            args += ["--weights", "w.npz"]
        if draw(st.integers(0, 3)) == 0:
            args += ["--seed", draw(st.sampled_from(["0", "7", "-3"]))]
    return args


@st.composite
def hostile(draw) -> tuple[list[str], dict[str, bytes], bytes | None]:
    if draw(st.integers(0, 5)) == 0:
        return draw(saved_model())
    args: list[str] = []
    files: dict[str, bytes] = {}
    dims = draw(st.sampled_from(["4,3", "4,3", "6,2", "5", "None,2", "6,1", "2,10", "0,3", "x", "", "4,3,2", "(5, 2)"]))
    args += draw(st.sampled_from([["-i", dims], ["-i", dims], ["-t", dims], ["-t", dims, "-d", "3"], []]))
    sometimes = st.integers(0, 3).map(lambda n: n == 0)  # one time in four
    if draw(sometimes):
        args += ["-b", draw(st.sampled_from(["1", "2", "2", "3", "0", "x"]))]
    stdin = None
    source = draw(st.sampled_from(["args", "args", "args", "stdin", "file", "program"]))
    if source == "program":  # a graph: the input options are bad input with it
        args = [draw(programs())] if draw(st.integers(0, 3)) else args + [draw(programs())]
    elif source == "args":
        args += [draw(specs())]
    elif source == "stdin":
        args += ["-"]
        stdin = draw(st.binary(max_size=200) | specs().map(str.encode))
    else:
        files["specs.txt"] = draw(st.binary(max_size=200) | specs().map(str.encode))
        args += ["-f", "specs.txt"]
    if draw(st.integers(0, 4)) == 0:  # the code command, on the same input
        return ["code", *args, *draw(code_options(files))], files, stdin
    if draw(st.integers(0, 5)) == 0:  # and plot
        options = draw(st.lists(st.sampled_from(["--unroll", "--expand", "--format", "svg", "dot", "mermaid", "-o",
                                                 "p.svg", "p.png", "p.dot", "missing/p.svg"]), max_size=4))  # fmt: skip
        return ["plot", *args, *options], files, stdin
    args += draw(st.sampled_from([[], [], ["--json"], ["--format", "plain"], ["--format", "markdown"],
                                  ["--format", "x"]]))  # fmt: skip
    if draw(st.booleans()):
        args += ["--run", "--max-memory", "64M"]
        if draw(sometimes):
            files["w.npz"] = draw(npz_bytes())
            args += ["--weights", "w.npz"]
        if draw(sometimes):
            files["x.npy"] = draw(npy_bytes())
            args += ["--input-data", "x.npy"]
        if draw(st.booleans()):
            args += ["--save-output", draw(st.sampled_from(["out.npy", "out.npy", "", "missing/out.npy", "."]))]
        if draw(sometimes):
            args += ["--save-weights", draw(st.sampled_from(["w2.npz", "w2.npz", "missing/w.npz"]))]
        if draw(sometimes):
            args += ["--seed", draw(st.sampled_from(["0", "7", "-3"]))]
    return ["summary", *args], files, stdin


def check(args: list[str], files: dict[str, bytes], stdin: bytes | None) -> int:
    """Run one invocation in a fresh folder and assert the contract: status 0, or
    status 2 with nothing on stdout and one message on stderr; never a traceback."""
    folder, here = tempfile.mkdtemp(prefix="rnnshape-fuzz-"), os.getcwd()
    try:
        os.chdir(folder)  # the generated relative paths (and their mistakes) resolve here
        for name, data in files.items():
            with open(name, "wb") as handle:
                handle.write(data)
        result = CliRunner().invoke(main, args, input=stdin, env={"COLUMNS": "80"})
    finally:
        os.chdir(here)
        shutil.rmtree(folder, ignore_errors=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
    assert result.exit_code in (0, 2), (args, result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr
    if result.exit_code == 2:  # one message (click adds its usage lines before its own)
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
        assert result.stdout == "" and len(errors) == 1, (args, result.stdout, result.stderr)
    return result.exit_code
