"""What MCUboot was configured to trust: signature type, trusted key files,
encryption scheme, read from Kconfig values.

Entry points: ``BootKeyConfig`` (the facts), ``from_mcuboot_kconfig(cfg)``
(MCUboot's own ``.config``: ``CONFIG_BOOT_*``), ``from_sysbuild_kconfig(cfg)``
(sysbuild's ``.config``: ``SB_CONFIG_BOOT_*``), ``split_key_list(value)``,
``resolve_key_file(entry, variables, bases)``, ``encryption_type_for(sig)``,
``SIGNATURE_CHOICES``.

Rules and where they come from:
- MCUboot boot/zephyr/Kconfig: choice ``BOOT_SIGNATURE_TYPE`` = NONE, RSA
  (``BOOT_SIGNATURE_TYPE_RSA_LEN`` 2048..3072), ECDSA_P256, ED25519;
  ``BOOT_ENCRYPT_IMAGE`` selects ``BOOT_ENCRYPT_RSA`` for RSA signatures,
  ``BOOT_ENCRYPT_EC256`` for ECDSA P-256 and ``BOOT_ENCRYPT_X25519`` for
  Ed25519: the encryption key type follows the signature type (RSA-OAEP is
  2048-bit only); ``BOOT_ENCRYPT_ALG_AES_128``/``_AES_256``.
- sysbuild share/sysbuild/images/bootloader/Kconfig: ``BOOT_SIGNATURE_TYPE_*``
  (NONE, RSA, ECDSA_P256, ED25519), ``BOOT_SIGNATURE_KEY_FILE``,
  ``BOOT_ENCRYPTION``, ``BOOT_ENCRYPTION_KEY_FILE``; image_configurations/
  BOOTLOADER_image_default.cmake maps them onto MCUboot's symbols.
- zephyr PR #111203 / mcu-tools/mcuboot PR #2701: ``BOOT_SIGNATURE_KEY_FILE``
  may be a comma-separated list of PEM files; MCUboot embeds every public
  half (key_id 0, 1, ...), the application is signed with the first, and
  every entry past the first must be a public-only PEM of the same type.
  Sysbuild expands ``${ZEPHYR_MCUBOOT_MODULE_DIR}`` and ``${APP_DIR}`` in
  the entries; a relative entry is looked up from MCUboot's configuration
  directory, then MCUboot's repository root (boot/zephyr/Kconfig help).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zephyr_ota.keys.base import KeyType

# Kconfig choice suffix -> what it accepts. ECDSA_P384 is not a choice of the
# Zephyr port today; it is read if a newer MCUboot adds it.
SIGNATURE_CHOICES = ("NONE", "RSA", "ECDSA_P256", "ECDSA_P384", "ED25519")
_ENCRYPTION_FOR = {"RSA": KeyType.RSA2048, "ECDSA_P256": KeyType.ECDSA_P256,
                   "ED25519": KeyType.X25519}
_VAR = re.compile(r"\$[{(]([A-Za-z_][A-Za-z0-9_]*)[})]")


def signature_choice(key_type: KeyType) -> str:
    """The ``BOOT_SIGNATURE_TYPE_*`` suffix for a signing key type."""
    return {KeyType.RSA2048: "RSA", KeyType.RSA3072: "RSA", KeyType.ECDSA_P256: "ECDSA_P256",
            KeyType.ECDSA_P384: "ECDSA_P384", KeyType.ED25519: "ED25519"}[key_type]


def encryption_type_for(choice: str) -> KeyType | None:
    """The only encryption key type MCUboot pairs with a signature choice."""
    return _ENCRYPTION_FOR.get(choice)


@dataclass(frozen=True)
class BootKeyConfig:
    """MCUboot's key configuration. ``key_files`` are the trusted signing
    keys as configured (unresolved), first = the application's key."""

    signature: str                      # one of SIGNATURE_CHOICES
    rsa_len: int = 2048
    key_files: tuple[str, ...] = ()
    encrypt: bool = False
    encryption_key_file: str | None = None
    aes_bits: int = 128
    hw_key: bool = False
    source: str = ""                    # file:line it was read from

    def __post_init__(self) -> None:
        if self.signature not in SIGNATURE_CHOICES:
            raise ValueError(f"signature type: expected one of {', '.join(SIGNATURE_CHOICES)}, "
                             f"got {self.signature!r}")
        if self.rsa_len not in (2048, 3072):
            raise ValueError(f"RSA length: expected 2048 or 3072, got {self.rsa_len}")
        if self.aes_bits not in (128, 256):
            raise ValueError(f"AES key size: expected 128 or 256, got {self.aes_bits}")

    @property
    def signing_type(self) -> KeyType | None:
        """The key type MCUboot verifies, ``None`` for hash-only builds."""
        if self.signature == "RSA":
            return KeyType.RSA3072 if self.rsa_len == 3072 else KeyType.RSA2048
        return {"ECDSA_P256": KeyType.ECDSA_P256, "ECDSA_P384": KeyType.ECDSA_P384,
                "ED25519": KeyType.ED25519}.get(self.signature)

    @property
    def encryption_type(self) -> KeyType | None:
        """The encryption key type MCUboot decrypts with, ``None`` when off."""
        return encryption_type_for(self.signature) if self.encrypt else None


