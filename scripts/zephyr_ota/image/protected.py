"""The protected TLVs of a new image, in imgtool 2.5.0's order.

Entry points: ``ProtectedContent`` (what goes in), ``protected_tlvs``
(-> records), ``parse_custom_tlv`` (``--custom-tlv TAG VALUE``), ``parse_uuid``
(``--vid``/``--cid``), ``boot_record`` (the CBOR measured-boot record).

Order (imgtool image.py ``create``): SEC_CNT, BOOT_RECORD, DEPENDENCY...,
UUID_VID, UUID_CID, then custom TLVs in the order given.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from zephyr_ota.errors import UsageError
from zephyr_ota.image.constants import TLV_VENDOR_MAX, TLV_VENDOR_MIN, TlvType
from zephyr_ota.image.tlv import Tlv
from zephyr_ota.image.version import Dependency, ImageVersion

if TYPE_CHECKING:
    import uuid

# imgtool image.py MAX_SW_TYPE_LENGTH.
MAX_SW_TYPE_LENGTH = 12
_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_HEX32_RE = re.compile(r"^[0-9a-fA-F]{32}$")


@dataclass(frozen=True)
class ProtectedContent:
    """Everything that ends up in the protected TLV area."""

    security_counter: int | None = None
    boot_record: bytes | None = None
    dependencies: tuple[Dependency, ...] = ()
    vid: bytes | None = None
    cid: bytes | None = None
    custom: tuple[Tlv, ...] = ()


def protected_tlvs(content: ProtectedContent) -> tuple[Tlv, ...]:
    out: list[Tlv] = []
    if content.security_counter is not None:
        out.append(Tlv(TlvType.SEC_CNT, struct.pack("<I", content.security_counter)))
    if content.boot_record is not None:
        out.append(Tlv(TlvType.BOOT_RECORD, content.boot_record))
    out.extend(Tlv(TlvType.DEPENDENCY, dep.pack()) for dep in content.dependencies)
    if content.vid is not None:
        out.append(Tlv(TlvType.UUID_VID, content.vid))
    if content.cid is not None:
        out.append(Tlv(TlvType.UUID_CID, content.cid))
    out.extend(content.custom)
    return tuple(out)


def _parse_tag(tag: str) -> int:
    try:
        kind = int(tag, 0)
    except ValueError as e:
        raise UsageError(f"--custom-tlv: tag {tag!r} is not a number") from e
    if kind in TlvType._value2member_map_:
        raise UsageError(f"--custom-tlv: tag {kind:#x} conflicts with the predefined TLV "
                         f"{TlvType(kind).name}")
    if not TLV_VENDOR_MIN <= kind <= TLV_VENDOR_MAX:
        raise UsageError(f"--custom-tlv: tag {kind:#x}: expected a vendor TLV type "
                         f"{TLV_VENDOR_MIN:#06x}..{TLV_VENDOR_MAX:#06x}")
    return kind


def parse_custom_tlv(tag: str, value: str) -> Tlv:
    """``--custom-tlv TAG VALUE``: ``0x``-prefixed VALUE is hex bytes, else UTF-8 text."""
    kind = _parse_tag(tag)
    if value.startswith("0x"):
        digits = value[2:]
        if len(digits) % 2:
            raise UsageError(f"--custom-tlv {tag}: hex value has an odd number of digits")
        try:
            return Tlv(kind, bytes.fromhex(digits))
        except ValueError as e:
            raise UsageError(f"--custom-tlv {tag}: {value!r} is not hex") from e
    return Tlv(kind, value.encode("utf-8"))


def custom_tlv_from_bytes(tag: str, data: bytes) -> Tlv:
    """``--custom-tlv-file TAG FILE``: the file's bytes."""
    return Tlv(_parse_tag(tag), data)


def check_unique(custom: Sequence[Tlv]) -> None:
    seen: set[int] = set()
    for tlv in custom:
        if tlv.kind in seen:
            raise UsageError(f"--custom-tlv: tag {tlv.kind:#x} given twice")
        seen.add(tlv.kind)


def parse_uuid(value: str, namespace: uuid.UUID | None, option: str) -> bytes:
    """imgtool's UUID forms: canonical, 32 hex digits, or a name hashed (UUIDv5)
    in ``namespace`` (DNS for --vid, the VID for --cid)."""
    if _UUID_RE.match(value):
        return bytes.fromhex(value.replace("-", ""))
    if _HEX32_RE.match(value):
        return bytes.fromhex(value)
    if value.isprintable() and value:
        if namespace is None:
            raise UsageError(f"{option}: {value!r} is a name; a name needs --vid as its "
                             "namespace, or give a raw UUID")
        import uuid  # only here: it loads platform (import time)

        return uuid.uuid5(namespace, value).bytes
    raise UsageError(f"{option}: {value!r} is not a UUID")


def _cbor_head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([major << 5 | value])
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 1 << (8 * size):
            return bytes([major << 5 | extra]) + value.to_bytes(size, "big")
    raise ValueError(value)


def _cbor_item(item: int | str | bytes) -> bytes:
    if isinstance(item, int):
        return _cbor_head(0, item) if item >= 0 else _cbor_head(1, -1 - item)
    if isinstance(item, str):
        data = item.encode("utf-8")
        return _cbor_head(3, len(data)) + data
    return _cbor_head(2, len(item)) + item


def boot_record(sw_type: str, version: ImageVersion, hash_tlv: TlvType,
                digest_size: int, signer_id: bytes) -> bytes:
    """The CBOR map imgtool's ``--boot-record`` writes (PSA attestation SW component).

    Keys (boot_record.py SwComponent): 1 type, 4 version, 5 signer id,
    6 measurement description, 2 measurement value. The value is zeros and
    comes last: MCUboot overwrites it with the image hash at boot.
    """
    if len(sw_type) > MAX_SW_TYPE_LENGTH:
        raise UsageError(f"--boot-record: {sw_type!r} is {len(sw_type)} characters, "
                         f"at most {MAX_SW_TYPE_LENGTH} allowed")
    items: list[tuple[int, int | str | bytes]] = [
        (1, sw_type), (4, f"{version.major}.{version.minor}.{version.revision}"),
        (5, signer_id), (6, hash_tlv.name), (2, bytes(digest_size))]
    out = bytearray(_cbor_head(5, len(items)))
    for key, value in items:
        out += _cbor_item(key) + _cbor_item(value)
    return bytes(out)
