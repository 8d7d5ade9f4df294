"""The exception types that mean "the user gave bad input".

The library raises them for anything a user can get wrong (a spec, an input
shape, a file); the CLI prints the message on stderr and exits with status 2.
Anything else that escapes is a bug in rnnshape.
"""

import enum


class ExitStatus(enum.IntEnum):
    """The command line's exit statuses, the contract scripts rely on (SPEC section 7)."""

    OK = 0  # also when the reader of the output goes away early (| head)
    INTERNAL_ERROR = 1  # a bug in rnnshape, and nothing else
    BAD_INPUT = 2  # anything the user can get wrong, and failures of memory, files and streams
    INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, as a shell reports a job it interrupted


class InputError(Exception):
    """Bad input: the message says what is wrong and, where it can, how to fix it."""


class ShapeError(InputError):
    """A layer refuses its input (what Keras refuses when it builds the layer).

    Kinds raise it knowing only themselves; the shape engine adds the layer's
    number and name to the message."""


def printable(text: str, keep: str = "") -> str:
    """``text`` with its control and invisible characters (escape codes, a
    right-to-left override, a BOM) written as escapes, as Python writes them:
    an error message must show what was typed, never act on the terminal.
    Characters in ``keep`` (a message's own newlines) stay as they are."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() or char in keep else ascii(char)[1:-1] for char in text)
