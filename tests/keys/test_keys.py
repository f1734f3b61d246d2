"""zephyr_ota.keys: every family round-trips, interoperates with imgtool's
key files, and signs what cryptography and imgtool verify; bad key files give
one-line errors naming the file."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from imgtool import keys as imgtool_keys

from zephyr_ota.errors import KeyFileError, PasswordError, UnsupportedError
from zephyr_ota.keys import (
    PASSWORD_ENV,
    HashAlg,
    KeyType,
    PublicKey,
    Signer,
    generate_key,
    key_hash,
    load_private_key,
    load_public_key,
    public_key_from_bytes,
)

SIGNING = [t for t in KeyType if t.can_sign]
IMGTOOL_GENERATORS = {
    KeyType.RSA2048: lambda: imgtool_keys.RSA.generate(2048),
    KeyType.RSA3072: lambda: imgtool_keys.RSA.generate(3072),
    KeyType.ECDSA_P256: imgtool_keys.ECDSA256P1.generate,
    KeyType.ECDSA_P384: imgtool_keys.ECDSA384P1.generate,
    KeyType.ED25519: imgtool_keys.Ed25519.generate,
    KeyType.X25519: imgtool_keys.X25519.generate,
}


@pytest.fixture(scope="module")
def keys() -> dict[KeyType, object]:
    return {t: generate_key(t) for t in KeyType}


@pytest.fixture(autouse=True)
def _no_password_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)


@pytest.mark.parametrize("key_type", list(KeyType), ids=lambda t: t.value)
def test_roundtrip(key_type: KeyType, keys: dict, tmp_path) -> None:
    key = keys[key_type]
    assert key.key_type is key_type and key.public.key_type is key_type
    assert isinstance(key, Signer) and isinstance(key.public, PublicKey)
    path = tmp_path / "k.pem"
    path.write_bytes(key.private_pem())
    again = load_private_key(path)
    assert again.public == key.public
    assert load_public_key(path) == key.public
    pub_path = tmp_path / "pub.pem"
    pub_path.write_bytes(key.public.public_pem())
    assert load_public_key(pub_path) == key.public
    assert key.private_pem().startswith(b"-----BEGIN PRIVATE KEY-----")


@pytest.mark.parametrize("key_type", list(KeyType), ids=lambda t: t.value)
def test_password_protected(key_type: KeyType, keys: dict, tmp_path, monkeypatch) -> None:
    key = keys[key_type]
    path = tmp_path / "enc.pem"
    path.write_bytes(key.private_pem(b"s3cret"))
    assert b"ENCRYPTED" in path.read_bytes()
    assert load_private_key(path, b"s3cret").public == key.public
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    assert load_private_key(path).public == key.public
    assert load_public_key(path) == key.public


def test_wrong_password(keys: dict, tmp_path, monkeypatch) -> None:
    path = tmp_path / "enc.pem"
    path.write_bytes(keys[KeyType.ED25519].private_pem(b"right"))
    with pytest.raises(PasswordError) as e:
        load_private_key(path, b"wrong")
    assert str(e.value) == f"{path}: wrong password for the encrypted private key"
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    with pytest.raises(PasswordError) as e:
        load_private_key(path)
    assert str(e.value) == f"{path}: wrong password for the encrypted private key"


def test_missing_password_without_terminal(keys: dict, tmp_path, monkeypatch) -> None:
    path = tmp_path / "enc.pem"
    path.write_bytes(keys[KeyType.ECDSA_P256].private_pem(b"pw"))

    class NoTty:
        def isatty(self) -> bool:
            return False

    monkeypatch.setattr("sys.stdin", NoTty())
    with pytest.raises(PasswordError) as e:
        load_private_key(path)
    assert str(e.value) == f"{path}: the private key is encrypted and no password was given"
    assert PASSWORD_ENV in e.value.hint


def test_prompt_on_terminal(keys: dict, tmp_path, monkeypatch) -> None:
    path = tmp_path / "enc.pem"
    path.write_bytes(keys[KeyType.ECDSA_P256].private_pem(b"pw"))

    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Tty())
    asked = []
    monkeypatch.setattr("getpass.getpass", lambda prompt: asked.append(prompt) or "pw")
    assert load_private_key(path).public == keys[KeyType.ECDSA_P256].public
    assert asked == [f"Password for {path}: "]


def test_traditional_encrypted_pem(tmp_path) -> None:
    """OpenSSL's legacy encrypted PEM (Proc-Type: 4,ENCRYPTED) is recognised."""
    crypto_key = rsa.generate_private_key(65537, 2048)
    pem = crypto_key.private_bytes(serialization.Encoding.PEM,
                                   serialization.PrivateFormat.TraditionalOpenSSL,
                                   serialization.BestAvailableEncryption(b"pw"))
    path = tmp_path / "legacy.pem"
    path.write_bytes(pem)
    assert load_private_key(path, b"pw").key_type is KeyType.RSA2048
    with pytest.raises(PasswordError):
        load_private_key(path, b"nope")


