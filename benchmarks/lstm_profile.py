"""Where an LSTM's forward pass spends its time, step by step.

    python benchmarks/lstm_profile.py [--batch 64 --timesteps 100 --features 128 --units 256] [--repeats 5]

rnnshape.forward.lstm runs, per step: the recurrent product (h @ U), the sum
with the step's input projection (x @ W + b, projected a block of steps at a
time), the gate activation over the i, f, o blocks, the cell activation over
the g block, the cell update (c = f * c + i * g) and the output
(h = o * act(c)). This script runs the same loop with a clock around each of
those phases (the input projection where a block is projected), checks that its
output is rnnshape's (within 1e-5: rnnshape may split the input projection into
other blocks), and prints each phase's share of the
time, beside rnnshape's own time and, where PyTorch is installed, PyTorch's
nn.LSTM on the same shapes and threads.

The clocks cost time themselves (about a microsecond per phase and step):
compare the phases with one another, and the untimed total with PyTorch.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from rnnshape import summarize
from rnnshape.activations import ACTIVATIONS
from rnnshape.forward import _gate_weights, _projected, forward
from rnnshape.weights import initial_weights


def profiled_lstm(layer, arrays, x) -> tuple[np.ndarray, dict[str, float]]:
    """forward.lstm's loop (no mask, no initial state, return_sequences), timed by phase."""
    clock = time.perf_counter
    phases = dict.fromkeys(["input projection", "recurrent product", "sum", "gate activation",
                            "cell activation", "cell update", "output"], 0.0)  # fmt: skip
    kernel, recurrent_kernel, bias = arrays
    units = recurrent_kernel.shape[0]
    order = np.r_[0 : 2 * units, 3 * units : 4 * units, 2 * units : 3 * units]
    reordered = [array[..., order] for array in (kernel, recurrent_kernel, bias)]
    (kernel, recurrent_kernel, bias), gate, _ = _gate_weights(layer, *reordered, slice(0, 3 * units))
    act = ACTIVATIONS[layer.activation]
    recurrent_kernel = np.ascontiguousarray(recurrent_kernel.T)
    batch, dtype = x.shape[2], x.dtype
    H = np.empty((len(x), units, batch), dtype)
    h, c = np.zeros((units, batch), dtype), np.zeros((units, batch), dtype)
    recurrent = np.empty((4 * units, batch), dtype)
    steps = _projected(x, kernel, bias, False, None)  # a block of steps projected (with the bias) at a time
    for _ in range(len(x)):
        start = clock()
        t, z = next(steps)
        t0 = clock()
        phases["input projection"] += t0 - start  # all but nothing, except at a block's first step
        np.matmul(recurrent_kernel, h, out=recurrent)
        t1 = clock()
        z += recurrent
        t2 = clock()
        gates = z[: 3 * units]
        gate(gates, out=gates)
        t3 = clock()
        i, f, o, g = z[:units], z[units : 2 * units], z[2 * units : 3 * units], z[3 * units :]
        act(g, out=g)
        t4 = clock()
        c *= f
        g *= i
        c += g
        t5 = clock()
        h = H[t]
        act(c, out=h)
        h *= o
        t6 = clock()
        for name, seconds in zip(list(phases)[1:], (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5)):
            phases[name] += seconds
    return H, phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for option, default in (("--batch", 64), ("--timesteps", 100), ("--features", 128), ("--units", 256),
                            ("--repeats", 5)):  # fmt: skip
        parser.add_argument(option, type=int, default=default)
    args = parser.parse_args()
    summary = summarize(f"lstm:{args.units}:seq", (args.timesteps, args.features), args.batch)
    weights = initial_weights(summary, 0, "float32")
    rng = np.random.default_rng(0)
    batch_first = rng.standard_normal((args.batch, args.timesteps, args.features), dtype=np.float32)
    x = np.ascontiguousarray(np.moveaxis(batch_first, 0, -1))  # forward's layout: (steps, features, batch)
    layer = summary.rows[0].spec.layer

    totals, runs = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        expected = forward(summary, weights, batch_first)
        totals.append(time.perf_counter() - start)
        runs.append(profiled_lstm(layer, weights[0], x))
    output, _ = runs[-1]
    difference = float(np.max(np.abs(np.moveaxis(output, -1, 0) - expected)))
    assert difference < 1e-5, f"the profiled loop is no longer rnnshape's ({difference})"
    phases = {name: statistics.median(run[1][name] for run in runs) for name in runs[0][1]}
    timed = sum(phases.values())
    print(f"LSTM, batch {args.batch}, {args.timesteps} steps, {args.features} features, {args.units} units, float32")
    print(f"rnnshape (untimed)   {statistics.median(totals) * 1000:8.1f} ms")
    print(f"the phases, timed    {timed * 1000:8.1f} ms")
    for name, seconds in phases.items():
        print(f"  {name:<18} {seconds * 1000:8.1f} ms  {seconds / timed:6.1%}")
    try:
        import torch
    except ImportError:
        print("PyTorch               not installed")
        return
    module = torch.nn.LSTM(args.features, args.units, batch_first=True)
    tensor = torch.from_numpy(batch_first)
    seconds = []
    with torch.no_grad():
        for _ in range(args.repeats):
            start = time.perf_counter()
            module(tensor)
            seconds.append(time.perf_counter() - start)
    torch_time = statistics.median(seconds)
    print(f"PyTorch nn.LSTM      {torch_time * 1000:8.1f} ms   rnnshape / PyTorch = "
          f"{statistics.median(totals) / torch_time:.2f}")


if __name__ == "__main__":
    main()
