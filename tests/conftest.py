"""Shared test helpers: the Keras fixtures and golden files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# No test may depend on the clock: hypothesis's default deadline (200 ms an
# example) and its too-slow check fail on a loaded machine, not on a bug.
settings.register_profile("rnnshape", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("rnnshape")

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
GOLDEN = HERE / "golden"


# What a user's shell has that a test may need. The rest of this machine's
# environment stays out of every rnnshape the tests start as a process: a
# user has no PYTHONUNBUFFERED (with it, stdout fails at other moments than it
# does for users), no PYTHONIOENCODING, no CI or editor settings. OPENBLAS_*
# stays where a machine sets it: on some processors an older OpenBLAS
# computes wrong results without it, and it changes no input or output.
USER_VARIABLES = ("PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "VIRTUAL_ENV",
                  "PYTHONPATH")  # fmt: skip


def user_environment(**variables: str | None) -> dict[str, str]:
    """A user's environment for rnnshape started as a process, 80 columns wide
    unless ``variables`` say otherwise (COLUMNS=None leaves it out)."""
    environment = {key: value for key, value in os.environ.items()
                   if key in USER_VARIABLES or key.startswith("OPENBLAS_")}  # fmt: skip
    environment["COLUMNS"] = "80"
    environment.update(variables)
    return {key: value for key, value in environment.items() if value is not None}


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/golden/* from the current output (review the diff!)")


def load_keras_stacks() -> list[dict]:
    """Stacks built by real Keras 3 (tests/fixtures/make_keras_fixtures.py)."""
    return json.loads((FIXTURES / "keras_summaries.json").read_text(encoding="utf-8"))["stacks"]


ALL_KERAS_STACKS = load_keras_stacks()
KERAS_STACKS = [stack for stack in ALL_KERAS_STACKS if "refused" not in stack]  # Keras built these
KERAS_REFUSED = [stack for stack in ALL_KERAS_STACKS if "refused" in stack]  # and refused these
KERAS_TEXTS = [stack for stack in KERAS_STACKS if "summary" in stack]  # with Keras's summary text


def as_lists(shape) -> list:
    """A shape, or a list of shapes, as the JSON lists Keras's fixtures hold."""
    return [list(one) for one in shape] if isinstance(shape, list) else list(shape)


def stack_id(stack: dict) -> str:
    batch = f" b{stack['batch']}" if stack["batch"] else ""
    return f"{stack['spec']} @{stack['input']}{batch}"


def cli_args(stack: dict) -> list[str]:
    """The command-line options that describe a fixture's input."""
    args = ["-i", ",".join(str(dim) for dim in stack["input"])]
    if stack["batch"]:
        args += ["-b", str(stack["batch"])]
    if stack["name"]:
        args += ["--name", stack["name"]]
    return args


@pytest.fixture
def golden(request):
    """Compare text with tests/golden/NAME, or rewrite it under --update-golden."""

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if request.config.getoption("--update-golden"):
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
        assert path.exists(), f"no golden file {path}: run pytest --update-golden and review it"
        assert text == path.read_text(encoding="utf-8")

    return check
