"""``--run``: plan a forward pass (concrete shapes, memory), then execute it.

Planning reads at most the header of an input file and refuses, before anything
large is allocated, a run whose estimated memory exceeds the limit. Executing
loads or draws the input and the weights, runs ``forward`` and checks that the
output has the shape the shape engine predicted.

    >>> from rnnshape.run import plan_run, execute
    >>> result = execute(plan_run("gru:4:seq dense:2", (5, 3), batch_size=2))
    >>> result.output.shape, result.summary.output_shape
    ((2, 5, 2), (2, 5, 2))
"""

from __future__ import annotations

import functools
import math
import os
import re
from typing import Sequence

import numpy as np

from .errors import InputError
from .files import Writer, check_destination, write_files
from .graph import with_input_shapes
from .forward import Progress, run_memory_bytes, timed_forward
from .kinds import Embedding
from .render import readable_size
from .shapes import Summary, format_shape, infer_graph, summarize
from .spec import LayerSpec, parse
from .values import Value
from .weights import initial_weights, load_weights, open_input_data

RUN_DTYPES = ("float32", "float64")
ASSUMED_FLOPS_PER_SECOND = 5e9  # a modest machine's BLAS, to tell long runs from short ones
INPUT_BLOCK = 2**22  # numbers of random input drawn at a time


