"""The code of rnnshape's generated PyTorch modules, where PyTorch has no exact
equivalent of a Keras computation: activations with Keras's arguments, Keras's
"same" padding and pooling, a frozen BatchNormalization, noise, and KerasRNN,
Keras's recurrent layers with masks, other activations, dropout and states;
and the graph's pieces: merges with masks, attention and multi-head attention.

This is a real module: tests import it and run it against rnnshape's NumPy
forward pass where PyTorch is installed, and lint it everywhere. rnnshape never
imports it: the generator (``rnnshape.pytorch``) copies the source of each
definition a model needs into the module it writes, so that module stands alone.
Every definition is top level and uses only the imports below, other
definitions of this module (the generator copies those too), and Python's
builtins.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn


def linear(x):
    """Keras's "linear" activation: the identity."""
    return x


def leaky_relu(x):
    """Keras's leaky_relu, whose slope is 0.2 (PyTorch's default is 0.01)."""
    return F.leaky_relu(x, 0.2)


def softmax(x):
    """Keras's softmax: over the last axis."""
    return torch.softmax(x, -1)


def log_softmax(x):
    """Keras's log_softmax: over the last axis."""
    return torch.log_softmax(x, -1)


def sparse_plus(x):
    """Keras's sparse_plus: 0 up to -1, (x + 1)^2 / 4 up to 1, then x."""
    return torch.where(x <= -1, 0.0, torch.where(x >= 1, x, 0.25 * (x + 1) ** 2))


def sparse_sigmoid(x):
    """Keras's sparse_sigmoid: 0 up to -1, (x + 1) / 2 up to 1, then 1."""
    return torch.where(x <= -1, 0.0, torch.where(x >= 1, 1.0, 0.5 * (x + 1)))


def squareplus(x):
    """Keras's squareplus, with b = 4."""
    return (x + torch.sqrt(x * x + 4)) / 2


def sparsemax(x):
    """Keras 3's sparsemax over the last axis, as Keras computes it: its
    threshold is (the sum of the support's running sums - 1) / k, where the
    paper (Martins & Astudillo, 2016) has (the k-th running sum - 1) / k."""
    ranked = torch.sort(x, -1, descending=True).values
    running = torch.cumsum(ranked, -1)
    positions = torch.arange(1, x.shape[-1] + 1, dtype=x.dtype, device=x.device)
    support = ranked - (running - 1) / positions > 0
    tau = (torch.where(support, running, 0.0).sum(-1, keepdim=True) - 1) / support.sum(-1, keepdim=True)
    return torch.clamp(x - tau, min=0)


