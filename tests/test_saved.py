"""Saved Keras models (--from, spec --from) against what real Keras reports for them."""

import json
import shlex
import zipfile

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import FIXTURES, as_lists
from rnnshape import InputError
from rnnshape.cli import main
from rnnshape.kinds import KINDS
from rnnshape.saved import read_model
from rnnshape.shapes import infer_graph

SAVED = json.loads((FIXTURES / "keras_saved.json").read_text(encoding="utf-8"))
MODELS, UNMODELLED = SAVED["models"], SAVED["unmodelled"]
LAYER_TYPES = {kind.keras_type for kind in KINDS.values()}  # not InputLayer, nor a mask operation


def model_id(model):
    return f"{model['config']['class_name']}: {model['spec']}"


def saved_file(tmp_path, model):
    path = tmp_path / "model.json"
    path.write_text(json.dumps(model["config"]), encoding="utf-8")
    return str(path)


def figures(summary):
    """The figures of the layers (a Functional model's table also has its input and mask operations)."""
    return [(row.name, row.type, as_lists(row.output_shape), row.params, row.trainable_params)
            for row in summary.layers]  # fmt: skip


def keras_figures(model):
    return [(layer["name"], layer["type"], layer["output_shape"], layer["params"], layer["trainable_params"])
            for layer in model["layers"]]  # fmt: skip


def cli(*args):
    return CliRunner().invoke(main, list(args), env={"COLUMNS": "80"})


@pytest.mark.parametrize("model", MODELS, ids=model_id)
def test_from_gives_keras_s_figures(tmp_path, model):
    saved = read_model(saved_file(tmp_path, model))
    summary = infer_graph(saved.model_graph(), name=saved.name)
    assert figures(summary) == keras_figures(model)
    assert summary.total_params == model["total_params"] and summary.model == model["config"]["config"]["name"]


@pytest.mark.parametrize("model", MODELS, ids=model_id)
def test_spec_from_is_the_same_model_on_one_line(tmp_path, model):
    line = cli("spec", "--from", saved_file(tmp_path, model))
    assert line.exit_code == 0, line.stderr
    if model["config"]["class_name"] == "Sequential":  # the options and specs of a stack, on one line
        result = cli("summary", *shlex.split(line.stdout), "--json")
    else:  # a Functional model's program
        result = CliRunner().invoke(main, ["summary", "-", "--json", "--name", model["name"]], input=line.stdout)
    assert result.exit_code == 0, (line.stdout, result.stderr)
    document = json.loads(result.stdout)
    assert [(layer["name"], layer["type"], layer["output_shape"], layer["params"], layer["trainable_params"])
            for layer in document["layers"] if "connected_to" not in layer or layer["type"] in LAYER_TYPES] == \
        keras_figures(model)  # fmt: skip


@pytest.mark.parametrize("model", [model for model in MODELS if "file" in model], ids=model_id)
def test_keras_files_read_without_keras(model):
    result = cli("summary", "--from", str(FIXTURES / "saved" / model["file"]), "--json")
    assert result.exit_code == 0, result.stderr
    layers = [layer for layer in json.loads(result.stdout)["layers"] if layer["type"] in LAYER_TYPES]
    assert [(layer["name"], layer["output_shape"], layer["params"]) for layer in layers] == \
        [(layer["name"], layer["output_shape"], layer["params"]) for layer in model["layers"]]


def test_coverage_of_the_saved_fixtures():
    classes = {layer["config"].get("layer", {}).get("class_name", layer["class_name"])
               for model in MODELS for layer in model["config"]["config"]["layers"]}  # fmt: skip
    assert {"SimpleRNN", "LSTM", "GRU", "Dense", "Embedding", "Dropout", "Masking", "Conv1D", "MaxPooling1D",
            "AveragePooling1D", "GlobalMaxPooling1D", "GlobalAveragePooling1D", "Flatten", "RepeatVector",
            "BatchNormalization", "LayerNormalization", "Activation", "SpatialDropout1D", "GaussianNoise"} <= classes
    kinds = {model["config"]["class_name"] for model in MODELS}
    assert kinds == {"Sequential", "Functional"} and len(MODELS) >= 60


