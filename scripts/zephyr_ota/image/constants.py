"""MCUboot image format constants: magics, header flags, TLV types.

Every number here is defined by MCUboot in
``boot/bootutil/include/bootutil/image.h`` (header, flags, TLVs) or
``boot/bootutil/src/bootutil_priv.h`` / ``bootutil_public.c`` (trailer),
and written the same way by imgtool 2.5.0 (``scripts/imgtool/image.py``).
All multi-byte fields are little-endian.
"""

from __future__ import annotations

import enum

# image.h: IMAGE_MAGIC, first word of struct image_header.
IMAGE_MAGIC = 0x96F3B83D
# image.h: IMAGE_HEADER_SIZE, sizeof(struct image_header).
IMAGE_HEADER_SIZE = 32
# image.h: IMAGE_TLV_INFO_MAGIC, starts the unprotected TLV area.
TLV_INFO_MAGIC = 0x6907
# image.h: IMAGE_TLV_PROT_INFO_MAGIC, starts the protected TLV area.
TLV_PROT_INFO_MAGIC = 0x6908
# image.h: sizeof(struct image_tlv_info) and sizeof(struct image_tlv).
TLV_INFO_SIZE = 4
TLV_HEADER_SIZE = 4
# image.h: "vendor reserved TLVs at xxA0-xxFF"; imgtool accepts 0x00a0..0xfffe
# for --custom-tlv (image.py TLV_VENDOR_RES_MIN/MAX).
TLV_VENDOR_MIN = 0x00A0
TLV_VENDOR_MAX = 0xFFFE

# bootutil_public.c: boot_img_magic, the trailer magic when BOOT_MAX_ALIGN is 8.
BOOT_MAGIC = bytes.fromhex("77c295f360d2ef7f3552500f2cb67980")
BOOT_MAGIC_SIZE = 16
# bootutil_public.c (BOOT_MAX_ALIGN > 8): the first two bytes hold the max
# alignment (little-endian), followed by these 14 bytes.
BOOT_MAGIC_ALIGN_TAIL = bytes.fromhex("2de15d29410b8d77679c110f1f8a")
# bootutil_priv.h: BOOT_FLAG_SET, the value of a set image_ok/copy_done flag.
BOOT_FLAG_SET = 0x01

# imgtool main.py: --max-sectors default (MCUboot's BOOT_MAX_IMG_SECTORS default).
DEFAULT_MAX_SECTORS = 128
# bootutil_priv.h: BOOT_MAX_ALIGN default is 8.
DEFAULT_MAX_ALIGN = 8
# Flash write sizes imgtool accepts for --align.
VALID_ALIGNS = (1, 2, 4, 8, 16, 32)
VALID_MAX_ALIGNS = (8, 16, 32)


class ImageFlag(enum.IntFlag):
    """``ih_flags`` bits (image.h ``IMAGE_F_*``)."""

    PIC = 0x01                   # IMAGE_F_PIC: not supported by MCUboot
    ENCRYPTED_AES128 = 0x04      # IMAGE_F_ENCRYPTED_AES128
    ENCRYPTED_AES256 = 0x08      # IMAGE_F_ENCRYPTED_AES256
    NON_BOOTABLE = 0x10          # IMAGE_F_NON_BOOTABLE: split image app
    RAM_LOAD = 0x20              # IMAGE_F_RAM_LOAD: copy to ih_load_addr
    ROM_FIXED = 0x100            # IMAGE_F_ROM_FIXED: built for a fixed flash address
    COMPRESSED_LZMA1 = 0x200     # IMAGE_F_COMPRESSED_LZMA1
    COMPRESSED_LZMA2 = 0x400     # IMAGE_F_COMPRESSED_LZMA2
    COMPRESSED_ARM_THUMB = 0x800  # IMAGE_F_COMPRESSED_ARM_THUMB_FLT

    @property
    def encrypted(self) -> bool:
        return bool(self & (ImageFlag.ENCRYPTED_AES128 | ImageFlag.ENCRYPTED_AES256))


