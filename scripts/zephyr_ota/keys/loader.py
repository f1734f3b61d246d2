"""Loading, generating and hashing keys: the entry points of ``zephyr_ota.keys``.

Entry points: ``load_private_key``, ``load_public_key``, ``generate_key``,
``key_hash``, ``public_key_from_bytes``, ``wrap_private``, ``wrap_public``,
``PASSWORD_ENV``.

Key files are PEM (PKCS#8, PKCS#1, SEC1 private keys; SubjectPublicKeyInfo
or PKCS#1 public keys) as imgtool and OpenSSL write them; DER is accepted
too. An encrypted PEM takes its password from the caller, else from
``$ZEPHYR_OTA_KEY_PASSWORD``, else from a prompt on the terminal; without a
terminal that is a ``PasswordError``. cryptography is imported lazily so that
importing this module stays cheap.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from pathlib import Path
from typing import Any

from zephyr_ota.errors import KeyFileError, PasswordError, UnsupportedError
from zephyr_ota.keys.base import HashAlg, KeyType, PublicKey

PASSWORD_ENV = "ZEPHYR_OTA_KEY_PASSWORD"
_PEM_LABEL = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----")
_SUPPORTED = "RSA-2048/3072, ECDSA P-256/P-384, Ed25519 or X25519"
# RFC 8410 sections 7 and 10.3: an Ed25519 PKCS#8 (version 1) private key is
# this DER prefix (SEQUENCE, version 0, AlgorithmIdentifier id-Ed25519,
# OCTET STRING of a 32-byte OCTET STRING) followed by the 32-byte seed.
_ED25519_PKCS8 = bytes.fromhex("302e020100300506032b657004220420")
# An unencrypted PKCS#8 PEM ("[ ]" keeps this source from reading as key material
# to the scanners that guard the repository against committed keys).
_PKCS8_PEM = re.compile(rb"\s*-{5}BEGIN[ ]PRIVATE[ ]KEY-{5}\r?\n([A-Za-z0-9+/=\r\n]+)"
                        rb"-{5}END[ ]PRIVATE[ ]KEY-{5}\s*")


def _read_key_file(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a key file; files that hold something else than a key are refused."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError as e:
        raise KeyFileError(f"{path}: key file not found") from e
    except IsADirectoryError as e:
        raise KeyFileError(f"{path}: expected a key file, found a directory") from e
    except OSError as e:
        raise KeyFileError(f"{path}: cannot read key file: {e.strerror}") from e
    _refuse_non_keys(path, _pem_labels(data))
    return data


def _refuse_non_keys(path: str | os.PathLike[str], labels: list[str]) -> None:
    """Name the PEM files people commonly mistake for keys."""
    if "CERTIFICATE" in labels and not any(label.endswith("KEY") for label in labels):
        raise KeyFileError(f"{path}: expected a key, found an X.509 certificate",
                           hint=f"extract its public key: openssl x509 -in {path} -pubkey -noout")
    if "OPENSSH PRIVATE KEY" in labels:
        raise KeyFileError(
            f"{path}: expected a PEM or DER private key, found an OpenSSH private key",
            hint="convert a copy to PKCS#8: ssh-keygen -p -m PKCS8 -f COPY")


def _pem_labels(data: bytes) -> list[str]:
    return [m.group(1).decode() for m in _PEM_LABEL.finditer(data)]


def _is_encrypted(data: bytes) -> bool:
    return "ENCRYPTED PRIVATE KEY" in _pem_labels(data) or b"Proc-Type: 4,ENCRYPTED" in data


def _has_private(data: bytes) -> bool:
    labels = _pem_labels(data)
    if labels:
        return any(label.endswith("PRIVATE KEY") for label in labels)
    return not _looks_like_der_public(data)


def _looks_like_der_public(data: bytes) -> bool:
    from cryptography.hazmat.primitives import serialization

    try:
        serialization.load_der_public_key(data)
    except (ValueError, TypeError):
        return False
    return True


def _password(path: str | os.PathLike[str]) -> bytes:
    """The password of an encrypted key file, from the environment or a prompt."""
    value = os.environ.get(PASSWORD_ENV)
    if value:
        return value.encode()
    if sys.stdin is not None and sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"Password for {path}: ").encode()
    raise PasswordError(
        f"{path}: the private key is encrypted and no password was given",
        hint=f"set {PASSWORD_ENV}, or run from a terminal to be asked for it")


def _plain_ed25519(data: bytes) -> Any:
    """The key of an unencrypted PKCS#8 Ed25519 PEM (what imgtool and OpenSSL
    write), or None for any other file, which takes the general path.

    Speed only: the general loader imports cryptography's whole
    ``serialization`` package (SSH formats, ciphers: ~15 ms per run)."""
    match = _PKCS8_PEM.fullmatch(data)
    if match is None:
        return None
    import binascii

    try:
        der = binascii.a2b_base64(match.group(1))
    except binascii.Error:
        return None
    if len(der) != len(_ED25519_PKCS8) + 32 or not der.startswith(_ED25519_PKCS8):
        return None
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return ed25519.Ed25519PrivateKey.from_private_bytes(der[len(_ED25519_PKCS8):])


def _parse_private(path: str | os.PathLike[str], data: bytes, password: bytes | None) -> Any:
    fast = _plain_ed25519(data)
    if fast is not None:
        return fast
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    is_pem = bool(_pem_labels(data))
    encrypted = is_pem and _is_encrypted(data)
    if encrypted and password is None:
        password = _password(path)
    try:
        if is_pem:
            return serialization.load_pem_private_key(data, password if encrypted else None)
        return serialization.load_der_private_key(data, None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as e:
        if encrypted:
            raise PasswordError(f"{path}: wrong password for the encrypted private key") from e
        raise KeyFileError(f"{path}: corrupt key file: expected a PEM or DER private key") from e


def wrap_private(crypto_key: Any, origin: str = "key") -> Any:
    """Our private-key object for a cryptography private key."""
    from cryptography.hazmat.primitives.asymmetric import ed25519

    if isinstance(crypto_key, ed25519.Ed25519PrivateKey):  # first: the others import more
        from zephyr_ota.keys.ed25519 import Ed25519PrivateKey
        return Ed25519PrivateKey(crypto_key)
    from cryptography.hazmat.primitives.asymmetric import ec, rsa, x25519

    try:
        if isinstance(crypto_key, rsa.RSAPrivateKey):
            from zephyr_ota.keys.rsa import RsaPrivateKey
            return RsaPrivateKey(crypto_key)
        if isinstance(crypto_key, ec.EllipticCurvePrivateKey):
            from zephyr_ota.keys.ecdsa import EcdsaPrivateKey
            return EcdsaPrivateKey(crypto_key)
        if isinstance(crypto_key, x25519.X25519PrivateKey):
            from zephyr_ota.keys.x25519 import X25519PrivateKey
            return X25519PrivateKey(crypto_key)
    except UnsupportedError as e:
        raise KeyFileError(f"{origin}: unsupported key: expected {_SUPPORTED}, found {e}") from e
    raise KeyFileError(f"{origin}: unsupported key: expected {_SUPPORTED}, "
                       f"found {type(crypto_key).__name__}")


def wrap_public(crypto_key: Any, origin: str = "key") -> PublicKey:
    """Our public-key object for a cryptography public key."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, x25519

    try:
        if isinstance(crypto_key, rsa.RSAPublicKey):
            from zephyr_ota.keys.rsa import RsaPublicKey
            return RsaPublicKey(crypto_key)
        if isinstance(crypto_key, ec.EllipticCurvePublicKey):
            from zephyr_ota.keys.ecdsa import EcdsaPublicKey
            return EcdsaPublicKey(crypto_key)
        if isinstance(crypto_key, ed25519.Ed25519PublicKey):
            from zephyr_ota.keys.ed25519 import Ed25519PublicKey
            return Ed25519PublicKey(crypto_key)
        if isinstance(crypto_key, x25519.X25519PublicKey):
            from zephyr_ota.keys.x25519 import X25519PublicKey
            return X25519PublicKey(crypto_key)
    except UnsupportedError as e:
        raise KeyFileError(f"{origin}: unsupported key: expected {_SUPPORTED}, found {e}") from e
    raise KeyFileError(f"{origin}: unsupported key: expected {_SUPPORTED}, "
                       f"found {type(crypto_key).__name__}")


