"""``zephyr-ota keys init|import|show|check``: a project's MCUboot keys.

The same arguments and handlers serve ``west ota-keys``
(``zephyr_ota.west_ext.commands`` adds them to west's parser). Only argparse
is imported at top level; the core is imported inside the handlers.

Entry points: ``add_parsers(subparsers)``, ``add_keys_arguments(parser)``,
the handlers ``init_handler``, ``import_handler``, ``show_handler``,
``check_handler``, and ``render_fragments(facts, sysbuild, out_dir)``
(``zephyr_ota.render.render_template`` over ``templates/keys/*.j2``; an
adapter concern: the core never imports jinja2).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger("zephyr_ota.cli.keys")

DESCRIPTION = """\
Create, import, show and audit the keys MCUboot checks images with.
Keys live in a keys directory outside the source tree (default
$ZEPHYR_OTA_KEYS_DIR/<project> or $XDG_DATA_HOME/zephyr-ota/keys/<project>,
i.e. ~/.local/share/zephyr-ota/keys/<project>); private files are mode 0600.
'init' and 'import' also write the Kconfig fragment that wires the keys into
the build (SB_CONFIG_BOOT_* for sysbuild; CONFIG_MCUBOOT_* + MCUboot's
CONFIG_BOOT_* without sysbuild). ota.yml (in the current directory, or
--config) provides defaults; options override it.
"""

EPILOG = """\
exit status:
  0  done (check: no errors; warnings may have been printed)
  1  a check failed (with --release or release: true, MCUboot's published keys
     and world-readable private keys are errors) or an input is wrong
  2  usage error
"""

SIGNING_TYPES = ("rsa-2048", "rsa-3072", "ecdsa-p256", "ed25519")
ENCRYPTION_TYPES = ("rsa-2048", "ecdsa-p256", "x25519")


def add_parsers(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "keys", help="create, import, show and audit MCUboot signing and encryption keys",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_keys_arguments(parser)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--keys-dir", metavar="DIR", help="the keys directory")
    parser.add_argument("--config", metavar="OTA_YML",
                        help="project configuration (default: ./ota.yml when present)")


def _fragment_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-sysbuild", action="store_true",
                        help="write CONFIG_MCUBOOT_*/CONFIG_BOOT_* fragments for builds "
                        "without sysbuild")
    parser.add_argument("--aes-bits", type=int, choices=(128, 256),
                        help="image encryption AES key size (default 128)")
    parser.add_argument("--fragment-dir", metavar="DIR",
                        help="where to write the configuration fragments (default: keys dir)")
    parser.add_argument("--force", action="store_true",
                        help="allow a keys dir inside a git work tree; replace existing keys")


def add_keys_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``keys`` subcommands, for ``zephyr-ota keys`` and ``west ota-keys``."""
    sub = parser.add_subparsers(dest="keys_command", metavar="SUBCOMMAND")
    sub.required = True
    _add_init(sub)
    _add_import(sub)
    show = sub.add_parser("show", help="print public keys and key hashes (never private "
                          "material)", formatter_class=argparse.RawDescriptionHelpFormatter)
    _common(show)
    show.add_argument("--project", help="project name for the default keys dir")
    show.add_argument("files", nargs="*", metavar="KEY", help="key files (default: the store)")
    show.set_defaults(func=show_handler)
    _add_check(sub)


def _add_init(sub: Any) -> None:
    init = sub.add_parser("init", help="create a signing (and encryption) key pair",
                          formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG)
    _common(init)
    init.add_argument("--project", help="project name (default: ota.yml project, else the "
                      "current directory's name)")
    init.add_argument("-t", "--type", choices=SIGNING_TYPES,
                      help="signing key type (default: ota.yml, else ecdsa-p256)")
    init.add_argument("--encrypt", action="store_true",
                      help="also create the encryption key pair MCUboot pairs with --type")
    init.add_argument("--enc-type", choices=ENCRYPTION_TYPES,
                      help="encryption key type (implies --encrypt; must suit --type)")
    init.add_argument("--password", action="store_true",
                      help="protect the private keys with a password "
                      "($ZEPHYR_OTA_KEY_PASSWORD, else asked)")
    _fragment_options(init)
    init.set_defaults(func=init_handler)


