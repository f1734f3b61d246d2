"""The user-error tree: every problem a user can fix is an ``OtaError``.

Adapters turn an ``OtaError`` into one line (plus an optional indented
``Hint:``) and exit status ``exit_code``; any other exception is a bug and
keeps its traceback. Messages name the file and place first, then what was
expected and what was found::

    app.hex:12: overlapping records: 0x8000..0x8010 already holds data

Foreign exceptions (cryptography, pyelftools, pykwalify, hex parsing) are
wrapped at the boundary: ``raise InputError(...) from e``.
"""

from __future__ import annotations


class OtaError(Exception):
    """Base of all user errors."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(OtaError):
    """Options that contradict each other or are missing (exit status 2)."""

    exit_code = 2


class InputError(OtaError):
    """A file given to us is missing, unreadable or malformed (firmware,
    image, devicetree, YAML, Kconfig, build directory)."""


class KeyFileError(InputError):
    """A key file is missing, corrupt, or of a type that does not fit."""


class PasswordError(KeyFileError):
    """A key's password is missing or wrong."""


class KeyMismatchError(OtaError):
    """Two keys that must agree do not (signing key vs. the bootloader's
    trusted keys, encryption key vs. MCUboot's configuration, manifest keys)."""


class UnsupportedError(OtaError):
    """A valid request that this tool or MCUboot deliberately does not support
    (an imgtool option we do not implement, a key pair MCUboot cannot use)."""


class SlotOverflowError(OtaError):
    """The image, with header, TLVs and trailer, does not fit its slot."""


class LayoutError(OtaError):
    """A partition layout breaks a rule of the flash or of the MCUboot mode."""


class ConfigError(OtaError):
    """Build configuration (Kconfig, devicetree, ota.yml) that is readable but
    inconsistent: values that contradict each other."""


class VerificationError(OtaError):
    """An image or manifest failed a check the device would make."""


class PolicyError(OtaError):
    """A release policy refused the operation: published development keys,
    a downgrade, a lower security counter or sequence number."""


class SignerError(OtaError):
    """An external signer (PKCS#11 token, signer command) failed."""
