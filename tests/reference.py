"""An independent float64 reference for the forward pass, written straight from
Keras's equations: one sample, one step at a time, scalar math for activations,
batch-major throughout. Slow and plain on purpose; it shares no code with
rnnshape.forward (it reads only the parsed layers' fields)."""

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
    vector = [float(v) for v in np.asarray(vector, dtype=np.float64)]
    if name == "softmax":
        exps = [math.exp(v - max(vector)) for v in vector]
        return np.array([e / sum(exps) for e in exps])
    if name == "log_softmax":
        top = max(vector)
        log_total = math.log(sum(math.exp(v - top) for v in vector))
        return np.array([v - top - log_total for v in vector])
    if name == "sparsemax":
        # Keras 3's formula (all backends): tau from the sum of the support's running sums.
        ranked = sorted(vector, reverse=True)
        running, support = [], []
        for j, value in enumerate(ranked, 1):
            running.append((running[-1] if running else 0.0) + value)
            support.append(value - (running[-1] - 1) / j > 0)
        k = sum(support)
        tau = (sum(r for r, s in zip(running, support) if s) - 1) / k
        return np.array([max(v - tau, 0.0) for v in vector])
    return np.array([SCALAR[name](v) for v in vector])


def _on_last_axis(name, x):
    return np.apply_along_axis(lambda v: activate(name, v), -1, x)


def rnn(layer, weights, x, mask=None, zero_masked=False):
    """One recurrent layer on x (batch, timesteps, features); Keras's semantics.
    Returns (output, final states)."""
    kind = type(layer).__name__
    units = weights[1].shape[0]
    act = layer.activation
    gate = getattr(layer, "recurrent_activation", "sigmoid")
    use_bias = len(weights) == 3
    outputs, final_states = [], []
    for b, sample in enumerate(x):
        order = list(range(len(sample)))
        if layer.go_backwards:
            order.reverse()
        h, c = np.zeros(units), np.zeros(units)
        sequence = []
        for t in order:
            xt = sample[t]
            valid = True if mask is None else bool(mask[b, t])
            if kind == "SimpleRNN":
                z = xt @ weights[0] + h @ weights[1] + (weights[2] if use_bias else 0)
                new_h, new_c = activate(act, z), c
            elif kind == "LSTM":
                z = xt @ weights[0] + h @ weights[1] + (weights[2] if use_bias else 0)
                i = activate(gate, z[:units])
                f = activate(gate, z[units:2 * units])
                g = activate(act, z[2 * units:3 * units])
                o = activate(gate, z[3 * units:])
                new_c = f * c + i * g
                new_h = o * activate(act, new_c)
            else:  # GRU
                kernel, recurrent_kernel = weights[0], weights[1]
                reset_after = layer.reset_after
                bias = weights[2] if use_bias else np.zeros((2, 3 * units) if reset_after else 3 * units)
                input_bias = bias[0] if reset_after else bias
                x_z, x_r, x_h = np.split(xt @ kernel + input_bias, 3)
                if reset_after:
                    r_z, r_r, r_h = np.split(h @ recurrent_kernel + bias[1], 3)
                    z = activate(gate, x_z + r_z)
                    r = activate(gate, x_r + r_r)
                    hh = activate(act, x_h + r * r_h)
                else:
                    z = activate(gate, x_z + h @ recurrent_kernel[:, :units])
                    r = activate(gate, x_r + h @ recurrent_kernel[:, units:2 * units])
                    hh = activate(act, x_h + (r * h) @ recurrent_kernel[:, 2 * units:])
                new_h, new_c = z * h + (1 - z) * hh, c
            if valid:
                h, c = new_h, new_c
            sequence.append(h if valid or not zero_masked else np.zeros(units))
        outputs.append(np.array(sequence) if layer.return_sequences else h)
        final_states.append([h, c] if kind == "LSTM" else [h])
    states = [np.array([sample_states[k] for sample_states in final_states]) for k in range(len(final_states[0]))]
    return np.array(outputs), states