def _add_import(sub: Any) -> None:
    imp = sub.add_parser("import", help="add existing PEM keys (password-protected too)",
                         formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG)
    _common(imp)
    imp.add_argument("--project", help="project name for the default keys dir")
    imp.add_argument("--signing", metavar="PEM", help="private signing key")
    imp.add_argument("--encryption", metavar="PEM", help="private encryption key")
    imp.add_argument("--trusted", metavar="PEM", action="append", default=[],
                     help="another key MCUboot should trust (only its public half is "
                     "stored; for key rotation); repeatable")
    _fragment_options(imp)
    imp.set_defaults(func=import_handler)


def _add_check(sub: Any) -> None:
    check = sub.add_parser("check", help="audit keys of a build directory or configuration",
                           formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG)
    _common(check)
    check.add_argument("--project", help="project name for the default keys dir")
    check.add_argument("-d", "--build-dir", metavar="DIR", help="Zephyr build directory")
    check.add_argument("--key", metavar="PEM|URI",
                       help="the signing key to check (a file or a pkcs11: URI)")
    check.add_argument("--encryption-key", metavar="PEM", help="the encryption key to check")
    check.add_argument("--trusted", metavar="PEM", action="append", default=[],
                       help="MCUboot's trusted keys in order, when no build dir says")
    check.add_argument("--signature-type", choices=SIGNING_TYPES,
                       help="MCUboot's signature type, when no build dir says")
    check.add_argument("--release", action="store_true",
                       help="release build: published keys and readable private keys fail")
    check.set_defaults(func=check_handler)


# -- shared resolution ------------------------------------------------------

def _config(args: argparse.Namespace, check_files: bool = False) -> Any:
    from zephyr_ota.config import find_ota_config, load_ota_config

    path = Path(args.config) if args.config else find_ota_config(Path.cwd())
    return load_ota_config(path, check_files=check_files) if path else None


def _keys_dir(args: argparse.Namespace, config: Any) -> Path:
    from zephyr_ota.keys.store import default_keys_dir

    if args.keys_dir:
        return Path(args.keys_dir).expanduser()
    if config is not None and config.keys.dir:
        return Path(config.keys.dir)
    project = args.project or (config.project if config else None) or Path.cwd().name
    return default_keys_dir(project)


def _init_password(enabled: bool) -> bytes | None:
    import getpass
    import os

    from zephyr_ota.errors import PasswordError, UsageError
    from zephyr_ota.keys import PASSWORD_ENV

    if not enabled:
        return None
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV].encode()
    if not sys.stdin.isatty():
        raise PasswordError("--password: no password given", hint=f"set {PASSWORD_ENV}")
    first = getpass.getpass("Password for the new private keys: ")
    if not first or first != getpass.getpass("Again: "):
        raise UsageError("--password: the passwords are empty or differ")
    return first.encode()


# -- fragments ---------------------------------------------------------------

def render_fragments(facts: Any, sysbuild: bool, out_dir: Path) -> dict[Path, str]:
    """The configuration fragments for ``facts`` (path -> text)."""
    from zephyr_ota import __version__
    from zephyr_ota.render import render_template

    mcuboot_path = out_dir / "mcuboot-keys.conf"
    needs_mcuboot = not sysbuild or facts.rsa_len == 3072 or facts.aes_bits == 256
    common = {"f": facts, "version": __version__, "sysbuild": sysbuild,
              "mcuboot_fragment_path": mcuboot_path if needs_mcuboot else None}
    out: dict[Path, str] = {}
    main = out_dir / ("sysbuild-keys.conf" if sysbuild else "app-keys.conf")
    name = "keys/sysbuild.conf.j2" if sysbuild else "keys/app.conf.j2"
    out[main] = render_template(name, fragment_path=main, **common)
    if needs_mcuboot:
        out[mcuboot_path] = render_template("keys/mcuboot.conf.j2", fragment_path=mcuboot_path,
                                            **common)
    return out


