"""``assume-role __complete``: candidates for the shells' tab completion.

The shells hand over the words typed so far and this module works out what
may come next, so the rules (which position is the account, which flag takes a
value) live in one place instead of three shell dialects::

    assume-role __complete [--shell bash|zsh|fish] [--matcher SPEC] -- WORD... CURRENT

``CURRENT`` is the word under the cursor (possibly empty). The output is one
candidate per line, in the form that shell consumes most cheaply:

- zsh: one block per kind: a ``kind<TAB>count`` line, the values, then
  the same values with their descriptions aligned (see ``_zsh_lines``);
- fish: ``value<TAB>description``, the form ``complete -a`` shows;
- bash: ``value``, filtered by the prefix typed, since bash inserts what it
  is given and has nowhere to show a description;
- no ``--shell``: ``kind<TAB>value<TAB>description``.

For zsh and fish the candidates are thinned to a superset of what their
matching rules accept (see ``match_for``), much smaller than 100,000 aliases
once anything is typed.

This runs on every Tab, so it imports nothing heavy (no boto3, botocore or
questionary), and it never writes to stderr: a message printed in the middle
of a command line would garble it.
"""

from __future__ import annotations

import re
import sys
from collections import namedtuple
from collections.abc import Iterable, Sequence

from assume_role import subcommands
from assume_role.accounts import index as accounts_index
from assume_role.accounts import id_of
from assume_role.accounts.index import CASELESS, LOOSE, PREFIX, loose_match
from assume_role.errors import UsageError

# What Tab offers after ``assume-role``: the table's subcommands that have a description.
SUBCOMMANDS = {entry.name: entry.completion for entry in subcommands.SUBCOMMANDS if entry.completion}
# Subcommands whose next words are ACCOUNT and ROLE, as for the main command.
ROLE_SUBCOMMANDS = {entry.name for entry in subcommands.SUBCOMMANDS if entry.takes_role}

# Options of the main command. A value of True means the option takes an argument.
OPTIONS = {
    "--shell": ("Shell syntax to print: bash, zsh or fish", True),
    "--verbose": ("Explain each step on stderr", False),
    "-v": ("Explain each step on stderr", False),
    "--refresh": ("Assume the role again even if stored credentials are still valid", False),
    "--unset": ("Remove the assumed role's variables (like clear)", False),
    "--help": ("Show help", False),
    "-h": ("Show help", False),
    "--version": ("Show the version", False),
    "-V": ("Show the version", False),
}

INIT_OPTIONS = {
    "--path": ("Print where the plugin files are instead of the code to load them", False),
}

INIT_TARGETS = {
    "bash": "Code for ~/.bashrc",
    "zsh": "Code for ~/.zshrc",
    "fish": "Code for ~/.config/fish/config.fish",
    "starship": "A starship.toml snippet showing account:role and time left",
}

ACCOUNTS_ACTIONS = {
    "list": "Every alias, its id, roles, region and stored role sessions",
    "sync": "Add the accounts of an AWS Organization to the accounts file",
}

KEYS_ACTIONS = {
    "add": "Store a profile's keys in the OS keyring",
    "list": "Profiles whose keys are in the keyring, and their key ids",
    "remove": "Delete a profile's keys from the keyring",
    "rotate": "Replace the stored key with a new one, delete the old one",
    "credential-process": "Print the keys for a profile's credential_process",
}
# Which profiles each action takes: those in the keyring, or those of the credentials file.
KEYS_PROFILES = {"remove": "held", "rotate": "held", "credential-process": "held", "add": "file"}
KEYS_OPTIONS = {
    "add": {"--from-credentials-file": "Take the keys from ~/.aws/credentials, then out of it"},
    "rotate": {"--mfa-token": "The current MFA code, if one is needed", "--verbose": "Explain each step on stderr"},
}

