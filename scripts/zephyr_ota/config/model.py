"""The project configuration read from ``ota.yml``, as frozen dataclasses.

Entry points: ``OtaConfig`` (the whole file) and its parts ``KeysConfig``,
``McubootConfig``, ``VersionConfig``, ``ManifestConfig``, ``OutputsConfig``.
Every field is optional (``None`` = not set, so command-line options and
build-directory facts decide). Paths are already resolved (``~``, ``$VARS``,
relative to ``keys.dir`` or the file's folder); a signing key that is a
PKCS#11 URI or a ``cmd:`` signer stays a string. ``OtaConfig.where(key)``
gives ``file:line`` of a dotted key, so later checks can point at the line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

# sysbuild's MCUBOOT_MODE_* choice (share/sysbuild/images/bootloader/Kconfig)
MCUBOOT_MODES = ("single-app", "swap-using-offset", "swap-using-move", "swap-using-scratch",
                 "overwrite-only", "direct-xip", "direct-xip-with-revert", "ram-load",
                 "firmware-updater", "single-app-ram-load")


def is_key_uri(spec: str) -> bool:
    """True for a key that is not a file: a PKCS#11 URI or an external signer."""
    return spec.startswith(("pkcs11:", "cmd:"))


@dataclass(frozen=True)
class KeysConfig:
    """``keys:``: where keys live and which ones the project uses."""

    dir: Path | None = None
    signing: str | None = None          # PEM path, pkcs11: URI or cmd:<command>
    trusted: tuple[Path, ...] = ()      # public-only keys after the signing key
    encryption: Path | None = None


@dataclass(frozen=True)
class McubootConfig:
    """``mcuboot:``: how the bootloader is configured."""

    mode: str | None = None
    signature_type: str | None = None
    encryption: bool | None = None
    aes_bits: int | None = None
    sysbuild: bool = True

    def __post_init__(self) -> None:
        if self.mode is not None and self.mode not in MCUBOOT_MODES:
            raise ValueError(f"mcuboot.mode: expected one of {', '.join(MCUBOOT_MODES)}, "
                             f"got {self.mode!r}")
        if self.aes_bits not in (None, 128, 256):
            raise ValueError(f"mcuboot.aes_bits: expected 128 or 256, got {self.aes_bits}")


@dataclass(frozen=True)
class VersionConfig:
    """``version:``: where the image version comes from."""

    file: Path | None = None            # Zephyr's VERSION file
    value: str | None = None
    security_counter: int | None = None

    def __post_init__(self) -> None:
        if self.file is not None and self.value is not None:
            raise ValueError("version: give either file or value, not both")


@dataclass(frozen=True)
class ManifestConfig:
    """``manifest:``: the signed release manifest."""

    key: str | None = None
    name: str | None = None
    fields: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class OutputsConfig:
    """``outputs:``: where results go."""

    dir: Path | None = None
    factory_image: bool | None = None
    manifest: str | None = None


@dataclass(frozen=True)
class OtaConfig:
    """One ``ota.yml``. ``lines`` maps dotted keys (``keys.signing``,
    ``keys.trusted.1``) to the line that sets them."""

    path: Path
    project: str | None = None
    release: bool = False
    keys: KeysConfig = field(default_factory=KeysConfig)
    mcuboot: McubootConfig = field(default_factory=McubootConfig)
    version: VersionConfig = field(default_factory=VersionConfig)
    manifest: ManifestConfig = field(default_factory=ManifestConfig)
    outputs: OutputsConfig = field(default_factory=OutputsConfig)
    lines: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}),
                                     compare=False, repr=False)

    def where(self, key: str) -> str:
        """``file:line`` of ``key`` (dotted), or just the file when not set there."""
        line = self.lines.get(key + "=") or self.lines.get(key)
        return f"{self.path}:{line}" if line else str(self.path)