@pytest.mark.parametrize("case", [case for case in UNMODELLED if case["what"] != "not a straight chain"],
                         ids=lambda case: case["what"])  # a branching model is read now (tests/test_graph.py)
def test_what_rnnshape_does_not_model_is_refused_by_name(tmp_path, case):
    path = tmp_path / "model.json"
    path.write_text(json.dumps(case["config"]), encoding="utf-8")
    result = cli("summary", "--from", str(path))
    assert result.exit_code == 2 and result.stdout == ""
    # Reshape is modelled now: the Conv2D after it is what that model is refused for.
    assert {"Reshape": "Conv2D"}.get(case["what"], case["what"]) in result.stderr, result.stderr


def test_from_takes_no_specs_or_input_options(tmp_path):
    path = saved_file(tmp_path, MODELS[0])
    for extra in (["lstm:3"], ["-i", "4,3"], ["-b", "2"], ["-f", "x"]):
        result = cli("summary", "--from", path, *extra)
        assert result.exit_code == 2 and "--from reads the layers, input shape and batch" in result.stderr


def test_from_runs_too(tmp_path):
    model = next(model for model in MODELS if model["spec"] == "lstm:4:seq:state")
    result = cli("summary", "--from", saved_file(tmp_path, model), "--run", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["run"]["output_shape"] == [[1, 5, 4], [1, 4], [1, 4]]


# Hostile files: exit 2, one message, fast, in little memory.


def refused(path, words):
    result = cli("summary", "--from", str(path))
    assert result.exit_code == 2 and result.stdout == "" and words in result.stderr, result.stderr


def test_hostile_saved_models(tmp_path):
    bomb = tmp_path / "bomb.keras"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("config.json", "w", force_zip64=True) as member:
            for _ in range(64):
                member.write(b" " * 2**20)  # 64 MiB of spaces, compressed to almost nothing
    assert bomb.stat().st_size < 2**20
    refused(bomb, "over the 16 MB limit")
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (16 * 2**20 + 1))
    refused(big, "over the 16 MB limit")
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    refused(deep, "neither a .keras file nor a model's JSON")
    traversal = tmp_path / "traversal.keras"
    with zipfile.ZipFile(traversal, "w") as archive:
        archive.writestr("../config.json", json.dumps(MODELS[0]["config"]))
    refused(traversal, "zip without config.json")
    assert not (tmp_path.parent / "config.json").exists()  # nothing is extracted, anywhere
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes((FIXTURES / "saved" / next(m["file"] for m in MODELS if "file" in m)).read_bytes()[:5000])
    refused(truncated, "--from")
    junk = tmp_path / "junk.keras"
    junk.write_bytes(bytes(range(256)) * 10)
    refused(junk, "neither a .keras file nor a model's JSON")
    refused(tmp_path / "missing.keras", "no such file")
    refused(tmp_path, "is a folder")
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps({"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer",
                                                                                   "config": {}}]}}))
    refused(odd, "no usable batch_shape")
    named = json.loads(json.dumps(next(model["config"] for model in MODELS
                                       if model["config"]["class_name"] == "Sequential")))  # fmt: skip
    named["config"]["layers"][1]["config"]["name"] = "a:b"
    path = tmp_path / "named.json"
    path.write_text(json.dumps(named))
    assert cli("summary", "--from", str(path)).exit_code == 0  # a name the grammar cannot hold still summarises
    line = cli("spec", "--from", str(path))
    assert line.exit_code == 2 and "cannot be written in a spec" in line.stderr


def test_read_model_raises_input_error_only(tmp_path):
    path = tmp_path / "x.json"
    for text in ["{}", "[]", '{"class_name": "Sequential", "config": {"layers": "no"}}', "null", '"text"']:
        path.write_text(text)
        with pytest.raises(InputError):
            read_model(str(path))


# Weights from a .keras file or a Keras 3 weights file (HDF5, with the h5py extra).


