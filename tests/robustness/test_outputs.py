"""Output paths that cannot be written: a directory where the output file
should go, a file where its folder should be. Each used to end in an
``IsADirectoryError`` traceback from ``os.replace`` (fileio.atomic_writer)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import HEADER, assert_refused


@pytest.fixture
def x25519_key(tmp_path: Path) -> Path:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import x25519

    path = tmp_path / "in" / "x25519.pem"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(x25519.X25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return path


def _commands(m, out: Path, x25519: Path) -> dict[str, list[object]]:  # type: ignore[no-untyped-def]
    return {
        "sign": ["sign", "-k", m.key, *HEADER, m.firmware, out],
        "getpub": ["getpub", "-k", m.key, "-o", out],
        "getpubhash": ["getpubhash", "-k", m.key, "-o", out],
        "getpriv": ["getpriv", "-k", x25519, "-o", out],
        "keygen --force": ["keygen", "-k", out, "-t", "ed25519", "--force"],
    }


@pytest.mark.parametrize("command", ["sign", "getpub", "getpubhash", "getpriv",
                                     "keygen --force"])
def test_output_is_a_directory(command: str, ota, material, x25519_key, tmp_path: Path) -> None:
    out = tmp_path / "out dir"
    out.mkdir()
    run = ota(*_commands(material, out, x25519_key)[command])
    what = "expected a key file name" if command.startswith("keygen") else \
        "cannot write: expected a file name"
    assert_refused(run, f"{out}: {what}, found a directory")
    assert list(out.iterdir()) == [] and not list(tmp_path.glob(".out dir.*"))


@pytest.mark.parametrize("command", ["sign", "getpub", "getpriv"])
def test_output_folder_is_a_file(command: str, ota, material, x25519_key, tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    out = blocker / "sub" / "out.bin"
    run = ota(*_commands(material, out, x25519_key)[command])
    assert_refused(run, f"{out}: cannot write: {blocker} is a file, expected a folder")


def test_keygen_into_a_directory(ota, tmp_path: Path) -> None:
    """Without --force it used to say 'key file exists; not overwriting a key'."""
    folder = tmp_path / "keys"
    folder.mkdir()
    assert_refused(ota("keygen", "-k", folder, "-t", "ed25519"),
                   f"{folder}: expected a key file name, found a directory")


@pytest.mark.skipif(not hasattr(__import__("os"), "geteuid") or __import__("os").geteuid() == 0,
                    reason="root reads files whatever their mode; chmod 000 cannot bite")
def test_unreadable_firmware(ota, material, tmp_path: Path) -> None:
    material.firmware.chmod(0)
    try:
        assert_refused(ota("sign", "-k", material.key, *HEADER, material.firmware,
                           tmp_path / "out.bin"),
                       f"{material.firmware}: cannot read firmware file: Permission denied")
    finally:
        material.firmware.chmod(0o644)
