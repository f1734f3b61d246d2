"""``zephyr-ota sign``, ``verify`` and ``info``: the adapter over ``zephyr_ota.image``.

``sign`` takes the option names and meanings of ``imgtool sign`` (imgtool
2.5.0) so it can replace it in a script. ``add_sign_arguments`` and
``request_from_args`` are reusable by other adapters (the west command).
Only argparse is imported at module level; the core loads in the handlers.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def _int(text: str) -> int:
    """imgtool's BasedIntParamType: 0x/0o/0b prefixes or decimal."""
    try:
        return int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an integer (use 0x/0o/0b prefixes as needed)") from None


def add_sign_arguments(p: argparse.ArgumentParser) -> None:
    """``INFILE OUTFILE`` and every ``imgtool sign`` option."""
    p.add_argument("infile", metavar="INFILE", help="firmware: .bin, .hex or .elf")
    p.add_argument("outfile", metavar="OUTFILE", help="image: .hex for Intel HEX, else binary")
    add_sign_options(p)


def add_sign_options(p: argparse.ArgumentParser) -> None:
    """The ``imgtool sign`` options, same names, defaults and meanings (imgtool
    2.5.0 main.py), in groups; an adapter that finds its own files reuses these."""
    _signing_options(p.add_argument_group("signing"))
    _content_options(p.add_argument_group("image content"))
    _slot_options(p.add_argument_group("slot, padding and trailer"))
    _encryption_options(p.add_argument_group("encryption"))
    _output_options(p.add_argument_group("output and external signing"))


def _signing_options(g: argparse._ArgumentGroup) -> None:
    g.add_argument("-k", "--key", metavar="KEY",
                   help="private key file to sign with, a pkcs11: URI, or cmd:COMMAND (an "
                   "external signer: the digest on stdin, the signature on stdout)")
    g.add_argument("--signer-pubkey", metavar="FILE",
                   help="public key of a cmd: signer (its signatures are checked with it)")
    g.add_argument("--public-key-format", choices=("hash", "full"), default="hash",
                   help="put the key's hash (default) or the full key in the image")
    g.add_argument("--sha", choices=("auto", "256", "384", "512"), default="auto",
                   help="image hash (auto: the key's default)")
    g.add_argument("--pure", action="store_true",
                   help="Ed25519 signature over the image itself, not its hash")
    g.add_argument("--pad-sig", action="store_true",
                   help="pad ECDSA signatures to a fixed length (MCUboot < 1.5)")


def _content_options(g: argparse._ArgumentGroup) -> None:
    g.add_argument("-v", "--version", default="0.0.0", metavar="VERSION",
                   help="major.minor.revision+build (imgtool requires it; default 0.0.0)")
    g.add_argument("-H", "--header-size", type=_int, required=True, help="header size")
    g.add_argument("--pad-header", action="store_true",
                   help="prepend --header-size bytes for the header")
    g.add_argument("-s", "--security-counter", metavar="N|auto",
                   help="security counter, or auto (from the version)")
    g.add_argument("-d", "--dependencies", metavar="DEPS",
                   help='dependencies: "(IMAGE_ID, VERSION), ..."')
    g.add_argument("--custom-tlv", nargs=2, action="append", default=[], metavar=("TAG", "VALUE"),
                   help="protected vendor TLV; 0x-prefixed VALUE is hex, else text")
    g.add_argument("--custom-tlv-file", nargs=2, action="append", default=[],
                   metavar=("TAG", "FILE"), help="protected vendor TLV from a file's bytes")
    g.add_argument("--boot-record", metavar="SW_TYPE", help="CBOR measured-boot record TLV")
    g.add_argument("--vid", help="vendor UUID or domain name")
    g.add_argument("--cid", help="image class UUID or name")
    g.add_argument("-L", "--load-addr", type=_int, help="RAM load address")
    g.add_argument("-F", "--rom-fixed", type=_int, help="flash address the image is built for")
    g.add_argument("--non-bootable", action="store_true", help="mark the image non-bootable")
    g.add_argument("-e", "--endian", choices=("little", "big"), default="little",
                   help="byte order (only little is supported)")
    g.add_argument("--compression", choices=("disabled", "lzma2", "lzma2armthumb"),
                   default="disabled", help="not supported: refused unless disabled")


def _slot_options(g: argparse._ArgumentGroup) -> None:
    g.add_argument("-S", "--slot-size", type=_int, required=True,
                   help="slot size (the secondary slot's when sizes differ)")
    g.add_argument("--pad", action="store_true", help="pad to --slot-size, with trailer magic")
    g.add_argument("--confirm", action="store_true", help="pad and mark confirmed")
    g.add_argument("--test", action="store_true", help="pad and mark for a test swap")
    g.add_argument("--align", choices=("1", "2", "4", "8", "16", "32"), default="1",
                   help="flash write alignment used by the swap modes")
    g.add_argument("--max-align", choices=("8", "16", "32"),
                   help="maximum flash alignment when the slots' alignments differ")
    g.add_argument("-M", "--max-sectors", type=int,
                   help="sectors the trailer's swap status covers (default 128)")
    g.add_argument("--overwrite-only", action="store_true",
                   help="use overwrite-only instead of swap upgrades")
    g.add_argument("-R", "--erased-val", choices=("0", "0xff"),
                   help="value of erased flash (default 0xff)")


