"""Bad input to key loading and sign options: files people mistake for keys
(certificates, OpenSSH keys, arbitrary bytes) and -M 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import HEADER, assert_refused


def test_sign_max_sectors_zero(ota, material, tmp_path: Path) -> None:
    run = ota("sign", "-k", material.key, "-M", "0", *HEADER, material.firmware,
              tmp_path / "out.bin")
    assert_refused(run, "-M/--max-sectors: expected a positive count, got 0", rc=2)


@pytest.fixture
def certificate(tmp_path: Path) -> Path:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "device")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(datetime.datetime(2020, 1, 1))
            .not_valid_after(datetime.datetime(2030, 1, 1)).sign(key, hashes.SHA256()))
    path = tmp_path / "in" / "device.crt"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def test_verify_with_a_certificate(ota, material, certificate: Path) -> None:
    assert_refused(ota("verify", "-k", certificate, material.image),
                   f"{certificate}: expected a key, found an X.509 certificate",
                   hint=f"extract its public key: openssl x509 -in {certificate} -pubkey "
                        "-noout")


def test_sign_with_an_openssh_key(ota, material, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    ssh = tmp_path / "in" / "id_ed25519"
    ssh.write_bytes(ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption()))
    assert_refused(ota("sign", "-k", ssh, *HEADER, material.firmware, tmp_path / "out.bin"),
                   f"{ssh}: expected a PEM or DER private key, found an OpenSSH private key",
                   hint="convert a copy to PKCS#8: ssh-keygen -p -m PKCS8 -f COPY")


def test_verify_with_garbage_key(ota, material) -> None:
    assert_refused(ota("verify", "-k", material.firmware, material.image),
                   f"{material.firmware}: corrupt key file: expected a PEM or DER key")
