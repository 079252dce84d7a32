"""Questions on the terminal for the values not given on the command line.

The main command's stdout is the code the calling shell evaluates, so every
question is drawn on ``/dev/tty`` and read from it, never from stdin or onto
stdout. prompt_toolkit left to itself falls back to plain text when stdout is
not a terminal, which is always the case under ``eval "$(assume-role)"``;
here it is handed an input and an output opened on the terminal instead.

"Interactive" means: stdin is a terminal *and* ``/dev/tty`` can be opened.
Anything else (a pipe or file on stdin, no controlling terminal in CI, cron,
ssh without a pty) gets no question at all: the caller fails at once and
names the missing value, so nothing ever waits on stdin.

The questions:

* account: a filter-as-you-type list of the aliases in the accounts file,
  each shown with its id, the last account first; typing narrows by alias or
  by id prefix. Enter on an empty line takes the default shown in brackets.
* role: the roles assumed before in that account (most recent first), then
  the ones listed for it in the accounts file (with their IAM path, if any).
* region: asked only when nothing else names one (argument, the account's
  region, ``AWS_REGION``, ``AWS_DEFAULT_REGION``, the bastion profile);
  the default is the region picked last time, else us-east-1. Typing filters
  by code or by name ("ireland").
* SAML username and password (``AWS_ASSUME_ROLE_AUTH_SCHEME=saml``): what
  the SAML file does not hold; the password in a hidden field.
* an IAM user's access key (``keys add``): its id typed visibly, its secret
  in a hidden field; neither is ever repeated in a message.
* MFA code: a hidden field that accepts exactly six digits (spaces are
  ignored, as authenticator apps group them) and says which device it is for
  and how long the resulting session lasts.

The three lists answer Enter the same way (``choose``): a value of the list
typed in full, the only one the filter leaves, or else the only one that
starts with the typed text, is taken; a well-formed
value that is not in the list (a 12-digit id, a role name, a region code) is
taken only after the person confirms it with a second Enter, so a filter
such as ``ad`` is never sent as a role. Problems are shown on the question's
own line, right after the typed text.

Ctrl-C, Ctrl-D on an empty field or Esc at any question raise
``errors.Interrupted`` (exit 130); prompt_toolkit restores the terminal mode
on the way out.

questionary and prompt_toolkit are imported only when a question is really
asked: runs with every value given never load them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from typing import NamedTuple

from assume_role import accounts as accounts_module
from assume_role.accounts import index as accounts_index
from assume_role import settings, validate
from assume_role.state import history
from assume_role.state import paths
from assume_role.aws import regions as region_names
from assume_role.accounts import Account
from assume_role.errors import AssumeRoleError, Interrupted, UsageError

TTY = "/dev/tty"
MAX_SUGGESTIONS = 200  # accounts shown in the picker's menu at once


def available(require_stdin: bool = True) -> bool:
    """Whether questions can be asked: stdin is a terminal and /dev/tty opens.

    ``require_stdin=False``: /dev/tty alone will do, for a helper that a tool
    started with pipes while a person sits at the terminal it came from.
    """
    try:
        if require_stdin and not os.isatty(0):
            return False
        fd = os.open(TTY, os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return False
    os.close(fd)
    return True


# -- the questions -------------------------------------------------------------


def ask_account(view: accounts_index.View) -> str:
    """An alias from the accounts file (``view``) or a literal 12-digit account id.

    The file is read through ``view`` one menu at a time: with 100,000
    aliases, building every choice before the question shows would cost
    more than everything else together.
    """
    last = history.last_choice().get("account")
    last_id = _listed_id(view, last)
    first, total = view.ordered(limit=2)
    default = last if last_id or (isinstance(last, str) and accounts_module.ACCOUNT_ID.fullmatch(last)) else None
    if default is None and total == 1:
        default = first[0][0]

    def listed(text: str, limit: int) -> tuple[list[tuple[str, str]], int]:
        # The picker's order (by alias, ignoring case), the last one used first.
        found, count = view.ordered(text, limit=limit)
        if last_id and accounts_index.matches(text, last, last_id):
            found = [(last, last_id), *[pair for pair in found if pair[0] != last]][:limit]
        return found, count

    def judge(text: str) -> Verdict:
        text = text.strip()
        if not text:
            return Verdict(default) if default else Verdict(None, "type an account alias or a 12-digit account id")
        return choose(
            text,
            _AccountsOffered(view, listed),
            valid=accounts_module.ACCOUNT_ID.fullmatch,
            noun="account",
            invalid=lambda: _account_problem(text, total),
            new=lambda: f"{text} is not in {paths.accounts_file()}",
        )

    def complete(text: str) -> Iterable[tuple[str, str]]:
        # prompt_toolkit takes every suggestion before drawing the menu, and
        # nobody scrolls past a few hundred: typing narrows the list instead.
        for alias, account_id in listed(text.strip(), MAX_SUGGESTIONS)[0]:
            yield alias, "" if alias == account_id else account_id

    return _free_text(
        "Account" if total else "Account id",
        default=default,
        complete=complete,
        judge=judge,
        what="account",
        open_menu=bool(total),
    )


def _listed_id(view: accounts_index.View, alias: object) -> str | None:
    """The account id of ``alias`` if the file lists it with a valid one."""
    if not isinstance(alias, str):
        return None
    value = view.entry(alias)
    return None if value is accounts_index.MISSING else accounts_module.id_of(value)


def ask_role(account: Account) -> str:
    """A valid IAM role name, known roles for ``account`` offered first."""
    roles = role_order(account)
    label = account.alias if account.alias == account.id else f"{account.alias} ({account.id})"

    def judge(text: str) -> Verdict:
        text = text.strip()
        if not text:
            return Verdict(roles[0]) if roles else Verdict(None, "type the name of the role to assume")
        return choose(
            text,
            Offered(roles, lambda role: _role_matches(role, text)),
            valid=_valid_role,
            noun="role",
            invalid=lambda: _role_problem(text),
            new=lambda: f"{text!r} is not a role offered for {account.alias}",
        )

    def complete(text: str) -> Iterable[tuple[str, str]]:
        for role in roles:
            if _role_matches(role, text):
                yield role, ""

    return _free_text(
        f"Role in {label}",
        default=roles[0] if roles else None,
        complete=complete,
        judge=judge,
        what="role",
        open_menu=bool(roles),
    )


def ask_region() -> str:
    """A region code; the last one picked (or us-east-1) is the default."""
    last = history.last_choice().get("region")
    default = last if isinstance(last, str) and _valid_region(last) else settings.DEFAULT_REGION
    regions = [default] + [r for r in known_regions() if r != default]

    def judge(text: str) -> Verdict:
        text = text.strip()
        if not text:
            return Verdict(default)
        # A well-formed code missing from the table (a region newer than
        # it) is still possible, once confirmed.
        return choose(
            text,
            Offered(regions, lambda region: _region_matches(region, text)),
            valid=_valid_region,
            noun="region",
            invalid=lambda: f"{text!r} is not a region code such as us-east-1",
            new=lambda: f"{text} is not a region this version knows",
        )

    def complete(text: str) -> Iterable[tuple[str, str]]:
        for region in regions:
            if _region_matches(region, text):
                yield region, region_names.name(region)

    return _free_text("Region", default=default, complete=complete, judge=judge, what="region")


def ask_mfa_code(serial: str, seconds: int) -> str:
    """Six digits typed into a hidden field."""

    def judge(text: str) -> Verdict:
        code = _without_spaces(text)
        # The message never repeats the input: it may be a password typed by mistake.
        return Verdict(code) if validate.is_mfa_code(code) else Verdict(None, "the MFA code is 6 digits")

    message = f"MFA code for {serial} (session lasts {describe_duration(seconds)})"

    def build(questionary, **io):
        return questionary.password(message, **io)

    return validate.mfa_code(_run(build, "MFA code", judge=judge))


# -- what Enter does -----------------------------------------------------------------


class Verdict(NamedTuple):
    """What Enter on the typed text means."""

    value: str | None  # the answer; None keeps the question open
    problem: str = ""  # shown next to the typed text
    new: bool = False  # not one of the values offered: a second Enter confirms it


class Offered:
    """What a question offers, as ``choose`` asks about it: a short list of values."""

    def __init__(self, values: list[str], matches: Callable[[str], bool]):
        self.values, self.matches = values, matches

    @property
    def empty(self) -> bool:
        return not self.values

    def has(self, text: str) -> bool:
        return text in self.values

    def matching(self, text: str) -> tuple[list[str], int]:
        """Values the typed filter leaves (up to a few), and how many."""
        found = [value for value in self.values if self.matches(value)]
        return found[:2], len(found)

    def starting(self, text: str) -> tuple[list[str], int]:
        """Of those, values that start with ``text`` ignoring case (up to a few), and how many."""
        found = [value for value in self.values if self.matches(value) and value.casefold().startswith(text.casefold())]
        return found[:2], len(found)


class _AccountsOffered(Offered):
    """The accounts file, asked through its view instead of a list of every alias."""

    def __init__(self, view: accounts_index.View, listed: Callable[[str, int], tuple[list[tuple[str, str]], int]]):
        self.view, self.listed = view, listed

    @property
    def empty(self) -> bool:
        return not self.view.ordered(limit=1)[1]

    def has(self, text: str) -> bool:
        return _listed_id(self.view, text) is not None

    def matching(self, text: str) -> tuple[list[str], int]:
        found, total = self.listed(text, 2)
        return [alias for alias, _ in found], total

    def starting(self, text: str) -> tuple[list[str], int]:
        found, total = self.view.sample(text, accounts_index.CASELESS, limit=2)
        # CASELESS may hold a few more than a plain prefix ignoring case (see View.sample).
        exact = [alias for alias, _ in found if alias.casefold().startswith(text.casefold())]
        return exact, total if len(exact) == len(found) else len(exact)


def choose(
    text: str,
    offered: Offered,
    *,
    valid: Callable[[str], object],
    noun: str,
    invalid: Callable[[], str],
    new: Callable[[], str],
) -> Verdict:
    """The one rule of every question with a list (accounts, roles, regions).

    Enter takes an offered value typed in full, or the only one the typed
    filter leaves, or else the only one that starts with it. Anything else that is well formed is never sent at once
    while there is a list: the person is told, and Enter again on the same
    text confirms it.
    """
    if offered.has(text):
        return Verdict(text)
    found, total = offered.matching(text)
    if total == 1:
        return Verdict(found[0])
    # "ad" matches both read and admin, but only admin starts with it.
    starting, count = offered.starting(text)
    if count == 1:
        return Verdict(starting[0])
    if not valid(text):
        if total:
            return Verdict(None, f"{total} {noun}s match {text!r}: type more or pick one with the arrow keys")
        return Verdict(None, invalid())
    if offered.empty:
        return Verdict(text)
    if total:
        return Verdict(
            text, f"{total} {noun}s match: pick one with the arrow keys, or Enter again for {text!r} itself", new=True
        )
    return Verdict(text, f"{new()}: press Enter again to use it", new=True)


def ask_saml_username() -> str:
    """The identity provider's username, typed visibly."""
    def judge(text: str) -> Verdict:
        if text.strip() and not validate.has_control(text):
            return Verdict(text.strip())
        return Verdict(None, "type your identity provider username")

    def build(questionary, **io):
        return questionary.text("SAML username", **io)

    return validate.check_typed(_run(build, "SAML username", judge=judge).strip(), "SAML username")


