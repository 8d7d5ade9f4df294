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
float64) is kept throughout. Convolution and pooling work on whole arrays, one
product or reduction per kernel (or pool) position, never per timestep.

Masks are (timesteps, batch) booleans that travel beside the data, made,
passed on and dropped as each kind declares (``kinds``); a recurrent layer
carries its state over a masked step, as Keras does.

The weights are those of ``kinds``: each layer gets the arrays its kind declares,
in Keras's ``get_weights()`` order, and transposes them once for this layout.
Every layer function takes ``(layer, arrays, x, mask, progress)`` and returns
its output, or a list of outputs; none writes to its input.
"""

from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np

from .activations import ACTIVATIONS, FEATURES, PER_VECTOR, gate_activation
from .kinds import (
    GRU, LSTM, Activation, AveragePooling1D, BatchNormalization, Bidirectional, Conv1D, Dense, Dropout,
    Embedding, Flatten, GaussianNoise, GlobalAveragePooling1D, GlobalMaxPooling1D, LayerNormalization,
    Masking, MaxPooling1D, RepeatVector, SimpleRNN, SpatialDropout1D, TimeDistributed, projection_block,
    same_padding, window_length,
)  # fmt: skip
from .errors import InputError
from .shapes import Summary

Progress = Callable[[], None]  # called once per projection block and time step of every recurrent layer


def forward(summary: Summary, weights: list[list[np.ndarray]], inputs: np.ndarray,
            progress: Progress | None = None,
            observe: Observer | None = None) -> np.ndarray | list[np.ndarray]:  # fmt: skip
    """Run the stack on ``inputs`` (batch first, as Keras takes them). The output is
    batch first too: a transposed view of the last layer's buffer, as PyTorch's
    batch_first output is, rather than a copy of it. A last layer with several
    outputs (``state``, ``merge=none``) gives a list of them, in Keras's order.
    ``observe(index, output)`` sees each layer's (first) output as it is made,
    in this module's layout (the order of its axes is not the batch-first one)."""
    if summary.rows[0].spec.layer.first_only:
        x = inputs  # integer ids (batch, timesteps): the embedding lays out its own output
    else:
        # A view, not a copy: the first matrix product reads it as a transposed operand.
        x = _features_first(inputs)
    mask = None
    for index, (row, arrays) in enumerate(zip(summary.rows, weights)):
        layer = row.spec.layer
        output = LAYERS[type(layer)](layer, arrays, x, mask, progress)
        mask = _next_mask(layer, x, mask)
        x = output
        if observe:
            observe(index, x[0] if isinstance(x, list) else x)
    if isinstance(x, list):
        return [_batch_first(one) for one in x]
    return _batch_first(x)


Observer = Callable[[int, np.ndarray], None]  # (layer index, its output) as each layer finishes


def timed_forward(summary: Summary, weights: list[list[np.ndarray]], inputs: np.ndarray,
                  progress: Progress | None = None,
                  observe: Observer | None = None) -> tuple[np.ndarray | list[np.ndarray], float]:  # fmt: skip
    """``forward`` and its wall time in seconds (without the time ``observe`` takes)."""
    observing = 0.0

    def timed_observe(index: int, output: np.ndarray) -> None:
        nonlocal observing
        start = time.perf_counter()
        observe(index, output)
        observing += time.perf_counter() - start

    start = time.perf_counter()
    output = forward(summary, weights, inputs, progress, timed_observe if observe else None)
    return output, time.perf_counter() - start - observing


def _features_first(x: np.ndarray) -> np.ndarray:
    return x.transpose(1, 2, 0) if x.ndim == 3 else x.T


def _batch_first(x: np.ndarray) -> np.ndarray:
    return x.transpose(2, 0, 1) if x.ndim == 3 else x.T


