"""The ``coursekit`` command (also ``python -m coursekit``).

    coursekit doctor            check the environment, GPU and versions
    coursekit fetch [NAME ...]  download data sets ahead of time (all by default)
    coursekit data              list the data sets and whether each is ready
    coursekit mode              show the run mode and why it was picked
    coursekit progress          show which exercises you have passed, per day
    coursekit exercises         rewrite exercises/ from solutions/ (for course authors)
    coursekit grade DIR --out OUT  grade a folder of handed-in notebooks (instructors)

Each sub-command is one small function below; ``main`` only routes to it.
"""

from __future__ import annotations

import argparse
import sys


def cmd_doctor(args) -> int:
    from .environment import doctor

    report = doctor(tensorflow=not args.no_tensorflow, speed=not args.brief, verbose=False)
    print(report.to_text(brief=args.brief))
    return 0 if report else 1


def cmd_fetch(args) -> int:
    from .data import DataError, fetch

    try:
        fetch(args.names or None, root=args.root, mirror=args.mirror)
    except DataError as error:
        print(f"\n{error}", file=sys.stderr)
        return 1
    return 0


def cmd_data(args) -> int:
    from .data import status

    print(status(root=args.root))
    return 0


def cmd_mode(args) -> int:
    from .modes import run_mode

    try:
        print(run_mode())
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


def cmd_progress(args) -> int:
    from .progress import cmd_progress

    return cmd_progress(args)


def cmd_exercises(args) -> int:
    from .exercises import main

    return main(["--check"] * args.check + ["--execute"] * args.execute)


def cmd_grade(args) -> int:
    from .grading import cmd_grade

    return cmd_grade(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coursekit", description="Tools of the deep-learning course.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    doctor = commands.add_parser("doctor", help="check the environment, GPU and package versions")
    doctor.add_argument("--brief", action="store_true", help="show only problems and the summary; skip the speed test")
    doctor.add_argument("--no-tensorflow", action="store_true", help="skip the TensorFlow check (saves a few seconds)")
    doctor.set_defaults(run=cmd_doctor)

    fetch = commands.add_parser("fetch", help="download data sets ahead of time (all of them by default)")
    fetch.add_argument("names", nargs="*", help="data sets to fetch, e.g. mnist cifar10 (see `coursekit data`)")
    fetch.add_argument("--root", help="data folder (default: $COURSEKIT_DATA or the user cache)")
    fetch.add_argument("--mirror", help="base URL of a classroom mirror laid out like the data folder")
    fetch.set_defaults(run=cmd_fetch)

    data = commands.add_parser("data", help="list the data sets and whether each is ready")
    data.add_argument("--root", help="data folder (default: $COURSEKIT_DATA or the user cache)")
    data.set_defaults(run=cmd_data)

    mode = commands.add_parser("mode", help="show the run mode (fast, laptop or full) and why")
    mode.set_defaults(run=cmd_mode)

    progress = commands.add_parser("progress", help="show which exercises you have passed, per day")
    progress.add_argument("--reset", action="store_true", help="start over (the old file is kept as .bak)")
    progress.add_argument("--file", help="progress file (default: $COURSEKIT_PROGRESS or the user cache)")
    progress.set_defaults(run=cmd_progress)

    exercises = commands.add_parser("exercises", help="rewrite exercises/ from solutions/ (course authors)")
    exercises.add_argument("--check", action="store_true", help="change nothing; exit 1 if exercises/ is out of date")
    exercises.add_argument("--execute", action="store_true", help="rerun the solutions first to refresh compared outputs")
    exercises.set_defaults(run=cmd_exercises)

    from .grading import add_arguments as add_grade_arguments  # cheap: imports only argparse

    grade = commands.add_parser("grade", help="grade a folder of handed-in exercise notebooks (instructors)")
    add_grade_arguments(grade)
    grade.set_defaults(run=cmd_grade)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 0
    return args.run(args)