class RunPlan(Value):
    """What a run will compute, decided before anything is allocated."""

    def __init__(self, summary: Summary, dtype: str, input_path: str | None, seed: int):
        self.summary, self.dtype, self.input_path, self.seed = summary, dtype, input_path, seed

    @property
    def memory_bytes(self) -> int:
        return run_memory_bytes(self.summary, np.dtype(self.dtype).itemsize)

    @property
    def expected_seconds(self) -> float:
        return _flops(self.summary) / ASSUMED_FLOPS_PER_SECOND

    @property
    def time_steps(self) -> int:
        """How many times ``execute`` calls its progress callback: for each block
        of the random input it draws, then as ``forward`` does (once per call of
        a layer)."""
        steps = sum(row.spec.layer.progress_steps(shape) for row in self.summary.layers for shape in row.input_shapes)
        return steps + sum(map(len, self.input_blocks))

    @functools.cached_property
    def input_blocks(self) -> list[range]:
        """For each model input, the first sample of each block of it drawn at
        random (none from a file, or for ids)."""
        if self.input_path is not None:
            return [range(0)] * len(self.summary.inputs)
        return [range(0) if limit is not None else
                range(0, shape[0], max(1, INPUT_BLOCK // max(1, math.prod(shape[1:]))))
                for shape, limit in zip(self.summary.input_shapes, self.id_limits)]  # fmt: skip

    @functools.cached_property
    def id_limits(self) -> list[int | None]:
        """For each model input an embedding reads, the smallest vocabulary among
        those embeddings (its ids must be below it); None for another input."""
        readers: dict[int, list] = {}
        rows = {row.name: row for row in self.summary.rows}
        for node in self.summary.nodes:
            if node.name in rows:
                for ref in node.arguments:
                    readers.setdefault(ref.call, []).append(rows[node.name].spec.layer)
        limits: list[int | None] = []
        for ref in self.summary.inputs:
            sizes = [reader.input_dim for reader in readers.get(ref.call, []) if isinstance(reader, Embedding)]
            limits.append(min(sizes) if sizes else None)
        return limits


class RunResult:
    """A finished run: its plan, the weights and input it used (and the file the
    weights came from, None when drawn), its outputs and time, and with details
    the statistics of every layer's output."""

    def __init__(self, plan: RunPlan, weights: list, inputs: np.ndarray, outputs: list[np.ndarray], seconds: float,
                 layers: list[dict] | None = None, weights_path: str | None = None):  # fmt: skip
        self.plan, self.weights, self.inputs, self.outputs, self.seconds = plan, weights, inputs, outputs, seconds
        self.layers, self.weights_path = layers, weights_path

    @property
    def summary(self) -> Summary:
        return self.plan.summary

    @property
    def output(self) -> np.ndarray:
        """The (first) output."""
        return self.outputs[0]

    def statistics(self) -> dict:
        """Output shapes, forward seconds and summary statistics, as JSON-ready
        numbers: those of the output at the top level, and of each output under
        ``outputs`` (several when the last layer has them; ``output_shape`` is
        then a list of shapes); the seed, and the files the weights and the
        input came from (None: drawn from the seed)."""
        each = [_statistics(output) for output in self.outputs]
        shapes = [one["shape"] for one in each]
        top = dict(each[0]) if len(each) == 1 else {}
        top.pop("shape", None)
        statistics = {
            "output_shape": shapes[0] if len(shapes) == 1 else shapes,
            "dtype": str(self.output.dtype),
            "seconds": self.seconds,
            **top,
            "seed": self.plan.seed,
            "weights_file": self.weights_path,
            "input_file": self.plan.input_path,
            "outputs": each,
        }
        if self.layers is not None:
            statistics["layers"] = self.layers
        return statistics


# The share of a layer's outputs that is saturated, for the activations that
# saturate: within 0.01 of the ends of their range.
SATURATION = {"tanh": (-0.99, 0.99), "softsign": (-0.99, 0.99), "hard_tanh": (-0.99, 0.99),
              "sigmoid": (0.01, 0.99), "hard_sigmoid": (0.01, 0.99), "sparse_sigmoid": (0.01, 0.99)}  # fmt: skip


def layer_statistics(row, output: np.ndarray) -> dict:
    """Mean, std, min and max of a layer's output, and for a tanh- or
    sigmoid-bounded one the share of saturated values (outside (low, high))."""
    statistics = {"name": row.name, **_statistics(output)}
    del statistics["shape"]
    activation = row.spec.layer.output_activation()
    bounds = SATURATION.get(activation)
    statistics["saturation"] = None if bounds is None else {
        "activation": activation,
        "share": float(np.count_nonzero((output <= bounds[0]) | (output >= bounds[1])) / max(1, output.size)),
    }  # fmt: skip
    return statistics


def _statistics(output: np.ndarray) -> dict:
    with np.errstate(all="ignore"):  # inf and nan outputs give inf and nan statistics, silently
        return {
            "shape": list(output.shape),
            "mean": float(output.mean(dtype=np.float64)),
            "std": float(output.std(dtype=np.float64)),
            "min": float(output.min()),
            "max": float(output.max()),
        }


def plan_run(
    stack: str | Sequence[LayerSpec] | Summary,
    input_shape: Sequence[int | None] | None = None,
    batch_size: int | None = None,
    dtype: str = "float32",
    input_path: str | None = None,
    seed: int = 0,
    max_memory: int | None = None,
) -> RunPlan:
    """The concrete shapes of a run. ``stack`` is a ``Summary`` already built
    (its input shape and batch are used) or spec text with ``input_shape`` and
    ``batch_size``. Without ``input_path`` the batch is the declared one or 1
    and every other dim must be known."""
    if dtype not in RUN_DTYPES:
        raise InputError(f"--run computes in float32 or float64, not {dtype} "
                         "(float16 and bfloat16 are for the byte sizes of the summary)")  # fmt: skip
    if isinstance(stack, Summary):
        declared = stack
    else:
        declared = summarize(parse(stack) if isinstance(stack, str) else stack, input_shape, batch_size)
    if declared.run_problems:
        raise InputError(f"Keras builds this model but fails when it runs it: {declared.run_problems[0]}")
    declared_shapes = declared.input_shapes
    if input_path is not None:
        shapes = [entry[1] for entry in _input_file_entries(input_path, declared)]
    else:
        for shape in declared_shapes:
            if None in shape[1:] and declared.sequential:
                raise InputError(f"the input {format_shape(shape)} has None timesteps: give --input-data FILE.npy to "
                                 "run on real data, or fixed timesteps with -i T,D")  # fmt: skip
            if None in shape[1:]:
                raise InputError(f"the input {format_shape(shape)} has a None dim: give --input-data FILE.npz "
                                 "(an array per input) to run on real data, or fixed dims in its input "
                                 "statement")  # fmt: skip
        batches = {shape[0] for shape in declared_shapes} - {None}
        batch = batches.pop() if len(batches) == 1 else 1
        shapes = [(shape[0] or batch,) + shape[1:] for shape in declared_shapes]
    if len({shape[0] for shape in shapes}) > 1:
        raise InputError(f"the inputs have different batch sizes {sorted({shape[0] for shape in shapes})}: a model "
                         "runs every input on the same samples")  # fmt: skip
    if list(shapes) == list(declared_shapes):
        concrete = declared
    elif all(shape[1:] == want[1:] for shape, want in zip(shapes, declared_shapes)):  # only the batch is filled in
        concrete = declared.with_batch(shapes[0][0])
    else:  # the data's dims fill in a None: the shapes after them may change
        concrete = infer_graph(with_input_shapes(declared.graph, shapes), declared.convention, declared.model)
    plan = RunPlan(concrete, dtype, input_path, seed)
    limit = default_memory_limit() if max_memory is None else max_memory
    needed = plan.memory_bytes
    if needed > limit:
        total = total_memory()
        if total is not None and needed > total:  # no limit would help: do not suggest one
            raise InputError(f"this run needs about {readable_size(needed)}, more than this machine's "
                             f"{readable_size(total)} of memory: shrink the stack, the batch or the timesteps")  # fmt: skip
        raise InputError(f"this run needs about {readable_size(needed)}, more than the "
                         f"{readable_size(limit)} allowed: raise the limit with --max-memory "
                         f"(e.g. --max-memory {_suggested_limit(needed)}), or shrink the stack")  # fmt: skip
    return plan


def execute(plan: RunPlan, weights_path: str | None = None, progress: Progress | None = None,
            details: bool = False) -> RunResult:  # fmt: skip
    """Load or draw the input and the weights, and run the forward pass; with
    ``details``, also the statistics of every layer's output (not in its time)."""
    summary = plan.summary
    inputs = _load_input(plan) if plan.input_path else _random_input(plan, progress)
    if weights_path is None:
        weights = initial_weights(summary, plan.seed, plan.dtype)
    else:
        weights = load_weights(weights_path, summary, plan.dtype)
    layers: list[dict] | None = [] if details else None

    def observe(index: int, output: np.ndarray) -> None:
        layers.append(layer_statistics(summary.rows[index], output))

    with np.errstate(all="ignore"):  # as in Keras, overflow gives inf and 0 * inf gives nan, without warnings
        output, seconds = timed_forward(summary, weights, inputs, progress, observe if details else None)
    outputs = output if isinstance(output, list) else [output]
    shapes = [array.shape for array in outputs]
    if shapes != list(summary.output_shapes):  # the two halves of rnnshape disagree: a bug
        raise AssertionError(f"forward pass returned {shapes}, shape engine predicted {summary.output_shapes}")
    return RunResult(plan, weights, inputs, outputs, seconds, layers, weights_path)


def _random_input(plan: RunPlan, progress: Progress | None = None) -> list[np.ndarray]:
    """An input per model input: ids below the vocabulary, or standard normal values."""
    rng = np.random.default_rng([plan.seed, 1])  # stream 1 of the seed: the input
    inputs = []
    for shape, limit, blocks, source in zip(plan.summary.input_shapes, plan.id_limits, plan.input_blocks,
                                            plan.summary.input_layers):  # fmt: skip
        if limit is not None:  # ids (as floats, where the input is declared float, as Keras's default Input is)
            ids = rng.integers(0, limit, size=shape)
            inputs.append(ids if source.dtype != "float32" else ids.astype(plan.dtype))
            continue
        # Drawn a block of samples at a time (the same numbers as in one draw): the
        # float64 draws stay small, Ctrl-C acts and the progress bar moves between blocks.
        values = np.empty(shape, plan.dtype)
        for start in blocks:
            values[start : start + blocks.step] = rng.standard_normal((min(blocks.step, shape[0] - start),) + shape[1:])
            if progress:
                progress()
        inputs.append(values)
    return inputs


def _input_file_entries(path: str, declared: Summary) -> list[tuple[str, tuple, np.dtype]]:
    """(member name, shape, dtype) of the array of each model input in an .npy
    file (one input) or an .npz archive (keys: the input layers' names, or
    arr_0, arr_1 ... in input order), read from their headers and checked
    against the model before any data is read."""
    names = [declared.nodes[ref.call].name for ref in declared.inputs]
    expected = declared.input_shapes
    with open_input_data(path) as source:
        if source.single is not None:
            if len(names) > 1:
                raise InputError(f"--input-data '{path}' is one array, but the model has {len(names)} inputs "
                                 f"({', '.join(names)}): give an .npz with an array for each")  # fmt: skip
            entries = [(None, *source.single)]
        else:
            keys = names if all(name in source.members for name in names) else \
                [f"arr_{number}" for number in range(len(names))]  # fmt: skip
            missing = [key for key in keys if key not in source.members]
            if missing or len(source.members) != len(keys):
                raise InputError(f"--input-data '{path}' holds arrays named {', '.join(sorted(source.members)[:6])}; "
                                 f"the model takes {len(keys)}: name them {', '.join(names)} (the inputs' names) "
                                 "or arr_0, arr_1, ... in input order, as np.savez(FILE, *inputs) writes")  # fmt: skip
            entries = [(key, *source.members[key]) for key in keys]
    for (key, shape, dtype), want, source_layer, name in zip(entries, expected, declared.input_layers, names):
        label = f"--input-data '{path}'" + (f" ({key})" if key else "")
        taker = "the stack" if declared.sequential else f"the input '{name}'"
        if len(shape) != len(want) or any(dim != wanted for dim, wanted in zip(shape, want) if wanted is not None):
            raise InputError(f"{label} has shape {shape}, but {taker} takes {format_shape(want)} (None: any size)")
        if 0 in shape:
            raise InputError(f"{label} has shape {shape}: every dim must be at least 1")
        if source_layer.dtype != "float32" and dtype.kind not in "iu":
            raise InputError(f"{label} has dtype {dtype}, but an embedding reads integer ids")
        if dtype.kind not in "fiub":
            raise InputError(f"{label} has dtype {dtype}; the input must be real numbers")
    return entries


def _load_input(plan: RunPlan) -> list[np.ndarray]:
    entries = _input_file_entries(plan.input_path, plan.summary)
    inputs = []
    with open_input_data(plan.input_path) as source:
        names = [plan.summary.nodes[ref.call].name for ref in plan.summary.inputs]
        for (key, _shape, _dtype), limit, name in zip(entries, plan.id_limits, names):
            array = source.read(key)
            if limit is not None:
                if array.size and (array.min() < 0 or array.max() >= limit):
                    which = "" if plan.summary.sequential else f" for '{name}'"
                    raise InputError(f"--input-data '{plan.input_path}' holds ids from {array.min()} to {array.max()}"
                                     f"{which}, but the embedding's vocabulary is 0..{limit - 1}")  # fmt: skip
                inputs.append(array.astype(np.intp))
            else:
                inputs.append(array.astype(plan.dtype))
    return inputs


def outputs_writer(outputs: list[np.ndarray]) -> Writer:
    """What writes one output as .npy data, or several as an .npz archive
    (arr_0, arr_1, ... in Keras's order)."""
    if len(outputs) == 1:
        return lambda handle: np.save(handle, outputs[0])
    return lambda handle: np.savez(handle, *outputs)


def save_outputs(path: str, outputs: list[np.ndarray], option: str = "--save-output") -> None:
    """Write the outputs at exactly ``path`` (NumPy would append a suffix), whole or not at all."""
    check_destination(path, option)
    write_files([(option, path, outputs_writer(outputs))])


def _flops(summary: Summary) -> int:
    """Two per multiply-add of the matrix products (those whose size is known)."""
    return 2 * sum(row.mult_adds or 0 for row in summary.layers)


def _meminfo(key: str, pages: str) -> int | None:
    """A /proc/meminfo figure in bytes, else the sysconf one, if the OS says."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf(pages) * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def available_memory() -> int | None:
    """Bytes the OS says it can still give (MemAvailable), if it says."""
    return _meminfo("MemAvailable", "SC_AVPHYS_PAGES")


def total_memory() -> int | None:
    """Bytes of memory the machine has (MemTotal), if the OS says."""
    return _meminfo("MemTotal", "SC_PHYS_PAGES")


def default_memory_limit() -> int:
    """Half of the available memory (4 GiB when the OS does not say)."""
    available = available_memory()
    return available // 2 if available else 4 * 1024**3


_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def parse_memory(text: str) -> int:
    """'512M', '2G', '1.5GB', '2GiB', '1000000' -> bytes (1024-based units), exactly."""
    from fractions import Fraction

    match = re.fullmatch(r"\s*([0-9]{1,30}(?:\.[0-9]{0,30})?)\s*([KMGT]?)(?:I?B)?\s*", text.upper())
    if not match:
        raise InputError(f"bad --max-memory '{text[:40]}': give bytes or a size such as 512M or 2G "
                         "(at most 30 digits)")  # fmt: skip
    return int(Fraction(match.group(1)) * _UNITS[match.group(2)])


def _suggested_limit(needed: int) -> str:
    for unit in ("T", "G", "M", "K"):
        if needed >= _UNITS[unit]:
            return f"{-(-needed // _UNITS[unit])}{unit}"
    return str(needed)