def _same_padding(length, window, stride, dilation=1):
    span = dilation * (window - 1) + 1
    out = -(-length // stride)
    total = max(0, (out - 1) * stride + span - length)
    return total // 2, total - total // 2


def conv1d(layer, arrays, x):
    kernel = arrays[0]
    k, d, s = layer.kernel_size, layer.dilation_rate, layer.strides
    length = x.shape[1]
    if layer.padding == "valid":
        before = after = 0
    elif layer.padding == "causal":
        before, after = d * (k - 1), 0
    else:
        before, after = _same_padding(length, k, s, d)
    padded = np.concatenate([np.zeros((x.shape[0], before, x.shape[2])), x,
                             np.zeros((x.shape[0], after, x.shape[2]))], axis=1)
    out = (padded.shape[1] - d * (k - 1) - 1) // s + 1
    y = np.zeros((x.shape[0], out, layer.filters))
    for b in range(x.shape[0]):
        for t in range(out):
            for position in range(k):
                y[b, t] += padded[b, t * s + position * d] @ kernel[position]
    if len(arrays) == 2:
        y += arrays[1]
    return _on_last_axis(layer.activation, y)


def pool(layer, x, kind):
    p, s = layer.pool_size, layer.strides or layer.pool_size
    length = x.shape[1]
    before, after = _same_padding(length, p, s) if layer.padding == "same" else (0, 0)
    out = (length + before + after - p) // s + 1
    y = np.zeros((x.shape[0], out, x.shape[2]))
    for t in range(out):
        start = t * s - before
        steps = [step for step in range(start, start + p) if 0 <= step < length]  # real steps only
        window = x[:, steps]
        y[:, t] = window.max(axis=1) if kind == "max" else window.sum(axis=1) / len(steps)
    return y


def forward(summary, weights, x):
    """A whole stack, layer by layer, batch-major throughout; a list for several outputs."""
    x = np.asarray(x)
    mask = None
    for row, arrays in zip(summary.rows, weights):
        layer = row.spec.layer
        kind = type(layer).__name__
        arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
        next_mask = mask
        if kind == "Embedding":
            next_mask = (x != 0) if layer.mask_zero else None
            x = arrays[0][x]
        elif kind in ("Dropout", "SpatialDropout1D", "GaussianNoise"):
            pass
        elif kind == "Masking":
            keep = np.any(x != layer.mask_value, axis=-1)
            next_mask = keep
            x = x * keep[..., None]
        elif kind in ("Dense", "TimeDistributed"):
            dense = layer.layer if kind == "TimeDistributed" else layer
            y = x @ arrays[0] + (arrays[1] if len(arrays) == 2 else 0)
            x = _on_last_axis(dense.activation, y)
        elif kind == "Activation":
            x = _on_last_axis(layer.activation, x)
        elif kind == "Conv1D":
            x, next_mask = conv1d(layer, arrays, x), None
        elif kind in ("MaxPooling1D", "AveragePooling1D"):
            x, next_mask = pool(layer, x, "max" if kind == "MaxPooling1D" else "average"), None
        elif kind == "GlobalMaxPooling1D":
            x, next_mask = x.max(axis=1), None
        elif kind == "GlobalAveragePooling1D":
            if mask is None:
                x = x.mean(axis=1)
            else:
                with np.errstate(invalid="ignore"):  # a sample masked throughout: nan, as in Keras
                    x = (x * mask[..., None]).sum(axis=1) / mask.sum(axis=1)[:, None]
            next_mask = None
        elif kind == "Flatten":
            x, next_mask = x.reshape(len(x), -1), None
        elif kind == "RepeatVector":
            x, next_mask = np.repeat(x[:, None], layer.n, axis=1), None
        elif kind == "BatchNormalization":
            gamma, beta, mean, variance = arrays
            x = (x - mean) / np.sqrt(variance + 1e-3) * gamma + beta
        elif kind == "LayerNormalization":
            gamma, beta = arrays
            mean = x.mean(axis=-1, keepdims=True)
            variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
            x = (x - mean) / np.sqrt(variance + 1e-3) * gamma + beta
        elif kind == "Bidirectional":
            cell = layer.layer
            half = len(arrays) // 2
            zero = cell.return_sequences
            forward_out, forward_states = rnn(cell, arrays[:half], x, mask, zero)
            backward_out, backward_states = rnn(cell.replace(go_backwards=True), arrays[half:], x, mask, zero)
            if cell.return_sequences:
                backward_out = backward_out[:, ::-1]
            if layer.merge_mode is None:
                outputs = [forward_out, backward_out]
            else:
                outputs = [{"concat": lambda a, b: np.concatenate([a, b], -1), "sum": np.add, "mul": np.multiply,
                            "ave": lambda a, b: (a + b) / 2}[layer.merge_mode](forward_out, backward_out)]
            if cell.return_state:
                outputs += forward_states + backward_states
            x = outputs if len(outputs) > 1 else outputs[0]
            next_mask = mask if cell.return_sequences else None
        else:
            output, states = rnn(layer, arrays, x, mask)
            x = [output, *states] if layer.return_state else output
            next_mask = mask if layer.return_sequences else None
        mask = next_mask
    return x
