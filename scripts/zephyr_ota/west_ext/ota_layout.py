"""``west ota-layout``: a thin west adapter over ``zephyr-ota layout``
(``zephyr_ota.cli.layout_cmds``): the same arguments, handler and exit codes.

Help text comes from west-commands.yml (``help=""``); the description and
epilog come from the cli module, so both front ends document the same thing.
"""

from __future__ import annotations

import argparse
from typing import Any

from zephyr_ota.cli import layout_cmds
from zephyr_ota.west_ext.common import OtaWestCommand


class OtaLayout(OtaWestCommand):
    """``west ota-layout``: plan, check and render MCUboot partition layouts."""

    def __init__(self) -> None:
        super().__init__("ota-layout",
                         "plan, check and render MCUboot partition layouts from devicetree",
                         layout_cmds.DESCRIPTION)

    def do_add_parser(self, parser_adder: Any) -> argparse.ArgumentParser:
        parser = parser_adder.add_parser(
            self.name, help="", description=layout_cmds.DESCRIPTION,
            epilog=layout_cmds.EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
        layout_cmds.add_layout_arguments(parser)
        return parser

    def do_run(self, args: argparse.Namespace, unknown: list[str]) -> None:
        self.run_handler(layout_cmds.layout_handler, args)
