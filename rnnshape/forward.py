"""The forward pass (``--run``): Keras's own equations, in NumPy, as fast as NumPy allows.

Layout. Between layers a sequence is kept as (timesteps, features, batch) and a
single vector per sample as (features, batch); the batch-first input and output
are transposed views of it, not copies. With the batch last, every gate block of
a time step, ``z[t][:units]``, is one contiguous array, so the gate arithmetic
runs on contiguous memory, and the recurrent product ``U^T @ h`` is the shape of
matrix product OpenBLAS does fastest (measured: about 1.5x the speed of
``h @ U`` for a 64 x 256 batch).

A recurrent layer does one matrix product for the input projection of every
timestep at once, ``W^T @ x[t]`` for all t, into a buffer that the time loop
then updates in place; inside the loop there is only the recurrent product, the
bias (added to that product's block while it is in cache) and the gate
arithmetic, on preallocated buffers. The dtype of the input (float32 or
float64) is kept throughout.

The weights are those of ``kinds``: each layer gets the arrays its kind declares,
in Keras's ``get_weights()`` order, and transposes them once for this layout.
"""

from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np

from .activations import ACTIVATIONS, FEATURES, sigmoid_of_double
from .kinds import GRU, LSTM, Bidirectional, Dense, Dropout, Embedding, Recurrent, SimpleRNN
from .shapes import Summary

Progress = Callable[[], None]  # called once per time step of every recurrent layer


def forward(summary: Summary, weights: list[list[np.ndarray]], inputs: np.ndarray,
            progress: Progress | None = None) -> np.ndarray:  # fmt: skip
    """Run the stack on ``inputs`` (batch first, as Keras takes them). The output is
    batch first too: a transposed view of the last layer's buffer, as PyTorch's
    batch_first output is, rather than a copy of it."""
    if isinstance(summary.rows[0].spec.layer, Embedding):
        x = inputs  # integer ids (batch, timesteps): the embedding lays out its own output
    else:
        # A view, not a copy: the first matrix product reads it as a transposed operand.
        x = inputs.transpose(1, 2, 0) if inputs.ndim == 3 else inputs.T
    for row, arrays in zip(summary.rows, weights):
        x = LAYERS[type(row.spec.layer)](row.spec.layer, arrays, x, progress)
    return x.transpose(2, 0, 1) if x.ndim == 3 else x.T


def timed_forward(summary: Summary, weights: list[list[np.ndarray]], inputs: np.ndarray,
                  progress: Progress | None = None) -> tuple[np.ndarray, float]:  # fmt: skip
    """``forward`` and its wall time in seconds."""
    start = time.perf_counter()
    output = forward(summary, weights, inputs, progress)
    return output, time.perf_counter() - start