def _encryption_options(g: argparse._ArgumentGroup) -> None:
    g.add_argument("-E", "--encrypt", metavar="FILE",
                   help="encrypt for this public key (RSA-2048, EC P-256 or X25519)")
    g.add_argument("--encrypt-keylen", choices=("128", "256"), default="128",
                   help="AES key length")
    g.add_argument("-c", "--clear", action="store_true",
                   help="encrypted flag and key TLV but a plaintext body (primary slot image)")
    g.add_argument("--hmac-sha", choices=("auto", "256", "512"), default="auto",
                   help="HKDF/HMAC hash of ECIES-X25519")
    g.add_argument("--save-enctlv", action="store_true",
                   help="size the trailer for saved key TLVs (BOOT_SWAP_SAVE_ENCTLV)")


def _output_options(g: argparse._ArgumentGroup) -> None:
    g.add_argument("-x", "--hex-addr", type=_int, help="address of a .hex output")
    g.add_argument("--vector-to-sign", choices=("payload", "digest"),
                   help="write the payload or digest to sign instead of the image")
    g.add_argument("--fix-sig", metavar="FILE", help="base64 signature made elsewhere")
    g.add_argument("--fix-sig-pubkey", metavar="FILE", help="public key of --fix-sig")
    g.add_argument("--sig-out", metavar="FILE", help="write the signature, base64")


def request_from_args(args: argparse.Namespace) -> Any:
    """A ``SignRequest`` from parsed ``add_sign_arguments`` options."""
    from zephyr_ota.image.constants import DEFAULT_MAX_SECTORS
    from zephyr_ota.image.request import SignRequest
    from zephyr_ota.image.version import ImageVersion, parse_dependencies

    custom = _custom_tlvs(args) if args.custom_tlv or args.custom_tlv_file else []
    counter = args.security_counter
    if counter is not None and counter.lower() != "auto":
        counter = _int_option("-s/--security-counter", counter)
    elif counter is not None:
        counter = "auto"
    return SignRequest(
        slot_size=args.slot_size, header_size=args.header_size,
        version=ImageVersion.parse(args.version), pad_header=args.pad_header, pad=args.pad,
        confirm=args.confirm, test=args.test, align=int(args.align),
        max_align=int(args.max_align) if args.max_align else None,
        max_sectors=DEFAULT_MAX_SECTORS if args.max_sectors is None else args.max_sectors,
        overwrite_only=args.overwrite_only, load_addr=args.load_addr,
        rom_fixed=args.rom_fixed, hex_addr=args.hex_addr,
        erased_val=int(args.erased_val, 0) if args.erased_val else 0xFF,
        security_counter=counter,
        dependencies=parse_dependencies(args.dependencies) if args.dependencies else (),
        custom_tlvs=tuple(custom), boot_record=args.boot_record,
        public_key_format=args.public_key_format, sha=args.sha, pure=args.pure,
        hmac_sha=args.hmac_sha, encrypt_keylen=int(args.encrypt_keylen), clear=args.clear,
        save_enctlv=args.save_enctlv, non_bootable=args.non_bootable, vid=args.vid,
        cid=args.cid, vector_to_sign=args.vector_to_sign, pad_sig=args.pad_sig,
        endian=args.endian, compression=args.compression)


def _custom_tlvs(args: argparse.Namespace) -> list[Any]:
    """``--custom-tlv`` and ``--custom-tlv-file`` as TLVs, checked for repeats."""
    from zephyr_ota.fileio import read_input
    from zephyr_ota.image import protected as prot

    custom = [prot.parse_custom_tlv(tag, value) for tag, value in args.custom_tlv]
    custom += [prot.custom_tlv_from_bytes(tag, read_input(path, "TLV file"))
               for tag, path in args.custom_tlv_file]
    prot.check_unique(custom)
    return custom


def _int_option(option: str, text: str) -> int:
    from zephyr_ota.errors import UsageError

    try:
        return int(text, 0)
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not an integer") from None


