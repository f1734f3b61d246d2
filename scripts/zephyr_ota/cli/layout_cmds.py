"""``zephyr-ota layout``: plan, check, migrate and render MCUboot partition layouts.

The same arguments and handler serve ``west ota-layout``
(``zephyr_ota.west_ext.commands``). Only argparse is imported at top level;
the core (devicetree reader, planner, checks, Partition Manager import) and
the renderer are imported inside the handler.

Entry points: ``add_parsers(subparsers)``, ``add_layout_arguments(parser)``,
``layout_handler(args) -> int``, ``DESCRIPTION``, ``EPILOG``.
"""

from __future__ import annotations

import argparse
from typing import Any

MODES = ("swap-using-scratch", "swap-using-move", "swap-using-offset", "overwrite-only",
         "direct-xip", "ram-load", "firmware-loader")

DESCRIPTION = """\
Plan MCUboot partitions for a board's devicetree (a build's zephyr.dts, a
board .dts with /include/s resolved, or -d BUILD_DIR), check an existing
layout against a mode's rules (--check), or migrate a Partition Manager
pm_static.yml / partitions.yml (--from-pm). Writes the application overlay
(boards/<board>.overlay), MCUboot's overlay (sysbuild/mcuboot.overlay),
Kconfig fragments (sysbuild.conf, sysbuild/mcuboot.conf,
ota-layout.conf), a text report and an SVG flash map to --out-dir, and prints
the maximum image size the bootloader accepts. Every default taken is printed
with its reason.
"""

EPILOG = """\
exit status:
  0  planned and written, or --check found no error
  1  the layout breaks a rule (every violation is listed with node, problem
     and fix), or an input is wrong; nothing is written
  2  usage error
"""


def _int(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a size >= 0, got {text}")
    return value


def add_parsers(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "layout", help="plan, check and render MCUboot partition layouts from devicetree",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_layout_arguments(parser)


def add_layout_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``zephyr-ota layout`` and ``west ota-layout``."""
    parser.add_argument("dts", nargs="?", metavar="DTS",
                        help="devicetree: a build's zephyr.dts or a board .dts")
    parser.add_argument("-d", "--build-dir", metavar="DIR",
                        help="read the devicetree and MCUboot's .config from a build directory")
    parser.add_argument("--mode", choices=MODES,
                        help="MCUboot upgrade mode (default: the build's, else swap-using-offset)")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--check", action="store_true",
                        help="check the devicetree's layout against --mode; write nothing")
    action.add_argument("--from-pm", metavar="FILE",
                        help="migrate a Partition Manager pm_static.yml or partitions.yml")
    parser.add_argument("--style", choices=("auto", "fixed", "mapped"), default="auto",
                        help="partition style to write (default: the board's)")
    parser.add_argument("-o", "--out-dir", metavar="DIR", default="ota-layout",
                        help="where to write (default: ./ota-layout)")
    parser.add_argument("--geometry", metavar="YAML",
                        help="flash geometry the devicetree cannot give (sector maps, external NOR)")
    parser.add_argument("--board", help="board name for overlay file names "
                        "(default: the build's BOARD, else the devicetree file's name)")
    parser.add_argument("--images", type=int, default=1, metavar="N", help="image pairs (default 1)")
    parser.add_argument("--bootloader-size", type=_int, metavar="BYTES")
    parser.add_argument("--signature", default="ecdsa-p256",
                        choices=("none", "ed25519", "ecdsa-p256", "ecdsa-p384", "rsa-2048",
                                 "rsa-3072"),
                        help="MCUboot's signature type; sizes the default boot partition")
    parser.add_argument("--storage-size", type=_int, metavar="BYTES", help="0 for none")
    parser.add_argument("--scratch-size", type=_int, metavar="BYTES")
    parser.add_argument("--loader-size", type=_int, metavar="BYTES", default=0,
                        help="firmware-loader: size of the loader slot (slot1)")
    parser.add_argument("--secondary-flash", metavar="NODE",
                        help="flash (node path or label) for the secondary slots, e.g. external NOR")
    parser.add_argument("--encrypt", choices=("none", "aes128", "aes256"), default="none",
                        help="image encryption (trailer key fields; scratch stays internal)")
    parser.add_argument("--max-sectors", type=int, metavar="N",
                        help="CONFIG_BOOT_MAX_IMG_SECTORS (default: AUTO, from the slots)")
    parser.add_argument("--header-size", type=_int, default=0x200, metavar="BYTES",
                        help="image header size, CONFIG_ROM_START_OFFSET (default 0x200)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    parser.set_defaults(func=layout_handler)


def layout_handler(args: argparse.Namespace) -> int:
    import json
    import sys

    from zephyr_ota.layout import command

    req = command.LayoutCommand(
        dts=args.dts, build_dir=args.build_dir, mode=args.mode, check=args.check,
        from_pm=args.from_pm, style=args.style, out_dir=args.out_dir, geometry=args.geometry,
        board=args.board, images=args.images, bootloader_size=args.bootloader_size,
        signature=args.signature, storage_size=args.storage_size,
        scratch_size=args.scratch_size, loader_size=args.loader_size,
        secondary_flash=args.secondary_flash, encrypt=args.encrypt,
        max_sectors=args.max_sectors, header_size=args.header_size)
    outcome = command.run(req)
    if args.json:
        json.dump(outcome.summary, sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
    else:
        sys.stdout.write("".join(f"{line}\n" for line in outcome.lines))
    return outcome.exit_code
