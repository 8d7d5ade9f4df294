"""rnnshape kinds: the grammar's reference, read from the kinds and the parser."""

import json
import re

import pytest
from click.testing import CliRunner

from rnnshape import parse, summarize
from rnnshape.cli import main
from rnnshape.graph import parse_program
from rnnshape.kinds import ACTIVATIONS, KINDS
from rnnshape.reference import keras_cheat_sheet, kinds_reference
from rnnshape.shapes import infer_graph
from rnnshape.spec import ALIASES, kind_words, written_form

REFERENCE = kinds_reference()
ENTRIES = {entry["kind"]: entry for entry in REFERENCE["kinds"]}


def test_every_kind_and_alias_and_activation_is_listed():
    assert list(ENTRIES) == kind_words()
    assert {alias for entry in ENTRIES.values() for alias in entry["aliases"]} == set(ALIASES)
    assert REFERENCE["activations"] == sorted(ACTIVATIONS)
    assert ENTRIES["bi"]["wraps"] == ["simple", "rnn", "lstm", "gru"] and ENTRIES["td"]["wraps"] == ["dense"]


def one_layer(spec, dims, batch=None):
    """The summary of one layer on an input of ``dims``: a stack, or for a
    merge a graph of two such inputs."""
    if KINDS[spec.split(":")[0]].arity[0] < 2:
        return summarize(spec, dims, batch)
    shape = ",".join(map(str, dims)) + (f":batch={batch}" if batch else "")
    return infer_graph(parse_program(f"a = input:{shape}; b = input:{shape}; y = {spec}(a, b)"))


@pytest.mark.parametrize("word", kind_words())
def test_every_listed_flag_is_accepted_with_its_example_and_its_default_is_keras_default(word):
    """Each flag, written as the reference says, parses on its kind; each default
    is the value the parsed layer holds when the flag is left out."""
    entry = ENTRIES[word]
    base = written_form(entry["kind"]).replace("[:CELL]", "").replace("[:", ":").replace("]", "")
    numbers = {"UNITS": "4", "RATE": "0.5", "TIMES": "3", "FILTERS": "4", "KERNEL_SIZE": "2", "POOL_SIZE": "2",
               "VOCABULARY_SIZE": "9", "OUTPUT_DIM": "3", "MASK_VALUE": "0", "STDDEV": "0.1",
               "ACTIVATION_NAME": "relu", "CELL": "dense", "SLOPE": "0.1", "TARGET_SHAPE": "9,2",
               "DIMS": "2,1", "HEADS": "2", "KEY_DIM": "4"}  # fmt: skip
    spec = ":".join(numbers.get(part, part) for part in base.split(":"))
    if word in ("bi", "cell"):
        spec = f"{word}:gru:4"  # the cell that takes every flag bi and cell list
    dims = {"embedding": (6,), "repeat": (3,)}.get(word, (6, 3))
    plain = one_layer(spec, dims).layers[0].spec.layer
    for flag in entry["flags"]:
        written = flag.get("example", flag["form"])
        if "|" in written:  # a choice: its first value
            written = written.split("|")[0]
        if flag["flag"] in ("stateful",):
            summary = one_layer(f"{spec}:{written}", dims, 2)
        else:
            summary = one_layer(f"{spec}:{written}", dims)
        assert summary.rows  # it parses and builds
        if "default" in flag:
            layer = plain.layer if word in ("bi", "td", "cell") and not hasattr(plain, flag["sets"]) else plain
            assert getattr(layer, flag["sets"]) == flag["default"], (word, flag)


def test_the_kinds_command_prints_text_and_json():
    runner = CliRunner()
    text = runner.invoke(main, ["kinds"], env={"COLUMNS": "80"})
    assert text.exit_code == 0
    assert "simple:UNITS (alias rnn)  -  Keras SimpleRNN" in text.stdout
    assert "recurrent_activation=NAME (default sigmoid; lstm and gru only)" in text.stdout
    assert "bi[:CELL]:UNITS  -  Keras Bidirectional\n    CELL: simple, rnn, lstm, gru (default: simple)" in text.stdout
    assert "td:dense:UNITS  -  Keras TimeDistributed\n    flags:" in text.stdout  # one kind inside: named
    assert "merge=concat|sum|mul|ave|none (default concat)" in text.stdout
    assert "sparsemax" in text.stdout and all(len(line) <= 80 for line in text.stdout.splitlines())
    document = json.loads(runner.invoke(main, ["kinds", "--json"]).stdout)
    assert document == json.loads(json.dumps(REFERENCE))
    assert set(ENTRIES) | set(ALIASES) == set(KINDS)


