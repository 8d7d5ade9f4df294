"""rnnshape as a real process: python -m rnnshape, lazy imports, exit statuses, pipes."""

import json
import os
import subprocess
import sys

import pytest

ENV = {**os.environ, "COLUMNS": "80", "PYTHONIOENCODING": "utf-8"}


def run(*args, input=None, python_flags=()):
    return subprocess.run([sys.executable, *python_flags, "-m", "rnnshape", *args], input=input,
                          capture_output=True, text=True, env=ENV, timeout=60)


def imported_modules(*args):
    """Top-level modules a run imports, read from python -X importtime."""
    result = run(*args, python_flags=("-X", "importtime"))
    assert result.returncode == 0, result.stderr
    return {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in result.stderr.splitlines() if "|" in line}


def test_importing_the_cli_loads_neither_numpy_nor_rich():
    code = "import sys, rnnshape.cli; print(sorted(m for m in ('numpy', 'rich') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, timeout=60)
    assert result.stdout.strip() == "[]"


def test_json_and_plain_load_neither_numpy_nor_rich():
    for fmt in ("json", "plain", "markdown"):
        modules = imported_modules("summary", "-i", "10,5", "bi:8:seq", "--format", fmt)
        assert "click" in modules and "rnnshape" in modules
        assert "rich" not in modules and "numpy" not in modules


def test_the_table_loads_rich_but_not_numpy():
    modules = imported_modules("summary", "-i", "10,5", "bi:8:seq")
    assert "rich" in modules and "numpy" not in modules


def test_python_dash_m_end_to_end():
    result = run("summary", "-i", "10,5", "bi:8:seq bi:8:seq bi:8:seq bi:8:seq", "--json")
    assert result.returncode == 0 and result.stderr == ""
    assert json.loads(result.stdout)["total_params"] == 1424


def test_stdin_through_a_real_pipe():
    result = run("summary", "-i", "2,10", "-", "--format", "plain", input="simple:3  # the seed's first model\n")
    assert result.returncode == 0
    assert " simple_rnn (SimpleRNN)      (None, 3)                 42        " in result.stdout.splitlines()


@pytest.mark.parametrize("args", [
    ["summary", "-i", "2,10", "simple:3:seqq"],
    ["summary", "simple:3"],
    ["summary", "-i", "2,10", "-f", "/nonexistent/specs.txt"],
    ["summary", "-i", "2,10", "simple:3", "--format", "xml"],
    ["summary", "-i", "2," + "9" * 5000, "simple:3"],
    ["summary", "-i", "2,10", "simple:" + "9" * 5000],
    ["summary", "-i", "2,10", "\udcff:3"],
])
def test_bad_input_is_status_2_without_traceback(args):
    result = subprocess.run([sys.executable, "-m", "rnnshape", *args], capture_output=True, env=ENV, timeout=60)
    assert result.returncode == 2
    assert result.stdout == b""
    assert b"Traceback" not in result.stderr and result.stderr.strip()


def test_a_closed_pipe_is_not_an_error():
    reader = subprocess.Popen([sys.executable, "-m", "rnnshape", "summary", "-i", "100,128",
                               " ".join(["lstm:8:seq"] * 2000), "--format", "plain"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    reader.stdout.readline()
    reader.stdout.close()  # as `| head -1` does
    assert b"Traceback" not in reader.stderr.read()
    reader.wait(timeout=60)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_committed_completion_scripts_are_current(shell):
    from pathlib import Path

    generated = subprocess.run([sys.executable, "-m", "rnnshape"], capture_output=True, text=True, timeout=60,
                               env={**ENV, "_RNNSHAPE_COMPLETE": f"{shell}_source"})
    committed = Path(__file__).parent.parent / "completions" / f"rnnshape.{shell}"
    assert generated.stdout and generated.stdout == committed.read_text()


def test_only_the_run_loads_numpy():
    assert "numpy" in imported_modules("summary", "-i", "10,5", "bi:8:seq", "--run", "--json")


LONG_RUN = ["summary", "-i", "200,512", "-b", "8", "lstm:512:seq", "--run"]  # estimated at over a second


def test_a_long_run_shows_progress_on_a_terminal_stderr():
    import pty

    leader, follower = pty.openpty()
    result = subprocess.run([sys.executable, "-m", "rnnshape", *LONG_RUN], stdout=subprocess.PIPE,
                            stderr=follower, env={**ENV, "TERM": "xterm"}, timeout=120)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: all read
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert result.returncode == 0 and b"Forward pass" in result.stdout
    assert b"forward pass" in seen and b"\xe2\x94\x81" in seen  # the label and the bar's line


def test_no_progress_when_stderr_is_piped_or_for_json():
    for extra in ([], ["--json"]):
        result = run(*LONG_RUN, *extra)
        assert result.returncode == 0 and result.stderr == ""
