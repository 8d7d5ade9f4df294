"""Weights for the forward pass: drawn as Keras initialises them, or read from
an ``.npz`` in the order of Keras's ``model.get_weights()``; and written back in
that same layout, so ``model.set_weights(list(np.load(F).values()))`` loads them
into Keras.

Every array has the shape its kind declares (``kinds``), so a file that does not
fit the stack is refused with the layer, the weight and the shape it needs.
"""

from __future__ import annotations

import math
import os
import zipfile

import numpy as np

from .errors import InputError, printable
from .files import Writer, check_destination, require_regular_file, write_files
from .kinds import Weight
from .shapes import Summary, next_name


def initial_weights(summary: Summary, seed: int, dtype: str) -> list[list[np.ndarray]]:
    """Each weight drawn by the Keras initialiser its kind declares."""
    rng = np.random.default_rng([seed, 0])  # stream 0 of the seed: weights (1 is the input)
    return [[_initial(weight, rng).astype(dtype) for weight in row.weights] for row in summary.rows]


def _initial(weight: Weight, rng: np.random.Generator) -> np.ndarray:
    shape, initializer = weight.shape, weight.initializer
    if initializer == "glorot_uniform":
        # Keras's fans: a kernel of more than two axes, (kernel_size, in, out),
        # counts every position of its window; a vector's are both its size.
        window = math.prod(shape[:-2])
        fans = 2 * shape[0] if len(shape) == 1 else window * (shape[-2] + shape[-1])
        limit = math.sqrt(6 / fans)
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


MAX_ARCHIVE_MEMBERS = 100_000  # far more weights than any model has


HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def load_weights(path: str, summary: Summary, dtype: str) -> list[list[np.ndarray]]:
    """The weights in ``path``: an .npz (``np.savez(FILE, *model.get_weights())``),
    a .keras file, or a Keras 3 weights file (``model.save_weights``, HDF5)."""
    require_regular_file(path, "--weights")
    try:
        with open(path, "rb") as handle:
            signature = handle.read(8)
        if signature == HDF5_SIGNATURE:
            return _load_hdf5(path, path, summary, dtype)
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                if "model.weights.h5" in archive.namelist():
                    return _load_keras_file(archive, path, summary, dtype)
    except (OSError, zipfile.BadZipFile, ValueError) as error:
        raise InputError(f"cannot read --weights '{path}': {printable(str(error))[:200]}") from None
    return load_npz(path, summary, dtype)


def _load_keras_file(archive: zipfile.ZipFile, path: str, summary: Summary, dtype: str) -> list[list[np.ndarray]]:
    """The weights file inside a .keras zip, read into memory within a bound:
    the model's weights in float64, and room for HDF5's own structure."""
    import io

    info = archive.getinfo("model.weights.h5")
    bound = 8 * summary.total_params + 2**20 + 2**16 * sum(len(row.weights) for row in summary.rows)
    if info.file_size > bound:
        raise InputError(f"--weights '{path}': its model.weights.h5 is {info.file_size} bytes, more than this "
                         f"model's weights can take ({bound})")  # fmt: skip
    with archive.open(info) as member:
        data = member.read(bound + 1)
    return _load_hdf5(io.BytesIO(data), path, summary, dtype)


