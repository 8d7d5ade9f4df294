"""Speed of rnnshape's forward pass against its peers, over a grid of layers and shapes.

    python benchmarks/forward.py [--repeats 15] [--rounds 3] [--per-step] [--only LSTM,GRU]

Each row of the grid is a layer (return_sequences, float32) at one shape, batch x
timesteps x features -> units, with the target ratio rnnshape / PyTorch it is held to:

    SimpleRNN, LSTM, GRU          64 x 100 x 128 -> 256    <= 1.2
    LSTM, GRU                      8 x 100 x  32 ->  64    <= 1.5
    LSTM, GRU                      1 x 100 x  64 ->  64    <= 2.0

then, at the first shape, a masked LSTM, a Bidirectional LSTM and a Conv1D (no target
beside PyTorch; kept no slower than before with benchmarks/compare.py). For each row it
prints the median time of:

- rnnshape   -- rnnshape.forward.forward, the code `rnnshape summary --run` times;
- floor      -- the matrix products alone (one input projection for all timesteps,
                then one recurrent product per step, into preallocated buffers):
                no gate arithmetic, so no NumPy implementation of the cell can beat it;
- per-step   -- (with --per-step) the seed chapter's loop, sample by sample and step by
                step (`np.tanh(np.dot(Wx, x_t) + np.dot(Wh, h) + b)`, and the same style for the gates);
- unmasked   -- for the masked LSTM: the same stack (Masking, then LSTM) on the same
                input without its padding, so no step is masked: what the masked
                steps cost the recurrent layer (target: at most 15%);
- PyTorch    -- torch.nn.RNN/LSTM/GRU/Conv1d on the CPU under torch.no_grad(), with as many
                threads as NumPy's BLAS (skipped with a message when torch is absent);
                Conv1d gets its own channels-first layout, prepared outside the timing;
- Keras      -- a Keras 3 Sequential's predict() (skipped when keras is absent),

and the ratios rnnshape / PyTorch (with the row's target and whether it holds),
rnnshape / Keras and rnnshape / floor, then a table of the grid. The masked LSTM's input
has the last 0-30% of each sample's steps padded with zeros, behind a Masking layer.
Each contender runs in its own process, in turns (--rounds), so that one library's
thread pool never competes with another's and the machine's noisy spells fall on all.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

from rnnshape import summarize
from rnnshape.forward import forward
from rnnshape.weights import initial_weights

# name -> (spec, with {units} to fill in; the cell the floor and per-step loop compute, if any)
CASES = {
    "SimpleRNN": ("simple:{units}:seq", "simple"),
    "LSTM": ("lstm:{units}:seq", "lstm"),
    "GRU": ("gru:{units}:seq", "gru"),
    "LSTM masked": ("masking lstm:{units}:seq", None),
    "Bidirectional LSTM": ("bi:lstm:{units}:seq", None),
    "Conv1D": ("conv1d:{units}:3:pad=same", None),
}
LARGE, SMALL, SINGLE = (64, 100, 128, 256), (8, 100, 32, 64), (1, 100, 64, 64)  # batch, timesteps, features, units
# (case, shape, target rnnshape / PyTorch or None)
GRID = [
    ("SimpleRNN", LARGE, 1.2), ("LSTM", LARGE, 1.2), ("GRU", LARGE, 1.2),
    ("LSTM", SMALL, 1.5), ("GRU", SMALL, 1.5),
    ("LSTM", SINGLE, 2.0), ("GRU", SINGLE, 2.0),
    ("LSTM masked", LARGE, None), ("Bidirectional LSTM", LARGE, None), ("Conv1D", LARGE, None),
]


def timed_calls(function, calls: int) -> list[float]:
    """Seconds of each of `calls` back-to-back calls, after one warm-up call."""
    function()  # warm-up: caches, lazy initialisation, thread pools
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def floor(x: np.ndarray, kernel: np.ndarray, recurrent_kernel: np.ndarray):
    """Just the matrix products rnnshape does, in its layout: kernel^T @ x for all
    steps at once, then recurrent_kernel^T @ h once per step, into preallocated buffers."""
    kernel_t = np.ascontiguousarray(kernel.T)
    recurrent_t = np.ascontiguousarray(recurrent_kernel.T)
    projected = np.matmul(kernel_t, x.transpose(1, 2, 0))  # (timesteps, gates * units, batch)
    units, batch = recurrent_kernel.shape[0], x.shape[0]
    recurrent = np.empty((recurrent_t.shape[0], batch), x.dtype)
    for t in range(len(projected)):
        np.matmul(recurrent_t, projected[t, :units], out=recurrent)
    return projected


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def per_step(cell: str, x: np.ndarray, weights: list[np.ndarray]) -> np.ndarray:
    """The seed chapter's NumPy RNN (section 8.1.3): one sample, one step at a time."""
    kernel, recurrent_kernel, bias = weights
    units = recurrent_kernel.shape[0]
    outputs = []
    for sample in x:  # (timesteps, features)
        h, c = np.zeros(units, x.dtype), np.zeros(units, x.dtype)
        sequence = []
        for x_t in sample:
            if cell == "simple":
                h = np.tanh(np.dot(x_t, kernel) + np.dot(h, recurrent_kernel) + bias)
            elif cell == "lstm":
                z = np.dot(x_t, kernel) + np.dot(h, recurrent_kernel) + bias
                i, f, g, o = sigmoid(z[:units]), sigmoid(z[units:2 * units]), np.tanh(z[2 * units:3 * units]), \
                    sigmoid(z[3 * units:])
                c = f * c + i * g
                h = o * np.tanh(c)
            else:
                x_z, x_r, x_h = np.split(np.dot(x_t, kernel) + bias[0], 3)
                r_z, r_r, r_h = np.split(np.dot(h, recurrent_kernel) + bias[1], 3)
                z, r = sigmoid(x_z + r_z), sigmoid(x_r + r_r)
                h = z * h + (1 - z) * np.tanh(x_h + r * r_h)
            sequence.append(h)
        outputs.append(sequence)
    return np.array(outputs)


