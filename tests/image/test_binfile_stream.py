"""A raw binary streamed from its file (``open_bin``) makes the same image as
the same firmware read into memory, and a firmware that changes while it is
signed is refused with nothing written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from zephyr_ota.errors import InputError, SlotOverflowError
from zephyr_ota.firmware.binfile import BinFile, open_bin, read_bin
from zephyr_ota.image.build import Encryption, sign_image
from zephyr_ota.image.request import SignRequest
from zephyr_ota.keys import load_private_key

MIB = 1 << 20
CASES = {
    "pad-header": dict(pad_header=True),
    "zero-header": dict(),
    "padded": dict(pad_header=True, pad=True, confirm=True, slot_size=4 * MIB),
    "encrypted": dict(pad_header=True),
    "clear": dict(pad_header=True, clear=True),
    "counter": dict(pad_header=True, security_counter="auto"),
}


def _firmware(tmp_path: Path, size: int = 2 * MIB + 5) -> Path:
    path = tmp_path / "fw.bin"
    path.write_bytes(bytes(0x200) + os.urandom(size))
    return path


@pytest.mark.parametrize("name", sorted(CASES))
def test_streamed_equals_in_memory(name, keys, tmp_path: Path) -> None:
    fw = _firmware(tmp_path)
    options = {"slot_size": 3 * MIB, "header_size": 0x200, **CASES[name]}
    request = SignRequest(**options)  # type: ignore[arg-type]
    signer = load_private_key(keys["ed25519"].private)
    encryption = (Encryption(keys["enc-x25519"].crypto.public_key(), aes_key=bytes(range(16)))
                  if name in ("encrypted", "clear") else None)
    in_memory = sign_image(request, read_bin(fw), signer, tmp_path / "a.bin", encryption)
    streamed = sign_image(request, open_bin(fw), signer, tmp_path / "b.bin", encryption)
    if encryption is not None:  # the X25519 key wrap is random: compare up to the TLVs
        size = in_memory.image_size - len(in_memory.tlvs[-1].value)
        assert (tmp_path / "a.bin").read_bytes()[:size] == (tmp_path / "b.bin").read_bytes()[:size]
    else:
        assert (tmp_path / "a.bin").read_bytes() == (tmp_path / "b.bin").read_bytes()
    assert (streamed.digest, streamed.image_size, streamed.encrypted_body) == \
        (in_memory.digest, in_memory.image_size, in_memory.encrypted_body)


def _left(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir() if p.name != "fw.bin")


def test_grown_firmware_is_refused(keys, tmp_path: Path) -> None:
    fw = _firmware(tmp_path)
    source = open_bin(fw)
    with open(fw, "ab") as f:
        f.write(b"more")
    with pytest.raises(InputError, match="fw.bin: the firmware file changed while it was "
                                         "being signed"):
        sign_image(SignRequest(slot_size=4 * MIB, pad_header=True, header_size=0x200),
                   source, load_private_key(keys["ed25519"].private), tmp_path / "o.bin")
    assert _left(tmp_path) == []


def test_rewritten_firmware_is_refused(keys, tmp_path: Path) -> None:
    fw = _firmware(tmp_path)
    source = open_bin(fw)
    fw.write_bytes(bytes(len(source)))  # same size, new content
    os.utime(fw, ns=(1, 1))
    with pytest.raises(InputError, match="changed while it was being signed"):
        sign_image(SignRequest(slot_size=4 * MIB, pad_header=True, header_size=0x200),
                   source, None, tmp_path / "o.bin")
    assert _left(tmp_path) == []


def test_truncated_while_streaming_is_refused(tmp_path: Path) -> None:
    fw = _firmware(tmp_path, 3 * MIB)
    source = open_bin(fw)
    chunks = source.chunks()
    next(chunks)
    os.truncate(fw, MIB)
    with pytest.raises(InputError, match="changed while it was being signed"):
        list(chunks)


def test_overflow_leaves_nothing(keys, tmp_path: Path) -> None:
    fw = _firmware(tmp_path)
    with pytest.raises(SlotOverflowError, match="exceeds the slot size 0x200000"):
        sign_image(SignRequest(slot_size=2 * MIB, pad_header=True, header_size=0x200),
                   open_bin(fw), load_private_key(keys["ed25519"].private), tmp_path / "o.bin")
    assert _left(tmp_path) == []


def test_open_bin_errors(tmp_path: Path) -> None:
    (tmp_path / "empty.bin").write_bytes(b"")
    with pytest.raises(InputError, match=r"empty.bin: empty firmware file: expected at least"):
        open_bin(tmp_path / "empty.bin")
    with pytest.raises(InputError, match=r"missing.bin: firmware file not found$"):
        open_bin(tmp_path / "missing.bin")
    with pytest.raises(InputError, match=r": expected a firmware file, found a directory$"):
        open_bin(tmp_path)


def test_read_head_and_whole(tmp_path: Path) -> None:
    fw = _firmware(tmp_path, 100)
    source = open_bin(fw)
    data = fw.read_bytes()
    assert isinstance(source, BinFile) and len(source) == len(data)
    assert source.read(0x10) == data[:0x10]
    assert source.to_bytes() == data
    assert source.from_offset(0x200).to_bytes() == data[0x200:]
    assert b"".join(bytes(c) for c in source.from_offset(7).chunks()) == data[7:]


@pytest.mark.parametrize("name", ["pad-header", "zero-header", "padded", "clear"])
def test_without_kernel_copy(name, keys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where ``os.copy_file_range`` is missing or refuses (other systems, other
    file systems), the body goes through the read/hash/write loop: same image."""
    fw = _firmware(tmp_path)
    options = {"slot_size": 3 * MIB, "header_size": 0x200, **CASES[name]}
    request = SignRequest(**options)  # type: ignore[arg-type]
    signer = load_private_key(keys["ed25519"].private)
    encryption = (Encryption(keys["enc-x25519"].crypto.public_key(), aes_key=bytes(range(16)))
                  if name == "clear" else None)
    kernel = sign_image(request, open_bin(fw), signer, tmp_path / "a.bin", encryption)

    def refuse(*args: object) -> int:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "copy_file_range", refuse, raising=False)
    looped = sign_image(request, open_bin(fw), signer, tmp_path / "b.bin", encryption)
    size = kernel.image_size - (len(kernel.tlvs[-1].value) if encryption else 0)
    assert (tmp_path / "a.bin").read_bytes()[:size] == (tmp_path / "b.bin").read_bytes()[:size]
    assert looped.digest == kernel.digest
    monkeypatch.delattr(os, "copy_file_range")
    sign_image(request, open_bin(fw), signer, tmp_path / "c.bin", encryption)
    assert (tmp_path / "c.bin").read_bytes()[:size] == (tmp_path / "a.bin").read_bytes()[:size]


def test_output_not_mappable(keys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the output cannot be mapped back, it is rewritten by the streaming loop."""
    import mmap

    fw = _firmware(tmp_path)
    request = SignRequest(slot_size=3 * MIB, header_size=0x200, pad_header=True)
    signer = load_private_key(keys["ed25519"].private)
    mapped = sign_image(request, open_bin(fw), signer, tmp_path / "a.bin")

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(mmap, "mmap", refuse)
    looped = sign_image(request, open_bin(fw), signer, tmp_path / "b.bin")
    assert (tmp_path / "a.bin").read_bytes() == (tmp_path / "b.bin").read_bytes()
    assert looped.digest == mapped.digest
