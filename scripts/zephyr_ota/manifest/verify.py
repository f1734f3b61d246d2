"""Verify a release: manifest signatures, then files, then images, then policy.

Entry points: ``verify_release(VerifyRequest) -> VerifyResult``,
``compare_with_previous(current, previous)``, the ``ImageChecker`` Protocol
and its ``ImageFindings`` result.

Order matters (issue 9, the logic a device-side agent needs):

1. the detached signatures over the manifest file's raw bytes, before any of
   it is parsed (a failure stops here: nothing in the file can be trusted);
2. per image, size and SHA-256 of the file as delivered; a file whose MCUboot
   header carries another version than the manifest is reported as a file
   from a different release;
3. per image, through ``ImageChecker`` (implemented by the image engine, so
   this package knows nothing of TLVs or AES): the image signature, and the
   image hash recomputed over the plaintext (decrypted with the device key)
   which we compare with the manifest's ``image_hash``;
4. against a ``previous`` manifest: a lower ``sequence_number``, security
   counter or version is a policy refusal.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from zephyr_ota.errors import OtaError, PolicyError, VerificationError
from zephyr_ota.fileio import read_input
from zephyr_ota.manifest.build import file_digest, warn_sha384
from zephyr_ota.manifest.io import parse_manifest, signature_path_for
from zephyr_ota.manifest.model import ImageEntry, ReleaseManifest, Version
from zephyr_ota.manifest.signing import SignatureRequest, verify_signatures

# bootutil/image.h: IMAGE_MAGIC, and struct image_header puts ih_ver at byte 20.
_IMAGE_MAGIC = 0x96F3B83D
_HEADER_PREFIX = struct.Struct("<I16xBBHI")

SIGNATURE, FILE, RELEASE_MIX, IMAGE, IMAGE_HASH, POLICY = (
    "signature", "file", "release-mix", "image", "image-hash", "policy")


@dataclass(frozen=True)
class ImageFindings:
    """What the image engine found in one image file.

    ``image_hash`` is the hash recomputed over the image as MCUboot hashes it
    (header, plaintext body, protected TLVs), after decrypting with the
    device key when the file is encrypted; None when it could not be
    recomputed (encrypted and no device key given). ``problems`` are
    one-line messages (a bad image signature, a wrong device key)."""

    image_hash: bytes | None
    problems: tuple[str, ...] = ()


class ImageChecker(Protocol):
    """The image-level checks, provided by the image engine."""

    def check_image(self, entry: ImageEntry, path: Path) -> ImageFindings: ...


@dataclass(frozen=True)
class Finding:
    kind: str                 # one of SIGNATURE, FILE, RELEASE_MIX, IMAGE, IMAGE_HASH, POLICY
    message: str
    severity: str = "error"   # "error" or "warning"


@dataclass(frozen=True)
class ImageReport:
    name: str
    file: str
    size_ok: bool
    sha256_ok: bool
    image_checked: bool       # the ImageChecker ran
    image_hash_ok: bool | None  # None: not recomputed


@dataclass(frozen=True)
class VerifyResult:
    manifest: ReleaseManifest | None
    findings: tuple[Finding, ...]
    images: tuple[ImageReport, ...] = ()
    signer_keyids: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return not self.errors

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def messages(self) -> tuple[str, ...]:
        return tuple(f.message for f in self.findings)

    def raise_for_errors(self) -> None:
        """Raise the first error as PolicyError (policy) or VerificationError."""
        if not self.errors:
            return
        first = self.errors[0]
        more = len(self.errors) - 1
        hint = f"{more} more problem(s): " + "; ".join(f.message for f in self.errors[1:]) if more else None
        cls: type[OtaError] = PolicyError if first.kind == POLICY else VerificationError
        raise cls(first.message, hint=hint)


@dataclass(frozen=True)
class VerifyRequest:
    """``trusted_keys``: public keys (cryptography objects or zephyr_ota.keys
    wrappers). ``directory`` defaults to the manifest's folder,
    ``signature_path`` to ``<manifest>.sig``. ``previous`` is a manifest the
    caller trusts (read with ``io.read_manifest``)."""

    manifest_path: Path
    trusted_keys: tuple[Any, ...]
    threshold: int = 1
    signature_path: Path | None = None
    directory: Path | None = None
    checker: ImageChecker | None = None
    previous: ReleaseManifest | None = None


def verify_release(req: VerifyRequest) -> VerifyResult:
    """Check a release in the documented order. Findings come back in the
    result; unreadable inputs raise ``InputError``, a bad request ``UsageError``."""
    raw = read_input(req.manifest_path, "manifest")
    sig_path = req.signature_path or signature_path_for(req.manifest_path)
    sig_raw = read_input(sig_path, "manifest signature")
    check = verify_signatures(SignatureRequest(raw, sig_raw, tuple(req.trusted_keys), req.threshold,
                                               str(req.manifest_path), str(sig_path)))
    if not check:
        return VerifyResult(None, tuple(Finding(SIGNATURE, m) for m in check.problems))
    manifest = parse_manifest(raw, str(req.manifest_path))
    directory = req.directory or req.manifest_path.parent
    findings: list[Finding] = []
    reports = [_verify_image(manifest, image, directory, req.checker, findings)
               for image in manifest.images]
    if req.previous is not None:
        findings.extend(compare_with_previous(manifest, req.previous))
    return VerifyResult(manifest, tuple(findings), tuple(reports), check.valid_keyids)


def _verify_image(manifest: ReleaseManifest, image: ImageEntry, directory: Path,
                  checker: ImageChecker | None, findings: list[Finding]) -> ImageReport:
    path = directory / image.file
    warn_sha384(image.name, image.image_hash.alg)
    if not path.is_file():
        found = "is a directory" if path.is_dir() else "is missing"
        findings.append(Finding(FILE, f"{path}: image {image.name} listed in the manifest {found}"))
        return ImageReport(image.name, image.file, False, False, False, None)
    size, sha = file_digest(path)
    size_ok, sha_ok = size == image.size, sha.hex() == image.sha256
    if not (size_ok and sha_ok):
        findings.append(_file_mismatch(manifest, image, path, size, sha.hex()))
        return ImageReport(image.name, image.file, size_ok, sha_ok, False, None)
    if checker is None:
        return ImageReport(image.name, image.file, True, True, False, None)
    result = checker.check_image(image, path)
    findings.extend(Finding(IMAGE, f"{path}: {p}") for p in result.problems)
    hash_ok = None
    if result.image_hash is not None:
        hash_ok = result.image_hash.hex() == image.image_hash.value
        if not hash_ok:
            findings.append(Finding(IMAGE_HASH, (
                f"{path}: image hash ({image.image_hash.alg}) of the decrypted image is "
                f"{result.image_hash.hex()[:16]}..., the manifest's image_hash is "
                f"{image.image_hash.value[:16]}...")))
    return ImageReport(image.name, image.file, True, True, True, hash_ok)


def _file_mismatch(manifest: ReleaseManifest, image: ImageEntry, path: Path, size: int,
                   sha: str) -> Finding:
    found = header_version(path)
    if found is not None and found != image.version:
        return Finding(RELEASE_MIX, (
            f"{path}: images from two different releases: this file holds version {found.imgtool}, "
            f"release {manifest.release.name} {manifest.release.version} "
            f"(sequence {manifest.sequence_number}) lists {image.version.imgtool}"))
    if size != image.size:
        return Finding(FILE, f"{path}: size: expected {image.size} bytes (manifest), got {size}")
    return Finding(FILE, f"{path}: sha256: expected {image.sha256} (manifest), got {sha}")


def header_version(path: Path) -> Version | None:
    """The version in an MCUboot image header, or None when the file has none."""
    with open(path, "rb") as f:
        head = f.read(_HEADER_PREFIX.size)
    if len(head) < _HEADER_PREFIX.size:
        return None
    magic, major, minor, revision, build = _HEADER_PREFIX.unpack(head)
    return Version(major, minor, revision, build) if magic == _IMAGE_MAGIC else None


def compare_with_previous(current: ReleaseManifest, previous: ReleaseManifest,
                          allow_version_downgrade: bool = False) -> tuple[Finding, ...]:
    """Policy findings for installing ``current`` over ``previous``: lower
    sequence number, security counter (MCUboot refuses those at boot anyway,
    bootutil's boot_nv_security_counter_get) or version (a warning with
    ``allow_version_downgrade``)."""
    out: list[Finding] = []
    if current.sequence_number < previous.sequence_number:
        out.append(Finding(POLICY, (
            f"sequence_number: expected at least {previous.sequence_number} (previous release "
            f"{previous.release.name} {previous.release.version}), got {current.sequence_number}")))
    prev_by_index = {i.image_index: i for i in previous.images}
    for image in current.images:
        prev = prev_by_index.get(image.image_index)
        if prev is None:
            continue
        out.extend(_image_policy(image, prev, allow_version_downgrade))
    return tuple(out)


def _image_policy(image: ImageEntry, prev: ImageEntry, allow_downgrade: bool) -> Sequence[Finding]:
    out = []
    if (image.security_counter is not None and prev.security_counter is not None
            and image.security_counter < prev.security_counter):
        out.append(Finding(POLICY, (
            f"images[{image.name}].security_counter: expected at least {prev.security_counter} "
            f"(previous release), got {image.security_counter}")))
    if image.version < prev.version:
        out.append(Finding(POLICY, (
            f"images[{image.name}].version: expected at least {prev.version.imgtool} "
            f"(previous release), got {image.version.imgtool}"),
            severity="warning" if allow_downgrade else "error"))
    return out

