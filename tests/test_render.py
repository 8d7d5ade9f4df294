"""Renderers: the table equals Keras 3's own summary text; plain matches the seed's Keras 2 layout."""

import json
import re
from decimal import Decimal

import pytest

from conftest import GOLDEN, KERAS_TEXTS, stack_id
from rnnshape import summarize
from rnnshape.render import readable_size, render

SEED_EXAMPLES = [  # (seed golden file, spec, input, batch) -- the chapter's three printed summaries
    ("seed_summary_1.txt", "simple:3", (2, 10), None),
    ("seed_summary_2.txt", "simple:3", (2, 10), 8),
    ("seed_summary_3.txt", "simple:3:seq", (2, 10), 8),
]


@pytest.mark.parametrize("stack", KERAS_TEXTS, ids=stack_id)
def test_table_is_keras_summary_text(stack):
    summary = summarize(stack["spec"], stack["input"], stack["batch"], name=stack["name"] or "sequential")
    assert render(summary, "table", width=80) == stack["summary"]


@pytest.mark.parametrize("stack", [stack for stack in KERAS_TEXTS if "summary_100" in stack], ids=stack_id)
def test_wide_table_is_keras_summary_text(stack):
    """At 100 columns Keras's table is 88 wide, and wraps 'global_max_pooling1d (GlobalMaxPooling1D)'."""
    summary = summarize(stack["spec"], stack["input"], stack["batch"], name=stack["name"] or "sequential")
    assert render(summary, "table", width=100) == stack["summary_100"]


@pytest.mark.parametrize("golden_file, spec, dims, batch", SEED_EXAMPLES)
def test_plain_reproduces_the_seed_chapter(golden_file, spec, dims, batch):
    # The seed ran its examples in one Keras session, so its counters had reached
    # _1 and _2; in a fresh session (rnnshape's) they are the bare names.
    seed = (GOLDEN / golden_file).read_text().splitlines()
    model = re.search(r'Model: "(\w+)"', seed[0]).group(1)
    expected = [line.replace("simple_rnn_1 (SimpleRNN)  ", "simple_rnn (SimpleRNN)    ")
                .replace("simple_rnn_2 (SimpleRNN)  ", "simple_rnn (SimpleRNN)    ") for line in seed]
    output = render(summarize(spec, dims, batch, name=model), "plain").splitlines()
    # The seed's copy lost the '=' rules; every line it kept is ours, in order.
    remaining = iter(output)
    assert all(any(line == ours for ours in remaining) for line in expected)
    assert [line for line in output if line not in expected] == ["=" * 65, "=" * 65]


def test_plain_layout_is_65_columns_at_0_29_55():
    output = render(summarize("bi:8:seq bi:8:seq bi:8:seq bi:8:seq", (10, 5)), "plain").splitlines()
    assert all(len(line) == 65 for line in output[1:-5])
    header = output[2]
    assert header.index("Layer (type)") == 1 and header.index("Output Shape") == 29 and header.index("Param #") == 55
    assert output[-4:-1] == ["Total params: 1,424", "Trainable params: 1,424", "Non-trainable params: 0"]


FORMAT_CASES = [
    ("deep_bidirectional", "bi:8:seq bi:8:seq bi:8:seq bi:8:seq", (10, 5), None, {}),
    ("embedding_classifier", "emb:5000:32 bi:lstm:16:seq dropout:0.3 bi:gru:8 dense:1:act=sigmoid", (100,), None, {}),
    ("fixed_batch_float64", "gru:10:seq dense:3", (None, 5), 16, {"dtype": "float64"}),
]


@pytest.mark.parametrize("fmt, suffix", [("table", "txt"), ("plain", "txt"), ("markdown", "md"), ("json", "json")])
@pytest.mark.parametrize("name, specs, dims, batch, options", FORMAT_CASES, ids=[case[0] for case in FORMAT_CASES])
def test_golden_outputs(golden, fmt, suffix, name, specs, dims, batch, options):
    text = render(summarize(specs, dims, batch), fmt, width=80, **options)
    golden(f"{name}.{fmt}.{suffix}", text)


def test_json_keys_and_values():
    document = json.loads(render(summarize("simple:3", (2, 10)), "json"))
    assert document == {
        "model": "sequential",
        "input_shape": [None, 2, 10],
        "layers": [{"name": "simple_rnn", "type": "SimpleRNN", "spec": "simple:3", "input_shape": [None, 2, 10],
                    "output_shape": [None, 3], "params": 42, "trainable": True, "trainable_params": 42,
                    "weights": [{"name": "kernel", "shape": [10, 3], "trainable": True},
                                {"name": "recurrent_kernel", "shape": [3, 3], "trainable": True},
                                {"name": "bias", "shape": [3], "trainable": True}]}],
        "total_params": 42, "trainable_params": 42, "non_trainable_params": 0,
        "convention": "keras", "warnings": [], "dtype": "float32", "total_bytes": 168,
    }


def test_json_survives_awkward_model_names():
    name = 'a "quoted" [1,\n 2] name'
    assert json.loads(render(summarize("simple:3", (2, 10), name=name), "json"))["model"] == name


def test_markdown_escapes_pipes():
    text = render(summarize("simple:3", (2, 10), name="a|b"), "markdown")
    assert '**Model: "a\\|b"**' in text


@pytest.mark.parametrize("nbytes, text", [
    (0, "0.00 B"), (168, "168.00 B"), (1023, "1023.00 B"), (1024, "1.00 KB"), (5696, "5.56 KB"),
    (3 * 1024**2 + 1, "3.00 MB"), (1024**5, "1.00 PB"), (1024**6, "1024.00 PB"),
])
def test_readable_size_as_keras(nbytes, text):
    assert readable_size(nbytes) == text


def test_readable_size_beyond_floats():
    number, unit = readable_size(10**400).split()
    assert unit == "PB"
    assert abs(Decimal(number) * 1024**5 / 10**400 - 1) < Decimal("1e-20")


@pytest.mark.parametrize("dtype, size", [("float16", "84.00 B"), ("bfloat16", "84.00 B"), ("float64", "336.00 B")])
def test_dtype_sets_the_byte_sizes(dtype, size):
    assert f"Total params: 42 ({size})" in render(summarize("simple:3", (2, 10)), "table", dtype, width=80)


def test_table_narrows_with_the_terminal_as_keras_does():
    wide = render(summarize("simple:3", (2, 10)), "table", width=200).splitlines()
    narrow = render(summarize("simple:3", (2, 10)), "table", width=60).splitlines()
    assert len(wide[1]) == 88 and len(narrow[1]) == 56
