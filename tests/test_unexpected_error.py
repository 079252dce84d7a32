"""A bug is reported by its type and place, never by its text.

An exception's text can quote whatever a library was handling, such as an
AWS answer holding credentials. The bug is stood in for by a function that
raises such an exception where the command would run.
"""

from __future__ import annotations

import pytest

from assume_role import cli

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def raise_with_a_secret_in_the_text(argv):
    raise ValueError(f"Unable to parse response: b'<SecretAccessKey>{SECRET}</SecretAccessKey>'")


@pytest.mark.parametrize("verbose", [False, True])
def test_unexpected_error_names_type_and_place_only(verbose, monkeypatch, capsys):
    monkeypatch.setattr(cli, "run", raise_with_a_secret_in_the_text)
    code = cli.main(["-v", "production", "read"] if verbose else ["production", "read"])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert SECRET not in err
    last = err.splitlines()[-1]
    assert last.startswith("assume-role: unexpected error: ValueError in main (cli.py:")
    if verbose:
        # The stack, as file, line and source: enough to find the bug.
        assert "Stack (most recent call last):" in err
        assert "raise_with_a_secret_in_the_text" in err
    else:
        assert err.count("\n") == 1
        assert last.endswith("(run with -v for details)")


@pytest.mark.parametrize("verbose", [False, True])
def test_a_library_failure_suggests_v_only_when_it_was_not_given(verbose, monkeypatch, capsys):
    from assume_role.aws.errors import library_error

    def fail_in_the_aws_client(argv):
        raise library_error(KeyError(SECRET), "calling sts:GetSessionToken")

    monkeypatch.setattr(cli, "run", fail_in_the_aws_client)
    code = cli.main(["-v", "production", "read"] if verbose else ["production", "read"])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    expected = "assume-role: the AWS client failed while calling sts:GetSessionToken (KeyError)"
    assert err == expected + ("\n" if verbose else "; run with -v for the steps\n")
