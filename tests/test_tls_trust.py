"""The CAs an HTTPS request trusts: a configured bundle alone, else the system's store and certifi's bundle.

A bundle named in ``AWS_CA_BUNDLE`` or the profile's ``ca_bundle`` replaces
every other trust, as in botocore: whoever sets one means "only these".
Without one, both the system's store (where an organisation puts its CA,
and which ``SSL_CERT_FILE`` names here) and certifi's bundle (botocore's
default, what a Python without a usable system store has) are trusted.

The endpoint is STS behind an HTTPS proxy in front of the emulator, with a
certificate from a CA made for each test, which nothing else trusts; the
request is AssumeRoleWithSAML, the one AWS call of a SAML sign-in (the
identity provider itself answers over plain HTTP on loopback). certifi's
bundle is set through a stand-in ``certifi`` package put first on the
program's import path, whose ``where()`` names the bundle the test chooses.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fault_proxy import FaultProxy
from saml_idp import self_signed_certificate
from support import assert_clean_failure, run_cli
from test_assume import exports_of
from test_saml import idp, saml_env  # noqa: F401  (fixtures)

DEFAULT_STORES = ["the system's store", "certifi's bundle"]
CONFIGURED = ["AWS_CA_BUNDLE", "the profile's ca_bundle"]


@pytest.fixture
def https_sts(emulator, tmp_path):
    proxy = FaultProxy(emulator.endpoint, tls=tmp_path / "sts-tls")
    yield proxy
    proxy.close()


@pytest.fixture
def unrelated_ca(tmp_path) -> Path:
    """A CA that did not sign the endpoint's certificate."""
    return self_signed_certificate(tmp_path / "unrelated-ca")[0]


def defaults(saml_env, https_sts, tmp_path, *, system: Path, certifi: Path) -> dict[str, str]:
    """The SAML environment calling STS at ``https_sts``, whose system store is
    the bundle ``system`` and whose certifi bundle is ``certifi``."""
    stand_in = tmp_path / "certifi-stand-in"
    (stand_in / "certifi").mkdir(parents=True, exist_ok=True)
    (stand_in / "certifi" / "__init__.py").write_text(f"def where():\n    return {str(certifi)!r}\n")
    env = {
        **saml_env,
        "AWS_ENDPOINT_URL": https_sts.endpoint,
        "SSL_CERT_FILE": str(system),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(stand_in), saml_env.get("PYTHONPATH")])),
    }
    # The program's interpreter, with this environment, finds the stand-in
    # before the certifi it has installed: otherwise the real bundle would be
    # the one trusted, and a refusal would prove nothing about certifi's part.
    found = subprocess.run([sys.executable, "-c", "import certifi; print(certifi.where())"], env=env,
                           capture_output=True, text=True, check=True)
    assert found.stdout.strip() == str(certifi), found
    return env


def configure(env: dict[str, str], where: str, bundle: Path) -> dict[str, str]:
    """``env`` with ``bundle`` configured ``where``."""
    if where == "AWS_CA_BUNDLE":
        return {**env, "AWS_CA_BUNDLE": str(bundle)}
    config = Path(env["AWS_CONFIG_FILE"])
    assert config.read_text().startswith("[default]\n") and config.read_text().count("[") == 1
    with config.open("a") as file:  # into [default], the profile a SAML sign-in reads its endpoint settings from
        file.write(f"ca_bundle = {bundle}\n")
    return env


def assert_signed_in(run, https_sts, emulator) -> None:
    assert run.returncode == 0, run.stderr
    assert exports_of(run.stdout)["AWS_ACCOUNT_ROLE"] == "read"
    # Through the HTTPS endpoint, not around it.
    assert https_sts.received["AssumeRoleWithSAML"] == 1
    assert emulator.control.calls(outcome="ok").get("AssumeRoleWithSAML") == 1


@pytest.mark.parametrize("store", DEFAULT_STORES)
def test_with_no_bundle_configured_each_default_store_is_trusted(store, saml_env, https_sts, unrelated_ca, tmp_path,
                                                                 emulator):
    # The endpoint's CA in one of the two, an unrelated CA in the other: either suffices.
    ca = https_sts.certificate
    env = defaults(saml_env, https_sts, tmp_path,
                   system=ca if store == "the system's store" else unrelated_ca,
                   certifi=ca if store == "certifi's bundle" else unrelated_ca)
    run = run_cli(env, "--shell", "bash", "production", "read")
    assert_signed_in(run, https_sts, emulator)


@pytest.mark.parametrize("where", CONFIGURED)
def test_a_configured_bundle_is_trusted_alone(where, saml_env, https_sts, unrelated_ca, tmp_path, emulator):
    # Both default stores trust the endpoint; the configured bundle does not.
    ca = https_sts.certificate
    env = configure(defaults(saml_env, https_sts, tmp_path, system=ca, certifi=ca), where, unrelated_ca)
    run = run_cli(env, "--shell", "bash", "production", "read")
    assert_clean_failure(run, 6, f"the TLS connection to {https_sts.endpoint} failed while calling "
                                 "sts:AssumeRoleWithSAML; check its certificate")
    # Refused during the handshake: the assertion never reached AWS.
    assert https_sts.received == {}
    assert "AssumeRoleWithSAML" not in emulator.control.calls()


@pytest.mark.parametrize("where", CONFIGURED)
def test_a_configured_bundle_with_the_endpoints_ca_is_trusted(where, saml_env, https_sts, unrelated_ca, tmp_path,
                                                              emulator):
    # Neither default store trusts the endpoint; the configured bundle does.
    env = defaults(saml_env, https_sts, tmp_path, system=unrelated_ca, certifi=unrelated_ca)
    run = run_cli(configure(env, where, https_sts.certificate), "--shell", "bash", "production", "read")
    assert_signed_in(run, https_sts, emulator)