def _load_hdf5(source, path: str, summary: Summary, dtype: str) -> list[list[np.ndarray]]:
    """Keras 3's weights layout: a group per layer, named by its class (lstm,
    lstm_1, ...: a counter per class, in the model's order, not the layer's
    name), holding numbered datasets in get_weights() order (numbered, so
    vars/10 comes after vars/9, not after vars/1). Shapes and dtypes are checked
    before any data is read."""
    try:
        import h5py
    except ImportError:
        raise InputError(f"reading --weights '{path}' (HDF5) needs h5py, an optional extra: "
                         "pip install 'rnnshape[h5]'") from None
    counters: dict[str, int] = {}
    loaded: list[list[np.ndarray]] = []
    try:
        with h5py.File(source, "r") as weights_file:
            legacy = _member(h5py, weights_file, "model_weights", path)  # Keras 2's model.save("m.h5")
            if isinstance(legacy, h5py.Group) or "layer_names" in weights_file.attrs:  # or its save_weights
                return _load_keras2_hdf5(h5py, legacy if isinstance(legacy, h5py.Group) else weights_file, path,
                                         summary, dtype)  # fmt: skip
            layers = _member(h5py, weights_file, "layers", path)
            if not isinstance(layers, h5py.Group):
                raise InputError(f"--weights '{path}' is HDF5 but not a Keras 3 weights file (no 'layers' group)")
            for index, row in enumerate(summary.rows, 1):
                layer = row.spec.layer
                group_name = next_name(layer.keras_name, counters)
                arrays: list[np.ndarray] = []
                if row.weights:
                    where = f"--weights '{path}' layer {index} '{row.name}' (group layers/{group_name})"
                    group = _member(h5py, layers, group_name, path)
                    if not isinstance(group, h5py.Group):
                        raise InputError(f"{where}: no such group: the file is not this model's")
                    datasets = []
                    for part in layer.weight_groups():
                        variables = _member(h5py, group, part, path)
                        if not isinstance(variables, h5py.Group):
                            raise InputError(f"{where}: no '{part}': the file is not this model's")
                        numbered = sorted(variables.keys(), key=lambda key: int(key) if key.isdigit() else -1)
                        datasets += [_member(h5py, variables, key, path) for key in numbered]
                    if len(datasets) != len(row.weights):
                        raise InputError(f"{where} holds {len(datasets)} arrays but the layer needs "
                                         f"{len(row.weights)}")  # fmt: skip
                    arrays = [_checked_array(h5py, dataset, weight, where, dtype)
                              for dataset, weight in zip(datasets, row.weights)]  # fmt: skip
                loaded.append(arrays)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InputError(f"cannot read --weights '{path}' as HDF5: {printable(str(error))[:200]}") from None
    return loaded


def _checked_array(h5py, dataset, weight, where: str, dtype: str) -> np.ndarray:
    """A dataset read as ``weight``, its shape and dtype checked before its data is read."""
    if not isinstance(dataset, h5py.Dataset) or tuple(dataset.shape) != weight.shape:
        shape = getattr(dataset, "shape", None)
        raise InputError(f"{where} weight '{weight.name}' has shape {shape}, but the stack needs {weight.shape}")
    if dataset.dtype.kind != "f":
        raise InputError(f"{where} weight '{weight.name}' has dtype {dataset.dtype}; weights must be floating point")
    return np.asarray(dataset[()]).astype(dtype)


def _member(h5py, parent, name: str, path: str):
    """parent[name], where it is a member of this file: an external or soft
    link would have rnnshape open another file, or loop."""
    link = parent.get(name, getlink=True)
    if link is None:
        return None
    if not isinstance(link, h5py.HardLink):
        raise InputError(f"--weights '{path}': '{printable(name)[:40]}' is a link to elsewhere, which rnnshape does "
                         "not follow")  # fmt: skip
    return parent.get(name)


def _load_keras2_hdf5(h5py, weights, path: str, summary: Summary, dtype: str) -> list[list[np.ndarray]]:
    """Keras 2's weights layout: a group per layer, by the layer's name, whose
    weight_names attribute lists its arrays in get_weights() order. Shapes and
    dtypes are checked before any data is read."""
    loaded: list[list[np.ndarray]] = []
    for index, row in enumerate(summary.rows, 1):
        arrays: list[np.ndarray] = []
        if row.weights:
            where = f"--weights '{path}' layer {index} '{row.name}'"
            group = _member(h5py, weights, row.name, path)
            names = group.attrs.get("weight_names") if isinstance(group, h5py.Group) else None
            if names is None:
                raise InputError(f"{where}: no such layer in the file: the file is not this model's")
            names = [name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name) for name in names]
            if len(names) != len(row.weights):
                raise InputError(f"{where} holds {len(names)} arrays but the layer needs {len(row.weights)}")
            arrays = [_checked_array(h5py, _member(h5py, group, name, path), weight, where, dtype)
                      for name, weight in zip(names, row.weights)]  # fmt: skip
        loaded.append(arrays)
    return loaded


