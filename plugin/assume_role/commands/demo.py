"""``assume-role demo``: the tool doing its real job, with no AWS account at hand.

It starts the local AWS emulator (moto behind the strict layer that enforces
MFA codes and session rules), seeds a bastion account with an IAM user, keys
and a virtual MFA device, and the accounts ``production`` and ``staging``
with the roles ``read`` and ``admin``, and writes a sandbox AWS config,
credentials and accounts file.

In a terminal it then opens the user's shell (bash, zsh or fish) with the
plugin loaded and the sandbox as its environment, prints an MFA code to type,
and cleans up when that shell exits. Without a terminal it runs a scripted
walkthrough instead and prints every step with its result.

The emulator and the demo's world are the lab, a separate distribution
(``assume-role-lab``, in ``lab/`` of the repository, installed by the ``demo``
extra): this module is the only one that imports it, and only once the demo
really runs. Imports stay light until then: ``cli`` imports this module for
``assume-role demo --help`` too.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys

from assume_role.errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE

SHELLS = ("bash", "zsh", "fish")

DESCRIPTION = """\
Try assume-role against a local AWS emulator: no AWS account is needed, and
your own ~/.aws is never read or written.

In a terminal, this opens your shell (bash, zsh or fish) with the plugin
loaded and a sandbox AWS setup, and prints an MFA code to use. Leaving that
shell stops the emulator and deletes the sandbox. Without a terminal (or with
--walkthrough) it runs a scripted walkthrough and prints each step.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assume-role demo", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shell", choices=SHELLS, help="the shell to open (default: the one you are using)")
    parser.add_argument(
        "--walkthrough", action="store_true", help="run the scripted walkthrough even in a terminal"
    )
    return parser


def choose_shell(requested: str | None = None) -> str:
    """The requested shell, else the calling one, else $SHELL, else bash."""
    if requested:
        if not shutil.which(requested):
            raise LookupError(f"{requested} is not installed")
        return requested
    from assume_role.shell.emitters import calling_shell

    for name in (calling_shell(), os.path.basename(os.environ.get("SHELL", ""))):
        if name in SHELLS and shutil.which(name):
            return name
    return "bash"


def _has_terminal() -> bool:
    try:
        return os.isatty(0) and os.isatty(1)
    except (OSError, ValueError):
        return False


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if importlib.util.find_spec("assume_role_lab") is None:
        print(
            "assume-role demo: the local AWS emulator is not installed: "
            "pip install 'assume-role[demo]', or in a checkout run `bash .ci/venv demo assume-role demo`",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        shell = choose_shell(args.shell)
    except LookupError as exc:
        print(f"assume-role demo: {exc}", file=sys.stderr)
        return EXIT_USAGE
    walkthrough = args.walkthrough or not _has_terminal()

    from assume_role_lab.demo.lab import Lab
    from assume_role_lab.demo.terminal import Stop, stop_signals

    def say(text: str) -> None:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except OSError:  # the terminal is gone: carry on to the cleanup
            pass

    def progress(message: str) -> None:
        if not walkthrough:  # the walkthrough reports these steps itself
            say(f"assume-role demo: {message}...\n")

    lab = None
    try:
        with stop_signals():
            if walkthrough:
                why = "as asked" if args.walkthrough else "no terminal to open a shell on"
                say(f"assume-role demo: a scripted walkthrough in {shell} ({why})\n")
            lab = Lab.start(progress=progress)
            if walkthrough:
                return _walkthrough(lab, shell, say)
            # The shell runs with its own handlers for these signals, and
            # Stop covers the moments before and after it.
            return _interactive(lab, shell, say)
    except Stop as stop:
        say(f"\nassume-role demo: stopped by {stop}\n")
        return 128 + stop.signum
    except KeyboardInterrupt:
        say("\nassume-role demo: interrupted\n")
        return EXIT_INTERRUPTED
    except RuntimeError as exc:  # the emulator did not start
        say(f"assume-role demo: {exc}\n")
        return EXIT_FAILURE
    finally:
        if lab is not None:
            lab.close()
            say(f"assume-role demo: emulator stopped, sandbox {lab.root} removed\n")


def _walkthrough(lab, shell: str, say) -> int:
    from assume_role_lab.demo import walkthrough

    passed = walkthrough.run(lab, shell, say)
    say("\n" + ("All steps passed." if passed else "The walkthrough failed.") + "\n")
    return 0 if passed else EXIT_FAILURE


def _interactive(lab, shell: str, say) -> int:
    from assume_role_lab.demo import shells
    from assume_role_lab.demo.terminal import run_shell

    argv, env = shells.interactive(shell, lab)
    say(banner(lab, shell, lab.mfa_code()))
    stopped = run_shell(argv, env, cwd=os.getcwd())
    return 128 + stopped if stopped else 0


def banner(lab, shell: str, code: str) -> str:
    world = lab.world
    accounts = ", ".join(f"{alias} ({account_id})" for alias, account_id in world.accounts.items())
    rows = [
        ("emulator", f"{lab.emulator.endpoint} (process {lab.emulator.process.pid})"),
        ("bastion", f"account {world.bastion_account_id}, IAM user {world.user_name}, MFA device {world.mfa_serial}"),
        ("accounts", f"{accounts}; roles {' and '.join(world.roles)}"),
        ("sandbox", f"{lab.root} (HOME and every AWS file; your ~/.aws is not used)"),
    ]
    tries = [
        (f"assume-role production read {code}", f"MFA code {code} works once"),
        ("assume-role staging admin", "no code: the MFA session is reused"),
        ("assume-role status", "what is assumed, for how long"),
        ("assume-role exec production read -- assume-role status", "one command as another role"),
        ("assume-role console --print", "a console sign-in URL, no code"),
        ("assume-role keys add --from-credentials-file", "the bastion's keys into a keyring (a sandbox file)"),
        ("assume-role keys rotate", "a new key stored, the old one deleted at AWS"),
        ("assume-role <Tab>", "completes accounts, then roles"),
        ("demo-mfa-code", "prints a fresh MFA code"),
        ("exit", "stops the emulator, deletes the sandbox"),
    ]
    width = max(len(command) for command, _ in tries)
    lines = ["", "assume-role demo: a local AWS to try the tool against", ""]
    lines += [f"  {name:9} {value}" for name, value in rows]
    lines += ["", f"Opening {shell} with the plugin loaded (as `assume-role init {shell}` prints it). Try:", ""]
    lines += [f"  {command:{width}}   {comment}" for command, comment in tries]
    return "\n".join(lines) + "\n\n"
