"""Fixtures for the image engine tests: keys made once per session, firmware
synthesized per test, and runners for our CLI (in-process) and imgtool (the
oracle, in-process through click)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, x25519

from zephyr_ota import cli

from .support import Run

SIG_TYPES = ("rsa-2048", "rsa-3072", "ecdsa-p256", "ecdsa-p384", "ed25519")
ENC_TYPES = ("enc-rsa-2048", "enc-p256", "enc-x25519", "enc-p384")


def _generate(kind: str):  # noqa: ANN202 - cryptography private key
    if kind.endswith("rsa-2048"):
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "rsa-3072":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    if kind in ("ecdsa-p256", "enc-p256"):
        return ec.generate_private_key(ec.SECP256R1())
    if kind in ("ecdsa-p384", "enc-p384"):
        return ec.generate_private_key(ec.SECP384R1())
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    return x25519.X25519PrivateKey.generate()


@dataclass(frozen=True)
class KeyFiles:
    name: str
    private: Path
    public: Path
    crypto: object  # the cryptography private key


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, KeyFiles]:
    """Every key the tests use, generated once (RSA generation is slow)."""
    folder = tmp_path_factory.mktemp("keys")
    out = {}
    for name in SIG_TYPES + ENC_TYPES:
        key = _generate(name)
        priv = folder / f"{name}.pem"
        pub = folder / f"{name}.pub.pem"
        priv.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
        pub.write_bytes(key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        out[name] = KeyFiles(name, priv, pub, key)
    return out


@pytest.fixture
def ota(capsys: pytest.CaptureFixture[str]):  # noqa: ANN201
    """Run ``zephyr-ota`` in-process: ota("sign", ...) -> Run."""
    def run(*args: str | os.PathLike[str]) -> Run:
        capsys.readouterr()
        try:
            rc = cli.main([str(a) for a in args])
        except SystemExit as e:  # argparse usage errors
            rc = int(e.code or 0)
        captured = capsys.readouterr()
        return Run(rc, captured.out, captured.err)
    return run