def ask_saml_password(user: str) -> str:
    """The identity provider's password, in a hidden field."""
    def judge(text: str) -> Verdict:
        # The message never repeats the input.
        if text and not validate.has_control(text):
            return Verdict(text)
        return Verdict(None, "type your identity provider password")

    def build(questionary, **io):
        return questionary.password(f"SAML password for {user}", **io)

    return validate.check_typed(_run(build, "SAML password", judge=judge), "SAML password")


def ask_access_key(profile: str) -> tuple[str, str]:
    """An IAM user's access key id and secret, for ``keys add``."""
    from assume_role.state.key_store import valid_key_id, valid_secret

    def judge_id(text: str) -> Verdict:
        key_id = text.strip()
        if key_id.startswith("ASIA"):
            return Verdict(None, "an ASIA... key is temporary: give the IAM user's long-term key (AKIA...)")
        return Verdict(key_id) if valid_key_id(key_id) else Verdict(None, "an access key id is AKIA and 16 more capitals or digits")

    def judge_secret(text: str) -> Verdict:
        # The message never repeats the input.
        secret = text.strip()
        return Verdict(secret) if valid_secret(secret) else Verdict(None, "a secret access key is 40 characters, without spaces")

    def build_id(questionary, **io):
        return questionary.text(f"Access key id for profile {profile}", **io)

    def build_secret(questionary, **io):
        return questionary.password("Secret access key (not shown)", **io)

    key_id = _run(build_id, "access key id", judge=judge_id).strip()
    return key_id, _run(build_secret, "secret access key", judge=judge_secret).strip()


