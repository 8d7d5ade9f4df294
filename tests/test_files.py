"""Output files: exactly at the path given, checked before the run, whole or not at all."""

import os
import stat

import numpy as np
import pytest

from rnnshape.errors import InputError
from rnnshape.files import check_destination, write_files


def test_written_at_exactly_the_path_with_ordinary_permissions(tmp_path):
    path = tmp_path / "out"  # no suffix, and none added
    write_files([("--save-output", str(path), lambda handle: np.save(handle, np.arange(3)))])
    assert np.load(path).tolist() == [0, 1, 2] and sorted(os.listdir(tmp_path)) == ["out"]
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~mask


def test_an_existing_file_is_replaced_whole(tmp_path):
    path = tmp_path / "out.npy"
    path.write_bytes(b"old")
    write_files([("--save-output", str(path), lambda handle: handle.write(b"new"))])
    assert path.read_bytes() == b"new"


def test_a_failure_leaves_no_part_of_any_file(tmp_path):
    first, second = tmp_path / "a.npy", tmp_path / "b.npz"
    first.write_bytes(b"kept")

    def fails(handle):
        handle.write(b"x" * 1000)
        raise OSError(28, "No space left on device")

    with pytest.raises(InputError, match="cannot write --save-weights .*: No space left on device"):
        write_files([("--save-output", str(first), lambda handle: handle.write(b"new")),
                     ("--save-weights", str(second), fails)])
    assert first.read_bytes() == b"kept" and not second.exists()
    assert sorted(os.listdir(tmp_path)) == ["a.npy"]  # no temporary file left either


def test_an_interrupt_leaves_no_part_of_a_file(tmp_path):
    def interrupted(handle):
        handle.write(b"x" * 1000)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_files([("--save-output", str(tmp_path / "a.npy"), interrupted)])
    assert os.listdir(tmp_path) == []


def test_a_device_is_written_to_not_replaced():
    before = os.stat("/dev/null")
    write_files([("--save-output", "/dev/null", lambda handle: handle.write(b"data"))])
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino
    with pytest.raises(InputError, match="No space left on device"):
        write_files([("--save-weights", "/dev/full", lambda handle: handle.write(b"data" * 100000))])


@pytest.mark.parametrize("name, words", [
    ("", "needs a file name"),
    ("folder", "it is a folder"),
    ("missing/out.npy", "no folder"),
])
def test_bad_destinations_are_refused_before_anything_runs(tmp_path, name, words):
    (tmp_path / "folder").mkdir()
    with pytest.raises(InputError, match=words):
        check_destination(str(tmp_path / name) if name else "", "--save-output")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_folder_is_refused(tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(InputError, match="not writable"):
            check_destination(str(tmp_path / "out.npy"), "--save-output")
    finally:
        tmp_path.chmod(0o700)


def test_two_outputs_at_one_path_are_refused_before_the_run(tmp_path):
    from click.testing import CliRunner

    from rnnshape.cli import main

    path = tmp_path / "out.npz"
    runner = CliRunner()
    for args in (["summary", "-i", "4,2", "lstm:3", "--run", "--save-output", str(path), "--save-weights",
                  str(tmp_path / "." / "out.npz")],
                 ["code", "--framework", "pytorch", "-i", "4,2", "lstm:3", "-o", str(path), "--save-weights",
                  str(path)]):  # fmt: skip
        result = runner.invoke(main, args)
        assert result.exit_code == 2 and "name the same file" in result.stderr and result.stdout == ""
        assert not path.exists()
    shared = runner.invoke(main, ["code", "--framework", "pytorch", "-i", "4,2", "lstm:3", "-o", "/dev/null",
                                  "--save-weights", "/dev/null"])  # fmt: skip
    assert shared.exit_code == 0  # a device may take both
