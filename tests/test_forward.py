"""The forward pass: Keras's outputs (float32), and an independent float64 reference."""

import json

import numpy as np
import pytest

import reference
from conftest import FIXTURES, KERAS_STACKS, stack_id
from rnnshape import summarize
from rnnshape.forward import forward, run_memory_bytes
from rnnshape.run import execute, plan_run
from rnnshape.weights import initial_weights

FORWARD_STACKS = json.loads((FIXTURES / "keras_forward.json").read_text(encoding="utf-8"))["stacks"]
ARRAYS = np.load(FIXTURES / "keras_forward.npz")


def keras_case(number):
    """Summary, Keras's weights (grouped by layer), input and output of fixture stack `number`."""
    stack = FORWARD_STACKS[number]
    x, y = ARRAYS[f"{number}_x"], ARRAYS[f"{number}_y"]
    summary = summarize(stack["spec"], x.shape[1:], x.shape[0])
    flat = iter(ARRAYS[f"{number}_w{index}"] for index in range(stack["weights"]))
    weights = [[next(flat) for _ in row.weights] for row in summary.rows]
    return summary, weights, x, y


CASES = list(range(len(FORWARD_STACKS)))
IDS = [stack["spec"] for stack in FORWARD_STACKS]


@pytest.mark.parametrize("number", CASES, ids=IDS)
def test_float32_equals_keras(number):
    summary, weights, x, y = keras_case(number)
    output = forward(summary, weights, x)
    assert output.dtype == np.float32 and output.shape == y.shape
    # 1e-5 relative; the 1e-6 absolute floor covers outputs near 0, where the
    # float32 rounding of a sum dominates whichever order it is added in.
    np.testing.assert_allclose(output, y, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("number", CASES, ids=IDS)
def test_float64_equals_the_reference(number):
    summary, weights, x, _ = keras_case(number)
    weights64 = [[array.astype(np.float64) for array in arrays] for arrays in weights]
    inputs = x if x.dtype.kind in "iu" else x.astype(np.float64)
    output = forward(summary, weights64, inputs)
    assert output.dtype == np.float64
    np.testing.assert_allclose(output, reference.forward(summary, weights64, inputs), rtol=1e-10, atol=1e-13)


def test_every_kind_flag_merge_mode_and_activation_has_a_keras_case():
    specs = " ".join(stack["spec"] for stack in FORWARD_STACKS)
    from rnnshape.kinds import ACTIVATIONS

    for word in ["simple:", "lstm:", "gru:", "bi:simple", "bi:lstm", "bi:gru", "dense:", "emb:", "dropout:",
                 ":seq", ":back", ":nobias", "reset_after=false", "merge=sum", "merge=mul", "merge=ave"]:
        assert word in specs
    assert any(stack["spec"].startswith("bi:") and "merge" not in stack["spec"] for stack in FORWARD_STACKS)
    assert {f"act={name}" for name in ACTIVATIONS} <= set(specs.replace(" ", ":").split(":"))
    assert any(None in stack["input"] for stack in FORWARD_STACKS)


@pytest.mark.parametrize("stack", KERAS_STACKS, ids=stack_id)
def test_the_output_has_the_predicted_shape(stack):
    dims = [3 if dim is None else dim for dim in stack["input"]]  # a concrete length for None
    plan = plan_run(stack["spec"], dims, stack["batch"] or 2)
    result = execute(plan)
    assert result.output.shape == plan.summary.output_shape
    assert np.isfinite(result.output).all()


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
