"""The forward pass (``--run``): Keras's own equations, in NumPy, as fast as NumPy allows.

Between layers, 3D tensors are kept time-major, (timesteps, batch, features), so
that each time step is one contiguous (batch, features) block; the input is
transposed once on the way in and the output once on the way out.

A recurrent layer does one matrix product for the input projection of every
timestep at once, ``X @ kernel + bias``, into a buffer that the time loop then
updates in place; inside the loop there is only the recurrent product
``h @ recurrent_kernel`` and the gate arithmetic, on preallocated buffers. The
dtype of the input (float32 or float64) is kept throughout.

The weights are those of ``kinds``: each layer gets the arrays its kind declares,
in Keras's ``get_weights()`` order.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from .activations import ACTIVATIONS, sigmoid
from .kinds import GRU, LSTM, Bidirectional, Dense, Dropout, Embedding, Layer, Recurrent, SimpleRNN
from .shapes import Summary

Progress = Callable[[], None]  # called once per time step of every recurrent layer


def forward(summary: Summary, weights: list[list[np.ndarray]], inputs: np.ndarray,
            progress: Progress | None = None) -> np.ndarray:  # fmt: skip
    """Run the stack on ``inputs`` (batch first, as Keras takes them)."""
    x = _time_major(inputs) if inputs.ndim == 3 else inputs
    for row, arrays in zip(summary.rows, weights):
        x = LAYERS[type(row.spec.layer)](row.spec.layer, arrays, x, progress)
    return _time_major(x) if x.ndim == 3 else np.ascontiguousarray(x)


def timed_forward(summary, weights, inputs, progress=None) -> tuple[np.ndarray, float]:
    """``forward`` and its wall time in seconds."""
    start = time.perf_counter()
    output = forward(summary, weights, inputs, progress)
    return output, time.perf_counter() - start


def _time_major(x: np.ndarray) -> np.ndarray:
    """(a, b, features) -> (b, a, features), contiguous: batch-major <-> time-major."""
    return np.ascontiguousarray(x.transpose(1, 0, 2))


def _project(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """x @ kernel + bias over the last axis, as one 2D matrix product."""
    flat = x.reshape(-1, x.shape[-1]) @ kernel
    if bias is not None:
        flat += bias
    return flat.reshape(x.shape[:-1] + (kernel.shape[1],))


def _steps(timesteps: int, backwards: bool) -> range:
    return range(timesteps - 1, -1, -1) if backwards else range(timesteps)


def _sequence_or_last(buffer: np.ndarray, last: np.ndarray, layer: Recurrent) -> np.ndarray:
    """What a recurrent layer returns. buffer[t] holds the state after reading
    x[t]; going backwards, Keras returns the states in the order it made them."""
    if not layer.return_sequences:
        return last
    return buffer[::-1] if layer.go_backwards else buffer


def simple_rnn(layer: SimpleRNN, arrays, x, progress=None):
    """h[t] = act(x[t] @ kernel + bias + h[t-1] @ recurrent_kernel)"""
    kernel, recurrent_kernel, bias = (arrays + [None])[:3]
    act = ACTIVATIONS[layer.activation]
    H = _project(x, kernel, bias)  # x[t] @ kernel + bias, becoming h[t] in place
    h = np.zeros(H.shape[1:], H.dtype)
    recurrent = np.empty_like(h)
    for t in _steps(len(H), layer.go_backwards):
        np.matmul(h, recurrent_kernel, out=recurrent)
        H[t] += recurrent
        h = act(H[t], out=H[t])
        if progress:
            progress()
    return _sequence_or_last(H, h, layer)


def lstm(layer: LSTM, arrays, x, progress=None):
    """Gates i, f, c, o (Keras's order):
    i, f, o = sigmoid(x[t] @ W + h[t-1] @ U + b);  g = act(same, block c)
    C[t] = f * C[t-1] + i * g;  h[t] = o * act(C[t])"""
    kernel, recurrent_kernel, bias = (arrays + [None])[:3]
    units = recurrent_kernel.shape[0]
    # Reorder the blocks to i, f, o, c once, so the three sigmoid gates are one slice.
    order = np.r_[0 : 2 * units, 3 * units : 4 * units, 2 * units : 3 * units]
    act = ACTIVATIONS[layer.activation]
    Z = _project(x, kernel[:, order], None if bias is None else bias[order])
    recurrent_kernel = np.ascontiguousarray(recurrent_kernel[:, order])
    batch, dtype = Z.shape[1], Z.dtype
    H = np.empty((len(Z), batch, units), dtype) if layer.return_sequences else None
    h, c = np.zeros((batch, units), dtype), np.zeros((batch, units), dtype)
    recurrent = np.empty((batch, 4 * units), dtype)
    for t in _steps(len(Z), layer.go_backwards):
        z = Z[t]
        np.matmul(h, recurrent_kernel, out=recurrent)
        z += recurrent
        sigmoid(z[:, : 3 * units], out=z[:, : 3 * units])
        i, f, o, g = z[:, :units], z[:, units : 2 * units], z[:, 2 * units : 3 * units], z[:, 3 * units :]
        act(g, out=g)
        c *= f
        g *= i
        c += g
        h = H[t] if H is not None else h
        act(c, out=h)
        h *= o
        if progress:
            progress()
    return _sequence_or_last(H, h, layer)


def gru(layer: GRU, arrays, x, progress=None):
    """Gates z, r, h (Keras's order). reset_after (Keras's default), with the
    input bias b and the recurrent bias b' as the two rows of the bias:
    z, r = sigmoid(x[t] @ W + b + h[t-1] @ U + b')   (their blocks)
    hh = act(x[t] @ W_h + b_h + r * (h[t-1] @ U_h + b'_h))
    h[t] = z * h[t-1] + (1 - z) * hh
    reset_after=False: hh = act(x[t] @ W_h + b_h + (r * h[t-1]) @ U_h)."""
    kernel, recurrent_kernel, bias = (arrays + [None])[:3]
    units = recurrent_kernel.shape[0]
    act = ACTIVATIONS[layer.activation]
    input_bias = recurrent_bias = None
    if bias is not None and layer.reset_after:
        input_bias, recurrent_bias = bias  # the (2, 3U) bias: one row each
    elif bias is not None:
        input_bias = bias
    X = _project(x, kernel, input_bias)
    batch, dtype = X.shape[1], X.dtype
    H = np.empty((len(X), batch, units), dtype) if layer.return_sequences else None
    h = np.zeros((batch, units), dtype)
    difference = np.empty_like(h)
    if layer.reset_after:
        recurrent = np.empty((batch, 3 * units), dtype)
    else:
        kernel_zr = np.ascontiguousarray(recurrent_kernel[:, : 2 * units])
        kernel_h = np.ascontiguousarray(recurrent_kernel[:, 2 * units :])
        recurrent = np.empty((batch, 2 * units), dtype)
        reset_state, recurrent_h = np.empty_like(h), np.empty_like(h)
    for t in _steps(len(X), layer.go_backwards):
        xt = X[t]
        zr, hh = xt[:, : 2 * units], xt[:, 2 * units :]
        if layer.reset_after:
            np.matmul(h, recurrent_kernel, out=recurrent)
            if recurrent_bias is not None:
                recurrent += recurrent_bias
            zr += recurrent[:, : 2 * units]
            sigmoid(zr, out=zr)
            z, r = zr[:, :units], zr[:, units:]
            recurrent_h = recurrent[:, 2 * units :]
            recurrent_h *= r
        else:
            np.matmul(h, kernel_zr, out=recurrent)
            zr += recurrent
            sigmoid(zr, out=zr)
            z, r = zr[:, :units], zr[:, units:]
            np.multiply(r, h, out=reset_state)
            np.matmul(reset_state, kernel_h, out=recurrent_h)
        hh += recurrent_h
        act(hh, out=hh)
        # z * h + (1 - z) * hh, as hh + z * (h - hh): one pass fewer.
        np.subtract(h, hh, out=difference)
        difference *= z
        h = H[t] if H is not None else h
        np.add(hh, difference, out=h)
        if progress:
            progress()
    return _sequence_or_last(H, h, layer)


CELLS = {SimpleRNN: simple_rnn, LSTM: lstm, GRU: gru}


def recurrent(layer: Recurrent, arrays, x, progress=None):
    return CELLS[type(layer)](layer, arrays, x, progress)


def bidirectional(layer: Bidirectional, arrays, x, progress=None):
    """Keras's Bidirectional: the backward copy reads the sequence from its end;
    with return_sequences its output is flipped back into time order, so both
    directions line up at each t, then merged."""
    half = len(arrays) // 2
    cell = layer.layer
    backward_cell = type(cell)(**{**_arguments(cell), "go_backwards": True})
    forward_out = recurrent(cell, arrays[:half], x, progress)
    backward_out = recurrent(backward_cell, arrays[half:], x, progress)
    if cell.return_sequences:
        backward_out = backward_out[::-1]
    if layer.merge_mode == "concat":
        return np.concatenate([forward_out, backward_out], axis=-1)
    if layer.merge_mode == "sum":
        return np.add(forward_out, backward_out)
    if layer.merge_mode == "mul":
        return np.multiply(forward_out, backward_out)
    merged = np.add(forward_out, backward_out)  # "ave"
    merged /= 2
    return merged


def _arguments(layer: Layer) -> dict:
    return {name: getattr(layer, name) for name in layer._fields}


def dense(layer: Dense, arrays, x, progress=None):
    """act(x @ kernel + bias) on the last axis."""
    kernel, bias = (arrays + [None])[:2]
    y = _project(x, kernel, bias)
    return ACTIVATIONS[layer.activation](y, out=y)


def embedding(layer: Embedding, arrays, ids, progress=None):
    """Rows of the table for ids (batch, timesteps), returned time-major."""
    return arrays[0][ids.T]


def dropout(layer: Dropout, arrays, x, progress=None):
    return x  # inference: the identity


LAYERS = {
    SimpleRNN: recurrent, LSTM: recurrent, GRU: recurrent, Bidirectional: bidirectional,
    Dense: dense, Embedding: embedding, Dropout: dropout,
}  # fmt: skip


def run_memory_bytes(summary: Summary, itemsize: int) -> int:
    """An upper estimate of the bytes a forward pass holds at its peak, from the
    concrete shapes alone (no batch or time dim may be None): the weights (and
    the reordered copies LSTM and GRU make of theirs), the input, and for the
    busiest layer its input, its working buffers and its output."""
    elements = 2 * summary.total_params + _size(summary.input_shape)
    peak = 0
    for row in summary.rows:
        layer = row.spec.layer
        working = _size(row.output_shape)
        cells = [layer.layer, layer.layer] if isinstance(layer, Bidirectional) else [layer]
        for cell in cells:
            if isinstance(cell, Recurrent):
                batch, timesteps = row.input_shape[0], row.input_shape[1]
                working += timesteps * batch * cell.units * (cell.gates + 1) + 8 * batch * cell.units
        peak = max(peak, _size(row.input_shape) + working + _size(row.output_shape))
    return (elements + peak) * itemsize


def _size(shape) -> int:
    size = 1
    for dim in shape:
        size *= dim
    return size