def torch_runner(case: str, x: np.ndarray, units: int):
    try:
        import torch
    except ImportError:
        return None, "skipped: torch is not installed (pip install torch==2.13.0 to compare)"
    threads = _blas_threads()
    torch.set_num_threads(threads)
    if case == "Conv1D":
        module = torch.nn.Conv1d(x.shape[2], units, 3, padding="same")
        inputs = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 2, 1)))  # PyTorch's (batch, channels, steps)
    elif case == "LSTM masked":
        return None, "skipped: PyTorch's LSTM has no mask (pack_padded_sequence drops trailing padding only)"
    elif case == "Bidirectional LSTM":
        module = torch.nn.LSTM(x.shape[2], units, batch_first=True, bidirectional=True)  # outputs concatenated
        inputs = torch.from_numpy(x)
    else:
        cell = CASES[case][1]
        module = {"simple": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](
            x.shape[2], units, batch_first=True)
        inputs = torch.from_numpy(x)

    def run():
        with torch.no_grad():
            return module(inputs)

    return run, f"torch {torch.__version__}, {threads} threads"


def keras_runner(case: str, x: np.ndarray, units: int):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import keras
    except ImportError:
        return None, "skipped: keras is not installed (pip install keras to compare)"
    layers = keras.layers
    stack = {
        "SimpleRNN": [layers.SimpleRNN(units, return_sequences=True)],
        "LSTM": [layers.LSTM(units, return_sequences=True)],
        "GRU": [layers.GRU(units, return_sequences=True)],
        "LSTM masked": [layers.Masking(), layers.LSTM(units, return_sequences=True)],
        "Bidirectional LSTM": [layers.Bidirectional(layers.LSTM(units, return_sequences=True))],
        "Conv1D": [layers.Conv1D(units, 3, padding="same")],
    }[case]
    model = keras.Sequential([keras.Input(x.shape[1:]), *stack])
    return lambda: model.predict(x, batch_size=len(x), verbose=0), \
        f"keras {keras.__version__}, backend {keras.backend.backend()}"


