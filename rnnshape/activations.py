"""Keras 3's activations in NumPy, by the names ``act=`` takes.

Each function is ``f(x, out) -> out``: it reads ``x`` and writes ``out``, which
may be ``x`` itself, so the time loop can activate its buffers in place without
allocating. Arrays are laid out as the forward pass keeps them, features before
batch: ``(features, batch)`` or ``(timesteps, features, batch)``, so ``softmax``
and ``log_softmax`` normalise over axis -2, the features, as Keras's do over its
last axis. Constants follow Keras 3 (``keras.activations``) as its backends
compute them: ``leaky_relu`` has slope 0.2, ``gelu`` is the exact (erf) form,
``hard_sigmoid`` is ``relu6(x + 3) / 6``, the shrinks use 0.5 and ``squareplus``
uses b = 4.
"""


from __future__ import annotations

import math
from typing import Callable

import numpy as np

FEATURES = -2  # the feature axis of the forward pass's layout
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def linear(x, out):
    if out is not x:
        np.copyto(out, x)
    return out


def tanh(x, out):
    return np.tanh(x, out=out)


def sigmoid(x, out):
    # 1 / (1 + exp(-x)) in four in-place passes; exp overflows to inf for very
    # negative x, which correctly gives 0.
    np.negative(x, out=out)
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


def sigmoid_of_negated(x, out):
    """sigmoid(-x) = 1 / (1 + exp(x)): the recurrent cells' gate activation.

    The cells negate their gate weights once (exactly), so each time step gets
    its gates in three passes (exp, +1, reciprocal) without a negation pass.
    Unlike (1 + tanh(x / 2)) / 2, every pass keeps float32's relative precision,
    so a nearly closed gate (1e-6) is as exact as an open one, as in Keras.
    Where exp overflows the gate is 0, as it must be; the cells call this with
    numpy's overflow warning off for their whole loop (``np.errstate`` costs a
    microsecond, a tenth of a small layer's step)."""
    np.exp(x, out=out)
    out += 1
    return np.reciprocal(out, out=out)


def relu(x, out):
    return np.maximum(x, 0, out=out)


def relu6(x, out):
    return np.clip(x, 0, 6, out=out)


def hard_sigmoid(x, out):
    np.add(x, 3, out=out)
    np.clip(out, 0, 6, out=out)
    out /= 6
    return out


def hard_silu(x, out):
    gate = hard_sigmoid(x, np.empty_like(x))
    return np.multiply(x, gate, out=out)


def hard_tanh(x, out):
    return np.clip(x, -1, 1, out=out)


def leaky_relu(x, out):
    np.copyto(out, np.where(x >= 0, x, 0.2 * x))
    return out


def elu(x, out):
    with np.errstate(over="ignore"):
        np.copyto(out, np.where(x > 0, x, np.expm1(np.minimum(x, 0))))
    return out


def selu(x, out):
    np.copyto(out, SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0))))
    return out


def celu(x, out):
    np.copyto(out, np.maximum(x, 0) + np.minimum(0, np.expm1(np.minimum(x, 0))))
    return out


def softplus(x, out):
    return np.logaddexp(0, x, out=out)


def log_sigmoid(x, out):
    np.negative(x, out=out)
    np.logaddexp(0, out, out=out)
    return np.negative(out, out=out)


def softsign(x, out):
    np.copyto(out, x / (1 + np.abs(x)))
    return out


def silu(x, out):
    gate = sigmoid(x, np.empty_like(x))
    return np.multiply(x, gate, out=out)


def mish(x, out):
    np.copyto(out, x * np.tanh(np.logaddexp(0, x)))
    return out


def exponential(x, out):
    with np.errstate(over="ignore"):
        return np.exp(x, out=out)


def gelu(x, out):
    # The exact form Keras's activation uses: x/2 (1 + erf(x / sqrt 2)), written
    # with erfc so that it keeps its precision for very negative x.
    wide = x.astype(np.float64)
    np.copyto(out, 0.5 * wide * erfc(-wide / math.sqrt(2)), casting="same_kind")
    return out


def softmax(x, out):
    np.subtract(x, x.max(axis=FEATURES, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=FEATURES, keepdims=True)
    return out


def log_softmax(x, out):
    np.subtract(x, x.max(axis=FEATURES, keepdims=True), out=out)
    out -= np.log(np.exp(out).sum(axis=FEATURES, keepdims=True))
    return out


def hard_shrink(x, out):
    np.copyto(out, np.where(np.abs(x) > 0.5, x, 0))
    return out


def soft_shrink(x, out):
    np.copyto(out, np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0)))
    return out


