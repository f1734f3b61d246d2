"""The release manifest as frozen, validated dataclasses.

Entry points: ``ReleaseManifest`` (one per release, covering every image of
the build), ``ImageEntry`` (one per image file), ``Version`` (imgtool's
``major.minor.revision+build``), and the small records they hold. Each record
validates itself in ``__post_init__`` and raises ``FieldError`` naming the
field; ``convert`` turns records to and from plain JSON values and prefixes
the path (``images[1].sha256``), ``io`` prefixes the file name.

Two digests per image are never confused (issue 9): ``sha256`` is the digest
of the file as delivered (what transports and TUF check, before decrypting);
``image_hash`` is MCUboot's hash TLV (boot/bootutil/src/image_validate.c
``bootutil_img_hash``), which for an encrypted image covers the plaintext and
so can only be read from the TLV area, never recomputed from the file.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from zephyr_ota.errors import InputError

SCHEMA_ID = "urn:zephyr-ota:release-manifest:1"

HASH_ALGS = {"sha256": 32, "sha384": 48, "sha512": 64}     # TLV 0x10 / 0x11 / 0x12
SIGNATURE_ALGS = ("rsa-2048", "rsa-3072", "ecdsa-p256", "ecdsa-p384", "ed25519")
# MCUboot's key-encapsulation TLVs (bootutil/image.h IMAGE_TLV_ENC_*):
# ENC_RSA2048 0x30, ENC_KW 0x31, ENC_EC256 0x32, ENC_X25519 0x33.
ENCRYPTION_SCHEMES = ("rsa-oaep", "aes-kw", "ecies-p256", "ecies-x25519")
UPGRADE_MODES = ("swap-using-scratch", "swap-using-move", "swap-using-offset", "overwrite-only",
                 "direct-xip", "ram-load", "firmware-loader")
CONFIRM_POLICIES = ("test-then-confirm", "permanent")

_HEX = re.compile(r"[0-9a-f]+")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
_TOKEN = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_FLAG = re.compile(r"[A-Z0-9_]+")
_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)(?:\+(\d+))?")
_MAX_INT = 2**53 - 1


class FieldError(InputError):
    """A manifest field holds a value outside its rule. ``field`` is the
    path within the record; ``detail`` is "expected ..., got ..."."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


def _require(ok: bool, name: str, expected: str, got: object) -> None:
    if not ok:
        raise FieldError(name, f"expected {expected}, got {got!r}")


def _check_int(name: str, value: object, lo: int = 0, hi: int = _MAX_INT) -> None:
    ok = isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi
    _require(ok, name, f"an integer in [{lo}, {hi}]", value)


def _check_hex(name: str, value: object, nbytes: int | tuple[int, ...]) -> None:
    sizes = (nbytes,) if isinstance(nbytes, int) else nbytes
    ok = isinstance(value, str) and bool(_HEX.fullmatch(value)) and len(value) in [2 * n for n in sizes]
    digits = " or ".join(str(2 * n) for n in sizes)
    _require(ok, name, f"{digits} lower-case hex digits", value)


def _check_str(name: str, value: object, pattern: re.Pattern[str] | None = None) -> None:
    ok = isinstance(value, str) and value != "" and value.isprintable()
    if isinstance(value, str) and ok and pattern is not None:
        ok = bool(pattern.fullmatch(value))
    expected = "a non-empty printable string" if pattern is None else f"a string matching {pattern.pattern}"
    _require(ok, name, expected, value)


def _check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    _require(value in choices, name, "one of " + ", ".join(choices), value)


