"""The keys directory: where ``keys init``/``import`` put a project's keys,
and the facts its configuration fragments are rendered from.

Entry points: ``default_keys_dir(project)``, ``git_work_tree(path)``,
``open_store(dir) -> KeyStore``, ``init_store(InitRequest) -> KeyStore``,
``import_keys(ImportRequest) -> KeyStore``, ``fragment_facts(store, aes_bits)
-> FragmentFacts``, ``encryption_pair_error(sig, enc)``.

Layout of a keys directory (``zephyr-ota-keys.json`` indexes it):
``signing.pem`` (private, 0600) + ``signing.pub.pem``; ``encryption.pem``
(private, 0600) + ``encryption.pub.pem``; ``trusted-N.pub.pem`` (public-only
keys MCUboot also trusts, for rotation). Private files are written with
``fileio.write_private`` (0600 from the first byte); nothing is overwritten
without ``force``.

Default place: ``$ZEPHYR_OTA_KEYS_DIR/<project>`` if set, else
``$XDG_DATA_HOME/zephyr-ota/keys/<project>`` (``~/.local/share/...``):
outside the source tree, so keys are not committed by accident. A directory
inside a git work tree is refused unless ``force``.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from zephyr_ota.errors import InputError, KeyFileError, UnsupportedError, UsageError
from zephyr_ota.fileio import atomic_write, read_input, write_private
from zephyr_ota.keys.base import KeyType
from zephyr_ota.keys.bootconfig import encryption_type_for, signature_choice

log = logging.getLogger(__name__)

INDEX = "zephyr-ota-keys.json"
KEYS_DIR_ENV = "ZEPHYR_OTA_KEYS_DIR"
# Zephyr's Kconfig choices have no ECDSA P-384 signature type (MCUboot
# boot/zephyr/Kconfig choice BOOT_SIGNATURE_TYPE: NONE, RSA, ECDSA_P256, ED25519).
CONFIGURABLE_SIGNING = (KeyType.RSA2048, KeyType.RSA3072, KeyType.ECDSA_P256, KeyType.ED25519)
_PAIRS = "rsa-2048/rsa-3072 -> rsa-2048, ecdsa-p256 -> ecdsa-p256, ed25519 -> x25519"


def default_keys_dir(project: str) -> Path:
    """Where a project's keys go when no ``--keys-dir`` is given."""
    base = os.environ.get(KEYS_DIR_ENV)
    if base:
        return Path(base).expanduser() / project
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "zephyr-ota" / "keys" / project


def git_work_tree(path: Path) -> Path | None:
    """The git work tree holding ``path`` (which need not exist yet), if any."""
    for folder in (path.resolve(), *path.resolve().parents):
        if (folder / ".git").exists():
            return folder
    return None


def encryption_pair_error(signing: KeyType, encryption: KeyType) -> UnsupportedError | None:
    """Why MCUboot cannot pair these types (None when it can): the encryption
    scheme follows the signature type (boot/zephyr/Kconfig BOOT_ENCRYPT_IMAGE)."""
    expected = encryption_type_for(signature_choice(signing)) if signing.can_sign else None
    if encryption is expected:
        return None
    return UnsupportedError(
        f"encryption key type {encryption.value} cannot be used with a {signing.value} "
        f"signing key: MCUboot supports {_PAIRS}")


@dataclass(frozen=True)
class StoredKey:
    """One key in the store; ``file`` and ``public_file`` are names in the dir."""

    file: str
    key_type: KeyType
    private: bool
    public_file: str | None = None


@dataclass(frozen=True)
class KeyStore:
    dir: Path
    signing: StoredKey | None = None
    encryption: StoredKey | None = None
    trusted: tuple[StoredKey, ...] = ()

    def path(self, key: StoredKey, public: bool = False) -> Path:
        return self.dir / (key.public_file if public and key.public_file else key.file)

    @property
    def trusted_list(self) -> tuple[Path, ...]:
        """MCUboot's key list: the signing key first, then the public-only keys."""
        first = (self.path(self.signing),) if self.signing else ()
        return first + tuple(self.path(k) for k in self.trusted)


def _key_json(key: StoredKey | None) -> dict[str, object] | None:
    if key is None:
        return None
    return {"file": key.file, "type": key.key_type.value, "private": key.private,
            "public": key.public_file}


def _key_from_json(data: dict[str, object] | None) -> StoredKey | None:
    if not data:
        return None
    if not isinstance(data, dict) or not {"file", "type", "private"} <= data.keys():
        raise ValueError(f"expected a key entry with file, type and private, found {data!r}")
    return StoredKey(file=str(data["file"]), key_type=KeyType(str(data["type"])),
                     private=bool(data["private"]),
                     public_file=str(data["public"]) if data.get("public") else None)


