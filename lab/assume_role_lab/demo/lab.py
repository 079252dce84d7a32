"""The demo's private world: a strict AWS emulator, a seeded account setup and a sandbox.

Everything lives under one temporary directory, and the environment handed to
the demo's shells points every AWS and assume-role setting there, HOME
included, so the user's own ``~/.aws`` and rc files are never read or written.
``close()`` stops the emulator and removes the directory; it is safe to call
more than once and from a signal handler's aftermath.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import site
import sys
import tempfile
import time
from pathlib import Path

from assume_role_lab.emulator import Emulator, SsoWorld, World, seed_identity_center, seed_world, start_emulator
from assume_role_lab.emulator import totp
from assume_role_lab.emulator.sandbox import add_sso_profile, import_roots, write_sandbox

# The demo's IAM Identity Center profile and sso-session, in the sandbox's AWS config.
SSO_PROFILE = "corp"

# Left out of the demo shells' environment: anything that could point the
# tool or botocore at a real AWS setup, or make the shell load a user's
# start-up files or prompt framework instead of the demo's.
_DROPPED_PREFIXES = ("AWS_", "ASSUME_ROLE_", "STARSHIP_", "POWERLEVEL9K_", "ZSH_THEME_ASSUME_ROLE_")
_DROPPED = {"BASH_ENV", "ENV", "ZDOTDIR", "PROMPT_COMMAND", "PS1", "HISTFILE", "fish_function_path",
            "PYTHON_KEYRING_BACKEND", "DBUS_SESSION_BUS_ADDRESS"}
# The demo's keyring (`assume-role keys`): keyrings.alt's file in the sandbox's
# data directory, named on purpose; never the user's own keyring.
KEYRING_BACKEND = "keyrings.alt.file.PlaintextKeyring"


class Lab:
    """Set up with ``Lab.start()``; use as a context manager to be sure of cleanup."""

    def __init__(
        self, root: Path, emulator: Emulator, world: World, sandbox_env: dict[str, str], outer: dict[str, str]
    ):
        self.root = root
        self.outer = outer
        self.emulator = emulator
        self.world = world
        self.sandbox_env = sandbox_env
        self.bin = root / "bin"
        self.helper = self.bin / "assume-role"
        self.code_command = self.bin / "demo-mfa-code"
        self.sso: SsoWorld | None = None
        self._closed = False

    @classmethod
    def start(cls, progress=lambda message: None) -> Lab:
        root = Path(tempfile.mkdtemp(prefix="assume-role-demo-"))
        outer = _isolate(root)
        emulator = None
        try:
            progress("starting the local AWS emulator")
            emulator = start_emulator(log_path=root / "emulator.log")
            progress("creating the bastion user, its MFA device and the roles")
            world = seed_world(emulator.endpoint)
            sso = seed_identity_center(emulator.endpoint, world)
            sandbox = write_sandbox(root, world, endpoint=emulator.endpoint)
            add_sso_profile(sandbox, sso, profile=SSO_PROFILE, session=SSO_PROFILE)
            lab = cls(root, emulator, world, sandbox, outer)
            lab.sso = sso
            lab._list_roles()
            lab._write_programs()
            return lab
        except BaseException:
            if emulator is not None:
                emulator.stop()
            shutil.rmtree(root, ignore_errors=True)
            _restore(outer)
            raise

    # -- what the demo shells get --------------------------------------------

    def _write_programs(self) -> None:
        """``assume-role`` and ``demo-mfa-code`` for the demo's PATH.

        The helper runs this very package with this interpreter, so the demo
        works from a checkout, a venv or a pipx install alike, whether or not
        an ``assume-role`` is on the user's PATH.
        """
        self.bin.mkdir(mode=0o700)
        python = shlex.quote(sys.executable)
        path = shlex.quote(import_roots())
        self.helper.write_text(
            "#!/bin/sh\n"
            f"PYTHONPATH={path}${{PYTHONPATH:+:$PYTHONPATH}} exec {python} -m assume_role \"$@\"\n"
        )
        self.code_command.write_text(
            "#!/bin/sh\n"
            "# Prints a fresh MFA code for the demo's virtual MFA device; each works once.\n"
            f"PYTHONPATH={path}${{PYTHONPATH:+:$PYTHONPATH}} exec {python} -m assume_role_lab.demo.code "
            f"{shlex.quote(self.emulator.endpoint)} {shlex.quote(self.world.mfa_serial)}\n"
        )
        for program in (self.helper, self.code_command):
            program.chmod(0o755)

    def _list_roles(self) -> None:
        """Give each account its roles in the accounts file, so Tab offers them from the start."""
        path = Path(self.sandbox_env["ASSUME_ROLE_ACCOUNTS_FILE"])
        accounts = {
            alias: {"id": account_id, "roles": list(self.world.roles)}
            for alias, account_id in self.world.accounts.items()
        }
        path.write_text(json.dumps(accounts, indent=2) + "\n")

    def shell_env(self, outer: dict[str, str] | None = None) -> dict[str, str]:
        """The user's environment, minus AWS settings, plus the sandbox."""
        outer = dict(self.outer if outer is None else outer)
        env = {
            name: value
            for name, value in outer.items()
            if not name.startswith(_DROPPED_PREFIXES) and name not in _DROPPED
        }
        env.update(self.sandbox_env)
        env["PATH"] = os.pathsep.join(filter(None, [str(self.bin), outer.get("PATH", "/usr/bin:/bin")]))
        if outer.get("LANG"):
            env["LANG"] = outer["LANG"]
        # HOME moves into the sandbox; a package installed with `pip --user`
        # must still be found under the real one.
        env["PYTHONUSERBASE"] = outer.get("PYTHONUSERBASE") or site.getuserbase()
        env["ASSUME_ROLE_DEMO"] = str(self.root)
        env["PYTHON_KEYRING_BACKEND"] = KEYRING_BACKEND
        return env

    @property
    def home(self) -> Path:
        return Path(self.sandbox_env["HOME"])

    # -- MFA codes -------------------------------------------------------------

    def mfa_code(self) -> str:
        """A fresh code for the seeded device, valid exactly once."""
        return self.emulator.control.mfa_code(self.world.mfa_serial)

    def wrong_code(self) -> str:
        """A well-formed code that the device would not accept now."""
        for number in range(10**totp.DIGITS):
            code = f"{number:0{totp.DIGITS}d}"
            # A window of 2 covers the emulator's own window of 1 with a step to spare.
            if totp.matching_step(self.world.mfa_seed, code, window=2) is None:
                return code
        raise AssertionError("unreachable")

    # -- IAM Identity Center -------------------------------------------------------

    def aws_sso_login(self) -> str:
        """What ``aws sso login`` leaves behind: the device flow, approved, and its token in the CLI's cache.

        Returns the user code the person approved.
        """
        import boto3
        from botocore.tokens import _sso_json_dumps
        from botocore.utils import JSONFileCache, SSOTokenLoader
        from datetime import datetime, timedelta, timezone

        sso = self.sso
        assert sso is not None
        oidc = boto3.session.Session(region_name=sso.region).client("sso-oidc", endpoint_url=self.emulator.endpoint)
        client = oidc.register_client(clientName="botocore-client-demo", clientType="public",
                                      scopes=["sso:account:access"])
        device = oidc.start_device_authorization(clientId=client["clientId"], clientSecret=client["clientSecret"],
                                                 startUrl=sso.start_url)
        self.emulator.control.sso_approve(device["userCode"])
        issued = oidc.create_token(clientId=client["clientId"], clientSecret=client["clientSecret"],
                                   grantType="urn:ietf:params:oauth:grant-type:device_code",
                                   deviceCode=device["deviceCode"])
        token = {"startUrl": sso.start_url, "region": sso.region, "accessToken": issued["accessToken"],
                 "expiresAt": datetime.now(timezone.utc) + timedelta(seconds=issued["expiresIn"]),
                 "clientId": client["clientId"], "clientSecret": client["clientSecret"],
                 "registrationExpiresAt": datetime.fromtimestamp(client["clientSecretExpiresAt"], timezone.utc),
                 "refreshToken": issued["refreshToken"]}
        cache = JSONFileCache(str(self.home / ".aws" / "sso" / "cache"), dumps_func=_sso_json_dumps)
        SSOTokenLoader(cache=cache).save_token(sso.start_url, token, session_name=SSO_PROFILE)
        return device["userCode"]

    # -- cleanup ---------------------------------------------------------------

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.emulator.stop()
        finally:
            # A straggler the shell left running may still be writing there.
            for _ in range(20):
                shutil.rmtree(self.root, ignore_errors=True)
                if not self.root.exists():
                    break
                time.sleep(0.1)
            _restore(self.outer)

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _isolate(root: Path) -> dict[str, str]:
    """Point this process's own AWS setup into the sandbox; returns the environment as it was.

    Seeding runs boto3 in this process, and the emulator's process inherits
    this environment: neither may read the user's configuration. botocore
    reads the config and credentials files named here, and looks for extra
    service models under ~/.aws/models, hence the sandbox HOME.
    """
    outer = dict(os.environ)
    for name in list(os.environ):
        if name.startswith(("AWS_", "ASSUME_ROLE_")):
            del os.environ[name]
    aws = root / "home" / ".aws"
    os.environ.update(
        HOME=str(root / "home"),
        AWS_CONFIG_FILE=str(aws / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(aws / "credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return outer


def _restore(outer: dict[str, str]) -> None:
    os.environ.clear()
    os.environ.update(outer)
