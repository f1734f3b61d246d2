"""Large images stream: padding a big image into a bigger slot never holds
the slot in memory (peak <= image size + 20 MiB)."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import pytest

from zephyr_ota.firmware import load_firmware
from zephyr_ota.image.build import Encryption, sign_image
from zephyr_ota.image.parse import read_image
from zephyr_ota.image.request import SignRequest
from zephyr_ota.image.verify import verify_image
from zephyr_ota.keys import load_private_key, load_public_key

MIB = 1 << 20


@pytest.mark.parametrize("encrypt", [False, True])
def test_pad_8mib_into_32mib_slot(encrypt, keys, tmp_path: Path) -> None:
    fw_path = tmp_path / "big.bin"
    fw_path.write_bytes(bytes(32) + os.urandom(8 * MIB))
    signer = load_private_key(keys["ed25519"].private)
    encryption = Encryption(keys["enc-x25519"].crypto.public_key()) if encrypt else None
    request = SignRequest(slot_size=32 * MIB, pad=True, confirm=True, max_sectors=8192)
    out = tmp_path / "big.signed.bin"

    tracemalloc.start()
    try:
        firmware = load_firmware(fw_path)
        result = sign_image(request, firmware, signer, out, encryption)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= 8 * MIB + 20 * MIB, f"peak {peak / MIB:.1f} MiB"
    assert out.stat().st_size == 32 * MIB
    img = read_image(out)
    assert img.trailer is not None and img.trailer.confirmed
    decrypt = keys["enc-x25519"].crypto if encrypt else None
    assert verify_image(img, load_public_key(keys["ed25519"].public), decrypt)
    assert result.image_size < 8 * MIB + 0x1000