class TlvType(enum.IntEnum):
    """TLV types (image.h ``IMAGE_TLV_*``)."""

    KEYHASH = 0x01           # IMAGE_TLV_KEYHASH: hash of the public key
    PUBKEY = 0x02            # IMAGE_TLV_PUBKEY: the public key itself
    SHA256 = 0x10            # IMAGE_TLV_SHA256: hash of header, body, protected TLVs
    SHA384 = 0x11            # IMAGE_TLV_SHA384
    SHA512 = 0x12            # IMAGE_TLV_SHA512
    RSA2048_PSS = 0x20       # IMAGE_TLV_RSA2048_PSS
    ECDSA_SIG = 0x22         # IMAGE_TLV_ECDSA_SIG (P-256 and P-384, DER)
    RSA3072_PSS = 0x23       # IMAGE_TLV_RSA3072_PSS
    ED25519 = 0x24           # IMAGE_TLV_ED25519
    SIG_PURE = 0x25          # IMAGE_TLV_SIG_PURE: signature over the image itself
    ENC_RSA2048 = 0x30       # IMAGE_TLV_ENC_RSA2048: AES key, RSA-OAEP
    ENC_KW = 0x31            # IMAGE_TLV_ENC_KW: AES key, AES key wrap
    ENC_EC256 = 0x32         # IMAGE_TLV_ENC_EC256: AES key, ECIES-P256
    ENC_X25519 = 0x33        # IMAGE_TLV_ENC_X25519: AES key, ECIES-X25519 (HMAC-SHA256)
    ENC_X25519_SHA512 = 0x34  # IMAGE_TLV_ENC_X25519_SHA512: ECIES-X25519, HMAC-SHA512
    DEPENDENCY = 0x40        # IMAGE_TLV_DEPENDENCY: struct image_dependency
    SEC_CNT = 0x50           # IMAGE_TLV_SEC_CNT: security counter (uint32)
    BOOT_RECORD = 0x60       # IMAGE_TLV_BOOT_RECORD: CBOR measured-boot record
    DECOMP_SIZE = 0x70       # IMAGE_TLV_DECOMP_SIZE
    DECOMP_SHA = 0x71        # IMAGE_TLV_DECOMP_SHA
    DECOMP_SIGNATURE = 0x72  # IMAGE_TLV_DECOMP_SIGNATURE
    COMP_DEC_SIZE = 0x73     # IMAGE_TLV_COMP_DEC_SIZE
    # imgtool 2.5.0 writes the UUID TLVs as 0x74/0x75 (image.py TLV_VALUES);
    # we follow the oracle the devices' images are made with today.
    UUID_VID = 0x74          # IMAGE_TLV_UUID_VID: vendor UUID (16 bytes)
    UUID_CID = 0x75          # IMAGE_TLV_UUID_CID: image class UUID (16 bytes)


HASH_TLVS = (TlvType.SHA256, TlvType.SHA384, TlvType.SHA512)
SIGNATURE_TLVS = (TlvType.RSA2048_PSS, TlvType.ECDSA_SIG, TlvType.RSA3072_PSS, TlvType.ED25519)
ENCRYPTION_TLVS = (TlvType.ENC_RSA2048, TlvType.ENC_KW, TlvType.ENC_EC256,
                   TlvType.ENC_X25519, TlvType.ENC_X25519_SHA512)
# image_validate.c: only these TLV types may appear in the protected area
# besides vendor TLVs; MCUboot walks it with the "protected" flag set.
PROTECTED_TLVS = (TlvType.DEPENDENCY, TlvType.SEC_CNT, TlvType.BOOT_RECORD,
                  TlvType.DECOMP_SIZE, TlvType.DECOMP_SHA, TlvType.DECOMP_SIGNATURE,
                  TlvType.COMP_DEC_SIZE, TlvType.UUID_VID, TlvType.UUID_CID)


# image_validate.c allowed_unprot_tlvs: with MCUBOOT_USE_TLV_ALLOW_LIST (the
# Zephyr default) any other TLV outside the protected area fails the image.
# 0x21 is the retired ECDSA224 type, still on the list.
ALLOWED_UNPROTECTED = frozenset((TlvType.KEYHASH, TlvType.PUBKEY, *HASH_TLVS, *SIGNATURE_TLVS,
                                 0x21, TlvType.SIG_PURE, *ENCRYPTION_TLVS))


def tlv_name(kind: int) -> str:
    """A TLV type's name for humans, or its number for vendor TLVs."""
    try:
        return TlvType(kind).name
    except ValueError:
        return f"0x{kind:04x}"
