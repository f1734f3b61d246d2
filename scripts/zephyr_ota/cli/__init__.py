"""The ``zephyr-ota`` console command: an adapter over ``zephyr_ota.ops``.

Each module in ``COMMAND_MODULES`` adds its subcommands with
``add_parsers(subparsers)`` and sets ``func`` (taking the parsed ``args`` and
returning an exit status) on each. Those modules import only argparse at top
level and the core inside ``func``, so ``--help`` and light commands stay fast.

Errors leave through one door: an ``OtaError`` becomes one line on stderr
(``zephyr-ota: error: ...`` plus an indented ``Hint:``) and its exit code;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence

from zephyr_ota import __version__

PROG = "zephyr-ota"

# Subcommand modules and the commands each adds, in --help order. The names
# let ``main`` build only the parser of the command being run: every run pays
# for building the parsers, and west commands for importing them.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "zephyr_ota.cli.image_cmds": ("sign", "verify", "info"),
    "zephyr_ota.cli.key_cmds": ("keygen", "getpub", "getpubhash", "getpriv"),
    "zephyr_ota.cli.ota_keys_cmds": ("keys",),
    "zephyr_ota.cli.build_cmds": ("sign-build", "verify-build"),
    "zephyr_ota.cli.layout_cmds": ("layout",),
}

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


class _LineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        prefix = {logging.WARNING: "warning: ", logging.ERROR: "error: "}.get(record.levelno, "")
        return f"{PROG}: {prefix}{record.getMessage()}"


def _command_in(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv`` (its first non-option word), if any."""
    for word in argv:
        if not word.startswith("-"):
            return word
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The full parser, or with ``command`` only that command's module's parsers."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Signed and encrypted MCUboot images, keys, partition layouts "
        "and release manifests for Zephyr.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    parser.add_argument("--debug", action="store_true", help="print debug messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    modules = [m for m, names in COMMAND_MODULES.items() if command in names]
    for name in modules or COMMAND_MODULES:
        importlib.import_module(name).add_parsers(sub)
    return parser


def setup_logging(quiet: bool = False, debug: bool = False) -> Callable[[], None]:
    """Forward the core's loggers (``zephyr_ota.*``) to stderr, one line each.

    Returns a function that puts the logger back as it was, so that ``main``
    called in-process (tests, scripts) leaves no handler behind.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LineFormatter())
    root = logging.getLogger("zephyr_ota")
    saved = (root.handlers[:], root.propagate, root.level)
    root.handlers[:] = [handler]
    root.propagate = False
    root.setLevel(logging.DEBUG if debug else logging.ERROR if quiet else logging.INFO)

    def restore() -> None:
        root.handlers[:], root.propagate = saved[0], saved[1]
        root.setLevel(saved[2])

    return restore


def report_error(err: Exception) -> None:
    """Print an OtaError as one line and its hint, nothing else."""
    print(f"{PROG}: error: {err}", file=sys.stderr)
    hint = getattr(err, "hint", None)
    if hint:
        print(f"  Hint: {hint}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    from zephyr_ota.errors import OtaError

    if argv is None:
        argv = sys.argv[1:]
    args = build_parser(_command_in(argv)).parse_args(argv)
    restore_logging = setup_logging(args.quiet, args.debug)
    try:
        return int(args.func(args) or 0)
    except OtaError as err:
        report_error(err)
        return err.exit_code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Whoever read our output stopped (``| head``): not an error to report.
        # Point stdout at /dev/null so the interpreter's final flush is quiet.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13  # as a shell reports a process ended by SIGPIPE
    finally:
        restore_logging()
