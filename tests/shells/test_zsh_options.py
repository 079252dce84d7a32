"""The zsh plugin in a shell whose options are not zsh's defaults.

Loading it must leave the user's options and arrays (fpath above all, which
every later autoload reads) as they were, plus the plugin's own fpath entry;
and the function, auto-refresh and the prompt segment must work as usual.
"""

from __future__ import annotations

import subprocess

import pytest
from helpers import ROOT, require, strip_ansi, write_helper

PLUGIN = ROOT / "zsh" / "assume-role.plugin.zsh"

# Each block starts with a line of its own, so the output splits cleanly
# whatever the options do to `print`.
SCRIPT = r"""
{setup}
before_fpath=$(print -rl -- "${{fpath[@]}}")
before_options=$(set -o)
source '{plugin}'
print -r -- '--fpath'
print -rl -- "${{fpath[@]}}"
print -r -- '--fpath-before'
print -r -- "$before_fpath"
print -r -- '--options-changed'
[[ $before_options == "$(set -o)" ]] || print -r -- changed-by-loading
print -r -- '--hooks'
print -r -- "${{precmd_functions[@]-}} ${{preexec_functions[@]-}}"
print -r -- '--assumed'
assume-role production read {code}
print -r -- "${{AWS_ACCOUNT_NAME-}}:${{AWS_ACCOUNT_ROLE-}}"
print -r -- '--segment'
_assume_role_precmd
print -rP -- "$RPROMPT"
print -rP -- "$(assume_role_prompt_info)"
print -r -- '--refresh'
key=${{AWS_ACCESS_KEY_ID-}}
ASSUME_ROLE_REFRESH_BEFORE=100000
_assume_role_refresh 2>&1
[[ ${{AWS_ACCESS_KEY_ID-}} != "$key" ]] && print -r -- new-key
print -r -- '--options-after-use'
[[ $before_options == "$(set -o)" ]] || print -r -- changed-by-use
"""

SETUPS = {
    "ksh_arrays": "setopt ksh_arrays",
    "sh_word_split": "setopt sh_word_split",
    "no_unset": "setopt no_unset",
    "err_exit": "setopt err_exit",
    "all-four": "setopt ksh_arrays sh_word_split no_unset err_exit",
    "emulate-sh": "emulate sh",
    "emulate-ksh": "emulate ksh",
}


def _blocks(output: str) -> dict[str, list[str]]:
    blocks: dict[str, list[str]] = {}
    current = None
    for line in output.splitlines():
        if line.startswith("--"):
            current = blocks.setdefault(line[2:], [])
        elif current is not None:
            current.append(line)
    return blocks


@pytest.mark.parametrize("setup", SETUPS.values(), ids=SETUPS.keys())
def test_zsh_plugin_under_the_users_options(setup, aws_env, mfa_code, tmp_path):
    helper = write_helper(tmp_path / "bin")
    env = {**aws_env, "ASSUME_ROLE_COMMAND": str(helper)}
    script = SCRIPT.format(setup=setup, plugin=PLUGIN, code=mfa_code())
    # Not zsh -eu: the options under test are the script's own.
    result = subprocess.run(
        [require("zsh"), "-f", "-c", script], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=60,
    )
    result_blocks = _blocks(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""

    # The user's fpath, with the plugin's directory in front, and nothing lost.
    assert result_blocks["fpath"] == [str(PLUGIN.parent), *result_blocks["fpath-before"]]
    assert len(result_blocks["fpath-before"]) > 2
    assert result_blocks["options-changed"] == []
    assert set(result_blocks["hooks"][0].split()) >= {"_assume_role_precmd", "_assume_role_refresh"}

    assert result_blocks["assumed"] == ["production:read"]
    # RPROMPT as the prompt shows it, then assume_role_prompt_info.
    shown = [strip_ansi(line) for line in result_blocks["segment"]]
    assert len(shown) == 2 and all(line.startswith("production:read ") for line in shown), shown
    renewed, new_key = result_blocks["refresh"]
    assert renewed.startswith("assume-role: renewed production:read (") and new_key == "new-key"
    assert result_blocks["options-after-use"] == []
