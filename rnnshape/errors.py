"""The exception types that mean "the user gave bad input".

The library raises them for anything a user can get wrong (a spec, an input
shape, a file); the CLI prints the message on stderr and exits with status 2.
Anything else that escapes is a bug in rnnshape.
"""


class InputError(Exception):
    """Bad input: the message says what is wrong and, where it can, how to fix it."""


class ShapeError(InputError):
    """A layer refuses its input (what Keras refuses when it builds the layer).

    Kinds raise it knowing only themselves; the shape engine adds the layer's
    number and name to the message."""
