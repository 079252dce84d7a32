"""``assume-role accounts``: list the accounts file, or sync it from AWS Organizations.

    assume-role accounts list [--json]
    assume-role accounts sync [--via ACCOUNT:ROLE | --sso] [--prune] [--dry-run] [-v] [MFA_TOKEN]

``list`` reads only the accounts file and the session store (no botocore).
``sync`` assumes ROLE in ACCOUNT like the main command does (same MFA session
and stored credentials), lists the organisation's accounts and merges them
into the accounts file under the rules of ``assume_role.accounts.sync``. The
``--via`` given is remembered in the file's ``"#sync"`` entry, so a plain
``accounts sync`` repeats it. ``sync --sso`` lists the accounts and
permission sets IAM Identity Center gives the person instead (the bastion
profile's sign-in), under the same rules; it is remembered the same way.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from assume_role import accounts, settings, validate
from assume_role.state import paths
from assume_role.errors import AssumeRoleError, UsageError
from assume_role.validate import printable

JSON_SCHEMA = 1


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{message} (see assume-role accounts --help)")


DESCRIPTION = """\
List the accounts file with the role sessions stored for each account, or
add the accounts of an AWS Organization to it.
"""

EPILOG = """\
examples:
  assume-role accounts list --json
  assume-role accounts sync --via 123456789012:OrganizationAccountAccessRole
  assume-role accounts sync --dry-run --prune
  assume-role accounts sync --sso

