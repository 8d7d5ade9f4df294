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


def test_code_loads_neither_numpy_nor_rich_until_it_converts_weights(tmp_path):
    for framework in ("keras", "pytorch"):
        modules = imported_modules("code", "--framework", framework, "-i", "10,5", "bi:lstm:8:seq", "dense:1")
        assert "rich" not in modules and "numpy" not in modules
    state = str(tmp_path / "state.npz")
    assert "numpy" in imported_modules("code", "--framework", "pytorch", "-i", "10,5", "lstm:8", "--save-weights", state)


def test_plot_loads_neither_numpy_nor_rich():
    for fmt in ("svg", "dot", "mermaid"):
        modules = imported_modules("plot", "-i", "10,5", "bi:8:seq", "--unroll", "--format", fmt)
        assert "rich" not in modules and "numpy" not in modules


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


# Real pseudo-terminals: widths, dumb terminals, Ctrl-C.


def in_terminal(args, columns=80, env=None, interrupt_after=None, input=None):
    """Run rnnshape on a real pseudo-terminal of `columns` columns (its controlling
    terminal, as in a shell); optionally type Ctrl-C after some seconds. Returns
    (exit status, everything the terminal showed)."""
    import fcntl
    import pty
    import select
    import struct
    import termios
    import time

    pid, leader = pty.fork()
    if pid == 0:  # the child: size its terminal, then become rnnshape
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        os.execve(sys.executable, [sys.executable, "-m", "rnnshape", *args], {**(env or ENV)})
    seen, start, typed = b"", time.monotonic(), False
    if input is not None:
        os.write(leader, input)
    while True:
        if interrupt_after is not None and not typed and time.monotonic() - start > interrupt_after:
            os.write(leader, b"\x03")  # Ctrl-C, as typed: the terminal sends SIGINT
            typed = True
        ready, _, _ = select.select([leader], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the child is gone: all read
                break
            if not chunk:
                break
            seen += chunk
        if time.monotonic() - start > 120:
            os.kill(pid, 9)
            raise AssertionError(f"no end after 120 s: {seen[-300:]!r}")
    _, status = os.waitpid(pid, 0)
    os.close(leader)
    return os.waitstatus_to_exitcode(status), seen.decode("utf-8", "replace")


def table_lines(text):
    return [line for line in text.splitlines() if line[:1] in "┏┃┡│├└"]


@pytest.mark.parametrize("columns, width", [(30, 40), (60, 56), (100, 88), (200, 88)])
def test_the_table_fits_the_terminal_and_is_never_cropped(columns, width):
    env = {key: value for key, value in ENV.items() if key != "COLUMNS"}
    status, seen = in_terminal(["summary", "-i", "2,10", "simple:3"], columns, {**env, "TERM": "xterm"})
    assert status == 0
    plain = __import__("re").sub(r"\x1b\[[0-9;]*m", "", seen)  # colours off, text left
    lines = table_lines(plain)
    assert lines and {len(line) for line in lines} == {width}
    assert all(line.rstrip()[-1] in "┓┃┩│┤┘" for line in lines)  # the last column is whole
    assert "Param" in plain and "42" in plain  # at 40 wide, Keras's header wraps "Param #" too


def test_a_dumb_terminal_gets_the_table_for_its_width():
    env = {**{key: value for key, value in ENV.items() if key != "COLUMNS"}, "TERM": "dumb"}
    status, seen = in_terminal(["summary", "-i", "2,10", "simple:3"], 100, env)
    assert status == 0 and {len(line) for line in table_lines(seen)} == {88} and "Param #" in seen


@pytest.mark.parametrize("columns", ["0", "-5", "abc", ""])
def test_a_columns_of_no_use_means_unset(columns):
    result = subprocess.run([sys.executable, "-m", "rnnshape", "summary", "-i", "2,10", "simple:3"],
                            capture_output=True, text=True, env={**ENV, "COLUMNS": columns}, timeout=60)
    assert result.returncode == 0 and {len(line) for line in table_lines(result.stdout)} == {76}


def test_ctrl_c_while_waiting_for_specs_exits_130():
    status, seen = in_terminal(["summary", "-i", "2,10", "-"], interrupt_after=1.0)
    assert status == 130 and "Aborted" not in seen and "Traceback" not in seen


def test_ctrl_c_during_a_long_run_exits_130():
    status, seen = in_terminal(["summary", "-i", "3000,256", "-b", "128", "lstm:512:seq", "--run"],
                               interrupt_after=1.5)
    assert status == 130 and "Aborted" not in seen and "Traceback" not in seen


@pytest.mark.parametrize("fmt", ["table", "plain", "markdown", "json"])
def test_every_format_ends_quietly_with_0_on_a_closed_pipe(fmt):
    reader = subprocess.Popen([sys.executable, "-m", "rnnshape", "summary", "-i", "100,128",
                               " ".join(["lstm:8:seq"] * 2000), "--format", fmt],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    reader.stdout.readline()
    reader.stdout.close()  # as `| head -1` does
    assert reader.stderr.read() == b""
    assert reader.wait(timeout=60) == 0


def test_a_closed_or_full_stdout_is_an_error():
    closed = subprocess.run(f"'{sys.executable}' -m rnnshape summary -i 2,10 simple:3 >&-", shell=True,
                            capture_output=True, text=True, env=ENV, timeout=60)
    assert closed.returncode == 2 and "standard output is closed" in closed.stderr
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "rnnshape", "summary", "-i", "2,10", "simple:3"],
                                stdout=full, stderr=subprocess.PIPE, text=True, env=ENV, timeout=60)
    assert result.returncode == 2 and result.stderr == "Error: No space left on device\n"


@pytest.mark.parametrize("raised, status, message", [
    (MemoryError(), 2, "Error: not enough memory for this"),
    (OSError(28, "No space left on device", "out.npy"), 2, "Error: No space left on device 'out.npy'"),
    (KeyboardInterrupt(), 130, ""),
    (RuntimeError("surprise"), 1, "rnnshape: internal error: RuntimeError: surprise"),
])
def test_the_entry_point_turns_every_failure_into_its_status(monkeypatch, capsys, raised, status, message):
    """Failures anywhere in a command (here raised by it as a whole) end with the README's
    status and one message; 1 only for what can only be a bug."""
    from rnnshape import cli

    def command(*args, **kwargs):
        raise raised

    monkeypatch.setattr(cli, "main", command)
    with pytest.raises(SystemExit) as exit:
        cli.run()
    assert exit.value.code == status
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith(message) and "Traceback" not in captured.err
