"""ota-verify's core: each refusal by its message, in the documented order
(signatures over raw bytes, then files, then images, then policy)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from manifest.release_fixture import FakeChecker, ed25519_key, make_manifest, write_images
from zephyr_ota.errors import InputError, KeyFileError, PolicyError, VerificationError
from zephyr_ota.manifest.io import WriteRequest, read_manifest, write_release
from zephyr_ota.manifest.model import ReleaseManifest
from zephyr_ota.manifest.signing import keyid
from zephyr_ota.manifest.verify import (
    IMAGE_HASH,
    POLICY,
    RELEASE_MIX,
    VerifyRequest,
    compare_with_previous,
    header_version,
    verify_release,
)

KEY = ed25519_key()


def signed_release(directory: Path, **kw: object) -> tuple[ReleaseManifest, Path]:
    manifest = make_manifest(directory, **kw)
    written = write_release(WriteRequest(manifest, directory, (KEY,)))
    return manifest, written.manifest_path


def verify(path: Path, checker: FakeChecker | None = None, previous: ReleaseManifest | None = None,
           keys: tuple = (KEY.public_key(),)):
    return verify_release(VerifyRequest(path, keys, checker=checker, previous=previous))


def test_good_release(tmp_path: Path) -> None:
    manifest, path = signed_release(tmp_path)
    checker = FakeChecker()
    result = verify(path, checker)
    assert result and result.messages == ()
    assert result.manifest == manifest and result.signer_keyids == (keyid(KEY),)
    assert checker.calls == ["app", "net"]
    assert [(r.name, r.size_ok, r.sha256_ok, r.image_checked, r.image_hash_ok) for r in result.images] == [
        ("app", True, True, True, True), ("net", True, True, True, True)]
    result.raise_for_errors()


def test_without_checker_only_files_are_checked(tmp_path: Path) -> None:
    _, path = signed_release(tmp_path)
    result = verify(path)
    assert result and all(not r.image_checked for r in result.images)


def _refusal(result, cls=VerificationError) -> str:
    assert not result
    with pytest.raises(cls) as e:
        result.raise_for_errors()
    return str(e.value)


def test_manifest_edited_after_signing(tmp_path: Path) -> None:
    _, path = signed_release(tmp_path)
    raw = bytearray(path.read_bytes())
    raw[raw.index(b'"security_counter":3') + len(b'"security_counter":')] = ord("9")  # one byte
    path.write_bytes(bytes(raw))
    checker = FakeChecker()
    result = verify(path, checker)
    assert _refusal(result) == (f"{path}: signature by key {keyid(KEY)[:16]} does not match the "
                                "file's bytes (edited after signing?)")
    assert result.manifest is None and checker.calls == []      # nothing parsed, no image touched


def test_signature_by_unknown_key(tmp_path: Path) -> None:
    _, path = signed_release(tmp_path)
    other = ed25519_key("not trusted")
    message = _refusal(verify(path, keys=(other.public_key(),)))
    assert message == (f"{path}.sig: signature 0 is by an unknown key {keyid(KEY)[:16]}: "
                       "not a trusted manifest key")


def test_wrong_size(tmp_path: Path) -> None:
    _, path = signed_release(tmp_path)
    image = tmp_path / "net.signed.bin"
    image.write_bytes(image.read_bytes() + b"\0")
    assert _refusal(verify(path, FakeChecker())) == f"{image}: size: expected 3000 bytes (manifest), got 3001"


def test_wrong_sha256(tmp_path: Path) -> None:
    manifest, path = signed_release(tmp_path)
    image = tmp_path / "net.signed.bin"
    data = bytearray(image.read_bytes())
    data[-1] ^= 1
    image.write_bytes(bytes(data))
    assert _refusal(verify(path, FakeChecker())) == (
        f"{image}: sha256: expected {manifest.image('net').sha256} (manifest), "
        f"got {hashlib.sha256(data).hexdigest()}")


def test_missing_image(tmp_path: Path) -> None:
    _, path = signed_release(tmp_path)
    (tmp_path / "net.signed.bin").unlink()
    assert _refusal(verify(path)) == f"{tmp_path / 'net.signed.bin'}: image net listed in the manifest is missing"


def test_decrypted_hash_differs(tmp_path: Path) -> None:
    manifest, path = signed_release(tmp_path)
    result = verify(path, FakeChecker(wrong_hash_for="app"))
    assert [f.kind for f in result.errors] == [IMAGE_HASH]
    other = hashlib.sha256(b"other plaintext").hexdigest()
    assert _refusal(result) == (
        f"{tmp_path / 'zephyr.signed.encrypted.bin'}: image hash (sha256) of the decrypted image is "
        f"{other[:16]}..., the manifest's image_hash is {manifest.image('app').image_hash.value[:16]}...")


def test_image_signature_problem_is_reported(tmp_path: Path) -> None:
    _, path = signed_release(tmp_path)
    assert _refusal(verify(path, FakeChecker(bad_signature_for="net"))) == (
        f"{tmp_path / 'net.signed.bin'}: image signature: ED25519 signature does not verify with the given key")


def test_images_from_two_releases(tmp_path: Path) -> None:
    _, path = signed_release(tmp_path / "rel", version="1.3.0+0")
    other = write_images(tmp_path / "old", version="1.2.0+0", tag="old")
    shutil.copy(other["net"], tmp_path / "rel" / "net.signed.bin")
    result = verify(path, FakeChecker())
    assert [f.kind for f in result.errors] == [RELEASE_MIX]
    assert _refusal(result) == (
        f"{tmp_path / 'rel' / 'net.signed.bin'}: images from two different releases: this file holds "
        "version 1.2.0+0, release blinky 1.3.0 (sequence 1764000000) lists 1.3.0+0")


def test_lower_sequence_number_than_previous(tmp_path: Path) -> None:
    _, prev_path = signed_release(tmp_path / "prev", sequence=100)
    _, path = signed_release(tmp_path / "new", sequence=99)
    _, previous = read_manifest(prev_path)
    result = verify(path, FakeChecker(), previous=previous)
    assert [f.kind for f in result.errors] == [POLICY]
    assert _refusal(result, PolicyError) == (
        "sequence_number: expected at least 100 (previous release blinky 1.2.3), got 99")


def test_lower_security_counter_than_previous(tmp_path: Path) -> None:
    _, prev_path = signed_release(tmp_path / "prev", sequence=1, security_counter=5)
    _, path = signed_release(tmp_path / "new", sequence=2, security_counter=4)
    result = verify(path, previous=read_manifest(prev_path)[1])
    assert result.messages == (
        "images[app].security_counter: expected at least 5 (previous release), got 4",
        "images[net].security_counter: expected at least 5 (previous release), got 4")
    assert _refusal(result, PolicyError).startswith("images[app].security_counter")


def test_version_downgrade(tmp_path: Path) -> None:
    prev = make_manifest(tmp_path / "prev", version="2.0.0+0", sequence=1)
    new = make_manifest(tmp_path / "new", version="1.9.9+9", sequence=2)
    findings = compare_with_previous(new, prev)
    assert [(f.severity, f.message) for f in findings][0] == (
        "error", "images[app].version: expected at least 2.0.0+0 (previous release), got 1.9.9+9")
    assert {f.severity for f in compare_with_previous(new, prev, allow_version_downgrade=True)} == {"warning"}
    assert compare_with_previous(prev, prev) == ()


def test_equal_release_is_accepted_against_itself(tmp_path: Path) -> None:
    manifest, path = signed_release(tmp_path)
    assert verify(path, FakeChecker(), previous=manifest)


def test_header_version(tmp_path: Path) -> None:
    paths = write_images(tmp_path, version="3.2.1+7")
    assert str(header_version(paths["app"])) == "3.2.1+7"
    (tmp_path / "x").write_bytes(b"\0" * 40)
    assert header_version(tmp_path / "x") is None


def test_missing_signature_file(tmp_path: Path) -> None:
    _, path = signed_release(tmp_path)
    (tmp_path / "ota-manifest.json.sig").unlink()
    with pytest.raises(InputError) as e:
        verify(path)
    assert str(e.value) == f"{path}.sig: manifest signature not found"


def test_threshold_two_with_one_signature(tmp_path: Path) -> None:
    _, path = signed_release(tmp_path)
    second = ed25519_key("second")
    result = verify_release(VerifyRequest(path, (KEY.public_key(), second.public_key()), threshold=2))
    assert _refusal(result) == f"{path}: 1 valid signature(s) by trusted keys, 2 required"


def test_write_release_leaves_nothing_on_bad_key(tmp_path: Path) -> None:
    manifest = make_manifest(tmp_path)
    with pytest.raises(KeyFileError):
        write_release(WriteRequest(manifest, tmp_path / "out", (ec.generate_private_key(ec.SECP384R1()),)))
    assert not (tmp_path / "out").exists()
