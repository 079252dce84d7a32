"""JSON read without json's Python layer gives what json.loads gives, errors included."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from assume_role import lean_json


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(json_values, st.sampled_from(["", " ", "\n\t\r "]), st.booleans())
def test_json_is_read_as_json_reads_it(value, space, ascii_only):
    text = space + json.dumps(value, ensure_ascii=ascii_only) + space
    assert lean_json.loads(text) == json.loads(text)
    assert lean_json.loads(text.encode("utf-8")) == json.loads(text.encode("utf-8"))


@settings(max_examples=600, deadline=None)
@given(st.one_of(st.text(alphabet='{}[]":,0123456789.eE+-tfnaulrsNI \\\n\ufeff\x00é', max_size=30),
                 json_values.map(json.dumps).map(lambda t: t[: len(t) // 2] + "x" + t[len(t) // 2:])))
def test_text_that_is_not_json_fails_as_json_fails(text):
    try:
        expected = json.loads(text)
    except ValueError as exc:
        expected = (type(exc), str(exc))
    try:
        found = lean_json.loads(text)
    except ValueError as exc:
        found = (type(exc), str(exc))
    assert repr(found) == repr(expected)  # NaN != NaN: compared as text


def test_json_strings_are_encoded_as_json_encodes_them():
    for text in ["", "plain", 'quote " and \\ backslash', "tab\tline\n", "é ß 日本 \U0001f600", "\x00\x1f\x7f"]:
        assert lean_json.encode_string_ascii(text) == json.dumps(text)
        assert lean_json.encode_string(text) == json.dumps(text, ensure_ascii=False)
