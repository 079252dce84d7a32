"""The plugin files under strict flags, and the prompt segment each one draws.

Each script runs non-interactively with the strictest flags its shell has
(`bash -eu`, `zsh -eu`, fish without config), so an unset variable or a
failing command anywhere in the plugin fails the test. Times are computed
here, with margins wide enough that a slow machine does not change the
minutes shown.
"""

from __future__ import annotations

import re
import time

import pytest
from helpers import SOURCES, load_lines, run_strict, strip_ansi

HOSTILE = "$(touch pwned1)`touch pwned2`\\w%n${HOME}"
# The credentials in the shell are the ones assume-role exported: without
# this, no segment is drawn (see test_replaced_credentials_hide_the_segment).
KEYS = {"AWS_ACCESS_KEY_ID": "ASIAEXAMPLE", "ASSUME_ROLE_ACCESS_KEY_ID": "ASIAEXAMPLE"}


def _now() -> int:
    return int(time.time())


@pytest.mark.parametrize(
    "shell_name, path",
    [(shell, path) for shell, paths in SOURCES.items() for path in paths],
    ids=lambda value: value if isinstance(value, str) else f"{value.parent.name}/{value.name}",
)
def test_each_file_loads_cleanly_under_strict_flags(shell_name, path, tmp_path):
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = run_strict(shell_name, f"source '{path}'\necho loaded\n", env=env)
    assert (result.returncode, result.stderr, result.stdout) == (0, "", "loaded\n")