def load_npz(path: str, summary: Summary, dtype: str) -> list[list[np.ndarray]]:
    """The arrays of an .npz written by ``np.savez(path, *model.get_weights())``.

    Every array is checked from its .npy header (name, count, shape, dtype)
    against what the stack needs before a byte of its data is decompressed,
    and then exactly that many bytes are read: an archive that claims more
    (a zip bomb) is refused at once, in little memory. Nothing is unpickled."""
    needed = [(index, row, weight) for index, row in enumerate(summary.rows, 1) for weight in row.weights]
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise _not_an_archive(path) from None
    except FileNotFoundError:
        raise InputError(f"--weights '{path}': no such file") from None
    except (OSError, ValueError) as error:
        raise InputError(f"cannot read --weights '{path}': {getattr(error, 'strerror', None) or error}") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ARCHIVE_MEMBERS:
            raise InputError(f"--weights '{path}' holds {len(members)} files; the stack needs {len(needed)} arrays")
        names = sorted(info.filename for info in members)
        expected = [f"arr_{index}.npy" for index in range(len(members))]
        if names != sorted(expected):
            shown = ", ".join(name.removesuffix(".npy") for name in names[:4])
            raise InputError(f"--weights '{path}' holds arrays named {printable(shown)}...; expected arr_0, arr_1, "
                             "... as np.savez(FILE, *model.get_weights()) writes them")  # fmt: skip
        if len(members) != len(needed):
            if len(members) < len(needed):
                index, row, weight = needed[len(members)]
                detail = f"the first one missing is layer {index} '{row.name}' weight '{weight.name}' {weight.shape}"
            else:
                detail = f"{len(members) - len(needed)} too many"
            raise InputError(f"--weights '{path}' holds {len(members)} arrays but the stack needs {len(needed)}: "
                             f"{detail}")  # fmt: skip
        loaded: list[list[np.ndarray]] = [[] for _ in summary.rows]
        for number, (index, row, weight) in enumerate(needed):
            where = f"arr_{number} of --weights '{path}' (layer {index} '{row.name}' weight '{weight.name}')"
            array = _read_member(archive, f"arr_{number}.npy", weight.shape, where)
            loaded[index - 1].append(array.astype(dtype))
    return loaded


def _read_member(archive: zipfile.ZipFile, name: str, shape: tuple, where: str, kinds: str = "f") -> np.ndarray:
    """One .npy member, its header checked against ``shape`` (and its dtype
    against ``kinds``, NumPy's letters) before its data is read."""
    info = archive.getinfo(name)
    try:
        with archive.open(info) as member:
            found, fortran_order, dtype = _npy_header(member, where)
            if found != tuple(shape):
                raise InputError(f"{where} has shape {found}, but the stack needs {tuple(shape)}")
            if dtype.kind not in kinds:
                raise InputError(f"{where} has dtype {dtype}; " + ("weights must be floating point" if kinds == "f"
                                 else "it must be numbers"))  # fmt: skip
            size = math.prod(shape) * dtype.itemsize
            if info.file_size != member.tell() + size:
                raise InputError(f"{where} is {info.file_size} bytes in the archive, but its header says "
                                 f"{member.tell() + size}: the file is damaged or crafted")  # fmt: skip
            data = member.read(size)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, SyntaxError) as error:
        raise InputError(f"{where} is not a readable .npy array: {printable(str(error))[:200]}") from None
    if len(data) != size:
        raise InputError(f"{where} ends early: the file is damaged")
    array = np.frombuffer(data, dtype=dtype)
    return array.reshape(shape, order="F" if fortran_order else "C")


class InputData:
    """The arrays of --input-data: one .npy (``single``: its shape and dtype),
    or an .npz (``members``: each array's shape and dtype by name), known from
    their headers before any data is read; ``read(name)`` reads one (None:
    the .npy). Nothing is unpickled, and an archive member that claims more
    data than it holds is refused before it is decompressed."""

    MAX_MEMBERS = 1000

    def __init__(self, path: str):
        self.path, self.archive, self.single, self.members = path, None, None, {}
        self.files: dict[str, str] = {}  # array name -> its member's file name in the archive
        where = f"--input-data '{path}'"
        require_regular_file(path, "--input-data")
        try:
            if zipfile.is_zipfile(path):
                self.archive = zipfile.ZipFile(path)
                infos = self.archive.infolist()
                if len(infos) > self.MAX_MEMBERS:
                    raise InputError(f"{where} holds {len(infos)} files, more than a model has inputs")
                for info in infos:
                    name = info.filename.removesuffix(".npy")
                    with self.archive.open(info) as member:
                        shape, _order, dtype = _npy_header(member, f"{where} ({printable(name)[:40]})")
                    self.members[name] = (shape, dtype)
                    self.files[name] = info.filename
            else:
                array = open_numpy_file(path, "--input-data", mmap_mode="r")
                self.single = (tuple(array.shape), array.dtype)
                del array
        except InputError:
            self.close()
            raise
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
            self.close()
            raise InputError(f"cannot read {where}: {printable(str(error))[:200]}") from None

    def read(self, name: str | None) -> np.ndarray:
        if name is None:
            return np.asarray(open_numpy_file(self.path, "--input-data"))
        shape, _dtype = self.members[name]
        return _read_member(self.archive, self.files[name], shape, f"--input-data '{self.path}' ({name})", "fiub")

    def close(self) -> None:
        if self.archive is not None:
            self.archive.close()

    def __enter__(self) -> InputData:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_input_data(path: str) -> InputData:
    """The arrays of --input-data ``path``; see InputData."""
    return InputData(path)


