"""``python -m rnnshape``: the same as the ``rnnshape`` command."""

from .cli import run

run()
