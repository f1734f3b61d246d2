"""The requests ``ops`` takes: frozen, validated dataclasses.

Entry points: ``ImageOverrides`` (imgtool parameters given on the command
line, each ``None`` when the build should decide), ``SignBuildRequest``,
``VerifyBuildRequest``, and ``sign_request_from_args`` /
``verify_request_from_args`` that turn an argparse ``vars()`` mapping (the
same for ``zephyr-ota`` and west) into a request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zephyr_ota.errors import UsageError
from zephyr_ota.layout.model import UpgradeMode


@dataclass(frozen=True)
class ImageOverrides:
    """Options that override what the build directory says (None: not given)."""

    version: str | None = None
    security_counter: str | None = None      # an integer or "auto"
    header_size: int | None = None
    slot_size: int | None = None
    align: int | None = None
    max_align: int | None = None
    max_sectors: int | None = None
    mode: UpgradeMode | None = None

    def __post_init__(self) -> None:
        for name in ("header_size", "slot_size", "max_sectors"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise UsageError(f"--{name.replace('_', '-')}: expected a positive number, "
                                 f"got {value}")
        sc = self.security_counter
        if sc is not None and sc != "auto":
            try:
                if int(sc, 0) < 0:
                    raise ValueError(sc)
            except ValueError:
                raise UsageError(f"--security-counter: expected 'auto' or a non-negative "
                                 f"integer, got {sc!r}") from None


@dataclass(frozen=True)
class SignBuildRequest:
    """What ``sign_build`` needs. Keys are specs: a file, a ``pkcs11:`` URI or
    ``cmd:`` signer command, resolved by ``keys.load_signer``."""

    build_dir: Path = Path("build")
    out_dir: Path | None = None
    config: Path | None = None               # ota.yml; None: ./ota.yml when present
    key: str | None = None
    signer_pubkey: Path | None = None        # public key of a cmd: signer
    encrypt_key: Path | None = None
    trusted_keys: tuple[Path, ...] = ()
    manifest_key: str | None = None
    release: bool = False
    overrides: ImageOverrides = field(default_factory=ImageOverrides)
    previous: Path | None = None
    allow_downgrade: bool = False
    confirm: bool = False
    tuf_targets: Path | None = None
    dry_run: bool = False

    def __post_init__(self) -> None:
        if self.allow_downgrade and self.previous is None:
            raise UsageError("--allow-downgrade: needs --previous MANIFEST")


@dataclass(frozen=True)
class VerifyBuildRequest:
    """What ``verify_build`` needs: a build directory or a manifest file."""

    build_dir: Path | None = None
    manifest: Path | None = None
    manifest_keys: tuple[Path, ...] = ()
    image_keys: tuple[Path, ...] = ()
    decrypt_key: Path | None = None
    previous: Path | None = None

    def __post_init__(self) -> None:
        if self.build_dir is None and self.manifest is None:
            raise UsageError("give -d BUILD_DIR or --manifest FILE")


def _path(value: Any) -> Path | None:
    return None if value in (None, "") else Path(value)


def _mode(value: str | None) -> UpgradeMode | None:
    if value is None:
        return None
    try:
        return UpgradeMode(value)
    except ValueError:
        names = ", ".join(m.value for m in UpgradeMode)
        raise UsageError(f"--mode: expected one of {names}, got {value!r}") from None


def sign_request_from_args(args: Mapping[str, Any]) -> SignBuildRequest:
    """A ``SignBuildRequest`` from parsed ``sign-build``/``sign-ota`` arguments."""
    overrides = ImageOverrides(
        version=args.get("image_version"), security_counter=args.get("security_counter"),
        header_size=args.get("header_size"), slot_size=args.get("slot_size"),
        align=args.get("align"), max_align=args.get("max_align"),
        max_sectors=args.get("max_sectors"), mode=_mode(args.get("mode")))
    return SignBuildRequest(
        build_dir=Path(args.get("build_dir") or "build"), out_dir=_path(args.get("out_dir")),
        config=_path(args.get("config")), key=args.get("key"),
        signer_pubkey=_path(args.get("signer_pubkey")),
        encrypt_key=_path(args.get("encrypt_key")),
        trusted_keys=tuple(Path(p) for p in args.get("trusted_key") or ()),
        manifest_key=args.get("manifest_key"), release=bool(args.get("release")),
        overrides=overrides, previous=_path(args.get("previous")),
        allow_downgrade=bool(args.get("allow_downgrade")), confirm=bool(args.get("confirm")),
        tuf_targets=_path(args.get("tuf_targets")), dry_run=bool(args.get("dry_run")))


def verify_request_from_args(args: Mapping[str, Any]) -> VerifyBuildRequest:
    """A ``VerifyBuildRequest`` from parsed ``verify-build``/``ota-verify`` arguments."""
    manifest = _path(args.get("manifest"))
    build_dir = _path(args.get("build_dir"))
    if build_dir is None and manifest is None:
        build_dir = Path("build")        # west build's default

    return VerifyBuildRequest(
        build_dir=build_dir, manifest=manifest,
        manifest_keys=tuple(Path(p) for p in args.get("manifest_key") or ()),
        image_keys=tuple(Path(p) for p in args.get("key") or ()),
        decrypt_key=_path(args.get("decrypt_key")), previous=_path(args.get("previous")))
