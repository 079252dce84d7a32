"""The input checks keep the patterns they document.

The checks made on every assume are string tests (importing ``re`` would cost
a cache hit more than its work); each is held here to the regular expression
it stands for, on names built from the characters that matter.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from assume_role import validate
from assume_role.accounts import table
from assume_role.shell import emitters

# Characters on both sides of each pattern's edges: ASCII name characters,
# the separators, non-ASCII letters and digits (which \w and \d would take
# without (?a)), controls, and a newline (which $ would let through).
ALPHABET = "aZz09_+=,.@-/ :\n\t\x00\x7f\x1béé٣ßİ"
texts = st.text(alphabet=ALPHABET, max_size=80)


def pieces(alphabet: str, joiner: str, most: int, longest: int = 70):
    """Text made of ``joiner``-separated runs, so that the patterns' repetitions are reached."""
    run = st.text(alphabet=alphabet, max_size=longest)
    return st.lists(run, max_size=most).map(joiner.join)


ROLE = re.compile(r"(?a)(?:[\w+=,.@-]+/){0,32}[\w+=,.@-]{1,64}")


@settings(max_examples=600, deadline=None)
@given(st.one_of(texts, pieces("aZ09_+=,.@-é", "/", 36)))
def test_role_names_follow_iams_pattern(value):
    assert validate.is_role_name(value) == (len(value) <= 512 + 64 and bool(ROLE.fullmatch(value)))


@settings(max_examples=400, deadline=None)
@given(texts)
def test_session_names_replace_what_iam_refuses(value):
    expected = re.sub(r"(?a)[^\w+=,.@-]", "-", value.strip())[:64]
    if len(expected) < 2:
        expected = (expected + validate.SESSION_NAME_PADDING).lstrip("-")
    assert validate.session_name(value) == expected


@settings(max_examples=600, deadline=None)
@given(st.one_of(texts, pieces("az09-Z٣", "-", 6, longest=4)))
def test_regions_follow_their_pattern(value):
    assert validate.is_region(value) == bool(re.fullmatch(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}", value))


@settings(max_examples=400, deadline=None)
@given(st.one_of(texts, st.text(alphabet="0123456789٣ ", min_size=5, max_size=7)))
def test_mfa_codes_are_six_ascii_digits(value):
    assert validate.is_mfa_code(value) == bool(re.fullmatch(r"[0-9]{6}", value))


@settings(max_examples=400, deadline=None)
@given(st.one_of(texts, st.text(alphabet="0123456789٣", min_size=11, max_size=13)))
def test_account_ids_are_twelve_ascii_digits(value):
    assert table.is_account_id(value) == bool(re.fullmatch(r"[0-9]{12}", value))


@settings(max_examples=400, deadline=None)
@given(texts)
def test_control_characters_are_found(value):
    assert validate.has_control(value) == bool(re.search(r"[\x00-\x1f\x7f]", value))


@settings(max_examples=400, deadline=None)
@given(st.one_of(texts, st.text(alphabet="aZ_09é-", max_size=8)))
def test_variable_names_follow_the_shells_rule(value):
    assert emitters.is_name(value) == bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value))



@settings(max_examples=400, deadline=None)
@given(st.one_of(texts, st.text(alphabet="aZ09_@%+=:,./-'\" $é", max_size=12)))
def test_shell_words_are_quoted_as_shlex_quotes_them(value):
    import shlex

    assert emitters.shell_word(value) == shlex.quote(value)
