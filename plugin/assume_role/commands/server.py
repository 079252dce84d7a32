"""``assume-role __server run|renew``: the credential server's own processes (never typed by hand).

``run`` is the server (``assume_role.serve``). ``renew ALIAS ACCOUNT_ID ROLE
--region REGION`` is how it renews a role: it runs in the environment of the
shell or command that bound the role, assumes it again through
``assume.obtain`` without ever asking anyone (``Asking(terminal=False)``),
and prints the credentials as JSON, with the end of the MFA session they were
assumed from. A renewal that needs a person fails with the line the SDKs will
show: what to run.

``attach`` is what ``exec --server`` and the shells' served mode call: it
starts the server if none runs and binds a process to a role.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import subprocess
import sys
from datetime import datetime

from assume_role import variables
from assume_role.errors import EXIT_NETWORK, EXIT_FAILURE, UsageError

FULL_URI, TOKEN, OVERRIDDEN = variables.FULL_URI, variables.TOKEN, variables.CONTAINER_OVERRIDES
# Settings that decide how a role is signed into: bindings with the same role
# and the same of these share one slot (one renewal) in the server.
_SETTING_PREFIXES = ("AWS_", "ASSUME_ROLE_", "SAML_", "XDG_")
# Exit codes of a renewal that cannot succeed later without a person (all
# but the network and bugs): the server then answers only the error.
_TRANSIENT = (EXIT_NETWORK, EXIT_FAILURE)
RENEW_SECONDS = 300
MAX_OUTPUT = 64 * 1024


def main(argv: list[str]) -> int:
    if argv[:1] == ["run"]:
        from assume_role.serve import client, daemon

        daemon.run(client.state_file(), _renew_in_child)
    if argv[:1] == ["renew"] and len(argv) == 6 and argv[4] == "--region":
        return _renew(*argv[1:4], argv[5])
    raise UsageError("__server is the credential server's own: use `assume-role exec --server` or `assume-role serve`")


# -- in the helper: bind a process to a role -----------------------------------


def attach(assumed, source, pid: int, binding: str | None = None) -> tuple[str, str, str]:
    """Serve ``assumed``'s role to process ``pid`` (rebinding ``binding`` if it is that process's).

    Returns the URI, the token, and the binding's name.
    """
    from assume_role.serve import client

    environment = renewal_environment(assumed)
    account = assumed.account
    advice = f"run `assume-role {shlex.quote(account.alias)} {shlex.quote(assumed.role)}` to sign in again"
    spec = {
        "key": _slot_key(account.id, assumed.role, environment),
        "label": f"{account.alias}:{assumed.role}",
        "alias": account.alias,
        "account": account.id,
        "role": assumed.role,
        "region": assumed.region,
        "advice": advice,
        "environment": environment,
    }
    ends = source.session_ends
    payload = {
        "pid": pid,
        "binding": binding,
        "slot": spec,
        "credentials": assumed.credentials.to_dict(),
        "session_ends": ends.isoformat() if isinstance(ends, datetime) else None,
    }
    start = [sys.executable, "-m", "assume_role", "__server", "run"]
    try:
        endpoint = client.ensure(start, _server_environment())
        answer = client.call(endpoint, "bind", payload)
    except client.ServerGone:
        # It ended with its last binding just now: a new one serves.
        endpoint = client.ensure(start, _server_environment())
        answer = client.call(endpoint, "bind", payload)
    name = answer.get("binding")
    if not isinstance(name, str) or not name.isalnum():
        raise client.ServerError("the credential server's answer could not be read")
    return endpoint.uri(name), endpoint.token, name


def check_available() -> None:
    from assume_role.serve import client

    client.available()


def served_values(assumed, uri: str, token: str) -> dict[str, str]:
    """What a served shell or command gets: the endpoint, and the role's names and region (no keys)."""
    account = assumed.account
    return {
        FULL_URI: uri,
        TOKEN: token,
        "AWS_REGION": assumed.region,
        "AWS_DEFAULT_REGION": assumed.region,
        "AWS_ACCOUNT_ID": account.id,
        "AWS_ACCOUNT_NAME": account.alias,
        "AWS_ACCOUNT_ROLE": assumed.role,
    }


