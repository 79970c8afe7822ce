"""``nadir demo``: write the synthetic longitudinal demo case once, then open it.

The case goes into the user's data folder (or ``--dir``); a folder that already
holds a complete demo (its marker file) is reused as it is, so the images are
written only on the first run.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from app import paths
from app.cli import UsageError

logger = logging.getLogger(__name__)

NAME = "demo"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``nadir demo`` and its options."""
    parser = subparsers.add_parser(
        NAME,
        help="write the synthetic demo case (first run only) and open it",
        description="Write a synthetic longitudinal CT case (baseline, nadir and "
        "current study with lesions of known size) and open it.",
    )
    parser.add_argument(
        "--dir",
        metavar="DIR",
        type=Path,
        help="folder for the demo case (default: the demo folder in Nadir's data "
        "folder)",
    )
    parser.add_argument(
        "--no-window",
        action="store_true",
        help="only write the case and print where it is",
    )
    parser.add_argument(
        "--size",
        type=int,
        default=512,
        metavar="N",
        help="rows and columns of each slice (default 512; the field of view stays "
        "400 mm)",
    )
    parser.add_argument(
        "--slices",
        type=int,
        default=130,
        metavar="N",
        help="slices per series (default 130; the scan length stays 195 mm)",
    )


def run(args: argparse.Namespace) -> int:
    """Write the demo if needed, print its folder, then open the window."""
    from viewer.demo_case import COMPLETE_MARKER, is_complete, write_demo_case

    folder: Path = args.dir if args.dir is not None else paths.demo_dir()
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--dir {folder} is a file; give a folder for the demo case")
    if args.size < 32 or args.slices < 8:
        raise UsageError(
            f"--size {args.size} --slices {args.slices} is too small for the demo; "
            "use at least --size 32 --slices 8"
        )
    if (
        folder.is_dir()
        and any(folder.iterdir())
        and not (folder / COMPLETE_MARKER).exists()
    ):
        raise UsageError(
            f"--dir {folder} holds other files; give a new or empty folder for the "
            "demo case"
        )
    if is_complete(folder, args.size, args.slices):
        logger.info("demo case already written, reusing it")
    else:
        print(f"Writing the demo case into {folder} ...", flush=True)
        try:
            write_demo_case(folder, args.size, args.slices)
        except OSError as error:
            raise UsageError(
                f"cannot write the demo case into {folder}: {error.strerror}; "
                "choose another folder with --dir"
            ) from error
    print(f"Demo case: {folder}")
    if args.no_window:
        return 0

    from app.gui import run_window

    return int(run_window([folder], screenshot=args.screenshot))
