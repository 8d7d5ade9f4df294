"""The documentation is true: every example in README.md and docs/*.md runs as shown.

- a ```console block (`$ rnnshape ...`, then what it prints) is run through click's
  CliRunner at 80 columns, from the repository's root, and must print exactly what
  is shown (a forward pass's time is masked and its statistics compared to 1e-4);
- a ```python block is a doctest, and runs;
- each `rnnshape ...` line of a ```bash block runs (in an empty folder, up to its
  first `>`, `|` or `&&`) and succeeds;
- the README's Keras cheat sheet is keras_cheat_sheet()'s table;
- every relative link points at a file, and every #anchor at a heading.

`python tests/test_docs.py` rewrites the shown output of every console example with
what the command prints now: review the diff.
"""

import doctest
import os
import re
import shlex
import shutil

import pytest
from click.testing import CliRunner

from conftest import HERE
import rnnshape
import rnnshape.reference
import rnnshape.run
import rnnshape.shapes
from rnnshape.cli import main
from rnnshape.reference import keras_cheat_sheet, kinds_reference

REPOSITORY = HERE.parent
PAGES = {path.relative_to(REPOSITORY).as_posix(): path.read_text(encoding="utf-8")
         for path in [REPOSITORY / "README.md", *sorted((REPOSITORY / "docs").glob("*.md"))]}  # fmt: skip
README = PAGES["README.md"]
CONSOLE = re.compile(r"```console\n\$ (rnnshape [^\n]*)\n(.*?)```", re.S)
CONSOLE_EXAMPLES = [(page, command, shown) for page, text in PAGES.items() for command, shown in CONSOLE.findall(text)]
# A saved model for the bash examples that read one (--from model.keras, --weights model.keras).
SAVED_MODEL = HERE / "fixtures" / "saved" / "model_40.keras"