def split_key_list(value: str | None) -> tuple[str, ...]:
    """The entries of a ``BOOT_SIGNATURE_KEY_FILE`` value (comma-separated
    since zephyr PR #111203; one path before). Blanks around commas go."""
    if not value:
        return ()
    return tuple(entry.strip() for entry in value.split(",") if entry.strip())


def resolve_key_file(entry: str, variables: Mapping[str, str],
                     bases: Sequence[Path] = ()) -> Path:
    """``entry`` with ``${VAR}``/``$(VAR)`` expanded from ``variables``; a
    relative result is taken from the first base holding it (else the first)."""
    text = _VAR.sub(lambda m: variables.get(m.group(1), m.group(0)), entry)
    path = Path(text).expanduser()
    if path.is_absolute() or not bases:
        return path
    for base in bases:
        if (base / path).exists():
            return base / path
    return bases[0] / path


def _choice(cfg: Any, prefix: str) -> tuple[str, str]:
    for choice in SIGNATURE_CHOICES:
        name = f"{prefix}BOOT_SIGNATURE_TYPE_{choice}"
        if cfg.flag(name):
            return choice, cfg[name].where()
    return "RSA", "default"  # both Kconfig choices default to RSA


def from_mcuboot_kconfig(cfg: Any) -> BootKeyConfig:
    """From MCUboot's ``zephyr/.config`` (a ``zephyr.kconfig.KconfigFile``)."""
    choice, where = _choice(cfg, "CONFIG_")
    return BootKeyConfig(
        signature=choice,
        rsa_len=cfg.integer("CONFIG_BOOT_SIGNATURE_TYPE_RSA_LEN", 2048),
        key_files=split_key_list(cfg.string("CONFIG_BOOT_SIGNATURE_KEY_FILE")),
        encrypt=cfg.flag("CONFIG_BOOT_ENCRYPT_IMAGE"),
        encryption_key_file=cfg.string("CONFIG_BOOT_ENCRYPTION_KEY_FILE") or None,
        aes_bits=256 if cfg.flag("CONFIG_BOOT_ENCRYPT_ALG_AES_256") else 128,
        hw_key=cfg.flag("CONFIG_BOOT_HW_KEY"), source=where)


def from_sysbuild_kconfig(cfg: Any) -> BootKeyConfig:
    """From sysbuild's ``zephyr/.config`` (``SB_CONFIG_*``). The RSA length
    and AES size are MCUboot-image settings sysbuild does not carry."""
    choice, where = _choice(cfg, "SB_CONFIG_")
    return BootKeyConfig(
        signature=choice,
        key_files=split_key_list(cfg.string("SB_CONFIG_BOOT_SIGNATURE_KEY_FILE")),
        encrypt=cfg.flag("SB_CONFIG_BOOT_ENCRYPTION"),
        encryption_key_file=cfg.string("SB_CONFIG_BOOT_ENCRYPTION_KEY_FILE") or None,
        source=where)