def _not_an_archive(path: str) -> InputError:
    try:
        with open(path, "rb") as handle:
            single = handle.read(6) == b"\x93NUMPY"
    except OSError:
        single = False
    if single:
        return InputError(f"--weights '{path}' is a single .npy array; expected an .npz archive "
                          "as np.savez(FILE, *model.get_weights()) writes")  # fmt: skip
    return InputError(f"--weights '{path}' is not an .npz archive: save the weights with "
                      "np.savez(FILE, *model.get_weights())")  # fmt: skip


def open_numpy_file(path: str, option: str, mmap_mode: str | None = None):
    """np.load without pickles, its failures turned into one clear InputError.
    An .npy file's header is checked first: a crafted one may declare more data
    than the file holds (or more than any memory map can)."""
    require_regular_file(path, option)
    try:
        with open(path, "rb") as handle:
            if handle.read(6) == b"\x93NUMPY":
                handle.seek(0)
                _check_npy_header(handle, os.fstat(handle.fileno()).st_size, f"{option} '{path}'")
        return np.load(path, mmap_mode=mmap_mode, allow_pickle=False)
    except FileNotFoundError:
        raise InputError(f"{option} '{path}': no such file") from None
    except (ValueError, OSError, OverflowError, MemoryError, zipfile.BadZipFile, EOFError, SyntaxError) as error:
        raise _file_error(path, option, error) from None


def _npy_header(handle, where: str) -> tuple[tuple, bool, np.dtype]:
    """(shape, Fortran order, dtype) from the header of the .npy data in ``handle``,
    which is left at the first byte of the data; object arrays are refused."""
    version = np.lib.format.read_magic(handle)
    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran_order, dtype = read(handle, max_header_size=10_000)
    if dtype.hasobject:
        raise InputError(f"{where} holds Python objects, which rnnshape does not load (loading them can run code): "
                         "save plain numeric arrays")  # fmt: skip
    return tuple(shape), fortran_order, dtype


def _check_npy_header(handle, file_size: int, where: str) -> None:
    """The header of an .npy file: no objects, and exactly the data it declares."""
    shape, _fortran_order, dtype = _npy_header(handle, where)
    declared = math.prod(shape) * dtype.itemsize
    if declared != file_size - handle.tell():
        raise InputError(f"{where} declares {declared} bytes of data in its header but holds "
                         f"{file_size - handle.tell()}: the file is damaged or crafted")  # fmt: skip


def _file_error(path: str, option: str, error: Exception) -> InputError:
    text = str(error)
    if text.startswith("Object arrays") or "Python objects" in text:
        return InputError(f"{option} '{path}' holds object arrays, which rnnshape does not load "
                          "(loading them can run code): save plain numeric arrays")  # fmt: skip
    if "allow_pickle" in text:  # NumPy's advice about pickles is for programmers, not for this option
        return InputError(f"{option} '{path}' is not a NumPy .npy/.npz file")
    return InputError(f"{option} '{path}' is not a NumPy .npy/.npz file: {printable(text)[:200]}")


def weights_writer(weights: list[list[np.ndarray]]) -> Writer:
    """What writes the weights as np.savez(FILE, *model.get_weights()) would."""
    return lambda handle: np.savez(handle, *[array for arrays in weights for array in arrays])


def save_weights(path: str, weights: list[list[np.ndarray]]) -> None:
    """Write the weights at exactly ``path``, whole or not at all (``files``)."""
    check_destination(path, "--save-weights")
    write_files([("--save-weights", path, weights_writer(weights))])
