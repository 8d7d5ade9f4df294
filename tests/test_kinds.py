"""Each kind's weights: their count must follow SPEC section 4's formulas."""

import pytest

from rnnshape.kinds import GRU, LSTM, Bidirectional, Dense, Dropout, Embedding, SimpleRNN

SIZES = [(1, 1), (10, 3), (5, 8), (128, 256)]  # (D, U)


def count(layer, features, convention="keras"):
    return sum(w.size for w in layer.weights((None, 7, features), convention))


@pytest.mark.parametrize("d, u", SIZES)
def test_keras_counts_follow_the_formulas(d, u):
    assert count(SimpleRNN(u), d) == u * (d + u) + u
    assert count(LSTM(u), d) == 4 * (u * (d + u) + u)
    assert count(GRU(u), d) == 3 * (u * (d + u) + 2 * u)
    assert count(GRU(u, reset_after=False), d) == 3 * (u * (d + u) + u)
    assert count(Dense(u), d) == d * u + u
    assert count(Bidirectional(LSTM(u)), d) == 2 * count(LSTM(u), d)


@pytest.mark.parametrize("d, u", SIZES)
def test_nobias_drops_the_bias_terms(d, u):
    assert count(SimpleRNN(u, use_bias=False), d) == u * (d + u)
    assert count(LSTM(u, use_bias=False), d) == 4 * u * (d + u)
    assert count(GRU(u, use_bias=False), d) == 3 * u * (d + u)
    assert count(Dense(u, use_bias=False), d) == d * u
    assert count(SimpleRNN(u, use_bias=False), d, "torch") == u * (d + u)


@pytest.mark.parametrize("d, u", SIZES)
def test_torch_counts_two_bias_vectors(d, u):
    assert count(SimpleRNN(u), d, "torch") == u * (d + u) + 2 * u
    assert count(LSTM(u), d, "torch") == 4 * (u * (d + u) + 2 * u)
    assert count(GRU(u), d, "torch") == 3 * (u * (d + u) + 2 * u)
    assert count(GRU(u, reset_after=False), d, "torch") == 3 * (u * (d + u) + 2 * u)
    assert count(Bidirectional(GRU(u)), d, "torch") == 2 * count(GRU(u), d, "torch")


def test_weights_are_named_and_ordered_as_keras_get_weights():
    shapes = [(w.name, w.shape) for w in GRU(4).weights((None, 3, 5))]
    assert shapes == [("kernel", (5, 12)), ("recurrent_kernel", (4, 12)), ("bias", (2, 12))]
    names = [w.name for w in Bidirectional(SimpleRNN(2)).weights((None, 3, 5))]
    assert names == ["forward/kernel", "forward/recurrent_kernel", "forward/bias",
                     "backward/kernel", "backward/recurrent_kernel", "backward/bias"]
    torch_names = [w.name for w in Bidirectional(LSTM(2)).weights((None, 3, 5), "torch")]
    assert torch_names[:2] == ["weight_ih_l0", "weight_hh_l0"] and torch_names[-1] == "bias_hh_l0_reverse"


def test_embedding_and_dropout():
    assert count(Embedding(1000, 64), None) == 64_000
    assert Embedding(1000, 64).output_shape((None, 50)) == (None, 50, 64)
    assert Dropout(0.5).weights((None, 3, 4)) == []
    assert Dropout(0.5).output_shape((8, 3, 4)) == (8, 3, 4)


def test_output_shapes():
    assert SimpleRNN(3).output_shape((None, 2, 10)) == (None, 3)
    assert SimpleRNN(3, return_sequences=True).output_shape((8, 2, 10)) == (8, 2, 3)
    assert Bidirectional(SimpleRNN(8, return_sequences=True)).output_shape((None, 10, 5)) == (None, 10, 16)
    for mode in ("sum", "mul", "ave"):
        assert Bidirectional(LSTM(8), mode).output_shape((None, 10, 5)) == (None, 8)
    assert Dense(4).output_shape((None, 10, 5)) == (None, 10, 4)


def test_wrapped_layer_takes_a_name_before_the_wrapper():
    assert Bidirectional(GRU(3)).auto_names() == ("gru", "bidirectional")
    assert LSTM(3).auto_names() == ("lstm",)


def test_counts_are_exact_for_huge_layers():
    u = 10**40
    assert count(LSTM(u), 3) == 4 * (u * (3 + u) + u)


def test_wider_kinds_count_as_keras_does():
    from rnnshape.kinds import BatchNormalization, Conv1D, LayerNormalization, TimeDistributed

    assert count(Conv1D(16, 3), 4) == 3 * 4 * 16 + 16
    assert count(Conv1D(16, 3, use_bias=False), 4, "torch") == 16 * 4 * 3
    assert count(BatchNormalization(), 8) == 32 and count(BatchNormalization(), 8, "torch") == 16
    assert count(LayerNormalization(), 8) == 16
    assert count(TimeDistributed(Dense(5)), 8) == count(Dense(5), 8) == 45


@pytest.mark.parametrize("layer, shape, expected", [
    (SimpleRNN(3), (None, 7, 10), 7 * 3 * 13),
    (LSTM(3), (4, 7, 10), 4 * 7 * 4 * 3 * 13),
    (GRU(3), (4, 7, 10), 4 * 7 * 3 * 3 * 13),
    (Bidirectional(LSTM(3)), (4, 7, 10), 2 * 4 * 7 * 4 * 3 * 13),
    (Dense(5), (2, 7, 10), 2 * 7 * 10 * 5),
    (Dense(5), (2, 10), 2 * 10 * 5),
    (LSTM(3), (4, None, 10), None),
    (Dropout(0.5), (4, 7, 10), 0),
])
def test_mult_adds(layer, shape, expected):
    assert layer.mult_adds(shape) == expected


def test_conv_mult_adds_and_lengths():
    from rnnshape.kinds import Conv1D, MaxPooling1D, window_length

    assert Conv1D(8, 3).mult_adds((2, 10, 4)) == 2 * 8 * 3 * 4 * 8
    assert Conv1D(8, 3).mult_adds((2, None, 4)) is None
    assert [window_length(10, 3, 1, pad) for pad in ("valid", "same", "causal")] == [8, 10, 10]
    assert window_length(10, 3, 2, "valid", dilation=1) == 4 and window_length(10, 3, 1, "valid", 3) == 4
    assert window_length(11, 3, 3, "same") == 4 and window_length(None, 3, 1, "valid") is None
    assert MaxPooling1D(3, strides=1).output_shape((None, 10, 2)) == (None, 8, 2)
    assert MaxPooling1D(3).output_shape((None, 10, 2)) == (None, 3, 2)


def test_mask_facts_are_on_the_kinds():
    from rnnshape.kinds import Conv1D, Flatten, GlobalAveragePooling1D, Masking, RepeatVector

    assert Masking(-1.0).mask_value == -1.0 and Embedding(5, 2, mask_zero=True).mask_value == 0
    assert Embedding(5, 2).mask_value is None and Dense(3).mask_value is None
    assert not any(kind.supports_masking for kind in (Conv1D, Flatten, RepeatVector))
    assert LSTM(3, return_sequences=True).keeps_mask() and not LSTM(3).keeps_mask()
    assert GlobalAveragePooling1D.supports_masking and not GlobalAveragePooling1D().keeps_mask()
