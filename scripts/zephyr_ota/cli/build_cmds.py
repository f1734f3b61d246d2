"""``zephyr-ota sign-build`` and ``zephyr-ota verify-build``: a build directory
to checked, signed release files, and their verification.

The same arguments and handlers serve ``west sign-ota`` / ``west ota-verify``
(``zephyr_ota.west_ext.commands`` adds them to west's parser). Only argparse
is imported at top level; the core is imported inside the handlers.

Entry points: ``add_parsers(subparsers)``, ``add_sign_arguments(parser)``,
``add_verify_arguments(parser)``, ``sign_build_handler(args)``,
``verify_build_handler(args)``, ``SIGN_EPILOG``/``VERIFY_EPILOG`` (exit codes).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

SIGN_DESCRIPTION = """\
Read a Zephyr (sysbuild) build directory, resolve every imgtool parameter from
the build (header size, slot size, alignment, max sectors, version, keys,
upgrade mode) with command-line options and ota.yml taking precedence, check
that the bootloader will accept the result, and only then write the signed
images, the merged factory image, the signed OTA manifest and the DFU zip.
"""

SIGN_EPILOG = """\
outputs (in the application's zephyr/ folder, or --out-dir):
  zephyr.signed.bin/.hex        image for the primary slot (with encryption on:
                                encrypted flag and key TLV, plaintext payload)
  zephyr.signed.encrypted.bin   fully encrypted OTA image (encryption on only)
  merged.hex                    MCUboot + signed application (factory image)
  ota-manifest.json(.sig)       signed release manifest
  dfu_application.zip           nRF Connect Device Manager / mcumgr bundle

exit status:
  0  everything was checked and written
  1  a check refused the build or an input is wrong; nothing was written
  2  usage error: options missing or contradicting each other
  130 interrupted
"""

VERIFY_DESCRIPTION = """\
Verify a release the way a device-side agent would: the manifest's detached
signature over its raw bytes first, then every file it lists (size, SHA-256,
MCUboot image signature and hash, decryption with the device key when given),
and optionally that it does not roll back a previous manifest.
"""

VERIFY_EPILOG = """\
exit status:
  0  the manifest and every file verified
  1  a check failed or an input is wrong
  2  usage error
"""


def _int(text: str) -> int:
    """An integer in decimal or 0x-hex (sizes and offsets)."""
    try:
        return int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def _common_arguments(parser: argparse.ArgumentParser, build_default: str | None = "build") -> None:
    parser.add_argument("-d", "--build-dir", default=build_default, metavar="DIR",
                        help="build directory (default: build, as west build uses)")
    parser.add_argument("--json", action="store_true",
                        help="print a machine-readable summary on stdout")
    parser.add_argument("--previous", metavar="MANIFEST",
                        help="manifest of the previous release: refuse a lower version, "
                        "security counter or sequence number")


def add_sign_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``sign-build`` / ``west sign-ota`` arguments to ``parser``."""
    _common_arguments(parser)
    parser.add_argument("-o", "--out-dir", metavar="DIR",
                        help="where to write (default: the application's zephyr/ folder)")
    parser.add_argument("--config", metavar="OTA_YML",
                        help="ota.yml with project settings (default: ./ota.yml when present)")
    keys = parser.add_argument_group("keys")
    keys.add_argument("-k", "--key", metavar="KEY",
                      help="signing key: a key file, a pkcs11: URI or a signer command "
                      "(default: SB_CONFIG_BOOT_SIGNATURE_KEY_FILE)")
    keys.add_argument("--signer-pubkey", metavar="PUBKEY",
                      help="public key of a cmd: signer (default: the first key the "
                      "bootloader trusts)")
    keys.add_argument("-E", "--encrypt-key", metavar="PUBKEY",
                      help="encryption public key (default: SB_CONFIG_BOOT_ENCRYPTION_KEY_FILE)")
    keys.add_argument("--trusted-key", action="append", default=[], metavar="PUBKEY",
                      help="a key the bootloader trusts (repeatable); replaces the keys read "
                      "from MCUboot's configuration")
    keys.add_argument("--manifest-key", metavar="KEY",
                      help="Ed25519 or ECDSA P-256 key for the manifest signature "
                      "(default: the image signing key when it is one of those)")
    keys.add_argument("--release", action="store_true",
                      help="release build: refuse MCUboot's published development keys")
    image = parser.add_argument_group("image parameters (override the build)")
    image.add_argument("--version", dest="image_version", metavar="VERSION",
                       help="image version major.minor.revision+build")
    image.add_argument("--security-counter", metavar="N|auto",
                       help="security counter TLV value, or 'auto' (from the version)")
    image.add_argument("--header-size", type=_int, metavar="BYTES",
                       help="default: the application's CONFIG_ROM_START_OFFSET (must match it)")
    image.add_argument("--slot-size", type=_int, metavar="BYTES",
                       help="default: MCUboot's slot0_partition (slot2 for image 1, ...)")
    image.add_argument("--align", type=_int, choices=(1, 2, 4, 8, 16, 32), metavar="BYTES",
                       help="default: the flash's write-block-size")
    image.add_argument("--max-align", type=_int, choices=(8, 16, 32), metavar="BYTES",
                       help="default: BOOT_MAX_ALIGN, max(8, write-block-size)")
    image.add_argument("--max-sectors", type=_int, metavar="N",
                       help="default: MCUboot's CONFIG_BOOT_MAX_IMG_SECTORS (or the count "
                       "_AUTO gives)")
    image.add_argument("--mode", metavar="MODE",
                       help="upgrade mode: swap-using-move, swap-using-offset, "
                       "swap-using-scratch, overwrite-only, direct-xip, ram-load "
                       "(default: MCUboot's .config, else sysbuild's)")
    out = parser.add_argument_group("outputs")
    out.add_argument("--confirm", action="store_true",
                     help="mark the image in merged.hex as confirmed")
    out.add_argument("--tuf-targets", metavar="DIR",
                     help="also write TUF targets metadata for the images into DIR")
    out.add_argument("--allow-downgrade", action="store_true",
                     help="with --previous: warn instead of failing on a lower version")
    out.add_argument("--dry-run", action="store_true",
                     help="resolve and check everything, write nothing")


def add_verify_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``verify-build`` / ``west ota-verify`` arguments to ``parser``."""
    _common_arguments(parser, build_default=None)
    parser.add_argument("-m", "--manifest", metavar="FILE",
                        help="manifest to verify (default: ota-manifest.json in the build's "
                        "zephyr/ folder); its files are looked up next to it. With -d too, "
                        "the build still supplies the trusted keys")
    parser.add_argument("--manifest-key", action="append", default=[], metavar="PUBKEY",
                        help="public key trusted to sign the manifest (repeatable; default: "
                        "the build's signing key)")
    parser.add_argument("--key", action="append", default=[], metavar="PUBKEY",
                        help="public key trusted to sign images (repeatable; default: the "
                        "keys MCUboot trusts)")
    parser.add_argument("--decrypt-key", "--device-key", dest="decrypt_key", metavar="KEY",
                        help="the device's private encryption key: decrypt encrypted images "
                        "and check their image hash")


def add_parsers(subparsers: Any) -> None:
    """Add ``sign-build`` and ``verify-build`` to the ``zephyr-ota`` command."""
    sign = subparsers.add_parser(
        "sign-build", help="sign a Zephyr build: images, factory hex, manifest, DFU zip",
        description=SIGN_DESCRIPTION, epilog=SIGN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_sign_arguments(sign)
    sign.set_defaults(func=sign_build_handler)
    verify = subparsers.add_parser(
        "verify-build", help="verify a signed build or release manifest like a device",
        description=VERIFY_DESCRIPTION, epilog=VERIFY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_verify_arguments(verify)
    verify.set_defaults(func=verify_build_handler)


def sign_build_handler(args: argparse.Namespace) -> int:
    """Run ``ops.sign_build`` for parsed arguments; summary on stderr, JSON on stdout."""
    from zephyr_ota.ops.requests import sign_request_from_args
    from zephyr_ota.ops.sign_build import sign_build
    from zephyr_ota.ops.summary import render_sign_summary, sign_summary_json

    result = sign_build(sign_request_from_args(vars(args)))
    print(render_sign_summary(result), file=sys.stderr)
    if args.json:
        print(sign_summary_json(result))
    return 0


def verify_build_handler(args: argparse.Namespace) -> int:
    """Run ``ops.verify_build``; a failed check raises ``VerificationError`` (exit 1)."""
    from zephyr_ota.ops.requests import verify_request_from_args
    from zephyr_ota.ops.summary import render_verify_summary, verify_summary_json
    from zephyr_ota.ops.verify_build import verify_build

    result = verify_build(verify_request_from_args(vars(args)))
    print(render_verify_summary(result), file=sys.stderr)
    if args.json:
        print(verify_summary_json(result))
    return 0
