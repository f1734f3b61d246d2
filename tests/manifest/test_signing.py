"""Detached manifest signatures: keyids, algorithms, threshold, and any
tampered byte is rejected before parsing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from manifest.generate_golden import GOLDEN_DIR
from manifest.release_fixture import ed25519_key, p256_key
from zephyr_ota.errors import InputError, KeyFileError, UsageError
from zephyr_ota.keys import KeyType, generate_key, load_private_key, load_public_key
from zephyr_ota.manifest.signing import (
    SignatureRequest,
    keyid,
    parse_signature_file,
    same_key_warning,
    sign,
    signature_file_bytes,
    verify_signatures,
)

DATA = (GOLDEN_DIR / "ota-manifest.json").read_bytes()


def _check(data: bytes, sig_file: bytes, keys: tuple, threshold: int = 1):
    return verify_signatures(SignatureRequest(data, sig_file, keys, threshold, "m.json", "m.json.sig"))


def test_keyid_is_sha256_of_spki() -> None:
    key = p256_key()
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    assert keyid(key) == keyid(key.public_key()) == hashlib.sha256(der).hexdigest()


@pytest.mark.parametrize("make_key", [ed25519_key, p256_key])
def test_sign_then_verify(make_key) -> None:
    key = make_key()
    sigs = sign(DATA, [key])
    assert sigs[0].alg == ("ed25519" if make_key is ed25519_key else "ecdsa-p256-sha256")
    assert sign(DATA, [key]) == sigs                    # deterministic (RFC 8032 / RFC 6979)
    result = _check(DATA, signature_file_bytes(sigs), (key.public_key(),))
    assert result and result.valid_keyids == (keyid(key),) and result.messages == ()


def test_golden_signature_file_verifies() -> None:
    sig_file = (GOLDEN_DIR / "ota-manifest.json.sig").read_bytes()
    assert _check(DATA, sig_file, (ed25519_key().public_key(), p256_key().public_key()), threshold=2)


def test_signature_encoding_is_lower_case_hex() -> None:
    entry = json.loads(signature_file_bytes(sign(DATA, [ed25519_key()])))[0]
    assert set(entry) == {"keyid", "alg", "sig"}
    assert bytes.fromhex(entry["sig"]).hex() == entry["sig"] and len(entry["sig"]) == 128


@settings(max_examples=60, deadline=None)
@given(st.integers(0, len(DATA) - 1), st.integers(1, 255))
def test_any_edited_byte_is_rejected(position: int, xor: int) -> None:
    sig_file = signature_file_bytes(sign(DATA, [ed25519_key()]))
    edited = bytearray(DATA)
    edited[position] ^= xor
    result = _check(bytes(edited), sig_file, (ed25519_key().public_key(),))
    assert not result
    assert result.messages[0] == (f"m.json: signature by key {keyid(ed25519_key())[:16]} does not "
                                  "match the file's bytes (edited after signing?)")


def test_unknown_key() -> None:
    sig_file = signature_file_bytes(sign(DATA, [ed25519_key("someone else")]))
    result = _check(DATA, sig_file, (ed25519_key().public_key(),))
    assert not result
    assert result.messages == (
        f"m.json.sig: signature 0 is by an unknown key {keyid(ed25519_key('someone else'))[:16]}: "
        "not a trusted manifest key",
        "m.json: 0 valid signature(s) by trusted keys, 1 required")


def test_threshold_counts_distinct_trusted_keys() -> None:
    a, b = ed25519_key("a"), p256_key("b")
    one = signature_file_bytes(sign(DATA, [a, a]))       # the same key twice counts once
    both = signature_file_bytes(sign(DATA, [a, b]))
    trusted = (a.public_key(), b.public_key())
    assert not _check(DATA, one, trusted, threshold=2)
    assert _check(DATA, both, trusted, threshold=2)
    with pytest.raises(UsageError, match=r"^signature threshold: expected 1..2 \(the number of trusted keys\), got 3$"):
        _check(DATA, both, trusted, threshold=3)


def test_alg_must_fit_the_key() -> None:
    sigs = json.loads(signature_file_bytes(sign(DATA, [ed25519_key()])))
    sigs[0]["alg"] = "ecdsa-p256-sha256"
    result = _check(DATA, json.dumps(sigs).encode(), (ed25519_key().public_key(),))
    assert result.messages[0] == (f"m.json.sig: signature 0: alg ecdsa-p256-sha256 does not fit key "
                                  f"{keyid(ed25519_key())[:16]} (ed25519)")


@pytest.mark.parametrize(("raw", "message"), [
    (b"", "s.sig: not a JSON signature list: Expecting value: line 1 column 1 (char 0)"),
    (b"[]", "s.sig: expected a non-empty JSON list of signatures, got b'[]'"),
    (b'[{"keyid":"00"}]', "s.sig: [0]: expected an object with keys keyid, alg, sig, got {'keyid': '00'}"),
    (b'[{"keyid":"00","alg":"ed25519","sig":"00"}]', "s.sig: [0].keyid: expected 64 lower-case hex digits, got '00'"),
    (b'[{"keyid":"' + b"0" * 64 + b'","alg":"rsa","sig":"00"}]',
     "s.sig: [0].alg: expected one of ed25519, ecdsa-p256-sha256, got 'rsa'"),
    (b'[{"keyid":"' + b"0" * 64 + b'","alg":"ed25519","sig":"AB=="}]', "s.sig: [0].sig: expected lower-case hex, got 'AB=='"),
])
def test_malformed_signature_file(raw: bytes, message: str) -> None:
    with pytest.raises(InputError) as e:
        parse_signature_file(raw, "s.sig")
    assert str(e.value) == message


@pytest.mark.parametrize(("key", "found"), [
    (rsa.generate_private_key(65537, 2048), "RSA-2048"),
    (ec.generate_private_key(ec.SECP384R1()), "ECDSA secp384r1"),
])
def test_other_key_types_refused(key, found: str) -> None:
    with pytest.raises(KeyFileError) as e:
        sign(DATA, [key])
    assert str(e.value) == f"manifest key: expected an Ed25519 or ECDSA P-256 key, got {found}"
    assert e.value.hint == "give --manifest-key an Ed25519 or ECDSA P-256 private key"


def test_public_key_cannot_sign() -> None:
    with pytest.raises(KeyFileError, match=r"^manifest key: expected a private key, got a public key$"):
        sign(DATA, [ed25519_key().public_key()])


@pytest.mark.parametrize("key_type", [KeyType.ED25519, KeyType.ECDSA_P256])
def test_works_with_zephyr_ota_keys(tmp_path: Path, key_type: KeyType) -> None:
    key = generate_key(key_type)
    (tmp_path / "k.pem").write_bytes(key.private_pem())
    (tmp_path / "k.pub").write_bytes(key.public.public_pem())
    loaded = load_private_key(tmp_path / "k.pem")
    sig_file = signature_file_bytes(sign(DATA, [loaded]))
    assert _check(DATA, sig_file, (load_public_key(tmp_path / "k.pub"),))


def test_same_key_warning(caplog: pytest.LogCaptureFixture) -> None:
    key = ed25519_key()
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    for image_hash in (hashlib.sha256(der).digest(), hashlib.sha512(der).hexdigest()):
        message = same_key_warning(key, image_hash)
        assert message is not None and message.startswith("the manifest is signed with the MCUboot image-signing key")
    assert same_key_warning(key, hashlib.sha256(b"other").digest()) is None
    assert same_key_warning(key, None) is None
    assert "a separate manifest key (--manifest-key)" in caplog.text
