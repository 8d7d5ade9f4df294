"""The forward pass: Keras's outputs (float32), and an independent float64 reference."""

import json

import numpy as np
import pytest

import reference
from conftest import FIXTURES, KERAS_STACKS, stack_id
from rnnshape import summarize
from rnnshape.forward import forward, run_memory_bytes
from rnnshape.kinds import GRAPH_KINDS, KINDS
from rnnshape.run import execute, plan_run
from rnnshape.weights import initial_weights

FORWARD_STACKS = json.loads((FIXTURES / "keras_forward.json").read_text(encoding="utf-8"))["stacks"]
ARRAYS = np.load(FIXTURES / "keras_forward.npz")


def keras_case(number):
    """Summary, Keras's weights (grouped by layer), input and outputs (a list) of fixture stack `number`."""
    stack = FORWARD_STACKS[number]
    x = ARRAYS[f"{number}_x"]
    count = stack.get("outputs", 1)
    ys = [ARRAYS[f"{number}_y"]] if count == 1 else [ARRAYS[f"{number}_y{k}"] for k in range(count)]
    summary = summarize(stack["spec"], x.shape[1:], x.shape[0])
    flat = iter(ARRAYS[f"{number}_w{index}"] for index in range(stack["weights"]))
    weights = [[next(flat) for _ in row.weights] for row in summary.rows]
    return summary, weights, x, ys


def as_list(output):
    return output if isinstance(output, list) else [output]


CASES = list(range(len(FORWARD_STACKS)))
IDS = [f"{number}: {stack['spec']}" for number, stack in enumerate(FORWARD_STACKS)]


@pytest.mark.parametrize("number", CASES, ids=IDS)
def test_float32_equals_keras(number):
    summary, weights, x, ys = keras_case(number)
    outputs = as_list(forward(summary, weights, x))
    assert len(outputs) == len(ys)
    exact = None
    for position, (output, y) in enumerate(zip(outputs, ys)):
        assert output.dtype == np.float32 and output.shape == y.shape
        # 1e-5 relative; the 1e-6 absolute floor covers outputs near 0, where the
        # float32 rounding of a sum dominates whichever order it is added in.
        if np.allclose(output, y, rtol=1e-5, atol=1e-6, equal_nan=True):
            continue
        # A stack that amplifies float32's rounding step after step (unbounded
        # gates or activations) drifts apart in any two float32 implementations:
        # there rnnshape must be at least as close to the float64 result as Keras is.
        if exact is None:
            exact = as_list(forward(summary, [[a.astype(np.float64) for a in arrays] for arrays in weights],
                                    x if x.dtype.kind in "iu" else x.astype(np.float64)))  # fmt: skip
        ours, keras = np.abs(output - exact[position]), np.abs(y - exact[position])
        assert np.all(ours <= keras + 1e-5 * np.abs(exact[position]) + 1e-6), f"max excess {np.max(ours - keras)}"


@pytest.mark.parametrize("number", CASES, ids=IDS)
def test_float64_equals_the_reference(number):
    summary, weights, x, _ = keras_case(number)
    weights64 = [[array.astype(np.float64) for array in arrays] for arrays in weights]
    inputs = x if x.dtype.kind in "iu" else x.astype(np.float64)
    outputs = as_list(forward(summary, weights64, inputs))
    expected = as_list(reference.forward(summary, weights64, inputs))
    assert len(outputs) == len(expected)
    for output, reference_output in zip(outputs, expected):
        assert output.dtype == np.float64
        np.testing.assert_allclose(output, reference_output, rtol=1e-10, atol=1e-13)


