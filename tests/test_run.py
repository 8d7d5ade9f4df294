"""Planning and executing --run: concrete shapes, input files, the memory guard."""

import re

import numpy as np
import pytest

from rnnshape import InputError
from rnnshape.run import execute, parse_memory, plan_run


def test_plan_fills_the_batch_and_keeps_the_declared_shapes():
    plan = plan_run("simple:3:seq dense:2", (4, 5))
    assert plan.summary.input_shape == (1, 4, 5) and plan.summary.output_shape == (1, 4, 2)
    assert plan_run("simple:3", (4, 5), batch_size=8).summary.input_shape == (8, 4, 5)
    # Progress: each block of random input drawn (here one), then for each recurrent layer
    # each block of its input projection (here one) and each step; twice for bi.
    assert plan.time_steps == 1 + 1 + 4 and plan_run("bi:3", (4, 5)).time_steps == 1 + 2 * (1 + 4)


@pytest.mark.parametrize("specs, dims, batch", [("simple:3:seq dense:2", (4, 5), 1),
                                                ("masking bi:lstm:8:seq gru:4", (50, 300), 600),
                                                ("emb:100:512 lstm:512", (300,), 128)])
def test_progress_is_reported_as_often_as_planned(specs, dims, batch):
    """The bar's total is exact, and a large projection is reported block by block."""
    plan = plan_run(specs, dims, batch)
    calls = []
    execute(plan, progress=lambda: calls.append(1))
    assert len(calls) == plan.time_steps
    if specs.startswith("emb"):
        assert plan.time_steps > 300 + 1  # 128 x 512 x 2048 per step: several blocks
    if specs.startswith("masking"):  # 64 x 50 x 300 random numbers: drawn in blocks that count too
        assert len(plan.input_blocks[0]) > 1


def test_none_timesteps_need_data(tmp_path):
    with pytest.raises(InputError, match="None timesteps: give --input-data"):
        plan_run("lstm:3", (None, 5))
    path = tmp_path / "x.npy"
    np.save(path, np.ones((6, 9, 5), np.float32))
    plan = plan_run("lstm:3:seq", (None, 5), input_path=str(path))
    assert plan.summary.input_shape == (6, 9, 5)
    result = execute(plan)
    assert result.output.shape == (6, 9, 3)
    np.testing.assert_array_equal(result.inputs[0], np.ones((6, 9, 5), np.float32))


def test_input_data_is_cast_to_the_compute_dtype(tmp_path):
    path = tmp_path / "x.npy"
    np.save(path, np.arange(24).reshape(2, 3, 4))  # integers are numbers too
    result = execute(plan_run("gru:2", (3, 4), input_path=str(path), dtype="float64"))
    assert result.inputs[0].dtype == np.float64 and result.output.dtype == np.float64


def test_random_input_is_seeded():
    first, again, other = (execute(plan_run("simple:3", (4, 5), seed=seed)).output for seed in (3, 3, 4))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_embedding_gets_random_ids_in_range():
    result = execute(plan_run("emb:7:3 simple:2", (50,), batch_size=4))
    assert result.inputs[0].shape == (4, 50) and result.inputs[0].min() >= 0 and result.inputs[0].max() < 7


def test_statistics():
    stats = execute(plan_run("simple:3:seq", (4, 5), batch_size=2)).statistics()
    assert set(stats) == {"output_shape", "dtype", "seconds", "mean", "std", "min", "max", "seed", "weights_file",
                          "input_file", "outputs"}
    assert stats["weights_file"] is None and stats["input_file"] is None  # both drawn from the seed
    assert stats["output_shape"] == [2, 4, 3] and stats["min"] <= stats["mean"] <= stats["max"]
    assert stats["outputs"] == [{key: stats[key] for key in ("mean", "std", "min", "max")} | {"shape": [2, 4, 3]}]
    assert -1 <= stats["min"] and stats["max"] <= 1 and stats["seconds"] > 0


def test_half_precision_is_refused():
    for dtype in ("float16", "bfloat16"):
        with pytest.raises(InputError, match="float32 or float64"):
            plan_run("simple:3", (4, 5), dtype=dtype)


def test_memory_guard_refuses_before_allocating():
    # More than the machine has: no --max-memory would help, so none is suggested.
    with pytest.raises(InputError, match=r"needs about .* TB, more than this machine's .* of memory: shrink"):
        plan_run("simple:10000000:seq", (10, 5))
    with pytest.raises(InputError) as refusal:
        plan_run("lstm:64:seq", (100, 64), batch_size=32, max_memory=1024 * 1024)
    suggested = re.search(r"--max-memory (\w+)\)", str(refusal.value)).group(1)
    assert plan_run("lstm:64:seq", (100, 64), batch_size=32, max_memory=parse_memory(suggested))


