"""Start-up time of `rnnshape summary` against the bare imports it cannot avoid.

    python benchmarks/startup.py [--runs 40]

Prints the median wall time of each command over --runs runs (after one warm-up
run each, so every command finds its files in the OS cache; the commands take
turns, so a noisy spell of the machine falls on all of them alike) and the ratio of
rnnshape's table to `python -c "import click, rich.console, rich.table"` and of
its JSON (and of `code --framework pytorch` and `plot`) to `python -c "import click, json"`. The target is 1.3 or less: rnnshape
should cost little more than the libraries it needs to print anything at all.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

SPECS = "bi:8:seq bi:8:seq bi:8:seq bi:8:seq"
# keras-io's character-level seq2seq, as a program (a graph: the Functional summary).
PROGRAM = ("enc_in = input:None,71; _, h, c = lstm:256:state(enc_in); dec_in = input:None,93; "
           "dec, _, _ = lstm:256:seq:state(dec_in, init=[h, c]); out = dense:93:act=softmax(dec)")


def rnnshape_command() -> list[str]:
    """The installed console script next to this Python, else python -m rnnshape."""
    script = Path(sys.executable).with_name("rnnshape")
    if script.exists():
        return [str(script)]
    found = shutil.which("rnnshape")
    return [found] if found else [sys.executable, "-m", "rnnshape"]


def median_seconds(commands: dict[str, list[str]], runs: int) -> dict[str, float]:
    env = {**os.environ, "COLUMNS": "80"}
    times: dict[str, list[float]] = {label: [] for label in commands}
    for command in commands.values():  # warm-up
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    for _ in range(runs):
        for label, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
            times[label].append(time.perf_counter() - start)
    return {label: statistics.median(values) for label, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    runs = parser.parse_args().runs
    rnnshape = rnnshape_command() + ["summary", "-i", "10,5", SPECS]
    commands = {
        "rnnshape summary (table)": rnnshape,
        "rnnshape summary --json": rnnshape + ["--json"],
        "rnnshape summary PROGRAM (table)": rnnshape_command() + ["summary", PROGRAM],
        "rnnshape summary PROGRAM --json": rnnshape_command() + ["summary", PROGRAM, "--json"],
        "rnnshape code --framework pytorch": rnnshape_command() + ["code", "--framework", "pytorch", "-i", "10,5",
                                                                   SPECS],  # fmt: skip
        "rnnshape plot (svg)": rnnshape_command() + ["plot", "-i", "10,5", SPECS],
        "python -c 'import click, rich.console, rich.table'": [
            sys.executable, "-c", "import click, rich.console, rich.table"],
        "python -c 'import click, json'": [sys.executable, "-c", "import click, json"],
        "python -c 'pass'": [sys.executable, "-c", "pass"],
    }
    times = median_seconds(commands, runs)
    for label, seconds in times.items():
        print(f"{label:<55} {seconds * 1000:7.1f} ms  (median of {runs})")
    table_ratio = times["rnnshape summary (table)"] / times["python -c 'import click, rich.console, rich.table'"]
    json_ratio = times["rnnshape summary --json"] / times["python -c 'import click, json'"]
    print(f"\ntable / import click, rich.console, rich.table  = {table_ratio:.2f}  (target <= 1.3)")
    print(f"json  / import click, json                      = {json_ratio:.2f}  (target <= 1.3)")
    rich_import = times["python -c 'import click, rich.console, rich.table'"]
    graph_table = times["rnnshape summary PROGRAM (table)"] / rich_import
    graph_json = times["rnnshape summary PROGRAM --json"] / times["python -c 'import click, json'"]
    print(f"graph table / import click, rich.console, ... = {graph_table:.2f}  (target <= 1.3)")
    print(f"graph json  / import click, json              = {graph_json:.2f}  (target <= 1.3)")
    code_ratio = times["rnnshape code --framework pytorch"] / times["python -c 'import click, json'"]
    print(f"code  / import click, json                      = {code_ratio:.2f}  (target <= 1.3)")
    plot_ratio = times["rnnshape plot (svg)"] / times["python -c 'import click, json'"]
    print(f"plot  / import click, json                      = {plot_ratio:.2f}  (target <= 1.3)")


if __name__ == "__main__":
    main()
