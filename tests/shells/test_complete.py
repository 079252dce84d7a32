"""`assume-role __complete`: the candidates, their format per shell, and its cost in imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import PLUGIN_DIR, load_lines, run_strict
from test_help import PUBLIC

from assume_role.aws import regions
from assume_role.commands import complete



def complete_lines(env: dict[str, str], *args: str) -> list[str]:
    result = subprocess.run(
        [env["ASSUME_ROLE_COMMAND"], "__complete", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr
    return result.stdout.splitlines()


def test_first_word_offers_subcommands_and_aliases_with_ids(offline_env):
    lines = complete_lines(offline_env, "--shell", "zsh", "--", "")
    # zsh: a header per kind, then each value with its description aligned.
    groups = zsh_groups(lines)
    assert list(groups) == ["subcommand", "account"]
    # Padded to the longest value listed, subcommands included.
    width = max(len(value) for group in groups.values() for value, _ in group)
    assert ("production", f"{'production':{width}}  -- 111111111111") in groups["account"]
    assert ("sandbox", f"{'sandbox':{width}}  -- 012345678901") in groups["account"]
    assert [value for value, _ in groups["subcommand"]] == PUBLIC
    # zsh lists the groups one under the other: one column for every description.
    columns = {display.index(" -- ") for group in groups.values() for _, display in group if " -- " in display}
    assert len(columns) == 1, groups
    # Without --shell: three tab-separated fields.
    assert "account\tproduction\t111111111111" in complete_lines(offline_env, "--", "")



# What a person reads beside each subcommand in zsh's and fish's menus.
DESCRIBED = {
    "clear": "Remove the assumed role's variables from this shell",
    "init": "Print the shell integration for your rc file",
    "status": "Show the role assumed in this shell and the time left",
    "logout": "Forget stored MFA sessions and role credentials",
    "accounts": "List the accounts file, or sync it from AWS Organizations",
    "keys": "Keep the bastion's keys in the OS keyring, and rotate them",
    "demo": "Try the tool against a local AWS emulator",
    "exec": "Run one command as a role; this shell is not changed",
    "serve": "Serve roles to this shell from a local credential server",
    "credential-process": "Print credential_process JSON for an AWS config profile",
    "console": "Open the AWS console as a role",
    "help": "Show help",
}


def test_each_subcommand_is_offered_with_its_description(offline_env):
    assert list(DESCRIBED) == PUBLIC
    offered = [line.split("\t") for line in complete_lines(offline_env, "--", "") if line.startswith("subcommand\t")]
    assert {name: text for _, name, text in offered} == DESCRIBED
    groups = zsh_groups(complete_lines(offline_env, "--shell", "zsh", "--", ""))
    assert {value: display.split(" -- ", 1)[1] for value, display in groups["subcommand"]} == DESCRIBED

CASE_LIST = "m:{a-zA-Z}={A-Za-z}"  # oh-my-zsh's first matcher-list entry


@pytest.mark.parametrize(
    ("shell", "matcher", "typed", "expected"),
    [
        # zsh without a matcher-list, or trying its '' entry: prefixes only.
        ("zsh", "", "pr", ["pre-release", "production"]),
        ("zsh", "", "PROD", []),
        ("zsh", "", "duct", []),
        # A matcher that maps case: prefixes in any case.
        ("zsh", CASE_LIST, "PROD", ["production"]),
        ("zsh", "m:{a-z}={A-Z} m:{[:lower:]}={[:upper:]}", "Pr", ["pre-release", "production"]),
        # Anything else may match inside the alias: the typed characters in order.
        ("zsh", "r:|=*", "duct", ["production"]),
        ("zsh", "l:|=* r:|=*", "p-r", ["pre-release"]),
        ("zsh", f"{CASE_LIST} r:|[._-]=*", "pdn", ["production"]),
        # fish: prefix matches in any case when there are some, else fuzzy ones.
        ("fish", "", "prod", ["production"]),
        ("fish", "", "PROD", ["production"]),
        ("fish", "", "duct", ["production"]),
        ("fish", "", "pdn", ["production"]),
        ("fish", "", "p-r", ["pre-release"]),
        ("fish", "", "g", ["staging"]),
    ],
)
def test_zsh_and_fish_get_what_their_matching_could_show(offline_env, shell, matcher, typed, expected):
    Path(offline_env["ASSUME_ROLE_ACCOUNTS_FILE"]).write_text(
        json.dumps({"production": "111111111111", "pre-release": "222222222222", "staging": "333333333333"})
    )
    lines = complete_lines(offline_env, "--shell", shell, "--matcher", matcher, "--", typed)
    if shell == "fish":
        found = [line.split("\t")[0] for line in lines]
    else:
        found = [value for value, _ in zsh_groups(lines).get("account", [])]
    assert sorted(set(found) - set(complete.SUBCOMMANDS)) == expected


def test_one_table_decides_subcommands_for_tab_help_and_dispatch(offline_env):
    # Drop console from the table only: Tab stops offering it, --help stops
    # listing it, and the word becomes an account alias for the main command.
    driver = (
        "import sys\n"
        "from assume_role import subcommands\n"
        "subcommands.SUBCOMMANDS = tuple(e for e in subcommands.SUBCOMMANDS if e.name != 'console')\n"
        "del subcommands.BY_NAME['console']\n"
        "from assume_role import cli\n"
        "sys.exit(cli.main(sys.argv[1:]))\n"
    )

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", driver, *args], env=offline_env, capture_output=True, text=True, timeout=60
        )

    assert "subcommand\tconsole\tOpen the AWS console as a role" in complete_lines(offline_env, "--", "c")
    offered = run("__complete", "--", "c").stdout.splitlines()
    assert offered and not any(line.startswith("subcommand\tconsole") for line in offered), offered
    assert "\n  console [ACCOUNT ROLE]" in run_cli_help(offline_env)
    assert "\n  console [" not in run("--help").stdout
    unknown = run("--shell", "bash", "console", "read")
    assert unknown.returncode == 2 and unknown.stdout == ""
    assert "console" in unknown.stderr and "alias" in unknown.stderr, unknown.stderr


def run_cli_help(env: dict[str, str]) -> str:
    return subprocess.run([env["ASSUME_ROLE_COMMAND"], "--help"], env=env, capture_output=True, text=True, timeout=60).stdout


def zsh_groups(lines: list[str]) -> dict[str, list[tuple[str, str]]]:
    """The zsh format read back: per kind, (value, display) pairs."""
    groups, index = {}, 0
    while index < len(lines):
        kind, count = lines[index].split("\t")
        count = int(count)
        if kind == "hint":
            groups[kind] = [("", lines[index + 1])]
            index += 2
            continue
        values = lines[index + 1 : index + 1 + count]
        displays = lines[index + 1 + count : index + 1 + 2 * count]
        groups[kind] = list(zip(values, displays))
        index += 1 + 2 * count
    return groups


def test_digits_offer_account_ids(offline_env):
    lines = complete_lines(offline_env, "--shell", "fish", "--", "01")
    assert "012345678901\tsandbox" in lines
    assert "production\t111111111111" not in lines


def test_roles_from_accounts_file_and_history(offline_env):
    assert complete_lines(offline_env, "--shell", "fish", "--", "production", "") == [
        "read\tlisted in the accounts file",
        "admin\tlisted in the accounts file",
    ]
    # staging is a plain string in the accounts file: its roles come from history.
    assert complete_lines(offline_env, "--shell", "fish", "--", "staging", "") == ["deploy\tassumed before"]
    # An account id works as well as its alias.
    assert complete_lines(offline_env, "--shell", "bash", "--", "222222222222", "d") == ["deploy"]


def test_mfa_position_is_a_hint_only(offline_env):
    assert complete_lines(offline_env, "--shell", "zsh", "--", "production", "read", "") == [
        "hint\t1",
        complete.MFA_HINT,
    ]
    assert complete_lines(offline_env, "--shell", "bash", "--", "production", "read", "") == []


def test_regions_with_account_default_first(offline_env):
    lines = complete_lines(offline_env, "--shell", "fish", "--", "production", "read", "123456", "")
    assert lines[0] == "eu-west-1\tEurope (Ireland) (default for production)"
    assert len(lines) == len(regions.REGIONS)
    assert "us-east-1\tUS East (N. Virginia)" in lines


def test_options_and_shell_values(offline_env):
    options = complete_lines(offline_env, "--shell", "bash", "--", "--")
    assert {"--shell", "--refresh", "--unset", "--verbose", "--help", "--version"} <= set(options)
    assert complete_lines(offline_env, "--shell", "bash", "--", "--shell", "") == ["bash", "zsh", "fish"]
    assert complete_lines(offline_env, "--shell", "bash", "--", "--shell=f") == ["--shell=fish"]
    # Options do not count as positions: after them comes the account.
    assert "production" in complete_lines(offline_env, "--shell", "bash", "--", "-v", "--shell", "zsh", "pro")


@pytest.mark.parametrize("flag", ["--verbose", "-v", "--refresh", "--unset", "--help", "-h", "--version", "-V"])
def test_a_flag_takes_no_value_so_the_next_word_is_still_the_account(flag, offline_env):
    assert complete_lines(offline_env, "--shell", "bash", "--", flag, "production", "") == ["read", "admin"]


def test_subcommand_arguments(offline_env):
    assert complete_lines(offline_env, "--shell", "bash", "--", "init", "") == ["bash", "zsh", "fish", "starship"]
    assert complete_lines(offline_env, "--shell", "bash", "--", "init", "--") == ["--path"]
    assert complete_lines(offline_env, "--shell", "bash", "--", "status", "") == []


def test_keys_actions_and_their_profiles(offline_env, tmp_path):
    actions = complete_lines(offline_env, "--shell", "bash", "--", "keys", "")
    assert actions == ["add", "list", "remove", "rotate", "credential-process"]
    assert complete_lines(offline_env, "--shell", "bash", "--", "keys", "r") == ["remove", "rotate"]
    assert complete_lines(offline_env, "--shell", "bash", "--", "keys", "add", "--") == ["--from-credentials-file"]
    # add: the credentials file's profiles, by name only; the others: those in the keyring's index.
    credentials = tmp_path / "credentials"
    credentials.write_text("[default]\naws_access_key_id = AKIA0\n[ops]\nregion = x\n")
    env = {**offline_env, "AWS_SHARED_CREDENTIALS_FILE": str(credentials)}
    assert complete_lines(env, "--shell", "bash", "--", "keys", "add", "") == ["default", "ops"]
    state = Path(env["XDG_STATE_HOME"]) / "assume-role"
    state.mkdir(mode=0o700, parents=True, exist_ok=True)
    (state / "bastion-keys.json").write_text(json.dumps(
        {"bastion": {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "backend": "keyring.backends.SecretService.Keyring"}}
    ))
    (state / "bastion-keys.json").chmod(0o600)
    assert complete_lines(env, "--shell", "bash", "--", "keys", "rotate", "") == ["bastion"]
    assert complete_lines(env, "--", "keys", "remove", "") == ["profile\tbastion\tkeys AKIAIOSFODNN7EXAMPLE in the keyring"]


def test_after_double_dash_the_first_word_is_an_account(offline_env):
    # As the command reads it: `assume-role -- status read` names an alias.
    accounts = Path(offline_env["ASSUME_ROLE_ACCOUNTS_FILE"])
    accounts.write_text(json.dumps({"status": {"id": "111111111111", "roles": ["read"]}, "stage": "222222222222"}))
    assert complete_lines(offline_env, "--shell", "bash", "--", "sta") == ["status", "stage", "status"]
    assert complete_lines(offline_env, "--shell", "bash", "--", "--", "sta") == ["stage", "status"]
    assert complete_lines(offline_env, "--shell", "bash", "--", "-v", "--", "status", "") == ["read"]
    assert complete_lines(offline_env, "--shell", "bash", "--", "status", "") == []


def test_bash_output_is_filtered_by_prefix(offline_env):
    assert complete_lines(offline_env, "--shell", "bash", "--", "pr") == ["production"]
    assert complete_lines(offline_env, "--shell", "bash", "--", "production", "a") == ["admin"]


def test_broken_accounts_file_is_silent(offline_env):
    Path(offline_env["ASSUME_ROLE_ACCOUNTS_FILE"]).write_text("{not json")
    lines = complete_lines(offline_env, "--shell", "bash", "--", "")
    assert "init" in lines and "production" not in lines


def test_one_bad_entry_hides_nothing_else(offline_env):
    Path(offline_env["ASSUME_ROLE_ACCOUNTS_FILE"]).write_text(
        json.dumps({"good": "111111111111", "short": "123", "tab\there": "222222222222"})
    )
    lines = complete_lines(offline_env, "--shell", "bash", "--", "")
    assert "good" in lines and "short" not in lines
    # A value with a tab cannot travel in the line format: left out.
    assert not any("tab" in line for line in lines)


def _uid_without_a_passwd_entry() -> int:
    import pwd

    known = {entry.pw_uid for entry in pwd.getpwall()}
    return next(uid for uid in range(4242, 65000) if uid not in known)


def _homeless(offline_env) -> tuple[int, dict]:
    """A user the system has no entry for (a container's arbitrary uid), and an environment without HOME."""
    env = {name: value for name, value in offline_env.items()
           if name not in ("HOME", "ASSUME_ROLE_ACCOUNTS_FILE") and not name.startswith(("XDG_", "AWS_"))}
    env["PYTHONPATH"] = str(PLUGIN_DIR)
    return _uid_without_a_passwd_entry(), env


@pytest.mark.usefixtures("root")
def test_completion_without_a_home_offers_what_needs_no_file(offline_env):
    # Nowhere to look for the accounts file: Tab still completes the
    # subcommands, silently, as it does when the file cannot be used.
    uid, env = _homeless(offline_env)
    for typed, expected in (("cl", "clear\n"), ("pr", "")):
        result = subprocess.run(
            ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
             sys.executable, "-m", "assume_role", "__complete", "--shell", "bash", "--", typed],
            env=env, cwd="/", capture_output=True, text=True, timeout=60,
        )
        assert (result.returncode, result.stdout, result.stderr) == (0, expected, "")


