"""Which parameters a Query-protocol request may carry, read from botocore's service model.

moto reads the parameters it knows and ignores the rest, so a misspelled name
passes unnoticed: IAM's DeleteAccessKey with ``serName=bob`` deletes a key of
the *calling* user, as the missing UserName means "the caller". A strict
reading of the API model refuses a name the action does not define, so a
client that spells one wrong meets an error instead.

A Query request carries the input structure flattened, as botocore's
``QuerySerializer`` writes it: ``Name`` for a scalar, ``Name.member.N...`` for
a list (``Name.N`` when the list is flattened), ``Name.entry.N.key``/``.value``
for a map, ``Outer.Inner`` for a nested structure. A name is checked by walking
it along the input shape, so nested and recursive shapes need no list of every
possible name.
"""

from __future__ import annotations

import threading
from typing import Iterable

# Every Query request names its action and API version.
PROTOCOL_PARAMETERS = frozenset({"Action", "Version"})
# SigV4 in the query string (a presigned URL) instead of an Authorization header.
QUERY_SIGNATURE_PARAMETERS = frozenset({
    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
    "X-Amz-Signature", "X-Amz-Security-Token",
})

_lock = threading.Lock()
_session = None
_models: dict[str, object | None] = {}


def _service_model(service: str):
    """botocore's model of ``service`` if it speaks the Query protocol, else None; loaded once."""
    global _session
    if service not in _models:
        import botocore.session
        from botocore.exceptions import UnknownServiceError

        if _session is None:
            _session = botocore.session.get_session()
        try:
            model = _session.get_service_model(service)
        except UnknownServiceError:
            model = None
        if model is not None:
            protocols = model.metadata.get("protocols") or [model.metadata.get("protocol")]
            signing_name = model.metadata.get("signingName") or model.metadata.get("endpointPrefix")
            # The request names its service by its signing name; only a model
            # signed under that same name is the one the request was meant for.
            if "query" not in protocols or signing_name != service:
                model = None
        _models[service] = model
    return _models[service]


def _is_index(segment: str) -> bool:
    # Query lists and maps count from 1.
    return segment.isdigit() and not segment.startswith("0")


def _member_names(structure) -> dict[str, tuple[object, str]]:
    """The first segment of each member's names: segment -> (member shape, how it continues)."""
    names: dict[str, tuple[object, str]] = {}
    for key, member in structure.members.items():
        name = member.serialization.get("name", key)
        if member.type_name == "list" and member.serialization.get("flattened"):
            # An empty list is sent as the bare name; its items under the
            # item's own name when the model gives one.
            names[name] = (member, "empty")
            item_name = member.member.serialization.get("name")
            names[item_name or name] = (member, "flattened")
        elif member.type_name == "map" and member.serialization.get("flattened"):
            names[name] = (member, "flattened")
        else:
            names[name] = (member, "nested")
    return names


def _defined(shape, segments: list[str]) -> bool:
    """Whether the dotted name ``segments`` is one the serialised ``shape`` may contain."""
    if not segments:
        # A value, or a list with no items, which is sent as its bare name.
        return shape.type_name not in ("structure", "map")
    kind = shape.type_name
    if kind == "structure":
        found = _member_names(shape).get(segments[0])
        if found is None:
            return False
        member, how = found
        if how == "empty":
            return len(segments) == 1
        if how == "flattened":
            return (len(segments) == 1 and member.type_name == "list") or _defined_items(member, segments[1:])
        return _defined(member, segments[1:])
    if kind == "list":
        item_name = shape.member.serialization.get("name", "member")
        return segments[0] == item_name and _defined_items(shape, segments[1:])
    if kind == "map":
        return segments[0] == "entry" and _defined_items(shape, segments[1:])
    return False  # a scalar has nothing below it


def _defined_items(container, segments: list[str]) -> bool:
    """``N.rest`` of a list's items or a map's entries."""
    if not segments or not _is_index(segments[0]):
        return False
    rest = segments[1:]
    if container.type_name == "list":
        return _defined(container.member, rest)
    key_name = container.key.serialization.get("name", "key")
    value_name = container.value.serialization.get("name", "value")
    if rest and rest[0] == key_name:
        return _defined(container.key, rest[1:])
    if rest and rest[0] == value_name:
        return _defined(container.value, rest[1:])
    return False


def undefined(service: str, action: str, version: str | None, names: Iterable[str],
              signed_in_query: bool) -> tuple[list[str], list[str]] | None:
    """The parameter names ``action`` does not define, and the names it takes.

    None when the model cannot judge: a service that is not a Query service
    botocore knows under this signing name, another API version, or an
    action the model does not have. Those requests go on as before.
    """
    with _lock:
        model = _service_model(service)
        if model is None or (version and version != model.api_version):
            return None
        if action not in model.operation_names:
            return None
        shape = model.operation_model(action).input_shape
        allowed = PROTOCOL_PARAMETERS | (QUERY_SIGNATURE_PARAMETERS if signed_in_query else frozenset())
        unknown = [
            name for name in names
            if name not in allowed and not (shape is not None and _defined(shape, name.split(".")))
        ]
        members = shape.members.items() if shape is not None else ()
        takes = [member.serialization.get("name", key) for key, member in members]
    return unknown, takes