@dataclass(frozen=True, order=True)
class Version:
    """An MCUboot image version (``struct image_version`` in bootutil/image.h:
    u8 major, u8 minor, u16 revision, u32 build_num)."""

    major: int
    minor: int
    revision: int
    build: int = 0

    def __post_init__(self) -> None:
        for name, value, bits in (("major", self.major, 8), ("minor", self.minor, 8),
                                  ("revision", self.revision, 16), ("build", self.build, 32)):
            _check_int(f"version.{name}", value, 0, 2**bits - 1)

    @classmethod
    def parse(cls, text: str, name: str = "version") -> Version:
        """Parse imgtool's form ``1.2.3`` or ``1.2.3+4``."""
        match = _VERSION.fullmatch(text) if isinstance(text, str) else None
        _require(match is not None, name, "major.minor.revision[+build], e.g. 1.2.3+4", text)
        assert match is not None
        major, minor, revision, build = (int(g) if g else 0 for g in match.groups())
        try:
            return cls(major, minor, revision, build)
        except FieldError as e:
            raise FieldError(name, f"{e.detail} (in {text!r})") from e

    @property
    def imgtool(self) -> str:
        """``1.2.3+4``: the form imgtool's ``--version`` takes and Kconfig's
        CONFIG_MCUBOOT_IMGTOOL_SIGN_VERSION holds; ``+0`` is written out."""
        return f"{self.major}.{self.minor}.{self.revision}+{self.build}"

    @property
    def mcumgr(self) -> str:
        """The form MCUmgr's ``image list`` prints: Zephyr's img_mgmt_ver_str()
        (subsys/mgmt/mcumgr/grp/img_mgmt/src/img_mgmt_util.c) writes
        ``%hu.%hu.%hu`` and appends ``.%u`` only when build_num is not 0."""
        base = f"{self.major}.{self.minor}.{self.revision}"
        return f"{base}.{self.build}" if self.build else base

    def __str__(self) -> str:
        return self.imgtool


@dataclass(frozen=True)
class ImageHash:
    """MCUboot's image hash TLV: algorithm and lower-case hex value."""

    alg: str
    value: str

    def __post_init__(self) -> None:
        _check_choice("image_hash.alg", self.alg, tuple(HASH_ALGS))
        _check_hex("image_hash.value", self.value, HASH_ALGS.get(self.alg, 32))


@dataclass(frozen=True)
class Encryption:
    """How the delivered file is encrypted (MCUboot encrypts with AES-CTR
    under a random key wrapped by ``scheme``; IMAGE_F_ENCRYPTED_AES128/256)."""

    scheme: str
    aes_key_bits: int

    def __post_init__(self) -> None:
        _check_choice("encryption.scheme", self.scheme, ENCRYPTION_SCHEMES)
        _require(self.aes_key_bits in (128, 256), "encryption.aes_key_bits", "128 or 256",
                 self.aes_key_bits)


@dataclass(frozen=True)
class Dependency:
    """An MCUboot dependency TLV (0x40): image ``image_index`` must be at
    least ``min_version``."""

    image_index: int
    min_version: Version

    def __post_init__(self) -> None:
        _check_int("dependencies.image_index", self.image_index, 0, 255)


@dataclass(frozen=True)
class ImageEntry:
    """One image file of the release (see the module docstring for the two digests)."""

    name: str                        # "app", "net", ...: unique within the release
    type: str                        # "application", "network-core", "mcuboot", ...
    image_index: int                 # MCUboot image number (0 = application)
    slot: int                        # 0 primary, 1 secondary: the slot the file is written to
    load_address: int                # CPU address of the primary slot (or RAM load address)
    slot_size: int                   # bytes
    file: str                        # file name, relative to the manifest's folder
    size: int                        # bytes of the file as delivered
    sha256: str                      # hex SHA-256 of the file as delivered
    image_hash: ImageHash            # MCUboot's hash TLV (plaintext for encrypted images)
    version: Version
    security_counter: int | None     # TLV 0x50, None when the image carries none
    key_hash: str | None             # hex KEYHASH TLV (0x01), None with a full public key TLV
    encryption: Encryption | None
    upgrade_mode: str
    header_flags: tuple[str, ...] = ()           # IMAGE_F_* names, e.g. "ENCRYPTED_AES128"
    dependencies: tuple[Dependency, ...] = ()
    secondary_offset: int | None = None          # swap-using-offset: slot1 image start, when not 0
    board: str | None = None                     # when not the release's target (network core)
    soc: str | None = None

    def __post_init__(self) -> None:
        _check_str("name", self.name, _TOKEN)
        _check_str("type", self.type, _TOKEN)
        _check_int("image_index", self.image_index, 0, 255)
        _check_int("slot", self.slot, 0, 1)
        _check_int("load_address", self.load_address, 0, 2**32 - 1)
        _check_int("slot_size", self.slot_size, 1)
        _check_file_name(self.file)
        _check_int("size", self.size, 1)
        _require(self.size <= self.slot_size, "size", f"at most slot_size {self.slot_size}", self.size)
        _check_hex("sha256", self.sha256, 32)
        if self.security_counter is not None:
            _check_int("security_counter", self.security_counter, 0, 2**32 - 1)
        if self.key_hash is not None:
            _check_hex("key_hash", self.key_hash, (32, 48, 64))
        _check_choice("upgrade_mode", self.upgrade_mode, UPGRADE_MODES)
        for flag in self.header_flags:
            _check_str("header_flags", flag, _FLAG)
        if self.secondary_offset is not None:
            _check_int("secondary_offset", self.secondary_offset, 1)
            _require(self.upgrade_mode == "swap-using-offset", "secondary_offset",
                     "only with upgrade_mode swap-using-offset", self.upgrade_mode)
        for opt in ("board", "soc"):
            if getattr(self, opt) is not None:
                _check_str(opt, getattr(self, opt))
        _check_encryption_flags(self.encryption, self.header_flags)

    @property
    def mcumgr_version(self) -> str:
        return self.version.mcumgr


