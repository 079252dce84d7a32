"""Records behave as the namedtuples they replace, in everything the tool uses."""

from __future__ import annotations

import pickle
from collections import namedtuple

import pytest

from assume_role.credentials import Credentials
from assume_role.record import record

FIELDS = ["alias", "id", "roles", "region"]
DEFAULTS = ((), None)
Ours = record("Account", FIELDS, defaults=DEFAULTS)
Theirs = namedtuple("Account", FIELDS, defaults=DEFAULTS)

CALLS = [
    (("prod", "111111111111"), {}),
    (("prod", "111111111111", ("read",), "eu-west-1"), {}),
    ((), {"alias": "prod", "id": "111111111111"}),
    (("prod",), {"id": "111111111111", "region": "eu-west-1"}),
    ((), {"region": "eu-west-1", "id": "1", "alias": "a", "roles": ("x",)}),
]


@pytest.mark.parametrize("args, kwargs", CALLS)
def test_built_and_read_as_a_namedtuple_is(args, kwargs):
    ours, theirs = Ours(*args, **kwargs), Theirs(*args, **kwargs)
    assert tuple(ours) == tuple(theirs) and ours == theirs and hash(ours) == hash(theirs)
    assert [getattr(ours, f) for f in FIELDS] == [getattr(theirs, f) for f in FIELDS]
    alias, account_id, roles, region = ours
    assert (alias, account_id, roles, region) == theirs
    assert repr(ours) == repr(theirs)
    assert ours._asdict() == theirs._asdict()
    assert ours._replace(region="us-west-2") == theirs._replace(region="us-west-2")
    assert type(ours._replace(region="x")) is Ours
    assert Ours._fields == Theirs._fields and Ours._field_defaults == Theirs._field_defaults
    assert pickle.loads(pickle.dumps(tuple(ours))) == tuple(theirs)


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((), {}),  # required fields missing
        (("a",), {}),
        (("a", "1", (), None, "extra"), {}),  # too many
        (("a", "1"), {"alias": "b"}),  # given twice
        (("a", "1"), {"colour": "red"}),  # no such field
    ],
)
def test_wrong_calls_fail_as_a_namedtuple_does(args, kwargs):
    with pytest.raises(TypeError):
        Theirs(*args, **kwargs)
    with pytest.raises(TypeError):
        Ours(*args, **kwargs)


def test_replacing_a_field_that_does_not_exist_fails():
    with pytest.raises(ValueError):
        Theirs("a", "1")._replace(colour="red")
    with pytest.raises(ValueError):
        Ours("a", "1")._replace(colour="red")


def test_a_subclass_keeps_its_own_methods_and_repr():
    credentials = Credentials("AKIAEXAMPLE", "secret-value", "token-value")
    assert credentials.secret_access_key == "secret-value" and credentials.expiration is None
    assert "secret-value" not in repr(credentials) and "token-value" not in repr(credentials)
    assert isinstance(credentials._replace(session_token=None), Credentials)
    with pytest.raises(AttributeError):
        credentials.other = 1  # no per-instance dict, as with namedtuple's __slots__
