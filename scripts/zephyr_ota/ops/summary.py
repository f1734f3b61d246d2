"""Renderings of ``ops`` results: text for people, JSON for CI.

Entry points: ``render_sign_summary(result) -> str`` (each parameter with its
source, the budget: slot size, trailer, spare sector, image size, bytes
left; the files written), ``sign_summary_json(result) -> str``,
``render_verify_summary`` and ``verify_summary_json``. Pure: the adapters
decide where the text goes (stderr for text, stdout for JSON).
"""

from __future__ import annotations

import json
from typing import Any

from zephyr_ota.ops.results import ImageResult, SignBuildResult, VerifyBuildResult


def _value(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:#x} ({value})" if value >= 0x100 else str(value)
    return str(getattr(value, "value", value))


def _json_value(value: object) -> object:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    inner = getattr(value, "value", None)
    return inner if isinstance(inner, (int, str)) else str(value)


def _image_lines(image: ImageResult) -> list[str]:
    lines = [f"image {image.image_index} '{image.name}' (domain {image.domain}):"]
    width = max((len(name) for name, _ in image.parameters), default=0)
    for name, resolved in image.parameters:
        lines.append(f"  {name:<{width}}  {_value(resolved.value):<22} from {resolved.source}")
    b = image.budget
    lines += [
        f"  budget ({b.mode}):",
        f"    slot size      {b.slot_size:>9} bytes",
        f"    trailer        {b.trailer_size:>9} bytes",
        f"    spare sector   {b.spare_sector:>9} bytes",
        f"    max image      {b.max_image_size:>9} bytes (header + code + TLVs)",
        f"    image size     {b.image_size:>9} bytes",
        f"    bytes left     {b.bytes_left:>9} bytes",
        f"  signing key: {image.trusted_by}",
    ]
    return lines


def render_sign_summary(result: SignBuildResult) -> str:
    """The human summary of a signed (or dry-run) build."""
    lines = [f"build {result.build_dir}:"]
    for image in result.images:
        lines += _image_lines(image)
    if result.manifest_key:
        lines.append(f"manifest signed with {result.manifest_key}")
    if result.dry_run:
        lines.append("dry run: every check passed; nothing written")
    else:
        lines.append(f"wrote to {result.out_dir}:")
        lines += [f"  {o.path.name:<30} {o.size:>9} bytes" for o in result.outputs]
    return "\n".join(lines)


def _image_json(image: ImageResult) -> dict[str, Any]:
    b = image.budget
    return {
        "name": image.name, "domain": image.domain, "image_index": image.image_index,
        "version": image.version, "security_counter": image.security_counter,
        "encrypted": image.encrypted, "image_hash": image.image_hash,
        "trusted_by": image.trusted_by,
        "parameters": {name: {"value": _json_value(r.value), "source": r.source}
                       for name, r in image.parameters},
        "budget": {"mode": b.mode, "slot_size": b.slot_size, "trailer_size": b.trailer_size,
                   "spare_sector": b.spare_sector, "max_image_size": b.max_image_size,
                   "image_size": b.image_size, "bytes_left": b.bytes_left},
    }


def sign_summary_json(result: SignBuildResult) -> str:
    """The machine summary (``--json``): stable keys, one JSON document."""
    doc = {
        "build_dir": str(result.build_dir), "out_dir": str(result.out_dir),
        "dry_run": result.dry_run, "manifest_key": result.manifest_key,
        "images": [_image_json(i) for i in result.images],
        "outputs": [{"file": str(o.path), "kind": o.kind, "size": o.size, "sha256": o.sha256}
                    for o in result.outputs],
        "warnings": list(result.warnings),
    }
    return json.dumps(doc, indent=2, sort_keys=True)


def render_verify_summary(result: VerifyBuildResult) -> str:
    lines = [f"manifest {result.manifest}: release {result.release}, "
             f"sequence {result.sequence_number}",
             f"  signature: verified by {', '.join(result.signed_by)}"]
    for f in result.files:
        lines.append(f"  {f.file} ({f.name}): " + ", ".join(f.checks))
    lines.append("OK")
    return "\n".join(lines)


def verify_summary_json(result: VerifyBuildResult) -> str:
    doc = {"manifest": str(result.manifest), "signed_by": list(result.signed_by),
           "sequence_number": result.sequence_number, "release": result.release,
           "files": [{"file": f.file, "name": f.name, "checks": list(f.checks)}
                     for f in result.files],
           "warnings": list(result.warnings), "ok": True}
    return json.dumps(doc, indent=2, sort_keys=True)
