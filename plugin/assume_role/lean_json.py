"""Reading JSON without importing ``json``.

``json.decoder`` and ``json.encoder`` import ``re`` (and ``enum`` behind it),
which would cost a cache hit more than the rest of its imports. What they
wrap is the standard library's C scanner and string encoders (``_json``):
this module calls those directly, with the settings ``json.loads`` gives
them, so a value read here is the value ``json.loads`` returns.

Anything the fast path does not take (invalid JSON, a byte-order mark, text
that is not UTF-8, an interpreter without ``_json``) is handed to ``json``
itself, so errors are exactly its errors. Writing is rarer and goes through
``json`` (see ``state.files``).
"""

from __future__ import annotations

__all__ = ["encode_string", "encode_string_ascii", "loads"]

_WHITESPACE = " \t\n\r"  # json.decoder.WHITESPACE


class _Settings:
    """What ``json.JSONDecoder()`` hands its scanner."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}.__getitem__


try:
    from _json import encode_basestring as encode_string
    from _json import encode_basestring_ascii as encode_string_ascii
    from _json import make_scanner as _make_scanner

    _scan = _make_scanner(_Settings())
except ImportError:  # another interpreter: json's own
    from json.encoder import encode_basestring as encode_string
    from json.encoder import encode_basestring_ascii as encode_string_ascii

    _scan = None


def loads(text: str | bytes):
    """``json.loads(text)``."""
    if _scan is not None:
        value = _fast(text)
        if value is not _NOT_TAKEN:
            return value
    import json

    return json.loads(text)


_NOT_TAKEN = object()


def _fast(text: str | bytes):
    if isinstance(text, (bytes, bytearray)):
        try:
            text = text.decode("utf-8")  # json.loads would also take UTF-16 and UTF-32
        except UnicodeDecodeError:
            return _NOT_TAKEN
    if text.startswith("\ufeff"):
        return _NOT_TAKEN  # json.loads refuses it with its own message
    start = len(text) - len(text.lstrip(_WHITESPACE))
    try:
        value, end = _scan(text, start)
    except Exception:  # noqa: BLE001 (the scanner's errors need json.decoder loaded to be right: json says it)
        return _NOT_TAKEN
    if text[end:].strip(_WHITESPACE):
        return _NOT_TAKEN  # "Extra data"
    return value