@dataclass(frozen=True)
class BuildKeys:
    """The keys a Zephyr build directory names, resolved to paths."""

    boot: BootKeyConfig | None          # None: MCUboot's configuration is not in this build
    trusted: tuple[Path, ...] = ()      # MCUboot's key list, in order
    app_signing: Path | None = None     # what the application is signed with
    encryption: Path | None = None      # MCUboot's encryption key (private)


def _variables(*caches: dict[str, Any]) -> dict[str, str]:
    names = ("ZEPHYR_MCUBOOT_MODULE_DIR", "APP_DIR", "APPLICATION_SOURCE_DIR",
             "APPLICATION_CONFIG_DIR", "WEST_TOPDIR")
    out: dict[str, str] = {}
    for cache in caches:
        for name in names:
            if name in cache and name not in out:
                out[name] = cache[name][0]
    return out


def read_build_keys(build_dir: Path) -> BuildKeys:
    """MCUboot's key configuration and the application's key files of a build.

    Sysbuild (``domains.yaml``): MCUboot's own ``mcuboot/zephyr/.config``
    (what was compiled in) when present, else sysbuild's ``zephyr/.config``;
    the application's ``CONFIG_MCUBOOT_SIGNATURE_KEY_FILE`` from the default
    domain. A build without sysbuild holds only the application.
    """
    from zephyr_ota.zephyr.domains import load_cmake_cache, load_domains
    from zephyr_ota.zephyr.kconfig import load_config

    domains = load_domains(build_dir)
    app_dir = build_dir
    boot = None
    caches: list[dict[str, Any]] = []
    if domains is not None:
        default = domains.get(domains.default)
        app_dir = default.build_dir if default else build_dir / domains.default
        mcuboot = domains.get("mcuboot")
        if mcuboot and (mcuboot.build_dir / "zephyr" / ".config").is_file():
            boot = from_mcuboot_kconfig(load_config(mcuboot.build_dir / "zephyr" / ".config"))
            caches.append(load_cmake_cache(mcuboot.build_dir / "CMakeCache.txt"))
        else:
            boot = from_sysbuild_kconfig(load_config(build_dir / "zephyr" / ".config"))
        caches.append(load_cmake_cache(build_dir / "CMakeCache.txt"))
    caches.append(load_cmake_cache(app_dir / "CMakeCache.txt"))
    variables = _variables(*caches)
    app = load_config(app_dir / "zephyr" / ".config")
    return _resolve_build_keys(boot, app, variables)


def _resolve_build_keys(boot: BootKeyConfig | None, app: Any,
                        variables: dict[str, str]) -> BuildKeys:
    mcuboot_bases = [Path(variables[n]) for n in ("APPLICATION_CONFIG_DIR",
                                                  "ZEPHYR_MCUBOOT_MODULE_DIR") if n in variables]
    app_bases = [Path(variables[n]) for n in ("WEST_TOPDIR", "APP_DIR") if n in variables]
    trusted: tuple[Path, ...] = ()
    encryption = None
    if boot is not None:
        trusted = tuple(resolve_key_file(e, variables, mcuboot_bases) for e in boot.key_files)
        if boot.encryption_key_file:
            encryption = resolve_key_file(boot.encryption_key_file, variables, mcuboot_bases)
    # zephyr modules/Kconfig.mcuboot: relative to the west workspace topdir.
    signing_entries = split_key_list(app.string("CONFIG_MCUBOOT_SIGNATURE_KEY_FILE"))
    app_signing = (resolve_key_file(signing_entries[0], variables, app_bases)
                   if signing_entries else None)
    return BuildKeys(boot=boot, trusted=trusted, app_signing=app_signing, encryption=encryption)
