"""Lint every plugin file with its own shell's tools."""

from __future__ import annotations

import ast
import re
import subprocess

import pytest
from helpers import ROOT, require

BASH_FILES = sorted((ROOT / "bash").glob("*.bash"))
ZSH_FILES = [ROOT / "zsh" / "assume-role.plugin.zsh", ROOT / "zsh" / "_assume-role"]
FISH_FILES = sorted((ROOT / "fish").rglob("*.fish"))


def _check(*command: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stderr, result.stdout + result.stderr


def test_files_exist():
    assert BASH_FILES and FISH_FILES
    assert all(path.is_file() for path in ZSH_FILES)
    layout = {path.parent.name for path in FISH_FILES if path.name != "init.fish"}
    # The layout fisher installs from: one directory per kind of file, and
    # init.fish at the top, which loads that layout without fisher.
    assert layout == {"functions", "completions", "conf.d"}
    assert ROOT / "fish" / "init.fish" in FISH_FILES


@pytest.mark.parametrize("path", BASH_FILES, ids=lambda p: p.name)
def test_shellcheck(path):
    _check(require("shellcheck"), "--shell=bash", "--severity=style", str(path))


@pytest.mark.parametrize("path", ZSH_FILES, ids=lambda p: p.name)
def test_zsh_syntax(path):
    _check(require("zsh"), "-n", str(path))


@pytest.mark.parametrize("path", FISH_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fish_syntax(path):
    _check(require("fish"), "--no-execute", str(path))


@pytest.mark.parametrize("path", FISH_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fish_indent(path):
    _check(require("fish_indent"), "--check", str(path))


def test_fish_autoload_names():
    # fish autoloads functions/NAME.fish only for a function called NAME.
    for path in (ROOT / "fish" / "functions").glob("*.fish"):
        assert f"function {path.stem} " in path.read_text(), path


# -- names in messages -------------------------------------------------------------
#
# Aliases, role names and account names come from files and the environment
# and may hold escape sequences (retitling the window, clearing the screen).
# Every message that quotes one passes it through assume_role.validate.printable.

PACKAGE = ROOT / "plugin" / "assume_role"
# What a name is called where it is quoted: a variable, an attribute, a key.
NAMES = {"alias", "account", "role", "role_arn", "account_name", "AWS_ACCOUNT_NAME", "AWS_ACCOUNT_ROLE"}
# Where text reaches the terminal directly; errors and the loggers filter
# whole messages where they print them (see the test after the next).
SINKS = {"print", "write"}


def _raw_names(node: ast.AST, filtered: set[str]) -> list[str]:
    """The names ``node`` quotes without printable() around them."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "printable":
        return []
    if isinstance(node, ast.Name):
        return [node.id] if node.id in NAMES and node.id not in filtered else []
    if isinstance(node, ast.Attribute):
        if node.attr in NAMES:
            return [node.attr]
        if node.attr == "id":  # an account id: 12 digits, checked when read
            return []
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value in NAMES:
        return [node.slice.value]
    return [name for child in ast.iter_child_nodes(node) for name in _raw_names(child, filtered)]


def _filtered_names(function: ast.AST) -> set[str]:
    """Variables the function assigns from printable(...), as in `role = printable(role)`."""
    found = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Assign):
            pairs = [(t, node.value) for t in node.targets]
            if isinstance(node.targets[0], ast.Tuple) and isinstance(node.value, ast.Tuple):
                pairs = list(zip(node.targets[0].elts, node.value.elts))
            for target, value in pairs:
                if isinstance(target, ast.Name) and not _raw_names(value, set()) and "printable(" in ast.unparse(value):
                    found.add(target.id)
    return found


def python_messages_quoting_names(source: str, filename: str = "<source>") -> list[str]:
    """Where print() or .write() quotes an alias, role or account name unfiltered."""
    tree = ast.parse(source)
    found = []
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))]
    scopes = [(tree, set())] + [(f, _filtered_names(f)) for f in functions]
    seen = set()
    # Innermost scope last, so its filtered names are the ones that count.
    for scope, filtered in reversed(scopes):
        for node in ast.walk(scope):
            if not isinstance(node, ast.Call) or id(node) in seen:
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name not in SINKS:
                continue
            seen.add(id(node))
            for part in ast.walk(node):
                if isinstance(part, ast.FormattedValue) and part.conversion != ord("r"):
                    # repr() (!r) shows every non-printable character escaped.
                    for raw in _raw_names(part.value, filtered):
                        found.append(f"{filename}:{part.lineno}: {raw} in {ast.unparse(part.value)}")
    return found


SHELL_MESSAGE = re.compile(r"\b(echo|print|printf)\b.*\$\{?(AWS_ACCOUNT_NAME|AWS_ACCOUNT_ROLE|AWS_ACCOUNT_ID|account|role)\b")


def shell_messages_quoting_names(text: str, filename: str = "<source>") -> list[str]:
    """Shell lines that print an alias or role from a raw variable.

    The shells leave such messages to the helper, which filters them; the
    prompt segments print only their own filtered copies.
    """
    return [
        f"{filename}:{number}: {line.strip()}"
        for number, line in enumerate(text.splitlines(), 1)
        if SHELL_MESSAGE.search(re.sub(r"(^|\s)#.*", "", line))
    ]


def test_no_message_quotes_a_name_unfiltered():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        found += python_messages_quoting_names(path.read_text(), str(path.relative_to(ROOT)))
    for path in [*BASH_FILES, *ZSH_FILES, *FISH_FILES]:
        found += shell_messages_quoting_names(path.read_text(), str(path.relative_to(ROOT)))
    assert found == []


def test_the_message_check_finds_raw_names():
    bad = [
        'print(f"assume-role: renewed {assumed.account.alias}:{assumed.role}", file=sys.stderr)',
        'sys.stderr.write(f"run assume-role {shlex.quote(args.account)} now\\n")',
        'def f(env):\n    role = env["AWS_ACCOUNT_ROLE"]\n    print(f"{role}")',
        'print(f"{s[\'role\']} expired")',
    ]
    good = [
        'print(f"assume-role: renewed {printable(assumed.account.alias)}:{printable(assumed.role)}")',
        'def f(account, role):\n    account, role = printable(account), printable(role)\n    print(f"{account}:{role}")',
        'print(f"unknown alias {name!r} in {account.id}")',
        'raise UsageError(f"unknown account alias {alias}")',  # printed by cli.main, filtered there
    ]
    assert [bool(python_messages_quoting_names(source)) for source in bad] == [True] * len(bad)
    assert [python_messages_quoting_names(source) for source in good] == [[]] * len(good)
    assert shell_messages_quoting_names('echo "renewed $AWS_ACCOUNT_NAME:$AWS_ACCOUNT_ROLE" >&2\n')
    assert shell_messages_quoting_names("printf '%s\\n' \"${role}\"\n")
    assert not shell_messages_quoting_names("printf '%s' $text  # $role\n# echo $role\n")


def _function(tree: ast.AST, name: str) -> ast.AST:
    return next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == name)


def test_errors_and_loggers_filter_whole_messages():
    # Every expected error is printed by cli.main: filtered there, once.
    main = _function(ast.parse((PACKAGE / "cli.py").read_text()), "main")
    handler = next(h for n in ast.walk(main) if isinstance(n, ast.Try) for h in n.handlers
                   if "AssumeRoleError" in ast.unparse(h.type))
    assert "printable(str(exc))" in ast.unparse(handler)
    # So is every message given to a logger (`log`) or a warning (`warn`).
    loggers = [
        (path, node)
        for path in sorted(PACKAGE.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef) and node.name in ("log", "warn")
    ]
    assert len(loggers) >= 2
    for path, node in loggers:
        assert "printable(message)" in ast.unparse(node), path