@pytest.mark.parametrize("key_type", list(KeyType), ids=lambda t: t.value)
def test_imgtool_key_files_load_in_ours_and_back(key_type: KeyType, keys: dict, tmp_path) -> None:
    theirs = IMGTOOL_GENERATORS[key_type]()
    path = tmp_path / "imgtool.pem"
    theirs.export_private(str(path))
    ours = load_private_key(path)
    assert ours.public.public_bytes() == theirs.get_public_bytes()
    assert key_hash(ours.public) == hashlib.sha256(theirs.get_public_bytes()).digest()
    protected = tmp_path / "imgtool-enc.pem"
    theirs.export_private(str(protected), passwd=b"pw")
    assert load_private_key(protected, b"pw").public == ours.public

    mine = tmp_path / "ours.pem"
    mine.write_bytes(keys[key_type].private_pem())
    loaded = imgtool_keys.load(str(mine))
    assert loaded.get_public_bytes() == keys[key_type].public.public_bytes()
    mine_enc = tmp_path / "ours-enc.pem"
    mine_enc.write_bytes(keys[key_type].private_pem(b"pw"))
    assert imgtool_keys.load(str(mine_enc), b"pw").get_public_bytes() == loaded.get_public_bytes()


def test_embedded_der_forms(keys: dict) -> None:
    """RSA is embedded as PKCS#1 RSAPublicKey, the others as SubjectPublicKeyInfo."""
    rsa_pub = keys[KeyType.RSA2048].public
    assert rsa_pub.public_bytes() == rsa_pub.crypto_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    for t in (KeyType.ECDSA_P256, KeyType.ECDSA_P384, KeyType.ED25519, KeyType.X25519):
        pub = keys[t].public
        assert pub.public_bytes() == pub.crypto_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert len(keys[KeyType.ED25519].public.public_bytes()) == 44
    assert len(keys[KeyType.ECDSA_P256].public.public_bytes()) == 91


@pytest.mark.parametrize("key_type", SIGNING, ids=lambda t: t.value)
def test_signatures_verify_with_cryptography_and_imgtool(key_type: KeyType, keys: dict,
                                                          tmp_path) -> None:
    key = keys[key_type]
    payload = bytes(range(256)) * 5
    for hash_alg in key_type.hash_algs:
        digest = hashlib.new(hash_alg.value, payload).digest()
        sig = key.sign_digest(digest, hash_alg)
        assert key.public.verify_digest(sig, digest, hash_alg)
        assert not key.public.verify_digest(sig, bytes(len(digest)), hash_alg)
        crypto_pub = key.public.crypto_key
        if key_type in (KeyType.RSA2048, KeyType.RSA3072):
            crypto_pub.verify(sig, payload, padding.PSS(padding.MGF1(hashes.SHA256()), 32),
                              hashes.SHA256())
        elif key_type is KeyType.ED25519:
            crypto_pub.verify(sig, digest)
        else:
            crypto_pub.verify(sig, digest, ec.ECDSA(Prehashed(
                {HashAlg.SHA256: hashes.SHA256(), HashAlg.SHA384: hashes.SHA384()}[hash_alg])))
    # imgtool's verifier over the same payload (it hashes RSA/ECDSA payloads itself)
    path = tmp_path / "k.pem"
    path.write_bytes(key.private_pem())
    theirs = imgtool_keys.load(str(path))
    digest = hashlib.new(key_type.hash_algs[0].value, payload).digest()
    sig = key.sign_digest(digest, key_type.hash_algs[0])
    if key_type is KeyType.ED25519:
        theirs.verify_digest(sig, digest)
    else:
        theirs.verify(sig, payload)
    assert key.public.verify_payload(key.sign_payload(payload), payload)
    assert not key.public.verify_payload(key.sign_payload(payload), payload + b"x")


def test_deterministic_ecdsa(keys: dict) -> None:
    key = dataclasses.replace(keys[KeyType.ECDSA_P256], deterministic=True)
    digest = hashlib.sha256(b"image").digest()
    assert key.sign_digest(digest, HashAlg.SHA256) == key.sign_digest(digest, HashAlg.SHA256)
    assert key.public.verify_digest(key.sign_digest(digest, HashAlg.SHA256), digest,
                                    HashAlg.SHA256)


def test_hash_that_does_not_fit_the_key(keys: dict) -> None:
    with pytest.raises(UnsupportedError) as e:
        keys[KeyType.RSA2048].sign_digest(bytes(48), HashAlg.SHA384)
    assert str(e.value) == "rsa-2048 key: cannot sign a sha384 image digest; expected one of sha256"
    assert not keys[KeyType.ECDSA_P256].public.verify_digest(bytes(72), bytes(48), HashAlg.SHA384)


def test_x25519_cannot_sign(keys: dict) -> None:
    with pytest.raises(UnsupportedError) as e:
        keys[KeyType.X25519].sign_digest(bytes(32), HashAlg.SHA256)
    assert str(e.value).startswith("x25519 key: an encryption key cannot sign images")


