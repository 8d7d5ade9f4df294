"""The shape engine against real Keras 3 (and PyTorch) on every fixture stack."""

import pytest

from conftest import KERAS_REFUSED, KERAS_STACKS, as_lists, stack_id
from rnnshape import InputError, infer, parse, summarize


def fixture_summary(stack, convention="keras"):
    return summarize(stack["spec"], stack["input"], stack["batch"], convention, stack["name"] or "sequential")


@pytest.mark.parametrize("stack", KERAS_STACKS, ids=stack_id)
def test_names_types_shapes_and_params_equal_keras(stack):
    summary = fixture_summary(stack)
    got = [(row.name, row.type, as_lists(row.output_shape), row.params) for row in summary.rows]
    expected = [(layer["name"], layer["type"], layer["output_shape"], layer["params"]) for layer in stack["layers"]]
    assert got == expected
    assert summary.total_params == stack["total_params"]


@pytest.mark.parametrize("stack", [stack for stack in KERAS_STACKS if "trainable_params" in stack["layers"][0]],
                         ids=stack_id)
def test_trainable_split_equals_keras(stack):
    summary = fixture_summary(stack)
    assert [row.trainable_params for row in summary.rows] == [layer["trainable_params"] for layer in stack["layers"]]
    expected = sum(layer["trainable_params"] for layer in stack["layers"])
    assert (summary.trainable_params, summary.non_trainable_params) == (expected, stack["total_params"] - expected)


@pytest.mark.parametrize("stack", KERAS_REFUSED, ids=stack_id)
def test_what_keras_refuses_is_refused(stack):
    """Every stack Keras refuses to build, rnnshape refuses, saying which layer."""
    with pytest.raises(InputError) as caught:
        fixture_summary(stack)
    assert "layer " in str(caught.value), stack["refused"]


@pytest.mark.parametrize("stack", KERAS_STACKS, ids=stack_id)
def test_weight_shapes_equal_keras_get_weights(stack):
    summary = fixture_summary(stack)
    got = [[list(weight.shape) for weight in row.weights] for row in summary.rows]
    assert got == [layer["weight_shapes"] for layer in stack["layers"]]


@pytest.mark.parametrize("stack", KERAS_STACKS, ids=stack_id)
def test_torch_convention_equals_pytorch_modules(stack):
    summary = fixture_summary(stack, "torch")
    assert [row.params for row in summary.rows] == [layer["torch_params"] for layer in stack["layers"]]


@pytest.mark.parametrize("convention", ["keras", "torch"])
@pytest.mark.parametrize("stack", KERAS_STACKS, ids=stack_id)
def test_rows_add_up_to_the_totals(stack, convention):
    summary = fixture_summary(stack, convention)
    assert sum(row.params for row in summary.rows) == summary.total_params
    assert summary.trainable_params + summary.non_trainable_params == summary.total_params
    for row in summary.rows:
        assert row.params == sum(weight.size for weight in row.weights)


def test_each_layer_reads_the_shape_the_previous_one_returns():
    summary = summarize("emb:100:8 bi:gru:4:seq dropout:0.1 lstm:3", (12,), batch_size=2)
    assert summary.input_shape == (2, 12)
    shapes = [summary.input_shape] + [row.output_shape for row in summary.rows]
    assert [row.input_shape for row in summary.rows] == shapes[:-1]
    assert summary.output_shape == (2, 3)


def test_seed_chapter_figures():
    assert summarize("simple:3", (2, 10)).rows[0].params == 42
    assert summarize("simple:3", (2, 10), 8).rows[0].output_shape == (8, 3)
    assert summarize("simple:3:seq", (2, 10), 8).rows[0].output_shape == (8, 2, 3)
    deep = summarize("bi:8:seq bi:8:seq bi:8:seq bi:8:seq", (10, 5))
    assert [row.params for row in deep.rows] == [224, 400, 400, 400]
    assert deep.total_params == 1424


def test_counts_are_exact_integers_of_any_size():
    units = 10**30
    summary = summarize(f"lstm:{units}", (5, 7))
    assert summary.total_params == 4 * (units * (7 + units) + units)


def rank_error(specs, dims=(2, 10), batch=None):
    with pytest.raises(InputError) as caught:
        summarize(specs, dims, batch)
    return str(caught.value)