def _check_fragment_dir(args: argparse.Namespace) -> None:
    """Refuse a --fragment-dir that is a file before any key is written."""
    import os

    from zephyr_ota.errors import InputError

    if args.fragment_dir and os.path.exists(args.fragment_dir) \
            and not os.path.isdir(args.fragment_dir):
        raise InputError(f"{args.fragment_dir}: --fragment-dir: expected a folder, found a file")


def _write_fragments(store: Any, args: argparse.Namespace, config: Any) -> list[Path]:
    from zephyr_ota.fileio import atomic_write
    from zephyr_ota.keys.store import fragment_facts

    mc = config.mcuboot if config is not None else None
    aes = args.aes_bits or (mc.aes_bits if mc else None) or 128
    sysbuild = not args.no_sysbuild and (mc.sysbuild if mc else True)
    out_dir = Path(args.fragment_dir) if args.fragment_dir else store.dir
    written = []
    for path, text in render_fragments(fragment_facts(store, aes), sysbuild, out_dir).items():
        atomic_write(path, text.encode())
        written.append(path)
    return written


def _report(store: Any, fragments: list[Path]) -> None:
    print(f"keys directory: {store.dir}")
    for role, key in (("signing", store.signing), ("encryption", store.encryption)):
        if key:
            print(f"  {role + ':':12} {store.path(key)} ({key.key_type.value})")
    for index, key in enumerate(store.trusted, 1):
        print(f"  {'trusted:':12} {store.path(key)} ({key.key_type.value}, "
              f"public-only, list entry #{index})")
    for path in fragments:
        print(f"configuration fragment: {path}")
    if fragments and fragments[0].name == "sysbuild-keys.conf":
        print(f"  use: west build --sysbuild ... -- -DSB_EXTRA_CONF_FILE={fragments[0]}")


# -- handlers ----------------------------------------------------------------

def init_handler(args: argparse.Namespace) -> int:
    from zephyr_ota.keys.base import KeyType
    from zephyr_ota.keys.bootconfig import encryption_type_for, signature_choice
    from zephyr_ota.keys.store import InitRequest, init_store

    config = _config(args)
    sig_name = args.type or (config.mcuboot.signature_type if config else None) or "ecdsa-p256"
    signing = KeyType(sig_name)
    enc_type = KeyType(args.enc_type) if args.enc_type else None
    wants_enc = args.encrypt or enc_type is not None or bool(
        config and config.mcuboot.encryption)
    if wants_enc and enc_type is None and signing.can_sign:
        enc_type = encryption_type_for(signature_choice(signing))
    request = InitRequest(keys_dir=_keys_dir(args, config), signing_type=signing,
                          encryption_type=enc_type if wants_enc else None,
                          password=_init_password(args.password), force=args.force)
    _check_fragment_dir(args)
    store = init_store(request)
    _report(store, _write_fragments(store, args, config))
    return 0


def import_handler(args: argparse.Namespace) -> int:
    from zephyr_ota.keys.store import ImportRequest, import_keys

    config = _config(args)
    request = ImportRequest(
        keys_dir=_keys_dir(args, config),
        signing=Path(args.signing) if args.signing else None,
        encryption=Path(args.encryption) if args.encryption else None,
        trusted=tuple(Path(t) for t in args.trusted), force=args.force)
    _check_fragment_dir(args)
    store = import_keys(request)
    fragments = _write_fragments(store, args, config) if store.signing else []
    _report(store, fragments)
    return 0


def show_handler(args: argparse.Namespace) -> int:
    from zephyr_ota.keys.store import open_store

    if args.files:
        entries = [("key", Path(f)) for f in args.files]
    else:
        store = open_store(_keys_dir(args, _config(args)))
        entries = [(role, store.path(k)) for role, k in
                   (("signing", store.signing), ("encryption", store.encryption)) if k]
        entries += [(f"trusted #{i}", store.path(k)) for i, k in enumerate(store.trusted, 1)]
    for role, path in entries:
        _show_one(role, path)
    return 0


