"""The value-object base: equality, hashing and repr by the fields of __init__."""

from rnnshape.kinds import GRU, Bidirectional, SimpleRNN, Weight


def test_fields_come_from_init():
    assert Weight._fields == ("name", "shape", "initializer", "trainable")
    recurrent = ("units", "return_sequences", "go_backwards", "activation", "use_bias", "return_state", "stateful",
                 "dropout", "recurrent_dropout", "unroll")
    assert SimpleRNN._fields == recurrent  # inherited from Recurrent
    # An __init__ that passes **options on keeps its parents' fields after its own.
    assert GRU._fields == ("units", "reset_after", "recurrent_activation") + recurrent[1:]


def test_fields_passed_on_as_options_still_count():
    assert GRU(3, go_backwards=True) != GRU(3)
    assert GRU(3, recurrent_activation="hard_sigmoid").replace(units=4) == GRU(4, recurrent_activation="hard_sigmoid")


def test_equality_and_hash_by_value_and_type():
    assert GRU(3) == GRU(3) and hash(GRU(3)) == hash(GRU(3))
    assert GRU(3) != GRU(3, reset_after=False)
    assert SimpleRNN(3) != GRU(3)  # same fields up to a point, different kinds
    assert len({Bidirectional(GRU(3)), Bidirectional(GRU(3)), Bidirectional(GRU(3), "sum")}) == 2


def test_repr_reads_like_the_constructor():
    assert repr(Weight("bias", (3,))) == "Weight(name='bias', shape=(3,), initializer='zeros', trainable=True)"
    assert repr(Bidirectional(SimpleRNN(2), "ave")).startswith("Bidirectional(layer=SimpleRNN(units=2,")


def test_replace_changes_only_what_it_names():
    gru = GRU(3, return_sequences=True, reset_after=False)
    assert gru.replace(go_backwards=True) == GRU(3, return_sequences=True, go_backwards=True, reset_after=False)
    assert gru == GRU(3, return_sequences=True, reset_after=False)  # the original is untouched
