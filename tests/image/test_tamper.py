"""Property: any byte flipped in header, body, protected TLVs or signature
makes verify fail, with a message naming what failed."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from zephyr_ota.image.build import SIG_TLV, Encryption, sign_image
from zephyr_ota.image.parse import parse_image
from zephyr_ota.image.request import SignRequest
from zephyr_ota.image.tlv import Tlv
from zephyr_ota.image.verify import verify_image
from zephyr_ota.image.version import Dependency, ImageVersion
from zephyr_ota.keys import load_private_key, load_public_key

from .support import firmware_bytes

NAMES = {"structure": ("header", "TLV area", "protected TLV area"),
         "hash": ("hash",), "key": ("key",), "signature": ("signature",),
         "decryption": ("decryption",)}

requests = st.builds(
    SignRequest,
    slot_size=st.just(0x40000),
    version=st.builds(ImageVersion, st.integers(0, 255), st.integers(0, 255),
                      st.integers(0, 65535), st.integers(0, 2**32 - 1)),
    security_counter=st.one_of(st.none(), st.just("auto"), st.integers(0, 2**32 - 1)),
    dependencies=st.lists(st.builds(Dependency, st.integers(0, 3), st.just(ImageVersion(1))),
                          max_size=2).map(tuple),
    custom_tlvs=st.lists(st.builds(Tlv, st.integers(0xA0, 0xFE), st.binary(max_size=20)),
                         max_size=2, unique_by=lambda t: t.kind).map(tuple),
    pad_header=st.booleans(),
)


@settings(max_examples=120, deadline=None)
@given(request=requests, signer_name=st.sampled_from(["ed25519", "ecdsa-p256", "rsa-2048"]),
       size=st.integers(1, 3000), encrypted=st.booleans(),
       region=st.sampled_from(["header", "body", "protected", "signature"]),
       where=st.floats(0, 1, exclude_max=True), mask=st.integers(1, 255))
def test_any_flipped_byte_fails(keys, request, signer_name, size, encrypted, region, where,
                                mask) -> None:
    signer = load_private_key(keys[signer_name].private)
    pub = load_public_key(keys[signer_name].public)
    enc_name = {"ed25519": "enc-x25519", "ecdsa-p256": "enc-p256",
                "rsa-2048": "enc-rsa-2048"}[signer_name]
    encryption = Encryption(keys[enc_name].crypto.public_key()) if encrypted else None
    with tempfile.TemporaryDirectory() as tmp:
        fw_path = Path(tmp) / "fw.bin"
        fw_path.write_bytes(firmware_bytes(size, header=0 if request.pad_header else 32))
        from zephyr_ota.firmware import load_firmware

        out = Path(tmp) / "img.bin"
        sign_image(request, load_firmware(fw_path), signer, out, encryption)
        data = bytearray(out.read_bytes())
    decrypt = keys[enc_name].crypto if encrypted else None
    img = parse_image(bytes(data), "img.bin")
    assert verify_image(img, pub, decrypt)

    h = img.header
    sig_tlv = img.find(SIG_TLV[pub.key_type])
    assert sig_tlv is not None
    sig_at = bytes(data).index(sig_tlv.value)
    start, end = {"header": (0, h.hdr_size), "body": (h.hdr_size, h.tlv_offset),
                  "protected": (h.tlv_offset, img.protected_end),
                  "signature": (sig_at, sig_at + len(sig_tlv.value))}[region]
    if start == end:  # no protected TLVs in this image
        start, end = 0, h.hdr_size
    pos = start + int(where * (end - start))
    data[pos] ^= mask
    result = verify_image(bytes(data), pub, decrypt, where="img.bin")
    assert not result, f"flip at {pos:#x} ({region}) went unnoticed"
    assert result.failed in NAMES
    assert any(name in result.message for name in NAMES[result.failed]), result.message
    assert "\n" not in result.message