def _check_file_name(value: object) -> None:
    ok = (isinstance(value, str) and value.isascii() and value.isprintable() and value not in ("", ".", "..")
          and "/" not in value and "\\" not in value)
    _require(ok, "file", "a plain ASCII file name without folders", value)


def _check_encryption_flags(encryption: Encryption | None, flags: tuple[str, ...]) -> None:
    # bootutil/image.h: IMAGE_F_ENCRYPTED_AES128 0x04, IMAGE_F_ENCRYPTED_AES256 0x08.
    enc_flags = [f for f in flags if f.startswith("ENCRYPTED_")]
    if encryption is None:
        _require(not enc_flags, "header_flags", "no ENCRYPTED_* flag for an unencrypted image", enc_flags)
    else:
        want = f"ENCRYPTED_AES{encryption.aes_key_bits}"
        _require(enc_flags == [want], "header_flags", f"[{want!r}] for {encryption.aes_key_bits}-bit "
                 "encryption", enc_flags)


@dataclass(frozen=True)
class Provenance:
    """Where the release came from: Zephyr's revision (build_info.yml) and
    ``git describe`` of the application."""

    zephyr_revision: str | None = None
    app_revision: str | None = None

    def __post_init__(self) -> None:
        for name in ("zephyr_revision", "app_revision"):
            if getattr(self, name) is not None:
                _check_str(f"provenance.{name}", getattr(self, name))


@dataclass(frozen=True)
class Release:
    name: str
    version: str                     # human release version, e.g. "1.4.0" or "2026.11-rc1"
    provenance: Provenance = field(default_factory=Provenance)

    def __post_init__(self) -> None:
        _check_str("release.name", self.name)
        _check_str("release.version", self.version)


@dataclass(frozen=True)
class Target:
    board: str                       # Zephyr board target, e.g. "nrf52840dk/nrf52840"
    soc: str

    def __post_init__(self) -> None:
        _check_str("target.board", self.board)
        _check_str("target.soc", self.soc)


@dataclass(frozen=True)
class Identity:
    """SUIT-style identifiers (RFC 9124 section 4.2.1; draft-ietf-suit-manifest
    "UUID identifiers"): vendor_id = UUIDv5(DNS namespace, vendor domain),
    class_id = UUIDv5(vendor_id, class name)."""

    vendor_domain: str
    vendor_id: str
    class_name: str
    class_id: str

    def __post_init__(self) -> None:
        _check_str("identity.vendor_domain", self.vendor_domain)
        _check_str("identity.class_name", self.class_name)
        _check_str("identity.vendor_id", self.vendor_id, _UUID)
        _check_str("identity.class_id", self.class_id, _UUID)
        vendor_id, class_id = suit_uuids(self.vendor_domain, self.class_name)
        _require(self.vendor_id == vendor_id, "identity.vendor_id",
                 f"{vendor_id} (UUIDv5 of {self.vendor_domain!r})", self.vendor_id)
        _require(self.class_id == class_id, "identity.class_id",
                 f"{class_id} (UUIDv5 of {self.class_name!r} under the vendor id)", self.class_id)

    @classmethod
    def derive(cls, vendor_domain: str, class_name: str) -> Identity:
        """The identity of ``class_name`` products of the vendor owning ``vendor_domain``."""
        _check_str("identity.vendor_domain", vendor_domain)
        _check_str("identity.class_name", class_name)
        vendor_id, class_id = suit_uuids(vendor_domain, class_name)
        return cls(vendor_domain, vendor_id, class_name, class_id)


