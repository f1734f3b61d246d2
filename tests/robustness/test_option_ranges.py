"""Out-of-range numbers for sign's options and awkward key files: the sweep
found these already right; they are pinned here so they stay one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import assert_refused

BASE = {"-H": "32", "-S": "0x20000", "-v": "1.0.0"}

OPTION_CASES = [
    (["-S", "-1"], 2, "-S/--slot-size: expected a size, got -1"),
    (["-H", "8"], 2, "-H/--header-size: expected 32..0xffff, got 0x8"),
    (["-H", "0x10000000000"], 2, "-H/--header-size: expected 32..0xffff, got 0x10000000000"),
    (["-v", "1.2.3.4.5"], 2, "version: expected major.minor.revision+build (later parts "
     "optional), got '1.2.3.4.5'"),
    (["-v", "256.0.0"], 2, "version: major must be 0..255, got 256"),
    (["-v", "1.2.65536"], 2, "version: revision must be 0..65535, got 65536"),
    (["-v", "1.2.3+4294967296"], 2, "version: build must be 0..4294967295, got 4294967296"),
    (["-s", "-1"], 2, "-s/--security-counter: expected 0..0xffffffff, got -1"),
    (["-s", "4294967296"], 2, "-s/--security-counter: expected 0..0xffffffff, got 4294967296"),
    (["-M", "-1"], 2, "-M/--max-sectors: expected a positive count, got -1"),
    (["-x", "0x1000000000000"], 2, "--hex-addr: expected a 32-bit address, got 0x1000000000000"),
    (["-x=-0x10"], 2, "--hex-addr: expected a 32-bit address, got -0x10"),
    (["-L", "-1"], 2, "--load-addr: expected a 32-bit address, got -0x1"),
    (["-F", "0x1ffffffff"], 2, "--rom-fixed: expected a 32-bit address, got 0x1ffffffff"),
    (["-d", "(300, 1.0.0)"], 2, "dependency: image id must be 0..255, got 300"),
    (["--custom-tlv", "0x10000", "x"], 2,
     "--custom-tlv: tag 0x10000: expected a vendor TLV type 0x00a0..0xfffe"),
]


@pytest.mark.parametrize(("options", "rc", "message"), OPTION_CASES,
                         ids=[" ".join(c[0]) for c in OPTION_CASES])
def test_sign_option_out_of_range(options: list[str], rc: int, message: str, ota, material,
                                  tmp_path: Path) -> None:
    base = [x for k, v in BASE.items() if not any(o.startswith(k) for o in options) for x in (k, v)]
    run = ota("sign", "-k", material.key, *options, *base, material.firmware,
              tmp_path / "out.bin")
    assert_refused(run, message, rc=rc)


@pytest.mark.parametrize(("options", "message"), [
    (["--slot-size", "0"], "--slot-size: expected a positive number, got 0"),
    (["--max-sectors", "0"], "--max-sectors: expected a positive number, got 0"),
    (["--security-counter", "-1"],
     "--security-counter: expected 'auto' or a non-negative integer, got '-1'"),
])
def test_sign_build_option_out_of_range(options: list[str], message: str, ota,
                                        make_zephyr_build, tmp_path: Path) -> None:
    build, _ = make_zephyr_build("nrf52840dk_offset")
    assert_refused(ota("sign-build", "-d", build, "-o", tmp_path / "out", *options), message,
                   rc=2)


@pytest.fixture
def odd_keys(tmp_path: Path) -> dict[str, Path]:
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric import dsa, ec

    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    keys = {"dsa": dsa.generate_private_key(1024), "p224": ec.generate_private_key(ec.SECP224R1())}
    out = {}
    for name, key in keys.items():
        out[name] = folder / f"{name}.pem"
        out[name].write_bytes(key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8,
                                                ser.NoEncryption()))
    out["locked"] = folder / "locked.pem"
    out["locked"].write_bytes(keys["p224"].private_bytes(
        ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.BestAvailableEncryption(b"right")))
    return out


@pytest.mark.parametrize("command", ["sign", "getpub", "keys check"])
@pytest.mark.parametrize(("key", "message"), [
    ("dsa", "unsupported key: expected RSA-2048/3072, ECDSA P-256/P-384, Ed25519 or X25519, "
            "found DSAPrivateKey"),
    ("p224", "unsupported key: expected RSA-2048/3072, ECDSA P-256/P-384, Ed25519 or X25519, "
             "found ECDSA key on curve secp224r1: MCUboot accepts P-256 or P-384"),
    ("locked", "wrong password for the encrypted private key"),
])
def test_unusable_key(command: str, key: str, message: str, ota, material, odd_keys,
                      monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ZEPHYR_OTA_KEY_PASSWORD", "wrong")
    path = odd_keys[key]
    args = {"sign": ["sign", "-k", path, *sum(BASE.items(), ()), material.firmware,
                     tmp_path / "out.bin"],
            "getpub": ["getpub", "-k", path, "-o", tmp_path / "pub.c"],
            "keys check": ["keys", "check", "--key", path]}[command]
    assert_refused(ota(*args), f"{path}: {message}")
