"""The tests that drive real processes and terminals, run again and again on a
loaded machine: a test that depends on timing fails here first.

    python benchmarks/loaded_tests.py              # 20 runs beside two busy loops
    python benchmarks/loaded_tests.py --runs 5 --busy 4 tests/test_process.py

Each run is a fresh pytest in a user's environment (no PYTHONUNBUFFERED); the
busy loops are processes that spin for the whole check. Prints each run's
outcome and the count of runs that failed; exits 1 if any did.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROCESS_TESTS = ["tests/test_process.py", "tests/test_completion.py", "tests/test_plot.py"]


def spin() -> None:
    while True:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--busy", type=int, default=2, help="busy loops beside the tests (default 2: one per core here)")
    parser.add_argument("tests", nargs="*", default=PROCESS_TESTS)
    options = parser.parse_args()
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    loops = [multiprocessing.Process(target=spin, daemon=True) for _ in range(options.busy)]
    for loop in loops:
        loop.start()
    failed = 0
    try:
        for number in range(1, options.runs + 1):
            start = time.monotonic()
            result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options.tests],
                                    cwd=ROOT, env=environment, capture_output=True, text=True)  # fmt: skip
            last = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
            failed += result.returncode != 0
            print(f"run {number:2}: {time.monotonic() - start:6.1f} s  {last}", flush=True)
            if result.returncode != 0:
                print(result.stdout[-3000:], flush=True)
    finally:
        for loop in loops:
            loop.terminate()
    print(f"{failed} of {options.runs} runs failed, beside {options.busy} busy loops")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