def _blas_threads() -> int:
    try:
        from threadpoolctl import threadpool_info

        return max(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas")
    except Exception:  # noqa: BLE001 - without threadpoolctl, OpenBLAS uses every core
        return os.cpu_count() or 1


CONTENDERS = ("rnnshape", "floor", "per-step", "unmasked", "PyTorch", "Keras")


def padded_input(args, name: str) -> np.ndarray:
    """Random input; for the masked case, each sample's last 0-30% steps are zeros
    (except for the 'unmasked' reference)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.batch, args.timesteps, args.features)).astype(np.float32)
    if args.worker_cell == "LSTM masked" and name != "unmasked":
        for sample, padding in zip(x, rng.integers(0, int(0.3 * args.timesteps) + 1, args.batch)):
            sample[args.timesteps - padding :] = 0
    return x


def applies(name: str, case: str) -> bool:
    """Whether a contender computes this case: the floor and the per-step loop
    are plain recurrent cells; 'unmasked' is the masked LSTM's reference."""
    if name in ("floor", "per-step"):
        return CASES[case][1] is not None
    return name != "unmasked" or case == "LSTM masked"


def runner(name: str, case: str, args):
    """The function to time for one contender, or None and why not."""
    spec, cell = CASES[case]
    x = padded_input(args, name)
    summary = summarize(spec.format(units=args.units), (args.timesteps, args.features), args.batch)
    weights = initial_weights(summary, 0, "float32")
    recurrent_weights = weights[-1]
    if name in ("rnnshape", "unmasked"):
        return (lambda: forward(summary, weights, x)), None
    if name == "floor":
        return (lambda: floor(x, recurrent_weights[0], recurrent_weights[1])), None
    if name == "per-step":
        return (lambda: per_step(cell, x, recurrent_weights)), None
    if name == "PyTorch":
        return torch_runner(case, x, args.units)
    return keras_runner(case, x, args.units)


def worker(args) -> None:
    """Time one contender in this fresh process and print the seconds as JSON."""
    function, note = runner(args.worker_name, args.worker_cell, args)
    times = timed_calls(function, args.calls) if function else []
    print(json.dumps({"times": times, "note": note}))


def measure(name: str, case: str, shape: tuple, calls: int) -> tuple[list[float], str | None]:
    """Run a worker process: each contender is timed alone in a fresh process,
    so one library's thread pool (PyTorch's OpenMP threads spin after each call)
    never competes with another's for the cores."""
    batch, timesteps, features, units = shape
    command = [sys.executable, __file__, "--worker-cell", case, "--worker-name", name, "--calls", str(calls),
               "--batch", str(batch), "--timesteps", str(timesteps), "--features", str(features),
               "--units", str(units)]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return report["times"], report["note"]


def machine_text() -> str:
    """The CPU, its cores, and the OpenBLAS variables that force a kernel, if set."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu)
    except OSError:
        pass
    forced = [f"{name}={os.environ[name]}" for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if name in os.environ]
    return f"{cpu}, {os.cpu_count()} CPUs; OpenBLAS variables: {', '.join(forced) if forced else 'none set'}"


def shape_text(shape: tuple) -> str:
    batch, timesteps, features, units = shape
    return f"{batch} x {timesteps} x {features} -> {units}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed calls per contender (per round: repeats / rounds)")
    parser.add_argument("--rounds", type=int, default=3, help="turns the contenders take, to spread the machine's noise")
    parser.add_argument("--per-step", action="store_true", help="also time the seed chapter's (slow) per-step loop")
    parser.add_argument("--only", help="the grid's rows for these cases only, comma-separated (LSTM,GRU)")
    for option in ("--batch", "--timesteps", "--features", "--units", "--worker-cell", "--worker-name", "--calls"):
        parser.add_argument(option, type=str if option.startswith("--worker") else int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker_cell:
        return worker(args)
    rows = [row for row in GRID if not args.only or row[0] in args.only.split(",")]
    contenders = [name for name in CONTENDERS if args.per_step or name != "per-step"]
    print(f"{machine_text()}\nreturn_sequences, float32; NumPy {np.__version__}; median of {args.repeats} calls in "
          f"{args.rounds} rounds, each contender in its own process\n")
    results = []
    for case, shape, target in rows:
        times: dict = {name: [] for name in contenders}
        notes: dict = {}
        names = [name for name in contenders if applies(name, case)]
        for _ in range(args.rounds):
            for name in names:
                calls = 1 if name == "per-step" else max(1, -(-args.repeats // args.rounds))
                samples, notes[name] = measure(name, case, shape, calls)
                times[name] += samples
        medians = {name: statistics.median(samples) for name, samples in times.items() if samples}
        print(f"{case}, {shape_text(shape)}")
        for name in names:
            if name not in medians:
                print(f"  {name:<10} {notes[name]}")
                continue
            ratio = "" if name == "rnnshape" else f"   rnnshape / {name} = {medians['rnnshape'] / medians[name]:5.2f}"
            if name == "PyTorch" and target:
                held = "holds" if medians["rnnshape"] / medians[name] <= target else "MISSED"
                ratio += f"  (target <= {target}: {held})"
            note = f"  ({notes[name]})" if notes.get(name) else ""
            print(f"  {name:<10} {medians[name] * 1000:9.2f} ms{ratio}{note}")
        print()
        results.append((case, shape, target, medians))
    print("| layer | batch x timesteps x features -> units | rnnshape | PyTorch | rnnshape / PyTorch | target |")
    print("|---|---|---|---|---|---|")
    for case, shape, target, medians in results:
        ours, torch_time = medians["rnnshape"], medians.get("PyTorch")
        versus = f"{ours / torch_time:.2f}" if torch_time else "-"
        torch_text = f"{torch_time * 1000:.2f} ms" if torch_time else "-"
        print(f"| {case} | {shape_text(shape)} | {ours * 1000:.2f} ms | {torch_text} | {versus} | "
              f"{f'<= {target}' if target else '-'} |")


if __name__ == "__main__":
    main()
