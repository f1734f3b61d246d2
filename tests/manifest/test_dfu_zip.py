"""dfu_application.zip: NCS field names and types, *.bin payloads, sizes and
names that match the archive, deterministic bytes, atomic output."""

from __future__ import annotations

import dataclasses
import json
import zipfile
from pathlib import Path

import pytest

from manifest.release_fixture import GOLDEN_EPOCH, make_manifest
from zephyr_ota.errors import InputError
from zephyr_ota.manifest.dfu_zip import DfuZipRequest, dfu_manifest, write_dfu_zip

# What NCS's generate_zip.py writes per file (sdk-nrf scripts/bootloader,
# parameters from cmake/sysbuild/zip.cmake) and the type each app needs.
STRING_FIELDS = ("type", "board", "soc", "load_address", "image_index", "slot_index_primary",
                 "slot_index_secondary", "version_MCUBOOT", "file", "sha256", "image_hash",
                 "image_hash_alg")
INT_FIELDS = ("size", "modtime")


def _zip(tmp_path: Path, **kw: object) -> tuple[Path, dict]:
    manifest = make_manifest(tmp_path / "rel", **kw)
    out = write_dfu_zip(DfuZipRequest(manifest, tmp_path / "rel", tmp_path / "dfu_application.zip",
                                      GOLDEN_EPOCH))
    with zipfile.ZipFile(out) as z:
        return out, json.loads(z.read("manifest.json"))


def test_manifest_types(tmp_path: Path) -> None:
    _, doc = _zip(tmp_path)
    assert doc["format-version"] == 1 and type(doc["format-version"]) is int
    assert doc["time"] == GOLDEN_EPOCH and doc["name"] == "blinky 1.2.3"
    for entry in doc["files"]:
        assert list(entry) == list(STRING_FIELDS[:8]) + ["size", "file", "modtime"] + list(STRING_FIELDS[-3:])
        for key in STRING_FIELDS:
            assert type(entry[key]) is str, key
        for key in INT_FIELDS:
            assert type(entry[key]) is int, key
        assert int(entry["load_address"]) >= 0          # decimal, as iOS parses it
    app, net = doc["files"]
    assert (app["image_index"], app["slot_index_primary"], app["slot_index_secondary"]) == ("0", "1", "2")
    assert (net["image_index"], net["slot_index_primary"], net["slot_index_secondary"]) == ("1", "3", "4")
    assert app["version_MCUBOOT"] == "1.2.3+4" and app["type"] == net["type"] == "application"
    assert (net["board"], app["board"]) == ("nrf5340dk/nrf5340/cpunet", "nrf5340dk/nrf5340/cpuapp")
    assert doc["firmware"] == {"zephyr": {"revision": "v4.4.0"}}


def test_archive_matches_manifest(tmp_path: Path) -> None:
    out, doc = _zip(tmp_path)
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        assert names == ["zephyr.signed.encrypted.bin", "net.signed.bin", "manifest.json"]
        for entry in doc["files"]:
            assert entry["file"].endswith(".bin")
            data = z.read(entry["file"])
            assert len(data) == entry["size"] == z.getinfo(entry["file"]).file_size
            assert data == (tmp_path / "rel" / entry["file"]).read_bytes()
        assert {i.date_time for i in z.infolist()} == {(2025, 11, 24, 16, 0, 0)}


def test_deterministic(tmp_path: Path) -> None:
    a, _ = _zip(tmp_path / "a")
    b, _ = _zip(tmp_path / "b")
    assert a.read_bytes() == b.read_bytes()


def test_direct_xip_fields(tmp_path: Path) -> None:
    manifest = make_manifest(tmp_path)
    images = tuple(dataclasses.replace(i, upgrade_mode="direct-xip", slot=0) for i in manifest.images)
    doc = dfu_manifest(DfuZipRequest(dataclasses.replace(manifest, images=images), tmp_path,
                                     tmp_path / "z.zip", GOLDEN_EPOCH))
    entry = doc["files"][0]
    assert entry["slot"] == "0" and entry["version_MCUBOOT+XIP"] == "1.2.3+4"
    assert "slot_index_primary" not in entry and "version_MCUBOOT" not in entry


def test_non_bin_payload_refused(tmp_path: Path) -> None:
    manifest = make_manifest(tmp_path)
    app = dataclasses.replace(manifest.images[0], file="zephyr.signed.hex")
    req = DfuZipRequest(dataclasses.replace(manifest, images=(app, manifest.images[1])), tmp_path,
                        tmp_path / "dfu_application.zip", GOLDEN_EPOCH)
    with pytest.raises(InputError) as e:
        write_dfu_zip(req)
    assert str(e.value) == ("zephyr.signed.hex: image app: dfu_application.zip payloads must be named "
                            "*.bin (nRF Connect Device Manager for Android loads only those)")
    assert not req.output.exists()


def test_changed_file_refused_and_nothing_left(tmp_path: Path) -> None:
    manifest = make_manifest(tmp_path)
    (tmp_path / "net.signed.bin").write_bytes(b"short")
    out = tmp_path / "dfu_application.zip"
    with pytest.raises(InputError) as e:
        write_dfu_zip(DfuZipRequest(manifest, tmp_path, out, GOLDEN_EPOCH))
    assert str(e.value) == f"{tmp_path / 'net.signed.bin'}: size: expected 3000 bytes (manifest), got 5"
    assert not out.exists() and not list(tmp_path.glob(".dfu_application.zip.*"))
