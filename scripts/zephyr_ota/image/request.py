"""``SignRequest``: every ``imgtool sign`` option, typed and validated.

Entry points: ``SignRequest``, ``HASH_CHOICES``, ``VECTOR_CHOICES``.
The option each field mirrors is named in its comment (imgtool 2.5.0
``main.py sign``); defaults are imgtool's.
"""

from __future__ import annotations

from dataclasses import dataclass

from zephyr_ota.errors import UnsupportedError, UsageError
from zephyr_ota.image.constants import (
    DEFAULT_MAX_ALIGN,
    DEFAULT_MAX_SECTORS,
    IMAGE_HEADER_SIZE,
    VALID_ALIGNS,
    VALID_MAX_ALIGNS,
)
from zephyr_ota.image.tlv import Tlv
from zephyr_ota.image.version import Dependency, ImageVersion

HASH_CHOICES = ("auto", "256", "384", "512")
HMAC_CHOICES = ("auto", "256", "512")
VECTOR_CHOICES = ("payload", "digest")
KEY_FORMATS = ("hash", "full")


@dataclass(frozen=True)
class SignRequest:
    """How to make one image; the firmware, keys and output are passed beside it."""

    slot_size: int                              # -S/--slot-size (required by imgtool)
    header_size: int = IMAGE_HEADER_SIZE        # -H/--header-size
    version: ImageVersion = ImageVersion()      # -v/--version
    pad_header: bool = False                    # --pad-header
    pad: bool = False                           # --pad
    confirm: bool = False                       # --confirm (implies --pad)
    test: bool = False                          # --test (implies --pad)
    align: int = 1                              # --align
    max_align: int | None = None                # --max-align (default max(8, align))
    max_sectors: int = DEFAULT_MAX_SECTORS      # -M/--max-sectors
    overwrite_only: bool = False                # --overwrite-only
    load_addr: int | None = None                # -L/--load-addr (sets RAM_LOAD)
    rom_fixed: int | None = None                # -F/--rom-fixed (sets ROM_FIXED)
    hex_addr: int | None = None                 # -x/--hex-addr
    erased_val: int = 0xFF                      # -R/--erased-val
    security_counter: int | str | None = None   # -s/--security-counter (number or "auto")
    dependencies: tuple[Dependency, ...] = ()   # -d/--dependencies
    custom_tlvs: tuple[Tlv, ...] = ()           # --custom-tlv, --custom-tlv-file
    boot_record: str | None = None              # --boot-record SW_TYPE
    public_key_format: str = "hash"             # --public-key-format hash|full
    sha: str = "auto"                           # --sha auto|256|384|512
    pure: bool = False                          # --pure (Ed25519 over the image itself)
    hmac_sha: str = "auto"                      # --hmac-sha auto|256|512 (ECIES-X25519)
    encrypt_keylen: int = 128                   # --encrypt-keylen 128|256
    clear: bool = False                         # -c/--clear: flags + key TLV, plain body
    save_enctlv: bool = False                   # --save-enctlv (trailer size only)
    non_bootable: bool = False                  # --non-bootable
    vid: str | None = None                      # --vid
    cid: str | None = None                      # --cid
    vector_to_sign: str | None = None           # --vector-to-sign payload|digest
    pad_sig: bool = False                       # --pad-sig (ECDSA DER padded with zeros)
    endian: str = "little"                      # -e/--endian: only little is supported
    compression: str = "disabled"               # --compression: not supported

    def __post_init__(self) -> None:
        self._check_sizes()
        self._check_choices()
        if self.load_addr and self.rom_fixed:
            # imgtool image.py: "Can not set rom_fixed and load_addr at the same time".
            raise UsageError("--load-addr and --rom-fixed cannot be used together")
        if self.pure and self.sha != "auto":
            raise UsageError("--pure fixes the hash algorithm; --sha cannot be given with it")
        if self.vector_to_sign and self.padded:
            raise UsageError("--vector-to-sign writes the data to sign; "
                             "--pad/--confirm/--test do not apply to it")
        if self.endian != "little":
            raise UnsupportedError(f"--endian {self.endian}: only little-endian images are "
                                   "supported (every MCUboot target Zephyr has)")
        if self.compression != "disabled":
            raise UnsupportedError(f"--compression {self.compression}: compressed images "
                                   "are not supported", hint="drop --compression")

    def _check_sizes(self) -> None:
        if not IMAGE_HEADER_SIZE <= self.header_size <= 0xFFFF:
            raise UsageError(f"-H/--header-size: expected {IMAGE_HEADER_SIZE}..0xffff, "
                             f"got {self.header_size:#x}")
        if self.slot_size < 0:
            raise UsageError(f"-S/--slot-size: expected a size, got {self.slot_size}")
        if self.padded and self.slot_size == 0:
            raise UsageError("--pad/--confirm/--test need -S/--slot-size")
        for name in ("load_addr", "rom_fixed", "hex_addr"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 0xFFFFFFFF:
                raise UsageError(f"--{name.replace('_', '-')}: expected a 32-bit address, "
                                 f"got {value:#x}")
        counter = self.security_counter
        if isinstance(counter, int) and not 0 <= counter <= 0xFFFFFFFF:
            raise UsageError(f"-s/--security-counter: expected 0..0xffffffff, got {counter}")
        if isinstance(counter, str) and counter != "auto":
            raise UsageError(f"-s/--security-counter: expected a number or 'auto', got {counter!r}")

    def _check_choices(self) -> None:
        checks = (("--align", self.align, VALID_ALIGNS),
                  ("--max-align", self.max_align, (None, *VALID_MAX_ALIGNS)),
                  ("--sha", self.sha, HASH_CHOICES), ("--hmac-sha", self.hmac_sha, HMAC_CHOICES),
                  ("--encrypt-keylen", self.encrypt_keylen, (128, 256)),
                  ("-R/--erased-val", self.erased_val, (0, 0xFF)),
                  ("--public-key-format", self.public_key_format, KEY_FORMATS),
                  ("--vector-to-sign", self.vector_to_sign, (None, *VECTOR_CHOICES)))
        for option, value, allowed in checks:
            if value not in allowed:
                shown = ", ".join(str(a) for a in allowed if a is not None)
                raise UsageError(f"{option}: expected one of {shown}, got {value!r}")
        if self.max_sectors <= 0:
            raise UsageError(f"-M/--max-sectors: expected a positive count, got {self.max_sectors}")

    @property
    def padded(self) -> bool:
        """imgtool main.py: --confirm and --test imply --pad."""
        return self.pad or self.confirm or self.test

    @property
    def effective_max_align(self) -> int:
        """imgtool image.py: max(8, align) unless --max-align is given."""
        return self.max_align if self.max_align is not None else max(DEFAULT_MAX_ALIGN, self.align)

    @property
    def counter_value(self) -> int | None:
        if self.security_counter == "auto":
            return self.version.security_counter
        return self.security_counter  # type: ignore[return-value]
