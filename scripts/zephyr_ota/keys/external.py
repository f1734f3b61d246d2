"""Signing through a user command (cloud KMS CLIs, HSM front-ends), and the
one dispatcher every signing command calls.

Entry points: ``ExternalSigner`` (a ``keys.base.Signer``),
``load_signer(spec, password=None, public_key=None) -> Signer``.

Signer-command protocol: the command (split like a shell would, run without
a shell) gets the bytes to sign on stdin — the raw image digest, or the
whole payload for Ed25519 pure mode — and writes the raw signature on
stdout. Its environment says what it gets: ``ZEPHYR_OTA_SIGN_INPUT`` is
``digest`` or ``payload``, ``ZEPHYR_OTA_HASH_ALG`` the digest's algorithm
(``sha256``...), ``ZEPHYR_OTA_KEY_TYPE`` the key type. ECDSA signatures may
be DER (what AWS/GCP KMS return) or raw r||s. A non-zero exit, no output or
a signature that does not verify with the given public key is a
``SignerError``; nothing is signed with it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zephyr_ota.errors import SignerError, UnsupportedError, UsageError
from zephyr_ota.keys.base import HashAlg, KeyType, PublicKey

log = logging.getLogger(__name__)

CMD_PREFIX = "cmd:"
PKCS11_PREFIX = "pkcs11:"
DEFAULT_TIMEOUT = 120.0


@dataclass(frozen=True)
class ExternalSigner:
    """A ``Signer`` that runs ``command`` for every signature."""

    command: tuple[str, ...]
    public: PublicKey
    timeout: float = DEFAULT_TIMEOUT

    def __post_init__(self) -> None:
        if not self.command:
            raise UsageError("signer command: expected a command, got nothing")
        if not self.public.key_type.can_sign:
            raise UnsupportedError(f"signer command: a {self.public.key_type.value} public key "
                                   f"cannot verify signatures")

    @classmethod
    def from_text(cls, command: str, public: PublicKey) -> ExternalSigner:
        import shlex  # only for signer commands (import time of every sign)

        return cls(tuple(shlex.split(command)), public)

    def _run(self, data: bytes, kind: str, hash_alg: HashAlg | None) -> bytes:
        env = dict(os.environ, ZEPHYR_OTA_SIGN_INPUT=kind,
                   ZEPHYR_OTA_KEY_TYPE=self.public.key_type.value)
        if hash_alg is not None:
            env["ZEPHYR_OTA_HASH_ALG"] = hash_alg.value
        name = self.command[0]
        import subprocess  # only for signer commands (import time of every sign)

        try:
            done = subprocess.run(self.command, input=data, capture_output=True, env=env,
                                  timeout=self.timeout, check=False)
        except FileNotFoundError as e:
            raise SignerError(f"signer command {name}: not found") from e
        except subprocess.TimeoutExpired as e:
            raise SignerError(f"signer command {name}: no answer in {self.timeout:g} s") from e
        except OSError as e:
            raise SignerError(f"signer command {name}: cannot run: {e.strerror}") from e
        if done.returncode != 0:
            last = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
            raise SignerError(f"signer command {name}: exit status {done.returncode}"
                              + (f": {last[0]}" if last[0] else ""))
        if not done.stdout:
            raise SignerError(f"signer command {name}: printed no signature")
        return bytes(done.stdout)

    def _candidates(self, signature: bytes) -> list[bytes]:
        """The signature as given, and for ECDSA the DER form of a raw ``r||s``.

        MCUboot parses DER (Ecdsa-Sig-Value). A raw ``r||s`` has a fixed length,
        but a DER signature can have that length too and a raw one can start
        with 0x30, so the form is decided by which one verifies, not by looking.
        """
        sizes = {KeyType.ECDSA_P256: 64, KeyType.ECDSA_P384: 96}
        if sizes.get(self.public.key_type) != len(signature):
            return [signature]
        from zephyr_ota.keys.pkcs11 import ecdsa_raw_to_der

        return [signature, ecdsa_raw_to_der(signature)]

    def sign_digest(self, digest: bytes, hash_alg: HashAlg) -> bytes:
        for signature in self._candidates(self._run(digest, "digest", hash_alg)):
            if self.public.verify_digest(signature, digest, hash_alg):
                return signature
        raise SignerError(f"signer command {self.command[0]}: the signature does not "
                          f"verify with the given public key")

    def sign_payload(self, payload: bytes) -> bytes:
        if self.public.key_type is not KeyType.ED25519:
            raise UnsupportedError(f"signer command {self.command[0]}: only Ed25519 signs "
                                   f"the payload itself")
        signature = self._run(payload, "payload", None)
        if not self.public.verify_payload(signature, payload):
            raise SignerError(f"signer command {self.command[0]}: the signature does not "
                              f"verify with the given public key")
        return signature


def load_signer(spec: str, password: bytes | None = None,
                public_key: str | os.PathLike[str] | None = None,
                signer_cmd: Sequence[str] | str | None = None) -> Any:
    """The ``Signer`` a key specification names.

    - ``pkcs11:...`` (RFC 7512 URI): a key in a PKCS#11 token;
    - ``cmd:<command>``, or ``signer_cmd`` given: an external signer command,
      which needs ``public_key`` (a PEM file; ``spec`` may be that file);
    - anything else: a private key file (``password`` if it is encrypted).
    """
    from zephyr_ota.keys import load_private_key, load_public_key

    if spec.startswith(PKCS11_PREFIX):
        from zephyr_ota.keys.pkcs11 import Pkcs11Signer

        return Pkcs11Signer.open(spec)
    if spec.startswith(CMD_PREFIX) or signer_cmd:
        command = spec[len(CMD_PREFIX):] if spec.startswith(CMD_PREFIX) else signer_cmd
        pub_path = public_key or (None if spec.startswith(CMD_PREFIX) else spec)
        if pub_path is None:
            raise UsageError("signer command: the public key is needed too",
                             hint="give the public key file (e.g. --key PUB.pem)")
        public = load_public_key(Path(pub_path))
        if isinstance(command, str):
            return ExternalSigner.from_text(command, public)
        return ExternalSigner(tuple(command or ()), public)
    return load_private_key(spec, password)
