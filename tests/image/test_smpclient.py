"""smpclient, what users upload our images with, parses every kind we write."""

from __future__ import annotations

from pathlib import Path

import pytest
from smpclient.mcuboot import IMAGE_TLV, ImageInfo

from zephyr_ota.image.parse import read_image

from .support import firmware_bytes, write_hex

VARIANTS = {
    "plain": [],
    "padded-confirmed": ["--pad", "--confirm", "-s", "auto", "-d", "(1, 1.0.0)"],
    "encrypted": ["-E", "{enc}", "--encrypt-keylen", "256"],
    "encrypted-clear-padded": ["-E", "{enc}", "--clear", "--pad"],
    "custom-tlvs": ["--custom-tlv", "0xa0", "0x0102", "--custom-tlv", "0x1a1", "text"],
}


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("ext", [".bin", ".hex"])
def test_smpclient_reads_our_images(variant, ext, keys, ota, tmp_path: Path) -> None:
    data = firmware_bytes(20000)
    if ext == ".hex":
        fw = write_hex(tmp_path / "fw.hex", data, 0xC000)
    else:
        fw = tmp_path / "fw.bin"
        fw.write_bytes(data)
    out = tmp_path / f"image{ext}"
    extra = [a.format(enc=keys["enc-x25519"].public) for a in VARIANTS[variant]]
    run = ota("sign", "-k", keys["ed25519"].private, "-H", "32", "-S", "0x40000",
              "-v", "1.2.3+4", *extra, fw, out)
    assert run.rc == 0, run.err
    info = ImageInfo.load_file(str(out))
    ours = read_image(out)
    assert info.header.img_size == ours.header.img_size
    assert int(info.header.flags) == int(ours.header.flags)
    v = info.header.ver
    assert (v.major, v.minor, v.revision, v.build_num) == (1, 2, 3, 4)
    assert info.get_tlv(IMAGE_TLV.SHA256).value == ours.find(0x10).value
    assert info.get_tlv(IMAGE_TLV.ED25519).value == ours.find(0x24).value
    assert len(info.protected_tlvs or []) == len(ours.protected_tlvs)