# More candidates than this are not handed to a shell: none draws 100,000 of
# them in less than a second, and nobody reads them. A sample keeps what the
# shell inserts right (see accounts_index.View.sample) and zsh says to type more.
MAX_ACCOUNT_CANDIDATES = 1000

MFA_HINT = "MFA code: the 6 digits your device shows now"


# A collections.namedtuple: typing, for NamedTuple, would cost this module
# more to import than all the rest on every Tab. The annotations only
# document the fields' types.
class Candidate(namedtuple("Candidate", ["kind", "value", "description"], defaults=("",))):
    __slots__ = ()
    kind: str  # subcommand, account, account-id, role, region, shell, option, hint
    value: str
    description: str


def main(argv: Sequence[str] | None = None) -> int:
    from assume_role.state import files as state_files

    # See the module's doc: no stderr on Tab, whatever file is found damaged.
    state_files.warnings_enabled = False
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["__complete"]:
        args = args[1:]
    settings = {"--shell": None, "--matcher": ""}
    while args[:1] and args[0] in settings and len(args) > 1:
        settings[args[0]], args = args[1], args[2:]
    shell = settings["--shell"]
    if args[:1] == ["--"]:
        args = args[1:]
    try:
        found = candidates(args, match=match_for(shell, settings["--matcher"]),
                           limit=MAX_ACCOUNT_CANDIDATES if shell else None)
        text = render(found, current=args[-1] if args else "", shell=shell)
    except Exception:  # completion must stay silent whatever is wrong
        return 1
    sys.stdout.write(text)
    return 0


# Which aliases a shell would show for what is typed, so that only those are
# looked up (with 100,000 aliases a loose scan costs more than the rest of a Tab):
# - bash inserts what it is given: true prefixes only;
# - zsh matches by prefix unless a matcher (the matcher-list entry being tried,
#   passed as --matcher) says otherwise; one that only maps letters to
#   capitals is a case-insensitive prefix, anything else may match inside;
# - fish shows prefix matches (any case) when there are some, and only then
#   anything holding the typed characters in order (FISH_TIERS).
FISH_TIERS = "tiers"
_CASE_MAP = re.compile(r"[mM]:\{(?:a-z|A-Z|\[:lower:\]|\[:upper:\])+\}=\{(?:a-z|A-Z|\[:lower:\]|\[:upper:\])+\}")


def match_for(shell: str | None, matcher: str = "") -> str:
    if shell == "bash":
        return PREFIX
    if shell == "fish":
        return FISH_TIERS
    if shell == "zsh":
        specs = matcher.split()
        if not specs:
            return PREFIX
        return CASELESS if all(_CASE_MAP.fullmatch(spec) for spec in specs) else LOOSE
    return LOOSE


def render(found: Iterable[Candidate], current: str, shell: str | None) -> str:
    found = [c for c in found if _printable(c.value)]
    if shell == "bash":
        # bash inserts whatever it is given, so only true prefix matches.
        return "".join(c.value + "\n" for c in found if c.kind != "hint" and c.value.startswith(current))
    if shell in ("zsh", "fish") and current:
        found = [c for c in found if c.kind == "hint" or loose_match(current, c.value)]
    if shell == "fish":
        return "".join(
            (f"{c.value}\t{_one_line(c.description)}" if c.description else c.value) + "\n"
            for c in found
            if c.kind != "hint"
        )
    if shell == "zsh":
        return _zsh_lines(found)
    return "".join(f"{c.kind}\t{c.value}\t{_one_line(c.description)}\n" for c in found)


