"""Signing with a key inside a PKCS#11 token (HSM, smart card, SoftHSM2, a
cloud HSM's PKCS#11 module): the private key never leaves the token.

Entry points: ``parse_pkcs11_uri(text) -> Pkcs11Uri`` (RFC 7512),
``Pkcs11Signer.open(uri) -> Pkcs11Signer`` (a ``keys.base.Signer``),
``ecdsa_raw_to_der(raw)``,
``PIN_ENV``, ``MODULE_ENV``, ``DEFAULT_MODULE``.

URI: ``pkcs11:token=<label>;object=<label>[;id=%01%02][;slot-id=N]
[?pin-value=...&module-path=/path/lib.so]``. RFC 7512 puts ``pin-value``
and ``module-path`` in the query; we accept them in the path too. The PIN
comes from the URI, else ``$ZEPHYR_OTA_PKCS11_PIN``; the module from the URI,
else ``$ZEPHYR_OTA_PKCS11_MODULE``, else Debian's SoftHSM2 module. The PIN is
never logged or shown (``Pkcs11Uri`` redacts it).

Mechanisms, matching what MCUboot verifies (boot/bootutil/src/image_*.c):
ECDSA P-256/P-384 ``CKM_ECDSA`` over the image digest (the token returns
raw r||s; MCUboot wants DER), RSA ``CKM_RSA_PKCS_PSS`` over the SHA-256
digest with MGF1-SHA-256 and a 32-byte salt, Ed25519 ``CKM_EDDSA`` over the
digest (or the payload in pure mode). python-pkcs11 (``zephyr-ota[pkcs11]``)
is imported only here, on first use.
"""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from zephyr_ota.errors import InputError, SignerError, UnsupportedError
from zephyr_ota.keys.base import HashAlg, KeyType, PublicKey

log = logging.getLogger(__name__)

PIN_ENV = "ZEPHYR_OTA_PKCS11_PIN"
MODULE_ENV = "ZEPHYR_OTA_PKCS11_MODULE"
DEFAULT_MODULE = "/usr/lib/softhsm/libsofthsm2.so"  # Debian's softhsm2 package
_PATH_ATTRS = ("token", "object", "id", "slot-id", "serial", "manufacturer", "model", "type",
               "pin-value", "module-path")
_QUERY_ATTRS = ("pin-value", "pin-source", "module-path", "module-name")


@dataclass(frozen=True)
class Pkcs11Uri:
    """A parsed ``pkcs11:`` URI (only what we use)."""

    token: str | None = None
    object: str | None = None
    id: bytes | None = None
    slot_id: int | None = None
    serial: str | None = None
    pin: str | None = field(default=None, repr=False)
    module_path: str | None = None

    def __post_init__(self) -> None:
        if self.object is None and self.id is None:
            raise ValueError("expected object= or id= to name the key")

    def __str__(self) -> str:
        parts = [f"{k}={v}" for k, v in (("token", self.token), ("object", self.object),
                                          ("slot-id", self.slot_id)) if v is not None]
        if self.id is not None:
            parts.append("id=" + "".join(f"%{b:02x}" for b in self.id))
        return "pkcs11:" + ";".join(parts)


