"""``west sign-ota`` and ``west ota-verify``: thin west adapters over the same
handlers as ``zephyr-ota sign-build`` / ``verify-build``
(``zephyr_ota.cli.build_cmds``), which call ``zephyr_ota.ops``.

Help text comes from west-commands.yml (``help=""``); the description and the
exit codes come from the cli module, so both front ends document the same
thing. With ``--json`` stdout carries only the JSON summary: west's ``inf``
(which prints on stdout) is sent to stderr for that run.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from west.commands import Verbosity

from zephyr_ota.cli import build_cmds
from zephyr_ota.west_ext.common import OtaWestCommand


class _JsonAwareCommand(OtaWestCommand):
    """Keeps stdout clean for ``--json``: informational output goes to stderr."""

    _json_mode = False

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

    def _parser(self, parser_adder: Any, description: str,
                epilog: str) -> argparse.ArgumentParser:
        return parser_adder.add_parser(
            self.name, help="", description=description, epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter)


class SignOta(_JsonAwareCommand):
    """``west sign-ota``: sign, check and package a Zephyr build for OTA."""

    def __init__(self) -> None:
        super().__init__("sign-ota",
                         "sign and encrypt a Zephyr build's images, write the factory "
                         "image and a signed OTA manifest",
                         build_cmds.SIGN_DESCRIPTION)

    def do_add_parser(self, parser_adder: Any) -> argparse.ArgumentParser:
        parser = self._parser(parser_adder, build_cmds.SIGN_DESCRIPTION, build_cmds.SIGN_EPILOG)
        build_cmds.add_sign_arguments(parser)
        return parser

    def do_run(self, args: argparse.Namespace, unknown: list[str]) -> None:
        self._json_mode = bool(args.json)
        self.run_handler(build_cmds.sign_build_handler, args)


class OtaVerify(_JsonAwareCommand):
    """``west ota-verify``: verify a signed build or manifest like a device."""

    def __init__(self) -> None:
        super().__init__("ota-verify",
                         "verify a build's OTA images and signed manifest the way the "
                         "device will",
                         build_cmds.VERIFY_DESCRIPTION)

    def do_add_parser(self, parser_adder: Any) -> argparse.ArgumentParser:
        parser = self._parser(parser_adder, build_cmds.VERIFY_DESCRIPTION,
                              build_cmds.VERIFY_EPILOG)
        build_cmds.add_verify_arguments(parser)
        return parser

    def do_run(self, args: argparse.Namespace, unknown: list[str]) -> None:
        self._json_mode = bool(args.json)
        self.run_handler(build_cmds.verify_build_handler, args)
