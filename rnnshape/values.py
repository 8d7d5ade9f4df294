"""A small value-object base class for rnnshape's records (never mutated once built).

It gives what ``@dataclass(frozen=True)`` would — equality, hashing and a repr
by field — without its cost: dataclasses build each class by generating and
``exec``-ing source, about a millisecond a class, which ``rnnshape summary``
would pay at every start-up. Each subclass writes its ``__init__``; the field
names are read from that ``__init__``'s arguments, so they are declared once.
An ``__init__`` that ends in ``**options`` and hands them to its parent's
keeps the parent's fields too.
"""

from __future__ import annotations

_VARKEYWORDS = 0x08  # inspect.CO_VARKEYWORDS, without importing inspect at start-up


class Value:
    """Equality, hash and repr from the arguments of the subclass's ``__init__``."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        code = getattr(init, "__code__", None)  # None: no __init__ of its own; keep the parent's fields
        if code is not None:
            own = code.co_varnames[1 : code.co_argcount + code.co_kwonlyargcount]  # the arguments after self
            if code.co_flags & _VARKEYWORDS:
                own += tuple(name for name in cls._fields if name not in own)
            cls._fields = own

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