# -- ordering and matching -------------------------------------------------------


def role_order(account: Account) -> list[str]:
    """Roles assumed before in this account (newest first), then configured ones."""
    roles: list[str] = []
    for role in [*history.roles_for(account.id), *account.roles]:
        if role not in roles and _valid_role(role):
            roles.append(role)
    return roles


def known_regions() -> list[str]:
    """Region codes to offer, in alphabetical order."""
    return sorted(region_names.REGIONS)


def describe_duration(seconds: int) -> str:
    hours, rest = divmod(int(seconds), 3600)
    minutes = rest // 60
    if hours and minutes:
        return f"{hours}h{minutes:02d}m"
    if hours:
        return f"{hours}h"
    return f"{max(minutes, 1)}m"


def _role_matches(role: str, text: str) -> bool:
    return text.strip().casefold() in role.casefold()


def _region_matches(region: str, text: str) -> bool:
    typed = text.strip().casefold()
    return typed in region or typed in region_names.name(region).casefold()


def _account_problem(text: str, listed: int) -> str:
    """Why ``text`` is no account, when nothing in the file matches it."""
    if not listed and not text.isdigit():
        return f"no account aliases in {paths.accounts_file()}: type a 12-digit account id"
    if text.isdigit():
        return f"an account id has 12 digits ({len(text)} typed)"
    return f"no account matches {text!r}"


