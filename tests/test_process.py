"""rnnshape as a real process: python -m rnnshape, lazy imports, exit statuses, pipes.

Every process here runs in a user's environment (conftest.user_environment):
without PYTHONUNBUFFERED, stdout is buffered and fails at other moments.
Nothing here waits a fixed time for the child: a test reads while the child
runs and acts on what it sees, so a loaded machine only makes it slower.
"""

import json
import os
import select
import signal
import subprocess
import sys

import pytest

from conftest import FIXTURES, user_environment

ENV = user_environment()
HANG = 600  # seconds after which a child that has not ended is a hang, not a slow machine


def run(*args, input=None, python_flags=()):
    return subprocess.run([sys.executable, *python_flags, "-m", "rnnshape", *args], input=input,
                          capture_output=True, text=True, env=ENV, timeout=HANG)


def imported_modules(*args):
    """Top-level modules a run imports, read from python -X importtime."""
    result = run(*args, python_flags=("-X", "importtime"))
    assert result.returncode == 0, result.stderr
    return {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in result.stderr.splitlines() if "|" in line}


def test_importing_the_cli_loads_neither_numpy_nor_rich():
    code = "import sys, rnnshape.cli; print(sorted(m for m in ('numpy', 'rich') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, timeout=HANG)
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
    result = subprocess.run([sys.executable, "-m", "rnnshape", *args], capture_output=True, env=ENV, timeout=HANG)
    assert result.returncode == 2
    assert result.stdout == b""
    assert b"Traceback" not in result.stderr and result.stderr.strip()


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


def with_terminal_stderr(args, env):
    """Run rnnshape with stdout on a pipe and stderr on a pseudo-terminal, both
    read while it runs (a terminal whose buffer nobody reads blocks its writer).
    Returns (exit status, stdout, what the terminal showed)."""
    import pty

    leader, follower = pty.openpty()
    child = subprocess.Popen([sys.executable, "-m", "rnnshape", *args], stdout=subprocess.PIPE, stderr=follower,
                             env=env)  # fmt: skip
    os.close(follower)
    read = {leader: b"", child.stdout.fileno(): b""}
    open_ = set(read)
    try:
        while open_:
            ready = select.select(list(open_), [], [], HANG)[0]
            if not ready:
                pytest.fail(f"no end after {HANG} s")
            for fd in ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # the terminal's last writer is gone: all read
                    chunk = b""
                if chunk:
                    read[fd] += chunk
                else:
                    open_.discard(fd)
        return child.wait(timeout=HANG), read[child.stdout.fileno()], read[leader]
    finally:
        child.kill()
        child.stdout.close()
        os.close(leader)


def test_a_long_run_shows_progress_on_a_terminal_stderr():
    status, stdout, seen = with_terminal_stderr(LONG_RUN, user_environment(TERM="xterm"))
    assert status == 0 and b"Forward pass" in stdout
    assert b"forward pass" in seen and b"\xe2\x94\x81" in seen  # the label and the bar's line


def test_no_progress_when_stderr_is_piped_or_for_json():
    for extra in ([], ["--json"]):
        result = run(*LONG_RUN, *extra)
        assert result.returncode == 0 and result.stderr == ""


# Real pseudo-terminals: widths, dumb terminals, Ctrl-C.