@pytest.mark.parametrize("text, size", [("512", 512), ("2K", 2048), ("512M", 512 * 1024**2), ("2g", 2 * 1024**3),
                                        ("1.5GB", int(1.5 * 1024**3)), ("2GiB", 2 * 1024**3), ("1T", 1024**4)])
def test_parse_memory(text, size):
    assert parse_memory(text) == size


def test_parse_memory_is_exact_for_any_size_it_takes():
    assert parse_memory("9" * 30) == int("9" * 30)
    assert parse_memory("189211T") == 189211 * 1024**4
    assert parse_memory("0.1K") == 102


@pytest.mark.parametrize("text", ["", "lots", "-1G", "2X", "1.2.3M", "9" * 31, "9" * 400, "1" * 10**6])
def test_parse_memory_refuses(text):
    with pytest.raises(InputError, match="bad --max-memory"):
        parse_memory(text)


def save(tmp_path, array, name="x.npy"):
    path = tmp_path / name
    np.save(path, array, allow_pickle=True)
    return str(path)


@pytest.mark.parametrize("specs, dims, batch, array, message", [
    ("simple:3", (4, 5), None, np.zeros((2, 4)), r"has shape \(2, 4\), but the stack takes \(None, 4, 5\)"),
    ("simple:3", (4, 5), None, np.zeros((2, 4, 6)), r"has shape \(2, 4, 6\)"),
    ("simple:3", (4, 5), 3, np.zeros((2, 4, 5)), r"the stack takes \(3, 4, 5\)"),
    ("simple:3", (None, 5), None, np.zeros((2, 0, 5)), "every dim must be at least 1"),
    ("simple:3", (4, 5), None, np.full((2, 4, 5), "a"), "must be real numbers"),
    ("simple:3", (4, 5), None, np.zeros((2, 4, 5), complex), "must be real numbers"),
    ("emb:10:3 simple:2", (4,), None, np.zeros((2, 4)), "an embedding reads integer ids"),
    ("emb:10:3 simple:2", (4,), None, np.full((2, 4), 10), "ids from 10 to 10, but the embedding's vocabulary is 0..9"),
    ("emb:10:3 simple:2", (4,), None, np.full((2, 4), -1), "ids from -1"),
    ("simple:3", (4, 5), None, np.array([{"a": 1}], dtype=object), "holds Python objects, which rnnshape does not load"),
])
def test_bad_input_data(tmp_path, specs, dims, batch, array, message):
    with pytest.raises(InputError, match=message):
        execute(plan_run(specs, dims, batch, input_path=save(tmp_path, array)))


def test_input_files_that_are_not_npy(tmp_path):
    npz = tmp_path / "x.npz"
    np.savez(npz, np.zeros((2, 4, 5)), np.zeros((2, 4, 5)))  # an .npz holds an array per input
    for path, message in [(str(npz), "holds arrays named arr_0, arr_1; the model takes 1"),
                          (str(tmp_path / "none.npy"), "no such file")]:  # fmt: skip
        with pytest.raises(InputError, match=message):
            plan_run("simple:3", (4, 5), input_path=path)
    np.savez(npz, np.ones((2, 4, 5)))
    assert execute(plan_run("simple:3", (4, 5), input_path=str(npz))).inputs[0].shape == (2, 4, 5)
    text = tmp_path / "text.npy"
    text.write_text("hello")
    with pytest.raises(InputError, match="not a NumPy .npy/.npz file"):
        plan_run("simple:3", (4, 5), input_path=str(text))


def test_a_crafted_npy_header_is_refused_before_loading(tmp_path):
    """Found by benchmarks/fuzz_cli.py: a header declaring an enormous shape made the
    memory map overflow (an internal error); a header must match the file's size."""
    import io

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (1301378, 885923616818)})  # fmt: skip
    path = tmp_path / "x.npy"
    path.write_bytes(header.getvalue() + b"x" * 100)
    with pytest.raises(InputError, match="declares .* bytes of data in its header but holds 100: the file is damaged"):
        plan_run("simple:3", (None, 5), input_path=str(path))
    np.save(path, np.ones((2, 4, 5)))
    path.write_bytes(path.read_bytes()[:-8])  # one float short
    with pytest.raises(InputError, match="damaged or crafted"):
        plan_run("simple:3", (None, 5), input_path=str(path))
