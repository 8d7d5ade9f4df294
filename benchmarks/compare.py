"""Forward-pass speed of two versions of rnnshape, side by side in one process.

    python benchmarks/compare.py                      # the previous release against this tree
    python benchmarks/compare.py HEAD~5               # a git revision against this tree
    python benchmarks/compare.py OLD/rnnshape NEW/rnnshape [--specs gru:256:seq,lstm:256:seq] [--calls 40]

Each version is a package directory or a git revision of this repository (its
``rnnshape`` folder is extracted into a temporary directory); ``release``, the
default, is the commit that added CHANGELOG.md's newest version heading.

Loads both packages under different names and times their ``forward`` on the same
stacks and input (batch 64, 100 timesteps, 128 features, float32, and the smaller
shapes of benchmarks/forward.py's grid), alternating
call by call, so that the machine's noisy spells fall on both alike; prints the
medians and their ratio. Separate processes (as ``benchmarks/forward.py`` uses
for its peers) differ by 10-20% from one run to the next here, which hides a
change of a few percent; this does not.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
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


ROOT = Path(__file__).resolve().parent.parent
SPECS = ["simple:256:seq", "lstm:256:seq", "gru:256:seq", "masking lstm:256:seq", "bi:lstm:256:seq",
         "conv1d:256:3:pad=same"]  # fmt: skip
# benchmarks/forward.py's grid beyond batch 64: (spec, (batch, timesteps, features))
SMALL_CASES = [(f"{kind}:64:seq", shape) for shape in ((8, 100, 32), (1, 100, 64)) for kind in ("lstm", "gru")]


def git(*arguments: str) -> bytes:
    return subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, check=True).stdout


def release_commit() -> str:
    """The commit that added CHANGELOG.md's newest version heading (``## 0.1.0 — date``)."""
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    heading = re.search(r"^## (\d+\.\d+\.\d+)", changelog, re.MULTILINE)
    if heading is None:
        sys.exit("CHANGELOG.md names no release yet")
    commits = git("log", "--format=%H", "-S", heading.group(0), "--", "CHANGELOG.md").decode().split()
    print(f"previous release: {heading.group(1)}, commit {commits[-1][:10]}")
    return commits[-1]


def package_directory(version: str, scratch: Path) -> Path:
    """The package directory of `version`: a directory as given, else a git
    revision's rnnshape folder extracted under `scratch`."""
    if Path(version).is_dir():
        return Path(version).resolve()
    revision = release_commit() if version == "release" else version
    target = scratch / revision.replace("/", "_")
    with tarfile.open(fileobj=BytesIO(git("archive", "--format=tar", revision, "rnnshape"))) as archive:
        archive.extractall(target, filter="data")
    return target / "rnnshape"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", nargs="?", default="release",
                        help="the version to compare against: a package directory, a git revision, or "
                             "'release' (default), the previous release")  # fmt: skip
    parser.add_argument("after", nargs="?", default=str(ROOT / "rnnshape"),
                        help="the version to measure (default: this tree's package)")  # fmt: skip
    parser.add_argument("--specs", default=",".join(SPECS),
                        help="stacks to time at batch 64, 100 timesteps, 128 features (comma-separated)")
    parser.add_argument("--calls", type=int, default=40)
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory()
    versions = {label: load(f"rnnshape_{label}", package_directory(version, Path(scratch.name))) for label, version in
                (("before", args.before), ("after", args.after))}  # fmt: skip
    cases = [(spec, (64, 100, 128)) for spec in args.specs.split(",")] + SMALL_CASES
    print(f"float32; median of {args.calls} alternating calls\n")
    for spec, (batch, timesteps, features) in cases:
        x = np.random.default_rng(0).standard_normal((batch, timesteps, features)).astype(np.float32)
        runs = {}
        label_text = f"{spec}, {batch} x {timesteps} x {features}"
        for label, (module, forward, weights) in versions.items():
            try:
                summary = module.summarize(spec, (timesteps, features), batch)
            except module.InputError:
                print(f"{label_text:40} {label} does not know this stack")
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
            print(f"{label_text:40} before {before * 1000:7.2f} ms   after {after * 1000:7.2f} ms   "
                  f"after / before {after / before:5.3f}")  # fmt: skip

if __name__ == "__main__":
    main()
