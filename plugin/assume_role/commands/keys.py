"""``assume-role keys``: the bastion's long-term keys in the OS keyring, added and rotated here.

    assume-role keys add [PROFILE] [--from-credentials-file]
    assume-role keys list
    assume-role keys remove PROFILE
    assume-role keys rotate [PROFILE] [--mfa-token CODE] [-v]
    assume-role keys credential-process PROFILE

``add`` takes the key id and secret from a hidden question on the terminal or
from stdin (never the command line), checks them with one GetCallerIdentity
and stores them (``state.key_store``); ``--from-credentials-file`` takes them
from ``~/.aws/credentials`` and then out of it (``aws.credentials_file``).
From then on the bastion reads the keyring first (``signin.mfa_flow.open_bastion``).

``rotate`` makes a new key with the current one (under an MFA session when the
user's policy wants one), waits until AWS accepts it, stores it and deletes
the old key; whatever step fails, exactly one working key is stored, and the
message says which (``Rotation``). ``credential-process`` lends the stored
keys to other tools through the AWS config file's ``credential_process``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from assume_role import settings
from assume_role.credentials import Credentials
from assume_role.errors import AssumeRoleError, CredentialsError, Interrupted, UsageError
from assume_role.validate import printable

# How long a new key may take to work: IAM is eventually consistent, a new
# key is usually accepted within seconds.
PROPAGATION_SECONDS = 60
_MAX_STDIN = 4096


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # Never the words themselves: someone may have typed a secret there.
        if message.startswith("unrecognized arguments"):
            message = "too many arguments (keys are read from a question or stdin, never from the command line)"
        elif "invalid choice" in message:
            message = "unknown subcommand: choose add, list, remove, rotate or credential-process"
        raise UsageError(f"{message} (see assume-role keys --help)")


DESCRIPTION = """\
Keep the bastion IAM user's long-term keys in the OS keyring (the Secret
Service of GNOME Keyring or KWallet, the macOS Keychain, the Windows
Credential Manager) instead of ~/.aws/credentials, and rotate them.
assume-role reads the keyring first, then the credentials file.
"""

EPILOG = """\
examples:
  assume-role keys add --from-credentials-file    the bastion's keys moved
                                                  into the keyring
  assume-role keys add ops < keys.txt             the key id, then the secret,
                                                  one a line
  assume-role keys rotate                         a new key stored, the old
                                                  one deleted at AWS

For other tools (aws, the SDKs), in the profile of the AWS config file:
  credential_process = assume-role keys credential-process PROFILE

The keys are never given on the command line, printed on a terminal, or
written to a file by assume-role. With no usable keyring nothing is stored.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="assume-role keys", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(
        dest="command", title="subcommands", metavar="{add,list,remove,rotate,credential-process}",
        parser_class=_Parser,
    )
    add = commands.add_parser(
        "add", help="store a profile's keys in the keyring, checked with AWS first",
        description="Store the access key id and secret of PROFILE (default: the bastion profile) in the OS "
        "keyring. They are read from a hidden question on the terminal, or from stdin (the key id on one "
        "line, the secret on the next, or credential_process JSON), and checked with sts:GetCallerIdentity.",
    )
    add.add_argument("profile", nargs="?", metavar="PROFILE")
    add.add_argument(
        "--from-credentials-file", action="store_true",
        help="take the keys from ~/.aws/credentials, then remove their two lines from it (no backup is kept)",
    )
    commands.add_parser(
        "list", help="the profiles whose keys are in the keyring, with their key ids (never secrets)",
        description="Print each profile whose keys are in the keyring, its access key id and the keyring "
        "backend. Never a secret.",
    )
    remove = commands.add_parser(
        "remove", help="delete a profile's keys from the keyring (not at AWS)",
        description="Delete the keys of PROFILE from the keyring. The key itself stays valid at AWS.",
    )
    remove.add_argument("profile", metavar="PROFILE")
    rotate = commands.add_parser(
        "rotate", help="replace the stored key with a new one and delete the old one at AWS",
        description="Create a new access key with the stored one (under an MFA session when the user's "
        "policy wants MFA), wait until AWS accepts it, store it, then delete the old key. If a step fails, "
        "exactly one working key is stored, and the message says which.",
    )
    rotate.add_argument("profile", nargs="?", metavar="PROFILE")
    rotate.add_argument("--mfa-token", metavar="CODE", help="the current MFA code, if one is needed")
    rotate.add_argument("-v", "--verbose", action="store_true", help="explain each step on stderr (never secrets)")
    process = commands.add_parser(
        "credential-process", help="print the keys as credential_process JSON, for other tools",
        description="Print the keys of PROFILE as the JSON an AWS config file's credential_process "
        "prints. For tools, never for a terminal: "
        'aws configure set credential_process "assume-role keys credential-process PROFILE" --profile PROFILE',
    )
    process.add_argument("profile", metavar="PROFILE")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        raise UsageError("say what to do: assume-role keys add, list, remove, rotate or credential-process")
    return {
        "add": add, "list": list_keys, "remove": remove, "rotate": rotate, "credential-process": credential_process,
    }[args.command](args)


