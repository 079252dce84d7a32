"""The demo's shells: start-up files and command lines for bash, zsh and fish.

The plugin is loaded exactly as a user's rc file loads it, from the output of
``assume-role init SHELL``. The start-up files are the demo's own, written into
the sandbox: the user's ``~/.bashrc``, ``~/.zshrc`` or ``config.fish`` are not
read (their themes and prompt frameworks would hide the demo's prompt, and an
AWS setting in them could reach the real AWS), and nothing is written to them.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from assume_role.shell import plugin_files as shell_files
from assume_role.commands import init as init_cmd

from .lab import Lab

SHELLS = ("bash", "zsh", "fish")


def init_code(shell: str, lab: Lab) -> str:
    """What ``eval "$(assume-role init SHELL)"`` would evaluate, with the demo's helper."""
    return init_cmd.script(shell, shell_files.locate(shell), str(lab.helper))


def interactive(shell: str, lab: Lab) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of the demo's interactive shell."""
    env = lab.shell_env()
    rc = [f"# The assume-role demo's {shell} start-up file (the sandbox holds it, not your home)."]
    if shell == "bash":
        path = lab.root / "bashrc"
        rc += [
            f"HISTFILE={shlex.quote(str(lab.root / 'bash_history'))}",
            r"PS1='\[\e[1;36m\]demo\[\e[0m\]:\W$ '",
            init_code(shell, lab),
        ]
        path.write_text("\n".join(rc) + "\n")
        return ["bash", "--noprofile", "--rcfile", str(path), "-i"], env
    if shell == "zsh":
        zdotdir = lab.root / "zsh"
        zdotdir.mkdir()
        rc += [
            # Completion needs compinit, which a user's framework would run.
            'autoload -Uz compinit && compinit -u -d "$ZDOTDIR/.zcompdump"',
            "PROMPT='%B%F{cyan}demo%f%b:%1~%% '",
            init_code(shell, lab),
        ]
        (zdotdir / ".zshrc").write_text("\n".join(rc) + "\n")
        env["ZDOTDIR"] = str(zdotdir)
        return ["zsh", "-i"], env
    if shell == "fish":
        # XDG_CONFIG_HOME is the sandbox's, so this is the config.fish fish reads.
        config = Path(env["XDG_CONFIG_HOME"]) / "fish" / "config.fish"
        config.parent.mkdir(parents=True, exist_ok=True)
        rc += [
            "set -g fish_greeting ''",
            "function fish_prompt",
            "    set_color --bold cyan; printf demo; set_color normal",
            "    printf ':%s> ' (prompt_pwd)",
            "end",
            init_code(shell, lab),
        ]
        config.write_text("\n".join(rc) + "\n")
        # On its first start in a fresh data directory, fish starts a process
        # in the background that writes completions from man pages there,
        # which would outlive the shell and race the sandbox's removal.
        (Path(env["XDG_DATA_HOME"]) / "fish" / "generated_completions").mkdir(parents=True, exist_ok=True)
        return ["fish", "-i"], env
    raise ValueError(shell)


def scripted(shell: str) -> list[str]:
    """A non-interactive shell reading commands from stdin, with no start-up files.

    bash and zsh run a script from a pipe as it arrives. fish reads a piped
    script to its end before running any of it, so it gets a loop that reads
    one NUL-terminated command at a time and evaluates it.
    """
    return {
        "bash": ["bash", "--norc", "--noprofile"],
        "zsh": ["zsh", "-f"],
        "fish": ["fish", "--no-config", "-c", "while read -z -l _demo_command; eval $_demo_command; end"],
    }[shell]


# Commands for the walkthrough, as a person would type them in each shell.
SHOW_ROLE = {
    "bash": 'echo "${AWS_ACCOUNT_NAME}:${AWS_ACCOUNT_ROLE} in ${AWS_ACCOUNT_ID}, ${AWS_REGION}"',
    "zsh": 'echo "${AWS_ACCOUNT_NAME}:${AWS_ACCOUNT_ROLE} in ${AWS_ACCOUNT_ID}, ${AWS_REGION}"',
    "fish": 'echo "$AWS_ACCOUNT_NAME:$AWS_ACCOUNT_ROLE in $AWS_ACCOUNT_ID, $AWS_REGION"',
}
SHOW_KEY = {
    "bash": 'echo "$AWS_ACCESS_KEY_ID"',
    "zsh": 'echo "$AWS_ACCESS_KEY_ID"',
    "fish": 'echo "$AWS_ACCESS_KEY_ID"',
}
# The prompt segment as the plugin renders it (colours are stripped for display).
SEGMENT = {
    "bash": "assume_role_ps1 '%s'",
    "zsh": 'print -P -- "$(assume_role_prompt_info)"',
    "fish": "assume_role_prompt",
}
# Sign in through the demo's IAM Identity Center profile from now on.
USE_SSO_PROFILE = {
    "bash": "export AWS_PROFILE_ASSUME_ROLE=corp",
    "zsh": "export AWS_PROFILE_ASSUME_ROLE=corp",
    "fish": "set -gx AWS_PROFILE_ASSUME_ROLE corp",
}
IS_FUNCTION = {
    "bash": "type -t assume-role",
    "zsh": "whence -w assume-role",
    "fish": "type -t assume-role",
}


def wrap(shell: str, command: str, marker: str) -> str:
    """``command`` with stdin from /dev/null and stderr merged, then a status marker."""
    if shell == "fish":
        return f"begin\n{command}\nend </dev/null 2>&1\nprintf '%s:%d\\n' {marker} $status\n\0"
    return f"{{ {command}\n}} </dev/null 2>&1\nprintf '%s:%d\\n' {marker} $?\n"
