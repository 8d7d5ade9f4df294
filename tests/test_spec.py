"""The spec grammar of SPEC section 2: every kind, alias and flag, and every way to get it wrong."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rnnshape.errors import InputError
from rnnshape.kinds import ACTIVATIONS, GRU, LSTM, Bidirectional, Dense, Dropout, Embedding, SimpleRNN
from rnnshape.spec import SpecError, parse, parse_dims, parse_spec, split_specs


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
    ("lstm:3:reset_after=false", "reset_after=false", ["does not apply to lstm", "bi, gru"]),
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
                                 "act=relu", "nobias", "reset_after=false", "dense", "emb", "dropout", "0.5", ""]),
                min_size=1, max_size=6))
def test_near_miss_specs_parse_or_fail_with_a_marker(fields):
    text = ":".join(fields)
    try:
        parse_spec(text)
    except SpecError as error:
        assert 0 <= error.start <= len(text) and error.end > error.start
        assert str(error).splitlines()[1] == f"  {text}"
