"""The one exception type that means "the user gave bad input".

The library raises it for anything a user can get wrong (a spec, an input shape,
a file); the CLI prints its message on stderr and exits with status 2. Anything
else that escapes is a bug in rnnshape.
"""


class InputError(Exception):
    """Bad input: the message says what is wrong and, where it can, how to fix it."""
