"""The emulator's IAM Identity Center is as strict as AWS's, as botocore sees it.

Every test talks to it with plain boto3 (the sso-oidc and sso clients), the
way the AWS CLI and the SDKs do.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=30)
SESSION = boto3.session.Session(region_name="us-east-1")
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture
def oidc(emulator):
    return SESSION.client("sso-oidc", endpoint_url=emulator.endpoint, config=NO_RETRIES)


@pytest.fixture
def portal(emulator):
    return SESSION.client("sso", endpoint_url=emulator.endpoint, config=NO_RETRIES)


def error_code(exc: pytest.ExceptionInfo) -> str:
    return exc.value.response["Error"]["Code"]


def register(oidc, scopes=("sso:account:access",)):
    return oidc.register_client(clientName="tests", clientType="public", scopes=list(scopes))


def start(oidc, sso_world, client):
    return oidc.start_device_authorization(
        clientId=client["clientId"], clientSecret=client["clientSecret"], startUrl=sso_world.start_url
    )


def poll(oidc, client, device):
    return oidc.create_token(
        clientId=client["clientId"], clientSecret=client["clientSecret"], grantType=DEVICE_GRANT,
        deviceCode=device["deviceCode"],
    )


def sign_in(emulator, oidc, sso_world, scopes=("sso:account:access",)):
    client = register(oidc, scopes)
    device = start(oidc, sso_world, client)
    emulator.control.sso_approve(device["userCode"])
    return client, poll(oidc, client, device)


def credentials_client(service, credentials):
    return SESSION.client(
        service, endpoint_url=credentials["endpoint"], aws_access_key_id=credentials["accessKeyId"],
        aws_secret_access_key=credentials["secretAccessKey"], aws_session_token=credentials["sessionToken"],
        config=NO_RETRIES,
    )


def role_credentials(emulator, portal, token, account_id, permission_set):
    found = portal.get_role_credentials(accessToken=token, accountId=account_id, roleName=permission_set)
    return {**found["roleCredentials"], "endpoint": emulator.endpoint}


@pytest.fixture
def slow_polling(emulator):
    # Two polls back to back are then always too fast, however slow the machine.
    emulator.control.sso_settings(interval=120)
    yield
    emulator.control.sso_settings(interval=1)


@pytest.mark.usefixtures("slow_polling")
def test_device_flow_is_pending_until_approved_and_slows_down_a_fast_poller(emulator, oidc, sso_world):
    client = register(oidc)
    device = start(oidc, sso_world, client)
    assert device["verificationUriComplete"].endswith("?user_code=" + device["userCode"])
    with pytest.raises(ClientError) as first:
        poll(oidc, client, device)
    assert error_code(first) == "AuthorizationPendingException"
    assert first.value.response["error"] == "authorization_pending"
    with pytest.raises(ClientError) as second:
        poll(oidc, client, device)
    assert error_code(second) == "SlowDownException"
    assert [p["approved"] for p in emulator.control.sso_pending() if p["user_code"] == device["userCode"]] == [False]


def test_an_approved_device_gets_one_token_and_its_code_is_spent(emulator, oidc, sso_world):
    client, token = sign_in(emulator, oidc, sso_world)
    assert token["tokenType"] == "Bearer" and token["refreshToken"] and token["expiresIn"] > 0
    with pytest.raises(ClientError) as again:
        poll(oidc, client, {"deviceCode": "spent" * 10})
    assert error_code(again) == "InvalidGrantException"


def test_expired_and_denied_device_codes(emulator, oidc, sso_world):
    client = register(oidc)
    denied = start(oidc, sso_world, client)
    emulator.control.sso_approve(denied["userCode"], deny=True)
    with pytest.raises(ClientError) as refused:
        poll(oidc, client, denied)
    assert error_code(refused) == "AccessDeniedException"
    late = start(oidc, sso_world, client)
    emulator.control.sso_expire("devices")
    with pytest.raises(ClientError) as expired:
        poll(oidc, client, late)
    assert error_code(expired) == "ExpiredTokenException"


def test_an_unknown_start_url_or_client_is_refused(emulator, oidc, sso_world):
    client = register(oidc)
    with pytest.raises(ClientError) as url:
        oidc.start_device_authorization(clientId=client["clientId"], clientSecret=client["clientSecret"],
                                        startUrl="https://d-0000000000.awsapps.com/start")
    assert error_code(url) == "InvalidRequestException"
    with pytest.raises(ClientError) as secret:
        oidc.start_device_authorization(clientId=client["clientId"], clientSecret="wrong",
                                        startUrl=sso_world.start_url)
    assert error_code(secret) == "InvalidClientException"


def test_a_refresh_token_works_once_and_only_scoped_registrations_get_one(emulator, oidc, sso_world):
    client, token = sign_in(emulator, oidc, sso_world)
    refresh = dict(clientId=client["clientId"], clientSecret=client["clientSecret"], grantType="refresh_token",
                   refreshToken=token["refreshToken"])
    renewed = oidc.create_token(**refresh)
    assert renewed["accessToken"] != token["accessToken"] and renewed["refreshToken"] != token["refreshToken"]
    with pytest.raises(ClientError) as reused:
        oidc.create_token(**refresh)
    assert error_code(reused) == "InvalidGrantException"
    _, legacy = sign_in(emulator, oidc, sso_world, scopes=())
    assert "refreshToken" not in legacy


def test_role_credentials_are_a_permission_set_session_sts_knows(emulator, oidc, portal, sso_world):
    _, token = sign_in(emulator, oidc, sso_world)
    credentials = role_credentials(emulator, portal, token["accessToken"], "111111111111", "AdministratorAccess")
    arn = credentials_client("sts", credentials).get_caller_identity()["Arn"]
    assert arn.startswith("arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_AdministratorAccess_")
    assert arn.endswith("/" + sso_world.user)


def test_an_unassigned_account_or_permission_set_is_forbidden(emulator, oidc, portal, sso_world):
    _, token = sign_in(emulator, oidc, sso_world)
    for account, permission_set in (("222222222222", "AdministratorAccess"), ("333333333333", "ReadOnlyAccess")):
        with pytest.raises(ClientError) as refused:
            portal.get_role_credentials(accessToken=token["accessToken"], accountId=account, roleName=permission_set)
        assert error_code(refused) == "ForbiddenException"
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_expired_revoked_and_logged_out_tokens_are_unauthorized(emulator, oidc, portal, sso_world):
    for end in ("expire", "revoke", "logout"):
        _, token = sign_in(emulator, oidc, sso_world)
        portal.list_accounts(accessToken=token["accessToken"])
        if end == "expire":
            emulator.control.sso_expire("tokens")
        elif end == "revoke":
            emulator.control.sso_revoke()
        else:
            portal.logout(accessToken=token["accessToken"])
        with pytest.raises(ClientError) as refused:
            portal.list_accounts(accessToken=token["accessToken"])
        assert error_code(refused) == "UnauthorizedException", end


def test_accounts_and_roles_come_page_by_page(emulator, oidc, portal, sso_world):
    _, token = sign_in(emulator, oidc, sso_world)
    pages = portal.get_paginator("list_accounts").paginate(accessToken=token["accessToken"],
                                                           PaginationConfig={"PageSize": 1})
    listed = [account for page in pages for account in page["accountList"]]
    assert {a["accountId"]: a["accountName"] for a in listed} == {
        account: name for account, (name, _) in sso_world.assignments.items()
    }
    roles = portal.list_account_roles(accessToken=token["accessToken"], accountId="111111111111")["roleList"]
    assert [r["roleName"] for r in roles] == sso_world.permission_sets("111111111111")
    with pytest.raises(ClientError) as bad:
        portal.list_accounts(accessToken=token["accessToken"], nextToken="not-a-token")
    assert error_code(bad) == "InvalidRequestException"


def test_hub_credentials_chain_into_target_roles_for_one_hour_at_most(emulator, oidc, portal, sso_world, world):
    _, token = sign_in(emulator, oidc, sso_world)
    hub = role_credentials(emulator, portal, token["accessToken"], sso_world.hub_account_id,
                           sso_world.hub_permission_set)
    sts = credentials_client("sts", hub)
    target = world.production_account_id
    assumed = sts.assume_role(RoleArn=world.role_arn("production", "read"), RoleSessionName="alice",
                              ExternalId=target)
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{target}:assumed-role/read/alice"
    with pytest.raises(ClientError) as long:
        sts.assume_role(RoleArn=world.role_arn("production", "read"), RoleSessionName="alice", ExternalId=target,
                        DurationSeconds=7200)
    assert "role chaining" in long.value.response["Error"]["Message"]


def test_tokens_and_client_secrets_are_listed_as_issued_secrets(emulator, oidc, sso_world):
    client, token = sign_in(emulator, oidc, sso_world)
    issued = emulator.control.issued_secrets()
    assert {token["accessToken"], token["refreshToken"], client["clientSecret"]} <= set(issued)


def test_calls_are_counted_and_faults_answer_in_the_services_shape(emulator, oidc, portal, sso_world):
    _, token = sign_in(emulator, oidc, sso_world)
    emulator.control.inject_fault("GetRoleCredentials", "TooManyRequestsException", status=429)
    with pytest.raises(ClientError) as throttled:
        portal.get_role_credentials(accessToken=token["accessToken"], accountId="111111111111",
                                    roleName="ReadOnlyAccess")
    assert error_code(throttled) == "TooManyRequestsException"
    calls = emulator.control.calls()
    assert calls["StartDeviceAuthorization"] == 1 and calls["GetRoleCredentials"] == 1
