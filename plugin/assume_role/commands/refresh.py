"""``assume-role __refresh --shell SHELL``: the shell plugins' auto-refresh.

The plugins run it before a command when the role this shell holds has less
than ``ASSUME_ROLE_REFRESH_BEFORE`` seconds left. It assumes the same role
again (account, role and region read from the shell's variables), always
with new credentials rather than stored ones, and prints the shell code to
apply them and one short line on stderr. It never asks for an MFA code: when
a new sign-in is needed (the MFA session has ended too, or the SAML file
holds no password), it fails with one line saying what to run, and the shell
stays as it was.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time

from assume_role import accounts, variables
from assume_role.errors import UsageError
from assume_role.validate import printable
from assume_role.shell import emitters


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="assume-role __refresh")
    parser.add_argument("--shell", choices=["bash", "zsh", "fish", "sh"], required=True)
    args = parser.parse_args(argv)
    env = os.environ
    account = env.get("AWS_ACCOUNT_NAME") or env.get("AWS_ACCOUNT_ID")
    role = env.get("AWS_ACCOUNT_ROLE")
    if account and account not in accounts.load():
        # The alias left the accounts file since: the id still names the account.
        account = env.get("AWS_ACCOUNT_ID") or account
    if not (account and role):
        raise UsageError("no role is assumed in this shell; nothing to refresh")
    command = f"assume-role {shlex.quote(account)} {shlex.quote(role)}"

    from assume_role import signin
    from assume_role.commands import assume

    # Never a question before someone's command: when a new sign-in is
    # needed, one line says what to run.
    situation = f"{account}:{role} {_ending(env.get('ASSUME_ROLE_EXPIRES_AT'))}"
    source = signin.choose(asking=signin.Asking(terminal=False, rerun=command, situation=situation))
    assumed = assume.obtain(
        account, role, env.get("AWS_REGION") or None, source=source, log=assume.logger(False), refresh=True
    )
    script = emitters.for_shell(args.shell).script(
        exports=assume.export_values(assumed), unsets=variables.UNSET_ON_ASSUME
    )
    minutes = int(assumed.credentials.seconds_left() // 60)
    print(
        f"assume-role: renewed {printable(assumed.account.alias)}:{printable(assumed.role)} ({minutes} min left)",
        file=sys.stderr,
    )
    # Last, in one write: a failure before this leaves the shell as it was.
    sys.stdout.write(script)
    sys.stdout.flush()
    return 0


def _ending(expires_at: str | None) -> str:
    """How the role session stands: it expires soon, or it expired, and when."""
    from assume_role.commands.status import _epoch

    expires = _epoch(expires_at)
    if expires is None or expires > time.time():
        return "expires soon"
    when = time.localtime(expires)
    day = "" if time.strftime("%Y-%m-%d", when) == time.strftime("%Y-%m-%d") else time.strftime(" on %Y-%m-%d", when)
    return f"expired{day} at {time.strftime('%H:%M %Z', when)}"
