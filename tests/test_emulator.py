"""The strict emulator enforces the AWS rules moto skips, with AWS's own errors.

Every test talks to the emulator with plain boto3, as the tool will.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError

from assume_role_lab.emulator import ControlError, admin_client, totp, trust

LAB_DIR = Path(__file__).resolve().parents[1] / "lab"

# No retries: each boto3 call is exactly one request, so counters are exact and
# an injected error reaches the test instead of being retried away. botocore
# checks some bounds itself; switched off so the requests reach the emulator.
NO_RETRIES = Config(
    retries={"total_max_attempts": 1, "mode": "standard"},
    connect_timeout=5,
    read_timeout=30,
    parameter_validation=False,
)


# One boto3 session for the whole module: making a session loads botocore's
# data files, clients from it are cheap. Sessions are not thread-safe, so
# clients are made on the main thread only.
SESSION = boto3.session.Session(region_name="us-east-1")


def client(emulator, service, key_id, secret, token=None, config=NO_RETRIES):
    return SESSION.client(
        service,
        endpoint_url=emulator.endpoint,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=config,
    )


def with_credentials(emulator, service, credentials, config=NO_RETRIES):
    return client(
        emulator, service, credentials["AccessKeyId"], credentials["SecretAccessKey"],
        credentials["SessionToken"], config=config,
    )


@pytest.fixture
def alice_sts(emulator, world):
    return client(emulator, "sts", world.access_key_id, world.secret_access_key)


@pytest.fixture
def alice_iam(emulator, world):
    return client(emulator, "iam", world.access_key_id, world.secret_access_key)


@pytest.fixture
def mfa_session(alice_sts, world, mfa_code):
    """Credentials from GetSessionToken with a valid MFA code."""
    return alice_sts.get_session_token(SerialNumber=world.mfa_serial, TokenCode=mfa_code())["Credentials"]


def error_of(excinfo) -> tuple[int, str, str]:
    error = excinfo.value.response
    return error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"], error["Error"]["Message"]


def assume(sts, world, account="production", role="read", **extra):
    arguments = {
        "RoleArn": world.role_arn(account, role),
        "RoleSessionName": world.user_name,
        "ExternalId": world.account_id(account),
    }
    arguments.update(extra)
    return sts.assume_role(**arguments)


def seconds_until(expiration: datetime) -> float:
    return (expiration - datetime.now(timezone.utc)).total_seconds()


# -- authentication ----------------------------------------------------------


def test_long_term_keys_identify_the_iam_user(alice_sts, world):
    identity = alice_sts.get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{world.bastion_account_id}:user/{world.user_name}"
    assert identity["Account"] == world.bastion_account_id


def test_unknown_access_key_is_an_invalid_client_token(emulator):
    sts = client(emulator, "sts", "AKIAUNKNOWNUNKNOWN00", "x" * 40)
    with pytest.raises(ClientError) as excinfo:
        sts.get_caller_identity()
    assert error_of(excinfo) == (403, "InvalidClientTokenId", "The security token included in the request is invalid.")


def test_wrong_secret_does_not_match_the_signature(emulator, world):
    sts = client(emulator, "sts", world.access_key_id, world.secret_access_key[:-1] + "?")
    with pytest.raises(ClientError) as excinfo:
        sts.get_caller_identity()
    status, code, message = error_of(excinfo)
    assert (status, code) == (403, "SignatureDoesNotMatch")
    assert message.startswith("The request signature we calculated does not match")


def test_unsigned_request_is_refused(emulator):
    request = urllib.request.Request(
        emulator.endpoint + "/",
        data=b"Action=GetCallerIdentity&Version=2011-06-15",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(request, timeout=10)
    assert excinfo.value.code == 403
    assert b"<Code>MissingAuthenticationToken</Code>" in excinfo.value.read()


def test_temporary_key_needs_its_own_session_token(emulator, mfa_session):
    tampered = dict(mfa_session, SessionToken=mfa_session["SessionToken"][:-4] + "AAAA")
    for credentials in (tampered, dict(mfa_session, SessionToken=None)):
        with pytest.raises(ClientError) as excinfo:
            with_credentials(emulator, "sts", credentials).get_caller_identity()
        assert error_of(excinfo)[:2] == (403, "InvalidClientTokenId")


# -- GetSessionToken ---------------------------------------------------------


def test_get_session_token_mints_unique_temporary_credentials(alice_sts, world, mfa_code):
    first = alice_sts.get_session_token(SerialNumber=world.mfa_serial, TokenCode=mfa_code())["Credentials"]
    second = alice_sts.get_session_token(
        SerialNumber=world.mfa_serial, TokenCode=mfa_code(), DurationSeconds=900
    )["Credentials"]
    assert first["AccessKeyId"].startswith("ASIA") and second["AccessKeyId"].startswith("ASIA")
    assert first["AccessKeyId"] != second["AccessKeyId"]
    assert first["SecretAccessKey"] != second["SecretAccessKey"]
    assert first["SessionToken"] != second["SessionToken"]
    assert seconds_until(first["Expiration"]) == pytest.approx(43200, abs=30)  # AWS's default
    assert seconds_until(second["Expiration"]) == pytest.approx(900, abs=30)


def test_mfa_session_credentials_identify_the_iam_user(emulator, world, mfa_session):
    identity = with_credentials(emulator, "sts", mfa_session).get_caller_identity()
    assert identity["Arn"] == world.user_arn
    assert identity["Account"] == world.bastion_account_id


@pytest.mark.parametrize(
    ("duration", "constraint"),
    [
        (899, "Member must have value greater than or equal to 900"),
        (129601, "Member must have value less than or equal to 129600"),
    ],
)
def test_get_session_token_duration_bounds(alice_sts, world, mfa_code, duration, constraint):
    with pytest.raises(ClientError) as excinfo:
        alice_sts.get_session_token(SerialNumber=world.mfa_serial, TokenCode=mfa_code(), DurationSeconds=duration)
    assert error_of(excinfo) == (
        400,
        "ValidationError",
        f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to satisfy constraint: "
        + constraint,
    )


def test_get_session_token_accepts_the_longest_duration(alice_sts, world, mfa_code):
    credentials = alice_sts.get_session_token(
        SerialNumber=world.mfa_serial, TokenCode=mfa_code(), DurationSeconds=129600
    )["Credentials"]
    assert seconds_until(credentials["Expiration"]) == pytest.approx(129600, abs=30)


def test_wrong_mfa_code_is_access_denied(alice_sts, world, mfa_code):
    valid = mfa_code()
    wrong = f"{(int(valid) + 1) % 1_000_000:06d}"
    with pytest.raises(ClientError) as excinfo:
        alice_sts.get_session_token(SerialNumber=world.mfa_serial, TokenCode=wrong)
    status, code, message = error_of(excinfo)
    assert (status, code) == (403, "AccessDenied")
    assert message.startswith("MultiFactorAuthentication failed with invalid MFA one time pass code")


def test_mfa_code_of_another_device_is_refused(alice_sts, world, mfa_code):
    with pytest.raises(ClientError) as excinfo:
        alice_sts.get_session_token(
            SerialNumber=f"arn:aws:iam::{world.bastion_account_id}:mfa/nobody", TokenCode=mfa_code()
        )
    assert error_of(excinfo)[:2] == (403, "AccessDenied")


def test_minted_code_cannot_be_used_twice(alice_sts, world, mfa_code):
    code = mfa_code()
    alice_sts.get_session_token(SerialNumber=world.mfa_serial, TokenCode=code)
    with pytest.raises(ClientError) as excinfo:
        alice_sts.get_session_token(SerialNumber=world.mfa_serial, TokenCode=code)
    assert error_of(excinfo)[:2] == (403, "AccessDenied")


def test_real_totp_code_works_once(emulator, alice_sts, world):
    before = time.time()
    shown = emulator.control.totp(world.mfa_serial)
    assert shown in {world.totp(before), world.totp(time.time())}
    code = world.totp()
    alice_sts.get_session_token(SerialNumber=world.mfa_serial, TokenCode=code)
    with pytest.raises(ClientError) as excinfo:
        alice_sts.get_session_token(SerialNumber=world.mfa_serial, TokenCode=code)
    assert error_of(excinfo)[:2] == (403, "AccessDenied")


def test_get_session_token_refused_with_session_credentials(emulator, world, mfa_session, mfa_code):
    sts = with_credentials(emulator, "sts", mfa_session)
    with pytest.raises(ClientError) as excinfo:
        sts.get_session_token(SerialNumber=world.mfa_serial, TokenCode=mfa_code())
    assert error_of(excinfo) == (403, "AccessDenied", "Cannot call GetSessionToken with session credentials")


# -- AssumeRole --------------------------------------------------------------


def test_assumed_role_credentials_identify_the_role_session(emulator, world, mfa_session):
    response = assume(with_credentials(emulator, "sts", mfa_session), world, "staging", "admin")
    expected_arn = f"arn:aws:sts::{world.staging_account_id}:assumed-role/admin/{world.user_name}"
    assert response["AssumedRoleUser"]["Arn"] == expected_arn
    identity = with_credentials(emulator, "sts", response["Credentials"]).get_caller_identity()
    assert identity["Arn"] == expected_arn
    assert identity["Account"] == world.staging_account_id
    assert seconds_until(response["Credentials"]["Expiration"]) == pytest.approx(3600, abs=30)


def test_role_credentials_expire_after_the_requested_duration(emulator, world, mfa_session):
    response = assume(with_credentials(emulator, "sts", mfa_session), world, DurationSeconds=900)
    assert seconds_until(response["Credentials"]["Expiration"]) == pytest.approx(900, abs=30)


def test_role_chaining_is_capped_at_one_hour(emulator, world, mfa_session):
    sts = with_credentials(emulator, "sts", mfa_session)
    with pytest.raises(ClientError) as excinfo:
        assume(sts, world, DurationSeconds=3601)
    assert error_of(excinfo) == (
        400,
        "ValidationError",
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    )
    assert assume(sts, world, DurationSeconds=3600)["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_direct_assume_role_with_long_term_keys_and_mfa_lasts_12_hours(emulator, alice_sts, world, mfa_code):
    response = assume(
        alice_sts, world, "production", "admin",
        DurationSeconds=43200, SerialNumber=world.mfa_serial, TokenCode=mfa_code(),
    )
    assert seconds_until(response["Credentials"]["Expiration"]) == pytest.approx(43200, abs=30)
    identity = with_credentials(emulator, "sts", response["Credentials"]).get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::{world.production_account_id}:assumed-role/admin/{world.user_name}"


def test_direct_assume_role_rejects_a_wrong_or_reused_code(alice_sts, world, mfa_code):
    code = mfa_code()
    assume(alice_sts, world, SerialNumber=world.mfa_serial, TokenCode=code)
    with pytest.raises(ClientError) as excinfo:
        assume(alice_sts, world, SerialNumber=world.mfa_serial, TokenCode=code)
    status, code_name, message = error_of(excinfo)
    assert (status, code_name) == (403, "AccessDenied")
    assert "invalid MFA one time pass code" in message


@pytest.mark.parametrize(
    ("duration", "message"),
    [
        (899, "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: "
              "Member must have value greater than or equal to 900"),
        (43201, "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: "
                "Member must have value less than or equal to 43200"),
    ],
)
def test_assume_role_duration_bounds(alice_sts, world, mfa_code, duration, message):
    with pytest.raises(ClientError) as excinfo:
        assume(alice_sts, world, DurationSeconds=duration, SerialNumber=world.mfa_serial, TokenCode=mfa_code())
    assert error_of(excinfo) == (400, "ValidationError", message)


def test_assume_role_duration_is_capped_by_the_role(emulator, alice_sts, world, mfa_code):
    iam = admin_client(emulator.endpoint, "iam", world.staging_account_id)
    document = iam.get_role(RoleName="read")["Role"]["AssumeRolePolicyDocument"]
    try:
        iam.create_role(RoleName="short", AssumeRolePolicyDocument=json.dumps(document), MaxSessionDuration=3600)
    except ClientError as error:
        if error.response["Error"]["Code"] != "EntityAlreadyExists":
            raise
    with pytest.raises(ClientError) as excinfo:
        assume(alice_sts, world, "staging", "short", DurationSeconds=7200,
               SerialNumber=world.mfa_serial, TokenCode=mfa_code())
    assert error_of(excinfo) == (
        400, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
    )


def test_trust_policy_requires_mfa(emulator, alice_sts, world):
    with pytest.raises(ClientError) as excinfo:
        assume(alice_sts, world)
    assert error_of(excinfo) == (
        403,
        "AccessDenied",
        f"User: {world.user_arn} is not authorized to perform: sts:AssumeRole on resource: "
        f"{world.role_arn('production', 'read')}",
    )
    without_mfa = alice_sts.get_session_token()["Credentials"]
    with pytest.raises(ClientError) as excinfo:
        assume(with_credentials(emulator, "sts", without_mfa), world)
    assert error_of(excinfo)[:2] == (403, "AccessDenied")


@pytest.mark.parametrize("external_id", [None, "999999999999"])
def test_trust_policy_requires_the_external_id(emulator, world, mfa_session, external_id):
    sts = with_credentials(emulator, "sts", mfa_session)
    arguments = {"RoleArn": world.role_arn("production", "read"), "RoleSessionName": world.user_name}
    if external_id:
        arguments["ExternalId"] = external_id
    with pytest.raises(ClientError) as excinfo:
        sts.assume_role(**arguments)
    status, code, message = error_of(excinfo)
    assert (status, code) == (403, "AccessDenied")
    assert message.endswith(f"sts:AssumeRole on resource: {world.role_arn('production', 'read')}")


def test_assuming_a_missing_role_is_access_denied(emulator, world, mfa_session):
    with pytest.raises(ClientError) as excinfo:
        assume(with_credentials(emulator, "sts", mfa_session), world, "production", "nonexistent")
    assert error_of(excinfo)[:2] == (403, "AccessDenied")


# -- what MFA-session credentials may do --------------------------------------


def test_mfa_session_may_use_iam_and_list_mfa_devices_defaults_to_the_caller(emulator, world, mfa_session, alice_iam):
    for iam in (alice_iam, with_credentials(emulator, "iam", mfa_session)):
        devices = iam.list_mfa_devices()["MFADevices"]
        assert [d["SerialNumber"] for d in devices] == [world.mfa_serial]
        assert iam.get_user()["User"]["UserName"] == world.user_name


def test_session_without_mfa_may_not_call_iam(emulator, alice_sts):
    without_mfa = alice_sts.get_session_token()["Credentials"]
    with pytest.raises(ClientError) as excinfo:
        with_credentials(emulator, "iam", without_mfa).list_mfa_devices()
    assert error_of(excinfo)[:2] == (403, "InvalidClientTokenId")


# -- a user's own access keys ---------------------------------------------------


@pytest.fixture
def own_user(emulator):
    """A user of its own for each test: creating and deleting keys changes it."""
    import secrets

    from assume_role_lab.emulator import seed_world

    return seed_world(emulator.endpoint, user_name=f"keys-{secrets.token_hex(4)}")


def test_access_keys_change_only_under_mfa_as_the_worlds_policy_says(emulator, own_user):
    iam = client(emulator, "iam", own_user.access_key_id, own_user.secret_access_key)
    for call, params in ((iam.list_access_keys, {}), (iam.create_access_key, {"UserName": own_user.user_name}),
                         (iam.delete_access_key, {"AccessKeyId": own_user.access_key_id})):
        with pytest.raises(ClientError) as excinfo:
            call(**params)
        status, code, message = error_of(excinfo)
        assert (status, code) == (403, "AccessDenied")
        assert message.endswith("with an explicit deny in an identity-based policy"), message
    sts = client(emulator, "sts", own_user.access_key_id, own_user.secret_access_key)
    code = emulator.control.mfa_code(own_user.mfa_serial)
    session = sts.get_session_token(SerialNumber=own_user.mfa_serial, TokenCode=code)["Credentials"]
    under_mfa = with_credentials(emulator, "iam", session)
    listed = under_mfa.list_access_keys()["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [own_user.access_key_id]
    new = under_mfa.create_access_key(UserName=own_user.user_name)["AccessKey"]
    assert new["AccessKeyId"].startswith("AKIA") and new["Status"] == "Active"
    with pytest.raises(ClientError) as excinfo:
        under_mfa.create_access_key(UserName=own_user.user_name)
    assert error_of(excinfo)[1] == "LimitExceeded"  # two keys at most, as in AWS
    under_mfa.delete_access_key(UserName=own_user.user_name, AccessKeyId=own_user.access_key_id)
    # The deleted key is refused from then on; the new one works.
    with pytest.raises(ClientError) as excinfo:
        sts.get_caller_identity()
    assert error_of(excinfo)[:2] == (403, "InvalidClientTokenId")
    fresh = client(emulator, "sts", new["AccessKeyId"], new["SecretAccessKey"])
    assert fresh.get_caller_identity()["Arn"] == own_user.user_arn


def test_without_the_policy_long_term_keys_manage_their_own_keys(emulator):
    from assume_role_lab.emulator import seed_world

    relaxed = seed_world(emulator.endpoint, user_name="keys-relaxed", keys_need_mfa=False)
    iam = client(emulator, "iam", relaxed.access_key_id, relaxed.secret_access_key)
    assert [k["AccessKeyId"] for k in iam.list_access_keys()["AccessKeyMetadata"]] == [relaxed.access_key_id]


def test_a_new_key_is_refused_while_it_propagates(emulator, own_user):
    emulator.control.key_propagation(2)
    sts = client(emulator, "sts", own_user.access_key_id, own_user.secret_access_key)
    code = emulator.control.mfa_code(own_user.mfa_serial)
    session = sts.get_session_token(SerialNumber=own_user.mfa_serial, TokenCode=code)["Credentials"]
    new = with_credentials(emulator, "iam", session).create_access_key(UserName=own_user.user_name)["AccessKey"]
    fresh = client(emulator, "sts", new["AccessKeyId"], new["SecretAccessKey"])
    for _ in range(2):
        with pytest.raises(ClientError) as excinfo:
            fresh.get_caller_identity()
        assert error_of(excinfo)[:2] == (403, "InvalidClientTokenId")
    assert fresh.get_caller_identity()["Arn"] == own_user.user_arn
    sts.get_caller_identity()  # keys made before the setting work as ever


# -- parameters an action does not define ------------------------------------


def query(emulator, service, credentials, params):
    """One Query request carrying exactly ``params``, signed as botocore signs: (status, XML answer).

    boto3 writes only the names its model defines; this is how a hand-written
    client (the tool's own, in aws/query.py) reaches the emulator.
    """
    from urllib.parse import urlencode

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(
        method="POST", url=emulator.endpoint + "/", data=urlencode(params).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    SigV4Auth(Credentials(*credentials), service, "us-east-1").add_auth(request)
    prepared = request.prepare()
    sent = urllib.request.Request(prepared.url, data=prepared.body, headers=dict(prepared.headers), method="POST")
    try:
        with urllib.request.urlopen(sent, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def query_error(answer: bytes) -> tuple[str, str]:
    from xml.etree import ElementTree

    error = ElementTree.fromstring(answer).find("{*}Error")
    return error.findtext("{*}Code"), error.findtext("{*}Message")


def test_a_misspelled_user_name_is_refused_and_deletes_no_key(emulator, own_user):
    sts = client(emulator, "sts", own_user.access_key_id, own_user.secret_access_key)
    code = emulator.control.mfa_code(own_user.mfa_serial)
    session = sts.get_session_token(SerialNumber=own_user.mfa_serial, TokenCode=code)["Credentials"]
    credentials = (session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"])
    status, answer = query(emulator, "iam", credentials, {
        "Action": "DeleteAccessKey", "Version": "2010-05-08",
        "serName": own_user.user_name, "AccessKeyId": own_user.access_key_id,
    })
    assert status == 400
    assert query_error(answer) == (
        "InvalidQueryParameter",
        "The parameter serName is not defined for DeleteAccessKey, which takes: UserName, AccessKeyId",
    )
    assert sts.get_caller_identity()["Arn"] == own_user.user_arn  # the key is still there


def test_an_undefined_sts_parameter_is_refused_before_the_mfa_code_is_spent(emulator, world, mfa_code):
    credentials = (world.access_key_id, world.secret_access_key)
    code = mfa_code()
    params = {"Action": "GetSessionToken", "Version": "2011-06-15", "SerialNumber": world.mfa_serial, "TokenCode": code}
    status, answer = query(emulator, "sts", credentials, {**params, "DurationSecond": "900", "Bogus": "1"})
    assert status == 400
    error_code, message = query_error(answer)
    assert error_code == "InvalidQueryParameter"
    assert message.startswith("The parameters DurationSecond, Bogus are not defined for GetSessionToken, which takes: ")
    status, answer = query(emulator, "sts", credentials, params)
    assert status == 200, answer


@pytest.fixture(scope="module")
def tagging_role(emulator, world):
    """``query-lists`` in production: trusts the bastion for AssumeRole, SetSourceIdentity and TagSession."""
    from assume_role_lab.emulator.world import trust_policy

    policy = trust_policy(world.bastion_account_id, world.production_account_id)
    policy["Statement"][-1]["Action"] = ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]
    iam = admin_client(emulator.endpoint, "iam", world.production_account_id)
    iam.create_role(RoleName="query-lists", AssumeRolePolicyDocument=json.dumps(policy))
    return world.role_arn("production", "query-lists")


def test_list_and_structure_parameters_are_accepted(emulator, world, mfa_code, tagging_role):
    status, answer = query(emulator, "sts", (world.access_key_id, world.secret_access_key), {
        "Action": "AssumeRole", "Version": "2011-06-15",
        "RoleArn": tagging_role, "RoleSessionName": world.user_name, "DurationSeconds": "900",
        "ExternalId": world.production_account_id, "SerialNumber": world.mfa_serial, "TokenCode": mfa_code(),
        "SourceIdentity": world.user_name,
        "Tags.member.1.Key": "team", "Tags.member.1.Value": "platform",
        "Tags.member.2.Key": "ticket", "Tags.member.2.Value": "OPS-7",
        "TransitiveTagKeys.member.1": "team",
        "PolicyArns.member.1.arn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
    })
    assert status == 200, answer
    [assumed] = emulator.control.assumed_roles()
    assert assumed["source_identity"] == world.user_name
    assert assumed["tags"] == {"team": "platform", "ticket": "OPS-7"}


def test_the_signature_parameters_are_defined_only_when_the_query_string_is_signed():
    from assume_role_lab.emulator import query_parameters

    presigned = ["Action", "Version", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                 "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token"]
    assert query_parameters.undefined("sts", "GetCallerIdentity", "2011-06-15", presigned, True) == ([], [])
    assert query_parameters.undefined("sts", "GetCallerIdentity", "2011-06-15", presigned, False) == (presigned[2:], [])


def test_every_name_botocore_writes_for_a_query_service_is_defined():
    """The names are checked by walking the input shape; botocore's own serializer is the reference.

    Beside STS and IAM: SNS has maps, SimpleDB the flattened lists of the query protocol.
    """
    import botocore.session
    from botocore.serialize import create_serializer

    from assume_role_lab.emulator import query_parameters

    def sample(shape, depth=0):
        kind = shape.type_name
        if kind == "structure":
            return {name: sample(member, depth + 1) for name, member in shape.members.items()} if depth < 4 else {}
        if kind == "list":
            return [sample(shape.member, depth + 1), sample(shape.member, depth + 1)]
        if kind == "map":
            return {"k": sample(shape.value, depth + 1)}
        return {"boolean": True, "integer": 1, "long": 1, "float": 1.5, "double": 1.5, "blob": b"x",
                "timestamp": datetime(2024, 1, 1, tzinfo=timezone.utc)}.get(kind, "x")

    session = botocore.session.get_session()
    serializer = create_serializer("query", include_validation=False)
    checked = 0
    for service in ("sts", "iam", "sns", "sdb"):
        model = session.get_service_model(service)
        for action in model.operation_names:
            operation = model.operation_model(action)
            if operation.input_shape is None:
                continue
            names = list(serializer.serialize_to_request(sample(operation.input_shape), operation)["body"])
            assert query_parameters.undefined(service, action, model.api_version, names, False) == (
                [], [m.serialization.get("name", k) for k, m in operation.input_shape.members.items()]
            ), action
            checked += len(names)
            # With its last letter changed, no name is defined any more.
            wrong = [name[:-1] + ("X" if name[-1] != "X" else "Y")
                     for name in names if name not in ("Action", "Version")]
            assert query_parameters.undefined(service, action, model.api_version, wrong, False)[0] == wrong, action
    assert checked > 1000


# -- expiry --------------------------------------------------------------------


def test_expired_sessions_are_refused(emulator, world, mfa_session):
    role = assume(with_credentials(emulator, "sts", mfa_session), world)["Credentials"]
    assert emulator.control.expire_sessions() >= 2
    for credentials in (mfa_session, role):
        with pytest.raises(ClientError) as excinfo:
            with_credentials(emulator, "sts", credentials).get_caller_identity()
        assert error_of(excinfo) == (403, "ExpiredToken", "The security token included in the request is expired")
    with pytest.raises(ClientError) as excinfo:
        assume(with_credentials(emulator, "sts", mfa_session), world)
    assert error_of(excinfo)[1] == "ExpiredToken"


def test_expiring_only_mfa_sessions_keeps_role_credentials(emulator, world, mfa_session):
    role = assume(with_credentials(emulator, "sts", mfa_session), world)["Credentials"]
    emulator.control.expire_sessions(kind="session")
    with_credentials(emulator, "sts", role).get_caller_identity()
    with pytest.raises(ClientError):
        with_credentials(emulator, "sts", mfa_session).get_caller_identity()


def test_revoked_credentials_are_invalid_and_others_keep_working(emulator, world, mfa_session):
    role = assume(with_credentials(emulator, "sts", mfa_session), world)["Credentials"]
    assert emulator.control.revoke_sessions(access_key_id=role["AccessKeyId"]) == 1
    with pytest.raises(ClientError) as excinfo:
        with_credentials(emulator, "sts", role).get_caller_identity()
    assert error_of(excinfo)[:2] == (403, "InvalidClientTokenId")
    with_credentials(emulator, "sts", mfa_session).get_caller_identity()


def test_issued_secrets_lists_every_key_secret_and_token(emulator, world, mfa_session):
    role = assume(with_credentials(emulator, "sts", mfa_session), world)["Credentials"]
    issued = set(emulator.control.issued_secrets())
    for credentials in (mfa_session, role):
        assert {credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]} <= issued
    assert {world.access_key_id, world.secret_access_key} <= issued


def test_in_flight_counts_a_delayed_request_until_it_is_answered(emulator, alice_sts):
    emulator.control.delay("GetCallerIdentity", 1.0)
    assert emulator.control.in_flight() == 0
    worker = threading.Thread(target=alice_sts.get_caller_identity)
    worker.start()
    deadline = time.monotonic() + 20
    while not emulator.control.in_flight():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    emulator.control.wait_idle()
    worker.join(timeout=20)
    assert emulator.control.in_flight() == 0
    assert emulator.control.calls() == {"GetCallerIdentity": 1}


# -- control API: faults and counters -----------------------------------------


def test_injected_faults_answer_like_aws_then_stop(emulator, world, mfa_session):
    sts = with_credentials(emulator, "sts", mfa_session)
    emulator.control.inject_fault("AssumeRole", "Throttling", status=400, message="Rate exceeded", count=2)
    for _ in range(2):
        with pytest.raises(ClientError) as excinfo:
            assume(sts, world)
        assert error_of(excinfo) == (400, "Throttling", "Rate exceeded")
    assume(sts, world)
    sts.get_caller_identity()
    # GetSessionToken is the mfa_session fixture's call.
    assert emulator.control.calls() == {"GetSessionToken": 1, "AssumeRole": 3, "GetCallerIdentity": 1}
    assert emulator.control.calls("error") == {"AssumeRole": 2}
    assert emulator.control.faults() == []


def test_wildcard_fault_and_server_errors(emulator, alice_sts):
    emulator.control.inject_fault("*", "ServiceUnavailable", status=503, message="Service is unavailable")
    with pytest.raises(ClientError) as excinfo:
        alice_sts.get_caller_identity()
    assert error_of(excinfo) == (503, "ServiceUnavailable", "Service is unavailable")
    alice_sts.get_caller_identity()


def test_injected_delay_trips_client_timeouts(emulator, world):
    emulator.control.delay("GetCallerIdentity", seconds=1.0)
    impatient = NO_RETRIES.merge(Config(read_timeout=0.3))
    sts = client(emulator, "sts", world.access_key_id, world.secret_access_key, config=impatient)
    with pytest.raises(ReadTimeoutError):
        sts.get_caller_identity()
    sts.get_caller_identity()
    # The abandoned request is still being answered; let it finish here so it
    # is not counted in the next test.
    emulator.control.wait_idle()
    assert emulator.control.calls() == {"GetCallerIdentity": 2}


def test_reset_clears_counters_and_faults(emulator, alice_sts):
    alice_sts.get_caller_identity()
    emulator.control.inject_fault("GetCallerIdentity")
    emulator.control.reset()
    assert emulator.control.calls() == {}
    assert emulator.control.faults() == []


def test_control_rejects_unknown_devices(emulator):
    with pytest.raises(ControlError, match="404"):
        emulator.control.mfa_code("arn:aws:iam::123456789012:mfa/nobody")


def run_concurrently(calls):
    """Run the callables on one thread each, all at once; their results in order."""
    results: list = [None] * len(calls)
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(calls))

    def run(index, call) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except BaseException as error:  # collected for the caller's assertion
            errors.append(error)

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


def test_twenty_concurrent_clients_are_served(emulator, world, mfa_session):
    session_clients = [with_credentials(emulator, "sts", mfa_session) for _ in range(20)]
    responses = run_concurrently([lambda sts=sts: assume(sts, world, "staging", "read") for sts in session_clients])
    role_clients = [with_credentials(emulator, "sts", r["Credentials"]) for r in responses]
    identities = run_concurrently([sts.get_caller_identity for sts in role_clients])
    assert {i["Arn"] for i in identities} == {f"arn:aws:sts::{world.staging_account_id}:assumed-role/read/alice"}
    assert len({r["Credentials"]["AccessKeyId"] for r in responses}) == 20
    assert emulator.control.calls() == {"GetSessionToken": 1, "AssumeRole": 20, "GetCallerIdentity": 20}


# -- running it from the command line ----------------------------------------


def test_command_line_seeds_a_world_and_prints_its_endpoint(tmp_path):
    seed_file = tmp_path / "world.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "assume_role_lab.emulator", "--seed-json", str(seed_file), "--exit-with-parent"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=LAB_DIR,
    )
    try:
        endpoint = process.stdout.readline().decode().strip()
        assert endpoint.startswith("http://127.0.0.1:")
        seeded = json.loads(seed_file.read_text())
        assert seeded["endpoint"] == endpoint
        assert seeded["accounts"] == {"production": "111111111111", "staging": "222222222222"}
        sts = boto3.client(
            "sts", endpoint_url=endpoint, region_name="us-east-1",
            aws_access_key_id=seeded["access_key_id"], aws_secret_access_key=seeded["secret_access_key"],
        )
        assert sts.get_caller_identity()["Arn"] == seeded["user_arn"]
    finally:
        process.stdin.close()  # --exit-with-parent: end of stdin stops the server
        assert process.wait(timeout=10) == 0
        process.stdout.close()
        process.stderr.close()



# -- building blocks -----------------------------------------------------------


def test_totp_matches_the_rfc_6238_test_vectors():
    seed = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # Base32 of "12345678901234567890"
    assert totp.totp(seed, 59) == "287082"
    assert totp.totp(seed, 1111111109) == "081804"
    assert totp.totp(seed, 1234567890) == "005924"
    assert totp.matching_step(seed, "287082", when=59 + 30) == 1  # one step of drift is fine
    assert totp.matching_step(seed, "287082", when=59 + 60) is None


def test_trust_evaluation_honours_deny_and_if_exists():
    caller = trust.Caller(arn="arn:aws:iam::123456789012:user/alice", account_id="123456789012")
    allow = {"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole",
             "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}}
    assert trust.allows({"Statement": [allow]}, caller)
    deny = {"Effect": "Deny", "Principal": "*", "Action": "sts:*"}
    assert not trust.allows({"Statement": [allow, deny]}, caller)
    stranger = trust.Caller(arn="arn:aws:iam::999999999999:user/eve", account_id="999999999999")
    assert not trust.allows({"Statement": [allow]}, stranger)


def test_aws_env_points_a_fresh_process_at_the_emulator(aws_env, world):
    script = (
        "import boto3;"
        "print(boto3.client('sts').get_caller_identity()['Arn']);"
        "print(boto3.client('iam').list_mfa_devices()['MFADevices'][0]['SerialNumber'])"
    )
    result = subprocess.run([sys.executable, "-c", script], env=aws_env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [world.user_arn, world.mfa_serial]
    assert not any(name.startswith("AWS_") and name not in {
        "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_ENDPOINT_URL", "AWS_EC2_METADATA_DISABLED"
    } for name in aws_env)
