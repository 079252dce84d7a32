"""Records: tuples with named fields, the tool's value objects.

``collections.namedtuple`` would do, but a cache hit builds a dozen of these
classes, and namedtuple costs it its import of ``collections`` and a
compiled constructor per class (about 1.5 ms together). A record keeps what
the tool relies on: construction by position or by keyword with defaults,
fields read by name, unpacking, equality and hashing as a tuple,
``_replace``, ``_fields``, ``_asdict`` and a repr naming the fields.
"""

from __future__ import annotations


def record(name: str, fields: list[str] | tuple[str, ...], defaults: tuple = ()) -> type:
    """A tuple class called ``name`` with ``fields``; ``defaults`` for the last ones, as namedtuple takes them."""
    fields = tuple(fields)
    default_of = dict(zip(fields[len(fields) - len(defaults):], defaults))
    count = len(fields)

    def __new__(cls, *args, **kwargs):
        if len(args) == count and not kwargs:
            return tuple.__new__(cls, args)
        if len(args) > count:
            raise TypeError(f"{name}() takes {count} arguments ({len(args)} given)")
        values = list(args)
        for field in fields[len(args):]:
            if field in kwargs:
                values.append(kwargs.pop(field))
            elif field in default_of:
                values.append(default_of[field])
            else:
                raise TypeError(f"{name}() is missing the argument {field!r}")
        if kwargs:
            raise TypeError(f"{name}() got an unexpected or repeated argument {sorted(kwargs)[0]!r}")
        return tuple.__new__(cls, values)

    def _replace(self, **changes):
        values = [changes.pop(field, value) for field, value in zip(fields, self)]
        if changes:
            raise ValueError(f"{name} has no field {sorted(changes)[0]!r}")
        return tuple.__new__(type(self), values)

    def _asdict(self) -> dict:
        return dict(zip(fields, self))

    def __repr__(self) -> str:
        shown = ", ".join(f"{field}={value!r}" for field, value in zip(fields, self))
        return f"{type(self).__name__}({shown})"

    def __getnewargs__(self) -> tuple:
        return tuple(self)

    namespace = {
        "__doc__": f"{name}({', '.join(fields)})",
        "__slots__": (),
        "__new__": __new__,
        "__repr__": __repr__,
        "__getnewargs__": __getnewargs__,
        "__match_args__": fields,
        "_fields": fields,
        "_field_defaults": default_of,
        "_replace": _replace,
        "_asdict": _asdict,
    }
    for position, field in enumerate(fields):
        namespace[field] = property(lambda self, position=position: self[position], doc=f"field {position}")
    return type(name, (tuple,), namespace)