@pytest.mark.usefixtures("root")
def test_the_main_command_without_a_home_says_so_in_one_line(offline_env):
    # The same user runs the main command: one line of ours, the usage exit code, nothing to evaluate.
    uid, env = _homeless(offline_env)
    result = subprocess.run(
        ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
         sys.executable, "-m", "assume_role", "--shell", "bash", "production", "read"],
        env=env, cwd="/", stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == ("assume-role: cannot find your home directory: set HOME (or ASSUME_ROLE_ACCOUNTS_FILE "
                             "and the XDG_* directories)\n")


def test_no_heavy_imports(offline_env):
    code = (
        "import sys\n"
        "from assume_role import cli\n"
        "cli.main(['__complete', '--shell', 'zsh', '--', 'production', ''])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'questionary', 'prompt_toolkit'))\n"
        "print('HEAVY', heavy)\n"
    )
    env = {**offline_env, "PYTHONPATH": str(PLUGIN_DIR)}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in result.stdout, result.stdout + result.stderr


def test_region_table_matches_botocore():
    # botocore is only read here, at test time: a new region should be added.
    import botocore

    data = json.loads((Path(botocore.__file__).parent / "data" / "endpoints.json").read_text())
    known = {
        code: region["description"]
        for partition in data["partitions"]
        if partition["partition"] in regions.PARTITIONS
        for code, region in partition["regions"].items()
    }
    assert set(known) <= set(regions.REGIONS), sorted(set(known) - set(regions.REGIONS))


