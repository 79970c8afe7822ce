"""The ``nadir`` command line.

``nadir`` alone opens an empty window; each sub-command lives in its own module in
:mod:`app.commands` and is found there, so adding one touches no other file. Wrong
arguments and missing paths give one clear line and a non-zero exit.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType

from app import commands, logs

logger = logging.getLogger(__name__)

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
WINDOW_COMMANDS = (None, "open", "demo")


class UsageError(Exception):
    """A problem with what the user asked for, shown as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"nadir: error: {message} (see 'nadir --help')\n")


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    """The parser and the command modules by name."""
    parser = _Parser(
        prog="nadir",
        description="Read oncology follow-up CT and MR side by side and measure "
        "lesions into a RECIST 1.1 lesion table.",
    )
    _add_global_options(parser, defaults=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    modules: dict[str, ModuleType] = {}
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        name = module.NAME
        module.add_parser(sub)
        modules[name] = module
    for name, subparser in sub.choices.items():
        # The global options are accepted after the sub-command too.
        _add_global_options(subparser, defaults=False, window=name in WINDOW_COMMANDS)
    return parser, modules


def _add_global_options(
    parser: argparse.ArgumentParser, defaults: bool, window: bool = True
) -> None:
    if window:
        parser.add_argument(
            "--screenshot",
            metavar="FILE",
            default=None if defaults else argparse.SUPPRESS,
            help="render the main window to FILE (PNG) once the case has loaded, "
            "then exit",
        )
    parser.add_argument(
        "--log-level",
        default="INFO" if defaults else argparse.SUPPRESS,
        type=str.upper,
        choices=LOG_LEVELS,
        help="how much goes to the log file (default INFO)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser, modules = build_parser()
    args = parser.parse_args(argv)
    try:
        logs.configure(args.log_level)
        if args.screenshot and args.command not in WINDOW_COMMANDS:
            raise UsageError(
                "--screenshot renders the window; use it with 'nadir', "
                "'nadir open' or 'nadir demo'"
            )
        if args.command is None:
            from app.gui import run_window

            return run_window([], screenshot=args.screenshot)
        return int(modules[args.command].run(args))
    except UsageError as error:
        print(f"nadir: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader piped the output into a pager that closed early.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
