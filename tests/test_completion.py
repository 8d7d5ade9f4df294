"""Shell completion that knows the grammar: the candidates, and real bash, zsh and
fish completing in a pseudo-terminal with the committed scripts."""

import os
import re
import select
import shutil
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import user_environment
from rnnshape.cli import main
from rnnshape.completion import SCRIPTS, complete_line, spec_candidates
from rnnshape.kinds import ACTIVATIONS, KINDS

REPOSITORY = Path(__file__).resolve().parent.parent


def candidates(line):
    return [(item.type, item.value) for item in complete_line(main, line)]


def values(line):
    return [value for kind, value in candidates(line)]


def test_kinds_cells_flags_and_values():
    assert spec_candidates("ls") == ["lstm:"]
    assert spec_candidates("glo") == ["globalavg", "globalmax"]  # nothing has to follow them
    assert set(spec_candidates("")) == {word + (":" if word not in
                                                ("globalavg", "globalmax", "flatten", "batchnorm", "bn", "layernorm",
                                                 "ln", "maxpool", "avgpool", "masking", "concat", "add", "subtract",
                                                 "multiply", "average", "maximum", "minimum", "relu", "leakyrelu",
                                                 "prelu", "elu", "softmax", "dot", "attention",
                                                 "additive_attention") else "")
                                        for word in KINDS}  # fmt: skip
    assert spec_candidates("bi:") == ["bi:gru:", "bi:lstm:", "bi:rnn:", "bi:simple:"]
    assert spec_candidates("td:") == spec_candidates("td:de") == ["td:dense:"]
    assert spec_candidates("bi:l") == ["bi:lstm:"] and spec_candidates("bi:8:s")[:1] == ["bi:8:seq"]
    assert spec_candidates("lstm:") == []  # the units come next: a number
    assert spec_candidates("lstm:8:s") == ["lstm:8:seq", "lstm:8:state", "lstm:8:stateful"]
    assert "lstm:8:recurrent_activation=" in spec_candidates("lstm:8:")
    assert "simple:8:recurrent_activation=" not in spec_candidates("simple:8:")  # only gated cells have gates
    assert spec_candidates("lstm:8:seq:s") == ["lstm:8:seq:state", "lstm:8:seq:stateful"]  # not seq again
    assert spec_candidates("lstm:8:act=") == [f"lstm:8:act={name}" for name in sorted(ACTIVATIONS)]
    assert spec_candidates("bi:lstm:4:merge=s") == ["bi:lstm:4:merge=sum"]
    assert spec_candidates("bi:4:") and "bi:4:back" not in spec_candidates("bi:4:")  # Keras refuses back in bi
    assert "bi:lstm:4:reset_after=" not in spec_candidates("bi:lstm:4:")  # a flag of the gru cell only
    assert "bi:gru:4:reset_after=" in spec_candidates("bi:gru:4:")
    assert "bi:4:recurrent_activation=" not in spec_candidates("bi:4:")  # bi:4 wraps a SimpleRNN
    assert spec_candidates("conv1d:4:2:pad=") == ["conv1d:4:2:pad=causal", "conv1d:4:2:pad=same",
                                                  "conv1d:4:2:pad=valid"]  # fmt: skip
    assert spec_candidates("gru:4:reset_after=") == ["gru:4:reset_after=false", "gru:4:reset_after=true"]
    assert spec_candidates("activation:so") == ["activation:soft_shrink", "activation:softmax",
                                                "activation:softplus", "activation:softsign"]  # fmt: skip
    assert spec_candidates("nonsense:") == [] and spec_candidates("lstm:8:xyz=") == []


def test_the_command_line_is_resolved_as_click_resolves_it():
    assert values("rnnshape ") == ["code", "completion", "explain", "kinds", "plot", "spec", "summary"]
    assert values("rnnshape summary -i 4,2 ls") == ["lstm:"]
    assert values("rnnshape summary --format ") == ["table", "plain", "markdown", "json", "csv"]
    assert values("rnnshape code --framework p") == ["pytorch"]
    assert values("rnnshape completion ") == ["bash", "zsh", "fish"]
    assert values("rnnshape summary -i 4,2 'bi:8:seq ls") == ["bi:8:seq lstm:"]  # a quoted word of several specs
    for option in ("--weights", "--save-weights", "--input-data", "--save-output", "--from", "-f"):
        assert candidates(f"rnnshape summary {option} x") == [("file", "x")], option
    assert candidates("rnnshape code -o m") == [("file", "m")]
    assert candidates("rnnshape spec --from ") == [("file", "")]