# -- the bash completion function, driven the way readline drives it ---------------


def bash_complete(env: dict[str, str], line: str) -> list[str]:
    """COMPREPLY for the command line ``line`` with the cursor at its end."""
    words_script = (
        f"COMP_LINE={_sh_quote(line)}; COMP_POINT=${{#COMP_LINE}}\n"
        # readline's split: at blanks and at COMP_WORDBREAKS characters.
        "COMP_WORDBREAKS=$' \\t\\n\"\\'><=;|&(:'\n"
        "read -ra COMP_WORDS <<< \"${COMP_LINE//[=:]/ & }\"\n"
        "[[ $COMP_LINE == *' ' ]] && COMP_WORDS+=('')\n"
        "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
        "_assume_role_complete\n"
        "printf '%s\\n' \"${COMPREPLY[@]}\"\n"
    )
    result = run_strict("bash", load_lines("bash") + words_script, env=env)
    assert result.stderr == "", result.stderr
    return [line for line in result.stdout.splitlines() if line]


def _sh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def test_bash_function_completes_alias_and_role(offline_env):
    assert bash_complete(offline_env, "assume-role pro") == ["production"]
    assert bash_complete(offline_env, "assume-role production ") == ["read", "admin"]
    assert bash_complete(offline_env, "assume-role -v production ad") == ["admin"]


