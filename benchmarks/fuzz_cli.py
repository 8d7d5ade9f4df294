"""Hunt for violations of the exit-status contract with many generated invocations.

    python benchmarks/fuzz_cli.py [--examples 100000] [--seed N]

Drives the whole command line in-process (click's CliRunner) with the strategies
of tests/cli_fuzz.py -- generated specs, options, and file contents: random
bytes, truncated and crafted .npy and .npz files -- and asserts the contract
for each: status 0, or 2 with nothing on stdout and one message on stderr, no
traceback. Prints how many invocations it tried and how they ended; a violation
stops it with hypothesis's shrunk example. (tests/test_fuzz.py runs the same at
a modest count in CI.)
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402

from cli_fuzz import check, invocations  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    statuses: collections.Counter = collections.Counter()

    @seed(args.seed)
    @settings(max_examples=args.examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(invocations())
    def hunt(invocation):
        statuses[check(*invocation)] += 1

    start = time.perf_counter()
    hunt()
    tried = sum(statuses.values())
    print(f"tried {tried} invocations in {time.perf_counter() - start:.0f} s: {statuses[0]} ended with status 0, "
          f"{statuses[2]} with status 2 and one message; no violation")  # fmt: skip


if __name__ == "__main__":
    main()