def test_key_hash_follows_the_image_hash(keys: dict) -> None:
    pub = keys[KeyType.ECDSA_P384].public
    assert key_hash(pub, HashAlg.SHA384) == hashlib.sha384(pub.public_bytes()).digest()
    assert key_hash(pub) == hashlib.sha256(pub.public_bytes()).digest()


def test_missing_file(tmp_path) -> None:
    path = tmp_path / "nope.pem"
    for load in (load_private_key, load_public_key):
        with pytest.raises(KeyFileError) as e:
            load(path)
        assert str(e.value) == f"{path}: key file not found"


def test_directory(tmp_path) -> None:
    with pytest.raises(KeyFileError) as e:
        load_private_key(tmp_path)
    assert str(e.value) == f"{tmp_path}: expected a key file, found a directory"


@pytest.mark.parametrize("content", [
    b"", b"garbage", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
], ids=["empty", "garbage", "bad-base64"])
def test_corrupt_private_key(content: bytes, tmp_path) -> None:
    path = tmp_path / "bad.pem"
    path.write_bytes(content)
    with pytest.raises(KeyFileError) as e:
        load_private_key(path)
    assert str(e.value) == f"{path}: corrupt key file: expected a PEM or DER private key"


def test_corrupt_public_key(tmp_path) -> None:
    path = tmp_path / "bad.pem"
    path.write_bytes(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    with pytest.raises(KeyFileError) as e:
        load_public_key(path)
    assert str(e.value) == f"{path}: corrupt key file: expected a PEM or DER public key"


def test_public_key_where_private_needed(keys: dict, tmp_path) -> None:
    path = tmp_path / "pub.pem"
    path.write_bytes(keys[KeyType.ED25519].public.public_pem())
    with pytest.raises(KeyFileError) as e:
        load_private_key(path)
    assert str(e.value) == f"{path}: expected a private key, found a public key"


@pytest.mark.parametrize(("make", "found"), [
    (lambda: rsa.generate_private_key(65537, 1024),
     "RSA-1024 key: MCUboot accepts RSA-2048 or RSA-3072"),
    (lambda: ec.generate_private_key(ec.SECP521R1()),
     "ECDSA key on curve secp521r1: MCUboot accepts P-256 or P-384"),
    (ed448.Ed448PrivateKey.generate, "Ed448PrivateKey"),
], ids=["rsa-1024", "p521", "ed448"])
def test_unsupported_keys(make, found: str, tmp_path) -> None:
    crypto_key = make()
    path = tmp_path / "odd.pem"
    path.write_bytes(crypto_key.private_bytes(serialization.Encoding.PEM,
                                              serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
    expected = (f"{path}: unsupported key: expected RSA-2048/3072, ECDSA P-256/P-384, "
                f"Ed25519 or X25519, found {found}")
    for load in (load_private_key, load_public_key):
        with pytest.raises(KeyFileError) as e:
            load(path)
        assert str(e.value) == expected


def test_der_key_files(keys: dict, tmp_path) -> None:
    key = keys[KeyType.ECDSA_P256]
    path = tmp_path / "k.der"
    path.write_bytes(key.crypto_key.private_bytes(serialization.Encoding.DER,
                                                  serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    assert load_private_key(path).public == key.public
    pub = tmp_path / "p.der"
    pub.write_bytes(key.public.public_bytes())
    assert load_public_key(pub) == key.public


def test_repr_hides_key_material(keys: dict) -> None:
    for key in keys.values():
        assert repr(key) == f"{type(key).__name__}({key.key_type.value}, private)"


def test_parse_key_type() -> None:
    assert KeyType.parse("ECDSA-P256") is KeyType.ECDSA_P256
    assert KeyType.parse("rsa2048") is KeyType.RSA2048
    with pytest.raises(ValueError):
        KeyType.parse("dsa")


def test_package_import_is_light() -> None:
    import subprocess
    import sys

    code = "import sys, zephyr_ota.keys; print('cryptography' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("key_type", list(KeyType), ids=lambda t: t.value)
def test_public_key_from_embedded_bytes(key_type: KeyType, keys: dict) -> None:
    pub = keys[key_type].public
    assert public_key_from_bytes(pub.public_bytes()) == pub


def test_public_key_from_garbage_bytes() -> None:
    with pytest.raises(KeyFileError) as e:
        public_key_from_bytes(b"\x30\x03\x02\x01\x00", "image.bin: PUBKEY TLV")
    assert str(e.value) == ("image.bin: PUBKEY TLV: expected a DER public key "
                            "(SubjectPublicKeyInfo or PKCS#1 RSAPublicKey), found 5 other bytes")


def test_openssl_ecparam_style_file(tmp_path) -> None:
    """``openssl ecparam -genkey`` writes an EC PARAMETERS block before the key."""
    crypto_key = ec.generate_private_key(ec.SECP256R1())
    sec1 = crypto_key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.TraditionalOpenSSL,
                                    serialization.NoEncryption())
    path = tmp_path / "ecparam.pem"
    path.write_bytes(b"-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n"
                     b"-----END EC PARAMETERS-----\n" + sec1)
    assert load_private_key(path).key_type is KeyType.ECDSA_P256
    assert load_public_key(path).public_bytes() == crypto_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
