"""What every zephyr-ota west command shares: log forwarding and the error door.

A west command here is a thin ``WestCommand``: ``do_add_parser`` creates the
parser (help text comes from west-commands.yml, so ``help=""``) and lets the
matching ``zephyr_ota.cli`` module add the same arguments the ``zephyr-ota``
command has; ``do_run`` calls the same handler. ``OtaError`` becomes
``err`` + an indented ``Hint:`` + ``CommandError`` with the error's exit code.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable

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


class OtaWestCommand(WestCommand):
    """Base of our west commands: run a ``zephyr_ota.cli`` handler under west."""

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