def _role_problem(text: str) -> str:
    try:
        validate.role_name(text)
    except AssumeRoleError as exc:
        return str(exc)
    return ""


def _without_spaces(text: str) -> str:
    return "".join(text.split())


def _valid_region(value: str) -> bool:
    try:
        validate.region(value)
    except AssumeRoleError:
        return False
    return True


def _valid_role(value: str) -> bool:
    try:
        validate.role_name(value)
    except AssumeRoleError:
        return False
    return True


# -- running a question on the terminal -----------------------------------------


def _free_text(
    message: str,
    *,
    default: str | None,
    complete: Callable[[str], Iterable[tuple[str, str]]],
    judge: Callable[[str], Verdict],
    what: str,
    open_menu: bool = True,
) -> str:
    """A line of text with a filtered menu of suggestions.

    On Enter ``judge`` decides; the typed text is replaced by what it stands
    for before the question is answered, so the answered question shows the
    value really used.
    """
    if default:
        message = f"{message} [{default}]"

    def build(questionary, **io):
        from prompt_toolkit.completion import Completer, Completion

        class Suggestions(Completer):
            def get_completions(self, document, complete_event):
                typed = document.text
                for value, meta in complete(typed):
                    yield Completion(value, start_position=-len(typed), display_meta=meta)

        return questionary.autocomplete(message, choices=[], completer=Suggestions(), **io)

    return _run(build, what, open_menu=open_menu, judge=judge).strip()