def sparse_plus(x, out):
    np.copyto(out, np.where(x <= -1, 0, np.where(x < 1, 0.25 * (x + 1) ** 2, x)))
    return out


def sparse_sigmoid(x, out):
    np.copyto(out, np.where(x <= -1, 0, np.where(x >= 1, 1, 0.5 * (x + 1))))
    return out


def squareplus(x, out):
    np.copyto(out, (x + np.sqrt(x * x + 4)) / 2)
    return out


def sparsemax(x, out):
    # Keras 3's formula, over the feature axis, in every backend: the support is
    # the sorted entries z_j with 1 + j z_j > sum of the first j, as in Martins &
    # Astudillo (2016), but tau is (the sum of the support's running sums - 1) / k,
    # where the paper has (the k-th running sum - 1) / k. The two agree when the
    # support is one entry; otherwise Keras's output does not sum to 1. rnnshape
    # computes what Keras computes.
    wide = np.moveaxis(x.astype(np.float64), FEATURES, -1)
    ranked = -np.sort(-wide, axis=-1)
    positions = np.arange(1, wide.shape[-1] + 1)
    running = np.cumsum(ranked, axis=-1)
    support = ranked - (running - 1) / positions > 0
    size = support.sum(axis=-1, keepdims=True)
    tau = (np.where(support, running, 0).sum(axis=-1, keepdims=True) - 1) / size
    np.copyto(out, np.moveaxis(np.maximum(wide - tau, 0), -1, FEATURES), casting="same_kind")
    return out


def tanh_shrink(x, out):
    np.copyto(out, x - np.tanh(x))
    return out


ACTIVATIONS = {
    "celu": celu, "elu": elu, "exponential": exponential, "gelu": gelu, "hard_shrink": hard_shrink,
    "hard_sigmoid": hard_sigmoid, "hard_silu": hard_silu, "hard_swish": hard_silu, "hard_tanh": hard_tanh,
    "leaky_relu": leaky_relu, "linear": linear, "log_sigmoid": log_sigmoid, "log_softmax": log_softmax,
    "mish": mish, "relu": relu, "relu6": relu6, "selu": selu, "sigmoid": sigmoid, "silu": silu,
    "soft_shrink": soft_shrink, "softmax": softmax, "softplus": softplus, "softsign": softsign,
    "sparse_plus": sparse_plus, "sparse_sigmoid": sparse_sigmoid, "sparsemax": sparsemax, "squareplus": squareplus,
    "swish": silu,
    "tanh": tanh, "tanh_shrink": tanh_shrink,
}  # fmt: skip


# The activations that normalise a whole vector rather than act on each number:
# a gate block must get them one gate at a time.
PER_VECTOR = frozenset({"softmax", "log_softmax", "sparsemax"})


def gate_activation(name: str) -> tuple[float, Callable]:
    """(weight scale, function) for a recurrent cell's gates: the cells multiply
    their gate weights by the scale once, then apply the function each step."""
    if name == "sigmoid":
        return -1.0, sigmoid_of_negated
    return 1.0, ACTIVATIONS[name]


# erfc, which NumPy lacks: a Maclaurin series of erf near 0, and the continued
# fraction of erfc further out, where the series would lose digits to
# cancellation and where erfc itself must keep its relative precision.
_SERIES_LIMIT = 2.0
_SERIES = [(-1) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(40)]
_FRACTION_TERMS = 120


def erfc(x: np.ndarray) -> np.ndarray:
    """The complementary error function in float64, to about 1e-14 relative."""
    x = np.asarray(x, dtype=np.float64)
    result = np.empty_like(x)
    near = np.abs(x) < _SERIES_LIMIT
    small = x[near]
    square = small * small
    total = np.zeros_like(small)
    for coefficient in reversed(_SERIES):
        total = total * square + coefficient
    result[near] = 1 - 2 / math.sqrt(math.pi) * small * total
    far = np.abs(x[~near])
    # erfc(a) = exp(-a^2) / sqrt(pi) / (a + (1/2) / (a + 1 / (a + (3/2) / (a + ...)))), a > 0
    fraction = far.copy()
    for k in range(_FRACTION_TERMS, 0, -1):
        fraction = far + (k / 2) / fraction
    tail = np.exp(-far * far) / math.sqrt(math.pi) / fraction
    result[~near] = np.where(x[~near] > 0, tail, 2 - tail)
    return result