def signer_from_args(args: argparse.Namespace) -> Any:
    """The signer: ``-k`` private key, ``--fix-sig`` + ``--fix-sig-pubkey``, or None."""
    from zephyr_ota.errors import InputError, UsageError
    from zephyr_ota.fileio import read_input
    from zephyr_ota.keys import load_public_key

    if args.fix_sig:
        import base64
        import binascii

        from zephyr_ota.image.build import FixedSignature

        if args.key:
            raise UsageError("-k and --fix-sig cannot be used together")
        if not args.fix_sig_pubkey:
            raise UsageError("--fix-sig needs --fix-sig-pubkey")
        try:
            sig = base64.b64decode(read_input(args.fix_sig, "signature file"), validate=False)
        except binascii.Error as e:
            raise InputError(f"{args.fix_sig}: expected a base64 signature") from e
        return FixedSignature(sig, load_public_key(args.fix_sig_pubkey))
    if args.fix_sig_pubkey:
        if not args.vector_to_sign:
            raise UsageError("--fix-sig-pubkey needs --fix-sig or --vector-to-sign")
        from zephyr_ota.image.build import FixedSignature

        # --vector-to-sign: the public key only decides the hash algorithm
        return FixedSignature(b"", load_public_key(args.fix_sig_pubkey))
    if not args.key:
        return None
    from zephyr_ota.keys.external import load_signer

    # a key file, a PKCS#11 URI (pkcs11:...) or a signer command (cmd:...)
    signer = load_signer(args.key, public_key=args.signer_pubkey)
    if not signer.public.key_type.can_sign:
        from zephyr_ota.errors import KeyFileError

        raise KeyFileError(f"{args.key}: {signer.public.key_type.value} keys cannot sign images",
                           hint="x25519 keys only encrypt; give it to -E")
    return signer


def _sign(args: argparse.Namespace) -> int:
    from zephyr_ota.firmware import detect_kind, load_firmware
    from zephyr_ota.image.build import Encryption, sign_image
    from zephyr_ota.keys import load_public_key

    request = request_from_args(args)
    signer = signer_from_args(args)
    if args.sig_out and (signer is None or request.vector_to_sign):
        from zephyr_ota.errors import UsageError

        raise UsageError("--sig-out: no signature is made without -k, or with --vector-to-sign")
    encryption = None
    if args.encrypt:
        encryption = Encryption(load_public_key(args.encrypt).crypto_key,  # type: ignore[attr-defined]
                                origin=args.encrypt)
    if detect_kind(args.infile) == "bin":  # streamed from the file, not read whole
        from zephyr_ota.firmware.binfile import open_bin

        firmware: Any = open_bin(args.infile)
    else:
        firmware = load_firmware(args.infile, erased_val=request.erased_val)
    result = sign_image(request, firmware, signer, args.outfile, encryption)
    if args.sig_out:
        _write_sig(args.sig_out, result.signature)
    if not args.quiet:
        print(_summary(result))
    return 0


def _write_sig(path: str, signature: bytes | None) -> None:
    import base64

    from zephyr_ota.fileio import atomic_write

    assert signature is not None  # checked before signing
    atomic_write(path, base64.b64encode(signature))


def _summary(result: Any) -> str:
    if result.vector:
        return f"{result.path}: the {result.vector} to sign ({result.image_size} bytes)"
    line = (f"{result.path}: version {result.header.version}, {result.image_size:#x} bytes, "
            f"{result.hash_alg.value} {result.digest.hex()}")
    if result.header.flags.encrypted:
        line += ", encrypted" if result.encrypted_body else ", encrypted flag, plaintext body"
    if result.padded:
        line += (f"; padded to slot {result.slot_size:#x} (trailer {result.trailer_size:#x}, "
                 f"{result.bytes_left:#x} bytes left)")
    return line


def _verify(args: argparse.Namespace) -> int:
    from zephyr_ota.errors import VerificationError
    from zephyr_ota.image.verify import verify_file
    from zephyr_ota.keys import load_private_key, load_public_key

    key = load_public_key(args.key) if args.key else None
    decrypt = load_private_key(args.decrypt_key).crypto_key if args.decrypt_key else None
    result = verify_file(args.image, key, decrypt)
    if not result:
        raise VerificationError(result.message)
    if not args.quiet:
        print(result.message)
    return 0


def _info(args: argparse.Namespace) -> int:
    from zephyr_ota.image.info import describe, format_text
    from zephyr_ota.image.parse import read_image

    info = describe(read_image(args.image))
    if args.json:
        import json

        json.dump(info, sys.stdout, indent=2)
        print()
    else:
        print(format_text(info))
    return 0


def add_parsers(subparsers: Any) -> None:
    sign = subparsers.add_parser(
        "sign", help="make a signed (and encrypted) MCUboot image, as imgtool sign does",
        description="Make an MCUboot image from firmware (.bin, .hex or .elf). Takes "
        "imgtool 2.5.0's sign options; those not supported are refused, never ignored.")
    add_sign_arguments(sign)
    sign.set_defaults(func=_sign)

    verify = subparsers.add_parser(
        "verify", help="check an image's structure, hash, key and signature",
        description="Check an image as MCUboot does. With --decrypt-key, decrypt an "
        "encrypted body and check the hash over the plaintext.")
    verify.add_argument("image", metavar="IMAGE", help="image file (.bin or .hex)")
    verify.add_argument("-k", "--key", metavar="KEY",
                        help="the signing key (public or private PEM)")
    verify.add_argument("--decrypt-key", metavar="PRIVKEY",
                        help="the device's private encryption key")
    verify.set_defaults(func=_verify)

    info = subparsers.add_parser("info", help="print an image's header, TLVs and trailer",
                                 description="Print an image's header, TLVs and trailer.")
    info.add_argument("image", metavar="IMAGE", help="image file (.bin or .hex)")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(func=_info)