def save_index(store: KeyStore) -> None:
    index = {"format": 1, "signing": _key_json(store.signing),
             "encryption": _key_json(store.encryption),
             "trusted": [_key_json(k) for k in store.trusted]}
    atomic_write(store.dir / INDEX, (json.dumps(index, indent=2) + "\n").encode())


def open_store(keys_dir: Path) -> KeyStore:
    """The store in ``keys_dir`` (``InputError`` when it is not one)."""
    index = keys_dir / INDEX
    if not index.is_file():
        raise InputError(f"{keys_dir}: not a zephyr-ota keys directory ({INDEX} not found)",
                         hint="create one with 'zephyr-ota keys init'")
    try:
        data = json.loads(read_input(index, "keys index"))
        if not isinstance(data, dict):
            raise ValueError(f"expected a JSON object, found {type(data).__name__}")
        trusted = [_key_from_json(k) for k in data.get("trusted", ())]
        return KeyStore(dir=keys_dir, signing=_key_from_json(data.get("signing")),
                        encryption=_key_from_json(data.get("encryption")),
                        trusted=tuple(k for k in trusted if k is not None))
    except (ValueError, KeyError, TypeError) as e:
        raise InputError(f"{index}: corrupt keys index: {e}") from e


@dataclass(frozen=True)
class InitRequest:
    keys_dir: Path
    signing_type: KeyType = KeyType.ECDSA_P256
    encryption_type: KeyType | None = None
    password: bytes | None = None
    force: bool = False

    def __post_init__(self) -> None:
        if self.signing_type not in CONFIGURABLE_SIGNING:
            raise UnsupportedError(
                f"signing key type {self.signing_type.value}: Zephyr's MCUboot configuration "
                f"offers {', '.join(t.value for t in CONFIGURABLE_SIGNING)}")
        if self.encryption_type is not None:
            error = encryption_pair_error(self.signing_type, self.encryption_type)
            if error:
                raise error


def check_location(keys_dir: Path, force: bool) -> None:
    """Refuse a keys directory inside a git work tree (unless ``force``)."""
    tree = git_work_tree(keys_dir)
    if tree is not None and not force:
        raise UsageError(
            f"{keys_dir}: keys directory is inside the git work tree {tree}; private keys "
            f"there end up committed", hint="use a directory outside the repository "
            f"(default: {default_keys_dir('<project>')}), or --force if it is git-ignored")


def _refuse_existing(paths: list[Path], force: bool) -> None:
    existing = [p for p in paths if p.exists()]
    if existing and not force:
        raise UsageError(f"{existing[0]}: key file already exists; not overwriting it",
                         hint="use another --keys-dir, or --force to replace the keys")


def _make_keys_dir(keys_dir: Path) -> None:
    try:
        keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    except (FileExistsError, NotADirectoryError) as e:
        raise InputError(f"{keys_dir}: expected a keys directory, found a file") from e
    except OSError as e:
        raise InputError(f"{keys_dir}: cannot create the keys directory: {e.strerror}") from e


def _write_pair(keys_dir: Path, name: str, key: object, password: bytes | None) -> StoredKey:
    pub = key.public  # type: ignore[attr-defined]
    write_private(keys_dir / f"{name}.pem", key.private_pem(password))  # type: ignore[attr-defined]
    atomic_write(keys_dir / f"{name}.pub.pem", pub.public_pem())
    return StoredKey(file=f"{name}.pem", key_type=pub.key_type, private=True,
                     public_file=f"{name}.pub.pem")


def init_store(request: InitRequest) -> KeyStore:
    """Create the signing (and encryption) key pair and the index."""
    from zephyr_ota.keys import generate_key

    keys_dir = request.keys_dir
    check_location(keys_dir, request.force)
    names = ["signing"] + (["encryption"] if request.encryption_type else [])
    _refuse_existing([keys_dir / f"{n}.pem" for n in names], request.force)
    _make_keys_dir(keys_dir)
    store = KeyStore(dir=keys_dir, signing=_write_pair(
        keys_dir, "signing", generate_key(request.signing_type), request.password))
    if request.encryption_type:
        store = replace(store, encryption=_write_pair(
            keys_dir, "encryption", generate_key(request.encryption_type), request.password))
    save_index(store)
    log.info("%s: created %s", keys_dir, ", ".join(f"{n}.pem" for n in names))
    return store


@dataclass(frozen=True)
class ImportRequest:
    keys_dir: Path
    signing: Path | None = None
    encryption: Path | None = None
    trusted: tuple[Path, ...] = ()
    password: bytes | None = None
    force: bool = False

    def __post_init__(self) -> None:
        if not (self.signing or self.encryption or self.trusted):
            raise UsageError("keys import: nothing to import; give --signing, --encryption "
                             "or --trusted")


def _load_private(source: Path | None, password: bytes | None) -> Any:
    from zephyr_ota.keys import load_private_key

    return None if source is None else load_private_key(source, password)