def test_missing_seq_names_the_layer_to_fix():
    assert rank_error("simple:3 simple:4") == (
        "layer 2 'simple_rnn_1' needs (batch, timesteps, features) but layer 1 'simple_rnn' "
        "returns (None, 3): add ':seq' to layer 1")


def test_missing_seq_behind_a_dense_layer_points_back_to_the_recurrent_one():
    message = rank_error("lstm:3:seq bi:gru:4 dropout:0.5 dense:2 simple:4", batch=8)
    assert message == ("layer 5 'simple_rnn' needs (batch, timesteps, features) but layer 4 'dense' "
                       "returns (8, 2): add ':seq' to layer 2 'bidirectional'")


def test_recurrent_layer_on_a_2d_input():
    assert "but the input is (None, 10): give the input as -i TIMESTEPS,FEATURES" in rank_error("simple:3", (10,))


def test_embedding_needs_ids():
    assert "takes integer ids of shape (batch, timesteps)" in rank_error("emb:10:4 simple:3", (10, 5))


@pytest.mark.parametrize("dims, words", [
    ((), "should have two dims"),
    ((2, 3, 4), "should have two dims"),
    ((0, 5), "at least 1"),
    ((2, -1), "at least 1"),
    ((2, None), "feature dim"),
    ((2, 2.5), "whole numbers"),
])
def test_bad_input_shapes(dims, words):
    with pytest.raises(InputError, match=words):
        summarize("simple:3", dims)


def test_bad_batch_convention_and_name():
    with pytest.raises(InputError, match="batch size"):
        summarize("simple:3", (2, 10), 0)
    with pytest.raises(InputError, match="unknown convention"):
        summarize("simple:3", (2, 10), convention="jax")
    with pytest.raises(InputError, match="model name"):
        summarize("simple:3", (2, 10), name="a/b")
    with pytest.raises(InputError, match="no layers"):
        infer([], (2, 10))


def test_none_timesteps_with_an_embedding():
    summary = summarize("emb:50:8 lstm:4:seq", (None,))
    assert summary.output_shape == (None, None, 4)


def test_summarize_accepts_parsed_specs_and_lists_of_text():
    specs = parse("gru:4:seq dense:2")
    assert summarize(specs, (3, 2)) == summarize(["gru:4:seq", "dense:2"], (3, 2))


# The wider layer set: Keras's refusals in rnnshape's words, names, masks.


@pytest.mark.parametrize("specs, dims, batch, message", [
    ("conv1d:8:5", (3, 2), None, "layer 1 'conv1d': its kernel spans 5 steps but its input has only 3"),
    ("conv1d:2:3:dilation=2", (4, 2), None, "its kernel spans 5 steps but its input has only 4"),
    ("maxpool:3", (2, 2), None, "layer 1 'max_pooling1d': its pool spans 3 steps but its input has only 2"),
    ("conv1d:4:3:stride=2:dilation=2", (10, 2), None, "Keras refuses strides above 1 together with a dilation"),
    ("lstm:4:stateful", (5, 3), None, "layer 1 'lstm': 'stateful' keeps the state"),
    ("bi:lstm:4:stateful", (5, 3), None, "Keras needs a fixed batch size: give it with -b"),
    ("lstm:4:state dense:1", (5, 3), None,
     "layer 2 'dense' comes after layer 1 'lstm', which returns 3 outputs (':state')"),
    ("bi:gru:4:merge=none dense:1", (5, 3), None, "returns 2 outputs (':merge=none')"),
    ("flatten dense:3", (None, 2), None,
     "layer 2 'dense' builds its weights from the last dim of its input (None, None), which is unknown; Keras "
     "refuses that: layer 1 'flatten' flattens None timesteps"),
    ("lstm:3:seq repeat:2", (5, 2), None,
     "layer 2 'repeat_vector' needs (batch, features) but layer 1 'lstm' returns (None, 5, 3): remove ':seq'"),
    ("repeat:2", (5, 2), None, "layer 1 'repeat_vector' needs (batch, features) but the input is (None, 5, 2)"),
    ("conv1d:4:2 globalmax td:dense:2", (5, 2), None,
     "layer 3 'time_distributed' needs (batch, timesteps, features) but layer 2 'global_max_pooling1d' returns "
     "(None, 4): layer 2 (GlobalMaxPooling1D) drops the time axis"),
    ("lstm:3 maxpool", (5, 2), None, "layer 2 'max_pooling1d' needs (batch, timesteps, features) but layer 1 "
     "'lstm' returns (None, 3): add ':seq' to layer 1"),
    ("dense:3:name=a dense:3:name=a", (4,), None,
     "layer 2 'a': the name is already taken by layer 1; Keras needs every layer"),
    ("dense:3:name=dense_1 dense:4 dense:5", (4,), None, "layer 3 'dense_1': the name is already taken by layer 1"),
])
def test_keras_refusals_in_rnnshape_words(specs, dims, batch, message):
    with pytest.raises(InputError) as caught:
        summarize(specs, dims, batch)
    assert message in str(caught.value)


