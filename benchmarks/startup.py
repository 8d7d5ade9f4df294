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


def model_file(folder: Path) -> tuple[Path, list[str]]:
    """A 200-line Keras model file, written as people write them (imports,
    constants, comments, a function that builds the model, model.add per
    layer), and the same model as rnnshape's arguments."""
    lines = ['"""A deep recurrent tagger.'] + [f"Notes on the tagger, line {number}." for number in range(20)] + ['"""']
    lines += ["from tensorflow.keras.models import Sequential",
             "from tensorflow.keras import layers", "", "TIMESTEPS = 40", "FEATURES = 12", "UNITS = [64, 48, 32]", ""]
    lines += [f"DROPOUT_{number} = 0.{number}  # dropout after block {number}" for number in range(1, 10)]
    lines += ["", "", "def build_model(units=UNITS):", '    """The tagger: blocks of LSTM, dropout and dense."""',
              "    model = Sequential(name='tagger')",
              "    model.add(layers.Input(shape=(TIMESTEPS, FEATURES)))"]  # fmt: skip
    specs = []
    for block in range(1, 31):
        size = [64, 48, 32][block % 3]
        lines += [f"    # block {block}", f"    model.add(layers.LSTM(units[{block % 3}], return_sequences=True))",
                  f"    model.add(layers.Dropout(DROPOUT_{block % 9 + 1}))",
                  f"    model.add(layers.TimeDistributed(layers.Dense({size}, activation='relu')))", ""]
        specs += [f"lstm:{size}:seq", f"dropout:0.{block % 9 + 1}", f"td:dense:{size}:act=relu"]
    lines += ["    return model", "", "", "model = build_model()", "model.summary()"]
    path = folder / "tagger.py"
    path.write_text("\n".join(lines) + "\n")
    return path, ["-i", "40,12", "--name", "tagger", " ".join(specs)]


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
    import tempfile

    folder = Path(tempfile.mkdtemp())
    tagger, tagger_specs = model_file(folder)
    commands = {
        "rnnshape summary (table)": rnnshape,
        "rnnshape summary --json": rnnshape + ["--json"],
        "rnnshape summary PROGRAM (table)": rnnshape_command() + ["summary", PROGRAM],
        "rnnshape summary PROGRAM --json": rnnshape_command() + ["summary", PROGRAM, "--json"],
        "rnnshape code --framework pytorch": rnnshape_command() + ["code", "--framework", "pytorch", "-i", "10,5",
                                                                   SPECS],  # fmt: skip
        "rnnshape plot (svg)": rnnshape_command() + ["plot", "-i", "10,5", SPECS],
        "rnnshape summary --from FILE.py (200 lines)": rnnshape_command() + ["summary", "--from", str(tagger)],
        "rnnshape summary SPECS (the same model)": rnnshape_command() + ["summary", *tagger_specs],
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
    reading = times["rnnshape summary --from FILE.py (200 lines)"] - times["rnnshape summary SPECS (the same model)"]
    print(f"--from FILE.py - the same specs                 = {reading * 1000:+.1f} ms  (target <= 20 ms)")


if __name__ == "__main__":
    main()