def test_help_points_to_the_reference():
    result = CliRunner().invoke(main, ["summary", "--help"])
    assert "rnnshape kinds" in result.stdout


def cheat_sheet_rows() -> list[list[str]]:
    """The cheat sheet's rows, each as its cells (pipes escaped in a cell read back as '|')."""
    lines = keras_cheat_sheet().splitlines()
    assert lines[:2] == ["| Keras | rnnshape | notes |", "|---|---|---|"]
    rows = []
    for line in lines[2:]:
        cells = [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        assert len(cells) == 3, line
        rows.append(cells)
    return rows


def codes(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


# A value for each placeholder of the sheet, to build a spec that must parse.
PLACEHOLDERS = {"U": "4", "V": "9", "E": "3", "R": "0.5", "F": "4", "K": "2", "P": "2", "N": "3", "S": "0.1", "NAME": "relu",
                "SHAPE": "9,2", "ORDER": "2,1", "SLOPE": "0.1", "HEADS": "2", "KEY_DIM": "4"}  # fmt: skip


def test_the_cheat_sheet_has_every_kind_cell_and_flag():
    rows = cheat_sheet_rows()
    specs = [spec for _, cell, _ in rows for spec in codes(cell)]
    kinds = {spec.split(":")[0] for spec in specs if not spec.startswith(":")}
    assert kinds == set(ENTRIES) | set(ALIASES)
    assert {spec.split(":")[1] for spec in specs if spec.startswith(("bi:", "td:")) and spec.count(":") == 2} \
        >= {cell for entry in ENTRIES.values() for cell in entry["wraps"] if cell not in ALIASES}
    flags = {spec[1:].split("=")[0] for spec in specs if spec.startswith(":")}
    assert flags == {flag["flag"] for entry in ENTRIES.values() for flag in entry["flags"]}
    for entry in ENTRIES.values():  # each Keras class is named
        assert any(entry["keras"] + "(" in keras for keras, _, _ in rows), entry["keras"]


@pytest.mark.parametrize("row", cheat_sheet_rows(), ids=lambda row: codes(row[1])[0])
def test_every_cheat_sheet_spec_parses_as_its_keras_side_says(row):
    """Each row's spec, placeholders filled (a flag on the first kind the notes name), parses;
    a kind's spec gives the Keras class its row starts with, a flag sets the argument its row names."""
    keras, specs, notes = row
    for spec in codes(specs):
        if spec.startswith(":"):
            named = [code for code in codes(notes) if code.split(":")[0] in ENTRIES]
            kind = named[0] if named else "simple"  # "on every kind"
            base = {"bi": "bi:gru", "td": "td:dense"}.get(kind, kind)
            fields = [field for field in ENTRIES[kind.split(":")[0]]["fields"] if field["default"] is None]
            text = ":".join([base] + ["4"] * (len(fields) or (1 if kind.startswith(("bi", "td")) else 0))) + spec
            parsed = parse(text)[0]
            argument, _, value = codes(keras)[0].partition("=")
            layer = parsed.layer.layer if kind.startswith(("bi", "td")) and not hasattr(parsed.layer, argument) \
                else parsed.layer  # fmt: skip
            held = {"trainable": parsed.trainable, "name": parsed.name}.get(argument, getattr(layer, argument, None))
            assert str(held).lower() == value.strip('"').lower(), (text, argument, held)
        else:
            text = ":".join(PLACEHOLDERS.get(field, field) for field in spec.split(":"))
            parsed = parse(text)[0]
            assert codes(keras)[0].startswith(parsed.layer.keras_type), text


def test_the_cheat_sheet_is_a_markdown_table_of_three_columns():
    text = keras_cheat_sheet()
    assert text.endswith("|\n") and "merge=concat\\|sum\\|mul\\|ave\\|none" in text
    assert all(line.startswith("| ") and line.endswith(" |") for line in text.splitlines()[2:])
