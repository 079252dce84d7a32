"""The argparse pieces every assume-role parser shares.

Apart from ``assume_role.cli`` so that a run which builds no parser (the
shell plugins' ``__complete``, on every Tab) does not import argparse, which
costs more than everything else such a run imports.
"""

from __future__ import annotations

import argparse
import os
import sys

from assume_role import errors


class Parser(argparse.ArgumentParser):
    """argparse that fails with one line and prints help where people read it.

    ``output`` is the main command's ``cli._Output``: help and version text
    go where it points, never to the eval channel.
    """

    def __init__(self, *args, output=None, **kwargs):
        super().__init__(*args, allow_abbrev=False, **kwargs)
        self.output = output

    def _print_message(self, message, file=None):
        if not message:
            return
        if file in (None, sys.stdout) and self.output is not None:
            # Help and version: text for people, never the eval channel.
            self.output.for_people()
            file = sys.stdout
        (file or sys.stderr).write(message)

    def error(self, message):
        raise errors.UsageError(f"{message} (see assume-role --help)")


class _Once(argparse.Action):
    """An option that may be given only once.

    The shell plugins pass --shell and --output-fd themselves; the same
    option typed again by the user must not change what is evaluated.
    """

    def __call__(self, parser, namespace, values, option_string=None):
        if getattr(namespace, self.dest, None) is not None:
            parser.error(f"{option_string} given more than once")
        setattr(namespace, self.dest, values)


def _descriptor(text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(f"not a file descriptor: {text!r}")
    fd = int(text)
    if fd < 2:
        raise argparse.ArgumentTypeError("must be 2 or more (0 is input, 1 carries the code)")
    try:
        os.fstat(fd)
    except OSError:
        raise argparse.ArgumentTypeError(f"{fd} is not open") from None
    return fd


def output_options(parser: argparse.ArgumentParser) -> None:
    """The options that decide where output goes, shared by the main command's parsers."""
    parser.add_argument(
        "--shell",
        choices=["bash", "zsh", "fish", "sh"],
        action=_Once,
        help="syntax of the printed code (default: the calling shell); stdout then carries only code",
    )
    # For the shell plugins: with --shell, text for people (status, help,
    # init, the demo) goes to this descriptor instead of stderr.
    parser.add_argument("--output-fd", type=_descriptor, action=_Once, metavar="FD", help=argparse.SUPPRESS)