def test_candidates_come_from_the_program_through_the_environment():
    """The entry point answers a completion script, before any command runs."""
    import subprocess

    process = subprocess.run([sys.executable, "-m", "rnnshape"], capture_output=True, text=True, timeout=600,
                             env=user_environment(_RNNSHAPE_COMPLETE_LINE="rnnshape summary -i 4,2 lstm:8:act=rel"))  # fmt: skip
    assert process.returncode == 0 and process.stdout == "plain\tlstm:8:act=relu\nplain\tlstm:8:act=relu6\n"


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_committed_scripts_are_the_printed_ones(shell):
    printed = CliRunner().invoke(main, ["completion", shell]).stdout
    assert printed == SCRIPTS[shell] == (REPOSITORY / "completions" / f"rnnshape.{shell}").read_text()


# Real shells -----------------------------------------------------------------------

ANSI = re.compile(r"\x1b\[[0-9;?>=]*[A-Za-z]|\x1b[\]P][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][A-Z0-9]|\x1b[=>]|[\r\x07\x08]")
SHELLS = {
    "bash": (["bash", "--norc", "--noprofile", "-i"], ["source {script}\n"]),
    "zsh": (["zsh", "-f", "-i"], ["autoload -U compinit && compinit -u\n", "source {script}\n"]),
    "fish": (["fish", "--no-config", "-i"], ["source {script}\n"]),
}


def typed_in(shell: str, keys: str, expected: list[str], folder: Path) -> str:
    """Type ``keys`` into an interactive ``shell`` (in a pseudo-terminal, with the
    committed completion script sourced) and return what the screen shows once
    every ``expected`` text is there (or after 300 s: a hang)."""
    import pty

    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed (.ci/run installs it)")
    shim = folder / "bin"
    shim.mkdir(exist_ok=True)
    (shim / "rnnshape").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m rnnshape "$@"\n')
    (shim / "rnnshape").chmod(0o755)
    argv, setup = SHELLS[shell]
    env = {"PATH": f"{shim}:/usr/local/bin:/usr/bin:/bin", "TERM": "xterm", "HOME": str(folder), "LANG": "C.UTF-8",
           "PYTHONPATH": str(REPOSITORY)}  # fmt: skip
    pid, leader = pty.fork()
    if pid == 0:  # the shell, in the test's folder
        os.chdir(folder)
        os.execvpe(argv[0], argv, env)
    screen = b""

    def read(seconds: float) -> None:
        nonlocal screen
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if select.select([leader], [], [], 0.05)[0]:
                try:
                    screen += os.read(leader, 65536)
                except OSError:
                    return

    try:
        read(0.3)
        for line in setup:  # typed ahead is fine: the shell reads the keys after these lines have run
            os.write(leader, line.format(script=REPOSITORY / "completions" / f"rnnshape.{shell}").encode())
            read(0.2)
        start = len(screen)
        os.write(leader, keys.encode())
        deadline = time.monotonic() + 300  # a hang guard: the screen is read until it shows what is expected
        text = ""
        while time.monotonic() < deadline:
            read(0.2)
            text = ANSI.sub("", screen[start:].decode("utf-8", "replace"))
            if all(one in text for one in expected):
                break
        return text
    finally:
        os.write(leader, b"\x03")
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        os.close(leader)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_a_real_shell_completes_the_kind(shell, tmp_path):
    text = typed_in(shell, "rnnshape summary -i 4,2 lst\t", ["lstm:"], tmp_path)
    assert "rnnshape summary -i 4,2 lstm:" in text


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_a_real_shell_lists_the_flags_after_kind_and_units(shell, tmp_path):
    text = typed_in(shell, "rnnshape summary -i 4,2 lstm:8:s\t\t", ["seq", "state", "stateful"], tmp_path)
    assert all(flag in text for flag in ("seq", "state", "stateful"))


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_a_real_shell_completes_an_activation_name(shell, tmp_path):
    text = typed_in(shell, "rnnshape summary -i 4,2 lstm:8:act=sparse_s\t", ["act=sparse_sigmoid"], tmp_path)
    assert "lstm:8:act=sparse_sigmoid" in text


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_a_real_shell_completes_a_file_for_a_file_option(shell, tmp_path):
    (tmp_path / "weights_of_my_model.npz").write_bytes(b"")
    text = typed_in(shell, "rnnshape summary -i 4,2 lstm:8 --run --weights weights_o\t", ["weights_of_my_model.npz"],
                    tmp_path)  # fmt: skip
    assert "--weights weights_of_my_model.npz" in text