def _profile(name: str | None) -> str:
    profile = name if name is not None else settings.bastion_profile()
    if not profile or len(profile) > 128 or not profile.isprintable() or profile.startswith("-"):
        raise UsageError(f"not a profile name: {printable(profile)!r}")
    return profile


def _say(line: str) -> None:
    print(f"assume-role: {line}", file=sys.stderr)


# -- add -------------------------------------------------------------------------------


def add(args) -> int:
    from assume_role.aws import credentials_file
    from assume_role.aws.bastion import GivenKeys
    from assume_role.signin.mfa_flow import open_bastion
    from assume_role.state import key_store

    profile = _profile(args.profile)
    shown = printable(profile)
    keys = credentials_file.keys_in(profile) if args.from_credentials_file else _given_keys(profile)
    # No keyring, no AWS call: nothing to do with the keys then.
    backend = key_store.chosen_backend()
    user_arn = _check_with_aws(open_bastion(profile, GivenKeys(keys)), keys)
    with key_store.changing(waiting="waiting for another assume-role keys command to finish"):
        key_store.save(profile, keys, backend)
        print(f"stored the keys of profile {shown} ({keys.access_key_id}, {printable(user_arn)}) in "
              f"{key_store.describe(backend)}")
        if args.from_credentials_file:
            _move_out_of_file(profile, keys)
    _suggest_credential_process(profile)
    return 0


def _given_keys(profile: str) -> Credentials:
    from assume_role import interactive
    from assume_role.state.key_store import valid_key_id, valid_secret

    if _stdin_is_terminal():
        if not interactive.available():
            raise UsageError("cannot open the terminal to ask for the keys; give them on stdin instead")
        key_id, secret = interactive.ask_access_key(profile)
    else:
        key_id, secret = _read_stdin()
    if key_id.startswith("ASIA"):
        raise CredentialsError("an ASIA... key is temporary: keys add stores an IAM user's long-term keys (AKIA...)")
    if not valid_key_id(key_id):
        raise UsageError("the access key id read is not one (AKIA and 16 more capitals or digits); nothing was stored")
    if not valid_secret(secret):
        raise UsageError("the secret access key read is not one (40 characters, without spaces); nothing was stored")
    return Credentials(key_id, secret)


def _read_stdin() -> tuple[str, str]:
    """Two lines (the key id, the secret) or credential_process JSON from stdin."""
    data = sys.stdin.buffer.read(_MAX_STDIN + 1)
    if len(data) > _MAX_STDIN:
        raise UsageError("more than 4 KiB on stdin: give the key id and the secret, one a line")
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise UsageError("stdin is not UTF-8 text: give the key id and the secret, one a line") from None
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except ValueError:
            document = None
        if not isinstance(document, dict) or not all(isinstance(document.get(k), str)
                                                     for k in ("AccessKeyId", "SecretAccessKey")):
            raise UsageError("the JSON on stdin holds no AccessKeyId and SecretAccessKey")
        if document.get("SessionToken"):
            raise CredentialsError("the JSON on stdin holds temporary credentials: keys add stores long-term keys")
        return document["AccessKeyId"].strip(), document["SecretAccessKey"].strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) != 2:
        raise UsageError(
            "give the keys on stdin, the access key id on one line and the secret on the next "
            "(or run in a terminal to be asked); never as arguments"
        )
    return lines[0], lines[1]


def _region(profile: str) -> str:
    """Where STS is asked: the environment's region, else the profile's, as for the main command."""
    from assume_role import validate
    from assume_role.aws import profiles

    configured = profiles.profile_region(profile)
    fallback = validate.region(configured) if configured else settings.DEFAULT_REGION
    return settings.region_from_environment() or fallback


