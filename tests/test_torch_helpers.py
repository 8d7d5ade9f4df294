"""rnnshape/torch_helpers.py run directly, where PyTorch is installed: each
piece of the generated modules' own code against rnnshape's NumPy forward pass
(itself checked against Keras). Without PyTorch these tests skip; the
generated modules that copy this code ran in PyTorch when the fixtures were
made (test_pytorch, test_pytorch_graphs), and test_pytorch lints the module."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rnnshape import forward as numpy_forward  # noqa: E402
from rnnshape import torch_helpers  # noqa: E402
from rnnshape.graph import parse_program  # noqa: E402
from rnnshape.pytorch import parts  # noqa: E402
from rnnshape.shapes import infer_graph  # noqa: E402
from rnnshape.spec import parse_spec  # noqa: E402

RNG = np.random.default_rng(7)


def last(x: np.ndarray) -> np.ndarray:
    """Batch first (Keras's, PyTorch's) to batch last (rnnshape's forward pass)."""
    return np.moveaxis(x, 0, -1)


def first(x: np.ndarray) -> np.ndarray:
    return np.moveaxis(x, -1, 0)


def mask(batch: int, steps: int) -> np.ndarray:
    keep = np.ones((batch, steps), bool)
    for row in range(batch):
        keep[row, steps - row:] = False  # row 0 keeps every step, the others lose some at the end
    return keep


def close(torch_output, numpy_output_batch_first) -> None:
    np.testing.assert_allclose(torch_output.detach().numpy(), numpy_output_batch_first, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("word, function", [("multiply", torch_helpers.masked_multiply),
                                            ("maximum", lambda t, m: torch_helpers.masked_extremum(torch.maximum, t, m)),
                                            ("minimum", lambda t, m: torch_helpers.masked_extremum(torch.minimum, t, m))])
@pytest.mark.parametrize("masked", [(True, True), (True, False), (False, True)])
def test_masked_merges(word, function, masked):
    tensors = [RNG.normal(size=(3, 5, 4)) for _ in range(2)]
    masks = [mask(3, 5) if one else None for one in masked]
    layer = parse_spec(word).layer
    expected = first(numpy_forward.merge(layer, [], [last(x) for x in tensors],
                                         [None if m is None else m.T for m in masks]))  # fmt: skip
    output = function([torch.from_numpy(x) for x in tensors], [None if m is None else torch.from_numpy(m) for m in masks])
    close(output, expected)


def test_masked_softmax():
    x, keep = RNG.normal(size=(4, 4, 4)), mask(4, 4)
    layer = parse_spec("softmax").layer
    expected = first(numpy_forward.softmax_layer(layer, [], last(x), keep.T))
    close(torch_helpers.masked_softmax(torch.from_numpy(x), torch.from_numpy(keep), -1), expected)


def test_prelu():
    x, alpha = RNG.normal(size=(3, 5, 4)), RNG.normal(size=(5, 4))
    module = torch_helpers.KerasPReLU(5, 4).double()
    module.weight.data = torch.from_numpy(alpha)
    close(module(torch.from_numpy(x)), first(numpy_forward.prelu(parse_spec("prelu").layer, [alpha], last(x))))


@pytest.mark.parametrize("spec", ["attention", "attention:scale", "attention:score=concat", "attention:scale:score=concat",
                                  "additive_attention", "additive_attention:noscale"])
@pytest.mark.parametrize("with_key", [False, True])
def test_attention(spec, with_key):
    query, value, key = RNG.normal(size=(3, 4, 6)), RNG.normal(size=(3, 5, 6)), RNG.normal(size=(3, 5, 6))
    query_mask, value_mask = mask(3, 4), mask(3, 5)
    layer = parse_spec(spec).layer
    shapes = [(None, 4, 6), (None, 5, 6)] + ([(None, 5, 6)] if with_key else [])
    arrays = [RNG.normal(size=weight.shape) + 1 for weight in layer.weights(shapes)]
    tensors = [query, value] + ([key] if with_key else [])
    expected = first(numpy_forward.attention(layer, arrays, [last(x) for x in tensors], [query_mask.T, value_mask.T]))
    module = torch_helpers.KerasAttention(layer.score_mode, layer.use_scale, 6).double()
    for (name, _), array in zip(module.named_parameters(), arrays):
        getattr(module, name).data = torch.from_numpy(np.asarray(array, np.float64))
    output = module(*[torch.from_numpy(x) for x in tensors], query_mask=torch.from_numpy(query_mask),
                    value_mask=torch.from_numpy(value_mask))  # fmt: skip
    close(output, expected)


@pytest.mark.parametrize("program", [
    "q = input:4,6; v = input:5,3; y = mha:2:3(q, v)",
    "q = input:4,6; v = input:5,3; k = input:5,2; y = mha:3:2:value_dim=4:out=7(q, v, k)",
    "q = input:4,6; v = input:5,3; y = mha:2:3:nobias(q, v)",
])  # fmt: skip
@pytest.mark.parametrize("masked", [False, True])
def test_multi_head_attention_with_converted_weights(program, masked):
    """Keras's weights converted by the generator's own conversion into the module's nn.Linear layers."""
    summary = infer_graph(parse_program(program))
    row = summary.layers[0]
    arrays = [RNG.normal(size=weight.shape) for weight in row.weights]
    tensors = [RNG.normal(size=(3,) + tuple(shape[1:])) for shape in row.input_shape]
    masks = [mask(3, x.shape[1]) if masked else None for x in tensors]
    expected = first(numpy_forward.multi_head_attention(row.spec.layer, arrays, [last(x) for x in tensors],
                                                         [None if m is None else m.T for m in masks]))  # fmt: skip
    part = parts(summary)[0]
    arguments = eval(part.module.split("(", 1)[1].rstrip(")").replace("bias=False", "False") + ",")  # noqa: S307
    module = torch_helpers.KerasMultiHeadAttention(*arguments).double()
    module.load_state_dict({name: torch.from_numpy(array) for name, array in part.convert(arrays)})
    names = ("query_mask", "value_mask", "key_mask")
    options = {name: torch.from_numpy(m) for name, m in zip(names, masks) if m is not None}
    close(module(*[torch.from_numpy(x) for x in tensors], **options), expected)


@pytest.mark.parametrize("mode, spec", [("lstm", "lstm:5:seq"), ("gru", "gru:5:seq:reset_after=false"),
                                        ("rnn", "simple:5:seq:act=relu")])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_keras_rnn_starts_from_the_states_it_is_given(mode, spec, bidirectional):
    layer = parse_spec(("bi:" if bidirectional else "") + spec).layer
    cell = layer.layer if bidirectional else layer
    x = RNG.normal(size=(3, 6, 4))
    directions = 2 if bidirectional else 1
    initial = [RNG.normal(size=(3, 5)) for _ in range(cell.states * directions)]
    arrays = [RNG.normal(size=weight.shape) * 0.5 for weight in layer.weights((None, 6, 4))]
    run = numpy_forward.bidirectional if bidirectional else numpy_forward.recurrent
    expected = first(run(layer, arrays, last(x), None, None, initial=[state.T for state in initial]))
    module = torch_helpers.KerasRNN(mode, 4, 5, bidirectional=bidirectional, activation=torch.relu
                                    if cell.activation == "relu" else torch.tanh,
                                    reset_after=getattr(cell, "reset_after", True)).double()  # fmt: skip
    from rnnshape.pytorch import _recurrent_arrays

    state = {}
    half = len(arrays) // directions
    for number, suffix in enumerate(("", "_reverse")[:directions]):
        for name, array in _recurrent_arrays(cell, arrays[number * half:(number + 1) * half]):
            state[name + suffix] = torch.from_numpy(array)
    module.load_state_dict(state)
    per_state = [torch.from_numpy(np.stack(initial[kind::cell.states])) for kind in range(cell.states)]
    hx = tuple(per_state) if mode == "lstm" else per_state[0]
    output, _ = module(torch.from_numpy(x), hx=hx)
    close(output, expected)
