"""The forward pass (``--run``): Keras's own equations, in NumPy, as fast as NumPy allows.

Layout. Between layers a sequence is kept as (timesteps, features, batch) and a
single vector per sample as (features, batch); the batch-first input and output
are transposed views of it, not copies. With the batch last, every gate block of
a time step, ``z[t][:units]``, is one contiguous array, so the gate arithmetic
runs on contiguous memory, and the recurrent product ``U^T @ h`` is the shape of
matrix product OpenBLAS does fastest (measured: about 1.5x the speed of
``h @ U`` for a 64 x 256 batch).

A recurrent layer projects its input, ``W^T @ x[t] + b``, a block of timesteps
at a time (one matrix product per step of the block, the bias added while the
block is in cache) into one buffer that every block reuses and the time loop
updates in place; inside the loop there is only the recurrent product and the
gate arithmetic, on preallocated buffers. The dtype of the input (float32 or
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
from typing import Callable, Iterator

import numpy as np

from .activations import ACTIVATIONS, FEATURES, PER_VECTOR, gate_activation
from .kinds import (
    ELU, GRU, LSTM, RNN, Activation, Add, AdditiveAttention, Attention, Average, AveragePooling1D,
    BatchNormalization, Bidirectional, Concatenate, Conv1D, Dense, Dot, Dropout, Embedding, Flatten, GaussianNoise,
    GlobalAveragePooling1D, GlobalMaxPooling1D, LayerNormalization, LeakyReLU, Masking, Maximum, MaxPooling1D, Merge,
    Minimum, MultiHeadAttention, Multiply, Permute, PReLU, ReLU, RepeatVector, Reshape, SimpleRNN, Softmax,
    SpatialDropout1D, Subtract, TimeDistributed, projection_block, same_padding, window_length,
)  # fmt: skip
from .errors import InputError
from .shapes import Summary

Progress = Callable[[], None]  # called once per projection block and time step of every recurrent layer


def forward(summary: Summary, weights: list[list[np.ndarray]], inputs: np.ndarray | list[np.ndarray],
            progress: Progress | None = None,
            observe: Observer | None = None) -> np.ndarray | list[np.ndarray]:  # fmt: skip
    """Run the model on ``inputs`` (batch first, as Keras takes them: one array,
    or a list of one per model input) with ``weights`` (one list per row of the
    summary, in its order). Every node of the graph is run in order, as Keras's
    Functional model runs them: an input, a layer's call (its tensors, its
    initial states, and the masks of its tensors, as Keras hands them), or one
    of the operations that compute masks. The output is batch first too (a
    transposed view of the last buffer, as PyTorch's batch_first output is,
    rather than a copy); several outputs (a stack whose last layer has
    ``state``, a graph's several outputs) give a list, in Keras's order.
    ``observe(index, output)`` sees each call's (first) output as it is made,
    with the index of its row, in this module's layout (batch last)."""
    given = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    rows = {row.name: number for number, row in enumerate(summary.rows)}
    arrays = dict(zip((row.name for row in summary.rows), weights))
    values: list[list | None] = []  # each node's outputs, batch last (None: not computed)
    feeds = {ref.call: array for ref, array in zip(summary.inputs, given)}
    for number, node in enumerate(summary.nodes):
        if number in feeds:
            values.append([_features_first(feeds[number])])
            continue
        if (node.operation is None and node.name not in rows) or not node.arguments or any(
                values[ref.call] is None for ref in node.reads):  # fmt: skip
            values.append(None)  # outside the model, or not computable from its inputs: Keras skips it too
            continue
        arguments = [values[ref.call][ref.output] for ref in node.arguments]
        if node.operation is not None:  # the masks' arithmetic, even where no row shows it
            values.append([OPERATIONS[node.operation.keras_type](node.operation, arguments)])
            continue
        layer = summary.rows[rows[node.name]].spec.layer
        masks = [_mask_value(values, summary.nodes[ref.call].output_masks[ref.output]) for ref in node.arguments]
        init = [values[ref.call][ref.output] for ref in node.init]
        if layer.takes_several():
            x, mask = arguments, masks
        else:  # Keras hands a call its tensor's mask, but none when it has initial states too
            x, mask = arguments[0], None if init else masks[0]
        run = LAYERS[type(layer)]
        output = run(layer, arrays[node.name], x, mask, progress, initial=init) if init else \
            run(layer, arrays[node.name], x, mask, progress)  # fmt: skip
        values.append(output if isinstance(output, list) else [output])
        if observe:
            observe(rows[node.name], values[-1][0])
    outputs = [_batch_first(values[ref.call][ref.output]) for ref in summary.outputs]
    return outputs[0] if len(outputs) == 1 else outputs


def _mask_value(values: list, ref) -> np.ndarray | None:
    """A mask tensor's value, batch last, or None."""
    if ref is None:
        return None
    return values[ref.call][ref.output] if values[ref.call] is not None else None


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
    """Batch first (Keras's layout) to batch last (this module's), as a view."""
    return np.moveaxis(x, 0, -1)


def _batch_first(x: np.ndarray) -> np.ndarray:
    """Batch last to batch first, as a view."""
    return np.moveaxis(x, -1, 0)


def _project(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """kernel^T @ x + bias: (T, D, B) -> (T, N, B), or (D, B) -> (N, B)."""
    y = np.matmul(np.ascontiguousarray(kernel.T), x)
    if bias is not None:
        y += bias[:, None]
    return y


def _projected(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None, backwards: bool,
               progress: Progress | None, parts: tuple[slice, ...] = ()) -> Iterator[tuple]:  # fmt: skip
    """(t, z, *z[part] for each of ``parts``), z = kernel^T @ x[t] + bias, for
    every step t, in the order a recurrent layer reads them: (T, D, B) -> (N, B)
    each. The steps are projected a block at a time (``kinds.projection_block``,
    progress reported after each) into one buffer that every block reuses: the
    block's product runs at full speed, its bias is added while it is in cache,
    and the loop, which updates each step's z in place, works on memory that is
    already mapped and cached rather than on a (T, N, B) array it would fault in
    page by page. The views of each slot of the buffer (its gate blocks, as
    ``parts`` asks) are made once, not at every step."""
    steps, features, batch = x.shape
    kernel_t = np.ascontiguousarray(kernel.T)
    block = max(1, min(steps, projection_block(batch, features, kernel_t.shape[0])))
    buffer = np.empty((block, kernel_t.shape[0], batch), np.result_type(kernel_t, x))
    slots = [(z, *(z[part] for part in parts)) for z in buffer]
    column = _column(bias, buffer.dtype)
    for first in range(0, steps, block):
        start, stop = (max(0, steps - first - block), steps - first) if backwards else \
            (first, min(steps, first + block))  # fmt: skip
        projected = buffer[: stop - start]
        np.matmul(kernel_t, x[start:stop], out=projected)
        if column is not None:
            projected += column
        if progress:
            progress()
        for t in range(stop - 1, start - 1, -1) if backwards else range(start, stop):
            yield (t, *slots[t - start])


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
    """For each time step of a recurrent layer, the samples whose step is
    masked (None: no sample is)."""

    def __init__(self, timesteps: int, mask: np.ndarray | None):
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


def _start(initial: list | None, number: int, shape: tuple, dtype) -> np.ndarray:
    """A state to start from: the given initial state (copied, in the run's
    dtype: the loop writes into it), or zeros."""
    if initial is None or number >= len(initial):
        return np.zeros(shape, dtype)
    return np.array(initial[number], dtype=dtype)  # (units, batch): batch last, as the states are


def simple_rnn(layer: SimpleRNN, arrays, x, mask=None, progress=None, zero_masked=False, initial=None):
    """h[t] = act(x[t] @ kernel + bias + h[t-1] @ recurrent_kernel)"""
    kernel, recurrent_kernel, bias = (arrays + [None])[:3]
    units = recurrent_kernel.shape[0]
    act = ACTIVATIONS[layer.activation]
    recurrent_kernel = np.ascontiguousarray(recurrent_kernel.T)
    batch, dtype = x.shape[2], np.result_type(kernel, x)
    H = np.empty((len(x), units, batch), dtype) if layer.return_sequences else None
    h = _start(initial, 0, (units, batch), dtype)
    recurrent = np.empty_like(h)
    steps = _Steps(len(x), mask)
    with np.errstate(over="ignore", invalid="ignore"):  # as in Keras, inf from an overflow, then nan, silently
        for t, z in _projected(x, kernel, bias, layer.go_backwards, progress):  # z = x[t] @ W + b
            np.matmul(recurrent_kernel, h, out=recurrent)
            masked = steps.masked[t]
            if masked is not None:
                saved = _save([h], masked)
            z += recurrent
            if H is not None:
                h = H[t]
            act(z, out=h)
            if masked is not None:
                _keep_masked([h], saved, masked)
            if progress:
                progress()
    return _result(layer, H, [h], mask, zero_masked)


def lstm(layer: LSTM, arrays, x, mask=None, progress=None, zero_masked=False, initial=None):
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
    recurrent_kernel = np.ascontiguousarray(recurrent_kernel.T)
    batch, dtype = x.shape[2], np.result_type(kernel, x)
    H = np.empty((len(x), units, batch), dtype) if layer.return_sequences else None
    h, c = _start(initial, 0, (units, batch), dtype), _start(initial, 1, (units, batch), dtype)
    recurrent = np.empty((4 * units, batch), dtype)
    steps = _Steps(len(x), mask)
    blocks = (slice(0, 3 * units), *(slice(k * units, (k + 1) * units) for k in range(4)))
    # A gate's exp overflows to inf (the gate is 0); an overflowing state is inf,
    # then nan: silently, as in Keras.
    with np.errstate(over="ignore", invalid="ignore"):
        for t, z, gates, i, f, o, g in _projected(x, kernel, bias, layer.go_backwards, progress, blocks):
            # z = x[t] @ W + b, updated in place; gates = its i, f, o blocks
            np.matmul(recurrent_kernel, h, out=recurrent)
            z += recurrent
            gate(gates, out=gates)
            act(g, out=g)
            masked = steps.masked[t]
            if masked is not None:
                saved = _save([h, c], masked)
            c *= f
            g *= i
            c += g
            if H is not None:
                h = H[t]
            act(c, out=h)
            h *= o
            if masked is not None:
                _keep_masked([h, c], saved, masked)
            if progress:
                progress()
    return _result(layer, H, [h, c], mask, zero_masked)


def gru(layer: GRU, arrays, x, mask=None, progress=None, zero_masked=False, initial=None):
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
    # The biases outside r * (...) are added to the input projection, a block of
    # steps at a time: the z and r blocks of both biases and the h block of the
    # input one (reset_after=False has that one bias only); the recurrent bias's
    # h block is added per step, inside r * (...).
    projection_bias = recurrent_bias_h = None
    if bias is not None and layer.reset_after:
        input_bias, recurrent_bias = bias[0], bias[1]
        projection_bias = np.r_[input_bias[: 2 * units] + recurrent_bias[: 2 * units], input_bias[2 * units :]]
        recurrent_bias_h = _column(recurrent_bias[2 * units :], np.result_type(kernel, x))
    elif bias is not None:
        projection_bias = bias
    batch, dtype = x.shape[2], np.result_type(kernel, x)
    H = np.empty((len(x), units, batch), dtype) if layer.return_sequences else None
    h = _start(initial, 0, (units, batch), dtype)
    if layer.reset_after:
        recurrent_kernel = np.ascontiguousarray(recurrent_kernel.T)
        recurrent = np.empty((3 * units, batch), dtype)
    else:
        kernel_zr = np.ascontiguousarray(recurrent_kernel[:, : 2 * units].T)
        kernel_h = np.ascontiguousarray(recurrent_kernel[:, 2 * units :].T)
        recurrent = np.empty((2 * units, batch), dtype)
        reset_state, recurrent_h = np.empty_like(h), np.empty_like(h)
    steps = _Steps(len(x), mask)
    blocks = (slice(0, 2 * units), slice(2 * units, None), slice(0, units), slice(units, 2 * units))
    # A gate's exp overflows to inf (the gate is 0); an overflowing state is inf,
    # then nan: silently, as in Keras.
    with np.errstate(over="ignore", invalid="ignore"):
        for t, _, zr, hh, z, r in _projected(x, kernel, projection_bias, layer.go_backwards, progress, blocks):
            # zr, hh: the z and r blocks, and the h block, of x[t] @ W + bias, updated in place
            if layer.reset_after:
                np.matmul(recurrent_kernel, h, out=recurrent)
                zr += recurrent[: 2 * units]
                gate(zr, out=zr)
                recurrent_h = recurrent[2 * units :]
                if recurrent_bias_h is not None:
                    recurrent_h += recurrent_bias_h
                recurrent_h *= r
            else:
                np.matmul(kernel_zr, h, out=recurrent)
                zr += recurrent
                gate(zr, out=zr)
                np.multiply(r, h, out=reset_state)
                np.matmul(kernel_h, reset_state, out=recurrent_h)
            hh += recurrent_h
            act(hh, out=hh)
            masked = steps.masked[t]
            if masked is not None:
                saved = _save([h], masked)
            # Keras's z * h + (1 - z) * hh, as h + (1 - z) * (hh - h): three passes.
            # Where hh overflows it is inf, as in Keras (hh + z * (h - hh) would be
            # inf - inf = nan).
            update = z if complemented else np.subtract(1, z, out=z)  # 1 - z
            np.subtract(hh, h, out=hh)
            hh *= update
            previous = h
            if H is not None:
                h = H[t]
            np.add(previous, hh, out=h)
            if masked is not None:
                _keep_masked([h], saved, masked)
            if progress:
                progress()
    return _result(layer, H, [h], mask, zero_masked)


CELLS = {SimpleRNN: simple_rnn, LSTM: lstm, GRU: gru}


def recurrent(layer, arrays, x, mask=None, progress=None, initial=None):
    """A recurrent layer: its output, and with return_state its final states
    after it; ``initial``: its initial states, if it is given them."""
    output, states = CELLS[type(layer)](layer, arrays, x, mask, progress, initial=initial)
    return [output, *states] if layer.return_state else output


def bidirectional(layer: Bidirectional, arrays, x, mask=None, progress=None, initial=None):
    """Keras's Bidirectional: the backward copy reads the sequence from its end;
    with return_sequences its output is flipped back into time order, so both
    directions line up at each t, then merged (merge_mode None: both returned).
    With return_state the forward states follow, then the backward ones; the
    initial states are the forward copy's, then the backward one's."""
    half = len(arrays) // 2
    cell = layer.layer
    run_cell = CELLS[type(cell)]
    zero_masked = cell.return_sequences  # Keras sets zero_output_for_mask on both copies
    states = len(initial) // 2 if initial else 0
    forward_out, forward_states = run_cell(cell, arrays[:half], x, mask, progress, zero_masked,
                                           initial=initial[:states] if initial else None)  # fmt: skip
    backward_out, backward_states = run_cell(cell.replace(go_backwards=True), arrays[half:], x, mask, progress,
                                             zero_masked, initial=initial[states:] if initial else None)  # fmt: skip
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
    """Rows of the table for ids (timesteps, batch), laid out (timesteps, features, batch).
    Ids that come as floats are cast to integers first, as Keras casts them."""
    return np.ascontiguousarray(np.moveaxis(arrays[0][ids.astype(np.intp, copy=False)], -1, -2))


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


# Graphs: the masks' operations, merges, reshaping, attention ------------------------
#
# A tensor of any rank is kept batch last: Keras's (batch, d1, ..., dk) as
# (d1, ..., dk, batch), which for sequences is the (T, F, B) layout above.
# Keras's axis a (counting the batch) is axis a - 1 here.


def _axis(axis: int, ndim: int) -> int:
    """Keras's axis of a batch-first tensor of ``ndim`` dims, in the batch-last layout."""
    return axis % ndim - 1


OPERATIONS: dict[str, Callable] = {
    "NotEqual": lambda op, x: np.not_equal(x[0], op.argument),
    "Any": lambda op, x: x[0].any(axis=_axis(op.argument, x[0].ndim)),
    "LogicalOr": lambda op, x: np.logical_or(x[0], x[1]),
    "ConvertToTensor": lambda op, x: x[0],
    "OnesLike": lambda op, x: np.ones(x[0].shape, bool),
    "ZerosLike": lambda op, x: np.zeros(x[0].shape, bool),
    "ExpandDims": lambda op, x: np.expand_dims(x[0], _axis(op.argument, x[0].ndim + 1)),
    "Concatenate": lambda op, x: np.concatenate(x, axis=_axis(op.argument, x[0].ndim)),
}


def _keras_mask(mask: np.ndarray | None, x: np.ndarray) -> np.ndarray | None:
    """A (steps, batch) mask broadcast to a batch-last tensor's shape, as Keras
    expands a mask over the features."""
    return None if mask is None else np.broadcast_to(np.expand_dims(mask, -2), x.shape)


def merge(layer: Merge, arrays, x: list, mask=None, progress=None):
    """Keras's elementwise merges. Maximum and Minimum take the masks in: where
    one input is masked, the other's value is taken (Keras's _apply_merge_op_and_or_mask);
    Multiply reads a masked step as 1, and where every input has a mask, the
    steps that all of them mask give 0."""
    if isinstance(layer, Multiply):
        masks = [_keras_mask(one, tensor) for one, tensor in zip(mask or [None] * len(x), x)]
        output = output_mask = None
        for tensor, one_mask in zip(x, masks):
            if one_mask is not None:
                tensor = np.where(one_mask, tensor, np.asarray(1, tensor.dtype))
                output_mask = one_mask if output_mask is None else np.logical_or(output_mask, one_mask)
            output = tensor if output is None else output * tensor
        if all(one is not None for one in masks):
            output = np.where(output_mask, output, np.asarray(0, output.dtype))
        return output
    if isinstance(layer, (Maximum, Minimum)):
        operation = np.maximum if isinstance(layer, Maximum) else np.minimum
        output = output_mask = None
        for tensor, one_mask in zip(x, mask or [None] * len(x)):
            one_mask = _keras_mask(one_mask, tensor)
            if output is None:
                output, output_mask = tensor, one_mask
                continue
            if one_mask is not None:
                tensor = np.where(one_mask, tensor, output)
            if output_mask is not None:
                output = np.where(output_mask, output, tensor)
            output_mask = np.logical_or(output_mask, one_mask) if one_mask is not None and output_mask is not None \
                else None  # fmt: skip
            output = operation(output, tensor)
        return output
    output = x[0]
    for tensor in x[1:]:
        if isinstance(layer, Subtract):
            output = output - tensor
        else:
            output = output + tensor
    return output / len(x) if isinstance(layer, Average) else output


def concatenate(layer: Concatenate, arrays, x: list, mask=None, progress=None):
    return np.concatenate(x, axis=_axis(layer.axis, x[0].ndim))


def reshape(layer: Reshape, arrays, x, mask=None, progress=None):
    """Keras's Reshape: the values of each sample, in order, in the target shape."""
    batch = x.shape[-1]
    return _features_first(np.ascontiguousarray(_batch_first(x)).reshape((batch,) + layer.target_shape))


def permute(layer: Permute, arrays, x, mask=None, progress=None):
    return x.transpose(tuple(dim - 1 for dim in layer.dims) + (x.ndim - 1,))


def leaky_relu_layer(layer: LeakyReLU, arrays, x, mask=None, progress=None):
    return np.where(x >= 0, x, layer.negative_slope * x)


def prelu(layer: PReLU, arrays, x, mask=None, progress=None):
    """relu(x) - alpha · relu(-x), a slope per value of a sample."""
    alpha = arrays[0][..., None]
    return np.maximum(x, 0) - alpha * np.maximum(-x, 0)


def softmax_layer(layer: Softmax, arrays, x, mask=None, progress=None):
    """Keras's Softmax layer: masked positions get -1e9 before, and 0 after.
    Keras broadcasts the mask against the input batch first, aligned on the
    last axis (as NumPy does): a (batch, steps) mask meets the input's last two axes."""
    axis = _axis(layer.axis, x.ndim)
    full = None
    if mask is not None:
        try:
            full = _features_first(np.broadcast_to(_batch_first(mask), _batch_first(x).shape))
        except ValueError:
            raise InputError(f"Keras's Softmax cannot broadcast its mask of {_batch_first(mask).shape} to its input "
                             f"of {_batch_first(x).shape}, and fails when it runs") from None
        x = np.where(full, x, np.asarray(-1e9, x.dtype))
    y = x - x.max(axis=axis, keepdims=True)
    np.exp(y, out=y)
    y /= y.sum(axis=axis, keepdims=True)
    return y if full is None else np.where(full, y, np.asarray(0, y.dtype))


def dot(layer: Dot, arrays, x: list, mask=None, progress=None):
    """Keras's batch_dot of two samples along the layer's axes (optionally L2-normalised)."""
    first, second = (_batch_first(one) for one in x)
    axes = layer._axes(first.shape, second.shape)
    axes = (axes[0] % first.ndim, axes[1] % second.ndim)
    if layer.normalize:
        first, second = (_l2_normalize(one, axis) for one, axis in zip((first, second), axes))
    letters = "abcdefghijklmnopqrstuvwxyz"
    one = ["z"] + list(letters[: first.ndim - 1])
    other = ["z"] + list(letters[first.ndim - 1 : first.ndim + second.ndim - 2])
    other[axes[1]] = one[axes[0]]
    kept = [letter for number, letter in enumerate(one) if number != axes[0]]
    kept += [letter for number, letter in enumerate(other) if number not in (0, axes[1])]
    y = np.einsum(f"{''.join(one)},{''.join(other)}->{''.join(kept)}", first, second)
    if y.ndim == 1:
        y = y[:, None]
    return _features_first(y)


def _l2_normalize(x: np.ndarray, axis: int) -> np.ndarray:
    """x · min(1 / sqrt(Σ x²), 1 / epsilon), as Keras normalises (epsilon 1e-7)."""
    with np.errstate(divide="ignore"):
        inverse = 1 / np.sqrt(np.sum(np.square(x), axis=axis, keepdims=True))
    return x * np.minimum(inverse, np.asarray(1e7, x.dtype))


def attention(layer: Attention, arrays, x: list, mask=None, progress=None):
    """Keras's Attention and AdditiveAttention, batch first: scores of each
    query step against each key step, the value's masked steps at -1e9,
    softmax over them, the weighted sum of the values; masked query steps give 0."""
    query, value = _batch_first(x[0]), _batch_first(x[1])
    key = _batch_first(x[2]) if len(x) > 2 else value
    masks = list(mask or []) + [None] * 3
    query_mask, value_mask = masks[0], masks[1]
    weights = list(arrays)
    if isinstance(layer, AdditiveAttention):
        scale = weights[0] if layer.use_scale else 1.0
        scores = np.sum(scale * np.tanh(query[:, :, None, :] + key[:, None, :, :]), axis=-1)
    elif layer.score_mode == "dot":
        scores = np.matmul(query, np.swapaxes(key, -2, -1))
        if layer.use_scale:
            scores = scores * weights[0]
    else:
        scale = weights[0] if layer.use_scale else None
        combined = query[:, :, None, :] + key[:, None, :, :]
        scores = weights[-1] * np.sum(np.tanh(combined if scale is None else scale * combined), axis=-1)
    if value_mask is not None:
        padding = ~value_mask.T[:, None, :]  # (batch, 1, Tv)
        scores = np.where(padding, scores - np.asarray(1e9, scores.dtype), scores)
    scores = scores - scores.max(axis=-1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=-1, keepdims=True)
    y = np.matmul(scores, value)
    if query_mask is not None:
        y = np.where(query_mask.T[:, :, None], y, np.asarray(0, y.dtype))
    return _features_first(y)


def multi_head_attention(layer: MultiHeadAttention, arrays, x: list, mask=None, progress=None):
    """Keras's MultiHeadAttention on (batch, steps, features) tensors: per head,
    softmax(Q · Kᵀ / sqrt(key_dim)) · V, masked where the query's or the
    value's (key's) step is; then the output projection."""
    query, value = _batch_first(x[0]), _batch_first(x[1])
    key = _batch_first(x[2]) if len(x) > 2 else value
    masks = list(mask or []) + [None] * 3
    weights = list(arrays)
    step = 2 if layer.use_bias else 1

    def project(tensor, number):
        kernel = weights[number * step]
        y = np.einsum("btd,dhk->bthk", tensor, kernel)
        return y + weights[number * step + 1] if layer.use_bias else y

    q, k, v = project(query, 0), project(key, 1), project(value, 2)
    scores = np.einsum("bshk,bthk->bhts", k, q / np.sqrt(np.asarray(layer.key_dim, q.dtype)))
    allowed = None
    query_mask, value_mask, key_mask = masks[0], masks[1], masks[2] if len(x) > 2 else masks[1]
    if query_mask is not None or value_mask is not None or key_mask is not None:
        batch, tq, tv = query.shape[0], query.shape[1], key.shape[1]
        allowed = np.ones((batch, tq, tv), bool)
        if query_mask is not None:
            allowed &= query_mask.T[:, :, None]
        if value_mask is not None:
            allowed &= value_mask.T[:, None, :]
        if key_mask is not None and len(x) > 2:
            allowed &= key_mask.T[:, None, :]
        scores = np.where(allowed[:, None], scores, np.asarray(np.finfo(scores.dtype).min * 0.7, scores.dtype))
    scores = scores - scores.max(axis=-1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=-1, keepdims=True)
    heads = np.einsum("bhts,bshv->bthv", scores, v)
    y = np.einsum("bthv,hvo->bto", heads, weights[3 * step])
    if layer.use_bias:
        y = y + weights[3 * step + 1]
    return _features_first(y)


def rnn(layer: RNN, arrays, x, mask=None, progress=None, initial=None):
    """Keras's RNN over a cell: the recurrent layer it is."""
    return recurrent(layer.layer, arrays, x, mask, progress, initial)


LAYERS = {
    SimpleRNN: recurrent, LSTM: recurrent, GRU: recurrent, Bidirectional: bidirectional,
    Dense: dense, TimeDistributed: time_distributed, Embedding: embedding,
    Conv1D: conv1d, MaxPooling1D: max_pooling1d, AveragePooling1D: average_pooling1d,
    GlobalMaxPooling1D: global_max_pooling1d, GlobalAveragePooling1D: global_average_pooling1d,
    Flatten: flatten, RepeatVector: repeat_vector, BatchNormalization: batch_normalization,
    LayerNormalization: layer_normalization, Activation: activation, Masking: masking,
    Dropout: identity, SpatialDropout1D: identity, GaussianNoise: identity,
    Add: merge, Subtract: merge, Multiply: merge, Average: merge, Maximum: merge, Minimum: merge,
    Concatenate: concatenate, Reshape: reshape, Permute: permute, ReLU: activation, LeakyReLU: leaky_relu_layer,
    ELU: activation, PReLU: prelu, Softmax: softmax_layer, Dot: dot, Attention: attention,
    AdditiveAttention: attention, MultiHeadAttention: multi_head_attention, RNN: rnn,
}  # fmt: skip


def run_memory_bytes(summary: Summary, itemsize: int) -> int:
    """An upper estimate of the bytes a forward pass holds at its peak, from the
    concrete shapes alone (no batch or time dim may be None): the weights (and
    the reordered copies the cells make of theirs), the input, and for the
    busiest layer its input, its working buffers and its outputs (twice: the
    result and the buffer it is computed in)."""
    elements = 2 * summary.total_params + sum(math.prod(shape) for shape in summary.input_shapes)
    # A graph keeps every tensor a later call reads: at most all of them at once.
    kept = sum(math.prod(shape) for node in summary.nodes for shape in node.outputs) if not summary.sequential else 0
    peak = 0
    for row in summary.layers:
        for shape in row.input_shapes:
            inputs = sum(map(math.prod, shape)) if isinstance(shape, list) else math.prod(shape)
            outputs = sum(math.prod(one) for one in row.outputs)
            working = row.spec.layer.working_elements(shape)
            peak = max(peak, inputs + working + 2 * outputs)
    return (elements + kept + peak) * itemsize
