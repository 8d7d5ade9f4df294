"""The reference corpus of Keras model-building code is well-formed (no Keras needed).

tests/fixtures/keras_code/ holds real public model code (the tutorial chapter's code
blocks, the models of docs/tutorial.md's "Real models", Keras's RNN guide, keras-io
examples, TensorFlow tutorials, and seeded random files), and tests/fixtures/keras_code.json
what Keras 3 built from each file (tests/fixtures/make_keras_code_fixtures.py).

tests/test_pycode.py reads every file with `rnnshape summary --from FILE.py` and checks it
prints the entry's "summary", given its "D" values as -D NAME=VALUE, its "i" as -i for a model
Keras leaves unbuilt, and its "model" as --model. This module checks the corpus itself: the
files parse and the fixture entries are complete.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
CODE = FIXTURES / "keras_code"
CORPUS = json.loads((FIXTURES / "keras_code.json").read_text(encoding="utf-8"))
ENTRIES = CORPUS["entries"]
FILES = sorted(CODE.glob("*.py"))


def _id(entry: dict) -> str:
    return f"{entry['file']}:{entry.get('model') or 'last'}"


def test_made_with_keras_3():
    assert CORPUS["made_with"]["keras"].startswith("3.")
    assert CORPUS["made_with"]["columns"] == 80


def test_corpus_size():
    assert len(FILES) >= 40
    assert sum(1 for entry in ENTRIES if "summary" in entry) >= 40


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_file_parses_and_names_its_source(path):
    text = path.read_text(encoding="utf-8")
    ast.parse(text, filename=str(path))
    assert text.startswith("# Source: "), "each file names its source on its first line"


def test_every_file_has_an_entry():
    assert {path.name for path in FILES} == {entry["file"] for entry in ENTRIES}


@pytest.mark.parametrize("entry", ENTRIES, ids=_id)
def test_entry_is_complete(entry):
    path = CODE / entry["file"]
    assert path.is_file()
    text = path.read_text(encoding="utf-8")
    assert all(isinstance(value, (int, float)) for value in entry.get("D", {}).values())
    for expression in entry.get("replace", {}):
        assert expression in text
    if "keras3_refuses" in entry:
        assert entry["keras3_refuses"].split(":")[0].endswith("Error")
        if "keras2" in entry:  # what Keras 2 built, its spelling mapped to Keras 3's
            assert "summary" in entry["keras2_mapped"]
        return
    assert entry["model"] and entry["model"].isidentifier()
    assert entry["summary"].startswith("Model: ")
    assert f"Total params: {entry['total_params']:,} " in entry["summary"]
    assert entry["total_params"] == entry["trainable_params"] + entry["non_trainable_params"]
    assert entry["layers"] and all(len(shape) == 2 for shape in entry["weights"])
    if entry.get("unbuilt"):
        assert entry["i"] and "(unbuilt)" in entry["unbuilt_summary"]
    else:
        assert "i" not in entry, "an -i for a model whose code gives its input shape"
