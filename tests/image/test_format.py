"""Unit tests of the format pieces: versions, header, TLVs, trailer, CBOR."""

from __future__ import annotations

import pytest

from zephyr_ota.errors import InputError, UsageError
from zephyr_ota.image.constants import IMAGE_MAGIC, ImageFlag, TlvType
from zephyr_ota.image.header import HEADER_STRUCT, ImageHeader
from zephyr_ota.image.protected import boot_record, parse_custom_tlv, parse_uuid
from zephyr_ota.image.tlv import Tlv, encode_area, parse_area
from zephyr_ota.image.trailer import TrailerSpec, read_trailer
from zephyr_ota.image.version import Dependency, ImageVersion, parse_dependencies


@pytest.mark.parametrize(("text", "expected"), [
    ("1", (1, 0, 0, 0)), ("1.2", (1, 2, 0, 0)), ("1.2.3", (1, 2, 3, 0)),
    ("1.2.3+4", (1, 2, 3, 4)), ("255.255.65535+4294967295", (255, 255, 65535, 4294967295)),
    ("1.2.3.4", (1, 2, 3, 4)),  # MCUmgr's form
])
def test_version_parse(text: str, expected: tuple[int, ...]) -> None:
    v = ImageVersion.parse(text)
    assert (v.major, v.minor, v.revision, v.build) == expected
    assert ImageVersion.parse(str(v)) == v
    assert v.mcumgr == ".".join(map(str, expected))


@pytest.mark.parametrize("text", ["", "1.", "01.2", "1.2.3+", "a.b", "256.0.0", "1.2.3-rc1"])
def test_version_rejects(text: str) -> None:
    with pytest.raises(UsageError, match="version"):
        ImageVersion.parse(text)


def test_version_matches_imgtool() -> None:
    from imgtool.version import decode_version

    for text in ("0", "1.2", "3.4.5+6", "10.0.1"):
        assert tuple(ImageVersion.parse(text).__dict__.values()) == tuple(decode_version(text))


def test_security_counter_auto() -> None:
    assert ImageVersion.parse("1.2.3+9").security_counter == (1 << 24) + (2 << 16) + 3


def test_dependencies() -> None:
    deps = parse_dependencies("(1, 1.2.3+0), (0,2.0)")
    assert deps == (Dependency(1, ImageVersion(1, 2, 3, 0)), Dependency(0, ImageVersion(2)))
    assert deps[0].pack() == bytes([1, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 0])
    assert Dependency.unpack(deps[0].pack()) == deps[0]
    for bad in ("", "1, 1.2.3", "(1, 1.2.3) junk", "(300, 1.0)"):
        with pytest.raises(UsageError, match="dependenc"):
            parse_dependencies(bad)


def test_header_roundtrip() -> None:
    h = ImageHeader(load_addr=0x2000_0000, hdr_size=0x200, protect_tlv_size=12,
                    img_size=1234, flags=ImageFlag.RAM_LOAD | ImageFlag.ENCRYPTED_AES256,
                    version=ImageVersion(1, 2, 3, 4))
    raw = h.pack()
    assert HEADER_STRUCT.size == len(raw) == 32
    assert int.from_bytes(raw[:4], "little") == IMAGE_MAGIC
    assert ImageHeader.unpack(raw) == h
    assert h.flags.encrypted


def test_header_rejects_bad_magic_and_short() -> None:
    with pytest.raises(InputError, match=r"^x.bin: header: bad magic"):
        ImageHeader.unpack(bytes(32), "x.bin")
    with pytest.raises(InputError, match=r"^x.bin: header: expected 32 bytes, the file has 5"):
        ImageHeader.unpack(bytes(5), "x.bin")


def test_tlv_area_roundtrip() -> None:
    tlvs = (Tlv(TlvType.SEC_CNT, b"\x01\x00\x00\x00"), Tlv(0x1A0, b"vendor"))
    area = encode_area(tlvs, protected=True)
    assert area[:2] == b"\x08\x69" and int.from_bytes(area[2:4], "little") == len(area)
    parsed, size = parse_area(area, 0, protected=True, where="t")
    assert parsed == tlvs and size == len(area)
    assert encode_area((), protected=False) == b""
    with pytest.raises(InputError, match="bad magic"):
        parse_area(area, 0, protected=False, where="t")
    with pytest.raises(InputError, match="runs past"):
        parse_area(area[:-1], 0, protected=True, where="t")


@pytest.mark.parametrize("align", [1, 2, 4, 8, 16, 32])
@pytest.mark.parametrize("max_align", [None, 16, 32])
@pytest.mark.parametrize("enc", [None, 16, 48, 113])
@pytest.mark.parametrize("overwrite_only", [False, True])
def test_trailer_size_matches_imgtool(align: int, max_align: int | None, enc: int | None,
                                      overwrite_only: bool) -> None:
    from imgtool.image import Image

    if max_align is not None and max_align < align:
        pytest.skip("max-align below align")
    img = Image(align=align, max_align=max_align, overwrite_only=overwrite_only,
                max_sectors=64, save_enctlv=enc is not None and enc != 16)
    theirs = img._trailer_size(align, 64, overwrite_only, object() if enc else None,
                               enc is not None and enc != 16, enc or 0)
    spec = TrailerSpec(align=align, max_align=max_align or max(8, align), max_sectors=64,
                       overwrite_only=overwrite_only, encrypted=enc is not None,
                       save_enctlv=enc is not None and enc != 16, enctlv_len=enc or 0)
    assert spec.size == theirs
    assert spec.magic == img.boot_magic
    trailer = spec.bytes_for(confirm=True, test=False, erased_val=0xFF)
    info = read_trailer(bytes(100) + trailer)
    assert info is not None and info.max_align == spec.max_align
    assert info.confirmed is (not overwrite_only)


def test_custom_tlv_parsing() -> None:
    assert parse_custom_tlv("0xa0", "0x0102") == Tlv(0xA0, b"\x01\x02")
    assert parse_custom_tlv("0x1a5", "hello") == Tlv(0x1A5, b"hello")
    with pytest.raises(UsageError, match="conflicts with the predefined TLV SEC_CNT"):
        parse_custom_tlv("0x50", "x")
    with pytest.raises(UsageError, match="odd number of digits"):
        parse_custom_tlv("0xa0", "0x123")
    with pytest.raises(UsageError, match="expected a vendor TLV type"):
        parse_custom_tlv("0x9", "x")


def test_uuid_forms() -> None:
    import uuid

    raw = "12345678-1234-5678-1234-567812345678"
    assert parse_uuid(raw, None, "--vid") == uuid.UUID(raw).bytes
    assert parse_uuid(raw.replace("-", ""), None, "--vid") == uuid.UUID(raw).bytes
    assert parse_uuid("example.com", uuid.NAMESPACE_DNS, "--vid") == \
        uuid.uuid5(uuid.NAMESPACE_DNS, "example.com").bytes
    with pytest.raises(UsageError, match="needs --vid"):
        parse_uuid("name", None, "--cid")


def test_boot_record_matches_imgtool_cbor() -> None:
    from imgtool.boot_record import create_sw_component_data

    ours = boot_record("SPE", ImageVersion(1, 2, 3), TlvType.SHA256, 32, b"\x11" * 32)
    theirs = create_sw_component_data("SPE", "1.2.3", "SHA256", bytes(32), b"\x11" * 32)
    assert ours == theirs
    with pytest.raises(UsageError, match="at most 12"):
        boot_record("x" * 13, ImageVersion(), TlvType.SHA256, 32, bytes(32))