def _attrs(text: str, sep: str, allowed: tuple[str, ...], uri: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in filter(None, text.split(sep)):
        name, eq, value = item.partition("=")
        if not eq or name not in allowed:
            raise InputError(f"{_redact(uri)}: PKCS#11 URI: unknown or malformed attribute "
                             f"{name!r}; expected one of {', '.join(allowed)}")
        out[name] = value
    return out


def _redact(uri: str) -> str:
    import re

    return re.sub(r"(pin-value=)[^;&?]*", r"\1***", uri)


def parse_pkcs11_uri(text: str) -> Pkcs11Uri:
    """Parse an RFC 7512 URI (percent-decoding values)."""
    if not text.startswith("pkcs11:"):
        raise InputError(f"{_redact(text)}: expected a PKCS#11 URI starting with 'pkcs11:'")
    path, _, query = text[len("pkcs11:"):].partition("?")
    attrs = _attrs(path, ";", _PATH_ATTRS, text)
    attrs.update(_attrs(query, "&", _QUERY_ATTRS, text))
    if "pin-source" in attrs or "module-name" in attrs:
        raise UnsupportedError(f"{_redact(text)}: pin-source and module-name are not "
                               f"supported; use pin-value / ${PIN_ENV} and module-path")
    value = {k: unquote(v) for k, v in attrs.items()}
    try:
        return Pkcs11Uri(
            token=value.get("token"), object=value.get("object"),
            id=unquote_bytes(attrs["id"]) if "id" in attrs else None,
            slot_id=int(value["slot-id"]) if "slot-id" in value else None,
            serial=value.get("serial"), pin=value.get("pin-value"),
            module_path=value.get("module-path"))
    except ValueError as e:
        raise InputError(f"{_redact(text)}: PKCS#11 URI: {e}") from e


def unquote_bytes(text: str) -> bytes:
    from urllib.parse import unquote_to_bytes

    return unquote_to_bytes(text)


@functools.cache
def _library(module_path: str) -> Any:
    try:
        import pkcs11
    except ImportError as e:
        raise SignerError("PKCS#11 signing needs python-pkcs11",
                          hint="pip install 'zephyr-ota[pkcs11]'") from e
    if not os.path.isfile(module_path):
        raise SignerError(f"{module_path}: PKCS#11 module not found",
                          hint=f"give ?module-path= in the URI or set ${MODULE_ENV}")
    try:
        return pkcs11.lib(module_path)
    except RuntimeError as e:
        raise SignerError(f"{module_path}: cannot load the PKCS#11 module: {e}") from e


def _ec_point(raw: bytes) -> bytes:
    """CKA_EC_POINT is a DER OCTET STRING around the point (some tokens give it bare)."""
    if len(raw) > 2 and raw[0] == 0x04 and raw[1] == len(raw) - 2:
        return raw[2:]
    if len(raw) > 3 and raw[0] == 0x04 and raw[1] == 0x81 and raw[2] == len(raw) - 3:
        return raw[3:]
    return raw


def _public_from_token(key: Any, origin: str) -> PublicKey:
    """Our PublicKey for a token's public-key object."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from pkcs11 import Attribute
    from pkcs11 import KeyType as P11KeyType
    from pkcs11.util.ec import encode_ec_public_key
    from pkcs11.util.rsa import encode_rsa_public_key

    from zephyr_ota.keys.loader import wrap_public

    if key.key_type == P11KeyType.RSA:
        crypto = serialization.load_der_public_key(encode_rsa_public_key(key))
    elif key.key_type == P11KeyType.EC:
        crypto = serialization.load_der_public_key(encode_ec_public_key(key))
    elif key.key_type == P11KeyType.EC_EDWARDS:
        crypto = ed25519.Ed25519PublicKey.from_public_bytes(_ec_point(key[Attribute.EC_POINT]))
    else:
        raise UnsupportedError(f"{origin}: {key.key_type.name} key: expected RSA, EC or Ed25519")
    return wrap_public(crypto, origin)


@dataclass(frozen=True)
class Pkcs11Signer:
    """A ``Signer`` whose private key stays in a PKCS#11 token."""

    uri: Pkcs11Uri
    module_path: str
    public: PublicKey

    @classmethod
    def open(cls, uri: Pkcs11Uri | str) -> Pkcs11Signer:
        """Find the key on the token and read its public half."""
        parsed = parse_pkcs11_uri(uri) if isinstance(uri, str) else uri
        module = parsed.module_path or os.environ.get(MODULE_ENV) or DEFAULT_MODULE
        signer = cls(uri=parsed, module_path=module, public=_PENDING)
        public = signer._with_session(lambda s: _public_from_token(
            signer._find(s, public=True), str(parsed)))
        log.debug("%s: %s key on the token", parsed, public.key_type.value)
        return cls(uri=parsed, module_path=module, public=public)

    def _pin(self) -> str | None:
        return self.uri.pin or os.environ.get(PIN_ENV)

    def _with_session(self, action: Any) -> Any:
        import pkcs11.exceptions as x

        lib = _library(self.module_path)
        where = str(self.uri)
        try:
            token = lib.get_token(**{k: v for k, v in (("token_label", self.uri.token),
                                                       ("token_serial", self.uri.serial))
                                     if v is not None})
            with token.open(user_pin=self._pin()) as session:
                return action(session)
        except x.NoSuchToken as e:
            raise SignerError(f"{where}: no such token in {self.module_path}") from e
        except x.MultipleTokensReturned as e:
            raise SignerError(f"{where}: several tokens match; add token= or serial=") from e
        except (x.PinIncorrect, x.PinInvalid, x.PinLenRange, x.PinLocked) as e:
            raise SignerError(f"{where}: the token refused the PIN ({type(e).__name__})",
                              hint=f"set ${PIN_ENV} or pin-value= in the URI") from e
        except x.UserNotLoggedIn as e:
            raise SignerError(f"{where}: no PIN given", hint=f"set ${PIN_ENV}") from e
        except x.PKCS11Error as e:
            raise SignerError(f"{where}: PKCS#11 error {type(e).__name__}") from e

    def _find(self, session: Any, public: bool) -> Any:
        import pkcs11.exceptions as x
        from pkcs11 import ObjectClass

        query: dict[str, Any] = {"object_class": ObjectClass.PUBLIC_KEY if public
                                 else ObjectClass.PRIVATE_KEY}
        if self.uri.object is not None:
            query["label"] = self.uri.object
        if self.uri.id is not None:
            query["id"] = self.uri.id
        what = "public" if public else "private"
        try:
            return session.get_key(**query)
        except x.NoSuchKey as e:
            raise SignerError(f"{self.uri}: no {what} key with this label/id on the token") from e
        except x.MultipleObjectsReturned as e:
            raise SignerError(f"{self.uri}: several {what} keys match; add id=") from e

    def _sign(self, data: bytes) -> bytes:
        from pkcs11 import MGF, Mechanism

        key_type = self.public.key_type
        if key_type in (KeyType.ECDSA_P256, KeyType.ECDSA_P384):
            mech: dict[str, Any] = {"mechanism": Mechanism.ECDSA}
        elif key_type in (KeyType.RSA2048, KeyType.RSA3072):
            # image_rsa.c: PSS, MGF1-SHA-256, salt length 32.
            mech = {"mechanism": Mechanism.RSA_PKCS_PSS,
                    "mechanism_param": (Mechanism.SHA256, MGF.SHA256, 32)}
        elif key_type is KeyType.ED25519:
            mech = {"mechanism": Mechanism.EDDSA}
        else:
            raise UnsupportedError(f"{self.uri}: {key_type.value} keys cannot sign")
        raw = self._with_session(lambda s: bytes(self._find(s, public=False).sign(data, **mech)))
        return ecdsa_raw_to_der(raw) if mech["mechanism"] == Mechanism.ECDSA else raw

    def sign_digest(self, digest: bytes, hash_alg: HashAlg) -> bytes:
        if hash_alg not in self.public.key_type.hash_algs:
            raise UnsupportedError(f"{self.uri}: a {self.public.key_type.value} key cannot "
                                   f"sign a {hash_alg.value} digest")
        signature = self._sign(digest)
        if not self.public.verify_digest(signature, digest, hash_alg):
            raise SignerError(f"{self.uri}: the token's signature does not verify with its "
                              f"public key")
        return signature

    def sign_payload(self, payload: bytes) -> bytes:
        if self.public.key_type is not KeyType.ED25519:
            raise UnsupportedError(f"{self.uri}: only Ed25519 signs the payload itself")
        signature = self._sign(payload)
        if not self.public.verify_payload(signature, payload):
            raise SignerError(f"{self.uri}: the token's signature does not verify")
        return signature


def ecdsa_raw_to_der(raw: bytes) -> bytes:
    """PKCS#11 ECDSA gives r||s; MCUboot parses DER Ecdsa-Sig-Value."""
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    half = len(raw) // 2
    return encode_dss_signature(int.from_bytes(raw[:half], "big"),
                                int.from_bytes(raw[half:], "big"))


class _Pending:
    """Placeholder public key while ``Pkcs11Signer.open`` reads the real one."""

    key_type = None


_PENDING: Any = _Pending()
