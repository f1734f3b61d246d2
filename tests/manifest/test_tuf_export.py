"""TUF export: python-tuf loads the fragment, a test repository (python-tuf's
Metadata API, keys generated here) signs it into its targets role with its
own root, snapshot and timestamp, and ngclient's Updater downloads and
verifies an image from that repository served on 127.0.0.1."""

from __future__ import annotations

import builtins
import contextlib
import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata, MetaFile, Root, Snapshot, Targets, Timestamp
from tuf.api.serialization.json import JSONSerializer
from tuf.ngclient import Updater

from manifest.release_fixture import make_manifest
from zephyr_ota.errors import UnsupportedError
from zephyr_ota.manifest.model import ReleaseManifest
from zephyr_ota.manifest.tuf_export import FRAGMENT_NAME, target_path, write_targets_fragment

ROLES = ("root", "targets", "snapshot", "timestamp")


def test_fragment_loads_and_describes_the_files(tmp_path: Path) -> None:
    manifest = make_manifest(tmp_path / "rel")
    path = write_targets_fragment(manifest, tmp_path / "out")
    assert path == tmp_path / "out" / FRAGMENT_NAME
    fragment = Metadata[Targets].from_bytes(path.read_bytes())
    assert fragment.signatures == {}
    assert sorted(fragment.signed.targets) == ["blinky/1.2.3/net.signed.bin",
                                               "blinky/1.2.3/zephyr.signed.encrypted.bin"]
    for image in manifest.images:
        target = fragment.signed.targets[target_path(manifest, image)]
        target.verify_length_and_hashes((tmp_path / "rel" / image.file).read_bytes())
        custom = target.custom
        assert custom["mcuboot"]["image_hash"] == {"alg": "sha256", "value": image.image_hash.value}
        assert custom["mcuboot"]["version"] == image.version.imgtool
        assert custom["mcuboot"]["security_counter"] == 3
        assert custom["hardware"]["class_id"] == manifest.identity.class_id
        assert custom["release"]["sequence_number"] == manifest.sequence_number
    assert fragment.signed.targets["blinky/1.2.3/net.signed.bin"].custom["hardware"]["board"] == \
        "nrf5340dk/nrf5340/cpunet"


def test_missing_python_tuf_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = make_manifest(tmp_path)
    real_import = builtins.__import__

    def no_tuf(name: str, *args: object, **kwargs: object) -> object:
        if name.startswith("tuf"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tuf)
    with pytest.raises(UnsupportedError) as e:
        write_targets_fragment(manifest, tmp_path / "out")
    assert str(e.value) == "TUF export needs python-tuf, which is not installed"
    assert e.value.hint == "pip install 'zephyr-ota[tuf]'"
    assert not (tmp_path / "out" / FRAGMENT_NAME).exists()


def _publish(repo: Path, fragment_path: Path, release_dir: Path, manifest: ReleaseManifest) -> bytes:
    """A minimal TUF repository holding the fragment's targets; returns root.json."""
    expires = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=7)
    signers = {role: CryptoSigner.generate_ed25519() for role in ROLES}
    root = Root(expires=expires, consistent_snapshot=False)
    for role, signer in signers.items():
        root.add_key(signer.public_key, role)
    fragment = Metadata[Targets].from_bytes(fragment_path.read_bytes())
    targets = Targets(expires=expires)
    targets.targets.update(fragment.signed.targets)       # the repository signs our fragment
    snapshot = Snapshot(expires=expires)
    snapshot.meta["targets.json"] = MetaFile(version=targets.version)
    timestamp = Timestamp(expires=expires)
    timestamp.snapshot_meta = MetaFile(version=snapshot.version)
    (repo / "metadata").mkdir(parents=True)
    for role, signed in zip(ROLES, (root, targets, snapshot, timestamp), strict=True):
        md = Metadata(signed)
        md.sign(signers[role])
        md.to_file(str(repo / "metadata" / f"{role}.json"), JSONSerializer(compact=False))
    shutil.copy(repo / "metadata" / "root.json", repo / "metadata" / "1.root.json")
    for image in manifest.images:
        dest = repo / "targets" / target_path(manifest, image)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(release_dir / image.file, dest)
    return (repo / "metadata" / "root.json").read_bytes()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base signature
        pass


@contextlib.contextmanager
def _serve(directory: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_ngclient_downloads_and_verifies_an_image(tmp_path: Path) -> None:
    manifest = make_manifest(tmp_path / "rel")
    fragment = write_targets_fragment(manifest, tmp_path / "out")
    root_json = _publish(tmp_path / "repo", fragment, tmp_path / "rel", manifest)
    client = tmp_path / "client"
    (client / "metadata").mkdir(parents=True)
    (client / "downloads").mkdir()
    app = manifest.image("app")
    with _serve(tmp_path / "repo") as url:
        updater = Updater(metadata_dir=str(client / "metadata"), metadata_base_url=f"{url}/metadata/",
                          target_dir=str(client / "downloads"), target_base_url=f"{url}/targets/",
                          bootstrap=root_json)
        updater.refresh()
        info = updater.get_targetinfo(target_path(manifest, app))
        assert info is not None
        assert info.custom["mcuboot"]["image_hash"]["value"] == app.image_hash.value
        downloaded = updater.download_target(info)
    assert Path(downloaded).read_bytes() == (tmp_path / "rel" / app.file).read_bytes()


def test_ngclient_rejects_a_tampered_image(tmp_path: Path) -> None:
    from tuf.api.exceptions import LengthOrHashMismatchError

    manifest = make_manifest(tmp_path / "rel")
    fragment = write_targets_fragment(manifest, tmp_path / "out")
    root_json = _publish(tmp_path / "repo", fragment, tmp_path / "rel", manifest)
    net = manifest.image("net")
    served = tmp_path / "repo" / "targets" / target_path(manifest, net)
    data = bytearray(served.read_bytes())
    data[100] ^= 0xFF
    served.write_bytes(bytes(data))
    (tmp_path / "client").mkdir()
    with _serve(tmp_path / "repo") as url:
        updater = Updater(metadata_dir=str(tmp_path / "client"), metadata_base_url=f"{url}/metadata/",
                          target_dir=str(tmp_path / "client"), target_base_url=f"{url}/targets/",
                          bootstrap=root_json)
        info = updater.get_targetinfo(target_path(manifest, net))
        assert info is not None
        with pytest.raises(LengthOrHashMismatchError):
            updater.download_target(info)
