"""``zephyr-ota keygen``, ``getpub``, ``getpubhash``, ``getpriv``: the key commands.

Same option names and output forms as imgtool 2.5.0's commands of those
names. Only ``getpriv`` ever prints private material, and only when asked.
Private key files are written mode 0600, atomically; an existing key file is
never overwritten without ``--force`` (losing a signing key bricks updates).
Only argparse is imported here; the core loads inside the handlers.
"""

from __future__ import annotations

import argparse
import os
import re
import sys

KEY_TYPES = ("rsa-2048", "rsa-3072", "ecdsa-p256", "ecdsa-p384", "ed25519", "x25519")
PUB_ENCODINGS = ("lang-c", "lang-rust", "pem", "raw", "c", "rust")
HASH_ENCODINGS = ("lang-c", "raw")
PASSWORD_ENV = "ZEPHYR_OTA_KEY_PASSWORD"  # same as zephyr_ota.keys.PASSWORD_ENV


def _key_type(text: str) -> str:
    from zephyr_ota.keys.base import KeyType

    try:
        return KeyType.parse(text).value
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"unknown key type {text!r}: expected one of {', '.join(KEY_TYPES)}") from None


def _suffix(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_]*", text):
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected only [A-Za-z0-9_], it is appended to a C/Rust identifier")
    return text


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("keygen", help="generate a private key",
                              description="Generate a key pair into a PEM file (mode 0600).")
    p.add_argument("-k", "--key", metavar="FILE", required=True, help="private key file to write")
    p.add_argument("-t", "--type", metavar="TYPE", required=True, type=_key_type,
                   help=f"one of: {', '.join(KEY_TYPES)}")
    p.add_argument("-p", "--password", action="store_true",
                   help=f"encrypt the key with a password (from ${PASSWORD_ENV} or a prompt)")
    p.add_argument("--force", action="store_true", help="overwrite an existing key file")
    p.set_defaults(func=keygen)

    p = subparsers.add_parser("getpub", help="print a public key",
                              description="Print the public key of KEY (no private material).")
    p.add_argument("-k", "--key", metavar="FILE", required=True)
    p.add_argument("-e", "--encoding", choices=PUB_ENCODINGS,
                   help="lang-c (default; MCUboot's key source form), lang-rust, pem, raw")
    p.add_argument("-l", "--lang", choices=("c", "rust"), help="deprecated form of --encoding")
    p.add_argument("--name-suffix", metavar="SUFFIX", default="", type=_suffix,
                   help="append SUFFIX to the C/Rust symbol names")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    p.set_defaults(func=getpub)

    p = subparsers.add_parser("getpubhash", help="print the SHA-256 of a public key",
                              description="Print the SHA-256 of KEY's public key as MCUboot "
                              "hashes it (what the KEYHASH TLV holds).")
    p.add_argument("-k", "--key", metavar="FILE", required=True)
    p.add_argument("-e", "--encoding", choices=HASH_ENCODINGS, default="lang-c")
    p.add_argument("--name-suffix", metavar="SUFFIX", default="", type=_suffix)
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    p.set_defaults(func=getpubhash)

    p = subparsers.add_parser("getpriv", help="print a private key as a C array (explicit only)",
                              description="Print KEY's private key as MCUboot's enc_priv_key "
                              "C array, for building a bootloader that decrypts images. "
                              "This prints secret material.")
    p.add_argument("-k", "--key", metavar="FILE", required=True)
    p.add_argument("--minimal", action="store_true",
                   help="only the values needed to decrypt (smaller; needs a matching build)")
    p.add_argument("-f", "--format", choices=("openssl", "pkcs8"),
                   help="DER form: openssl (RSA default, SEC1 for EC) or pkcs8 (EC/X25519 default)")
    p.add_argument("-o", "--output", metavar="FILE", help="write here (mode 0600) instead of stdout")
    p.set_defaults(func=getpriv)


