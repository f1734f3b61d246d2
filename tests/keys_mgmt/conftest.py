"""Fixtures for the key-management tests: a CLI runner, a scan for private
key material in captured output, and a real SoftHSM2 token."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

DEV_KEYS = Path(__file__).resolve().parents[1] / "data" / "mcuboot-dev-keys"
SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN_LABEL = "zephyr-ota-test"
TOKEN_PIN = "123456"


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run ``zephyr-ota`` in-process; returns exit code and captured output."""
    from zephyr_ota.cli import main

    def run(*argv: str) -> Result:
        capsys.readouterr()
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No real home, no ota.yml from the checkout, no inherited passwords."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("ZEPHYR_OTA_KEYS_DIR", raising=False)
    monkeypatch.delenv("ZEPHYR_OTA_KEY_PASSWORD", raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)


def private_markers(path: Path, password: bytes | None = None) -> list[str]:
    """Strings that would reveal the private key in ``path``: its PEM body
    lines and its raw private value (hex and base64)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, x25519

    data = path.read_bytes()
    key = serialization.load_pem_private_key(data, password)
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    markers = [line for line in data.decode().splitlines()
               if line and not line.startswith("-----") and ":" not in line and len(line) > 16
               and not _only_public(line, public)]
    if isinstance(key, ec.EllipticCurvePrivateKey):
        raw = key.private_numbers().private_value.to_bytes((key.curve.key_size + 7) // 8, "big")
    elif isinstance(key, rsa.RSAPrivateKey):
        d = key.private_numbers().d
        raw = d.to_bytes((d.bit_length() + 7) // 8, "big")
    elif isinstance(key, (ed25519.Ed25519PrivateKey, x25519.X25519PrivateKey)):
        raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    else:  # pragma: no cover
        raise AssertionError(type(key))
    markers += [raw.hex(), raw.hex().upper(), base64.b64encode(raw).decode()]
    return markers


def _only_public(line: str, public_der: bytes) -> bool:
    """A PEM line whose bytes all belong to the public key (SEC1 and PKCS#8
    files embed the public point) reveals nothing private."""
    try:
        chunk = base64.b64decode(line, validate=True)
    except ValueError:
        return False
    return chunk in public_der or (len(chunk) > 8 and chunk[1:] in public_der)


def assert_no_private_material(text: str, *keys: Path, password: bytes | None = None) -> None:
    for key in keys:
        for marker in private_markers(key, password):
            assert marker not in text, f"private material of {key} in output"


@dataclass(frozen=True)
class Token:
    conf: Path
    label: str
    pin: str
    module: str

    def uri(self, label: str, with_pin: bool = True) -> str:
        pin = f"?pin-value={self.pin}" if with_pin else ""
        return f"pkcs11:token={self.label};object={label}{pin}"


@pytest.fixture(scope="session")
def softhsm_token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Token]:
    """A real SoftHSM2 token with P-256, P-384, RSA-2048/3072 and Ed25519 key pairs."""
    if shutil.which("softhsm2-util") is None or not os.path.exists(SOFTHSM_MODULE):
        pytest.skip("SoftHSM2 is not installed (Debian: apt install softhsm2)")
    pkcs11 = pytest.importorskip("pkcs11", reason="python-pkcs11 is not installed")
    root = tmp_path_factory.mktemp("softhsm")
    (root / "tokens").mkdir()
    conf = root / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\n"
                    "log.level = ERROR\n")
    saved = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", TOKEN_LABEL,
                    "--pin", TOKEN_PIN, "--so-pin", "87654321"],
                   check=True, capture_output=True)
    _make_token_keys(pkcs11)
    yield Token(conf, TOKEN_LABEL, TOKEN_PIN, SOFTHSM_MODULE)
    if saved is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = saved


def _make_token_keys(pkcs11: object) -> None:
    from pkcs11 import Attribute, KeyType
    from pkcs11.util.ec import encode_named_curve_parameters

    lib = pkcs11.lib(SOFTHSM_MODULE)  # type: ignore[attr-defined]
    token = lib.get_token(token_label=TOKEN_LABEL)
    with token.open(rw=True, user_pin=TOKEN_PIN) as session:
        for index, (label, oid) in enumerate((("p256", "secp256r1"), ("p384", "secp384r1"),
                                              ("ed25519", "1.3.101.112")), 1):
            kind = KeyType.EC_EDWARDS if label == "ed25519" else KeyType.EC
            params = session.create_domain_parameters(
                kind, {Attribute.EC_PARAMS: encode_named_curve_parameters(oid)}, local=True)
            params.generate_keypair(store=True, label=label, id=bytes([index]))
        for index, bits in ((4, 2048), (5, 3072)):
            session.generate_keypair(KeyType.RSA, bits, store=True, label=f"rsa{bits}",
                                     id=bytes([index]))
