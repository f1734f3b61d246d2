"""Bad-input findings in files the "speed" helper was editing during this
sweep (cli/image_cmds.py, keys/loader.py): strict xfails that name the fix.
When the fix lands, the xfail turns into a failure; drop the marker then."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import HEADER, assert_refused


@pytest.mark.xfail(strict=True, reason="cli/image_cmds.py _request: `args.max_sectors or "
                   "DEFAULT_MAX_SECTORS` turns -M 0 into 128 silently; fix: `DEFAULT_MAX_SECTORS "
                   "if args.max_sectors is None else args.max_sectors`, so SignRequest refuses 0 "
                   "as it refuses -1")
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


@pytest.mark.xfail(strict=True, reason="keys/loader.py load_public_key: a certificate is "
                   "reported as 'corrupt key file: expected a PEM or DER public key'; fix: when "
                   "_pem_labels(data) holds CERTIFICATE, raise KeyFileError naming the "
                   "certificate (and the openssl command that extracts its key)")
def test_verify_with_a_certificate(ota, material, certificate: Path) -> None:
    assert_refused(ota("verify", "-k", certificate, material.image),
                   f"{certificate}: expected a key, found an X.509 certificate",
                   hint=f"extract its public key: openssl x509 -in {certificate} -pubkey "
                        "-noout")


@pytest.mark.xfail(strict=True, reason="keys/loader.py _parse_private: an OpenSSH private key "
                   "('-----BEGIN OPENSSH PRIVATE KEY-----') is reported as a corrupt key file; "
                   "fix: recognise the OPENSSH PRIVATE KEY label and say what it is")
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


@pytest.mark.xfail(strict=True, reason="keys/loader.py load_public_key -> _parse_private: "
                   "verify -k takes a public or a private key, but a file that is neither is "
                   "reported as 'expected a PEM or DER private key'; fix: say 'expected a PEM or "
                   "DER key' when either half is accepted")
def test_verify_with_garbage_key(ota, material) -> None:
    assert_refused(ota("verify", "-k", material.firmware, material.image),
                   f"{material.firmware}: corrupt key file: expected a PEM or DER key")
