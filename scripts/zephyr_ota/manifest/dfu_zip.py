"""``dfu_application.zip`` as the nRF Connect SDK writes it, for nRF Connect
Device Manager (Android, iOS) and other MCUmgr tools.

Entry points: ``DfuZipRequest``, ``dfu_manifest(request) -> dict``,
``write_dfu_zip(request) -> Path``.

Field names and types follow NCS's generator (sdk-nrf
``scripts/bootloader/generate_zip.py`` with the parameters
``cmake/sysbuild/zip.cmake`` passes it), checked against both apps:

- top level: ``format-version`` 1 (the generator's default in NCS 2.9; older
  releases wrote 0),
  ``time`` (int), ``name``, ``files``; ``firmware.zephyr.revision`` when known;
- per file: ``type`` ("application"), ``board``, ``soc``, ``load_address``,
  ``image_index`` (string), ``slot_index_primary``/``slot_index_secondary``
  (strings; NCS numbers them 2*image_index+1 and +2: "1"/"2" for the
  application, "3"/"4" for the network core), ``version_MCUBOOT``
  (imgtool form "1.2.3+4"), ``size`` (int), ``file``, ``modtime`` (int);
  in direct-xip mode NCS writes ``slot`` ("0"/"1") and
  ``version_MCUBOOT+XIP`` instead of the slot indexes.
- strings where the iOS library (McuMgrManifest.swift) needs them: it reads
  ``image_index`` and ``slot`` only as strings (an integer is ignored and the
  file silently treated as image 0 / slot 1). ``load_address`` is written as
  a decimal string: iOS accepts a string it parses as a decimal Int or an
  int, Android's Gson reads a quoted number into an int; NCS itself writes an
  int here (the generator turns "0x..." values into ints).
- payloads are named ``*.bin``: the Android app loads only those.
- ``sha256`` and ``image_hash`` (hex) plus ``image_hash_alg`` are our extra
  keys; both apps ignore unknown keys.

The archive is deterministic: payloads in manifest order, then manifest.json
(as NCS adds it), timestamps from ``time`` (SOURCE_DATE_EPOCH), fixed
permissions, deflate; written atomically.
"""

from __future__ import annotations

import json
import shutil
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zephyr_ota.errors import InputError
from zephyr_ota.fileio import atomic_writer
from zephyr_ota.manifest.model import ImageEntry, ReleaseManifest

DFU_ZIP_NAME = "dfu_application.zip"
FORMAT_VERSION = 1
_ZIP_EPOCH = 315532800  # 1980-01-01T00:00:00Z: the earliest time a zip entry can hold


@dataclass(frozen=True)
class DfuZipRequest:
    """``directory`` holds the manifest's image files; ``time`` is a Unix
    time (SOURCE_DATE_EPOCH), used for ``time``, ``modtime`` and zip entries."""

    manifest: ReleaseManifest
    directory: Path
    output: Path
    time: int
    name: str | None = None          # default: "<release name> <release version>"


def _file_entry(m: ReleaseManifest, image: ImageEntry, modtime: int) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": "mcuboot" if image.type == "mcuboot" else "application",
        "board": image.board or m.target.board,
        "soc": image.soc or m.target.soc,
        "load_address": str(image.load_address),
        "image_index": str(image.image_index),
    }
    if image.upgrade_mode == "direct-xip":
        entry["slot"] = str(image.slot)
        entry["version_MCUBOOT+XIP"] = image.version.imgtool
    else:
        entry["slot_index_primary"] = str(2 * image.image_index + 1)
        entry["slot_index_secondary"] = str(2 * image.image_index + 2)
        entry["version_MCUBOOT"] = image.version.imgtool
    entry.update({
        "size": image.size,
        "file": image.file,
        "modtime": modtime,
        "sha256": image.sha256,
        "image_hash": image.image_hash.value,
        "image_hash_alg": image.image_hash.alg,
    })
    return entry


def dfu_manifest(req: DfuZipRequest) -> dict[str, Any]:
    """The ``manifest.json`` of the zip, as a dict (key order as NCS writes it)."""
    m = req.manifest
    for image in m.images:
        if not image.file.endswith(".bin"):
            raise InputError(f"{image.file}: image {image.name}: dfu_application.zip payloads must be "
                             "named *.bin (nRF Connect Device Manager for Android loads only those)")
    out: dict[str, Any] = {
        "format-version": FORMAT_VERSION,
        "time": req.time,
        "files": [_file_entry(m, image, req.time) for image in m.images],
        "name": req.name or f"{m.release.name} {m.release.version}",
    }
    if m.release.provenance.zephyr_revision:
        out["firmware"] = {"zephyr": {"revision": m.release.provenance.zephyr_revision}}
    return out


def _info(name: str, when: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=time.gmtime(max(when, _ZIP_EPOCH))[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3                    # Unix, so external_attr is read as a mode
    info.external_attr = (0o100644 & 0xFFFF) << 16
    return info


def write_dfu_zip(req: DfuZipRequest) -> Path:
    """Write the zip atomically; image files are streamed, not loaded whole."""
    manifest = dfu_manifest(req)
    paths = [req.directory / image.file for image in req.manifest.images]
    for image, path in zip(req.manifest.images, paths, strict=True):
        if not path.is_file():
            raise InputError(f"{path}: image {image.name} for {req.output.name} not found")
        if path.stat().st_size != image.size:
            raise InputError(f"{path}: size: expected {image.size} bytes (manifest), "
                             f"got {path.stat().st_size}")
    text = json.dumps(manifest, indent=4).encode("ascii")
    with atomic_writer(req.output) as f, zipfile.ZipFile(f, "w") as archive:
        for image, path in zip(req.manifest.images, paths, strict=True):
            with open(path, "rb") as src, archive.open(_info(image.file, req.time), "w") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        archive.writestr(_info("manifest.json", req.time), text)  # last, as NCS adds it
    return req.output
