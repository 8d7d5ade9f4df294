"""rnnshape: output shapes and parameter counts of recurrent Keras models, without Keras.

    >>> from rnnshape import summarize
    >>> summary = summarize("simple:3:seq bi:8", input_shape=(2, 10))
    >>> [(row.name, row.output_shape, row.params) for row in summary.rows]
    [('simple_rnn', (None, 2, 3), 42), ('bidirectional', (None, 16), 192)]
    >>> summary.total_params
    234

``parse`` turns spec text into ``LayerSpec``s, ``infer`` walks them from an input
shape, and ``rnnshape.render.render`` prints a ``Summary`` as a table, plain
text, Markdown or JSON. ``rnnshape.run.plan_run`` and ``execute`` run a stack
forward with NumPy, which only they import. Bad input raises ``InputError``.
"""

from .errors import InputError
from .shapes import Row, Summary, infer, summarize
from .spec import LayerSpec, SpecError, parse

__version__ = "0.1.0"

__all__ = ["InputError", "LayerSpec", "Row", "SpecError", "Summary", "infer", "parse", "summarize"]