def test_bash_function_rejoins_word_breaks(offline_env):
    # bash hands over "--shell" "=" "f"; only the part after '=' is replaced.
    assert bash_complete(offline_env, "assume-role --shell=f") == ["fish"]
    Path(offline_env["ASSUME_ROLE_ACCOUNTS_FILE"]).write_text(json.dumps({"team:prod": "111111111111"}))
    assert bash_complete(offline_env, "assume-role team:p") == ["prod"]


def test_bash_function_quotes_odd_aliases(offline_env):
    Path(offline_env["ASSUME_ROLE_ACCOUNTS_FILE"]).write_text(json.dumps({"my prod": "111111111111"}))
    assert bash_complete(offline_env, "assume-role my") == ["my\\ prod"]


@pytest.mark.parametrize("with_package", [False, True], ids=["plain", "bash-completion"])
def test_bash_function_with_and_without_bash_completion(offline_env, with_package):
    package = Path("/usr/share/bash-completion/bash_completion")
    if with_package and not package.is_file():
        pytest.skip("the bash-completion package is not installed")
    prelude = f"set +eu; source {package}; set -eu\n" if with_package else ""
    script = prelude + load_lines("bash") + "complete -p assume-role\n"
    result = run_strict("bash", script, env=offline_env)
    assert result.stdout == "complete -F _assume_role_complete assume-role\n", result.stderr
