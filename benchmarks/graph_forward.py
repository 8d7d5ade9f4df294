"""What running a graph costs beyond its layers: rnnshape's forward pass of a graph
against the same layer functions called one after another by hand.

    python benchmarks/graph_forward.py [--repeats 45] [--batch 64 --timesteps 100 --units 256]

The graph is keras-io's character-level seq2seq (an encoder LSTM whose final
states start a decoder LSTM, then a softmax Dense), and a Siamese pair (one
embedding and one LSTM shared by two masked inputs, merged). "alone" calls
rnnshape.forward's layer functions directly, in order, on arrays prepared
outside the timing: no graph walk, no masks' operations. The ratio graph /
alone is the graph's overhead (target: at most 1.05). Medians, the two taking
turns so that a noisy spell of the machine falls on both.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from rnnshape.forward import LAYERS, forward
from rnnshape.graph import parse_program
from rnnshape.shapes import infer_graph
from rnnshape.weights import initial_weights

SEQ2SEQ = """enc_in = input:{timesteps},71:batch={batch}
_, h, c = lstm:{units}:state(enc_in)
dec_in = input:{timesteps},93:batch={batch}
dec, _, _ = lstm:{units}:seq:state(dec_in, init=[h, c])
out = dense:93:act=softmax(dec)"""

SIAMESE = """a = input:{timesteps}:batch={batch}
b = input:{timesteps}:batch={batch}
embed = embedding:5000:64:mask_zero
encode = lstm:{units}
va = encode(embed(a))
vb = encode(embed(b))
y = dense:1:act=sigmoid(concat(va, vb, subtract(va, vb)))"""


def by_hand(summary, weights, inputs):
    """The graph's layers called directly, in its order, without the graph walk
    (masks computed once, outside the layer calls, as a hand-written loop would)."""
    arrays = dict(zip((row.name for row in summary.rows), weights))
    layer = {row.name: row.spec.layer for row in summary.rows}
    if "lstm_1" in layer:  # the seq2seq
        x, y = (np.moveaxis(one, 0, -1) for one in inputs)
        _, h, c = LAYERS[type(layer["lstm"])](layer["lstm"], arrays["lstm"], x)
        dec = LAYERS[type(layer["lstm_1"])](layer["lstm_1"], arrays["lstm_1"], y, None, None, initial=[h, c])[0]
        return LAYERS[type(layer["dense"])](layer["dense"], arrays["dense"], dec)
    ids = [np.moveaxis(one, 0, -1) for one in inputs]
    masks = [one != 0 for one in ids]
    embedded = [LAYERS[type(layer["embedding"])](layer["embedding"], arrays["embedding"], one) for one in ids]
    va, vb = (LAYERS[type(layer["lstm"])](layer["lstm"], arrays["lstm"], x, m) for x, m in zip(embedded, masks))
    difference = LAYERS[type(layer["subtract"])](layer["subtract"], [], [va, vb])
    joined = LAYERS[type(layer["concatenate"])](layer["concatenate"], [], [va, vb, difference])
    return LAYERS[type(layer["dense"])](layer["dense"], arrays["dense"], joined)


def median_ms(function, repeats: int) -> float:
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=45)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--timesteps", type=int, default=100)
    parser.add_argument("--units", type=int, default=256)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    for label, template in (("seq2seq", SEQ2SEQ), ("Siamese", SIAMESE)):
        program = template.format(batch=args.batch, timesteps=args.timesteps, units=args.units)
        summary = infer_graph(parse_program(program))
        weights = initial_weights(summary, 0, "float32")
        if label == "seq2seq":
            inputs = [rng.standard_normal(shape).astype(np.float32) for shape in summary.input_shapes]
        else:
            inputs = [rng.integers(1, 5000, shape) for shape in summary.input_shapes]
            for one in inputs:
                one[:, -args.timesteps // 4 :] = 0  # padding at the end of every sample
        graph, alone = [], []
        for _ in range(3):  # rounds: the two take turns
            graph.append(median_ms(lambda: forward(summary, weights, inputs), max(1, args.repeats // 3)))
            alone.append(median_ms(lambda: by_hand(summary, weights, inputs), max(1, args.repeats // 3)))
        graph_ms, alone_ms = statistics.median(graph), statistics.median(alone)
        print(f"{label:<8} graph {graph_ms:8.1f} ms   layers alone {alone_ms:8.1f} ms   "
              f"graph / alone = {graph_ms / alone_ms:.3f}  (target <= 1.05)")


if __name__ == "__main__":
    main()