def test_every_kind_flag_merge_mode_and_activation_has_a_keras_case():
    specs = " ".join(stack["spec"] for stack in FORWARD_STACKS)
    from rnnshape.kinds import ACTIVATIONS
    from rnnshape.spec import FLAGS, kind_words

    words = set(specs.lower().replace(" ", ":").split(":"))
    runnable = {word for word in kind_words() if KINDS[word] not in GRAPH_KINDS}
    assert runnable - {"bi", "td", "embedding"} <= words  # the wrappers and embedding by other words
    for word in ["bi:simple", "bi:lstm", "bi:gru", "td:dense", "emb:"]:
        assert word in specs
    graph_flags = {flag for kind in GRAPH_KINDS for flag in kind.flags} - {flag for kind in KINDS.values()
                                                                         if kind not in GRAPH_KINDS for flag in kind.flags}
    assert {flag for flag in FLAGS if flag not in ("name",)} - graph_flags <= {word.split("=")[0] for word in words}
    for word in ["reset_after=false", "merge=sum", "merge=mul", "merge=ave", "merge=none", "pad=same",
                 "pad=causal", "name="]:
        assert word in specs
    assert any(stack["spec"].startswith("bi:") and "merge" not in stack["spec"] for stack in FORWARD_STACKS)
    assert {f"act={name}" for name in ACTIVATIONS} - {"act=sparsemax"} <= words
    assert "activation:sparsemax" in specs
    assert any(None in stack["input"] for stack in FORWARD_STACKS)
    assert sum(stack.get("outputs", 1) > 1 for stack in FORWARD_STACKS) >= 10