def _new_password() -> bytes:
    from zephyr_ota.errors import PasswordError

    value = os.environ.get(PASSWORD_ENV)
    if value:
        return value.encode()
    if not sys.stdin.isatty():
        raise PasswordError(f"--password: no password: ${PASSWORD_ENV} is not set and "
                            f"there is no terminal to ask on")
    import getpass

    first = getpass.getpass("New key password: ")
    if not first or first != getpass.getpass("Repeat password: "):
        raise PasswordError("--password: the passwords are empty or do not match")
    return first.encode()


def keygen(args: argparse.Namespace) -> int:
    from zephyr_ota.errors import InputError
    from zephyr_ota.fileio import write_private
    from zephyr_ota.keys import KeyType, generate_key

    if os.path.isdir(args.key):
        raise InputError(f"{args.key}: expected a key file name, found a directory")
    if os.path.exists(args.key) and not args.force:
        raise InputError(f"{args.key}: key file exists; not overwriting a key",
                         hint="remove it first or pass --force")
    password = _new_password() if args.password else None
    key = generate_key(KeyType(args.type))
    write_private(args.key, key.private_pem(password))
    return 0


def _output(args: argparse.Namespace, data: bytes, private: bool = False) -> None:
    if args.output:
        from zephyr_ota.fileio import atomic_write, write_private

        (write_private if private else atomic_write)(args.output, data)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()


def getpub(args: argparse.Namespace) -> int:
    from zephyr_ota.errors import UsageError
    from zephyr_ota.keys import emit, load_public_key

    if args.encoding and args.lang:
        raise UsageError("getpub: use only one of -e/--encoding or -l/--lang")
    encoding = {"c": "lang-c", "rust": "lang-rust"}.get(
        args.encoding or args.lang or "c", args.encoding)
    if args.name_suffix and encoding in ("pem", "raw"):
        raise UsageError("getpub: --name-suffix applies to lang-c and lang-rust only")
    pub = load_public_key(args.key)
    if encoding == "lang-c":
        data = emit.public_c(pub, args.name_suffix).encode()
    elif encoding == "lang-rust":
        data = emit.public_rust(pub, args.name_suffix).encode()
    elif encoding == "pem":
        data = pub.public_pem()
    else:
        data = pub.public_bytes()
    _output(args, data)
    return 0


def getpubhash(args: argparse.Namespace) -> int:
    from zephyr_ota.errors import UsageError
    from zephyr_ota.keys import emit, key_hash, load_public_key

    if args.name_suffix and args.encoding == "raw":
        raise UsageError("getpubhash: --name-suffix applies to lang-c only")
    pub = load_public_key(args.key)
    digest = key_hash(pub)
    data = emit.public_hash_c(pub, digest, args.name_suffix).encode() \
        if args.encoding == "lang-c" else digest
    _output(args, data)
    return 0


def getpriv(args: argparse.Namespace) -> int:
    from zephyr_ota.errors import UnsupportedError
    from zephyr_ota.keys import KeyType, emit, load_private_key

    key = load_private_key(args.key)
    kind = key.key_type
    if kind is KeyType.ED25519:
        raise UnsupportedError(f"{args.key}: getpriv dumps decryption keys; an ed25519 key "
                               f"only signs (use rsa-2048, ecdsa-p256 or x25519 to encrypt)")
    if kind in (KeyType.RSA2048, KeyType.RSA3072):
        if args.format == "pkcs8":
            raise UnsupportedError(f"{args.key}: RSA keys dump as -f openssl (PKCS#1) only")
        der = key.private_der(args.minimal)
    elif kind is KeyType.X25519:
        if args.format == "openssl":
            raise UnsupportedError(f"{args.key}: X25519 keys dump as -f pkcs8 only")
        der = key.private_der(args.minimal)
    else:
        der = key.private_der(args.minimal, args.format or "pkcs8")
    _output(args, emit.private_c(der).encode(), private=True)
    return 0