def test_all_files_load_together_under_strict_flags(shell, tmp_path):
    result = run_strict(shell, load_lines(shell) + "echo loaded\n", env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert (result.returncode, result.stderr, result.stdout) == (0, "", "loaded\n")


def test_loading_twice_changes_nothing_more(shell, tmp_path):
    script = load_lines(shell) * 2 + "echo twice\n"
    result = run_strict(shell, script, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert (result.returncode, result.stderr, result.stdout) == (0, "", "twice\n")


# What each shell prints for the prompt, rendered the way that shell renders it.
RENDER = {
    # PS1 as bash expands it, after the hook has run.
    "bash": "PS1=${PS1-}\n_assume_role_prompt_command\nprintf '%s' \"${PS1@P}\"\n",
    # RPROMPT as zsh expands it, after the precmd hook has run.
    "zsh": "_assume_role_precmd\nprint -rPn -- \"$RPROMPT\"\n",
    "fish": "assume_role_prompt\n",
}


def render(shell: str, tmp_path, prelude: str = "", **variables: str) -> str:
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "TERM": "xterm-256color", **KEYS, **variables}
    result = run_strict(shell, load_lines(shell) + prelude + RENDER[shell], env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


ROLE = {"AWS_ACCOUNT_NAME": "production", "AWS_ACCOUNT_ROLE": "read"}


@pytest.mark.parametrize(
    "offset, text, colour",
    [
        (3700, "production:read 1h01m", "32"),
        (1800 + 30, "production:read 30m", "32"),
        (330, "production:read 5m", "33"),
        (45, "production:read <1m", "33"),
        (-5, "production:read expired", "31"),
    ],
    ids=["hours", "minutes", "expiring", "last-minute", "expired"],
)
def test_segment_states(shell, tmp_path, offset, text, colour):
    shown = render(shell, tmp_path, **ROLE, ASSUME_ROLE_EXPIRES_AT=str(_now() + offset))
    assert text in strip_ansi(shown)
    # The colour is switched on before the text, whatever else the shell adds.
    assert re.search(rf"\x1b\[(?:[0-9;]*;)?{colour}m[^\x1b]*{re.escape(text)}", shown), repr(shown)


@pytest.mark.parametrize(
    "offset, window, colour",
    [
        (1830, "3600", "33"),  # inside a wider renewal window: expiring
        (330, "200", "32"),  # outside a narrower one: valid
        (330, "$(touch pwned)", "33"),  # not a number of seconds: the default window
    ],
    ids=["wider", "narrower", "nonsense"],
)
def test_expiring_means_inside_the_renewal_window(shell, tmp_path, offset, window, colour):
    shown = render(shell, tmp_path, f"cd '{tmp_path}'\n", **ROLE, ASSUME_ROLE_EXPIRES_AT=str(_now() + offset),
                   ASSUME_ROLE_REFRESH_BEFORE=window)
    assert re.search(rf"\x1b\[(?:[0-9;]*;)?{colour}m[^\x1b]*production:read", shown), repr(shown)
    assert not (tmp_path / "pwned").exists()


def test_no_role_no_segment(shell, tmp_path):
    assert strip_ansi(render(shell, tmp_path)).strip() == ""


def test_label_without_expiry(shell, tmp_path):
    # No time to show: the label alone.
    assert strip_ansi(render(shell, tmp_path, **ROLE)).strip().strip("()") == "production:read"


@pytest.mark.parametrize(
    "keys",
    [
        {"AWS_ACCESS_KEY_ID": "AKIAOTHERTOOL"},  # another tool exported its own keys
        {"AWS_ACCESS_KEY_ID": ""},  # or removed them
        {"ASSUME_ROLE_ACCESS_KEY_ID": ""},  # set by the original tool or by hand
        {"AWS_ACCESS_KEY_ID": "ASIAEXAMPLE ", "ASSUME_ROLE_ACCESS_KEY_ID": "ASIAEXAMPLE"},
        {"AWS_ACCESS_KEY_ID": "*", "ASSUME_ROLE_ACCESS_KEY_ID": "ASIAEXAMPLE"},  # not a pattern
        {"AWS_ACCESS_KEY_ID": "(", "ASSUME_ROLE_ACCESS_KEY_ID": ")"},
    ],
    ids=["replaced", "removed", "never-exported", "space", "glob", "parens"],
)
def test_replaced_credentials_hide_the_segment(shell, tmp_path, keys):
    expires = str(_now() + 3700)
    assert "production:read" in strip_ansi(render(shell, tmp_path, **ROLE, ASSUME_ROLE_EXPIRES_AT=expires))
    shown = render(shell, tmp_path, **ROLE, **keys, ASSUME_ROLE_EXPIRES_AT=expires)
    assert strip_ansi(shown).strip() == ""


def test_account_id_when_no_alias(shell, tmp_path):
    shown = render(shell, tmp_path, AWS_ACCOUNT_ID="012345678901", AWS_ACCOUNT_ROLE="read")
    assert "012345678901:read" in strip_ansi(shown)


def test_garbage_expiry_shows_label_only(shell, tmp_path):
    shown = strip_ansi(render(shell, tmp_path, **ROLE, ASSUME_ROLE_EXPIRES_AT="soon; rm -rf /"))
    assert "production:read" in shown and "expired" not in shown


def test_leading_zero_is_not_octal(shell, tmp_path):
    shown = render(shell, tmp_path, **ROLE, ASSUME_ROLE_EXPIRES_AT="0" + str(_now() + 3700))
    assert "production:read 1h01m" in strip_ansi(shown)


def test_text_from_config_is_never_expanded(shell, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shown = render(
        shell, tmp_path, AWS_ACCOUNT_NAME=HOSTILE, AWS_ACCOUNT_ROLE="r%%", ASSUME_ROLE_EXPIRES_AT=str(_now() + 3700)
    )
    assert f"{HOSTILE}:r%% 1h01m" in strip_ansi(shown)
    assert not list(tmp_path.glob("pwned*"))


def test_control_characters_are_neutralised(shell, tmp_path):
    shown = render(shell, tmp_path, AWS_ACCOUNT_NAME="a\x1b]0;title\x07b", AWS_ACCOUNT_ROLE="read")
    assert "\x07" not in shown and "]0;title" in shown


# -- bash ---------------------------------------------------------------------


def _bash(tmp_path, script: str, **variables: str) -> str:
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", **KEYS, **variables}
    result = run_strict("bash", load_lines("bash") + script, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


# The hook as PROMPT_COMMAND runs it: the exit status to hand on, and the DEBUG
# trap while auto-refresh waits to be installed (only in an interactive shell).
HOOK = '_assume_role_prompt_command "$?" "${_assume_role_refresh_pending:+$(trap -p DEBUG)}"'


def test_bash_prompt_command_unset_becomes_the_hook(tmp_path):
    assert _bash(tmp_path, 'printf "%s" "$PROMPT_COMMAND"') == HOOK


def test_bash_prompt_command_string_keeps_its_commands(tmp_path):
    out = _bash(
        tmp_path,
        'eval "$PROMPT_COMMAND"; declare -p PROMPT_COMMAND',
        PROMPT_COMMAND="echo first &>/dev/null & wait; echo second",
    )
    # A new line, not ';': "cmd &; hook" would be a syntax error.
    assert out.endswith(f"""PROMPT_COMMAND=$'echo first &>/dev/null & wait; echo second\\n{HOOK}'\n""")
    assert out.startswith("second\n")


def test_bash_prompt_command_array_gets_an_element(tmp_path):
    script = (
        "PROMPT_COMMAND=(first second)\n"
        + load_lines("bash") * 2
        + "declare -p PROMPT_COMMAND\n"
    )
    result = run_strict("bash", script, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.stderr == ""
    hook = HOOK.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    assert result.stdout == f'declare -a PROMPT_COMMAND=([0]="first" [1]="second" [2]="{hook}")\n'


def test_bash_preexec_owns_the_prompt(tmp_path):
    script = (
        "__bp_imported=1; precmd_functions=(other); PROMPT_COMMAND='__bp_precmd_invoke_cmd'\n"
        + load_lines("bash")
        + 'printf "%s|%s\\n" "${precmd_functions[*]}" "$PROMPT_COMMAND"\n'
    )
    result = run_strict("bash", script, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert (result.stderr, result.stdout) == ("", "other _assume_role_prompt_command|__bp_precmd_invoke_cmd\n")


def test_bash_hook_keeps_exit_status(tmp_path):
    out = _bash(tmp_path, "set +e; (exit 7); _assume_role_prompt_command; echo $?", **ROLE)
    assert out == "7\n"
    # As PROMPT_COMMAND runs it, while auto-refresh waits to be installed.
    out = _bash(tmp_path, 'set +e; _assume_role_refresh_pending=1; (exit 7); eval "$PROMPT_COMMAND"; echo $?', **ROLE)
    assert out == "7\n"


def test_bash_prefix_keeps_the_users_prompt(tmp_path):
    script = (
        "PS1='custom \\w> '\n"
        "_assume_role_prompt_command; printf '%s\\n' \"$PS1\"\n"
        "export AWS_ACCOUNT_NAME=production AWS_ACCOUNT_ROLE=read\n"
        "_assume_role_prompt_command; _assume_role_prompt_command; printf '%s\\n' \"$PS1\"\n"
        "ASSUME_ROLE_DISABLE_PROMPT=1 _assume_role_prompt_command; printf '%s\\n' \"$PS1\"\n"
    )
    lines = _bash(tmp_path, script).splitlines()
    assert lines == ["custom \\w> ", "${_assume_role_prompt-}custom \\w> ", "custom \\w> "]


@pytest.mark.parametrize(
    "setup",
    ["starship_precmd() { :; }", "PS1='$(assume_role_ps1) > '", "shopt -u promptvars"],
    ids=["starship", "own-segment", "no-promptvars"],
)
def test_bash_automatic_prefix_only_when_safe(tmp_path, setup):
    script = f"PS1='mine> '; {setup}\n_assume_role_prompt_command\nprintf '%s' \"$PS1\"\n"
    out = _bash(tmp_path, script, **ROLE)
    assert "_assume_role_prompt" not in out


def test_bash_git_ps1_style_print_mode(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = _bash(
        tmp_path,
        'ASSUME_ROLE_PS1_COLOR_VALID=""; PS1=\'[$(assume_role_ps1 "<%s>")]\'; printf "%s" "${PS1@P}"',
        AWS_ACCOUNT_NAME=HOSTILE,
        AWS_ACCOUNT_ROLE="read",
        ASSUME_ROLE_EXPIRES_AT=str(_now() + 3700),
    )
    assert out == f"[<{HOSTILE}:read 1h01m>]"
    assert not list(tmp_path.glob("pwned*"))


@pytest.mark.parametrize("promptvars", ["-s", "-u"])
def test_bash_git_ps1_style_prompt_command_mode(tmp_path, monkeypatch, promptvars):
    monkeypatch.chdir(tmp_path)
    out = _bash(
        tmp_path,
        f"shopt {promptvars} promptvars; ASSUME_ROLE_PS1_COLOR_VALID=''\n"
        "assume_role_ps1 'pre ' ' post' '[%s]'; printf '%s' \"${PS1@P}\"",
        AWS_ACCOUNT_NAME=HOSTILE,
        AWS_ACCOUNT_ROLE="read",
        ASSUME_ROLE_EXPIRES_AT=str(_now() + 3700),
    )
    assert out == f"pre [{HOSTILE}:read 1h01m] post"
    assert not list(tmp_path.glob("pwned*"))


def test_bash_colour_settings(tmp_path):
    out = _bash(
        tmp_path,
        "ASSUME_ROLE_PS1_COLOR_EXPIRING='1;35'; assume_role_ps1 '%s'",
        **ROLE,
        ASSUME_ROLE_EXPIRES_AT=str(_now() + 330),
    )
    assert out == "\x01\x1b[1;35m\x02production:read 5m\x01\x1b[0m\x02"


# -- zsh ----------------------------------------------------------------------


def _zsh(tmp_path, script: str, strict: bool = True, **variables: str) -> str:
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", **KEYS, **variables}
    if not strict:
        script = "set +eu\n" + script
    result = run_strict("zsh", load_lines("zsh") + script, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def test_zsh_rprompt_beside_what_is_there(tmp_path):
    script = (
        "_assume_role_precmd; print -r -- \"1 $RPROMPT\"\n"
        "RPROMPT='mine'; _assume_role_precmd; print -r -- \"2 $RPROMPT\"\n"
        # Again, and after the file is sourced again: still once.
        + load_lines("zsh")
        + "_assume_role_precmd; _assume_role_precmd; print -r -- \"3 $RPROMPT\"\n"
        "unset AWS_ACCOUNT_ROLE; _assume_role_precmd; print -r -- \"4 $RPROMPT\"\n"
    )
    out = _zsh(tmp_path, script, **ROLE).splitlines()
    assert out == [
        "1 %F{green}production:read%f",
        "2 %F{green}production:read%f mine",
        "3 %F{green}production:read%f mine",
        "4 mine",
    ]


def test_zsh_rprompt_rebuilt_by_a_theme_hook(tmp_path):
    # A theme that sets RPROMPT in its own precmd hook, loaded after the
    # plugin: from the next prompt on, the plugin's hook runs last.
    script = (
        "theme_hook() { RPROMPT='theme' }\nprecmd_functions+=(theme_hook)\n"
        "for f in $precmd_functions; do $f; done; print -r -- \"1 $RPROMPT\"\n"
        "for f in $precmd_functions; do $f; done; print -r -- \"2 $RPROMPT\"\n"
        "print -r -- $precmd_functions\n"
    )
    out = _zsh(tmp_path, script, **ROLE).splitlines()
    assert out == ["1 theme", "2 %F{green}production:read%f theme", "theme_hook _assume_role_precmd"]


def test_zsh_rprompt_given_back_when_disabled(tmp_path):
    script = (
        "_assume_role_precmd; ASSUME_ROLE_DISABLE_PROMPT=1; _assume_role_precmd\n"
        "print -r -- \"[$RPROMPT]\"\n"
    )
    assert _zsh(tmp_path, script, **ROLE) == "[]\n"


def test_zsh_prompt_subst_gets_a_reference(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    script = "setopt prompt_subst\n_assume_role_precmd\nprint -r -- \"$RPROMPT\"\nprint -rPn -- \"$RPROMPT\"\n"
    out = _zsh(
        tmp_path, script, AWS_ACCOUNT_NAME=HOSTILE, AWS_ACCOUNT_ROLE="read", ASSUME_ROLE_EXPIRES_AT=str(_now() + 3700)
    )
    first, rendered = out.split("\n", 1)
    assert first == "${_assume_role_rprompt}"
    assert strip_ansi(rendered) == f"{HOSTILE}:read 1h01m"
    assert not list(tmp_path.glob("pwned*"))


def test_zsh_keeps_other_precmd_hooks(tmp_path):
    script = (
        "precmd_functions=(mine)\n"
        + load_lines("zsh")
        + "print -r -- $precmd_functions\n"
    )
    result = run_strict("zsh", script, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    # Loaded twice (by the harness, then here): still one hook.
    assert (result.stderr, result.stdout) == ("", "mine _assume_role_precmd\n")


@pytest.mark.parametrize(
    "framework",
    ["p10k() { :; }", "PROMPT='$(/usr/bin/starship prompt)'", "RPROMPT='$(assume_role_prompt_info)'"],
    ids=["powerlevel10k", "starship", "own-placement"],
)
def test_zsh_leaves_prompt_frameworks_alone(tmp_path, framework):
    out = _zsh(tmp_path, f"{framework}\n_assume_role_precmd\nprint -r -- \"[$RPROMPT]\"\n", **ROLE)
    assert "%F{green}" not in out


def test_zsh_inherited_starship_shell_is_not_starship(tmp_path):
    # A parent shell ran starship; this one draws its own prompt.
    out = _zsh(tmp_path, "_assume_role_precmd\nprint -r -- \"[$RPROMPT]\"\n", STARSHIP_SHELL="zsh", **ROLE)
    assert out == "[%F{green}production:read%f]\n"


def test_zsh_oh_my_zsh_theme_variables(tmp_path):
    script = (
        "ZSH_THEME_ASSUME_ROLE_PREFIX='<aws:' ZSH_THEME_ASSUME_ROLE_SUFFIX='>'\n"
        "ZSH_THEME_ASSUME_ROLE_EXPIRING='%B%F{magenta}'\n"
        "print -r -- \"$(assume_role_prompt_info)\"\n"
    )
    out = _zsh(tmp_path, script, AWS_ACCOUNT_NAME="100%", AWS_ACCOUNT_ROLE="read", ASSUME_ROLE_EXPIRES_AT=str(_now() + 330))
    assert out == "<aws:%B%F{magenta}100%%:read 5m%f>\n"


@pytest.mark.parametrize("subst", ["", "setopt prompt_subst\n"], ids=["plain", "prompt_subst"])
@pytest.mark.parametrize("bang", ["", "setopt prompt_bang\n"], ids=["no-bang", "prompt_bang"])
def test_zsh_bang_and_percent_stay_literal(tmp_path, subst, bang):
    # With prompt_bang a ! in a prompt is the history number, and !! is a !.
    expanded = (
        "_assume_role_precmd\nprint -rPn -- \"$RPROMPT\"\nprint\n"
        # A theme's $(assume_role_prompt_info) is prompt-expanded the same way.
        "print -rPn -- \"$(assume_role_prompt_info)\"\nprint\n"
    )
    out = _zsh(tmp_path, subst + bang + expanded, AWS_ACCOUNT_NAME="a!b%c!!", AWS_ACCOUNT_ROLE="r!")
    assert strip_ansi(out) == "a!b%c!!:r!\n" * 2


def test_zsh_powerlevel10k_segment(tmp_path):
    # A stand-in for p10k that shows the arguments the segment passes.
    script = (
        "p10k() { print -r -- \"${(j:|:)@}\" }\n"
        "prompt_assume_role\n"
        "unset AWS_ACCOUNT_ROLE; prompt_assume_role; print done\n"
    )
    out = _zsh(tmp_path, script, AWS_ACCOUNT_NAME="100%", AWS_ACCOUNT_ROLE="read", ASSUME_ROLE_EXPIRES_AT=str(_now() + 330))
    assert out == "segment|-s|EXPIRING|-f|yellow|-r|-i|AWS_ICON|-t|100%%:read 5m\ndone\n"


def test_zsh_powerlevel10k_instant_prompt(tmp_path, monkeypatch):
    # powerlevel10k records the calls instant_prompt_assume_role makes and, in
    # a later shell, expands their -c and -e text with prompt_subst before
    # this plugin is loaded. The stand-in records the calls in one shell and
    # expands them the same way in another, which has only the environment.
    monkeypatch.chdir(tmp_path)
    record = "p10k() { print -r -- \"${(qq)@}\" }\ninstant_prompt_assume_role\n"
    calls = _zsh(tmp_path, record).splitlines()
    assert len(calls) == 1 and "-e" in calls[0]
    replay = (
        "setopt prompt_subst\n"
        "show() { local c t; while (( $# )); do case $1 in (-c) c=$2; shift;; (-t) t=$2; shift;; esac; shift; done\n"
        "  print -rP -v c -- \"$c\"; if [[ -n $c ]]; then print -rP -- \"[$t]\"; else print; fi }\n"
        f"show {calls[0].split(' ', 1)[1]}\n"
    )
    def shown(**variables: str) -> str:
        env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", **KEYS, **variables}
        result = run_strict("zsh", "set +u\n" + replay, env=env)
        assert result.stderr == ""
        return result.stdout
    assert shown(**ROLE) == "[production:read]\n"
    assert shown(AWS_ACCOUNT_ID="012345678901", AWS_ACCOUNT_ROLE="read") == "[012345678901:read]\n"
    assert shown() == "\n"
    # Credentials replaced by another tool: the label left behind is not shown.
    assert shown(**ROLE, AWS_ACCESS_KEY_ID="AKIAOTHER") == "\n"
    assert shown(**ROLE, AWS_ACCESS_KEY_ID="", ASSUME_ROLE_ACCESS_KEY_ID="") == "\n"
    assert shown(AWS_ACCOUNT_NAME=HOSTILE + "\x1b", AWS_ACCOUNT_ROLE="r%%") == f"[{HOSTILE}?:r%%]\n"
    assert not list(tmp_path.glob("pwned*"))


@pytest.mark.parametrize("order", ["before", "after"])
def test_zsh_completion_registered_before_or_after_compinit(tmp_path, order):
    compinit = "autoload -Uz compinit; compinit -u -D\n"
    load = load_lines("zsh")
    script = (load + compinit) if order == "before" else (compinit + load)
    script += "print -r -- ${_comps[assume-role]}\n"
    result = run_strict("zsh", "set +eu\n" + script, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.stdout == "_assume-role\n", result.stderr


# -- fish ---------------------------------------------------------------------


def test_fish_colour_variables(tmp_path):
    shown = render(
        "fish",
        tmp_path,
        prelude="set -g assume_role_color_expired magenta --bold\n",
        **ROLE,
        ASSUME_ROLE_EXPIRES_AT=str(_now() - 5),
    )
    assert "\x1b[35m" in shown and "\x1b[1m" in shown and "production:read expired" in strip_ansi(shown)


def test_fish_clock_needs_no_process(tmp_path):
    # The clock is path mtime arithmetic: compare it with the real one.
    result = run_strict("fish", load_lines("fish") + "__assume_role_now; date +%s\n", env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    ours, real = (int(line) for line in result.stdout.split())
    assert abs(ours - real) <= 2