def test_masks_cover_the_start_middle_and_end_of_rows():
    """The masked fixture data pads row 0 at the start, row 1 at the end and row 2 in the middle."""
    masked = [number for number, stack in enumerate(FORWARD_STACKS)
              if "mask_zero" in stack["spec"] or stack["spec"].startswith("masking")]  # fmt: skip
    assert len(masked) >= 30
    rows = 0
    for number in masked:
        x = ARRAYS[f"{number}_x"]
        padding = (x == 0) if x.ndim == 2 else np.all(x == x[0, 0], axis=-1)
        assert padding[0, 0] and not padding[0, -1] and padding[1, -1] and not padding[1, 0]
        if len(x) > 2:
            assert padding[2, x.shape[1] // 2] and not padding[2, 0] and not padding[2, -1]
            rows += 1
    assert rows >= 20


@pytest.mark.parametrize("stack", KERAS_STACKS, ids=stack_id)
def test_the_output_has_the_predicted_shape(stack):
    dims = [12 if dim is None else dim for dim in stack["input"]]  # a concrete length for None
    plan = plan_run(stack["spec"], dims, stack["batch"] or 2)
    result = execute(plan)
    assert [output.shape for output in result.outputs] == list(plan.summary.rows[-1].outputs)
    # Bounded stacks give finite outputs (unbounded gates, exponentials and an
    # all-masked mean may not, in Keras either).
    if not any(word in stack["spec"] for word in ("exponential", "recurrent_activation=", "mask")):
        assert all(np.isfinite(output).all() for output in result.outputs)


def test_dtype_is_kept():
    for dtype in ("float32", "float64"):
        result = execute(plan_run("emb:30:4 bi:lstm:3:seq gru:2:seq dense:2", (5,), 2, dtype=dtype))
        assert result.output.dtype == dtype


def test_weights_follow_the_declared_shapes():
    summary = summarize("emb:30:4 bi:lstm:3:seq gru:2:reset_after=false dense:2", (5,), 2)
    weights = initial_weights(summary, seed=0, dtype="float32")
    assert [[array.shape for array in arrays] for arrays in weights] == \
        [[weight.shape for weight in row.weights] for row in summary.rows]


def test_memory_estimate_covers_what_the_run_holds():
    summary = summarize("lstm:64:seq lstm:64:seq dense:8", (50, 32), 16)
    weights = initial_weights(summary, 0, "float64")
    x = np.zeros((16, 50, 32))
    held = sum(a.nbytes for arrays in weights for a in arrays) + x.nbytes + forward(summary, weights, x).nbytes
    assert held < run_memory_bytes(summary, 8) < 20 * held


def peak_bytes_of_a_run(specs: str, timesteps: int, features: int, batch: int) -> tuple:
    """The summary of ``specs`` and the most memory (bytes, as tracemalloc sees NumPy's
    allocations) its forward pass holds at once, on float64 weights and input made beforehand."""
    import tracemalloc

    summary = summarize(specs, (timesteps, features), batch)
    weights = initial_weights(summary, 0, "float64")
    x = np.random.default_rng(0).normal(0, 1, (batch, timesteps, features))
    tracemalloc.start()
    try:
        forward(summary, weights, x)
        return summary, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("specs", ["lstm:32", "gru:32:seq", "simple:128", "bi:lstm:16:seq", "lstm:32:seq lstm:8"])
def test_memory_estimate_covers_the_peak_and_needs_no_whole_projection(specs, monkeypatch):
    import rnnshape.kinds

    monkeypatch.setattr(rnnshape.kinds, "PROJECTION_BLOCK_MULT_ADDS", 2**14)  # blocks of a few steps
    summary, peak = peak_bytes_of_a_run(specs, 2000, 8, 4)
    estimate = run_memory_bytes(summary, 8)
    assert peak < estimate
    projection_width = {"lstm:32": 4 * 32, "simple:128": 128}.get(specs)
    if projection_width:  # the projection of 2000 steps (8 MB) is never held whole, nor counted
        assert peak < estimate < 2000 * 4 * projection_width * 8 / 4


def test_a_long_sequence_through_a_tiny_layer_holds_a_block_not_the_sequence():
    """However small the layer, the projection's buffer (and the views of its steps) is a
    block of steps: 60,000 steps of one unit stay far below a (steps x gates) buffer."""
    _, peak = peak_bytes_of_a_run("lstm:1", 60000, 1, 1)
    assert peak < 60000 * 4 * 8 / 2  # half the projection of the whole sequence (1.9 MB)


# Gates that are nearly closed must keep float32's relative precision (as Keras's
# sigmoid does): an output gate of 1e-5 scales the whole output, so an absolute
# error of 3e-8 in it (what (1 + tanh(x/2)) / 2 gives) is a relative error of 3e-3.

GATED = [
    ("lstm:8 dense:2", 3, [slice(24, 32), slice(0, 8)]),  # output and input gates nearly closed
    ("lstm:6:seq", 3, [slice(18, 24)]),
    ("lstm:6:seq:act=softsign dense:2", 3, [slice(18, 24), slice(6, 12)]),  # forget gates closed too
    ("bi:lstm:4:merge=mul", 3, [slice(12, 16)]),
]


@pytest.mark.parametrize("specs, features, closed", GATED, ids=[case[0] for case in GATED])
def test_nearly_closed_gates_keep_relative_precision(specs, features, closed):
    summary = summarize(specs, (6, features), 4)
    rng = np.random.default_rng(3)
    weights = [[rng.normal(0, 0.5, weight.shape) for weight in row.weights] for row in summary.rows]
    for arrays in weights[0][2::3]:  # the biases (both directions of a Bidirectional)
        for gate in closed:
            arrays[..., gate] = rng.uniform(-14, -8, arrays[..., gate].shape)  # gate = sigmoid(-8..-14)
    if len(weights) > 1:
        weights[1][0] *= 1000  # a large dense kernel carries the small output on
    x = rng.normal(0, 1, (4, 6, features))
    exact = np.asarray(reference.forward(summary, weights, x))
    single = forward(summary, [[a.astype(np.float32) for a in arrays] for arrays in weights], x.astype(np.float32))
    # Relative, with no absolute floor to hide behind.
    np.testing.assert_allclose(single, exact, rtol=2e-5, atol=0)


def test_an_overflowing_gru_gives_inf_as_keras_does_not_nan():
    # One step: from an infinite state on, the recurrent product is nan in Keras too.
    summary = summarize("gru:3:act=exponential", (1, 2), 2)
    rng = np.random.default_rng(0)
    weights = [[rng.normal(0, 0.5, weight.shape).astype(np.float32) for weight in summary.rows[0].weights]]
    weights[0][0][:, 6:] = 60  # the candidate's pre-activation: exp overflows float32
    x = np.abs(rng.normal(0, 1, (2, 1, 2))).astype(np.float32) + 1
    with np.errstate(all="ignore"):
        output = forward(summary, weights, x)
        expected = reference.forward(summary, [[a.astype(np.float64) for a in weights[0]]], x.astype(np.float32))
        expected = expected.astype(np.float32)  # Keras computes in float32: what overflows there is inf
    assert np.isposinf(output).any() and not np.isnan(output).any()
    assert np.array_equal(np.isinf(output), np.isinf(expected))


def test_recurrent_activation_acts_on_each_gate_alone():
    """softmax as the gates' activation normalises each gate's units, as Keras's cells split the gates."""
    summary = summarize("lstm:3:recurrent_activation=softmax:seq", (4, 2), 2)
    rng = np.random.default_rng(1)
    weights = [[rng.normal(0, 1, weight.shape) for weight in summary.rows[0].weights]]
    x = rng.normal(0, 1, (2, 4, 2))
    np.testing.assert_allclose(forward(summary, weights, x), reference.forward(summary, weights, x), rtol=1e-10)


def test_masked_steps_carry_the_state():
    """A step masked in the middle leaves the state (and so the output) as it was; zeros before the first valid step."""
    summary = summarize("masking lstm:3:seq", (5, 2), 1)
    weights = initial_weights(summary, 0, "float64")
    x = np.random.default_rng(0).normal(0, 1, (1, 5, 2))
    x[0, [0, 2]] = 0
    output = forward(summary, weights, x)[0]
    assert not output[0].any()
    np.testing.assert_array_equal(output[2], output[1])
    assert not np.array_equal(output[3], output[2])
    unmasked = forward(summarize("lstm:3:seq", (2, 2), 1), weights[1:], x[:, [1, 3]])[0]
    np.testing.assert_allclose(output[[1, 3]], unmasked)  # as if the masked steps were not there


# The input projection is computed a block of steps at a time, in the order the
# layer reads the steps; most runs fit in one block, so here blocks of 1, 2 and 3
# steps (3 does not divide 7) must give what one block gives, forwards and backwards,
# masked, with initial states, and inside Bidirectional.
BLOCKED = ["lstm:4:seq", "gru:4:seq:back", "simple:4:seq:back", "lstm:4:back", "gru:4:seq:reset_after=false",
           "masking bi:lstm:3:seq", "masking bi:gru:3:merge=sum", "masking lstm:3:seq:back"]  # fmt: skip


@pytest.mark.parametrize("specs", BLOCKED)
@pytest.mark.parametrize("block", [1, 2, 3])
def test_the_projection_in_blocks_of_steps_gives_what_one_block_gives(specs, block, monkeypatch):
    import rnnshape.forward

    summary = summarize(specs, (7, 3), 2)
    weights = initial_weights(summary, 5, "float64")
    rng = np.random.default_rng(4)
    for arrays in weights:
        for array in arrays:
            array += rng.normal(0, 0.3, array.shape)  # non-zero biases, every gate
    x = rng.normal(0, 1, (2, 7, 3))
    x[0, [1, 5]] = 0  # masked steps where there is a Masking layer, in two different blocks
    x[1, 6] = 0
    whole = forward(summary, weights, x)
    monkeypatch.setattr(rnnshape.forward, "projection_block", lambda *shape: block)
    np.testing.assert_allclose(forward(summary, weights, x), whole, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(whole, reference.forward(summary, weights, x), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("specs", ["lstm:3:seq", "gru:3:seq", "gru:3:reset_after=false", "simple:3:seq:act=exponential",
                                   "bi:lstm:3:seq"])  # fmt: skip
def test_gates_that_overflow_give_no_warning(specs):
    """exp overflows to inf in closed gates, an exponential state to inf then nan: silently, as in
    Keras, for a library caller too."""
    import warnings

    summary = summarize(specs, (4, 2), 2)
    x = np.full((2, 4, 2), 1e4, np.float32)
    x[1] *= -1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        output = forward(summary, initial_weights(summary, 0, "float32"), x)
    assert output.shape[0] == 2


def test_blocks_of_steps_with_initial_states(monkeypatch):
    import rnnshape.forward
    from rnnshape.graph import parse_program
    from rnnshape.shapes import infer_graph

    program = "x = input:7,3; _, h, c = lstm:4:state(x); y = lstm:4:seq:back(x, init=[h, c])"
    summary = infer_graph(parse_program(program))
    weights = initial_weights(summary, 1, "float64")
    x = np.random.default_rng(2).normal(0, 1, (2, 7, 3))
    whole = forward(summary, weights, x)
    monkeypatch.setattr(rnnshape.forward, "projection_block", lambda *shape: 2)
    np.testing.assert_allclose(forward(summary, weights, x), whole, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("specs", ["avgpool:2:pad=same", "avgpool:4:stride=1:pad=same", "avgpool:3:stride=2:pad=same",
                                   "avgpool:2:stride=3:pad=same", "maxpool:4:stride=3:pad=same",
                                   "conv1d:3:4:stride=2:pad=same", "conv1d:2:3:stride=2:pad=causal:nobias"])
def test_uneven_same_padding_against_the_reference(specs):
    """Windows at the edges see only real steps: an average divides by their number
    (Keras's PyTorch backend pads unevenly padded average pooling with edge copies;
    the fixtures cannot hold these cases, so the float64 reference checks them)."""
    summary = summarize(specs, (7, 3), 2)
    rng = np.random.default_rng(5)
    weights = [[rng.normal(0, 1, weight.shape) for weight in row.weights] for row in summary.rows]
    x = rng.normal(0, 1, (2, 7, 3))
    np.testing.assert_allclose(forward(summary, weights, x), reference.forward(summary, weights, x), rtol=1e-12)
    first = forward(summary, weights, np.ones((1, 7, 3)))[0, 0]
    if specs.startswith("avgpool"):
        np.testing.assert_allclose(first, 1.0)  # padding never counts in a mean


@pytest.mark.parametrize("specs", ["maxpool:100000:pad=same", "avgpool:100001:stride=1:pad=same",
                                   "maxpool:7:stride=100000:pad=same", "conv1d:2:3000:pad=same",
                                   "conv1d:2:1500:pad=causal:dilation=3", "conv1d:1:2:dilation=5"])
def test_windows_far_longer_than_the_input_cost_what_the_input_does(specs):
    """Positions that see only padding are skipped (they add nothing), so these
    take a pass per input step, not per window position, and still equal the
    reference. A regression: each of the 100000 positions was a pass over the data."""
    summary = summarize(specs, (6, 2), 2)
    rng = np.random.default_rng(2)
    weights = [[rng.normal(0, 1, weight.shape) for weight in row.weights] for row in summary.rows]
    x = rng.normal(0, 1, (2, 6, 2))
    np.testing.assert_allclose(forward(summary, weights, x), reference.forward(summary, weights, x), rtol=1e-10)


@pytest.mark.parametrize("size, stride, dilation, before", [(100000, 1, 1, 49999), (100000, 100000, 1, 49997),
                                                            (3000, 1, 1, 1499), (1500, 1, 3, 4497), (2, 1, 5, 0)])
def test_only_windows_that_see_the_input_are_visited(size, stride, dilation, before):
    from rnnshape.forward import _windows

    steps = 6
    length = -(-steps // stride) if before else steps - dilation * (size - 1)
    x = np.arange(1.0, steps + 1)
    first, views = _windows(x, size, stride, length, before, 0.0, dilation)
    assert len(views) <= 2 * steps  # not one per position of the window
    assert all(view.shape == (length,) for view in views)
    assert sum(view.sum() for view in views) == pytest.approx(
        sum(x[t] for k in range(size) for j in range(length)
            if 0 <= (t := k * dilation + j * stride - before) < steps))  # every real step read counts once