def served_environment(environment: dict[str, str], assumed, uri: str, token: str) -> dict[str, str]:
    """``environment`` for a served command: no credentials of any kind, the endpoint instead."""
    for name in variables.EXPORTED + variables.UNSET_ON_ASSUME + OVERRIDDEN:
        environment.pop(name, None)
    environment.update(served_values(assumed, uri, token))
    environment.update(hidden_files(environment))
    return environment


def hidden_files(environment: dict[str, str]) -> dict[str, str]:
    """A default profile with keys of its own would win over the endpoint in every
    SDK: its file is shown as /dev/null, its real path kept for assume-role itself."""
    from assume_role.aws import profiles

    values = {}
    for name in profiles.shadowing_files():
        values[name] = os.devnull
        values[variables.HIDDEN_FILES[name]] = environment.get(name, "")
    return values


def renewal_environment(assumed) -> dict[str, str]:
    """The environment renewals run in: this one, without credentials of any kind."""
    environment = dict(os.environ)
    for name in variables.CREDENTIALS + variables.IDENTITY + (FULL_URI, TOKEN) + OVERRIDDEN:
        environment.pop(name, None)
    # With ASSUME_ROLE_CACHE=env the MFA session travels in the environment.
    environment.update(assumed.store.exports())
    return environment


def _server_environment() -> dict[str, str]:
    """The server needs none of the settings: each renewal gets its binding's."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "XDG_STATE_HOME", "XDG_CACHE_HOME", "TMPDIR")
    return {name: os.environ[name] for name in keep if name in os.environ}


def _slot_key(account_id: str, role: str, environment: dict[str, str]) -> str:
    settings = sorted(
        (name, value) for name, value in environment.items()
        if name.startswith(_SETTING_PREFIXES) and name != variables.MFA_SESSION
    )
    return hashlib.sha256(json.dumps([account_id, role, settings]).encode("utf-8")).hexdigest()


# -- in the server: renew through a child ----------------------------------------


def _renew_in_child(spec: dict):
    """Renew a slot's role in a child process with the binding's environment.

    A child, because each binding has its own settings (bastion profile,
    files, cache) and the server's process must not take any of them on.
    """
    from assume_role.credentials import Credentials
    from assume_role.validate import printable
    from assume_role.serve.server import Renewed

    command = [sys.executable, "-m", "assume_role", "__server", "renew",
               str(spec.get("alias")), str(spec.get("account")), str(spec.get("role")),
               "--region", str(spec.get("region"))]
    environment = spec.get("environment")
    try:
        done = subprocess.run(
            command, env=environment if isinstance(environment, dict) else {}, stdin=subprocess.DEVNULL,
            capture_output=True, timeout=RENEW_SECONDS, start_new_session=True,
        )
    except (OSError, subprocess.TimeoutExpired):
        return Renewed(None, error="assume-role: renewing the role took too long; trying again")
    if done.returncode == 0:
        try:
            data = json.loads(done.stdout[:MAX_OUTPUT])
            ends = data.get("SessionEnds")
            return Renewed(Credentials.from_dict(data),
                           datetime.fromisoformat(ends) if isinstance(ends, str) else None)
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError):
            return Renewed(None, error="assume-role: the renewed credentials could not be read")
    lines = done.stderr[:MAX_OUTPUT].decode("utf-8", "replace").strip().splitlines()
    line = printable(lines[-1][:400]) if lines else "assume-role: renewing the role failed"
    return Renewed(None, error=line, final=done.returncode not in _TRANSIENT)


def _renew(alias: str, account_id: str, role: str, region: str) -> int:
    from assume_role import accounts, signin
    from assume_role.commands import assume

    account = alias if alias in accounts.load() else account_id
    advice = (f"the MFA session has ended: run `assume-role {shlex.quote(alias)} {shlex.quote(role)}` "
              "to sign in again")
    source = signin.choose(asking=signin.Asking(terminal=False, advice=advice))
    assumed = assume.obtain(account, role, region, source=source, log=assume.logger(False), refresh=True)
    document = assumed.credentials.to_dict()
    ends = source.session_ends
    document["SessionEnds"] = ends.isoformat() if isinstance(ends, datetime) else None
    sys.stdout.write(json.dumps(document) + "\n")
    sys.stdout.flush()
    return 0
