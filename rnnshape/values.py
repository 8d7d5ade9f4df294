"""A small value-object base class for rnnshape's records (never mutated once built).

It gives what ``@dataclass(frozen=True)`` would — equality, hashing and a repr
by field — without its cost: dataclasses build each class by generating and
``exec``-ing source, about a millisecond a class, which ``rnnshape summary``
would pay at every start-up. Each subclass writes its ``__init__``; the field
names are read from that ``__init__``'s arguments, so they are declared once.
"""

from __future__ import annotations


class Value:
    """Equality, hash and repr from the arguments of the subclass's ``__init__``."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        code = getattr(cls.__init__, "__code__", None)  # None: no __init__ of its own yet
        if code is not None:
            cls._fields = code.co_varnames[1 : code.co_argcount]  # the arguments after self

    def replace(self, **changes):
        """A copy with some fields changed, as dataclasses.replace makes one."""
        return type(self)(**{**{name: getattr(self, name) for name in self._fields}, **changes})

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self), self._values()))

    def __repr__(self) -> str:
        arguments = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({arguments})"
