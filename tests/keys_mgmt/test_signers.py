"""PKCS#11 (a real SoftHSM2 token) and external-command signers: digests
verify with the token's public key through cryptography, and images signed
through them pass ``imgtool verify``."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from zephyr_ota.errors import InputError, SignerError, UnsupportedError, UsageError
from zephyr_ota.keys.base import HashAlg
from zephyr_ota.keys.external import ExternalSigner, load_signer
from zephyr_ota.keys.pkcs11 import Pkcs11Signer, parse_pkcs11_uri

from .conftest import Token

IMGTOOL = Path(sys.executable).parent / "imgtool"


# -- URIs ---------------------------------------------------------------------

def test_uri_parsing_and_redaction() -> None:
    uri = parse_pkcs11_uri("pkcs11:token=My%20Token;object=sig;id=%01%ff;slot-id=3"
                           "?pin-value=1234&module-path=/opt/lib.so")
    assert (uri.token, uri.object, uri.id, uri.slot_id) == ("My Token", "sig", b"\x01\xff", 3)
    assert uri.pin == "1234" and uri.module_path == "/opt/lib.so"
    assert "1234" not in str(uri) and "1234" not in repr(uri)
    assert parse_pkcs11_uri("pkcs11:token=t;object=o;pin-value=9").pin == "9"


@pytest.mark.parametrize(("text", "message"), [
    ("pkcs11:token=t", "pkcs11:token=t: PKCS#11 URI: expected object= or id= to name the key"),
    ("pkcs11:token=t;object=o;colour=red?pin-value=1234",
     "pkcs11:token=t;object=o;colour=red?pin-value=***: PKCS#11 URI: unknown or malformed "
     "attribute 'colour'; expected one of token, object, id, slot-id, serial, manufacturer, "
     "model, type, pin-value, module-path"),
    ("pkcs:token=t", "pkcs:token=t: expected a PKCS#11 URI starting with 'pkcs11:'"),
])
def test_bad_uris(text: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_pkcs11_uri(text)
    assert str(info.value) == message


# -- SoftHSM2 -----------------------------------------------------------------

def _verify(crypto_pub: object, signature: bytes, digest: bytes, hash_alg: HashAlg) -> None:
    """The oracle: cryptography, not our own verify."""
    from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

    h = {HashAlg.SHA256: hashes.SHA256(), HashAlg.SHA384: hashes.SHA384()}[hash_alg]
    if isinstance(crypto_pub, ec.EllipticCurvePublicKey):
        crypto_pub.verify(signature, digest, ec.ECDSA(Prehashed(h)))
    elif isinstance(crypto_pub, rsa.RSAPublicKey):
        crypto_pub.verify(signature, digest, padding.PSS(padding.MGF1(hashes.SHA256()), 32),
                          Prehashed(h))
    else:
        assert isinstance(crypto_pub, ed25519.Ed25519PublicKey)
        crypto_pub.verify(signature, digest)


@pytest.mark.parametrize(("label", "key_type", "hash_alg"), [
    ("p256", "ecdsa-p256", HashAlg.SHA256), ("p384", "ecdsa-p384", HashAlg.SHA384),
    ("rsa2048", "rsa-2048", HashAlg.SHA256), ("rsa3072", "rsa-3072", HashAlg.SHA256),
    ("ed25519", "ed25519", HashAlg.SHA256),
])
def test_token_signs_digests_that_verify(softhsm_token: Token, label: str, key_type: str,
                                         hash_alg: HashAlg) -> None:
    signer = load_signer(softhsm_token.uri(label))
    assert isinstance(signer, Pkcs11Signer)
    assert signer.public.key_type.value == key_type
    digest = hashlib.new(hash_alg.value, b"firmware").digest()
    signature = signer.sign_digest(digest, hash_alg)
    _verify(signer.public.crypto_key, signature, digest, hash_alg)  # type: ignore[attr-defined]
    with pytest.raises(InvalidSignature):
        _verify(signer.public.crypto_key, signature,  # type: ignore[attr-defined]
                hashlib.new(hash_alg.value, b"other").digest(), hash_alg)


def test_token_ed25519_signs_payloads(softhsm_token: Token) -> None:
    signer = load_signer(softhsm_token.uri("ed25519"))
    signature = signer.sign_payload(b"the whole image")
    signer.public.crypto_key.verify(signature, b"the whole image")  # type: ignore[attr-defined]
    with pytest.raises(UnsupportedError):
        load_signer(softhsm_token.uri("p256")).sign_payload(b"x")


def test_pin_from_the_environment(softhsm_token: Token, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZEPHYR_OTA_PKCS11_PIN", softhsm_token.pin)
    signer = load_signer(softhsm_token.uri("p256", with_pin=False))
    assert signer.sign_digest(bytes(32), HashAlg.SHA256)


@pytest.mark.parametrize(("uri", "message"), [
    ("pkcs11:token=zephyr-ota-test;object=p256?pin-value=000000",
     "pkcs11:token=zephyr-ota-test;object=p256: the token refused the PIN (PinIncorrect)"),
    ("pkcs11:token=no-such-token;object=p256?pin-value=123456",
     "pkcs11:token=no-such-token;object=p256: no such token in /usr/lib/softhsm/libsofthsm2.so"),
    ("pkcs11:token=zephyr-ota-test;object=nope?pin-value=123456",
     "pkcs11:token=zephyr-ota-test;object=nope: no public key with this label/id on the token"),
    ("pkcs11:token=zephyr-ota-test;object=p256?pin-value=123456&module-path=/nonexistent.so",
     "/nonexistent.so: PKCS#11 module not found"),
])
def test_token_errors(softhsm_token: Token, uri: str, message: str,
                      capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SignerError) as info:
        load_signer(uri).sign_digest(bytes(32), HashAlg.SHA256)
    assert str(info.value) == message
    out, err = capfd.readouterr()
    assert "123456" not in str(info.value) + out + err


# -- external signer ----------------------------------------------------------

def _signer_script(tmp_path: Path, key: Path, mode: str = "der") -> Path:
    """A stand-in for a KMS CLI: signs stdin with ``key`` (digest or payload)."""
    script = tmp_path / f"kms-{mode}.py"
    script.write_text(textwrap.dedent(f"""\
        import os, sys
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec, ed25519, utils
        data = sys.stdin.buffer.read()
        key = serialization.load_pem_private_key(open({str(key)!r}, "rb").read(), None)
        mode = {mode!r}
        if mode == "fail":
            print("kms: access denied", file=sys.stderr); sys.exit(3)
        if mode == "empty":
            sys.exit(0)
        if isinstance(key, ed25519.Ed25519PrivateKey):
            sig = key.sign(data)
        else:
            assert os.environ["ZEPHYR_OTA_SIGN_INPUT"] == "digest"
            alg = {{"sha256": hashes.SHA256(), "sha384": hashes.SHA384()}}[
                os.environ["ZEPHYR_OTA_HASH_ALG"]]
            sig = key.sign(data, ec.ECDSA(utils.Prehashed(alg)))
            if mode == "raw":
                r, s = utils.decode_dss_signature(sig)
                n = (key.curve.key_size + 7) // 8
                sig = r.to_bytes(n, "big") + s.to_bytes(n, "big")
            if mode == "garbage":
                sig = bytes(len(sig))
        sys.stdout.buffer.write(sig)
        """))
    return script


def _key_pair(tmp_path: Path, key_type: str) -> tuple[Path, Path]:
    from zephyr_ota.keys import generate_key
    from zephyr_ota.keys.base import KeyType

    key = generate_key(KeyType(key_type))
    private, public = tmp_path / f"{key_type}.pem", tmp_path / f"{key_type}.pub.pem"
    private.write_bytes(key.private_pem())
    public.write_bytes(key.public.public_pem())
    return private, public


@pytest.mark.parametrize(("key_type", "mode"), [("ecdsa-p256", "der"), ("ecdsa-p256", "raw"),
                                                ("ecdsa-p384", "raw"), ("ed25519", "der")])
def test_external_signer_signs(tmp_path: Path, key_type: str, mode: str) -> None:
    private, public = _key_pair(tmp_path, key_type)
    script = _signer_script(tmp_path, private, mode)
    signer = load_signer(f"cmd:{sys.executable} {script}", public_key=public)
    assert isinstance(signer, ExternalSigner)
    hash_alg = HashAlg.SHA384 if key_type == "ecdsa-p384" else HashAlg.SHA256
    digest = hashlib.new(hash_alg.value, b"fw").digest()
    _verify(signer.public.crypto_key, signer.sign_digest(digest, hash_alg),  # type: ignore[attr-defined]
            digest, hash_alg)


@pytest.mark.parametrize(("mode", "message"), [
    ("fail", "signer command {exe}: exit status 3: kms: access denied"),
    ("empty", "signer command {exe}: printed no signature"),
    ("garbage", "signer command {exe}: the signature does not verify with the given public key"),
])
def test_external_signer_failures(tmp_path: Path, mode: str, message: str) -> None:
    private, public = _key_pair(tmp_path, "ecdsa-p256")
    signer = load_signer(f"cmd:{sys.executable} {_signer_script(tmp_path, private, mode)}",
                         public_key=public)
    with pytest.raises(SignerError) as info:
        signer.sign_digest(bytes(32), HashAlg.SHA256)
    assert str(info.value) == message.format(exe=sys.executable)


def test_external_signer_needs_a_public_key_and_a_program(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="^signer command: the public key is needed too$"):
        load_signer("cmd:kms-sign")
    _, public = _key_pair(tmp_path, "ecdsa-p256")
    with pytest.raises(SignerError, match="^signer command /no/such/kms: not found$"):
        load_signer("cmd:/no/such/kms", public_key=public).sign_digest(bytes(32), HashAlg.SHA256)
    # --signer-cmd style: the spec is the public key file
    signer = load_signer(str(public), signer_cmd=["/bin/true"])
    assert isinstance(signer, ExternalSigner) and signer.command == ("/bin/true",)


def test_load_signer_key_file(tmp_path: Path) -> None:
    private, _ = _key_pair(tmp_path, "ed25519")
    signer = load_signer(str(private))
    assert signer.public.key_type.value == "ed25519" and not isinstance(signer, ExternalSigner)


# -- images: imgtool verify is the oracle --------------------------------------

def _sign_image(tmp_path: Path, signer: object, name: str) -> Path:
    from zephyr_ota.firmware import load_firmware
    from zephyr_ota.image.build import sign_image
    from zephyr_ota.image.request import SignRequest

    fw = tmp_path / "app.bin"
    fw.write_bytes(bytes(range(256)) * 64)
    out = tmp_path / f"{name}.signed.bin"
    sign_image(SignRequest(slot_size=0x20000, header_size=0x200, pad_header=True),
               load_firmware(fw), signer, out)  # type: ignore[arg-type]
    return out


def _imgtool_verify(image: Path, public_pem: bytes, tmp_path: Path) -> subprocess.CompletedProcess:
    pub = tmp_path / f"{image.stem}.pub.pem"
    pub.write_bytes(public_pem)
    return subprocess.run([str(IMGTOOL), "verify", "-k", str(pub), str(image)],
                          capture_output=True, text=True, check=False)


@pytest.mark.slow
@pytest.mark.parametrize("label", ["p256", "p384", "rsa2048", "ed25519"])
def test_image_signed_in_the_token_passes_imgtool_verify(softhsm_token: Token, tmp_path: Path,
                                                         label: str) -> None:
    signer = load_signer(softhsm_token.uri(label))
    image = _sign_image(tmp_path, signer, label)
    done = _imgtool_verify(image, signer.public.public_pem(), tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Image was correctly validated" in done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("key_type", ["ecdsa-p256", "ed25519"])
def test_image_signed_by_a_command_passes_imgtool_verify(tmp_path: Path, key_type: str) -> None:
    private, public = _key_pair(tmp_path, key_type)
    signer = load_signer(f"cmd:{sys.executable} {_signer_script(tmp_path, private, 'raw')}",
                         public_key=public)
    image = _sign_image(tmp_path, signer, key_type)
    done = _imgtool_verify(image, public.read_bytes(), tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_sign_command_accepts_a_pkcs11_key(softhsm_token: Token, tmp_path: Path) -> None:
    """``zephyr-ota sign -k pkcs11:...`` once the image CLI calls load_signer."""
    import inspect

    from zephyr_ota.cli import image_cmds

    if "load_signer" not in inspect.getsource(image_cmds):
        pytest.skip("zephyr-ota sign does not call keys.external.load_signer yet (image CLI)")
    from zephyr_ota.cli import main

    fw = tmp_path / "app.bin"
    fw.write_bytes(bytes(4096))
    out = tmp_path / "app.signed.bin"
    assert main(["sign", "-k", softhsm_token.uri("p256"), "-S", "0x20000", "-H", "0x200",
                 "--pad-header", str(fw), str(out)]) == 0
    pub = load_signer(softhsm_token.uri("p256")).public.public_pem()
    assert _imgtool_verify(out, pub, tmp_path).returncode == 0


def test_private_key_files_are_not_needed(softhsm_token: Token) -> None:
    """The token's key object is marked non-extractable: nothing to leak."""
    import pkcs11

    lib = pkcs11.lib(softhsm_token.module)
    with lib.get_token(token_label=softhsm_token.label).open(user_pin=softhsm_token.pin) as s:
        key = s.get_key(object_class=pkcs11.ObjectClass.PRIVATE_KEY, label="p256")
        assert key[pkcs11.Attribute.SENSITIVE] and not key[pkcs11.Attribute.EXTRACTABLE]
    assert not list(softhsm_token.conf.parent.rglob("*.pem"))


