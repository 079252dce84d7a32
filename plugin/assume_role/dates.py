"""The date and time types every module uses, imported in one place.

Python 3.11's ``datetime`` module runs its whole pure-Python implementation
before replacing it with the C one (``_datetime``), a millisecond of every
run. The classes are the same objects either way (``datetime.datetime is
_datetime.datetime``); where there is no C module, ``datetime`` provides them.
"""

from __future__ import annotations

try:
    from _datetime import datetime, timedelta, timezone
except ImportError:
    from datetime import datetime, timedelta, timezone

__all__ = ["datetime", "timedelta", "timezone"]
