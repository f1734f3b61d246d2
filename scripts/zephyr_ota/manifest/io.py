"""Reading and writing the manifest and its detached signature.

Entry points: ``manifest_bytes(manifest)``, ``parse_manifest(raw, source)``,
``read_manifest(path)``, ``write_release(WriteRequest) -> WrittenRelease``,
``MANIFEST_NAME``, ``SIGNATURE_NAME``, ``schema()``.

Errors name the file, then the key path: ``ota-manifest.json: images[0].sha256:
expected 64 lower-case hex digits, got 'xyz'``. JSON that the canonical form
cannot hold (floats, NaN, duplicate keys) is refused while parsing. Files are
written atomically through ``zephyr_ota.fileio``: a failure leaves no file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from zephyr_ota.errors import InputError, UsageError
from zephyr_ota.fileio import atomic_write, read_input
from zephyr_ota.manifest.canonical import canonical_bytes
from zephyr_ota.manifest.convert import manifest_from_json, manifest_to_json
from zephyr_ota.manifest.model import FieldError, ReleaseManifest
from zephyr_ota.manifest.signing import Signature, sign, signature_file_bytes

MANIFEST_NAME = "ota-manifest.json"
SIGNATURE_NAME = "ota-manifest.json.sig"


def manifest_bytes(manifest: ReleaseManifest) -> bytes:
    """The bytes that are written and signed: RFC 8785 canonical JSON."""
    return canonical_bytes(manifest_to_json(manifest))


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _no_float(text: str) -> Any:
    raise ValueError(f"number {text} is not an integer (the manifest holds integers only)")


def load_json(raw: bytes, source: str) -> Any:
    """Strict JSON: UTF-8, integers only, no duplicate keys."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{source}: not UTF-8 text (byte {e.start})") from e
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_float=_no_float,
                          parse_constant=_no_float)
    except json.JSONDecodeError as e:
        raise InputError(f"{source}:{e.lineno}:{e.colno}: invalid JSON: {e.msg}") from e
    except ValueError as e:
        raise InputError(f"{source}: invalid manifest JSON: {e}") from e


def parse_manifest(raw: bytes, source: str) -> ReleaseManifest:
    """Parse a manifest's bytes; call this only after its signatures passed."""
    value = load_json(raw, source)
    try:
        manifest = manifest_from_json(value)
    except FieldError as e:
        raise InputError(f"{source}: {e.message}", hint=e.hint) from e
    if manifest_bytes(manifest) != raw:
        raise InputError(f"{source}: not in canonical form (RFC 8785): expected the bytes "
                         "zephyr-ota writes, found other spacing, key order or escapes",
                         hint="the manifest must be written by `west sign-ota`, never re-formatted")
    return manifest


def read_manifest(path: str | os.PathLike[str]) -> tuple[bytes, ReleaseManifest]:
    """Read and parse a manifest WITHOUT checking signatures (e.g. ``--previous``
    from a trusted local store). Returns the raw bytes and the model."""
    raw = read_input(path, "manifest")
    return raw, parse_manifest(raw, str(path))


@dataclass(frozen=True)
class WriteRequest:
    """``keys`` are the manifest signing keys (private; Ed25519 or ECDSA P-256)."""

    manifest: ReleaseManifest
    out_dir: Path
    keys: tuple[Any, ...]
    manifest_name: str = MANIFEST_NAME
    signature_name: str = SIGNATURE_NAME


@dataclass(frozen=True)
class WrittenRelease:
    manifest_path: Path
    signature_path: Path
    manifest_bytes: bytes
    signatures: tuple[Signature, ...]


def write_release(req: WriteRequest) -> WrittenRelease:
    """Sign the canonical bytes and write manifest and signature atomically.
    Signing happens before anything is written, so a bad key leaves no file."""
    if not req.keys:
        raise UsageError("no manifest signing key given", hint="pass --manifest-key KEY")
    data = manifest_bytes(req.manifest)
    signatures = sign(data, req.keys)
    manifest_path = req.out_dir / req.manifest_name
    signature_path = req.out_dir / req.signature_name
    atomic_write(manifest_path, data)
    atomic_write(signature_path, signature_file_bytes(signatures))
    return WrittenRelease(manifest_path, signature_path, data, signatures)


def schema() -> dict[str, Any]:
    """The JSON Schema shipped in the package (``manifest/schema.json``)."""
    text = resources.files("zephyr_ota.manifest").joinpath("schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def signature_path_for(manifest_path: Path) -> Path:
    """Where the detached signature of ``manifest_path`` lives by convention."""
    return manifest_path.with_name(manifest_path.name + ".sig")