def bash_commands(text: str) -> list[str]:
    """The rnnshape command lines of the page's bash blocks (continued lines joined)."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip().startswith("rnnshape "):  # a block in a list is indented
                commands.append(line.strip())
    return commands


BASH_EXAMPLES = [(page, command) for page, text in PAGES.items() for command in bash_commands(text)]


def run_example(command: str):
    """What the command prints (stdout and stderr, as a terminal shows them) at 80 columns."""
    return CliRunner().invoke(main, shlex.split(command)[1:], env={"COLUMNS": "80"}, prog_name="rnnshape")


def test_there_are_examples_on_every_page():
    assert len([page for page, _, _ in CONSOLE_EXAMPLES if page == "README.md"]) >= 2
    assert len(CONSOLE_EXAMPLES) >= 40
    for page, text in PAGES.items():
        # Every console block is one `$ rnnshape ...` command and its output: none escapes the tests.
        assert text.count("```console\n") == len(CONSOLE.findall(text)), page
        if page != "docs/completion.md":
            assert CONSOLE.findall(text) or ">>> " in text, f"{page} has no checked example"


def comparable(text):
    """The text with the wall time of a forward pass masked, and its statistics
    as numbers (compared to 1e-4: BLAS may round the last digits differently)."""
    masked = re.sub(r" in [0-9.]+ m?s ", " in <time> ", text)
    return re.sub(r"-?[0-9]+\.[0-9]+(e-?[0-9]+)?", "<number>", masked), \
        [float(number) for number in re.findall(r"(?<=: )-?[0-9]+\.[0-9]+(?:e-?[0-9]+)?", masked)]


@pytest.mark.parametrize("page, command, shown", CONSOLE_EXAMPLES,
                         ids=[f"{page}: {command}" for page, command, _ in CONSOLE_EXAMPLES])  # fmt: skip
def test_console_example(page, command, shown, monkeypatch):
    monkeypatch.chdir(REPOSITORY)  # examples read the repository's saved models by their paths
    result = run_example(command)
    if "--run" not in command:
        assert result.output == shown
        return
    (text, numbers), (shown_text, shown_numbers) = comparable(result.output), comparable(shown)
    assert text == shown_text
    assert numbers == pytest.approx(shown_numbers, rel=1e-4)


# The README's example that trains a generated PyTorch module: PyTorch is no
# dependency of the tests, so the fixture script that runs the modules ran it
# and recorded its hash (test_pytorch_graphs compares).
RUN_WITH_PYTORCH = {README.split("<!-- training example, run with PyTorch -->", 1)[1].split("```python\n", 1)[1]
                    .split("```", 1)[0]}  # fmt: skip


@pytest.mark.parametrize("page", [page for page, text in PAGES.items()
                                  if set(re.findall(r"```python\n(.*?)```", text, re.S)) - RUN_WITH_PYTORCH])
def test_python_examples(page, monkeypatch):
    monkeypatch.chdir(REPOSITORY)  # examples read the repository's saved models by their paths
    text = PAGES[page]
    for block in re.findall(r"```python\n(.*?)```", text, re.S):
        if block in RUN_WITH_PYTORCH:  # test_pytorch_graphs checks that PyTorch ran it
            continue
        assert block.startswith(">>> "), f"{page}: a python block that is not a doctest:\n{block}"
    test = doctest.DocTestParser().get_doctest(text, {}, page, page, 0)
    assert test.examples
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.failures == 0


@pytest.mark.parametrize("page, command", BASH_EXAMPLES, ids=[f"{page}: {command}" for page, command in BASH_EXAMPLES])
def test_bash_example_runs(page, command, tmp_path, monkeypatch):
    """A command shown without its output still works as written (up to its first
    redirection, pipe or second command), in a folder with a saved model.keras."""
    words = shlex.split(command)
    for stop in (">", "|", "&&", ">>", ";"):
        if stop in words:
            words = words[:words.index(stop)]
    monkeypatch.chdir(tmp_path)
    shutil.copy(SAVED_MODEL, tmp_path / "model.keras")
    shutil.copytree(REPOSITORY / "docs" / "examples", tmp_path / "docs" / "examples")  # the examples' programs
    result = CliRunner().invoke(main, words[1:], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output


def test_quick_start_is_two_commands_and_ci_runs_the_second():
    quick_start = README.split("## Quick start", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    commands = quick_start.strip().splitlines()
    assert len(commands) == 2
    venv = "python3 -m venv .venv && . .venv/bin/activate && "  # PEP 668: no pip install into the system's Python
    assert commands[0].startswith(venv + "pip install . && rnnshape summary ")
    assert commands[1] == venv + "pip install '.[test]' && pytest"
    assert commands[1] in (HERE.parent / ".ci" / "run").read_text().splitlines()


CHEAT_SHEET = re.compile(r"<!-- cheat sheet: generated by rnnshape\.reference\.keras_cheat_sheet[^\n]*-->\n"
                         r"(.*?)<!-- end cheat sheet -->", re.S)  # fmt: skip


def test_the_readme_cheat_sheet_is_generated_from_the_kinds():
    blocks = CHEAT_SHEET.findall(README)
    assert len(blocks) == 1, "the README has one cheat sheet between its markers"
    assert blocks[0] == keras_cheat_sheet(), "regenerate it: python tests/test_docs.py"
    specs = re.findall(r"`([^`]+)`", blocks[0])
    for entry in kinds_reference()["kinds"]:
        assert any(spec.split(":")[0] == entry["kind"] for spec in specs), entry["kind"]
        for flag in entry["flags"]:
            assert any(spec.startswith(":" + flag["flag"]) for spec in specs), flag["flag"]


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives a page's headings."""
    found: set[str] = set()
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    for heading in re.findall(r"^#+ (.*)$", text, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        anchor, number = slug, 0
        while anchor in found:
            number += 1
            anchor = f"{slug}-{number}"
        found.add(anchor)
    return found


@pytest.mark.parametrize("page", [*PAGES, "CONTRIBUTING.md", "CHANGELOG.md"])
def test_links_point_at_files_and_headings(page):
    text = re.sub(r"```.*?```", "", (REPOSITORY / page).read_text(encoding="utf-8"), flags=re.S)
    folder = (REPOSITORY / page).parent
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # an outside address
        path, _, anchor = target.partition("#")
        file = (folder / path).resolve() if path else REPOSITORY / page
        assert file.exists(), f"{page}: {target}"
        if anchor:
            assert anchor in anchors(file.read_text(encoding="utf-8")), f"{page}: {target}"


def test_the_user_pages_keep_to_the_user():
    """Users read what rnnshape does, not how the project got there or how it is tested."""
    for page, text in PAGES.items():
        for words in ("our first users", "seed chapter", "this project", "this change", "fixture", "budget",
                      "hash", "fuzz"):  # fmt: skip
            assert words not in text.lower().replace("tests/fixtures/saved/", ""), (page, words)


@pytest.mark.parametrize("module", [rnnshape, rnnshape.shapes, rnnshape.run, rnnshape.reference],
                         ids=lambda module: module.__name__)  # fmt: skip
def test_docstring_examples(module):
    failures, tried = doctest.testmod(module)
    assert tried and not failures


def matches(command: str, output: str, shown: str) -> bool:
    """Whether the output is what the example shows (a forward pass's time and
    last digits aside)."""
    if "--run" not in command:
        return output == shown
    (text, numbers), (shown_text, shown_numbers) = comparable(output), comparable(shown)
    return text == shown_text and numbers == pytest.approx(shown_numbers, rel=1e-4)


def update() -> None:
    """Rewrite the shown output of every console example that no longer matches, and the
    README's cheat sheet."""
    os.chdir(REPOSITORY)

    def example(match: re.Match) -> str:
        output = run_example(match[1]).output
        return match[0] if matches(match[1], output, match[2]) else f"```console\n$ {match[1]}\n{output}```"

    for page, text in PAGES.items():
        new = CONSOLE.sub(example, text)
        if page == "README.md":
            new = CHEAT_SHEET.sub(lambda match: match[0][:match.start(1) - match.start()] + keras_cheat_sheet()
                                 + match[0][match.end(1) - match.start():], new)  # fmt: skip
        if new != text:
            (REPOSITORY / page).write_text(new, encoding="utf-8")
            print("rewrote", page)


if __name__ == "__main__":
    update()