def in_terminal(args, columns=80, env=None, interrupt_when=None):
    """Run rnnshape on a real pseudo-terminal of `columns` columns (its controlling
    terminal, as in a shell); type Ctrl-C once `interrupt_when(pid, seen)` says
    so. Returns (exit status, everything the terminal showed)."""
    import fcntl
    import pty
    import struct
    import termios
    import time

    pid, leader = pty.fork()
    if pid == 0:  # the child: size its terminal, then become rnnshape
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        # Ctrl-C as in a shell's foreground job: a test run in the background
        # (cmd &) inherits SIGINT ignored, and Python keeps an ignored SIGINT so.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.execve(sys.executable, [sys.executable, "-m", "rnnshape", *args], env or ENV)
    seen, start, typed = b"", time.monotonic(), False
    while True:
        if interrupt_when is not None and not typed and interrupt_when(pid, seen):
            os.write(leader, b"\x03")  # Ctrl-C, as typed: the terminal sends SIGINT
            typed = True
        ready, _, _ = select.select([leader], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the child is gone: all read
                break
            if not chunk:
                break
            seen += chunk
        if time.monotonic() - start > HANG:
            os.kill(pid, 9)
            raise AssertionError(f"no end after {HANG} s: {seen[-300:]!r}")
    _, status = os.waitpid(pid, 0)
    os.close(leader)
    return os.waitstatus_to_exitcode(status), seen.decode("utf-8", "replace")


READ_SYSCALL = {"x86_64": 0, "aarch64": 63}  # Linux's number of read(2), by machine


def reading_stdin(pid, seen):
    """Whether the process waits in read(2) on its standard input (Linux's
    /proc/PID/syscall: the syscall's number, then its first argument, the fd)."""
    import platform

    number = READ_SYSCALL.get(platform.machine())
    if number is None or not os.path.exists(f"/proc/{pid}/syscall"):
        pytest.skip("needs Linux's /proc/PID/syscall on x86_64 or aarch64 to see the wait for input")
    try:
        with open(f"/proc/{pid}/syscall") as handle:
            fields = handle.read().split()
    except OSError:  # gone, or not yet readable
        return False
    return fields[:2] == [str(number), "0x0"]


def table_lines(text):
    return [line for line in text.splitlines() if line[:1] in "┏┃┡│├└"]


@pytest.mark.parametrize("columns, width", [(30, 40), (60, 56), (100, 88), (200, 88)])
def test_the_table_fits_the_terminal_and_is_never_cropped(columns, width):
    status, seen = in_terminal(["summary", "-i", "2,10", "simple:3"], columns, user_environment(COLUMNS=None,
                                                                                                 TERM="xterm"))
    assert status == 0
    plain = __import__("re").sub(r"\x1b\[[0-9;]*m", "", seen)  # colours off, text left
    lines = table_lines(plain)
    assert lines and {len(line) for line in lines} == {width}
    assert all(line.rstrip()[-1] in "┓┃┩│┤┘" for line in lines)  # the last column is whole
    assert "Param" in plain and "42" in plain  # at 40 wide, Keras's header wraps "Param #" too


def test_a_dumb_terminal_gets_the_table_for_its_width():
    status, seen = in_terminal(["summary", "-i", "2,10", "simple:3"], 100, user_environment(COLUMNS=None, TERM="dumb"))
    assert status == 0 and {len(line) for line in table_lines(seen)} == {88} and "Param #" in seen


@pytest.mark.parametrize("columns", ["0", "-5", "abc", ""])
def test_a_columns_of_no_use_means_unset(columns):
    result = subprocess.run([sys.executable, "-m", "rnnshape", "summary", "-i", "2,10", "simple:3"],
                            capture_output=True, text=True, env=user_environment(COLUMNS=columns), timeout=HANG)
    assert result.returncode == 0 and {len(line) for line in table_lines(result.stdout)} == {76}


def test_ctrl_c_while_waiting_for_specs_exits_130():
    status, seen = in_terminal(["summary", "-i", "2,10", "-"], interrupt_when=reading_stdin)
    assert status == 130 and "Aborted" not in seen and "Traceback" not in seen


def test_ctrl_c_during_a_long_run_exits_130():
    status, seen = in_terminal(["summary", "-i", "3000,256", "-b", "128", "lstm:512:seq", "--run"],
                               interrupt_when=lambda pid, seen: b"forward pass" in seen)  # the bar: it runs
    assert status == 130 and "Aborted" not in seen and "Traceback" not in seen


@pytest.mark.parametrize("fmt", ["table", "plain", "markdown", "json", "csv"])
def test_every_format_ends_quietly_with_0_when_the_reader_goes_away(fmt):
    reader = subprocess.Popen([sys.executable, "-m", "rnnshape", "summary", "-i", "100,128",
                               " ".join(["lstm:8:seq"] * 2000), "--format", fmt],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    reader.stdout.readline()
    reader.stdout.close()  # as `| head -1` does, with far more than a pipe holds still to come
    assert reader.stderr.read() == b""
    assert reader.wait(timeout=HANG) == 0


BIG = " ".join(["lstm:8:seq"] * 300)  # more output than a pipe or a stdio buffer holds
EVERY_OUTPUT = [  # every command, and every format of each
    *[["summary", "-i", "100,128", BIG, "--format", fmt] for fmt in ("table", "plain", "markdown", "json", "csv")],
    ["summary", "-i", "100,128", BIG, "--details", "--expand", "--show-trainable"],
    ["summary", "-i", "10,5", "lstm:8:seq", "dense:2", "--run", "--details"],
    ["summary", "-i", "10,5", "lstm:8:seq", "dense:2", "--run", "--json"],
    ["explain", "-i", "100,128", BIG],
    ["explain", "-i", "100,128", BIG, "--json"],
    ["spec", "--from", str(FIXTURES / "saved" / "model_0.keras")],
    ["kinds"],
    ["kinds", "--json"],
    ["code", "--framework", "keras", "-i", "100,128", BIG],
    ["code", "--framework", "pytorch", "-i", "100,128", BIG],
    *[["plot", "-i", "100,128", BIG, "--format", fmt] for fmt in ("svg", "dot", "mermaid")],
    ["completion", "bash"],
    ["--help"],
    ["summary", "--help"],
    ["--version"],
]


def stdout_of(sink):
    """A function for Popen's preexec_fn that gives the child the standard
    output `sink` names: a pipe nobody reads any more, a full disk, or none."""
    def arrange():
        if sink == "closed pipe":
            reading, writing = os.pipe()
            os.close(reading)  # the reader went away before a byte was written
            os.dup2(writing, 1)
            os.close(writing)
        elif sink == "full disk":
            full = os.open("/dev/full", os.O_WRONLY)
            os.dup2(full, 1)
            os.close(full)
        else:
            os.close(1)

    return arrange


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full, a device that is always full")
@pytest.mark.parametrize("unbuffered", [False, True], ids=["as users run it", "PYTHONUNBUFFERED"])
@pytest.mark.parametrize("sink, status, message", [
    ("closed pipe", 0, ""),
    ("full disk", 2, "Error: No space left on device\n"),
    ("closed stdout", 2, "Error: standard output is closed: nothing could be printed\n"),
])
@pytest.mark.parametrize("args", EVERY_OUTPUT, ids=lambda args: " ".join(arg[:20] for arg in args[:6]))
def test_every_output_path_ends_with_the_promised_status(args, sink, status, message, unbuffered):
    """SPEC section 7 for every command and format: a reader that went away is
    0 and silent; a full disk or a closed stdout is 2 with one message; never
    Python's 'Exception ignored', whether stdout is buffered or not."""
    env = user_environment(PYTHONUNBUFFERED="1" if unbuffered else None)
    result = subprocess.run([sys.executable, "-m", "rnnshape", *args], stdout=None, stderr=subprocess.PIPE, env=env,
                            preexec_fn=stdout_of(sink), text=True, timeout=HANG)  # fmt: skip
    assert (result.returncode, result.stderr) == (status, message)


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

    monkeypatch.setattr(cli, "_invoke", command)
    with pytest.raises(SystemExit) as exit:
        cli.run()
    assert exit.value.code == status
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith(message) and "Traceback" not in captured.err