def test_name_takes_no_count_but_a_named_wrapper_s_layer_does():
    names = [row.name for row in summarize("lstm:4:seq:name=enc lstm:4:seq td:dense:2:name=out dense:1", (5, 3)).rows]
    assert names == ["enc", "lstm", "out", "dense_1"]


def test_several_outputs_are_listed_in_keras_order():
    summary = summarize("bi:lstm:4:seq:state", (10, 3))
    assert summary.output_shape == [(None, 10, 8)] + [(None, 4)] * 4
    assert summarize("bi:gru:2:merge=none", (10, 3)).output_shape == [(None, 2), (None, 2)]
    document = summary.to_dict()
    assert document["layers"][0]["output_shape"] == [[None, 10, 8]] + [[None, 4]] * 4


def test_frozen_layers_and_moving_statistics_are_non_trainable():
    summary = summarize("emb:100:8:frozen bn lstm:4", (5,))
    assert [row.trainable_params for row in summary.rows] == [0, 16, 208]
    assert [row.trainable for row in summary.rows] == [False, True, True]
    assert (summary.trainable_params, summary.non_trainable_params) == (224, 800 + 16)
    assert [weight.trainable for weight in summary.rows[1].weights] == [True, True, False, False]


@pytest.mark.parametrize("specs, dims, notes", [
    ("emb:50:8:mask_zero conv1d:4:3 lstm:4", (10,), ["layer 2 'conv1d' (Conv1D) drops the mask made by layer 1 "
                                                     "'embedding': the layers after it see padding as data"]),
    ("masking lstm:4:seq maxpool flatten", (10, 3), ["layer 3 'max_pooling1d' (MaxPooling1D) drops the mask made "
                                                     "by layer 1 'masking': the layers after it see padding as data"]),
    ("masking globalmax", (10, 3), ["layer 2 'global_max_pooling1d' (GlobalMaxPooling1D) drops the mask made by "
                                    "layer 1 'masking': the layers after it see padding as data"]),
    ("masking dense:3 flatten masking flatten", (4, 3), [
        "layer 3 'flatten' (Flatten) drops the mask made by layer 1 'masking': the layers after it see padding as data",
        "layer 5 'flatten_1' (Flatten) drops the mask made by layer 4 'masking_1': the layers after it see padding "
        "as data"]),
    # Used up, not dropped: no note.
    ("emb:50:8:mask_zero lstm:4 dense:1", (10,), []),
    ("emb:50:8:mask_zero lstm:4:seq globalavg dense:1", (10,), []),
    ("emb:50:8:mask_zero bn ln td:dense:3 dropout:0.1 noise:0.1 spatialdropout:0.1 activation:relu", (10,), []),
    ("conv1d:4:3 lstm:4", (10, 3), []),  # no mask at all
])
def test_notes_say_where_a_mask_is_dropped(specs, dims, notes):
    assert list(summarize(specs, dims).warnings) == notes


@pytest.mark.parametrize("stack", [stack for stack in KERAS_STACKS[::5] if "stateful" not in stack["spec"]],
                         ids=stack_id)
def test_with_batch_equals_inferring_with_that_batch(stack):
    dims = stack["input"]
    assert fixture_summary(stack).with_batch(5) == summarize(stack["spec"], dims, 5, name=stack["name"] or "sequential")
