"""``assume-role init SHELL``: the lines that load the shell plugin.

It first writes (or mends) the stable link ``$XDG_DATA_HOME/assume-role/SHELL``
to the plugin files of this install, then prints code that sources them
through it, so there is one source of truth per shell and an upgrade takes
effect in the next shell. It also records which ``assume-role`` program
printed it, so the plugin keeps working when that program is not on ``PATH``
(a venv that is not activated).

The rc lines in the README source the stable link directly, which costs no
Python at start-up, and run ``init`` only when the link is missing or broken
(the first time, or after the install moved), which mends it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from assume_role.shell import plugin_files as shell_files

USAGE = """\
usage: assume-role init bash|zsh|fish [--path]
       assume-role init starship

Print the code that loads assume-role into your shell, after pointing
$XDG_DATA_HOME/assume-role/SHELL (~/.local/share/assume-role/SHELL) at this
install's plugin files. Add to your rc file:

  bash  (~/.bashrc)
    . ~/.local/share/assume-role/bash/assume-role.bash 2>/dev/null || { command -v assume-role >/dev/null && eval "$(assume-role init bash)"; }
  zsh   (~/.zshrc)
    source ~/.local/share/assume-role/zsh/assume-role.plugin.zsh 2>/dev/null || { command -v assume-role >/dev/null && eval "$(assume-role init zsh)"; }
  fish  (~/.config/fish/config.fish)
    source ~/.local/share/assume-role/fish/init.fish 2>/dev/null; or command -q assume-role && assume-role init fish | source

(with XDG_DATA_HOME set, that directory instead of ~/.local/share). A new
shell then loads the plugin without running Python; `init` runs only when
the link is missing, and nothing at all when assume-role is not on PATH.

--path prints that stable directory instead, for plugin managers: oh-my-zsh
(link it as $ZSH_CUSTOM/plugins/assume-role), antidote or zinit (load
assume-role.plugin.zsh from it), fisher (install it as a local plugin).

`init starship` prints a starship.toml snippet that shows account:role and the
time left.
"""

# starship's aws module already shows the region and, from
# AWS_CREDENTIAL_EXPIRATION, the time left; env_var modules add the label
# without running a command per prompt.
STARSHIP = """\
# assume-role: account:role, then starship's aws module with the time left.
# Merge into ~/.config/starship.toml (keep any [aws] table you already have,
# adding the keys below to it).
format = "${env_var.assume_role_account}${env_var.assume_role_role}$all"

[env_var.assume_role_account]
variable = "AWS_ACCOUNT_NAME"
format = "[$env_value]($style)"
style = "bold cyan"

[env_var.assume_role_role]
variable = "AWS_ACCOUNT_ROLE"
format = "[:$env_value]($style) "
style = "bold cyan"

[aws]
# $duration counts down to AWS_CREDENTIAL_EXPIRATION; once past it shows
# expiration_symbol.
format = '[$symbol($region )(\\[$duration\\] )]($style)'
expiration_symbol = "expired"
"""


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["init"]:
        args = args[1:]
    if any(a in ("-h", "--help") for a in args):
        sys.stdout.write(USAGE)
        return 0
    want_path = "--path" in args
    rest = [a for a in args if a != "--path"]
    if len(rest) != 1 or rest[0] not in (*shell_files.SHELLS, "starship"):
        got = f" (got {' '.join(rest)})" if rest else ""
        sys.stderr.write(f"assume-role init: name one shell: bash, zsh or fish{got}\n")
        return 2
    shell = rest[0]
    if shell == "starship":
        if want_path:
            sys.stderr.write("assume-role init: starship has no plugin files; use `assume-role init starship`\n")
            return 2
        sys.stdout.write(STARSHIP)
        return 0
    try:
        directory = stable_directory(shell)
    except shell_files.NotFound as exc:
        sys.stderr.write(f"assume-role init: {exc}\n")
        return 1
    sys.stdout.write(f"{directory}\n" if want_path else script(shell, directory, helper_path()))
    return 0


def stable_directory(shell: str) -> Path:
    """The stable link to ``shell``'s plugin files, written or mended now.

    When it cannot be written (a read-only home), the files are used where
    they are, with a warning: the shell still gets its plugin.
    """
    try:
        return shell_files.link(shell)
    except OSError as exc:
        located = shell_files.locate(shell)
        reason = exc.strerror or str(exc)
        sys.stderr.write(
            f"assume-role init: cannot write {shell_files.stable(shell)} ({reason}); using {located}\n"
        )
        return located


def script(shell: str, directory: Path, helper: str | None) -> str:
    """The code for ``shell``'s rc file, loading the plugin from ``directory``."""
    from assume_role.shell.emitters import for_shell

    quote = for_shell(shell).quote
    lines = [f"# assume-role {_version()} shell integration, printed by `assume-role init {shell}`"]
    if shell == "fish":
        if helper:
            lines.append(f"set -g ASSUME_ROLE_COMMAND {quote(helper)}")
        lines.append(f"source {quote(str(directory / shell_files.ENTRY[shell]))}")
    else:
        if helper:
            lines.append(f"ASSUME_ROLE_COMMAND={quote(helper)}")
        lines.append(f". {quote(str(directory / shell_files.ENTRY[shell]))}")
    return "".join(line + "\n" for line in lines)


def helper_path() -> str | None:
    """The ``assume-role`` program running now, if it can be found.

    Started as the installed program, that is ``argv[0]``; started as
    ``python -m assume_role``, it is the script next to this interpreter (a
    venv or pipx installs both in the same ``bin``). The path is kept as found,
    not resolved, so that a pipx link survives upgrades.
    """
    argv0 = sys.argv[0] if sys.argv else ""
    for path in (argv0, os.path.join(os.path.dirname(sys.executable), "assume-role")):
        if path and os.path.basename(path) == "assume-role" and os.path.isfile(path) and os.access(path, os.X_OK):
            return os.path.abspath(path)
    return None


def _version() -> str:
    from assume_role import __version__

    return __version__
