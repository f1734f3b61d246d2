"""A real Zephyr 4.4.0 build (nrf52840dk hci_usb, from PyPI) signed and
encrypted from its Intel HEX, then checked by imgtool and by us."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from zephyr_ota.firmware import load_firmware
from zephyr_ota.image.parse import read_image
from zephyr_ota.image.verify import decrypt_body

from .support import imgtool

PACKAGE = "zephyr_4_4_0_hci_usb_nrf52840dk_default"


@pytest.fixture(scope="module")
def firmware_hex() -> Path:
    ref = resources.files(PACKAGE) / "firmware.hex"
    with resources.as_file(ref) as path:
        return Path(path)


@pytest.mark.parametrize("out_ext", [".hex", ".bin"])
def test_real_firmware(firmware_hex: Path, out_ext, keys, ota, tmp_path: Path) -> None:
    fw = load_firmware(firmware_hex)
    # This build is linked at 0 without room for a header: --pad-header puts
    # it in front, and the hex output goes to slot0 of the nrf52840dk (0xc000).
    assert fw.base_address == 0 and any(fw.to_bytes()[:0x200])
    common = ["-k", keys["ed25519"].private, "-H", "0x200", "--pad-header", "-S", "0x76000",
              "-v", "4.4.0+1", "-s", "auto", "--align", "4", "-x", "0xc000"]
    enc = ["-E", keys["enc-x25519"].public]
    primary, secondary = tmp_path / f"primary{out_ext}", tmp_path / f"secondary{out_ext}"
    assert ota("sign", *common, *enc, "--clear", "--pad", "--confirm", firmware_hex,
               primary).rc == 0
    assert ota("sign", *common, *enc, firmware_hex, secondary).rc == 0

    # imgtool checks the primary image (plaintext body) and reads both
    verified = imgtool("verify", "-k", keys["ed25519"].public, primary)
    assert verified.rc == 0, verified.out
    assert imgtool("dumpinfo", secondary).rc == 0
    # we check both, decrypting the secondary
    check = ota("verify", "-k", keys["ed25519"].public, "--decrypt-key",
                keys["enc-x25519"].private, secondary)
    assert check.rc == 0 and "decrypted" in check.out, check.err
    assert ota("verify", "-k", keys["ed25519"].public, primary).rc == 0

    body = fw.to_bytes()
    plain = decrypt_body(read_image(secondary), keys["enc-x25519"].crypto)
    assert plain[:len(body)] == body
    if out_ext == ".hex":
        assert read_image(secondary).base_address == 0xC000
