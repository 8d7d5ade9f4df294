"""The spec grammar of SPEC section 2: every kind, alias and flag, and every way to get it wrong."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rnnshape.errors import InputError
from rnnshape.kinds import (
    ACTIVATIONS, GRU, LSTM, Activation, AveragePooling1D, BatchNormalization, Bidirectional, Conv1D, Dense, Dropout,
    Embedding, Flatten, GaussianNoise, GlobalAveragePooling1D, GlobalMaxPooling1D, LayerNormalization, Masking,
    MaxPooling1D, RepeatVector, SimpleRNN, SpatialDropout1D, TimeDistributed,
)  # fmt: skip
from rnnshape.spec import SpecError, kind_words, parse, parse_dims, parse_spec, split_specs


def layer(text):
    return parse_spec(text).layer


@pytest.mark.parametrize("text, expected", [
    ("simple:3", SimpleRNN(3)),
    ("rnn:3", SimpleRNN(3)),
    ("lstm:16", LSTM(16)),
    ("gru:4", GRU(4)),
    ("gru:4:reset_after=false", GRU(4, reset_after=False)),
    ("gru:4:reset_after=TRUE", GRU(4, reset_after=True)),
    ("bi:8", Bidirectional(SimpleRNN(8))),
    ("bi:simple:8:seq", Bidirectional(SimpleRNN(8, return_sequences=True))),
    ("bi:rnn:8", Bidirectional(SimpleRNN(8))),
    ("bi:lstm:8:merge=sum", Bidirectional(LSTM(8), "sum")),
    ("bi:gru:8:reset_after=false:merge=ave:nobias",
     Bidirectional(GRU(8, use_bias=False, reset_after=False), "ave")),
    ("dense:10:act=softmax", Dense(10, activation="softmax")),
    ("dense:10:nobias", Dense(10, use_bias=False)),
    ("embedding:5000:64", Embedding(5000, 64)),
    ("emb:20:4", Embedding(20, 4)),
    ("dropout:0.25", Dropout(0.25)),
    ("dropout:0", Dropout(0.0)),
    ("dropout:.5", Dropout(0.5)),
    ("simple:3:seq:back:nobias:act=relu",
     SimpleRNN(3, return_sequences=True, go_backwards=True, use_bias=False, activation="relu")),
    ("LSTM:4:SEQ:Act=ReLU", LSTM(4, return_sequences=True, activation="relu")),
    ("BI:GRU:2:Merge=MUL", Bidirectional(GRU(2), "mul")),
])
def test_valid_specs(text, expected):
    assert layer(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("masking", Masking(0.0)),
    ("masking:-1", Masking(-1.0)),
    ("masking:0.5", Masking(0.5)),
    ("conv1d:16:3", Conv1D(16, 3)),
    ("conv:8:5:stride=2:pad=same:act=relu:nobias", Conv1D(8, 5, strides=2, padding="same", activation="relu",
                                                          use_bias=False)),
    ("Conv1D:4:3:PAD=Causal:Dilation=2", Conv1D(4, 3, padding="causal", dilation_rate=2)),
    ("maxpool", MaxPooling1D(2)),
    ("maxpool:3:stride=1:pad=same", MaxPooling1D(3, strides=1, padding="same")),
    ("avgpool:4", AveragePooling1D(4)),
    ("avgpool:pad=same", AveragePooling1D(2, padding="same")),
    ("globalmax", GlobalMaxPooling1D()),
    ("globalavg", GlobalAveragePooling1D()),
    ("flatten", Flatten()),
    ("repeat:10", RepeatVector(10)),
    ("td:dense:8", TimeDistributed(Dense(8))),
    ("td:dense:8:act=softmax:nobias", TimeDistributed(Dense(8, activation="softmax", use_bias=False))),
    ("batchnorm", BatchNormalization()),
    ("bn", BatchNormalization()),
    ("layernorm", LayerNormalization()),
    ("ln", LayerNormalization()),
    ("activation:relu", Activation("relu")),
    ("activation:SparseMax", Activation("sparsemax")),
    ("spatialdropout:0.2", SpatialDropout1D(0.2)),
    ("noise:0.1", GaussianNoise(0.1)),
    ("noise:0", GaussianNoise(0.0)),
    ("emb:100:8:mask_zero", Embedding(100, 8, mask_zero=True)),
    ("lstm:4:state", LSTM(4, return_state=True)),
    ("lstm:4:stateful:dropout=0.2:recurrent_dropout=0.5:unroll",
     LSTM(4, stateful=True, dropout=0.2, recurrent_dropout=0.5, unroll=True)),
    ("simple:4:dropout=1", SimpleRNN(4, dropout=1.0)),
    ("gru:4:recurrent_activation=hard_sigmoid", GRU(4, recurrent_activation="hard_sigmoid")),
    ("bi:lstm:4:merge=none:state", Bidirectional(LSTM(4, return_state=True), None)),
    ("bi:gru:4:stateful:recurrent_activation=relu", Bidirectional(GRU(4, stateful=True, recurrent_activation="relu"))),
])
def test_wider_layer_set(text, expected):
    assert layer(text) == expected


def test_frozen_and_name_describe_the_layer_in_the_model():
    spec = parse_spec("lstm:4:seq:frozen:name=Encoder_1")
    assert (spec.layer, spec.name, spec.trainable) == (LSTM(4, return_sequences=True), "Encoder_1", False)
    spec = parse_spec("dense:2")
    assert (spec.name, spec.trainable) == (None, True)
    assert parse_spec("td:dense:3:NAME=Tag:Frozen").name == "Tag"  # the name keeps its case
    assert parse_spec("flatten:frozen").trainable is False  # every kind takes them


MINIMAL_SPECS = {
    "simple": "simple:3", "lstm": "lstm:3", "gru": "gru:3", "bi": "bi:3", "dense": "dense:3", "td": "td:dense:3",
    "embedding": "embedding:10:2", "dropout": "dropout:0.5", "masking": "masking", "conv1d": "conv1d:4:2",
    "maxpool": "maxpool", "avgpool": "avgpool", "globalmax": "globalmax", "globalavg": "globalavg",
    "flatten": "flatten", "repeat": "repeat:3", "batchnorm": "batchnorm", "layernorm": "layernorm",
    "activation": "activation:tanh", "spatialdropout": "spatialdropout:0.5", "noise": "noise:0.5",
    "concat": "concat", "add": "add", "subtract": "subtract", "multiply": "multiply", "average": "average",
    "maximum": "maximum", "minimum": "minimum", "reshape": "reshape:-1,2", "permute": "permute:2,1", "relu": "relu",
    "leakyrelu": "leakyrelu", "prelu": "prelu", "elu": "elu", "softmax": "softmax", "dot": "dot:axes=1",
    "attention": "attention", "additive_attention": "additive_attention", "mha": "mha:2:8", "cell": "cell:lstm:4",
}  # fmt: skip


def test_every_kind_word_parses():
    assert sorted(MINIMAL_SPECS) == sorted(kind_words())  # a new kind gets a line here
    for word, text in MINIMAL_SPECS.items():
        assert parse_spec(text).layer.keras_type


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_every_activation_is_accepted(name):
    assert layer(f"simple:2:act={name}").activation == name
    assert layer(f"dense:2:act={name}").activation == name


def test_several_specs_in_one_argument_and_comments():
    specs = parse("simple:8:seq  # the first layer\n\tbi:lstm:4   # and a second\n# nothing here\n")
    assert [spec.text for spec in specs] == ["simple:8:seq", "bi:lstm:4"]
    assert parse(["simple:8:seq bi:4", "dense:1"])[2].layer == Dense(1)
    assert split_specs("a:1#b:2\nc:3") == ["a:1", "c:3"]


def error(text):
    with pytest.raises(SpecError) as caught:
        parse(text)
    return str(caught.value)


@pytest.mark.parametrize("text, field, words", [
    ("simpel:3", "simpel", ["unknown layer kind", "did you mean 'simple'?"]),
    ("lstn:3", "lstn", ["did you mean 'lstm'?"]),
    ("simple:3:seqq", "seqq", ["unknown flag", "did you mean 'seq'?"]),
    ("simple:3:nobais", "nobais", ["did you mean 'nobias'?"]),
    ("bi:lsmt:3", "lsmt", ["bi cannot wrap 'lsmt'", "did you mean 'lstm'?"]),
    ("simple:x", "x", ["needs its units"]),
    ("simple", None, ["needs its units", "got nothing"]),
    ("simple:seq", "seq", ["needs its units", "got 'seq'"]),
    ("simple:0", "0", ["at least 1"]),
    ("simple:-3", "-3", ["at least 1"]),
    ("simple:3.5", "3.5", ["whole number"]),
    ("simple:3:4", "4", ["one number too many"]),
    ("embedding:10", None, ["needs its output dim"]),
    ("dropout:1", "1", ["from 0 up to"]),
    ("dropout:nan", "nan", ["needs its rate", "got 'nan'"]),
    ("dropout:-0.1", "-0.1", ["from 0 up to"]),
    ("dense:3:seq", "seq", ["does not apply to dense"]),
    ("dense:3:back", "back", ["does not apply"]),
    ("simple:3:merge=sum", "merge=sum", ["does not apply to simple", "it is for bi"]),
    ("lstm:3:reset_after=false", "reset_after=false", ["does not apply to lstm", "bi, cell, gru"]),
    ("dropout:0.5:nobias", "nobias", ["does not apply to dropout"]),
    ("embedding:10:4:seq", "seq", ["does not apply to embedding"]),
    ("bi:3:back", "back", ["Keras refuses go_backwards"]),
    ("bi:3:merge=concatt", "merge=concatt", ["unknown value 'concatt' for merge", "did you mean 'concat'?"]),
    ("bi:3:merge", "merge", ["needs a value"]),
    ("simple:3:act=rleu", "act=rleu", ["unknown activation", "did you mean 'relu'?"]),
    ("simple:3:act=", "act=", ["needs a value"]),
    ("simple:3:seq=true", "seq=true", ["takes no value"]),
    ("gru:3:reset_after=maybe", "reset_after=maybe", ["true or false"]),
    ("simple:3:seq:seq", "seq", ["given twice"]),
    ("simple::3", "", ["empty field"]),
    ("simple:3:", "", ["empty field"]),
    ("simple:" + "9" * 101, "9" * 101, ["more than 100 digits"]),
    ("simple:3 embedding:10:4", "embedding", ["must be the first layer"]),
    # The wider set.
    ("conv1d:8", None, ["needs its kernel size", "write conv1d:FILTERS:KERNEL_SIZE"]),
    ("conv1d:8:3:pad=full", "pad=full", ["unknown value 'full' for pad", "pad=valid|same|causal"]),
    ("maxpool:2:pad=causal", "pad=causal", ["unknown value 'causal' for pad", "pad=valid|same"]),
    ("maxpool:0", "0", ["at least 1"]),
    ("maxpool:2:2", "2", ["one number too many", "write maxpool[:POOL_SIZE]"]),
    ("conv1d:8:3:stride=0", "stride=0", ["stride must be a whole number of at least 1"]),
    ("conv1d:8:3:dilation=1.5", "dilation=1.5", ["whole number"]),
    ("repeat", None, ["needs its times"]),
    ("td:8", "8", ["td needs the layer it wraps", "td:dense:UNITS"]),
    ("td", None, ["td needs the layer it wraps"]),
    ("td:lstm:8", "lstm", ["td cannot wrap 'lstm'", "it wraps dense"]),
    ("td:dense:8:seq", "seq", ["does not apply to td:dense"]),
    ("activation", None, ["needs its activation name"]),
    ("activation:rleu", "rleu", ["unknown activation", "did you mean 'relu'?"]),
    ("noise:-0.1", "-0.1", ["stddev must be a number of at least 0"]),
    ("noise:inf", "inf", ["needs its stddev"]),
    ("masking:nan", "nan", ["unknown flag"]),
    ("spatialdropout:1", "1", ["from 0 up to"]),
    ("lstm:4:dropout=1.5", "dropout=1.5", ["dropout must be a number from 0 to 1"]),
    ("lstm:4:dropout", "dropout", ["needs a value", "dropout=0.2"]),
    ("lstm:4:state=true", "state=true", ["takes no value"]),
    ("simple:4:recurrent_activation=relu", "recurrent_activation=relu", ["does not apply to simple", "lstm"]),
    ("dense:4:mask_zero", "mask_zero", ["does not apply to dense", "it is for embedding"]),
    ("conv1d:4:2:seq", "seq", ["does not apply to conv1d"]),
    ("bn:4", "4", ["one number too many"]),
    ("dense:4:name=a/b", "name=a/b", ["without '/'"]),
    ("dense:4:name=", "name=", ["needs a value"]),
    ("dense:4:frozen:frozen", "frozen", ["given twice"]),
    # What people type, from Keras: the spec's word for it.
    ("lstm:units=64", "units=64", ["without a name: write lstm:64"]),
    ("lstm:64:return_sequences=true", "return_sequences=true", ["for Keras's return_sequences, write 'seq'"]),
    ("gru:8:go_backwards", "go_backwards", ["write 'back'"]),
    ("lstm:8:return_state=True", "return_state=True", ["write 'state'"]),
    ("conv1d:8:3:padding=same", "padding=same", ["write 'pad=MODE'"]),
    ("dense:4:trainable=false", "trainable=false", ["write 'frozen'"]),
    ("bi:lstm:4:merge_mode=sum", "merge_mode=sum", ["write 'merge=MODE'"]),
    ("SimpleRNN:4", "SimpleRNN", ["Keras's SimpleRNN is 'simple:UNITS' here"]),
    ("TimeDistributed:dense:4", "TimeDistributed", ["Keras's TimeDistributed is 'td:dense:UNITS' here"]),
    ("timedistributed:dense:4", "timedistributed", ["Keras's TimeDistributed is 'td:dense:UNITS' here"]),
    ("bidirectional:lstm:4", "bidirectional", ["Keras's Bidirectional is 'bi[:CELL]:UNITS' here"]),
    ("max_pooling1d", "max_pooling1d", ["Keras's MaxPooling1D is 'maxpool[:POOL_SIZE]' here"]),
    ("transformer:4", "transformer", ["unknown layer kind", "(kinds: simple, lstm, gru, bi, dense, td, embedding"]),
])
def test_bad_specs_quote_point_and_suggest(text, field, words):
    message = error(text)
    bad_spec = text.split()[-1]
    lines = message.splitlines()
    assert lines[1] == f"  {bad_spec}"  # quotes the spec
    marker = lines[2][2:]
    start = marker.index("^")
    if field is None:  # something is missing: the marker points past the end
        assert start == len(bad_spec)
    else:  # the marker underlines exactly the bad field
        assert marker[start:] == "^" * max(1, len(field))
        assert bad_spec[start:start + len(field)] == field
    for word in words:
        assert word in lines[0]


def test_error_names_the_layer_number():
    assert error("simple:3:seq lstm:4 grux:2").startswith("bad spec for layer 3:")


def test_nothing_to_parse():
    with pytest.raises(InputError, match="no layers given"):
        parse("   # only a comment\n")


@pytest.mark.parametrize("text, dims", [
    ("10,5", (10, 5)), ("None,5", (None, 5)), ("none, 5", (None, 5)), ("(2, 10)", (2, 10)),
    ("10", (10,)), ("(10,)", (10,)), ("None", (None,)),
])
def test_parse_dims(text, dims):
    assert parse_dims(text) == dims


@pytest.mark.parametrize("text", ["", "10,x", "10;5", "-1,5", "1.5,2", "(,)", "10,,5"])
def test_parse_dims_rejects(text):
    with pytest.raises(InputError, match="bad input shape"):
        parse_dims(text)


# Property-based: every spec the grammar allows parses to what it says, and any
# text at all either parses or raises SpecError/InputError, nothing else.

units = st.integers(min_value=1, max_value=10**30)
recurrent_words = st.sampled_from(["simple", "rnn", "lstm", "gru"])
activations = st.sampled_from(sorted(ACTIVATIONS))


@st.composite
def recurrent_specs(draw):
    word, count = draw(recurrent_words), draw(units)
    flags = {"seq": draw(st.booleans()), "nobias": draw(st.booleans())}
    act = draw(st.none() | activations)
    bidirectional = draw(st.booleans())
    fields = (["bi", word] if bidirectional else [word]) + [str(count)]
    fields += [flag for flag, on in flags.items() if on]
    if act:
        fields.append(f"act={act}")
    if not bidirectional and draw(st.booleans()):
        fields.append("back")
    merge = draw(st.sampled_from(["concat", "sum", "mul", "ave"])) if bidirectional else None
    if merge:
        fields.append(f"merge={merge}")
    head, tail = fields[: 3 if bidirectional else 2], draw(st.permutations(fields[3 if bidirectional else 2:]))
    text = ":".join(head + list(tail))
    return text, word, count, flags, act or "tanh", merge, "back" in fields


@given(recurrent_specs())
def test_any_valid_recurrent_spec_parses_to_what_it_says(case):
    text, word, count, flags, act, merge, back = case
    parsed = layer(text)
    if merge:
        assert parsed.merge_mode == merge
        parsed = parsed.layer
    assert parsed.keras_name == {"simple": "simple_rnn", "rnn": "simple_rnn"}.get(word, word)
    assert parsed.units == count
    assert parsed.return_sequences == flags["seq"]
    assert parsed.use_bias == (not flags["nobias"])
    assert parsed.activation == act
    assert parsed.go_backwards == back


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40))
def test_any_text_parses_or_fails_cleanly(text):
    try:
        parse(text)
    except InputError as error:
        assert str(error)


@given(st.lists(st.sampled_from(["simple", "bi", "lstm", "gru", "3", "0", "x", "seq", "back", "merge=sum",
                                 "act=relu", "nobias", "reset_after=false", "dense", "emb", "dropout", "0.5", "",
                                 "td", "conv1d", "maxpool", "avgpool", "masking", "-1", "repeat", "activation",
                                 "noise", "pad=same", "pad=causal", "stride=2", "dilation=2", "state", "frozen",
                                 "name=x", "name=", "merge=none", "mask_zero", "recurrent_activation=relu",
                                 "dropout=0.2", "units=4", "return_sequences=true", "globalavg", "bn", "1e400"]),
                min_size=1, max_size=6))
def test_near_miss_specs_parse_or_fail_with_a_marker(fields):
    text = ":".join(fields)
    try:
        parse_spec(text)
    except SpecError as error:
        assert 0 <= error.start <= len(text) and error.end > error.start
        assert str(error).splitlines()[1] == f"  {text}"


@st.composite
def wider_specs(draw):
    """A valid spec of the wider set, and what it must parse to."""
    kind = draw(st.sampled_from(["conv1d", "maxpool", "avgpool", "masking", "td", "noise"]))
    if kind == "conv1d":
        filters, size = draw(units), draw(st.integers(1, 9))
        flags = {"stride": draw(st.integers(1, 4)), "pad": draw(st.sampled_from(["valid", "same", "causal"])),
                 "dilation": draw(st.integers(1, 4))}
        expected = Conv1D(filters, size, strides=flags["stride"], padding=flags["pad"], dilation_rate=flags["dilation"])
        head = [kind, str(filters), str(size)]
    elif kind in ("maxpool", "avgpool"):
        size = draw(st.none() | st.integers(1, 9))
        flags = {"pad": draw(st.sampled_from(["valid", "same"]))}
        cls = MaxPooling1D if kind == "maxpool" else AveragePooling1D
        expected = cls(size or 2, padding=flags["pad"])
        head = [kind] + ([str(size)] if size else [])
    elif kind == "masking":
        value = draw(st.floats(-1e6, 1e6, allow_nan=False))
        flags, expected, head = {}, Masking(float(repr(value))), [kind, repr(value)]
    elif kind == "noise":
        value = draw(st.floats(0, 1e6, allow_nan=False))
        flags, expected, head = {}, GaussianNoise(float(repr(value))), [kind, repr(value)]
    else:
        size = draw(units)
        flags, expected, head = {}, TimeDistributed(Dense(size)), ["td", "dense", str(size)]
    order = draw(st.permutations([f"{flag}={value}" for flag, value in flags.items()]))
    return ":".join(head + list(order)), expected


@given(wider_specs())
def test_any_valid_wider_spec_parses_to_what_it_says(case):
    text, expected = case
    assert layer(text) == expected