def suit_uuids(vendor_domain: str, class_name: str) -> tuple[str, str]:
    """(vendor_id, class_id) as SUIT derives them; ``uuid5`` hashes the UTF-8 name.
    For "arm.com" the vendor id is fa6b4a53-d5ad-5fdf-be9d-e663e4d41ffe, the
    value in draft-ietf-suit-manifest's examples."""
    vendor = uuid.uuid5(uuid.NAMESPACE_DNS, vendor_domain)
    return str(vendor), str(uuid.uuid5(vendor, class_name))


@dataclass(frozen=True)
class Bootloader:
    """Facts about the MCUboot the release is built for."""

    upgrade_mode: str
    hash_alg: str
    signature_alg: str
    trusted_key_hashes: tuple[str, ...]       # hex SHA-256/512 of each key MCUboot trusts
    encryption_scheme: str | None = None
    name: str = "mcuboot"

    def __post_init__(self) -> None:
        _require(self.name == "mcuboot", "bootloader.name", "'mcuboot'", self.name)
        _check_choice("bootloader.upgrade_mode", self.upgrade_mode, UPGRADE_MODES)
        _check_choice("bootloader.hash_alg", self.hash_alg, tuple(HASH_ALGS))
        _check_choice("bootloader.signature_alg", self.signature_alg, SIGNATURE_ALGS)
        for h in self.trusted_key_hashes:
            _check_hex("bootloader.trusted_key_hashes", h, (32, 48, 64))
        if self.encryption_scheme is not None:
            _check_choice("bootloader.encryption_scheme", self.encryption_scheme, ENCRYPTION_SCHEMES)


@dataclass(frozen=True)
class InstallPolicy:
    """How a device installs the release: ``atomic`` (all images or none),
    ``order`` of image names, ``confirm`` = test-then-confirm (MCUmgr
    ``image test`` then ``image confirm`` after a good boot) or permanent."""

    atomic: bool
    order: tuple[str, ...]
    confirm: str = "test-then-confirm"

    def __post_init__(self) -> None:
        _require(isinstance(self.atomic, bool), "install.atomic", "true or false", self.atomic)
        _check_choice("install.confirm", self.confirm, CONFIRM_POLICIES)
        _require(len(set(self.order)) == len(self.order), "install.order", "unique image names",
                 list(self.order))


@dataclass(frozen=True)
class ReleaseManifest:
    """One signed manifest per release; ``images`` covers every image of the build."""

    sequence_number: int
    created: str                     # RFC 3339 UTC, "2026-11-25T19:00:00Z"
    identity: Identity
    release: Release
    target: Target
    bootloader: Bootloader
    install: InstallPolicy
    images: tuple[ImageEntry, ...]
    expires: str | None = None
    schema: str = SCHEMA_ID

    def __post_init__(self) -> None:
        _require(self.schema == SCHEMA_ID, "schema", repr(SCHEMA_ID), self.schema)
        _check_int("sequence_number", self.sequence_number)
        _check_str("created", self.created, _TIMESTAMP)
        if self.expires is not None:
            _check_str("expires", self.expires, _TIMESTAMP)
            _require(self.expires > self.created, "expires", f"later than created {self.created}",
                     self.expires)
        _require(len(self.images) > 0, "images", "at least one image", [])
        self._check_images()

    def _check_images(self) -> None:
        names = [i.name for i in self.images]
        _require(len(set(names)) == len(names), "images", "unique image names", names)
        files = [i.file for i in self.images]
        _require(len(set(files)) == len(files), "images", "unique file names", files)
        _require(sorted(self.install.order) == sorted(names), "install.order",
                 f"a permutation of the image names {sorted(names)}", list(self.install.order))
        indexes = {i.image_index for i in self.images}
        for n, image in enumerate(self.images):
            for m, dep in enumerate(image.dependencies):
                _require(dep.image_index in indexes and dep.image_index != image.image_index,
                         f"images[{n}].dependencies[{m}].image_index", f"another image index of this release {sorted(indexes)}",
                         dep.image_index)

    def image(self, name: str) -> ImageEntry:
        for image in self.images:
            if image.name == name:
                return image
        raise KeyError(name)
