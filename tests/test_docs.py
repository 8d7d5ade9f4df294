"""The documentation is true: README examples and the docstrings' examples run as shown."""

import doctest
import re
import shlex

import pytest
from click.testing import CliRunner

from conftest import HERE
import rnnshape
import rnnshape.run
import rnnshape.shapes
from rnnshape.cli import main

README = (HERE.parent / "README.md").read_text(encoding="utf-8")
CONSOLE_BLOCKS = re.findall(r"```console\n\$ (rnnshape [^\n]*)\n(.*?)```", README, re.S)


def test_there_are_examples():
    assert len(CONSOLE_BLOCKS) >= 8


def comparable(text):
    """The text with the wall time of a forward pass masked, and its statistics
    as numbers (compared to 1e-4: BLAS may round the last digits differently)."""
    masked = re.sub(r" in [0-9.]+ m?s ", " in <time> ", text)
    return re.sub(r"-?[0-9]+\.[0-9]+(e-?[0-9]+)?", "<number>", masked), \
        [float(number) for number in re.findall(r"(?<=: )-?[0-9]+\.[0-9]+(?:e-?[0-9]+)?", masked)]


@pytest.mark.parametrize("command, shown", CONSOLE_BLOCKS, ids=[block[0] for block in CONSOLE_BLOCKS])
def test_console_example(command, shown):
    result = CliRunner().invoke(main, shlex.split(command)[1:], env={"COLUMNS": "80"})
    if "--run" not in command:
        assert result.output == shown
        return
    (text, numbers), (shown_text, shown_numbers) = comparable(result.output), comparable(shown)
    assert text == shown_text
    assert numbers == pytest.approx(shown_numbers, rel=1e-4)


def test_python_example():
    parser = doctest.DocTestParser()
    test = parser.get_doctest(README, {}, "README.md", "README.md", 0)
    assert test.examples
    runner = doctest.DocTestRunner()
    runner.run(test)
    assert runner.failures == 0


def test_quick_start_is_two_commands_and_ci_runs_the_second():
    quick_start = README.split("## Quick start", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    commands = quick_start.strip().splitlines()
    assert len(commands) == 2
    venv = "python3 -m venv .venv && . .venv/bin/activate && "  # PEP 668: no pip install into the system's Python
    assert commands[0].startswith(venv + "pip install . && rnnshape summary ")
    assert commands[1] == venv + "pip install '.[test]' && pytest"
    assert commands[1] in (HERE.parent / ".ci" / "run").read_text().splitlines()


@pytest.mark.parametrize("module", [rnnshape, rnnshape.shapes, rnnshape.run], ids=lambda module: module.__name__)
def test_docstring_examples(module):
    failures, tried = doctest.testmod(module)
    assert tried and not failures