A plain "accounts sync" does what the last one did (its --via, or --sso). See
"assume-role accounts list --help" and "assume-role accounts sync --help".
"""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="assume-role accounts",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", title="subcommands", metavar="{list,sync}", parser_class=_Parser)
    listing = commands.add_parser(
        "list",
        help="every alias, its id, roles, region and stored role sessions",
        description="Print every alias of the accounts file with its id, listed roles, region "
        "and stored role sessions (with the time left).",
    )
    listing.add_argument("--json", action="store_true", help="one JSON object for scripts (schema in the README)")
    sync = commands.add_parser(
        "sync",
        help="add the accounts of an AWS Organization to the accounts file",
        description="Assume the --via role as assume-role does (same MFA session), list the "
        "organisation's accounts and give each new one an alias in the accounts file. "
        "The previous file is kept as accounts.bak.",
    )
    sync.add_argument("mfa_token", nargs="?", metavar="MFA_TOKEN", help="the current MFA code, if no session can be reused")
    source = sync.add_mutually_exclusive_group()
    source.add_argument(
        "--via", metavar="ACCOUNT:ROLE",
        help="the role to list the organisation with, in its management account or a delegated "
        "administrator (default: the one the last sync used)",
    )
    source.add_argument(
        "--sso", action="store_true",
        help="list the accounts and permission sets IAM Identity Center gives you (the bastion profile's sign-in)",
    )
    sync.add_argument("--prune", action="store_true",
                      help="remove aliases of suspended accounts and of accounts that left (or are no longer assigned)")
    sync.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
    sync.add_argument("-v", "--verbose", action="store_true", help="explain each step on stderr")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "list":
        return list_accounts(args.json)
    if args.command == "sync":
        return sync(args)
    raise UsageError("say what to do: assume-role accounts list or assume-role accounts sync")


# -- list ----------------------------------------------------------------------


def list_accounts(as_json: bool) -> int:
    from assume_role.state import store as stores

    from assume_role.signin import saml

    table = accounts.read_table()
    # The sessions of the scheme in use, as logout counts them.
    from assume_role.signin import sso

    in_use = sso.in_use()
    profile = saml.cache_profile() or (in_use.cache_profile if in_use else settings.bastion_profile())
    sessions: dict[str, list[dict]] = {}
    now = time.time()
    for account_id, role, credentials in stores.open_store().stored_roles(profile):
        expires = credentials.expiration.timestamp() if credentials.expiration else None
        if expires is None:
            continue
        sessions.setdefault(account_id, []).append(
            {"role": role, "expires_at": int(expires), "seconds_left": max(0, int(expires - now)),
             "valid": expires > now}
        )
    rows = []
    for alias, value in sorted(table.items()):
        account_id = accounts.id_of(value)
        if accounts.is_reserved(alias) or account_id is None:
            continue
        fields = value if isinstance(value, dict) else {}
        roles = [r for r in fields.get("roles") or [] if isinstance(r, str)] if isinstance(fields.get("roles"), list) else []
        region = fields.get("region") if isinstance(fields.get("region"), str) else None
        rows.append({
            "alias": alias,
            "id": account_id,
            "roles": roles,
            "region": region,
            "sessions": sorted(sessions.get(account_id, []), key=lambda s: s["role"]),
        })
    if as_json:
        sys.stdout.write(json.dumps({"schema": JSON_SCHEMA, "accounts": rows}) + "\n")
        return 0
    _print_table(rows)
    return 0


def _print_table(rows: list[dict]) -> None:
    from assume_role.commands.status import remaining

    lines = [("ALIAS", "ID", "ROLES", "REGION", "ROLE SESSIONS")]
    for row in rows:
        stored = ", ".join(
            f"{printable(s['role'])} {remaining(s['seconds_left']) if s['valid'] else 'expired'}" for s in row["sessions"]
        )
        lines.append((printable(row["alias"]), row["id"], printable(",".join(row["roles"])) or "-",
                      printable(row["region"] or "") or "-", stored or "-"))
    widths = [min(max(len(line[i]) for line in lines), 40) for i in range(4)]
    out = sys.stdout
    for line in lines:
        out.write("  ".join(cell.ljust(width) for cell, width in zip(line, widths)) + "  " + line[4] + "\n")


# -- sync ----------------------------------------------------------------------


def _log(verbose: bool):
    def log(message: str) -> None:
        if verbose:
            # Aliases and role names may hold escape sequences: shown as ?.
            print(f"assume-role: {printable(message)}", file=sys.stderr)

    return log


def sync(args) -> int:
    from assume_role import subcommands
    from assume_role.accounts import writer as accounts_writer
    from assume_role.accounts import sync as org_sync

    log = _log(args.verbose)
    path = paths.accounts_file()
    table = accounts.read_table(path)  # every check on the file happens here
    # The exact bytes, so that the write can refuse if anything changed since.
    try:
        before = path.read_bytes() if table or path.exists() else None
    except OSError as exc:
        raise UsageError(f"cannot read accounts file {path}: {exc.strerror}") from None
    if before is not None and json.loads(before) != table:
        raise AssumeRoleError(f"{path} changed while syncing; nothing was written, run the sync again")
    remembered = table.get(org_sync.SYNC_KEY)
    remembered = remembered if isinstance(remembered, dict) else {}
    if args.sso or (not args.via and remembered.get("sso") is True):
        if args.mfa_token:
            raise UsageError("accounts sync --sso takes no MFA code")
        plan, listed = _sso_plan(table, args.prune, log)
        how = {"sso": True}
    else:
        via = args.via or remembered.get("via")
        if not isinstance(via, str) or not via:
            raise UsageError(
                "name the role to list the organisation with: assume-role accounts sync --via ACCOUNT:ROLE "
                "(or --sso for IAM Identity Center)"
            )
        account, role = _parse_via(via)
        code = validate.mfa_code(args.mfa_token) if args.mfa_token else None
        found = _list_organization(account, role, code, log)
        plan = org_sync.plan(table, found, prune=args.prune, forbidden=set(subcommands.BY_NAME))
        listed = len(found)
        how = {"via": via}
    new_table = dict(plan.table)
    if args.via or args.sso:
        kept = {k: v for k, v in remembered.items() if k not in ("via", "sso")}
        new_table[org_sync.SYNC_KEY] = {**kept, **how}

    _report(plan, listed, args.prune, args.dry_run, sso="sso" in how)
    if args.dry_run:
        return 0
    if new_table == table and before is not None:
        print(f"{path} is up to date", file=sys.stderr)
        return 0
    backup = accounts_writer.replace(path, accounts_writer.render(new_table), expected=before)
    print(f"wrote {path}" + (f" (the previous version is in {backup})" if backup else ""), file=sys.stderr)
    return 0


def _parse_via(via: str) -> tuple:
    account_name, colon, role = via.rpartition(":")
    if not colon or not account_name or not role:
        raise UsageError(f"--via must be ACCOUNT:ROLE, like 123456789012:OrganizationAccountAccessRole; got {via!r}")
    account = accounts.find(account_name)
    return account, validate.role_name(role)


def _list_organization(account, role: str, code: str | None, log) -> list:
    from assume_role import signin
    from assume_role.accounts.sync import OrgAccount
    from assume_role.aws.sdk import SdkBastion
    from assume_role.commands.assume import obtain

    region = account.region or settings.region_from_environment() or settings.DEFAULT_REGION
    log(f"assuming {role} in {account.alias} ({account.id}) to list the organisation")
    assumed = obtain(account.alias, role, region, source=signin.choose(code), log=log)
    listed = SdkBastion(settings.bastion_profile(), assumed.region).organization_accounts(assumed.credentials)
    log(f"organizations:ListAccounts: {len(listed)} accounts")
    found = [OrgAccount(i, name, status) for i, name, status in listed if accounts.ACCOUNT_ID.fullmatch(i)]
    # The account listed through is always a member: a list without it is
    # broken or cut short, and pruning by it would delete good aliases.
    if account.id not in {entry.id for entry in found}:
        raise AssumeRoleError(
            f"organizations:ListAccounts answered {len(found)} accounts without {account.id}, the account it was "
            "asked in; the answer looks incomplete, so nothing was changed"
        )
    return found


def _sso_plan(table: dict, prune: bool, log):
    """The IAM Identity Center sync's plan, and how many accounts were listed."""
    from assume_role import signin, subcommands
    from assume_role.accounts import sync as org_sync
    from assume_role.signin.sso import SsoSignIn
    from assume_role.state import sso_roles

    source = signin.choose()
    if not isinstance(source, SsoSignIn):
        raise UsageError(
            f"accounts sync --sso needs an IAM Identity Center bastion profile: profile {settings.bastion_profile()!r} "
            "(AWS_PROFILE_ASSUME_ROLE) has no sso_session or sso_start_url"
        )
    assigned = source.assignments(log)
    roles = {account_id: permission_sets for account_id, _, permission_sets in assigned}
    listed = [org_sync.OrgAccount(account_id, name, org_sync.ACTIVE) for account_id, name, _ in assigned]
    plan = org_sync.plan(table, listed, prune=prune, forbidden=set(subcommands.BY_NAME), marker=org_sync.SSO_FIELD,
                         roles=roles)
    sso_roles.remember(settings.bastion_profile(), roles, complete=True)
    return plan, len(listed)


