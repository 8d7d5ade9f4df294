"""Output files, written exactly at the path given, whole or not at all.

The rule (README, "Exit status and limits"): every destination is checked before
the run starts (a name, in a folder that exists and can be written, that is not
a folder itself); each file is written to a temporary file beside it and
renamed into place, so a failure (a full disk, Ctrl-C) never leaves a part of
a file; and when one of several files cannot be written, none is. A destination
that exists and is not a regular file (/dev/null, /dev/stdout, a FIFO) is
written to directly: renaming over it would replace the device.
"""

from __future__ import annotations

import os
import stat
import tempfile
from typing import BinaryIO, Callable

from .errors import InputError

Writer = Callable[[BinaryIO], None]


def check_destination(path: str, option: str) -> None:
    """Refuse, before anything runs, a path that cannot take the file."""
    if not path:
        raise InputError(f"{option} needs a file name, got ''")
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        raise InputError(f"cannot write {option} '{path}': {error.strerror or error}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise InputError(f"cannot write {option} '{path}': it is a folder; give a file name")
    if mode is not None and not stat.S_ISREG(mode):
        return  # a device or FIFO is written to directly
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        raise InputError(f"cannot write {option} '{path}': no folder '{folder}'")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"cannot write {option} '{path}': the folder '{folder}' is not writable")


def check_destinations(destinations: list[tuple[str, str]]) -> None:
    """check_destination for each (option, path), and no two of them the same
    file (the second would silently replace the first); devices may be shared."""
    seen: dict[str, str] = {}
    for option, path in destinations:
        check_destination(path, option)
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):
                continue
        except FileNotFoundError:
            pass
        except OSError:
            continue
        real = os.path.realpath(path)
        if real in seen:
            raise InputError(f"{seen[real]} and {option} name the same file '{path}': give each its own")
        seen[real] = option


def write_files(files: list[tuple[str, str, Writer]]) -> None:
    """Write each (option, path, writer) whole, or, if any fails, none of them."""
    staged: list[tuple[str, str]] = []  # (temporary path, destination)
    try:
        for option, path, writer in files:
            try:
                staged.append(_stage(path, writer))
            except OSError as error:
                raise InputError(f"cannot write {option} '{path}': {error.strerror or error}") from None
        for temporary, path in staged:
            if temporary is not None:
                os.replace(temporary, path)
        staged = []
    finally:
        for temporary, _path in staged:  # a failure, or Ctrl-C: no part of a file stays behind
            if temporary is not None:
                _remove(temporary)


def _stage(path: str, writer: Writer) -> tuple[str | None, str]:
    """Write to a temporary file beside ``path`` (or straight to a device) and
    return (the temporary file, or None when written directly; the path)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        with open(path, "wb") as handle:
            writer(handle)
        return None, path
    folder, name = os.path.split(path)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder or ".")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            writer(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o666 & ~_umask())  # as an ordinary new file would be (mkstemp makes 0600)
    except BaseException:
        _remove(temporary)
        raise
    return temporary, path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def require_regular_file(path: str, option: str) -> None:
    """An input file that is read whole or sought in (an array file, a saved
    model) must be a regular file: a FIFO or a device would be read, or waited
    on, without end."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError(f"{option} '{path}': no such file") from None
    except OSError as error:
        raise InputError(f"cannot read {option} '{path}': {error.strerror or error}") from None
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file (a FIFO or a device)"
        raise InputError(f"{option} '{path}' is {kind}: give a file")
