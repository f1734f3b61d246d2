"""``west ota-keys``: a thin west adapter over the handlers of
``zephyr-ota keys`` (``zephyr_ota.cli.ota_keys_cmds``): ``init``, ``import``,
``show``, ``check``.

Help text comes from west-commands.yml (``help=""``); the description, the
subcommands and the exit codes come from the cli module, so both front ends
document the same thing.
"""

from __future__ import annotations

import argparse
from typing import Any

from zephyr_ota.cli import ota_keys_cmds
from zephyr_ota.west_ext.common import OtaWestCommand


class OtaKeys(OtaWestCommand):
    """``west ota-keys``: create, import, show and audit MCUboot keys."""

    def __init__(self) -> None:
        super().__init__("ota-keys",
                         "create, import, show and audit MCUboot signing and encryption keys",
                         ota_keys_cmds.DESCRIPTION)

    def do_add_parser(self, parser_adder: Any) -> argparse.ArgumentParser:
        parser = parser_adder.add_parser(
            self.name, help="", description=ota_keys_cmds.DESCRIPTION,
            epilog=ota_keys_cmds.EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
        ota_keys_cmds.add_keys_arguments(parser)
        return parser

    def do_run(self, args: argparse.Namespace, unknown: list[str]) -> None:
        self.run_handler(args.func, args)
