"""Weights for the forward pass: drawn as Keras initialises them, or read from
an ``.npz`` in the order of Keras's ``model.get_weights()``; and written back in
that same layout, so ``model.set_weights(list(np.load(F).values()))`` loads them
into Keras.

Every array has the shape its kind declares (``kinds``), so a file that does not
fit the stack is refused with the layer, the weight and the shape it needs.
"""

from __future__ import annotations

import math
import zipfile

import numpy as np

from .errors import InputError
from .files import Writer, check_destination, write_files
from .kinds import Weight
from .shapes import Summary


def initial_weights(summary: Summary, seed: int, dtype: str) -> list[list[np.ndarray]]:
    """Each weight drawn by the Keras initialiser its kind declares."""
    rng = np.random.default_rng([seed, 0])  # stream 0 of the seed: weights (1 is the input)
    return [[_initial(weight, rng).astype(dtype) for weight in row.weights] for row in summary.rows]


def _initial(weight: Weight, rng: np.random.Generator) -> np.ndarray:
    shape, initializer = weight.shape, weight.initializer
    if initializer == "glorot_uniform":
        # Keras's fans: a kernel of more than two axes, (kernel_size, in, out),
        # counts every position of its window.
        window = math.prod(shape[:-2])
        limit = math.sqrt(6 / (window * (shape[-2] + shape[-1])))
        return rng.uniform(-limit, limit, shape)
    if initializer == "orthogonal":
        return _orthogonal(shape, rng)
    if initializer == "uniform":  # Keras's RandomUniform(-0.05, 0.05), the embeddings' default
        return rng.uniform(-0.05, 0.05, shape)
    if initializer == "ones":
        return np.ones(shape)
    values = np.zeros(shape)
    if initializer == "unit_forget_bias":  # LSTM: the forget gate's block starts at 1
        units = shape[0] // 4
        values[units : 2 * units] = 1
    elif initializer != "zeros":
        raise ValueError(f"unknown initializer {initializer!r}")
    return values


def _orthogonal(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Keras's Orthogonal initializer: Q of a Gaussian matrix, signs fixed by R's diagonal."""
    rows, columns = shape
    flat = rng.standard_normal((max(rows, columns), min(rows, columns)))
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    return q.T if rows < columns else q


def load_weights(path: str, summary: Summary, dtype: str) -> list[list[np.ndarray]]:
    """The arrays of an .npz written by ``np.savez(path, *model.get_weights())``."""
    archive = open_numpy_file(path, "--weights")
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise InputError(f"--weights '{path}' is a single .npy array; expected an .npz archive "
                         "as np.savez(FILE, *model.get_weights()) writes")  # fmt: skip
    with archive:
        try:
            arrays = {name: archive[name] for name in archive.files}
        except (ValueError, OSError, zipfile.BadZipFile, EOFError) as error:
            raise _file_error(path, "--weights", error) from None
    return _match(path, arrays, summary, dtype)


def open_numpy_file(path: str, option: str, mmap_mode: str | None = None):
    """np.load without pickles, its failures turned into one clear InputError."""
    try:
        return np.load(path, mmap_mode=mmap_mode, allow_pickle=False)
    except FileNotFoundError:
        raise InputError(f"{option} '{path}': no such file") from None
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as error:
        raise _file_error(path, option, error) from None


def _file_error(path: str, option: str, error: Exception) -> InputError:
    text = str(error)
    if text.startswith("Object arrays") or "Python objects" in text:
        return InputError(f"{option} '{path}' holds object arrays, which rnnshape does not load "
                          "(loading them can run code): save plain numeric arrays")  # fmt: skip
    return InputError(f"{option} '{path}' is not a NumPy .npy/.npz file: {error}")


def _match(path: str, arrays: dict[str, np.ndarray], summary: Summary, dtype: str) -> list[list[np.ndarray]]:
    names = [f"arr_{index}" for index in range(len(arrays))]
    if sorted(arrays) != sorted(names):
        raise InputError(f"--weights '{path}' holds arrays named {', '.join(sorted(arrays)[:4])}...; expected "
                         "arr_0, arr_1, ... as np.savez(FILE, *model.get_weights()) writes them")  # fmt: skip
    needed = [(index, row, weight) for index, row in enumerate(summary.rows, 1) for weight in row.weights]
    if len(arrays) != len(needed):
        if len(arrays) < len(needed):
            index, row, weight = needed[len(arrays)]
            detail = f"the first one missing is layer {index} '{row.name}' weight '{weight.name}' {weight.shape}"
        else:
            detail = f"{len(arrays) - len(needed)} too many"
        raise InputError(f"--weights '{path}' holds {len(arrays)} arrays but the stack needs {len(needed)}: {detail}")
    loaded: list[list[np.ndarray]] = [[] for _ in summary.rows]
    for name, (index, row, weight) in zip(names, needed):
        array = arrays[name]
        where = f"{name} of --weights '{path}' (layer {index} '{row.name}' weight '{weight.name}')"
        if array.shape != weight.shape:
            raise InputError(f"{where} has shape {array.shape}, but the stack needs {weight.shape}")
        if array.dtype.kind != "f":
            raise InputError(f"{where} has dtype {array.dtype}; weights must be floating point")
        loaded[index - 1].append(array.astype(dtype))
    return loaded


def weights_writer(weights: list[list[np.ndarray]]) -> Writer:
    """What writes the weights as np.savez(FILE, *model.get_weights()) would."""
    return lambda handle: np.savez(handle, *[array for arrays in weights for array in arrays])


def save_weights(path: str, weights: list[list[np.ndarray]]) -> None:
    """Write the weights at exactly ``path``, whole or not at all (``files``)."""
    check_destination(path, "--save-weights")
    write_files([("--save-weights", path, weights_writer(weights))])
