"""rnnshape kinds: the grammar's reference, read from the kinds and the parser."""

import json

import pytest
from click.testing import CliRunner

from rnnshape import summarize
from rnnshape.cli import main
from rnnshape.kinds import ACTIVATIONS, KINDS
from rnnshape.reference import kinds_reference, usage
from rnnshape.spec import ALIASES, kind_words

REFERENCE = kinds_reference()
ENTRIES = {entry["kind"]: entry for entry in REFERENCE["kinds"]}


def test_every_kind_and_alias_and_activation_is_listed():
    assert list(ENTRIES) == kind_words()
    assert {alias for entry in ENTRIES.values() for alias in entry["aliases"]} == set(ALIASES)
    assert REFERENCE["activations"] == sorted(ACTIVATIONS)
    assert ENTRIES["bi"]["wraps"] == ["simple", "rnn", "lstm", "gru"] and ENTRIES["td"]["wraps"] == ["dense"]


@pytest.mark.parametrize("word", kind_words())
def test_every_listed_flag_is_accepted_with_its_example_and_its_default_is_keras_default(word):
    """Each flag, written as the reference says, parses on its kind; each default
    is the value the parsed layer holds when the flag is left out."""
    entry = ENTRIES[word]
    base = usage(entry).replace("[:CELL]", "").replace("[:", ":").replace("]", "")
    numbers = {"UNITS": "4", "RATE": "0.5", "TIMES": "3", "FILTERS": "4", "KERNEL_SIZE": "2", "POOL_SIZE": "2",
               "VOCABULARY_SIZE": "9", "OUTPUT_DIM": "3", "MASK_VALUE": "0", "STDDEV": "0.1",
               "ACTIVATION_NAME": "relu", "CELL": "dense"}  # fmt: skip
    spec = ":".join(numbers.get(part, part) for part in base.split(":"))
    if word == "bi":
        spec = "bi:gru:4"  # the cell that takes every flag bi lists
    dims = {"embedding": (6,), "repeat": (3,)}.get(word, (6, 3))
    plain = summarize(spec, dims).rows[0].spec.layer
    for flag in entry["flags"]:
        written = flag.get("example", flag["form"])
        if "|" in written:  # a choice: its first value
            written = written.split("|")[0]
        if flag["flag"] in ("stateful",):
            summary = summarize(f"{spec}:{written}", dims, 2)
        else:
            summary = summarize(f"{spec}:{written}", dims)
        assert summary.rows  # it parses and builds
        if "default" in flag:
            layer = plain.layer if word in ("bi", "td") and not hasattr(plain, flag["sets"]) else plain
            assert getattr(layer, flag["sets"]) == flag["default"], (word, flag)


def test_the_kinds_command_prints_text_and_json():
    runner = CliRunner()
    text = runner.invoke(main, ["kinds"], env={"COLUMNS": "80"})
    assert text.exit_code == 0
    assert "simple:UNITS (alias rnn)  -  Keras SimpleRNN" in text.stdout
    assert "recurrent_activation=NAME (default sigmoid; lstm and gru only)" in text.stdout
    assert "bi[:CELL]:UNITS  -  Keras Bidirectional" in text.stdout and "td:CELL:UNITS" in text.stdout
    assert "merge=concat|sum|mul|ave|none (default concat)" in text.stdout
    assert "sparsemax" in text.stdout and all(len(line) <= 80 for line in text.stdout.splitlines())
    document = json.loads(runner.invoke(main, ["kinds", "--json"]).stdout)
    assert document == json.loads(json.dumps(REFERENCE))
    assert set(ENTRIES) | set(ALIASES) == set(KINDS)


def test_help_points_to_the_reference():
    result = CliRunner().invoke(main, ["summary", "--help"])
    assert "rnnshape kinds" in result.stdout
