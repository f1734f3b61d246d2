"""What ``zephyr-ota info`` shows: an image's header, TLVs and trailer.

Entry points: ``describe(image) -> dict`` (JSON-ready; bytes as hex) and
``format_text(info) -> str`` (for humans). Pure: no printing.
"""

from __future__ import annotations

import struct
from typing import Any

from zephyr_ota.image.constants import ImageFlag, TlvType, tlv_name
from zephyr_ota.image.parse import ParsedImage
from zephyr_ota.image.tlv import Tlv
from zephyr_ota.image.version import Dependency


def _flag_names(flags: ImageFlag) -> list[str]:
    return [f.name for f in ImageFlag if f.name and f in flags]


def _decoded(tlv: Tlv) -> Any:
    """A readable value for the TLVs whose content we know."""
    if tlv.kind == TlvType.SEC_CNT and len(tlv.value) == 4:
        return struct.unpack("<I", tlv.value)[0]
    if tlv.kind == TlvType.DEPENDENCY and len(tlv.value) == 12:
        dep = Dependency.unpack(tlv.value)
        return {"image_id": dep.image_id, "min_version": str(dep.min_version)}
    if tlv.kind == TlvType.SIG_PURE and len(tlv.value) == 1:
        return bool(tlv.value[0])
    return None


def _tlv_dict(tlv: Tlv) -> dict[str, Any]:
    out: dict[str, Any] = {"type": tlv.kind, "name": tlv_name(tlv.kind),
                           "len": len(tlv.value), "value": tlv.value.hex()}
    decoded = _decoded(tlv)
    if decoded is not None:
        out["decoded"] = decoded
    return out


def describe(img: ParsedImage) -> dict[str, Any]:
    """The image as a JSON-ready dict."""
    h = img.header
    trailer = None
    if img.trailer is not None:
        t = img.trailer
        trailer = {"max_align": t.max_align, "image_ok": t.image_ok, "copy_done": t.copy_done,
                   "swap_info": t.swap_info, "swap_size": t.swap_size,
                   "confirmed": t.confirmed, "offset_of_padding": img.tlv_end,
                   "slot_size": len(img.data)}
    return {
        "file": img.where,
        "base_address": img.base_address,
        "header": {"magic": h.magic, "load_addr": h.load_addr, "hdr_size": h.hdr_size,
                   "protect_tlv_size": h.protect_tlv_size, "img_size": h.img_size,
                   "flags": int(h.flags), "flag_names": _flag_names(h.flags),
                   "version": str(h.version), "version_mcumgr": h.version.mcumgr},
        "encrypted": img.encrypted,
        "protected_tlvs": [_tlv_dict(t) for t in img.protected_tlvs],
        "tlvs": [_tlv_dict(t) for t in img.tlvs],
        "image_end": img.tlv_end,
        "trailer": trailer,
    }


def _tlv_lines(title: str, tlvs: list[dict[str, Any]]) -> list[str]:
    lines = [f"{title}:" if tlvs else f"{title}: none"]
    for t in tlvs:
        shown = t.get("decoded", t["value"] if len(t["value"]) <= 64 else t["value"][:64] + "...")
        lines.append(f"  {t['name']:<18} (0x{t['type']:02x}, {t['len']:>3} bytes) {shown}")
    return lines


def format_text(info: dict[str, Any]) -> str:
    """The readable form of ``describe``'s dict."""
    h = info["header"]
    flags = " | ".join(h["flag_names"]) or "none"
    lines = [
        f"{info['file']}: MCUboot image, version {h['version']}",
        f"header:      magic 0x{h['magic']:08x}, size 0x{h['hdr_size']:x}, "
        f"load address 0x{h['load_addr']:x}",
        f"body:        0x{h['img_size']:x} bytes at 0x{h['hdr_size']:x}",
        f"flags:       0x{h['flags']:x} ({flags})",
    ]
    if info["base_address"] is not None:
        lines.append(f"hex address: 0x{info['base_address']:x}")
    lines += _tlv_lines(f"protected TLVs (0x{h['protect_tlv_size']:x} bytes)",
                        info["protected_tlvs"])
    lines += _tlv_lines("TLVs", info["tlvs"])
    lines.append(f"image ends:  0x{info['image_end']:x}")
    t = info["trailer"]
    if t is None:
        lines.append("trailer:     none (image not padded)")
    else:
        lines.append(f"trailer:     slot 0x{t['slot_size']:x} bytes, max-align {t['max_align']}, "
                     f"image_ok 0x{t['image_ok']:02x}"
                     f"{' (confirmed)' if t['confirmed'] else ''}, copy_done 0x{t['copy_done']:02x}")
    return "\n".join(lines)
