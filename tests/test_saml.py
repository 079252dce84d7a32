"""AWS_ASSUME_ROLE_AUTH_SCHEME=saml: sign in at an identity provider, AssumeRoleWithSAML.

Against a small local IdP (tests/saml_idp.py) and the strict emulator, which
checks the provider, the issuer, the expiry, the offered role and the role's
trust policy before moto issues credentials. The user here has no bastion
keys at all, as a SAML-only user of the original tool.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from saml_idp import PASSWORD, TEMPLATE, USER, IdentityProvider
from support import assert_clean_failure, require_root, run_cli
from test_assume import CALLER_ARN, eval_line, exports_of, shell_session
from test_imports import loaded

from assume_role.signin import saml


@pytest.fixture
def idp(world):
    server = IdentityProvider(world)
    yield server
    server.close()


def write_saml_file(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(text)
    path.chmod(mode)
    return path


@pytest.fixture
def saml_env(aws_env, idp, world):
    env = dict(aws_env)
    # A SAML-only user: no bastion keys anywhere.
    Path(env["AWS_SHARED_CREDENTIALS_FILE"]).unlink()
    write_saml_file(Path(env["HOME"]) / ".saml" / "credentials", f"username = {USER}\npassword = {PASSWORD}\n")
    env.update(
        AWS_ASSUME_ROLE_AUTH_SCHEME="saml",
        SAML_IDP_ASSERTION_URL=idp.url,
        SAML_IDP_REQUEST_BODY_TEMPLATE=TEMPLATE,
        SAML_IDP_NAME=world.saml_provider_name,
    )
    return env


def saml_file(env) -> Path:
    return Path(env["HOME"]) / ".saml" / "credentials"


def assumed_arn(world, account: str = "production", role: str = "read") -> str:
    return f"arn:aws:sts::{world.account_id(account)}:assumed-role/{role}/{USER}"


# -- success --------------------------------------------------------------------


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_round_trip_in_real_shell(shell, saml_env, idp, world):
    result = shell_session(
        shell,
        saml_env,
        [eval_line(shell, "production", "read"), f"{sys.executable} -c '{CALLER_ARN}'",
         'echo "$AWS_ACCOUNT_NAME:$AWS_ACCOUNT_ROLE $AWS_ACCOUNT_ID $AWS_REGION"'],
    )
    assert result.returncode == 0, result.stderr
    arn, summary = result.stdout.splitlines()
    assert arn == assumed_arn(world)
    assert summary == f"production:read {world.production_account_id} us-east-1"
    # The template was filled with JSON-escaped values (the password has quotes and a backslash).
    assert idp.posts == [{"service": "aws", "email": USER, "password": PASSWORD}]


def test_third_argument_is_the_region(saml_env, world):
    run = run_cli(saml_env, "--shell", "bash", "production", "read", "eu-west-2")
    assert run.returncode == 0, run.stderr
    exported = exports_of(run.stdout)
    assert exported["AWS_REGION"] == exported["AWS_DEFAULT_REGION"] == "eu-west-2"
    assert exported["AWS_ACCOUNT_ROLE"] == "read"


@pytest.mark.parametrize(
    "args, fragment",
    [(["production", "read", "123456"], "no MFA code"), (["production", "read", "123456", "us-east-1"], "ACCOUNT ROLE [REGION]")],
)
def test_bastion_arguments_are_refused(saml_env, idp, args, fragment):
    assert_clean_failure(run_cli(saml_env, "--shell", "bash", *args), 2, fragment)
    assert idp.posts == []


def test_twelve_hour_session_needs_no_bastion(saml_env, emulator):
    # No role chaining in this scheme: DurationSeconds up to the role's maximum.
    run = run_cli({**saml_env, "AWS_ROLE_SESSION_TIMEOUT": "43200"}, "--shell", "bash", "production", "read")
    assert run.returncode == 0, run.stderr
    assert emulator.control.calls(outcome="ok").get("AssumeRoleWithSAML") == 1


def test_second_run_reuses_the_credentials(saml_env, idp, emulator):
    first = run_cli(saml_env, "--shell", "bash", "production", "read")
    assert first.returncode == 0, first.stderr
    second = run_cli(saml_env, "--shell", "bash", "production", "read")
    assert second.returncode == 0, second.stderr
    assert exports_of(second.stdout)["AWS_ACCESS_KEY_ID"] == exports_of(first.stdout)["AWS_ACCESS_KEY_ID"]
    assert len(idp.posts) == 1
    assert emulator.control.calls().get("AssumeRoleWithSAML") == 1
    # A hit needs neither the IdP nor botocore.
    assert loaded(saml_env, "--shell", "bash", "production", "read") == set()
    assert len(idp.posts) == 1


def test_saml_sessions_are_kept_apart_and_logout_forgets_them(saml_env, idp):
    assert run_cli(saml_env, "--shell", "bash", "production", "read").returncode == 0
    out = run_cli(saml_env, "logout")
    assert out.returncode == 0
    assert "removed 1 stored session for profile saml:test-idp" in out.stdout
    assert run_cli(saml_env, "--shell", "bash", "production", "read").returncode == 0
    assert len(idp.posts) == 2


def test_verbose_names_the_steps_but_no_secret(saml_env, idp):
    run = run_cli(saml_env, "-v", "--shell", "bash", "production", "read")
    assert run.returncode == 0, run.stderr
    assert "AssumeRoleWithSAML" in run.stderr
    assert PASSWORD not in run.stderr
    assert exports_of(run.stdout)["AWS_SECRET_ACCESS_KEY"] not in run.stderr


def test_username_in_the_file_may_contain_a_placeholder(saml_env, idp):
    # One pass: the username is sent as typed, never replaced by the password.
    write_saml_file(saml_file(saml_env), f"username = $saml_password\npassword = {PASSWORD}\n")
    run = run_cli(saml_env, "--shell", "bash", "production", "read")
    assert_clean_failure(run, 3, "refused the sign-in")
    assert idp.posts == [{"service": "aws", "email": "$saml_password", "password": PASSWORD}]


# -- the identity provider says no, or misbehaves ---------------------------------


def test_wrong_password_exits_3_and_shows_nothing_of_the_answer(saml_env, idp, emulator):
    write_saml_file(saml_file(saml_env), f"username = {USER}\npassword = hunter2\n")
    run = run_cli(saml_env, "--shell", "bash", "production", "read")
    assert_clean_failure(run, 3, "refused the sign-in", "HTTP 401")
    assert "hunter2" not in run.stderr and "invalid password" not in run.stderr
    assert len(idp.posts) == 1
    assert "AssumeRoleWithSAML" not in emulator.control.calls()


@pytest.mark.parametrize("mode", ["garbled", "no-assertion", "not-base64", "huge", "server-error", "redirect"])
def test_broken_answers_exit_6_once(mode, saml_env, idp, emulator):
    idp.mode = mode
    run = run_cli(saml_env, "--shell", "bash", "production", "read")
    assert_clean_failure(run, 6, "identity provider at 127.0.0.1")
    assert PASSWORD not in run.stderr and "html" not in run.stderr.lower()
    # The POST that carried the password was sent once, and nowhere else.
    assert len(idp.posts) == 1
    assert "AssumeRoleWithSAML" not in emulator.control.calls()


@pytest.mark.parametrize("status", [300, 301, 302, 303, 307, 308])
def test_a_redirect_is_refused_not_followed(status, saml_env, idp, emulator):
    # urllib itself refuses to resend a POST on 307 and 308, but follows 301,
    # 302 and 303 with a GET: the refusal has to be the tool's own.
    idp.mode, idp.redirect_status = "redirect", status
    run = run_cli(saml_env, "--shell", "bash", "production", "read")
    assert_clean_failure(run, 6, f"answered with a redirect (HTTP {status})", "SAML_IDP_ASSERTION_URL")
    assert len(idp.posts) == 1
    assert idp.redirected == []
    assert "AssumeRoleWithSAML" not in emulator.control.calls()


@pytest.mark.parametrize(
    "status, exit_code, fragment",
    [
        # A busy or overloaded IdP: the password is right, so it says to try later, and nothing is retried.
        (408, 6, "failed (HTTP 408); try again later"),
        (429, 6, "failed (HTTP 429); try again later"),
        (503, 6, "failed (HTTP 503); try again later"),
        # No sign-in API there: the URL is wrong, not the password.
        (404, 2, "has no sign-in API at SAML_IDP_ASSERTION_URL (HTTP 404)"),
        (405, 2, "has no sign-in API at SAML_IDP_ASSERTION_URL (HTTP 405)"),
        (403, 3, "refused the sign-in (HTTP 403): check the username and password"),
    ],
)
def test_each_refusal_of_the_identity_provider_says_what_to_do(status, exit_code, fragment, saml_env, idp, emulator):
    idp.mode, idp.status = "status", status
    run = run_cli(saml_env, "--shell", "bash", "production", "read")
    assert_clean_failure(run, exit_code, fragment)
    assert PASSWORD not in run.stderr and "html" not in run.stderr.lower()
    assert len(idp.posts) == 1
    assert "AssumeRoleWithSAML" not in emulator.control.calls()


def test_slow_identity_provider_times_out_without_retrying(saml_env, idp):
    idp.mode, idp.slow_seconds = "slow", 4
    run = run_cli({**saml_env, "ASSUME_ROLE_HTTP_TIMEOUT": "1"}, "--shell", "bash", "production", "read")
    assert_clean_failure(run, 6, "did not answer within 1 seconds")
    assert len(idp.posts) == 1


def test_unreachable_identity_provider_exits_6(saml_env):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**saml_env, "SAML_IDP_ASSERTION_URL": f"http://127.0.0.1:{port}/sso"}
    assert_clean_failure(run_cli(env, "--shell", "bash", "production", "read"), 6, "cannot reach")


def test_https_identity_provider(saml_env, world, tmp_path):
    idp = IdentityProvider(world, tls=tmp_path / "tls")
    try:
        env = {**saml_env, "SAML_IDP_ASSERTION_URL": idp.url, "SSL_CERT_FILE": str(idp.certificate)}
        run = run_cli(env, "--shell", "bash", "production", "read")
        assert run.returncode == 0, run.stderr
        assert len(idp.posts) == 1
    finally:
        idp.close()


def test_aws_ca_bundle_alone_decides_whom_the_password_goes_to(saml_env, world, tmp_path):
    # An organisation's CA named in AWS_CA_BUNDLE, as for every AWS tool: trusted.
    idp = IdentityProvider(world, tls=tmp_path / "tls")
    other = IdentityProvider(world, tls=tmp_path / "other-tls")
    try:
        env = {**saml_env, "SAML_IDP_ASSERTION_URL": idp.url, "AWS_CA_BUNDLE": str(idp.certificate)}
        run = run_cli(env, "--shell", "bash", "production", "read")
        assert run.returncode == 0, run.stderr
        assert len(idp.posts) == 1
        assert run_cli(env, "logout").returncode == 0  # so that the next run signs in
        # AWS_CA_BUNDLE replaces the system's store: a certificate only the
        # system trusts (SSL_CERT_FILE) gets nothing while it names another CA.
        env = {**saml_env, "SAML_IDP_ASSERTION_URL": other.url, "SSL_CERT_FILE": str(other.certificate),
               "AWS_CA_BUNDLE": str(idp.certificate)}
        run = run_cli(env, "--shell", "bash", "production", "read")
        assert_clean_failure(run, 6, "cannot verify the TLS certificate")
        assert other.posts == []
    finally:
        idp.close()
        other.close()


def test_untrusted_certificate_gets_no_password(saml_env, world, tmp_path):
    idp = IdentityProvider(world, tls=tmp_path / "tls")
    try:
        env = {**saml_env, "SAML_IDP_ASSERTION_URL": idp.url}
        run = run_cli(env, "--shell", "bash", "production", "read")
        assert_clean_failure(run, 6, "cannot verify the TLS certificate")
        assert idp.posts == []
    finally:
        idp.close()


# -- AWS says no -------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["expired", "wrong-issuer"])
def test_assertion_refused_by_aws_exits_5(mode, saml_env, idp):
    idp.mode = mode
    run = run_cli(saml_env, "--shell", "bash", "production", "read")
    assert_clean_failure(run, 5, "SAML assertion", "saml-provider/test-idp")


def test_role_not_offered_by_the_identity_provider_exits_5(saml_env, idp, world):
    run = run_cli(saml_env, "--shell", "bash", "staging", "admin")
    assert_clean_failure(run, 5, f"denied sts:AssumeRoleWithSAML on {world.role_arn('staging', 'admin')}")


def test_role_that_does_not_trust_the_provider_exits_5(saml_env, idp, world):
    from assume_role_lab.emulator.world import BASTION_ACCOUNT_ID, admin_client, trust_policy

    iam = admin_client(world.endpoint, "iam", world.production_account_id)
    # Offered by the IdP, but its trust policy names only the bastion account.
    if "bastion-only" not in {role["RoleName"] for role in iam.list_roles()["Roles"]}:
        iam.create_role(
            RoleName="bastion-only",
            AssumeRolePolicyDocument=json.dumps(trust_policy(BASTION_ACCOUNT_ID, world.production_account_id)),
        )
    idp.offer = ("production", "bastion-only")
    run = run_cli(saml_env, "--shell", "bash", "production", "bastion-only")
    assert_clean_failure(run, 5, "denied sts:AssumeRoleWithSAML", "trust policy")


def test_a_session_longer_than_the_role_allows_says_which_limit(saml_env, idp, world):
    from assume_role_lab.emulator.world import BASTION_ACCOUNT_ID, admin_client, trust_policy

    iam = admin_client(world.endpoint, "iam", world.production_account_id)
    if "one-hour" not in {role["RoleName"] for role in iam.list_roles()["Roles"]}:
        iam.create_role(
            RoleName="one-hour", MaxSessionDuration=3600,
            AssumeRolePolicyDocument=json.dumps(
                trust_policy(BASTION_ACCOUNT_ID, world.production_account_id, world.saml_provider_arn("production"))
            ),
        )
    idp.offer = ("production", "one-hour")
    run = run_cli({**saml_env, "AWS_ROLE_SESSION_TIMEOUT": "7200"}, "--shell", "bash", "production", "one-hour")
    assert_clean_failure(run, 5, "MaxSessionDuration is shorter than AWS_ROLE_SESSION_TIMEOUT")


def test_another_validation_error_does_not_blame_the_session_length(saml_env, idp, emulator):
    # AWS's wording when an assertion is longer than it takes.
    message = ("1 validation error detected: Value at 'sAMLAssertion' failed to satisfy constraint: "
               "Member must have length less than or equal to 100000")
    emulator.control.inject_fault("AssumeRoleWithSAML", "ValidationError", message=message)
    run = run_cli(saml_env, "--shell", "bash", "production", "read")
    assert_clean_failure(run, 5, "refused the identity provider's SAML assertion", "(ValidationError)")
    assert "MaxSessionDuration" not in run.stderr and "AWS_ROLE_SESSION_TIMEOUT" not in run.stderr


def test_unknown_provider_name_exits_5(saml_env):
    run = run_cli({**saml_env, "SAML_IDP_NAME": "no-such-idp"}, "--shell", "bash", "production", "read")
    assert_clean_failure(run, 5, "saml-provider/no-such-idp")


def test_throttled_call_is_not_repeated(saml_env, emulator):
    emulator.control.inject_fault("AssumeRoleWithSAML", "Throttling", count=3)
    run = run_cli(saml_env, "--shell", "bash", "production", "read")
    assert_clean_failure(run, 6, "throttled")
    assert emulator.control.calls().get("AssumeRoleWithSAML") == 1


# -- configuration, checked before anything is asked or sent ---------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://idp.example.com/api/v1/saml/sso",
        "http://127.0.0.1.example.com/sso",
        "ftp://127.0.0.1/sso",
        "file:///etc/passwd",
        "https://",
        "127.0.0.1:8080/sso",
    ],
)
def test_password_goes_only_over_https_or_to_loopback(url, saml_env, idp):
    run = run_cli({**saml_env, "SAML_IDP_ASSERTION_URL": url}, "--shell", "bash", "production", "read")
    assert_clean_failure(run, 2, "refusing to send your password", "https://")
    assert url not in run.stderr or url == "https://"


@pytest.mark.parametrize(
    "change, fragment",
    [
        ({"SAML_IDP_NAME": ""}, "needs SAML_IDP_NAME"),
        ({"SAML_IDP_ASSERTION_URL": ""}, "needs SAML_IDP_ASSERTION_URL"),
        ({"SAML_IDP_NAME": "bad/name"}, "SAML_IDP_NAME must be"),
        ({"SAML_IDP_REQUEST_BODY_TEMPLATE": '{"email": "$saml_user"}'}, "must contain $saml_user and $saml_password"),
        ({"SAML_IDP_REQUEST_BODY_TEMPLATE": '{"email": $saml_user, "p": "$saml_password"}'}, "not JSON once filled"),
        ({"AWS_ASSUME_ROLE_AUTH_SCHEME": "smal"}, "must be bastion (the default) or saml"),
        ({"SAML_IDP_ASSERTION_URL": "http://127.0.0.1:port/sso"}, "is not a URL"),
        ({"SAML_IDP_ASSERTION_URL": "http://127.0.0.1/s so"}, "is not a URL"),
        ({"SAML_IDP_ASSERTION_URL": "http://127.0.0.1/sso\r\nX-Injected: 1"}, "is not a URL"),
    ],
)
def test_configuration_mistakes_exit_2(change, fragment, saml_env, idp):
    assert_clean_failure(run_cli({**saml_env, **change}, "--shell", "bash", "production", "read"), 2, fragment)
    assert idp.posts == []


# -- the SAML file is hostile until checked ------------------------------------------


def _other_uid() -> int:
    require_root()
    return 54321


def test_file_others_can_read_is_refused(saml_env, idp):
    path = write_saml_file(saml_file(saml_env), f"username = {USER}\npassword = {PASSWORD}\n", mode=0o644)
    run = run_cli(saml_env, "--shell", "bash", "production", "read")
    assert_clean_failure(run, 2, "others can read", f"chmod 600 {path}")
    assert idp.posts == []


def test_file_of_another_user_is_refused(saml_env, idp):
    path = saml_file(saml_env)
    os.chown(path, _other_uid(), -1)
    assert_clean_failure(run_cli(saml_env, "--shell", "bash", "production", "read"), 2, "belongs to another user")
    assert idp.posts == []


def test_symlink_to_a_file_of_another_user_is_refused(saml_env, idp, tmp_path):
    target = write_saml_file(tmp_path / "planted", f"username = {USER}\npassword = {PASSWORD}\n")
    os.chown(target, _other_uid(), -1)
    link = saml_file(saml_env)
    link.unlink()
    link.symlink_to(target)
    assert_clean_failure(run_cli(saml_env, "--shell", "bash", "production", "read"), 2, "belongs to another user")


def test_symlink_to_own_private_file_is_followed(saml_env, idp, tmp_path):
    target = write_saml_file(tmp_path / "dotfiles" / "saml", f"username = {USER}\npassword = {PASSWORD}\n")
    env = {**saml_env, "SAML_FILE": str(tmp_path / "link")}
    Path(env["SAML_FILE"]).symlink_to(target)
    assert run_cli(env, "--shell", "bash", "production", "read").returncode == 0
    assert len(idp.posts) == 1


def test_fifo_is_refused_without_hanging(saml_env, idp, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo, 0o600)
    run = run_cli({**saml_env, "SAML_FILE": str(fifo)}, "--shell", "bash", "production", "read", timeout=20)
    assert_clean_failure(run, 2, "not a regular file")


@pytest.mark.parametrize("target", ["/dev/zero", "directory"])
def test_non_regular_files_are_refused(target, saml_env, idp, tmp_path):
    path = target if target.startswith("/") else str(tmp_path)
    run = run_cli({**saml_env, "SAML_FILE": path}, "--shell", "bash", "production", "read")
    assert_clean_failure(run, 2, "not a regular file")


def test_oversized_file_is_refused(saml_env, idp):
    write_saml_file(saml_file(saml_env), f"username = {USER}\npassword = {PASSWORD}\n" + "#" * 70000 + "\n")
    assert_clean_failure(run_cli(saml_env, "--shell", "bash", "production", "read"), 2, "larger than 64 KiB")


def test_control_characters_are_refused_without_echoing_the_value(saml_env, idp):
    write_saml_file(saml_file(saml_env), f"username = {USER}\npassword = sec\x1b]0;ret\n")
    run = run_cli(saml_env, "--shell", "bash", "production", "read")
    assert_clean_failure(run, 2, "password on line 2 holds a control character")
    assert "sec" not in run.stderr
    assert idp.posts == []


def test_comments_spaces_and_equal_signs_in_values(saml_env, idp):
    # Lines other than username and password are not read at all, even one
    # holding a control character.
    write_saml_file(saml_file(saml_env), f"# my IdP\n\n  Username   =   {USER}  \nother = x\x1b[31m\npassword = a=b c\n")
    idp.users[USER] = "a=b c"
    assert run_cli(saml_env, "--shell", "bash", "production", "read").returncode == 0
    assert idp.posts[0]["password"] == "a=b c"


def test_no_file_and_no_terminal_fails_at_once(saml_env, idp):
    saml_file(saml_env).unlink()
    run = run_cli(saml_env, "--shell", "bash", "production", "read")
    assert_clean_failure(run, 2, "no terminal to ask on", str(saml_file(saml_env)))
    run = run_cli({**saml_env, "SAML_FILE": "/nonexistent/saml"}, "--shell", "bash", "production", "read")
    assert_clean_failure(run, 2, "SAML_FILE /nonexistent/saml does not exist")
    assert idp.posts == []


# -- on a terminal ----------------------------------------------------------------------


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_username_and_password_are_asked_on_the_terminal(shell, saml_env, idp, world, tmp_path):
    from test_interactive import Terminal

    saml_file(saml_env).unlink()
    term = Terminal(shell, saml_env, tmp_path)
    try:
        child = term.child
        term.run("assume-role production read")
        child.expect_exact("SAML username")
        child.send(USER + "\r")
        child.expect_exact(f"SAML password for {USER}")
        child.send(PASSWORD + "\r")
        term.expect_prompt()
        # The password went into a hidden field: it never showed on the screen.
        assert PASSWORD not in child.before
        assert term.status() == 0
        assert term.identity() == assumed_arn(world)
    finally:
        term.close()
    assert idp.posts == [{"service": "aws", "email": USER, "password": PASSWORD}]


def test_only_the_missing_password_is_asked(saml_env, idp, world, tmp_path):
    from test_interactive import Terminal

    write_saml_file(saml_file(saml_env), f"username = {USER}\n")
    term = Terminal("bash", saml_env, tmp_path)
    try:
        child = term.child
        term.run("assume-role production read")
        child.expect_exact(f"SAML password for {USER}")
        assert "SAML username" not in child.before
        child.send("\x03")
        term.expect_prompt()
        assert term.status() == 130
        assert term.leftovers() == "[]"
    finally:
        term.close()
    assert idp.posts == []


def test_a_saml_file_that_does_not_exist_is_named_before_asking(saml_env, idp, tmp_path):
    from test_interactive import Terminal

    # A typo in SAML_FILE: the user learns why they are asked instead of the file being read.
    missing = tmp_path / "no-such-credentials"
    term = Terminal("bash", {**saml_env, "SAML_FILE": str(missing)}, tmp_path)
    try:
        child = term.child
        term.run("assume-role production read")
        child.expect_exact("SAML username")
        assert f"SAML_FILE {missing} does not exist; asking for the username and password" in child.before
        child.send("\x03")
        term.expect_prompt()
        assert term.status() == 130
    finally:
        term.close()
    assert idp.posts == []


def test_completion_offers_regions_as_the_third_word(saml_env):
    run = run_cli(saml_env, "__complete", "--", "production", "read", "")
    assert run.returncode == 0
    assert "region\tus-east-1\t" in run.stdout
    assert "MFA code" not in run.stdout
    assert run_cli(saml_env, "__complete", "--", "production", "read", "eu-west-1", "").stdout == ""


# -- the pieces --------------------------------------------------------------------------


def test_fill_escapes_for_json_in_one_pass():
    body = saml.fill('{"u": "$saml_user", "p": "${saml_password}", "k": "$saml_username"}', 'a"$saml_password', "p\\\n\x00é")
    import json

    assert json.loads(body) == {"u": 'a"$saml_password', "p": "p\\\n\x00é", "k": "$saml_username"}


def test_loopback_rule():
    from assume_role.aws import endpoints

    assert endpoints.is_safe("https://idp.example.com/sso")
    assert endpoints.is_safe("http://127.0.0.1:8080/sso") and endpoints.is_safe("http://[::1]/sso")
    assert endpoints.is_safe("http://localhost/sso")
    assert not endpoints.is_safe("http://10.0.0.1/sso")
    assert not endpoints.is_safe("http://localhost.example.com/sso")


def test_saml_sign_in_needs_no_botocore(saml_env, idp, emulator):
    # The IdP POST and the unsigned AssumeRoleWithSAML both go through the
    # tool's own transport: a SAML sign-in costs no botocore import.
    from test_imports import loaded

    assert loaded(saml_env, "--shell", "bash", "production", "read", watch=("botocore",)) == set()
    assert emulator.control.calls("ok").get("AssumeRoleWithSAML") == 1


# -- every subcommand -------------------------------------------------------------------


def identity_of(env, credentials: dict) -> str:
    """Who AWS says ``credentials`` (credential_process JSON) are."""
    import boto3

    return boto3.client(
        "sts", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
        aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    ).get_caller_identity()["Arn"]


def test_exec_runs_the_command_as_the_saml_role(saml_env, idp, world):
    run = run_cli(saml_env, "exec", "production", "read", "--", sys.executable, "-c", CALLER_ARN)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == assumed_arn(world)
    assert run.stderr == "" and len(idp.posts) == 1


def test_credential_process_signs_in_from_the_saml_file_once(saml_env, idp, world):
    first = run_cli(saml_env, "credential-process", "production", "read")
    assert first.returncode == 0, first.stderr
    document = json.loads(first.stdout)
    assert document["Version"] == 1 and identity_of(saml_env, document) == assumed_arn(world)
    again = run_cli(saml_env, "credential-process", "production", "read")
    assert json.loads(again.stdout)["AccessKeyId"] == document["AccessKeyId"]
    assert len(idp.posts) == 1


def test_credential_process_asks_on_the_controlling_terminal_only_for_what_is_missing(saml_env, idp, world):
    import pexpect

    write_saml_file(saml_file(saml_env), f"username = {USER}\n")
    # A tool that runs the command with pipes, from a terminal a person sits at.
    child = pexpect.spawn(
        "sh", ["-c", f"'{sys.executable}' -m assume_role credential-process production read </dev/null"],
        env=saml_env, encoding="utf-8", timeout=60,
    )
    child.expect_exact(f"SAML password for {USER}")
    assert "SAML username" not in child.before
    child.sendline(PASSWORD)
    child.expect(r'\{"Version": 1, "AccessKeyId": "ASIA')
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert PASSWORD not in child.before
    assert idp.posts == [{"service": "aws", "email": USER, "password": PASSWORD}]


def test_credential_process_without_a_terminal_says_what_to_do(saml_env, idp):
    write_saml_file(saml_file(saml_env), f"username = {USER}\n")
    run = subprocess.run(
        [sys.executable, "-m", "assume_role", "credential-process", "production", "read"],
        env=saml_env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
        start_new_session=True,  # no controlling terminal either
    )
    assert_clean_failure(
        run, 2, f"a SAML password is needed and there is no terminal to ask on: put it in {saml_file(saml_env)}, "
        "or run `assume-role production read` in a terminal first",
    )
    assert idp.posts == []


def test_console_signs_in_as_the_saml_role(saml_env, idp, world, emulator):
    from test_console import fetch

    env = {**saml_env, "ASSUME_ROLE_FEDERATION_ENDPOINT": f"{emulator.endpoint}/federation"}
    run = run_cli(env, "console", "production", "read", "--print")
    assert run.returncode == 0, run.stderr
    status, answer = fetch(run.stdout.strip())
    assert status == 200 and answer["signed_in_as"] == assumed_arn(world)


def test_auto_refresh_renews_from_the_saml_file_without_asking(saml_env, idp):
    first = exports_of(run_cli(saml_env, "--shell", "bash", "production", "read").stdout)
    run = run_cli({**saml_env, **first}, "__refresh", "--shell", "bash")
    assert run.returncode == 0, run.stderr
    assert run.stderr.startswith("assume-role: renewed production:read (") and run.stderr.count("\n") == 1
    assert exports_of(run.stdout)["AWS_ACCESS_KEY_ID"] != first["AWS_ACCESS_KEY_ID"]
    assert len(idp.posts) == 2


def test_auto_refresh_without_the_password_says_what_to_run(saml_env, idp):
    first = exports_of(run_cli(saml_env, "--shell", "bash", "production", "read").stdout)
    write_saml_file(saml_file(saml_env), f"username = {USER}\n")
    run = run_cli({**saml_env, **first}, "__refresh", "--shell", "bash")
    assert_clean_failure(
        run, 2, "production:read expires soon and the SAML sign-in needs your password: "
        f"run `assume-role production read` to renew it, or put it in {saml_file(saml_env)}",
    )
    assert len(idp.posts) == 1


def test_status_says_saml_and_names_the_identity_provider(saml_env, idp, world):
    from test_json_output import check

    status = f"{sys.executable} -m assume_role status"
    result = shell_session("bash", saml_env, [eval_line("bash", "production", "read"), status, f"{status} --json"])
    assert result.returncode == 0, result.stderr
    *text, document = result.stdout.splitlines()
    host = idp.url.split("/")[2]
    assert text[0] == f"production:read ({world.production_account_id}) in us-east-1"
    assert text[1].startswith("role session: ")
    assert text[2:] == [f"sign-in:      SAML at identity provider {world.saml_provider_name} ({host})"]
    sign_in = check(document + "\n", "assume-role status --json")["sign_in"]
    assert sign_in == {"kind": "saml", "summary": text[2].removeprefix("sign-in:      "), "profile": None, "via": None,
                       "idp": world.saml_provider_name, "expires_at": None, "seconds_left": None}


def test_status_says_why_saml_cannot_be_used(saml_env):
    from test_json_output import check

    run = run_cli({**saml_env, "SAML_IDP_NAME": ""}, "status")
    assert run.returncode == 7 and run.stderr == ""
    assert run.stdout.splitlines()[1] == (
        "sign-in:      none usable: AWS_ASSUME_ROLE_AUTH_SCHEME=saml needs SAML_IDP_NAME (see assume-role --help)"
    )
    document = run_cli({**saml_env, "SAML_IDP_NAME": ""}, "status", "--json").stdout
    assert check(document, "assume-role status --json")["sign_in"]["kind"] == "unusable"
