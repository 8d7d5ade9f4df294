"""Forward-pass speed of two versions of rnnshape, side by side in one process.

    git worktree add /tmp/before HEAD~5
    python benchmarks/compare.py /tmp/before/rnnshape rnnshape [--specs gru:256:seq,lstm:256:seq] [--calls 40]

Loads both packages under different names and times their ``forward`` on the same
stacks and input (batch 64, 100 timesteps, 128 features, float32), alternating
call by call, so that the machine's noisy spells fall on both alike; prints the
medians and their ratio. Separate processes (as ``benchmarks/forward.py`` uses
for its peers) differ by 10-20% from one run to the next here, which hides a
change of a few percent; this does not.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import statistics
import sys
import time
from pathlib import Path

import numpy as np


def load(name: str, package: Path):
    """The package at `package` imported as `name` (its own modules import relatively)."""
    spec = importlib.util.spec_from_file_location(name, package / "__init__.py",
                                                  submodule_search_locations=[str(package)])  # fmt: skip
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module, importlib.import_module(f"{name}.forward"), importlib.import_module(f"{name}.weights")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="the rnnshape package directory to compare against")
    parser.add_argument("after", type=Path, help="the rnnshape package directory to measure")
    parser.add_argument("--specs", default="simple:256:seq,lstm:256:seq,gru:256:seq,masking lstm:256:seq,"
                        "conv1d:256:3:pad=same")  # fmt: skip
    parser.add_argument("--calls", type=int, default=40)
    args = parser.parse_args()
    versions = {label: load(f"rnnshape_{label}", path.resolve()) for label, path in
                (("before", args.before), ("after", args.after))}  # fmt: skip
    x = np.random.default_rng(0).standard_normal((64, 100, 128)).astype(np.float32)
    print(f"batch 64, timesteps 100, features 128, float32; median of {args.calls} alternating calls\n")
    for spec in args.specs.split(","):
        runs = {}
        for label, (package, forward, weights) in versions.items():
            try:
                summary = package.summarize(spec, (100, 128), 64)
            except package.InputError:
                print(f"{spec:26} {label} does not know this stack")
                break
            runs[label] = (forward.forward, summary, weights.initial_weights(summary, 0, "float32"))
        else:
            times: dict = {label: [] for label in runs}
            for _ in range(args.calls):
                for label, (forward, summary, arrays) in runs.items():
                    start = time.perf_counter()
                    forward(summary, arrays, x)
                    times[label].append(time.perf_counter() - start)
            before, after = (statistics.median(times[label]) for label in ("before", "after"))
            print(f"{spec:26} before {before * 1000:7.2f} ms   after {after * 1000:7.2f} ms   "
                  f"after / before {after / before:5.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
