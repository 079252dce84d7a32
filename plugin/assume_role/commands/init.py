"""``assume-role init SHELL``: the lines that load the shell plugin.

The output sources the plugin file from wherever this package is installed
(wheel, pipx, editable checkout) instead of printing a copy of it, so there is
one source of truth per shell and an upgrade takes effect in the next shell.
It also records which ``assume-role`` program printed it, so the plugin keeps
working when that program is not on ``PATH`` (a venv that is not activated).

Runs at every shell start-up: imports nothing heavy.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from assume_role import shell_files

USAGE = """\
usage: assume-role init bash|zsh|fish [--path]
       assume-role init starship

Print the code that loads assume-role into your shell. Add to your rc file:

  bash  (~/.bashrc)                      eval "$(assume-role init bash)"
  zsh   (~/.zshrc)                       eval "$(assume-role init zsh)"
  fish  (~/.config/fish/config.fish)     assume-role init fish | source

--path prints the directory holding that shell's plugin files instead, for
plugin managers: oh-my-zsh (link it as $ZSH_CUSTOM/plugins/assume-role),
antidote or zinit (load assume-role.plugin.zsh from it), fisher (install it as
a local plugin).

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
        directory = shell_files.locate(shell)
    except shell_files.NotFound as exc:
        sys.stderr.write(f"assume-role init: {exc}\n")
        return 1
    sys.stdout.write(f"{directory}\n" if want_path else script(shell, directory, helper_path()))
    return 0


def script(shell: str, directory: Path, helper: str | None) -> str:
    """The code for ``shell``'s rc file, loading the plugin from ``directory``."""
    from assume_role.emitters import for_shell

    quote = for_shell(shell).quote
    lines = [f"# assume-role {_version()} shell integration, printed by `assume-role init {shell}`"]
    if shell == "fish":
        if helper:
            lines.append(f"set -g ASSUME_ROLE_COMMAND {quote(helper)}")
        lines += [
            f"set -l _assume_role_dir {quote(str(directory))}",
            # Appended, so functions in the user's own config still win, as
            # they would over a plugin installed with fisher.
            "contains -- $_assume_role_dir/functions $fish_function_path"
            "; or set -g fish_function_path $fish_function_path $_assume_role_dir/functions",
            "contains -- $_assume_role_dir/completions $fish_complete_path"
            "; or set -g fish_complete_path $fish_complete_path $_assume_role_dir/completions",
            "source $_assume_role_dir/conf.d/assume-role.fish",
        ]
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