def _stdin_is_terminal() -> bool:
    try:
        return os.isatty(0)
    except OSError:
        return False


def _check_with_aws(bastion, keys: Credentials) -> str:
    """The IAM user the keys belong to, says AWS; refused keys are never stored."""
    from assume_role.aws.errors import CredentialsRejected

    bastion.region = _region(bastion.profile)
    try:
        arn = bastion.caller_arn(keys)
    except CredentialsRejected as exc:
        raise CredentialsRejected(
            f"AWS rejected the keys given ({exc.code}): they are wrong, deleted or deactivated; nothing was stored",
            exc.code,
        ) from None
    if ":user/" not in arn:
        raise CredentialsError(f"the keys belong to {printable(arn)}, not to an IAM user; nothing was stored")
    return arn


def _move_out_of_file(profile: str, keys: Credentials) -> None:
    from pathlib import Path

    from assume_role.aws import credentials_file

    try:
        written = credentials_file.remove_keys(profile, keys)
    except AssumeRoleError as exc:
        raise AssumeRoleError(f"the keys are stored in the keyring, but {exc}", exc.exit_code) from None
    print(f"removed them from {printable(str(written))} (no copy kept)")
    config_file = Path(os.path.expanduser(os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config"))
    places = [written.parent, credentials_file.path().parent, config_file.parent]
    left = credentials_file.copies(keys.secret_access_key, places)
    if left:
        names = ", ".join(printable(str(path)) for path in left)
        _say(f"warning: the secret is still written in {names}: assume-role did not write it there and leaves "
             "those files as they are; take it out of them (or delete the copies) by hand")


def _suggest_credential_process(profile: str) -> None:
    """Other tools read the profile's keys from the keyring only through credential_process."""
    from assume_role.aws import profiles

    plain = profiles.plain_profile(profile, held=True)
    if plain is not None and profiles.lends_held_keys(plain.settings.get("credential_process")):
        return
    _say(
        "for other tools (aws, SDKs) to use these keys: aws configure set credential_process "
        f"\"assume-role keys credential-process {printable(profile)}\" --profile {printable(profile)}"
    )


# -- list and remove ---------------------------------------------------------------------


def list_keys(args) -> int:
    from assume_role.state import key_store

    held = key_store.listed()
    if not held:
        print("no keys in the OS keyring; move the bastion's there with assume-role keys add --from-credentials-file")
        return 0
    rows = [("PROFILE", "ACCESS KEY ID", "KEPT IN")] + [
        (printable(h.profile), h.access_key_id, key_store.describe(h.backend)) for h in held
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for row in rows:
        print(f"{row[0].ljust(widths[0])}  {row[1].ljust(widths[1])}  {row[2]}")
    return 0


def remove(args) -> int:
    from assume_role.state import key_store

    profile = _profile(args.profile)
    with key_store.changing(waiting="waiting for another assume-role keys command to finish"):
        removed = key_store.remove(profile)
    if removed is None:
        raise UsageError(f"no keys of profile {printable(profile)!r} in the OS keyring (see assume-role keys list)")
    print(f"removed the keys of profile {printable(profile)} ({removed.access_key_id}) from "
          f"{key_store.describe(removed.backend)}; the key is still valid at AWS until it is deleted there")
    return 0


# -- credential-process ----------------------------------------------------------------


def credential_process(args) -> int:
    from assume_role.state import key_store

    profile = _profile(args.profile)
    if os.isatty(1):
        raise UsageError(
            "long-term keys are not printed on a terminal: this is for the credential_process of a profile "
            "in the AWS config file"
        )
    held = key_store.held(profile)
    keys = held.read() if held is not None else None
    if keys is None:
        raise CredentialsError(
            f"no keys of profile {printable(profile)!r} in the OS keyring: add them with assume-role keys add "
            f"{printable(profile)}"
        )
    document = {"Version": 1, "AccessKeyId": keys.access_key_id, "SecretAccessKey": keys.secret_access_key}
    sys.stdout.write(json.dumps(document) + "\n")
    sys.stdout.flush()
    return 0


# -- rotate ----------------------------------------------------------------------------


def rotate(args) -> int:
    from assume_role import validate
    from assume_role.commands.assume import logger
    from assume_role.state import key_store

    profile = _profile(args.profile)
    code = validate.mfa_code(args.mfa_token) if args.mfa_token else None
    log = logger(args.verbose)
    with key_store.changing(waiting="waiting for another assume-role keys command to finish"):
        held = key_store.held(profile)
        if held is None:
            shown = printable(profile)
            raise UsageError(
                f"profile {shown!r} keeps no keys in the OS keyring, where rotation stores the new one: "
                f"move them there first with assume-role keys add {shown} --from-credentials-file"
            )
        rotation = Rotation(profile, held, code, log)
        new = rotation.run()
    print(f"rotated the keys of profile {printable(profile)}: {new.access_key_id} is stored in "
          f"{key_store.describe(held.backend)} and works; {rotation.old.access_key_id} is deleted at AWS")
    return 0


class Rotation:
    """One rotation: each step's failure ends with exactly one working key stored, and says which.

    1. the stored key, checked (GetCallerIdentity): the user;
    2. who signs the key calls: the stored MFA session, else the key itself,
       else (the user's policy wants MFA) a new MFA session;
    3. ListAccessKeys: refused when the user already has two keys;
    4. CreateAccessKey; from here a failure deletes the new key again;
    5. the new key, tried until AWS accepts it (IAM propagates new keys);
    6. stored in the keyring, in place of the old pair (one item);
    7. DeleteAccessKey of the old key: a failure leaves it, still valid,
       while the new one is stored; the message says how to delete it.
    """

    def __init__(self, profile: str, held, code: str | None, log):
        from assume_role.signin import Asking
        from assume_role.signin.mfa_flow import MfaSessions, open_bastion
        from assume_role.signin.mfa_codes import CodeSource
        from assume_role.state import store as stores

        self.profile, self.held, self.log = profile, held, log
        self.bastion = open_bastion(profile, held)
        self.bastion.region = _region(profile)
        self.codes = CodeSource(code, self.bastion.config, profile, log, Asking())
        self.store = stores.open_store()
        self.sessions = MfaSessions(profile, self.bastion, self.store, self.codes, log)
        self.old: Credentials | None = None

    def run(self) -> Credentials:
        self.old = old = self.bastion.credentials()
        self.log(f"checking the stored key {old.access_key_id}")
        user = self.sessions.user_name(old)
        signer, listed = self._signer_and_keys(old, user)
        self._room_for_a_new_key(listed, old, user)
        self.log(f"calling iam:CreateAccessKey for {user}")
        new = self.bastion.create_access_key(signer, user)
        try:
            self._wait_until_accepted(new, user)
            # Before the switch: runs meanwhile reuse the session, reading either key id.
            self._carry_session_over(old, new, user)
            self._store(new, signer, user)
        except BaseException as exc:
            self._give_back(new, signer, user, exc)
            raise  # not reached: _give_back raises
        self._delete_old(old, new, signer, user)
        return new

    def _signer_and_keys(self, old: Credentials, user: str) -> tuple[Credentials, list[tuple[str, str]]]:
        """Credentials the user's policy lets change keys, and the user's keys listed with them."""
        from assume_role.aws.errors import AccessKeysDenied

        session = self.sessions.reusable()
        if session is not None:
            self.log(f"calling iam:ListAccessKeys for {user} with the stored MFA session")
            try:
                return session.credentials, self.bastion.access_keys(session.credentials, user)
            except CredentialsError:
                self.log("the stored MFA session was rejected; getting a new one")
                self.store.discard_mfa(session.profile, session.serial)
                session = None
        if session is None:
            self.log(f"calling iam:ListAccessKeys for {user} with the stored key")
            try:
                return old, self.bastion.access_keys(old, user)
            except AccessKeysDenied:
                self.log("the user's policy wants MFA to manage access keys: getting an MFA session")
            session = self.sessions.new()
        self.log(f"calling iam:ListAccessKeys for {user} with the MFA session")
        return session.credentials, self.bastion.access_keys(session.credentials, user)

    def _room_for_a_new_key(self, listed: list[tuple[str, str]], old: Credentials, user: str) -> None:
        ids = [key_id for key_id, _ in listed]
        if old.access_key_id not in ids:
            raise CredentialsError(
                f"the stored key {old.access_key_id} is not among the access keys of {printable(user)} "
                f"({', '.join(ids) or 'none'}); nothing was changed"
            )
        if len(ids) >= 2:
            other = next(key_id for key_id in ids if key_id != old.access_key_id)
            raise UsageError(
                f"IAM user {printable(user)} already has two access keys ({', '.join(ids)}), the most AWS allows: "
                f"delete the one not in use first (aws iam delete-access-key --user-name {printable(user)} "
                f"--access-key-id {other}); nothing was changed"
            )

    def _wait_until_accepted(self, new: Credentials, user_arn_name: str) -> None:
        """GetCallerIdentity with the new key until AWS knows it: IAM is eventually consistent."""
        from assume_role.aws.errors import CredentialsRejected
        from assume_role.aws.retry import backoff

        deadline = time.monotonic() + PROPAGATION_SECONDS
        failures = 0
        while True:
            try:
                arn = self.bastion.caller_arn(new)
                break
            except CredentialsRejected:
                failures += 1
                if time.monotonic() > deadline:
                    raise CredentialsError(
                        f"AWS did not accept the new key {new.access_key_id} within {PROPAGATION_SECONDS}s"
                    ) from None
                self.log(f"AWS does not accept the new key yet (IAM propagates it); trying again")
                time.sleep(max(0.25, backoff(failures)))
        if arn.rsplit("/", 1)[-1] != user_arn_name or ":user/" not in arn:
            raise CredentialsError(f"the new key belongs to {printable(arn)}, not to {printable(user_arn_name)}")

    def _store(self, new: Credentials, signer: Credentials, user: str) -> None:
        from assume_role.state import key_store

        self.log("storing the new key in the keyring")
        try:
            key_store.save(self.profile, new, self.held.backend)
        except AssumeRoleError:
            # A write that failed may still have landed: ask the keyring what it holds.
            try:
                holds = self.held.read()
            except AssumeRoleError:
                holds = None
            if holds is not None and holds.access_key_id == new.access_key_id:
                return
            raise

    def _give_back(self, new: Credentials, signer: Credentials, user: str, exc: BaseException) -> None:
        """The new key could not be put in service: delete it; the old one stays stored."""
        old_id = self.old.access_key_id
        why = _why(exc)
        try:
            self.bastion.delete_access_key(signer, user, new.access_key_id)
            gone = f"the new key {new.access_key_id} was deleted again"
        except AssumeRoleError as failure:
            gone = (f"the new key {new.access_key_id} could not be deleted ({_why(failure)}): delete it with aws iam "
                    f"delete-access-key --user-name {printable(user)} --access-key-id {new.access_key_id}")
        message = f"rotation stopped: {why}; {gone}; the stored key is still {old_id}, which works"
        if isinstance(exc, KeyboardInterrupt):
            raise Interrupted(message) from None
        code = exc.exit_code if isinstance(exc, AssumeRoleError) else 1
        raise AssumeRoleError(message, code) from None

    def _carry_session_over(self, old: Credentials, new: Credentials, user: str) -> None:
        """The stored MFA session is the same user's: runs reuse it with either key id."""
        from assume_role.state import devices

        remembered = devices.recall(self.profile)
        serial = self.sessions.known_serial()
        if remembered.get("access_key_id") == old.access_key_id and serial:
            devices.remember(self.profile, new.access_key_id, user, serial)
        if not serial:
            return
        session = self.store.load_mfa(self.profile, serial, old.access_key_id)
        if session is not None:
            self.store.save_mfa(session._replace(bastion_key_id=new.access_key_id, previous_key_id=old.access_key_id))

    def _delete_old(self, old: Credentials, new: Credentials, signer: Credentials, user: str) -> None:
        from assume_role.aws.errors import NoSuchKey

        # Signed by the MFA session if there is one, else by the new key: the old one is on its way out.
        signer = signer if signer.session_token else new
        self.log(f"calling iam:DeleteAccessKey for the old key {old.access_key_id}")
        try:
            self.bastion.delete_access_key(signer, user, old.access_key_id)
        except NoSuchKey:
            return
        except AssumeRoleError as exc:
            raise AssumeRoleError(
                f"the new key {new.access_key_id} is stored and works, but the old key {old.access_key_id} could "
                f"not be deleted ({_why(exc)}): it is still valid; delete it with aws iam delete-access-key "
                f"--user-name {printable(user)} --access-key-id {old.access_key_id}",
                exc.exit_code,
            ) from None
        except KeyboardInterrupt:
            raise Interrupted(
                f"interrupted: the new key {new.access_key_id} is stored and works; the old key "
                f"{old.access_key_id} may still exist: delete it with aws iam delete-access-key --user-name "
                f"{printable(user)} --access-key-id {old.access_key_id}"
            ) from None


def _why(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    if isinstance(exc, AssumeRoleError):
        return str(exc)
    return f"unexpected {type(exc).__name__}"