@pytest.mark.parametrize("model", [model for model in MODELS if "run" in model], ids=model_id)
def test_weights_from_a_keras_file_reproduce_keras(tmp_path, model):
    import numpy as np

    inputs = np.asarray(model["run"]["input"])
    np.save(tmp_path / "x.npy", inputs.astype(np.int64 if inputs.dtype.kind in "iu" else np.float32))
    saved = str(FIXTURES / "saved" / model["file"])
    sources = [saved] + ([str(FIXTURES / "saved" / model["weights_file"])] if "weights_file" in model else [])
    for weights in sources:
        result = cli("summary", "--from", saved, "--run", "--weights", weights, "--input-data",
                     str(tmp_path / "x.npy"), "--save-output", str(tmp_path / "y"), "--json")
        assert result.exit_code == 0, result.stderr
        expected = [np.asarray(output, np.float32) for output in model["run"]["outputs"]]
        if len(expected) == 1:
            got = [np.load(tmp_path / "y")]
        else:
            with np.load(tmp_path / "y") as archive:
                got = [archive[f"arr_{k}"] for k in range(len(expected))]
        for mine, keras in zip(got, expected):
            np.testing.assert_allclose(mine, keras, rtol=1e-5, atol=1e-6)


def test_hdf5_weights_that_do_not_fit_the_stack_are_refused():
    saved = FIXTURES / "saved" / next(model["file"] for model in MODELS if "run" in model)
    result = cli("summary", "-i", "5,3", "lstm:3", "--run", "--weights", str(saved))
    assert result.exit_code == 2 and "layer 1 'lstm' (group layers/lstm) weight 'kernel' has shape (3, 32), but " \
        "the stack needs (3, 12)" in result.stderr
    result = cli("summary", "-i", "5,3", "gru:3", "--run", "--weights", str(saved))
    assert result.exit_code == 2 and "(group layers/gru): no such group: the file is not this model's" in result.stderr


def test_without_h5py_the_message_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "h5py", None)  # as if it were not installed
    model = next(model for model in MODELS if "weights_file" in model)
    saved = str(FIXTURES / "saved" / model["file"])
    result = cli("summary", "--from", saved, "--run", "--weights", saved)
    assert result.exit_code == 2 and "needs h5py, an optional extra: pip install 'rnnshape[h5]'" in result.stderr


def test_a_fifo_as_a_model_is_refused_not_waited_on(tmp_path):
    import os

    fifo = tmp_path / "model.keras"
    os.mkfifo(fifo)
    refused(fifo, "is not a regular file (a FIFO or a device)")


@pytest.mark.parametrize("config", [
    # Found by benchmarks/fuzz_cli.py: a null layer config in a Functional model was an internal error.
    {"class_name": "Functional", "config": {"name": "m", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": None}}, {"class_name": "LSTM", "config": None}]}},
    {"class_name": "Sequential", "config": {"layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 4, 3]}},
        {"class_name": ["LSTM"], "config": {"units": 3}}]}},
    {"class_name": "Sequential", "config": {"layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 4, 3]}},
        {"class_name": "Bidirectional", "config": {"name": "b", "layer": {"class_name": {}, "config": 3}}}]}},
    {"class_name": "Sequential", "config": {"layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 4, 3]}},
        {"class_name": "Dense", "config": {"name": "d", "units": 3, "dtype": {"config": 7}}}]}},
])
def test_crafted_configurations_are_bad_input(tmp_path, config):
    path = tmp_path / "model.json"
    path.write_text(json.dumps(config))
    result = cli("summary", "--from", str(path))
    assert result.exit_code == 2 and result.stdout == "" and result.stderr.startswith("Error: --from")


# Keras 2's saved models (tests/fixtures/keras2_saved/, made by make_keras2_saved_fixtures.py):
# each saved by tf.keras 2.15 as model.save("NAME.h5") and model.to_json(), and rebuilt by
# Keras 3.15, whose summary rnnshape prints for them.
KERAS2_SAVED = json.loads((FIXTURES / "keras2_saved.json").read_text())["models"]


