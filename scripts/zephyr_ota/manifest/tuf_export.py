"""Export a release to TUF: one ``TargetFile`` per image, as a targets fragment.

Entry points: ``targets_fragment(manifest, prefix=None)`` (a python-tuf
``Metadata[Targets]`` without signatures), ``fragment_bytes(...)``,
``write_targets_fragment(manifest, out_dir, prefix=None) -> Path``,
``target_path(manifest, image, prefix)``, ``FRAGMENT_NAME``.

At internet scale releases are served by a TUF repository, not by us (issue
9). The repository keeps root, snapshot and timestamp -- freshness cannot come
from CI -- and signs our targets into its ``targets`` role or a delegation:
``repo_targets.signed.targets.update(fragment.signed.targets)``. Each
TargetFile carries ``length`` and ``hashes`` (sha256 of the file as
delivered, from the manifest) and, in ``custom``, the MCUboot facts and the
hardware identifiers a client needs to pick the right image.

python-tuf is an optional extra (``pip install zephyr-ota[tuf]``), imported
only here, lazily.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from zephyr_ota.errors import UnsupportedError
from zephyr_ota.fileio import atomic_write
from zephyr_ota.manifest.convert import image_to_json
from zephyr_ota.manifest.model import ImageEntry, ReleaseManifest

FRAGMENT_NAME = "targets-fragment.json"
_DEFAULT_LIFETIME = timedelta(days=365)


def _tuf() -> tuple[Any, Any]:
    """python-tuf's metadata module and JSON serializer, or a clear error."""
    try:
        from tuf.api import metadata
        from tuf.api.serialization.json import JSONSerializer
    except ImportError as e:
        raise UnsupportedError("TUF export needs python-tuf, which is not installed",
                               hint="pip install 'zephyr-ota[tuf]'") from e
    return metadata, JSONSerializer


def target_path(manifest: ReleaseManifest, image: ImageEntry, prefix: str | None = None) -> str:
    """The TUF target path: ``<release name>/<release version>/<file>`` by default,
    so releases with the same file names do not collide."""
    if prefix is None:
        prefix = f"{manifest.release.name}/{manifest.release.version}/"
    return f"{prefix}{image.file}"


def _custom(manifest: ReleaseManifest, image: ImageEntry) -> dict[str, Any]:
    facts = image_to_json(image)
    for key in ("file", "size", "sha256"):   # TUF's own length/hashes hold these
        facts.pop(key)
    return {
        "mcuboot": facts,
        "hardware": {
            "board": image.board or manifest.target.board,
            "soc": image.soc or manifest.target.soc,
            "vendor_id": manifest.identity.vendor_id,
            "class_id": manifest.identity.class_id,
        },
        "release": {
            "name": manifest.release.name,
            "version": manifest.release.version,
            "sequence_number": manifest.sequence_number,
        },
    }


def _parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def targets_fragment(manifest: ReleaseManifest, prefix: str | None = None) -> Any:
    """An unsigned ``Metadata[Targets]`` holding one TargetFile per image."""
    md, _ = _tuf()
    targets = {}
    for image in manifest.images:
        path = target_path(manifest, image, prefix)
        targets[path] = md.TargetFile(length=image.size, hashes={"sha256": image.sha256}, path=path,
                                      unrecognized_fields={"custom": _custom(manifest, image)})
    expires = (_parse_time(manifest.expires) if manifest.expires
               else _parse_time(manifest.created) + _DEFAULT_LIFETIME)
    return md.Metadata(md.Targets(version=1, expires=expires, targets=targets))


def fragment_bytes(manifest: ReleaseManifest, prefix: str | None = None) -> bytes:
    """The fragment as python-tuf serializes metadata (sorted keys, indented)."""
    _, serializer = _tuf()
    return bytes(targets_fragment(manifest, prefix).to_bytes(serializer(compact=False)))


def write_targets_fragment(manifest: ReleaseManifest, out_dir: Path, prefix: str | None = None) -> Path:
    """Write ``<out_dir>/targets-fragment.json`` atomically; returns its path."""
    data = fragment_bytes(manifest, prefix)
    path = out_dir / FRAGMENT_NAME
    atomic_write(path, data)
    return path