def _project(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """kernel^T @ x + bias: (T, D, B) -> (T, N, B), or (D, B) -> (N, B)."""
    y = np.matmul(np.ascontiguousarray(kernel.T), x)
    if bias is not None:
        y += bias[:, None]
    return y


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
    recurrent_kernel = np.ascontiguousarray(recurrent_kernel.T)
    H = _project(x, kernel, None)  # x[t] @ kernel, becoming h[t] in place
    h = np.zeros(H.shape[1:], H.dtype)
    recurrent = np.empty_like(h)
    bias = _column(bias, H.dtype)
    for t in _steps(len(H), layer.go_backwards):
        np.matmul(recurrent_kernel, h, out=recurrent)
        if bias is not None:  # per step, while the block is in cache: cheaper than a pass over H
            recurrent += bias
        H[t] += recurrent
        h = act(H[t], out=H[t])
        if progress:
            progress()
    return _sequence_or_last(H, h, layer)


def _column(bias: np.ndarray | None, dtype) -> np.ndarray | None:
    """A bias as a column, to add to a (features, batch) block."""
    return None if bias is None else np.ascontiguousarray(bias[:, None], dtype=dtype)


def lstm(layer: LSTM, arrays, x, progress=None):
    """Gates i, f, c, o (Keras's order):
    i, f, o = sigmoid(x[t] @ W + h[t-1] @ U + b);  g = act(same, block c)
    C[t] = f * C[t-1] + i * g;  h[t] = o * act(C[t])"""
    kernel, recurrent_kernel, bias = (arrays + [None])[:3]
    units = recurrent_kernel.shape[0]
    # Reorder the blocks to i, f, o, c once, so the three sigmoid gates are one
    # block, and halve that block for sigmoid_of_double.
    order = np.r_[0 : 2 * units, 3 * units : 4 * units, 2 * units : 3 * units]
    scale = np.r_[np.full(3 * units, 0.5), np.ones(units)].astype(kernel.dtype)
    act = ACTIVATIONS[layer.activation]
    Z = _project(x, kernel[:, order] * scale, None)
    recurrent_kernel = np.ascontiguousarray((recurrent_kernel[:, order] * scale).T)
    bias = _column(None if bias is None else bias[order] * scale, Z.dtype)
    batch, dtype = Z.shape[2], Z.dtype
    H = np.empty((len(Z), units, batch), dtype) if layer.return_sequences else None
    h, c = np.zeros((units, batch), dtype), np.zeros((units, batch), dtype)
    recurrent = np.empty((4 * units, batch), dtype)
    for t in _steps(len(Z), layer.go_backwards):
        z = Z[t]
        np.matmul(recurrent_kernel, h, out=recurrent)
        if bias is not None:
            recurrent += bias
        z += recurrent
        gates = z[: 3 * units]
        sigmoid_of_double(gates, out=gates)
        i, f, o, g = z[:units], z[units : 2 * units], z[2 * units : 3 * units], z[3 * units :]
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
    # Halve the z and r blocks once, for sigmoid_of_double.
    scale = np.r_[np.full(2 * units, 0.5), np.ones(units)].astype(kernel.dtype)
    kernel, recurrent_kernel = kernel * scale, recurrent_kernel * scale
    bias = None if bias is None else bias * scale
    # Biases are added per step, to the recurrent product: the z and r blocks of
    # both biases together, and the h block of the recurrent one; the input
    # bias's h block goes to hh, outside r * (...).
    step_bias = hidden_bias = None
    if bias is not None:
        input_bias, recurrent_bias = (bias[0], bias[1]) if layer.reset_after else (bias, np.zeros_like(bias))
        step_bias = _column(np.r_[input_bias[: 2 * units] + recurrent_bias[: 2 * units],
                                  recurrent_bias[2 * units :]], kernel.dtype)  # fmt: skip
        hidden_bias = _column(input_bias[2 * units :], kernel.dtype)
    X = _project(x, kernel, None)
    batch, dtype = X.shape[2], X.dtype
    H = np.empty((len(X), units, batch), dtype) if layer.return_sequences else None
    h = np.zeros((units, batch), dtype)
    difference = np.empty_like(h)
    if layer.reset_after:
        recurrent_kernel = np.ascontiguousarray(recurrent_kernel.T)
        recurrent = np.empty((3 * units, batch), dtype)
    else:
        kernel_zr = np.ascontiguousarray(recurrent_kernel[:, : 2 * units].T)
        kernel_h = np.ascontiguousarray(recurrent_kernel[:, 2 * units :].T)
        recurrent = np.empty((2 * units, batch), dtype)
        reset_state, recurrent_h = np.empty_like(h), np.empty_like(h)
    for t in _steps(len(X), layer.go_backwards):
        xt = X[t]
        zr, hh = xt[: 2 * units], xt[2 * units :]
        if layer.reset_after:
            np.matmul(recurrent_kernel, h, out=recurrent)
            if step_bias is not None:
                recurrent += step_bias
            zr += recurrent[: 2 * units]
            sigmoid_of_double(zr, out=zr)
            z, r = zr[:units], zr[units:]
            recurrent_h = recurrent[2 * units :]
            recurrent_h *= r
        else:
            np.matmul(kernel_zr, h, out=recurrent)
            if step_bias is not None:
                recurrent += step_bias[: 2 * units]
            zr += recurrent
            sigmoid_of_double(zr, out=zr)
            z, r = zr[:units], zr[units:]
            np.multiply(r, h, out=reset_state)
            np.matmul(kernel_h, reset_state, out=recurrent_h)
        hh += recurrent_h
        if hidden_bias is not None:
            hh += hidden_bias
        act(hh, out=hh)
        # z * h + (1 - z) * hh, as hh + z * (h - hh): one pass fewer.
        np.subtract(h, hh, out=difference)
        difference *= z
        h = H[t] if H is not None else h
        np.add(hh, difference, out=h)
        if progress:
            progress()
    return _sequence_or_last(H, h, layer)


def bidirectional(layer: Bidirectional, arrays, x, progress=None):
    """Keras's Bidirectional: the backward copy reads the sequence from its end;
    with return_sequences its output is flipped back into time order, so both
    directions line up at each t, then merged."""
    half = len(arrays) // 2
    cell = layer.layer
    run_cell = LAYERS[type(cell)]
    forward_out = run_cell(cell, arrays[:half], x, progress)
    backward_out = run_cell(cell.replace(go_backwards=True), arrays[half:], x, progress)
    if cell.return_sequences:
        backward_out = backward_out[::-1]
    if layer.merge_mode == "concat":
        return np.concatenate([forward_out, backward_out], axis=FEATURES)
    if layer.merge_mode == "sum":
        return np.add(forward_out, backward_out)
    if layer.merge_mode == "mul":
        return np.multiply(forward_out, backward_out)
    merged = np.add(forward_out, backward_out)  # "ave"
    merged /= 2
    return merged


def dense(layer: Dense, arrays, x, progress=None):
    """act(x @ kernel + bias) on the feature axis."""
    kernel, bias = (arrays + [None])[:2]
    y = _project(x, kernel, bias)
    return ACTIVATIONS[layer.activation](y, out=y)


def embedding(layer: Embedding, arrays, ids, progress=None):
    """Rows of the table for ids (batch, timesteps), laid out (timesteps, features, batch)."""
    return np.ascontiguousarray(arrays[0][ids.T].transpose(0, 2, 1))


def dropout(layer: Dropout, arrays, x, progress=None):
    return x  # inference: the identity


LAYERS = {
    SimpleRNN: simple_rnn, LSTM: lstm, GRU: gru, Bidirectional: bidirectional,
    Dense: dense, Embedding: embedding, Dropout: dropout,
}  # fmt: skip


def run_memory_bytes(summary: Summary, itemsize: int) -> int:
    """An upper estimate of the bytes a forward pass holds at its peak, from the
    concrete shapes alone (no batch or time dim may be None): the weights (and
    the reordered copies LSTM and GRU make of theirs), the input, and for the
    busiest layer its input, its working buffers and its output."""
    elements = 2 * summary.total_params + math.prod(summary.input_shape)
    peak = 0
    for row in summary.rows:
        layer = row.spec.layer
        working = math.prod(row.output_shape)
        cells = [layer.layer, layer.layer] if isinstance(layer, Bidirectional) else [layer]
        for cell in cells:
            if isinstance(cell, Recurrent):
                batch, timesteps = row.input_shape[0], row.input_shape[1]
                working += timesteps * batch * cell.units * (cell.gates + 1) + 8 * batch * cell.units
        peak = max(peak, math.prod(row.input_shape) + working + math.prod(row.output_shape))
    return (elements + peak) * itemsize