@pytest.mark.parametrize("suffix", [".json", ".h5"])
@pytest.mark.parametrize("model", KERAS2_SAVED, ids=[model["name"] for model in KERAS2_SAVED])
def test_a_keras_2_model_prints_what_keras_3_prints_for_it_rebuilt(model, suffix):
    if suffix == ".h5":
        pytest.importorskip("h5py")
    path = FIXTURES / "keras2_saved" / f"{model['name']}{suffix}"
    result = CliRunner().invoke(main, ["summary", "--from", str(path)], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    assert result.stdout == model["summary"]


@pytest.mark.parametrize("model", KERAS2_SAVED, ids=[model["name"] for model in KERAS2_SAVED])
def test_a_keras_2_h5_files_weights_are_read_in_get_weights_order(model):
    """The fixture set the k-th array of get_weights() to ((i + 3k) % 7 - 3) / 10."""
    pytest.importorskip("h5py")
    from rnnshape.shapes import infer_graph
    from rnnshape.weights import load_weights

    path = str(FIXTURES / "keras2_saved" / f"{model['name']}.h5")
    saved = read_model(path)
    flat = [array for arrays in load_weights(path, infer_graph(saved.model_graph(), name=saved.name), "float32")
            for array in arrays]  # fmt: skip
    assert [list(array.shape) for array in flat] == model["weight_shapes"]
    for k, array in enumerate(flat):
        expected = (((np.arange(array.size) + 3 * k) % 7 - 3).reshape(array.shape) / 10).astype(np.float32)
        assert np.array_equal(array, expected), k


def test_a_keras_2_h5_file_runs_with_its_own_weights():
    pytest.importorskip("h5py")
    path = str(FIXTURES / "keras2_saved" / "chapter.h5")
    result = CliRunner().invoke(main, ["summary", "--from", path, "--weights", path, "--run", "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["run"]["outputs"][0]["shape"] == [8, 3]


def test_a_keras_2_file_whose_config_is_no_model_is_bad_input(tmp_path):
    pytest.importorskip("h5py")
    import h5py

    path = tmp_path / "weights.h5"
    with h5py.File(path, "w") as handle:
        handle.create_group("model_weights")
    result = CliRunner().invoke(main, ["summary", "--from", str(path)])
    assert result.exit_code == 2 and "without a model_config" in result.stderr


def test_a_keras_2_gru_saved_without_reset_after_takes_keras_2s_default(tmp_path):
    """Keras before 2.3 saved no reset_after, and its GRU did not reset after (one bias)."""
    config = json.loads((FIXTURES / "keras2_saved" / "classifier.json").read_text())
    gru = next(layer["config"] for layer in config["config"]["layers"] if layer["class_name"] == "GRU")
    counts = []
    for value in (True, None):
        if value is None:
            gru.pop("reset_after")
        else:
            gru["reset_after"] = value
        (tmp_path / "model.json").write_text(json.dumps(config))
        result = CliRunner().invoke(main, ["summary", "--from", str(tmp_path / "model.json"), "--json"])
        counts.append(next(layer["params"] for layer in json.loads(result.stdout)["layers"] if layer["name"] == "gru"))
    assert counts == [3 * 8 * (32 + 8) + 2 * 3 * 8, 3 * 8 * (32 + 8) + 3 * 8]


@pytest.mark.parametrize("link", ["external", "soft"])
def test_a_weights_file_that_links_elsewhere_is_refused(tmp_path, link):
    """Found in review: an HDF5 group replaced by a link had h5py open another file."""
    h5py = pytest.importorskip("h5py")
    import shutil

    path = tmp_path / "chapter.h5"
    shutil.copy(FIXTURES / "keras2_saved" / "chapter.h5", path)
    with h5py.File(tmp_path / "elsewhere.h5", "w") as other:
        other.create_group("rnn")
    with h5py.File(path, "a") as model_file:
        del model_file["model_weights/rnn"]
        model_file["model_weights/rnn"] = (h5py.ExternalLink(str(tmp_path / "elsewhere.h5"), "/rnn")
                                           if link == "external" else h5py.SoftLink("/model_weights"))  # fmt: skip
    result = CliRunner().invoke(main, ["summary", "--from", str(path), "--weights", str(path), "--run"])
    assert result.exit_code == 2 and "a link to elsewhere" in result.stderr, result.output