def test_key_found_by_id_only(softhsm_token: Token) -> None:
    signer = load_signer(f"pkcs11:token={softhsm_token.label};id=%01"
                         f"?pin-value={softhsm_token.pin}")
    assert signer.public.key_type.value == "ecdsa-p256"


@pytest.mark.parametrize("curve, hash_alg", [(ec.SECP256R1(), HashAlg.SHA256),
                                             (ec.SECP384R1(), HashAlg.SHA384)])
def test_raw_signature_starting_like_der_is_still_converted(
        tmp_path: Path, curve: ec.EllipticCurve, hash_alg: HashAlg) -> None:
    """A raw r||s whose first byte is 0x30 (1 in 256) must not be taken for DER."""
    from cryptography.hazmat.primitives.asymmetric import utils

    from zephyr_ota.keys import load_public_key

    key = ec.generate_private_key(curve)
    n = (curve.key_size + 7) // 8
    for i in range(5000):
        digest = hashlib.new(hash_alg.value, i.to_bytes(4, "big")).digest()
        r, s = utils.decode_dss_signature(
            key.sign(digest, ec.ECDSA(utils.Prehashed(getattr(hashes, hash_alg.name)()))))
        raw = r.to_bytes(n, "big") + s.to_bytes(n, "big")
        if raw[0] == 0x30:
            break
    else:
        pytest.fail("no raw signature starting with 0x30 found")
    pem = tmp_path / "pub.pem"
    from cryptography.hazmat.primitives import serialization
    pem.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))

    class Canned(ExternalSigner):
        def _run(self, data: bytes, kind: str, alg: HashAlg | None) -> bytes:
            return raw

    signer = Canned(("kms",), load_public_key(pem))
    der = signer.sign_digest(digest, hash_alg)
    assert der[0] == 0x30 and utils.decode_dss_signature(der) == (r, s)