def _report(plan, listed: int, prune: bool, dry_run: bool, *, sso: bool = False) -> None:
    out = sys.stdout
    would = "would " if dry_run else ""
    for change in plan.added:
        out.write(f"{would}add {printable(change.alias)} ({change.id}, {printable(change.name)!r})\n")
    for change in plan.updated:
        out.write(f"{would}give {printable(change.alias)} ({change.id}) the roles {printable(change.name)}\n")
    pruned = {change.alias for change in plan.removed}
    gone = "no longer assigned to you" if sso else "left the organisation"
    for label, changes in (("suspended", plan.suspended), (gone, plan.left)):
        for change in changes:
            verb = f"{would}remove" if change.alias in pruned else "keep"
            out.write(f"{verb} {printable(change.alias)} ({change.id}): {label}\n")
    if (plan.suspended or plan.left) and not prune:
        left = "are no longer assigned to you" if sso else "left"
        out.write(f"run with --prune to remove the aliases of suspended accounts and of accounts that {left}\n")
    where = "assigned to you in IAM Identity Center" if sso else "in the organisation"
    updated = f"{would}update {len(plan.updated)}, " if sso else ""
    out.write(f"{listed} accounts {where}: {would}add {len(plan.added)}, {updated}{would}remove {len(plan.removed)}\n")