def _show_one(role: str, path: Path) -> None:
    """Public facts of one key: type, privacy, mode, hashes, public PEM."""
    import hashlib

    from zephyr_ota.keys import load_public_key
    from zephyr_ota.keys.audit import key_facts
    from zephyr_ota.keys.devkeys import find_published

    facts = key_facts(path)
    pub = load_public_key(path)
    kind = "private key file" if facts.has_private else "public key file"
    print(f"{role}: {path}")
    print(f"  type: {facts.key_type.value} ({kind}, mode {facts.mode:04o})")
    print(f"  key hash (imgtool getpubhash, sha256): {facts.key_hash.hex()}")
    print(f"  SubjectPublicKeyInfo sha256: {hashlib.sha256(facts.spki).hexdigest()}")
    known = find_published(facts.spki)
    if known:
        print(f"  WARNING: MCUboot's published key {known.file_name} ({known.source})")
    sys.stdout.write("  " + pub.public_pem().decode().replace("\n", "\n  ").rstrip() + "\n")


def _boot_from_options(args: argparse.Namespace, config: Any, trusted: tuple[Path, ...],
                       encrypt: bool) -> Any:
    from zephyr_ota.keys.base import KeyType
    from zephyr_ota.keys.bootconfig import BootKeyConfig, signature_choice

    sig = args.signature_type or (config.mcuboot.signature_type if config else None)
    if sig is None:
        return None
    key_type = KeyType(sig)
    where = ("--signature-type" if args.signature_type
             else f"{config.where('mcuboot.signature_type')}: mcuboot.signature_type")
    mc = config.mcuboot if config is not None else None
    return BootKeyConfig(signature=signature_choice(key_type),
                         rsa_len=3072 if key_type is KeyType.RSA3072 else 2048,
                         key_files=tuple(str(p) for p in trusted),
                         encrypt=bool(mc.encryption) if mc and mc.encryption is not None
                         else encrypt, aes_bits=(mc.aes_bits if mc else None) or 128,
                         source=where)


def _check_request(args: argparse.Namespace) -> Any:
    from zephyr_ota.keys.audit import CheckRequest
    from zephyr_ota.keys.store import INDEX, open_store

    config = _config(args, check_files=True)
    release = args.release or bool(config and config.release)
    build = Path(args.build_dir) if args.build_dir else None
    signing: Any = (args.key if args.key.startswith("pkcs11:") else Path(args.key)) \
        if args.key else None
    encryption = Path(args.encryption_key) if args.encryption_key else None
    trusted = tuple(Path(t) for t in args.trusted)
    if config is not None:
        spec = config.keys.signing
        if signing is None and spec and not spec.startswith("cmd:"):
            signing = spec if spec.startswith("pkcs11:") else Path(spec)
        encryption = encryption or config.keys.encryption
        if not trusted and isinstance(signing, Path):
            trusted = (signing, *config.keys.trusted)
    keys_dir = _keys_dir(args, config)
    if signing is None and build is None and (keys_dir / INDEX).is_file():
        store = open_store(keys_dir)
        signing = store.path(store.signing) if store.signing else None
        encryption = encryption or (store.path(store.encryption) if store.encryption else None)
        trusted = trusted or store.trusted_list
    if build is None and signing is None and Path("build", "zephyr", ".config").is_file():
        build = Path("build")
    boot = _boot_from_options(args, config, trusted, encrypt=encryption is not None)
    return CheckRequest(build_dir=build, signing=signing, encryption=encryption,
                        trusted=trusted, boot=boot, release=release)


def check_handler(args: argparse.Namespace) -> int:
    from zephyr_ota.errors import KeyFileError, KeyMismatchError, PolicyError
    from zephyr_ota.keys import audit

    report = audit.check_keys(_check_request(args))
    errors = report.errors
    for finding in report.findings:
        if finding not in errors:
            (log.warning if finding in report.warnings else log.info)(finding.message)
    for finding in errors[:-1]:  # the last one leaves through the error door, in order
        log.error(finding.message)
    if not errors:
        log.info("keys check: %d warning(s), no errors%s", len(report.warnings),
                 " (release mode)" if report.release else "")
        return 0
    last = errors[-1]
    kind = {audit.KEY_NOT_TRUSTED: KeyMismatchError, audit.SIGNING_TYPE: KeyMismatchError,
            audit.ENCRYPTION_TYPE: KeyMismatchError,
            audit.PRIVATE_IN_LIST: KeyFileError}.get(last.code, PolicyError)
    raise kind(last.message, hint=last.hint)