def _zsh_lines(found: list[Candidate]) -> str:
    # One block per kind: a "kind<TAB>count" line, count values, then count
    # displays (the same values with their descriptions aligned in a column,
    # as _describe would show them); a hint has its one message line instead.
    # The completion function takes each block apart by position alone and
    # hands values and displays to compadd: no zsh code runs per candidate,
    # which with 10,000 aliases matters (_describe alone would take a good
    # part of a second).
    groups: dict[str, list[Candidate]] = {}
    for c in found:
        groups.setdefault(c.kind, []).append(c)
    # One width for every block: zsh lists the blocks one under the other,
    # so subcommands and accounts share the description column.
    listed = [c for c in found if c.kind != "hint"]
    width = min(max((len(c.value) for c in listed), default=0), 40)
    lines = []
    for kind, members in groups.items():
        lines.append(f"{kind}\t{len(members)}")
        if kind == "hint":
            lines += [_one_line(c.description) for c in members]
            continue
        lines += [c.value for c in members]
        lines += [
            f"{c.value.ljust(width)}  -- {_one_line(c.description)}" if c.description else c.value for c in members
        ]
    return "".join(line + "\n" for line in lines)


def candidates(words: Sequence[str], match: str = LOOSE, limit: int | None = None) -> list[Candidate]:
    """What may be typed at the last of ``words`` (the words after the command name)."""
    *before, current = list(words) or [""]
    positionals: list[str] = []
    pending = None  # an option still waiting for its value
    options_ended = False
    # After `--` the first word is an account, never a subcommand (as in cli).
    literal_first = False
    for word in before:
        if pending:
            pending = None
        elif not options_ended and word == "--":
            options_ended = True
        elif not options_ended and word.startswith("-") and word != "-":
            name = word.split("=", 1)[0]
            if OPTIONS.get(name, ("", False))[1] and "=" not in word:
                pending = name
        else:
            literal_first = literal_first or (options_ended and not positionals)
            positionals.append(word)

    if pending == "--shell":
        return _shells()
    subcommand = positionals[0] if positionals and not literal_first and positionals[0] in SUBCOMMANDS else None
    if not options_ended and current.startswith("-"):
        if current.startswith("--shell="):
            return [Candidate("shell", "--shell=" + c.value, c.description) for c in _shells()]
        if subcommand == "keys" and len(positionals) > 1:
            return [Candidate("option", name, text) for name, text in KEYS_OPTIONS.get(positionals[1], {}).items()]
        table = INIT_OPTIONS if subcommand == "init" else ({} if subcommand else OPTIONS)
        return [Candidate("option", name, text) for name, (text, _) in table.items()]

    position = len(positionals)
    if subcommand:
        if subcommand == "init" and position == 1:
            return [Candidate("shell", name, text) for name, text in INIT_TARGETS.items()]
        if subcommand == "accounts" and position == 1:
            return [Candidate("subcommand", name, text) for name, text in ACCOUNTS_ACTIONS.items()]
        if subcommand == "keys" and position == 1:
            return [Candidate("subcommand", name, text) for name, text in KEYS_ACTIONS.items()]
        if subcommand == "keys" and position == 2:
            return _key_profiles(KEYS_PROFILES.get(positionals[1]))
        if subcommand == "help" and position == 1:
            return [Candidate("subcommand", name, text) for name, text in SUBCOMMANDS.items()]
        if subcommand in ROLE_SUBCOMMANDS and position == 1:
            return _first_word(current, subcommands=False)
        if subcommand in ROLE_SUBCOMMANDS and position == 2:
            return _roles(positionals[1])
        return []
    if position == 0:
        return _first_word(current, match, limit, subcommands=not options_ended)
    if position == 1:
        return _roles(positionals[0])
    if position in (2, 3):
        from assume_role.signin import saml

        # The SAML scheme takes no MFA code: its third word is the region.
        if saml.chosen():
            return _regions(positionals[0]) if position == 2 else []
        return _regions(positionals[0]) if position == 3 else [Candidate("hint", "", MFA_HINT)]
    return []