@contextmanager
def _terminal():
    """prompt_toolkit input and output bound to /dev/tty, never stdin/stdout."""
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_input
    from prompt_toolkit.output import create_output

    try:
        reader = open(TTY, encoding="utf-8", errors="replace")
    except OSError as exc:
        raise UsageError(f"cannot open the terminal to ask questions: {exc.strerror}") from None
    with reader:
        try:
            writer = open(TTY, "w", encoding="utf-8", errors="replace")
        except OSError as exc:
            raise UsageError(f"cannot open the terminal to ask questions: {exc.strerror}") from None
        with writer:
            terminal_input = create_input(stdin=reader)
            terminal_output = create_output(stdout=writer)
            with create_app_session(input=terminal_input, output=terminal_output):
                yield {"input": terminal_input, "output": terminal_output}


def _run(
    build: Callable[..., object],
    what: str,
    *,
    judge: Callable[[str], Verdict],
    open_menu: bool = False,
) -> str:
    import questionary

    with _terminal() as io:
        application = build(questionary, **io).application
        buffer = application.current_buffer
        _add_bindings(application, buffer, judge)

        def show_menu() -> None:
            if open_menu:
                buffer.start_completion(select_first=False)

        try:
            answer = application.run(pre_run=show_menu)
        except (KeyboardInterrupt, EOFError):
            answer = None
    if answer is None:
        raise Interrupted(f"cancelled at the {what} question; nothing was changed")
    return answer


def _add_bindings(application, buffer, judge: Callable[[str], Verdict]) -> None:
    """Esc cancels; Enter asks ``judge``, and a problem is shown beside the text.

    prompt_toolkit's own validation message sits at the bottom of the space
    reserved for the menu, which is the terminal's last row: far from the
    question. Here it follows the typed text on the question's own line.
    """
    from prompt_toolkit.key_binding import KeyBindings, merge_key_bindings
    from prompt_toolkit.layout.processors import AfterInput

    state = {"problem": "", "confirm": None}
    control = application.layout.current_control
    control.input_processors = [
        *(control.input_processors or []),
        AfterInput(lambda: f"  {state['problem']}" if state["problem"] else "", style="class:assume-role-problem fg:ansired"),
    ]

    def typed(_buffer) -> None:
        # Any change takes back a pending confirmation with the message.
        state["problem"] = ""
        state["confirm"] = None

    buffer.on_text_changed += typed
    bindings = KeyBindings()

    # eager: do not wait to see whether Esc starts an Alt- key combination.
    @bindings.add("escape", eager=True)
    def _cancel(event) -> None:
        event.app.exit(exception=KeyboardInterrupt, style="class:aborting")

    @bindings.add("enter")
    def _accept(event) -> None:
        text = buffer.text
        verdict = judge(text)
        if verdict.value is not None and (not verdict.new or state["confirm"] == text):
            if verdict.value != text:
                buffer.text = verdict.value
                buffer.cursor_position = len(verdict.value)
            state["problem"] = ""
            buffer.complete_state = None
            buffer.validate_and_handle()
            return
        state["confirm"] = text if verdict.new else None
        state["problem"] = verdict.problem

    # Later bindings win, so these take precedence over questionary's own.
    existing = [application.key_bindings] if application.key_bindings is not None else []
    application.key_bindings = merge_key_bindings([*existing, bindings])