def _next_mask(layer, x: np.ndarray, mask: np.ndarray | None) -> np.ndarray | None:
    """The mask after ``layer``, as Keras propagates it."""
    if layer.mask_value is not None:  # Masking, Embedding(mask_zero): a new mask from the data
        if x.dtype.kind in "iu":  # ids, batch first
            return (x != layer.mask_value).T
        return (x != layer.mask_value).any(axis=FEATURES)
    if mask is None or not layer.supports_masking or not layer.keeps_mask():
        return None
    return mask


def _project(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """kernel^T @ x + bias: (T, D, B) -> (T, N, B), or (D, B) -> (N, B)."""
    y = np.matmul(np.ascontiguousarray(kernel.T), x)
    if bias is not None:
        y += bias[:, None]
    return y


def _project_steps(x: np.ndarray, kernel: np.ndarray, progress: Progress | None) -> np.ndarray:
    """kernel^T @ x[t] for every step, (T, D, B) -> (T, N, B), in blocks of steps
    (``kinds.projection_block``): between blocks Ctrl-C acts and progress is
    reported, so a long run answers both from its first second."""
    steps, features, batch = x.shape
    kernel_t = np.ascontiguousarray(kernel.T)
    y = np.empty((steps, kernel_t.shape[0], batch), np.result_type(kernel_t, x))
    block = projection_block(batch, features, kernel_t.shape[0])
    for start in range(0, steps, block):
        np.matmul(kernel_t, x[start : start + block], out=y[start : start + block])
        if progress:
            progress()
    return y


def _column(bias: np.ndarray | None, dtype) -> np.ndarray | None:
    """A bias as a column, to add to a (features, batch) block."""
    return None if bias is None else np.ascontiguousarray(bias[:, None], dtype=dtype)


# Recurrent layers ---------------------------------------------------------------
#
# Each cell function runs one direction and returns (output, final states):
# the output is the sequence (with return_sequences) or the last state. With a
# mask, a masked step keeps the previous states, so its output repeats the
# previous output (zeros before the first valid step); with ``zero_masked``
# (inside Bidirectional, with return_sequences) its output is zeros instead.


class _Steps:
    """The time steps of a recurrent layer, in the order it reads them, and
    for each the samples whose step is masked (None: no sample is)."""

    def __init__(self, timesteps: int, backwards: bool, mask: np.ndarray | None):
        self.order = range(timesteps - 1, -1, -1) if backwards else range(timesteps)
        self.masked: list[np.ndarray | None] = [None] * timesteps
        if mask is not None:
            invalid = ~mask
            for t in np.flatnonzero(invalid.any(axis=1)):
                self.masked[t] = np.flatnonzero(invalid[t])


def _save(states: list[np.ndarray], masked: np.ndarray | None) -> list[np.ndarray] | None:
    """The masked samples' columns of the states, before the step changes them."""
    if masked is None:
        return None
    return [state[:, masked] for state in states]  # a copy of those columns only


def _keep_masked(states: list[np.ndarray], saved: list[np.ndarray] | None, masked: np.ndarray | None) -> None:
    """Where a sample's step is masked, put its previous states back. Only the
    masked columns are touched: much cheaper than a copy with where=."""
    if masked is not None:
        for state, previous in zip(states, saved):
            state[:, masked] = previous


def _result(layer, buffer: np.ndarray | None, states: list[np.ndarray], mask: np.ndarray | None,
            zero_masked: bool) -> tuple[np.ndarray, list[np.ndarray]]:  # fmt: skip
    """(output, final states). buffer[t] holds the output after reading x[t];
    going backwards, Keras returns the outputs in the order it made them."""
    if not layer.return_sequences:
        return states[0], states
    if zero_masked and mask is not None:
        states = [state.copy() for state in states]  # the last state may be a row of the buffer
        buffer.transpose(0, 2, 1)[~mask] = 0  # zeros, as Keras's where() gives, even beside an inf
    return (buffer[::-1] if layer.go_backwards else buffer), states


def _gate_weights(layer, kernel, recurrent_kernel, bias, gate_rows: slice, complement_rows: slice | None = None):
    """Scale the gate blocks of the weights once for the gate activation
    (negated for sigmoid_of_negated); the other blocks keep scale 1.

    With sigmoid gates, the ``complement_rows`` block is left unnegated, so
    that it comes out as 1 - gate (sigmoid(-x) = 1 - sigmoid(x)), to float32's
    relative precision and without a pass of its own. Returns the weights, the
    gate function, and whether that block holds 1 - gate (True) or the gate."""
    scale_value, gate = gate_activation(layer.recurrent_activation)
    scale = np.ones(kernel.shape[-1], kernel.dtype)
    scale[gate_rows] = scale_value
    complemented = complement_rows is not None and scale_value == -1
    if complemented:
        scale[complement_rows] = 1
    scaled = [None if array is None else array * scale for array in (kernel, recurrent_kernel, bias)]
    units = recurrent_kernel.shape[0]
    if layer.recurrent_activation in PER_VECTOR:  # normalise each gate on its own

        def activate(block, out):
            for start in range(0, len(block), units):
                gate(block[start : start + units], out=out[start : start + units])
            return out

        return scaled, activate, complemented
    return scaled, gate, complemented


def simple_rnn(layer: SimpleRNN, arrays, x, mask=None, progress=None, zero_masked=False):
    """h[t] = act(x[t] @ kernel + bias + h[t-1] @ recurrent_kernel)"""
    kernel, recurrent_kernel, bias = (arrays + [None])[:3]
    act = ACTIVATIONS[layer.activation]
    recurrent_kernel = np.ascontiguousarray(recurrent_kernel.T)
    H = _project_steps(x, kernel, progress)  # x[t] @ kernel, becoming h[t] in place
    h = np.zeros(H.shape[1:], H.dtype)
    recurrent = np.empty_like(h)
    bias = _column(bias, H.dtype)
    steps = _Steps(len(H), layer.go_backwards, mask)
    for t in steps.order:
        np.matmul(recurrent_kernel, h, out=recurrent)
        if bias is not None:  # per step, while the block is in cache: cheaper than a pass over H
            recurrent += bias
        saved = _save([h], steps.masked[t])
        H[t] += recurrent
        h = act(H[t], out=H[t])
        _keep_masked([h], saved, steps.masked[t])
        if progress:
            progress()
    return _result(layer, H, [h], mask, zero_masked)


def lstm(layer: LSTM, arrays, x, mask=None, progress=None, zero_masked=False):
    """Gates i, f, c, o (Keras's order):
    i, f, o = recurrent_activation(x[t] @ W + h[t-1] @ U + b);  g = act(same, block c)
    C[t] = f * C[t-1] + i * g;  h[t] = o * act(C[t])"""
    kernel, recurrent_kernel, bias = (arrays + [None])[:3]
    units = recurrent_kernel.shape[0]
    # Reorder the blocks to i, f, o, c once, so the three gates are one block.
    order = np.r_[0 : 2 * units, 3 * units : 4 * units, 2 * units : 3 * units]
    reordered = [None if array is None else array[..., order] for array in (kernel, recurrent_kernel, bias)]
    (kernel, recurrent_kernel, bias), gate, _ = _gate_weights(layer, *reordered, slice(0, 3 * units))
    act = ACTIVATIONS[layer.activation]
    Z = _project_steps(x, kernel, progress)
    recurrent_kernel = np.ascontiguousarray(recurrent_kernel.T)
    bias = _column(bias, Z.dtype)
    batch, dtype = Z.shape[2], Z.dtype
    H = np.empty((len(Z), units, batch), dtype) if layer.return_sequences else None
    h, c = np.zeros((units, batch), dtype), np.zeros((units, batch), dtype)
    recurrent = np.empty((4 * units, batch), dtype)
    steps = _Steps(len(Z), layer.go_backwards, mask)
    for t in steps.order:
        z = Z[t]
        np.matmul(recurrent_kernel, h, out=recurrent)
        if bias is not None:
            recurrent += bias
        z += recurrent
        gates = z[: 3 * units]
        gate(gates, out=gates)
        i, f, o, g = z[:units], z[units : 2 * units], z[2 * units : 3 * units], z[3 * units :]
        act(g, out=g)
        saved = _save([h, c], steps.masked[t])
        c *= f
        g *= i
        c += g
        h = H[t] if H is not None else h
        act(c, out=h)
        h *= o
        _keep_masked([h, c], saved, steps.masked[t])
        if progress:
            progress()
    return _result(layer, H, [h, c], mask, zero_masked)


def gru(layer: GRU, arrays, x, mask=None, progress=None, zero_masked=False):
    """Gates z, r, h (Keras's order). reset_after (Keras's default), with the
    input bias b and the recurrent bias b' as the two rows of the bias:
    z, r = recurrent_activation(x[t] @ W + b + h[t-1] @ U + b')   (their blocks)
    hh = act(x[t] @ W_h + b_h + r * (h[t-1] @ U_h + b'_h))
    h[t] = z * h[t-1] + (1 - z) * hh
    reset_after=False: hh = act(x[t] @ W_h + b_h + (r * h[t-1]) @ U_h).

    (An infinite state that meets an update gate of exactly 1 gives nan here,
    where Keras's form gives inf; Keras's own next step is then nan in all
    but contrived cases.)"""
    kernel, recurrent_kernel, bias = (arrays + [None])[:3]
    units = recurrent_kernel.shape[0]
    act = ACTIVATIONS[layer.activation]
    # The update gate's block gives 1 - z, the weight of hh in the new state.
    (kernel, recurrent_kernel, bias), gate, complemented = _gate_weights(
        layer, kernel, recurrent_kernel, bias, slice(0, 2 * units), complement_rows=slice(0, units))
    # Biases are added per step, to the recurrent product: the z and r blocks of
    # both biases together, and the h block of the recurrent one; the input
    # bias's h block goes to hh, outside r * (...).
    step_bias = hidden_bias = None
    if bias is not None:
        input_bias, recurrent_bias = (bias[0], bias[1]) if layer.reset_after else (bias, np.zeros_like(bias))
        step_bias = _column(np.r_[input_bias[: 2 * units] + recurrent_bias[: 2 * units],
                                  recurrent_bias[2 * units :]], kernel.dtype)  # fmt: skip
        hidden_bias = _column(input_bias[2 * units :], kernel.dtype)
    X = _project_steps(x, kernel, progress)
    batch, dtype = X.shape[2], X.dtype
    H = np.empty((len(X), units, batch), dtype) if layer.return_sequences else None
    h = np.zeros((units, batch), dtype)
    if layer.reset_after:
        recurrent_kernel = np.ascontiguousarray(recurrent_kernel.T)
        recurrent = np.empty((3 * units, batch), dtype)
    else:
        kernel_zr = np.ascontiguousarray(recurrent_kernel[:, : 2 * units].T)
        kernel_h = np.ascontiguousarray(recurrent_kernel[:, 2 * units :].T)
        recurrent = np.empty((2 * units, batch), dtype)
        reset_state, recurrent_h = np.empty_like(h), np.empty_like(h)
    steps = _Steps(len(X), layer.go_backwards, mask)
    for t in steps.order:
        xt = X[t]
        zr, hh = xt[: 2 * units], xt[2 * units :]
        if layer.reset_after:
            np.matmul(recurrent_kernel, h, out=recurrent)
            if step_bias is not None:
                recurrent += step_bias
            zr += recurrent[: 2 * units]
            gate(zr, out=zr)
            z, r = zr[:units], zr[units:]
            recurrent_h = recurrent[2 * units :]
            recurrent_h *= r
        else:
            np.matmul(kernel_zr, h, out=recurrent)
            if step_bias is not None:
                recurrent += step_bias[: 2 * units]
            zr += recurrent
            gate(zr, out=zr)
            z, r = zr[:units], zr[units:]
            np.multiply(r, h, out=reset_state)
            np.matmul(kernel_h, reset_state, out=recurrent_h)
        hh += recurrent_h
        if hidden_bias is not None:
            hh += hidden_bias
        act(hh, out=hh)
        saved = _save([h], steps.masked[t])
        # Keras's z * h + (1 - z) * hh, as h + (1 - z) * (hh - h): three passes.
        # Where hh overflows it is inf, as in Keras (hh + z * (h - hh) would be
        # inf - inf = nan).
        update = z if complemented else np.subtract(1, z, out=z)  # 1 - z
        np.subtract(hh, h, out=hh)
        hh *= update
        previous = h
        h = H[t] if H is not None else h
        np.add(previous, hh, out=h)
        _keep_masked([h], saved, steps.masked[t])
        if progress:
            progress()
    return _result(layer, H, [h], mask, zero_masked)


CELLS = {SimpleRNN: simple_rnn, LSTM: lstm, GRU: gru}


def recurrent(layer, arrays, x, mask=None, progress=None):
    """A recurrent layer: its output, and with return_state its final states after it."""
    output, states = CELLS[type(layer)](layer, arrays, x, mask, progress)
    return [output, *states] if layer.return_state else output


def bidirectional(layer: Bidirectional, arrays, x, mask=None, progress=None):
    """Keras's Bidirectional: the backward copy reads the sequence from its end;
    with return_sequences its output is flipped back into time order, so both
    directions line up at each t, then merged (merge_mode None: both returned).
    With return_state the forward states follow, then the backward ones."""
    half = len(arrays) // 2
    cell = layer.layer
    run_cell = CELLS[type(cell)]
    zero_masked = cell.return_sequences  # Keras sets zero_output_for_mask on both copies
    forward_out, forward_states = run_cell(cell, arrays[:half], x, mask, progress, zero_masked)
    backward_out, backward_states = run_cell(cell.replace(go_backwards=True), arrays[half:], x, mask,
                                             progress, zero_masked)  # fmt: skip
    if cell.return_sequences:
        backward_out = backward_out[::-1]
    if layer.merge_mode is None:
        outputs = [forward_out, backward_out]
    elif layer.merge_mode == "concat":
        outputs = [np.concatenate([forward_out, backward_out], axis=FEATURES)]
    elif layer.merge_mode == "sum":
        outputs = [np.add(forward_out, backward_out)]
    elif layer.merge_mode == "mul":
        outputs = [np.multiply(forward_out, backward_out)]
    else:  # "ave"
        merged = np.add(forward_out, backward_out)
        merged /= 2
        outputs = [merged]
    if cell.return_state:
        outputs += forward_states + backward_states
    return outputs if len(outputs) > 1 else outputs[0]


# Dense -------------------------------------------------------------------------


def dense(layer: Dense, arrays, x, mask=None, progress=None):
    """act(x @ kernel + bias) on the feature axis."""
    kernel, bias = (arrays + [None])[:2]
    y = _project(x, kernel, bias)
    return ACTIVATIONS[layer.activation](y, out=y)


def time_distributed(layer: TimeDistributed, arrays, x, mask=None, progress=None):
    """The wrapped Dense at every step: the same as Dense on the sequence."""
    return dense(layer.layer, arrays, x)


def embedding(layer: Embedding, arrays, ids, mask=None, progress=None):
    """Rows of the table for ids (batch, timesteps), laid out (timesteps, features, batch)."""
    return np.ascontiguousarray(arrays[0][ids.T].transpose(0, 2, 1))


# Convolution and pooling ------------------------------------------------------------


def _windows(x: np.ndarray, size: int, stride: int, length: int, before: int, fill: float,
             dilation: int = 1) -> tuple[int, list[np.ndarray]]:  # fmt: skip
    """What each position of a sliding window reads, at each of the ``length``
    outputs: views (length, ...) of x (T, ...) padded with ``before`` steps of
    ``fill`` (and after it as far as the windows reach).

    Only the positions that see a real step somewhere are returned, after the
    number of the first of them: the others see nothing but padding, which adds
    nothing to a sum or a maximum. So a window far longer than the input
    (maxpool:100000:pad=same) costs what the input's length does, not what the
    window's does."""
    steps = len(x)
    reach = stride * (length - 1)  # from a position's first step to its last
    first = max(0, -(-(before - reach) // dilation))  # the first position whose last step is real
    last = min(size, -(-(before + steps) // dilation))  # one past the last whose first step is
    if first >= last:
        return first, []
    start, stop = first * dilation, (last - 1) * dilation + reach + 1  # the padded steps they read
    padded = np.full((stop - start,) + x.shape[1:], fill, x.dtype)
    low, high = max(before, start), min(before + steps, stop)
    padded[low - start : high - start] = x[low - before : high - before]
    views = [padded[k * dilation - start : k * dilation - start + reach + 1 : stride] for k in range(first, last)]
    return first, views


def conv1d(layer: Conv1D, arrays, x, mask=None, progress=None):
    """Keras's Conv1D: y[t] = act(bias + sum over k of x[t * stride + k * dilation] @ kernel[k]),
    on the input padded with zeros (same: split around it, the odd step after; causal: all before).

    Each kernel position is one matrix product, (L * B, D) @ (D, F), over every
    output step and sample at once, on a time-first copy of the input (in which
    a position's window is one block of memory when the stride is 1)."""
    kernel, bias = (arrays + [None])[:2]
    steps, features, batch = x.shape
    length = window_length(steps, layer.kernel_size, layer.strides, layer.padding, layer.dilation_rate)
    before, _after = layer.padding_steps(steps)
    first, windows = _windows(x.transpose(0, 2, 1), layer.kernel_size, layer.strides, length, before, 0,
                              layer.dilation_rate)  # fmt: skip
    y = product = None
    for position, window in enumerate(windows, first):
        rows = window.reshape(length * batch, features)  # a view when the stride is 1
        if y is None:
            y = rows @ kernel[position]
        else:  # into one buffer for every later position: fresh ones cost page faults
            product = np.matmul(rows, kernel[position], out=product)
            y += product
    if y is None:  # every position sees only padding
        y = np.zeros((length * batch, layer.filters), x.dtype)
    if bias is not None:
        y += bias
    y = y.reshape(length, batch, layer.filters).transpose(0, 2, 1)  # (L, F, B), a view
    return ACTIVATIONS[layer.activation](y, out=y)


def _pool_windows(layer, x: np.ndarray, fill: float) -> tuple[int, int, list[np.ndarray]]:
    """(output length, padding before, the windows' views) of a pooling layer."""
    steps = len(x)
    length = window_length(steps, layer.pool_size, layer.stride, layer.padding)
    before = same_padding(steps, layer.pool_size, layer.stride)[0] if layer.padding == "same" else 0
    return length, before, _windows(x, layer.pool_size, layer.stride, length, before, fill)[1]


def max_pooling1d(layer: MaxPooling1D, arrays, x, mask=None, progress=None):
    """The maximum of each window; padding (same) never wins."""
    length, _before, windows = _pool_windows(layer, x, -np.inf)
    y = windows[0].copy()
    for window in windows[1:]:
        np.maximum(y, window, out=y)
    return y


def average_pooling1d(layer: AveragePooling1D, arrays, x, mask=None, progress=None):
    """The mean of each window, over its real steps only (same padding adds none)."""
    length, before, windows = _pool_windows(layer, x, 0)
    y = windows[0].copy()
    for window in windows[1:]:
        y += window
    _first, real = _windows(np.ones(len(x), x.dtype), layer.pool_size, layer.stride, length, before, 0)
    y /= np.sum(real, axis=0)[:, None, None]
    return y


def global_max_pooling1d(layer: GlobalMaxPooling1D, arrays, x, mask=None, progress=None):
    return x.max(axis=0)


def global_average_pooling1d(layer: GlobalAveragePooling1D, arrays, x, mask=None, progress=None):
    """The mean over time; with a mask, over the unmasked steps (nan where none is)."""
    if mask is None:
        return x.mean(axis=0)
    weights = mask.astype(x.dtype)
    with np.errstate(invalid="ignore"):  # 0 / 0 for a sample masked throughout: nan, as in Keras
        return (x * weights[:, None, :]).sum(axis=0) / weights.sum(axis=0)


# Reshaping, normalisation and the rest ----------------------------------------------


def flatten(layer: Flatten, arrays, x, mask=None, progress=None):
    """(T, F, B) -> (T * F, B): step by step, as Keras flattens (batch, T, F)."""
    return np.ascontiguousarray(x).reshape(-1, x.shape[-1])


def repeat_vector(layer: RepeatVector, arrays, x, mask=None, progress=None):
    return np.repeat(x[None], layer.n, axis=0)


def batch_normalization(layer: BatchNormalization, arrays, x, mask=None, progress=None):
    """Inference: (x - moving_mean) * gamma / sqrt(moving_variance + epsilon) + beta."""
    gamma, beta, mean, variance = (array[:, None] for array in arrays)
    scale = gamma / np.sqrt(variance + layer.epsilon)
    y = x - mean
    y *= scale
    y += beta
    return y


def layer_normalization(layer: LayerNormalization, arrays, x, mask=None, progress=None):
    """Each vector of features to mean 0 and variance 1 (plus epsilon), then gamma and beta."""
    gamma, beta = (array[:, None] for array in arrays)
    y = x - x.mean(axis=FEATURES, keepdims=True)
    variance = np.mean(np.square(y), axis=FEATURES, keepdims=True)
    y /= np.sqrt(variance + layer.epsilon)
    y *= gamma
    y += beta
    return y


def activation(layer: Activation, arrays, x, mask=None, progress=None):
    return ACTIVATIONS[layer.activation](x, np.empty_like(x))


def masking(layer: Masking, arrays, x, mask=None, progress=None):
    """Zeroes every step whose features all equal the mask value."""
    return x * (x != layer.mask_value).any(axis=FEATURES, keepdims=True)


def identity(layer, arrays, x, mask=None, progress=None):
    return x  # dropout and noise act in training only


LAYERS = {
    SimpleRNN: recurrent, LSTM: recurrent, GRU: recurrent, Bidirectional: bidirectional,
    Dense: dense, TimeDistributed: time_distributed, Embedding: embedding,
    Conv1D: conv1d, MaxPooling1D: max_pooling1d, AveragePooling1D: average_pooling1d,
    GlobalMaxPooling1D: global_max_pooling1d, GlobalAveragePooling1D: global_average_pooling1d,
    Flatten: flatten, RepeatVector: repeat_vector, BatchNormalization: batch_normalization,
    LayerNormalization: layer_normalization, Activation: activation, Masking: masking,
    Dropout: identity, SpatialDropout1D: identity, GaussianNoise: identity,
}  # fmt: skip


def check_runnable(summary: Summary) -> None:
    """Refuse, before any work, a model with a kind the forward pass does not run yet."""
    for row in summary.rows:
        if type(row.spec.layer) not in LAYERS:
            raise InputError(f"--run does not run {row.type} layers yet (layer '{row.name}'); the summary, "
                             "explain and JSON describe them")  # fmt: skip


def run_memory_bytes(summary: Summary, itemsize: int) -> int:
    """An upper estimate of the bytes a forward pass holds at its peak, from the
    concrete shapes alone (no batch or time dim may be None): the weights (and
    the reordered copies the cells make of theirs), the input, and for the
    busiest layer its input, its working buffers and its outputs (twice: the
    result and the buffer it is computed in)."""
    elements = 2 * summary.total_params + math.prod(summary.input_shape)
    peak = 0
    for row in summary.rows:
        outputs = sum(math.prod(shape) for shape in row.outputs)
        working = row.spec.layer.working_elements(row.input_shape)
        peak = max(peak, math.prod(row.input_shape) + working + 2 * outputs)
    return (elements + peak) * itemsize