def _store_private(store_dir: Path, name: str, source: Path, key: Any) -> StoredKey:
    """Copy a private key as it is (password protection kept), plus its public half."""
    write_private(store_dir / f"{name}.pem", read_input(source, "key file"))
    atomic_write(store_dir / f"{name}.pub.pem", key.public.public_pem())
    return StoredKey(file=f"{name}.pem", key_type=key.public.key_type, private=True,
                     public_file=f"{name}.pub.pem")


def _load_trusted(source: Path, signing: KeyType | None, password: bytes | None) -> Any:
    """Only the public half goes in: list entries after the first must be public-only."""
    from zephyr_ota.keys import load_public_key

    pub = load_public_key(source, password)
    if signing and pub.key_type is not signing:
        raise KeyFileError(f"{source}: trusted key is {pub.key_type.value}, expected "
                           f"{signing.value} like the signing key")
    return pub


def _key_type(loaded: Any, stored: StoredKey | None) -> KeyType | None:
    return loaded.public.key_type if loaded else stored.key_type if stored else None


def import_keys(request: ImportRequest) -> KeyStore:
    """Add existing keys to a (new or existing) store.

    Every key is loaded and checked before anything is written, so a bad
    ``--trusted`` or ``--encryption`` file leaves no half-imported store.
    """
    keys_dir = request.keys_dir
    check_location(keys_dir, request.force)
    store = open_store(keys_dir) if (keys_dir / INDEX).is_file() else KeyStore(dir=keys_dir)
    names = [n for n, p in (("signing", request.signing), ("encryption", request.encryption)) if p]
    _refuse_existing([keys_dir / f"{n}.pem" for n in names], request.force)
    signing = _load_private(request.signing, request.password)
    encryption = _load_private(request.encryption, request.password)
    sig_type, enc_type = _key_type(signing, store.signing), _key_type(encryption, store.encryption)
    if sig_type and enc_type:
        error = encryption_pair_error(sig_type, enc_type)
        if error:
            raise error
    trusted = [_load_trusted(source, sig_type, request.password) for source in request.trusted]
    _make_keys_dir(keys_dir)
    if request.signing:
        store = replace(store, signing=_store_private(keys_dir, "signing", request.signing, signing))
    if request.encryption:
        store = replace(store, encryption=_store_private(keys_dir, "encryption",
                                                         request.encryption, encryption))
    for pub in trusted:
        name = f"trusted-{len(store.trusted) + 1}.pub.pem"
        atomic_write(keys_dir / name, pub.public_pem())
        store = replace(store, trusted=store.trusted + (
            StoredKey(file=name, key_type=pub.key_type, private=False),))
    save_index(store)
    return store


@dataclass(frozen=True)
class FragmentFacts:
    """What the templates in ``templates/keys/`` need (absolute paths)."""

    signature: str                 # BOOT_SIGNATURE_TYPE_<signature>
    rsa_len: int | None            # BOOT_SIGNATURE_TYPE_RSA_LEN, RSA only
    key_files: tuple[str, ...]     # BOOT_SIGNATURE_KEY_FILE entries, signing key first
    encryption_key: str | None     # private (MCUboot, sysbuild)
    encryption_public: str | None  # public half (the application's imgtool -E)
    aes_bits: int = 128

    @property
    def key_list(self) -> str:
        """The Kconfig value: entries joined by commas (zephyr PR #111203)."""
        return ",".join(self.key_files)


def _kconfig_path(path: Path) -> str:
    text = str(path.resolve())
    bad = next((c for c in (",", '"', "\\", "\n") if c in text), None)
    if bad:
        raise UnsupportedError(f"{text}: a key path for Kconfig cannot contain {bad!r} "
                               f"(BOOT_SIGNATURE_KEY_FILE is a quoted, comma-separated list)")
    return text


def fragment_facts(store: KeyStore, aes_bits: int = 128) -> FragmentFacts:
    """The configuration facts of a store (``UnsupportedError`` for types
    Zephyr's Kconfig cannot express)."""
    if store.signing is None:
        raise InputError(f"{store.dir}: no signing key in the keys directory",
                         hint="run 'zephyr-ota keys init' or 'keys import --signing KEY'")
    sig_type = store.signing.key_type
    if sig_type not in CONFIGURABLE_SIGNING:
        raise UnsupportedError(f"{store.path(store.signing)}: {sig_type.value} signing key: "
                               f"Zephyr's MCUboot configuration offers "
                               f"{', '.join(t.value for t in CONFIGURABLE_SIGNING)}")
    enc = store.encryption
    return FragmentFacts(
        signature=signature_choice(sig_type),
        rsa_len={KeyType.RSA2048: 2048, KeyType.RSA3072: 3072}.get(sig_type),
        key_files=tuple(_kconfig_path(p) for p in store.trusted_list),
        encryption_key=_kconfig_path(store.path(enc)) if enc else None,
        encryption_public=_kconfig_path(store.path(enc, public=True)) if enc else None,
        aes_bits=aes_bits)
