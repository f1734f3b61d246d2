"""Fixtures for the bad-input sweep: an in-process ``zephyr-ota`` runner
that also reports what appeared in a watched folder, one Ed25519 key pair
per session, and a small signed image to damage.

Every bad-input test asserts the same contract (``assert_refused``): a
non-zero exit, one ``zephyr-ota: error:`` line (plus an optional indented
``Hint:``), no traceback, and no new file (hidden temporary files included).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from zephyr_ota import cli

HEADER = ["-H", "32", "-S", "0x20000", "-v", "1.0.0"]


@dataclass
class Run:
    rc: int
    out: str
    err: str
    new_files: list[str]


def listing(folder: Path) -> set[str]:
    """Every path under ``folder``, hidden ones included."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.fixture
def ota(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Callable[..., Run]:
    """``ota("sign", ...)``: run in-process; ``new_files`` lists what appeared
    under tmp_path during the run."""
    def run(*args: object) -> Run:
        capsys.readouterr()
        before = listing(tmp_path)
        try:
            rc = cli.main([str(a) for a in args])
        except SystemExit as e:      # argparse usage errors
            rc = int(e.code or 0)
        captured = capsys.readouterr()
        return Run(rc, captured.out, captured.err, sorted(listing(tmp_path) - before))
    return run


def assert_refused(run: Run, message: str, rc: int = 1, hint: str | None = None) -> None:
    """The bad-input contract, with the exact error line (and hint). Progress
    and warning lines (``zephyr-ota: ...``) may come before the error."""
    assert "Traceback" not in run.err
    expected = [f"zephyr-ota: error: {message}"] + ([f"  Hint: {hint}"] if hint else [])
    lines = run.err.splitlines()
    assert lines[-len(expected):] == expected, run.err
    assert [line for line in lines if line.startswith("zephyr-ota: error:")] == expected[:1]
    assert all(line.startswith("zephyr-ota: ") for line in lines[:-len(expected)]), run.err
    assert run.rc == rc, run.err
    assert run.new_files == [], run.new_files


@dataclass(frozen=True)
class Material:
    key: Path
    pub: Path
    firmware: Path
    image: Path        # signed with ``key``: 32-byte header, 4000 bytes of code
    image_hex: Path    # the same at 0x10000


@pytest.fixture(scope="session")
def _session_material(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    import random

    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    pub = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    folder = tmp_path_factory.mktemp("material")
    (folder / "k.pem").write_bytes(pem)
    fw = bytes(32) + random.Random(1).randbytes(4000)
    (folder / "fw.bin").write_bytes(fw)
    for out, extra in (("img.bin", []), ("img.hex", ["-x", "0x10000"])):
        assert cli.main(["-q", "sign", "-k", str(folder / "k.pem"), *HEADER, *extra,
                         str(folder / "fw.bin"), str(folder / out)]) == 0
    return {"k.pem": pem, "k.pub.pem": pub, "fw.bin": fw,
            "img.bin": (folder / "img.bin").read_bytes(),
            "img.hex": (folder / "img.hex").read_bytes()}


@pytest.fixture
def material(tmp_path: Path, _session_material: dict[str, bytes]) -> Material:
    """The session's key, firmware and images, copied into ``tmp_path/in``."""
    folder = tmp_path / "in"
    folder.mkdir()
    for name, data in _session_material.items():
        (folder / name).write_bytes(data)
    return Material(folder / "k.pem", folder / "k.pub.pem", folder / "fw.bin",
                    folder / "img.bin", folder / "img.hex")
