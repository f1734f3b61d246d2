"""What every zephyr-ota west command shares: log forwarding and the error door.

A west command here is a ``CommandSpec`` on an ``OtaWestCommand``:
``do_add_parser`` creates the parser (help text comes from west-commands.yml,
so ``help=""``) and lets the owning ``zephyr_ota.cli`` module add the same
arguments the ``zephyr-ota`` command has; ``do_run`` calls the same handler.
``OtaError`` becomes ``err`` + an indented ``Hint:`` + ``CommandError`` with
the error's exit code. With ``--json`` stdout carries only the JSON summary:
west's ``inf`` and ``dbg`` (which print on stdout) go to stderr for that run.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from west.commands import CommandError, Verbosity, WestCommand

from zephyr_ota.errors import OtaError


class _WestLogHandler(logging.Handler):
    """Sends the core's log records to the command's inf/wrn/err/dbg."""

    def __init__(self, cmd: WestCommand) -> None:
        super().__init__()
        self.cmd = cmd

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if record.levelno >= logging.ERROR:
            self.cmd.err(msg)
        elif record.levelno >= logging.WARNING:
            self.cmd.wrn(msg)
        elif record.levelno >= logging.INFO:
            self.cmd.inf(msg)
        else:
            self.cmd.dbg(msg)


@dataclass(frozen=True)
class CommandSpec:
    """A west command as its ``zephyr_ota.cli`` module defines it."""

    name: str
    help: str
    description: str
    epilog: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    handler: Callable[[argparse.Namespace], int] | None = None  # None: the subcommand's func


class OtaWestCommand(WestCommand):
    """Base of our west commands: run a ``zephyr_ota.cli`` handler under west."""

    spec: ClassVar[CommandSpec]
    _json_mode = False

    def __init__(self) -> None:
        super().__init__(self.spec.name, self.spec.help, self.spec.description)

    def do_add_parser(self, parser_adder: Any) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = parser_adder.add_parser(
            self.name, help="", description=self.spec.description, epilog=self.spec.epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter)
        self.spec.add_arguments(parser)
        return parser

    def do_run(self, args: argparse.Namespace, unknown: list[str]) -> None:
        self._json_mode = bool(getattr(args, "json", False))
        self.run_handler(self.spec.handler or args.func, args)

    def inf(self, *args: Any, colorize: bool = False, end: str = "\n") -> None:
        if self._json_mode:
            if self.verbosity >= Verbosity.INF:
                print(*args, end=end, file=sys.stderr)
        else:
            super().inf(*args, colorize=colorize, end=end)

    def dbg(self, *args: Any, level: Verbosity = Verbosity.DBG, end: str = "\n") -> None:
        if self._json_mode:
            if self.verbosity >= level:
                print(*args, end=end, file=sys.stderr)
        else:
            super().dbg(*args, level=level, end=end)

    def run_handler(self, handler: Callable[[argparse.Namespace], int],
                    args: argparse.Namespace) -> None:
        logger = logging.getLogger("zephyr_ota")
        saved = (logger.handlers[:], logger.propagate, logger.level)
        logger.handlers[:] = [_WestLogHandler(self)]
        logger.propagate = False
        logger.setLevel(logging.DEBUG if self.verbosity >= Verbosity.DBG else logging.INFO)
        try:
            status = int(handler(args) or 0)
        except OtaError as e:
            self.err(str(e))
            if e.hint:  # with the error on stderr: stdout may carry --json output
                print(f"  Hint: {e.hint}", file=sys.stderr)
            raise CommandError(e.exit_code) from None
        finally:
            logger.handlers[:], logger.propagate, _ = saved
            logger.setLevel(saved[2])
        if status:
            raise CommandError(status)