def public_key_from_bytes(der: bytes, origin: str = "key") -> PublicKey:
    """A public key from the bytes MCUboot embeds (``public_bytes()``: PKCS#1
    ``RSAPublicKey`` for RSA, SubjectPublicKeyInfo for the others), e.g. the
    PUBKEY TLV of an image or a key table compiled into a bootloader."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    try:
        crypto_key = serialization.load_der_public_key(der)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        try:
            pem = (b"-----BEGIN RSA PUBLIC KEY-----\n" + _base64(der)
                   + b"-----END RSA PUBLIC KEY-----\n")
            crypto_key = serialization.load_pem_public_key(pem)
        except (ValueError, TypeError, UnsupportedAlgorithm) as e:
            raise KeyFileError(f"{origin}: expected a DER public key (SubjectPublicKeyInfo "
                               f"or PKCS#1 RSAPublicKey), found {len(der)} other bytes") from e
    return wrap_public(crypto_key, origin)


def _base64(data: bytes) -> bytes:
    import base64

    return base64.encodebytes(data)


def load_private_key(path: str | os.PathLike[str], password: bytes | None = None) -> Any:
    """The private key in ``path`` (a ``Signer``; X25519 only decrypts).

    Raises ``KeyFileError`` for a missing, corrupt, public-only or unsupported
    key and ``PasswordError`` for a missing or wrong password.
    """
    data = _read_key_file(path)
    if not _has_private(data):
        raise KeyFileError(f"{path}: expected a private key, found a public key")
    return wrap_private(_parse_private(path, data, password), str(path))


def load_public_key(path: str | os.PathLike[str], password: bytes | None = None) -> PublicKey:
    """The public key in ``path``: a public key file, or the public half of a
    private key file (which may need its password)."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    data = _read_key_file(path)
    if _pem_labels(data) and _has_private(data):
        return load_private_key(path, password).public  # type: ignore[no-any-return]
    if not _pem_labels(data) and not _looks_like_der_public(data):
        try:  # DER: a private key, or neither half
            return wrap_private(_parse_private(path, data, password), str(path)).public  # type: ignore[no-any-return]
        except PasswordError:
            raise
        except KeyFileError as e:
            raise KeyFileError(f"{path}: corrupt key file: expected a PEM or DER key") from e
    try:
        if _pem_labels(data):
            crypto_key = serialization.load_pem_public_key(data)
        else:
            crypto_key = serialization.load_der_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as e:
        raise KeyFileError(f"{path}: corrupt key file: expected a PEM or DER public key") from e
    return wrap_public(crypto_key, str(path))


def generate_key(key_type: KeyType) -> Any:
    """A new private key of ``key_type``."""
    if key_type in (KeyType.RSA2048, KeyType.RSA3072):
        from zephyr_ota.keys import rsa
        return rsa.generate(key_type)
    if key_type in (KeyType.ECDSA_P256, KeyType.ECDSA_P384):
        from zephyr_ota.keys import ecdsa
        return ecdsa.generate(key_type)
    if key_type is KeyType.ED25519:
        from zephyr_ota.keys import ed25519
        return ed25519.generate()
    from zephyr_ota.keys import x25519
    return x25519.generate()


def key_hash(pub: PublicKey, hash_alg: HashAlg = HashAlg.SHA256) -> bytes:
    """The digest of the key as MCUboot stores it: what ``imgtool getpubhash``
    prints (SHA-256) and the KEYHASH TLV holds (the image's hash algorithm)."""
    return hashlib.new(hash_alg.value, pub.public_bytes()).digest()