def pad_same(x, window, stride, dilation=1, value=0.0):
    """Keras's "same" padding of a (batch, channels, steps) input: enough steps
    that every stride-th step starts a window, split around the input, the odd
    one after (PyTorch's padding="same" does this for a stride of 1 only)."""
    steps = x.shape[-1]
    span = dilation * (window - 1) + 1
    total = max(0, (-(-steps // stride) - 1) * stride + span - steps)
    return F.pad(x, (total // 2, total - total // 2), value=value)


def average_pool_same(x, pool, stride):
    """Keras's AveragePooling1D(padding="same") on (batch, channels, steps): each
    window's mean over its real steps only, as Keras's TensorFlow and JAX
    backends compute it (the padding adds nothing to a window's sum or count)."""
    real = pad_same(torch.ones_like(x[:1, :1]), pool, stride)
    return F.avg_pool1d(pad_same(x, pool, stride), pool, stride) / F.avg_pool1d(real, pool, stride)


class FrozenBatchNorm1d(nn.BatchNorm1d):
    """A frozen Keras BatchNormalization: it normalises with its moving
    statistics even in training, as Keras's does when trainable is False."""

    def forward(self, x):
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, eps=self.eps)


class GaussianNoise(nn.Module):
    """Keras's GaussianNoise: adds zero-mean noise of the given stddev in training only."""

    def __init__(self, stddev):
        super().__init__()
        self.stddev = stddev

    def forward(self, x):
        return x + self.stddev * torch.randn_like(x) if self.training else x


def project(x, weight, bias=None, masks=None):
    """x @ weight.T + bias. With dropout masks (Keras's, in training), x is
    multiplied by a mask first: one mask for every gate, or one per gate block
    of the weight."""
    if masks is None:
        return F.linear(x, weight, bias)
    if len(masks) == 1:
        return F.linear(x * masks[0], weight, bias)
    blocks = [F.linear(x * mask, block) for mask, block in zip(masks, weight.chunk(len(masks)))]
    return torch.cat(blocks, -1) if bias is None else torch.cat(blocks, -1) + bias


class KerasRNN(nn.Module):
    """A Keras SimpleRNN, LSTM or GRU layer, as Keras computes it, where PyTorch's
    nn.RNN, nn.LSTM and nn.GRU are not exact: other activations, GRU's
    reset_after=False, masks (Keras skips padding anywhere in a sequence: a
    masked step keeps the states and repeats the previous output, or gives
    zeros inside Bidirectional), dropout (Keras's: one mask for every step of
    a sequence) and stateful layers.

    Its parameters are named, shaped and ordered as those modules' (gates
    i, f, g, o for an LSTM, r, z, n for a GRU; weights (gates * units, inputs)),
    so converted weights fit both, and it returns what they return: (output,
    h_n), or (output, (h_n, c_n)) for an LSTM."""

    GATES = {"rnn": 1, "lstm": 4, "gru": 3}

    def __init__(self, mode, input_size, hidden_size, bias=True, bidirectional=False, activation=torch.tanh,
                 recurrent_activation=torch.sigmoid, reset_after=True, dropout=0.0, recurrent_dropout=0.0,
                 stateful=False):
        super().__init__()
        self.mode, self.hidden_size, self.bidirectional = mode, hidden_size, bidirectional
        self.activation, self.recurrent_activation, self.reset_after = activation, recurrent_activation, reset_after
        self.dropout, self.recurrent_dropout, self.stateful = dropout, recurrent_dropout, stateful
        self.states = None  # a stateful layer's final states, where its next batch starts
        width = self.GATES[mode] * hidden_size
        for suffix in self.directions():
            self.register_parameter("weight_ih_l0" + suffix, nn.Parameter(torch.empty(width, input_size)))
            self.register_parameter("weight_hh_l0" + suffix, nn.Parameter(torch.empty(width, hidden_size)))
            if bias:
                self.register_parameter("bias_ih_l0" + suffix, nn.Parameter(torch.empty(width)))
                self.register_parameter("bias_hh_l0" + suffix, nn.Parameter(torch.empty(width)))
        bound = 1 / math.sqrt(hidden_size)  # as PyTorch initialises its recurrent modules
        for parameter in self.parameters():
            nn.init.uniform_(parameter, -bound, bound)

    def directions(self):
        return ("", "_reverse") if self.bidirectional else ("",)

    def reset_states(self):
        """Start the next batch from zeros (a stateful layer's Keras reset_states())."""
        self.states = None

    def forward(self, x, mask=None, hx=None):
        """x: (batch, steps, features); mask: (batch, steps), True where a step
        is data; hx: the initial states as PyTorch's modules take them, h_0, or
        (h_0, c_0) for an LSTM, each (directions, batch, units)."""
        outputs, finals = [], []
        given = self.states if hx is None else (tuple(hx) if self.mode == "lstm" else (hx,))
        for number, suffix in enumerate(self.directions()):
            initial = None if given is None else [state[number] for state in given]
            output, states = self.run(x, mask, suffix, initial)
            outputs.append(output)
            finals.append(states)
        states = tuple(torch.stack(one) for one in zip(*finals))  # each (directions, batch, units)
        if self.stateful:
            self.states = tuple(state.detach() for state in states)
        output = torch.cat(outputs, -1)
        return (output, states) if self.mode == "lstm" else (output, states[0])

    def run(self, x, mask, suffix, initial):
        """One direction over the steps (the reverse one from the last step), as
        Keras's RNN layer runs its cell: (outputs in time order, final states)."""
        weight_hh = getattr(self, "weight_hh_l0" + suffix)
        bias_hh = getattr(self, "bias_hh_l0" + suffix, None)
        batch, steps, _ = x.shape
        input_masks, recurrent_masks = self.dropout_masks(x)
        # Every step's input projection at once; the loop adds the recurrent part.
        inputs = project(x, getattr(self, "weight_ih_l0" + suffix), getattr(self, "bias_ih_l0" + suffix, None),
                         input_masks)
        count = 2 if self.mode == "lstm" else 1
        states = list(initial) if initial is not None else [x.new_zeros(batch, self.hidden_size)] * count
        previous = x.new_zeros(batch, self.hidden_size)  # the output a masked step repeats
        outputs = [previous] * steps
        for t in range(steps - 1, -1, -1) if suffix else range(steps):
            new = self.cell(inputs[:, t], states, weight_hh, bias_hh, recurrent_masks)
            if mask is None:
                states, output = new, new[0]
            else:
                keep = mask[:, t, None]
                states = [torch.where(keep, one, old) for one, old in zip(new, states)]
                output = torch.where(keep, new[0], 0.0 if self.bidirectional else previous)
            outputs[t] = previous = output
        return torch.stack(outputs, 1), states

    def cell(self, x, states, weight_hh, bias_hh, masks):
        """One step of Keras's cell on x, the step's input projection: the new states."""
        h = states[0]
        act, gate = self.activation, self.recurrent_activation
        if self.mode == "rnn":
            return [act(x + project(h, weight_hh, bias_hh, masks))]
        if self.mode == "lstm":
            i, f, g, o = (x + project(h, weight_hh, bias_hh, masks)).chunk(4, -1)
            c = gate(f) * states[1] + gate(i) * act(g)
            return [gate(o) * act(c), c]
        x_r, x_z, x_n = x.chunk(3, -1)
        if self.reset_after:
            h_r, h_z, h_n = project(h, weight_hh, bias_hh, masks).chunk(3, -1)
            r, z = gate(x_r + h_r), gate(x_z + h_z)
            n = act(x_n + r * h_n)
        else:  # the reset gate applied to the state, before its product
            sizes = [2 * self.hidden_size, self.hidden_size]
            rz_weight, n_weight = weight_hh.split(sizes)
            rz_bias, n_bias = bias_hh.split(sizes) if bias_hh is not None else (None, None)
            h_r, h_z = project(h, rz_weight, rz_bias, masks and masks[:2]).chunk(2, -1)
            r, z = gate(x_r + h_r), gate(x_z + h_z)
            n = act(x_n + project(r * h, n_weight, n_bias, masks and masks[2:]))
        return [z * h + (1 - z) * n]

    def dropout_masks(self, x):
        """Keras's dropout masks in training, drawn once per sequence: for the
        input and for the recurrent state, one per gate when recurrent_dropout
        is used (Keras's implementation 1), else one for every gate."""
        if not self.training:
            return None, None
        count = self.GATES[self.mode] if self.recurrent_dropout > 0 else 1

        def masks(shape, rate):
            return [F.dropout(x.new_ones(shape), rate) for _ in range(count)] if rate > 0 else None

        return (masks((x.shape[0], 1, x.shape[2]), self.dropout),
                masks((x.shape[0], self.hidden_size), self.recurrent_dropout))


def masked_multiply(tensors, masks):
    """Keras's Multiply of tensors with masks ((batch, steps) or None): a masked
    step reads as 1, and where every tensor has a mask, the steps that all of
    them mask give 0."""
    output = output_mask = None
    for tensor, mask in zip(tensors, masks):
        if mask is not None:
            mask = mask.unsqueeze(-1)
            tensor = torch.where(mask, tensor, 1.0)
            output_mask = mask if output_mask is None else output_mask | mask
        output = tensor if output is None else output * tensor
    if all(mask is not None for mask in masks):
        output = torch.where(output_mask, output, 0.0)
    return output


def masked_extremum(function, tensors, masks):
    """Keras's Maximum or Minimum (``function``: torch.maximum or
    torch.minimum) of tensors with masks: where one tensor is masked, the
    other's value is taken."""
    output = output_mask = None
    for tensor, mask in zip(tensors, masks):
        mask = None if mask is None else mask.unsqueeze(-1)
        if output is None:
            output, output_mask = tensor, mask
            continue
        if mask is not None:
            tensor = torch.where(mask, tensor, output)
        if output_mask is not None:
            output = torch.where(output_mask, output, tensor)
        output_mask = output_mask | mask if mask is not None and output_mask is not None else None
        output = function(output, tensor)
    return output


def masked_softmax(x, mask, dim):
    """Keras's Softmax layer with a mask: masked positions get -1e9 before the
    softmax and 0 after it. The mask meets the input as broadcasting aligns
    them, on the last axis."""
    if mask is None:
        return torch.softmax(x, dim)
    mask = torch.broadcast_to(mask, x.shape)
    return torch.where(mask, torch.softmax(torch.where(mask, x, -1e9), dim), 0.0)


class KerasPReLU(nn.Module):
    """Keras's PReLU: relu(x) - weight * relu(-x), with a slope for every value
    of a sample (nn.PReLU has one per channel)."""

    def __init__(self, *shape):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(shape))

    def forward(self, x):
        return torch.relu(x) - self.weight * torch.relu(-x)


class KerasAttention(nn.Module):
    """Keras's Attention (score "dot" or "concat") and AdditiveAttention
    ("additive") on (batch, steps, features): scores of each query step against
    each key step, the value's masked steps at -1e9, softmax over them, the
    weighted sum of the values; masked query steps give 0. Its parameters are
    Keras's: ``scale`` (a number, or one per feature for "additive") and
    ``concat_score_weight``."""

    def __init__(self, score_mode="dot", use_scale=False, features=None):
        super().__init__()
        self.score_mode = score_mode
        if use_scale:
            self.scale = nn.Parameter(torch.ones(features) if score_mode == "additive" else torch.tensor(1.0))
        else:
            self.scale = None
        if score_mode == "concat":
            self.concat_score_weight = nn.Parameter(torch.tensor(1.0))

    def forward(self, query, value, key=None, query_mask=None, value_mask=None):
        key = value if key is None else key
        if self.score_mode == "dot":
            scores = query @ key.transpose(-2, -1)
            if self.scale is not None:
                scores = scores * self.scale
        else:
            combined = query.unsqueeze(2) + key.unsqueeze(1)  # (batch, query steps, key steps, features)
            if self.score_mode == "additive":
                scale = 1.0 if self.scale is None else self.scale
                scores = (scale * torch.tanh(combined)).sum(-1)
            else:
                scaled = combined if self.scale is None else self.scale * combined
                scores = self.concat_score_weight * torch.tanh(scaled).sum(-1)
        if value_mask is not None:
            scores = scores - 1e9 * (~value_mask).unsqueeze(1).to(scores.dtype)
        y = torch.softmax(scores, -1) @ value
        return y if query_mask is None else torch.where(query_mask.unsqueeze(-1), y, 0.0)


class KerasMultiHeadAttention(nn.Module):
    """Keras's MultiHeadAttention on (batch, steps, features): per head,
    softmax(Q · Kᵀ / sqrt(key_dim)) · V, masked where the query's or the
    value's (key's) step is, then the output projection. nn.MultiheadAttention
    ties each head's size to the features; Keras's key_dim and value_dim are
    free. Its projections are nn.Linear over every head at once."""

    def __init__(self, num_heads, key_dim, value_dim, query_features, key_features, value_features, output_size,
                 bias=True):
        super().__init__()
        self.num_heads, self.key_dim, self.value_dim = num_heads, key_dim, value_dim
        self.query = nn.Linear(query_features, num_heads * key_dim, bias=bias)
        self.key = nn.Linear(key_features, num_heads * key_dim, bias=bias)
        self.value = nn.Linear(value_features, num_heads * value_dim, bias=bias)
        self.output = nn.Linear(num_heads * value_dim, output_size, bias=bias)

    def forward(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None):
        given_key = key is not None
        key = value if key is None else key
        batch, query_steps, heads = query.shape[0], query.shape[1], self.num_heads
        q = self.query(query).unflatten(-1, (heads, self.key_dim)) / math.sqrt(self.key_dim)
        k = self.key(key).unflatten(-1, (heads, self.key_dim))
        v = self.value(value).unflatten(-1, (heads, self.value_dim))
        scores = torch.einsum("bshk,bthk->bhts", k, q)
        masks = [query_mask, value_mask, key_mask if given_key else None]
        if any(mask is not None for mask in masks):
            allowed = torch.ones(batch, query_steps, key.shape[1], dtype=torch.bool, device=query.device)
            if query_mask is not None:
                allowed = allowed & query_mask.unsqueeze(-1)
            for mask in masks[1:]:
                if mask is not None:
                    allowed = allowed & mask.unsqueeze(1)
            scores = torch.where(allowed.unsqueeze(1), scores, torch.finfo(scores.dtype).min * 0.7)
        heads_out = torch.einsum("bhts,bshv->bthv", torch.softmax(scores, -1), v)
        return self.output(heads_out.flatten(-2))
