"""An independent float64 reference for the forward pass, written straight from
Keras's equations: one sample, one step at a time, scalar math for activations.
Slow and plain on purpose; it shares no code with rnnshape.forward."""

import math

import numpy as np


def _sigmoid(v):
    return 1 / (1 + math.exp(-v)) if v > -700 else 0.0


def _softplus(v):
    return v + math.log1p(math.exp(-v)) if v > 0 else math.log1p(math.exp(v))


SCALAR = {
    "linear": lambda v: v,
    "tanh": math.tanh,
    "sigmoid": _sigmoid,
    "relu": lambda v: max(v, 0.0),
    "relu6": lambda v: min(max(v, 0.0), 6.0),
    "hard_sigmoid": lambda v: min(max(v / 6 + 0.5, 0.0), 1.0),
    "hard_silu": lambda v: v * min(max(v / 6 + 0.5, 0.0), 1.0),
    "hard_swish": lambda v: v * min(max(v / 6 + 0.5, 0.0), 1.0),
    "hard_tanh": lambda v: min(max(v, -1.0), 1.0),
    "leaky_relu": lambda v: v if v >= 0 else 0.2 * v,
    "elu": lambda v: v if v > 0 else math.expm1(v),
    "selu": lambda v: 1.0507009873554804934193349852946 * (v if v > 0 else 1.6732632423543772848170429916717 * math.expm1(v)),
    "celu": lambda v: v if v > 0 else math.expm1(v),
    "softplus": _softplus,
    "log_sigmoid": lambda v: -_softplus(-v),
    "softsign": lambda v: v / (1 + abs(v)),
    "silu": lambda v: v * _sigmoid(v),
    "swish": lambda v: v * _sigmoid(v),
    "mish": lambda v: v * math.tanh(_softplus(v)),
    "exponential": lambda v: math.exp(v) if v < 709 else math.inf,
    "gelu": lambda v: 0.5 * v * math.erfc(-v / math.sqrt(2)),
    "hard_shrink": lambda v: v if abs(v) > 0.5 else 0.0,
    "soft_shrink": lambda v: v - 0.5 if v > 0.5 else (v + 0.5 if v < -0.5 else 0.0),
    "sparse_plus": lambda v: 0.0 if v <= -1 else (0.25 * (v + 1) ** 2 if v < 1 else v),
    "sparse_sigmoid": lambda v: 0.0 if v <= -1 else (1.0 if v >= 1 else 0.5 * (v + 1)),
    "squareplus": lambda v: (v + math.sqrt(v * v + 4)) / 2,
    "tanh_shrink": lambda v: v - math.tanh(v),
}


def activate(name, vector):
    vector = np.asarray(vector, dtype=np.float64)
    if name == "softmax":
        exps = [math.exp(v - max(vector)) for v in vector]
        return np.array([e / sum(exps) for e in exps])
    if name == "log_softmax":
        top = max(vector)
        log_total = math.log(sum(math.exp(v - top) for v in vector))
        return np.array([v - top - log_total for v in vector])
    return np.array([SCALAR[name](v) for v in vector])


def rnn(kind, options, weights, x):
    """One recurrent layer on x (batch, timesteps, features); Keras's semantics."""
    units = weights[1].shape[0]
    act = options.get("activation", "tanh")
    use_bias = len(weights) == 3
    outputs = []
    for sample in x:
        steps = list(reversed(sample)) if options.get("go_backwards") else list(sample)
        h, c = np.zeros(units), np.zeros(units)
        sequence = []
        for xt in steps:
            if kind == "simple":
                z = xt @ weights[0] + h @ weights[1] + (weights[2] if use_bias else 0)
                h = activate(act, z)
            elif kind == "lstm":
                z = xt @ weights[0] + h @ weights[1] + (weights[2] if use_bias else 0)
                i = activate("sigmoid", z[:units])
                f = activate("sigmoid", z[units:2 * units])
                g = activate(act, z[2 * units:3 * units])
                o = activate("sigmoid", z[3 * units:])
                c = f * c + i * g
                h = o * activate(act, c)
            else:  # gru
                kernel, recurrent_kernel = weights[0], weights[1]
                reset_after = options.get("reset_after", True)
                bias = weights[2] if use_bias else np.zeros((2, 3 * units) if reset_after else 3 * units)
                input_bias = bias[0] if reset_after else bias
                x_z, x_r, x_h = np.split(xt @ kernel + input_bias, 3)
                if reset_after:
                    r_z, r_r, r_h = np.split(h @ recurrent_kernel + bias[1], 3)
                    z = activate("sigmoid", x_z + r_z)
                    r = activate("sigmoid", x_r + r_r)
                    hh = activate(act, x_h + r * r_h)
                else:
                    z = activate("sigmoid", x_z + h @ recurrent_kernel[:, :units])
                    r = activate("sigmoid", x_r + h @ recurrent_kernel[:, units:2 * units])
                    hh = activate(act, x_h + (r * h) @ recurrent_kernel[:, 2 * units:])
                h = z * h + (1 - z) * hh
            sequence.append(h)
        outputs.append(np.array(sequence) if options.get("return_sequences") else h)
    return np.array(outputs)


def forward(summary, weights, x):
    """A whole stack, layer by layer, batch-major throughout."""
    x = np.asarray(x)
    for row, arrays in zip(summary.rows, weights):
        layer = row.spec.layer
        kind = type(layer).__name__
        arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
        if kind == "Embedding":
            x = arrays[0][x]
        elif kind == "Dropout":
            pass
        elif kind == "Dense":
            y = x @ arrays[0] + (arrays[1] if len(arrays) == 2 else 0)
            x = np.apply_along_axis(lambda v: activate(layer.activation, v), -1, y)
        elif kind == "Bidirectional":
            cell = layer.layer
            name = {"SimpleRNN": "simple", "LSTM": "lstm", "GRU": "gru"}[type(cell).__name__]
            options = {field: getattr(cell, field) for field in cell._fields}
            half = len(arrays) // 2
            forward_out = rnn(name, options, arrays[:half], x)
            backward_out = rnn(name, {**options, "go_backwards": True}, arrays[half:], x)
            if cell.return_sequences:
                backward_out = backward_out[:, ::-1]
            x = {"concat": lambda a, b: np.concatenate([a, b], -1), "sum": np.add, "mul": np.multiply,
                 "ave": lambda a, b: (a + b) / 2}[layer.merge_mode](forward_out, backward_out)
        else:
            name = {"SimpleRNN": "simple", "LSTM": "lstm", "GRU": "gru"}[kind]
            x = rnn(name, {field: getattr(layer, field) for field in layer._fields}, arrays, x)
    return x