def _first_word(current: str, match: str = LOOSE, limit: int | None = None, subcommands: bool = True) -> list[Candidate]:
    found = [Candidate("subcommand", name, text) for name, text in SUBCOMMANDS.items() if subcommands]
    view = _accounts()
    if current[:1].isdigit():
        # Typing digits means an account id: offer the ids, described by alias.
        ids, total = view.id_sample(current, prefix=match == PREFIX, limit=limit or 10**9)
        found += [Candidate("account-id", i, alias) for i, alias in ids]
        if limit and total > limit:
            found.append(Candidate("hint", "", f"{total:,} account ids match: type more digits to narrow"))
        return found
    if match == FISH_TIERS:
        pairs, total = view.sample(current, CASELESS, limit=limit)
        if not total:
            pairs, total = view.sample(current, LOOSE, limit=limit)
    else:
        pairs, total = view.sample(current, match, limit=limit)
    found += [Candidate("account", alias, i) for alias, i in pairs]
    if limit and total > limit:
        found.append(Candidate("hint", "", f"{total:,} accounts match: type more of the alias to narrow"))
    return found


def _roles(account_word: str) -> list[Candidate]:
    from assume_role.state import history

    alias, value = _account(account_word)
    account_id = id_of(value)
    if account_id is None:
        return []
    found: dict[str, str] = {}
    for role in _field(value, "roles", list) or []:
        if isinstance(role, str):
            found.setdefault(role, "listed in the accounts file")
    for role in history.roles_for(account_id):
        found.setdefault(role, "assumed before")
    for role in _sso_roles(account_id):
        found.setdefault(role, "assigned in IAM Identity Center")
    return [Candidate("role", role, text) for role, text in found.items()]


def _sso_roles(account_id: str) -> list[str]:
    """The permission sets last listed for the bastion profile's IAM Identity Center sign-in."""
    from assume_role import settings
    from assume_role.state import sso_roles

    return sso_roles.recall(settings.bastion_profile()).get(account_id, [])


def _regions(account_word: str) -> list[Candidate]:
    from assume_role.aws import regions

    alias, value = _account(account_word)
    default = _field(value, "region", str)
    found = []
    if default:
        label = regions.name(default)
        found.append(Candidate("region", default, f"{label} (default for {alias})".lstrip()))
    found += [Candidate("region", code, text) for code, text in regions.REGIONS.items() if code != default]
    return found


def _key_profiles(kind: str | None) -> list[Candidate]:
    """Profiles for ``keys``: those in the keyring (its index), or the credentials file's sections.

    Only names are read: the keyring is not opened, and no key leaves the file.
    """
    from assume_role.state import files as state_files

    state_files.warnings_enabled = False  # see the module's doc: no stderr on Tab
    if kind == "held":
        from assume_role.state import key_store

        return [Candidate("profile", h.profile, f"keys {h.access_key_id} in the keyring") for h in key_store.listed()]
    if kind == "file":
        from assume_role.aws import credentials_file

        return [Candidate("profile", name, "in ~/.aws/credentials") for name in credentials_file.profile_names()]
    return []


def _shells() -> list[Candidate]:
    return [Candidate("shell", name, f"{name} syntax") for name in ("bash", "zsh", "fish")]


def _accounts() -> accounts_index.View:
    """The accounts file (through its index when large); empty if unusable.

    Lenient on purpose: an entry the main command would reject is left out by
    ``pairs``, and the others are still offered.
    """
    try:
        return accounts_index.view()
    except UsageError:
        return accounts_index.TableView({})


def _field(value, name: str, kind: type):
    found = value.get(name) if isinstance(value, dict) else None
    return found if isinstance(found, kind) else None


def _account(word: str) -> tuple[str, object]:
    """The alias and accounts-file entry that ``word`` names (an alias or an account id)."""
    view = _accounts()
    value = view.entry(word)
    if value is not accounts_index.MISSING:
        return word, value
    if id_of(word):
        alias = view.alias_of_id(word)
        return (alias, view.entry(alias)) if alias is not None else (word, word)
    return word, None


def _printable(value: str) -> bool:
    # A value with a tab or newline cannot travel in this line format, and no
    # shell could insert it on a command line anyway.
    return value.isprintable() if value else True


def _one_line(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else " " for ch in text)
