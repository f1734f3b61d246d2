"""What ``sign_build`` and ``verify_build`` return: frozen result records.

Entry points: ``OutputFile``, ``BudgetFacts``, ``ImageResult``,
``SignBuildResult``, ``FileCheck``, ``VerifyBuildResult``. ``summary``
renders them for people (stderr) and machines (``--json``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from zephyr_ota.ops.provenance import Resolved


@dataclass(frozen=True)
class OutputFile:
    """One file written (or that would be written, with --dry-run)."""

    path: Path
    kind: str                 # "primary-bin", "secondary-encrypted", "merged-hex", ...
    size: int
    sha256: str


@dataclass(frozen=True)
class BudgetFacts:
    """The slot budget as the summary prints it (MCUboot's rules, layout.budget)."""

    mode: str
    slot_size: int
    trailer_size: int
    spare_sector: int
    max_image_size: int
    image_size: int           # header + code + TLVs of the primary image

    @property
    def bytes_left(self) -> int:
        return self.max_image_size - self.image_size


@dataclass(frozen=True)
class ImageResult:
    """One image of the build: its resolved parameters and what was checked."""

    name: str                                  # "app", "net"
    domain: str                                # sysbuild domain
    image_index: int
    parameters: tuple[tuple[str, Resolved[object]], ...]   # ordered for the summary
    budget: BudgetFacts
    trusted_by: str                            # which trusted key the signing key is
    encrypted: bool
    version: str
    security_counter: int | None
    image_hash: str                            # hex hash TLV (what MCUmgr lists)


@dataclass(frozen=True)
class SignBuildResult:
    """The outcome of ``sign_build``; ``outputs`` is empty for a dry run."""

    build_dir: Path
    out_dir: Path
    images: tuple[ImageResult, ...]
    outputs: tuple[OutputFile, ...]
    warnings: tuple[str, ...] = ()
    dry_run: bool = False
    manifest_key: str = ""                     # which key signed the manifest

    def __bool__(self) -> bool:
        return True


@dataclass(frozen=True)
class FileCheck:
    """One file of a manifest and the checks it passed."""

    file: str
    name: str
    checks: tuple[str, ...]


@dataclass(frozen=True)
class VerifyBuildResult:
    """The outcome of ``verify_build`` (failures raise ``VerificationError``)."""

    manifest: Path
    signed_by: tuple[str, ...]                 # key ids that verified
    sequence_number: int
    release: str
    files: tuple[FileCheck, ...] = field(default=())
    warnings: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return True
