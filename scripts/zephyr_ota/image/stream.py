"""Signing a raw binary straight from its file: ``sign_streamed``.

``build.sign_image`` hands over here when the firmware is a
``firmware.binfile.BinFile`` and the output is binary; the firmware is never
held in memory (on a VM the page faults of holding 32 MiB cost more than the
hash). A plaintext body is copied by the kernel (``os.copy_file_range``) and
the hash then reads the written file through a mapping; an encrypted body,
or where the kernel cannot copy, goes through a small buffer that is hashed
in a helper thread while it is encrypted and written. The signature and the
TLVs follow the body; the slot-fit check then runs before the temporary file
is committed, so an image that does not fit leaves nothing behind, as in
``build``. The bytes written are those ``build`` writes from memory.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from zephyr_ota.fileio import atomic_writer
from zephyr_ota.firmware.binfile import BinFile
from zephyr_ota.image.build import (
    Encryption,
    SignedImage,
    _Body,
    _check_fits,
    _signature,
    _trailer_spec,
    _unprotected,
    _wrap_new_key,
)
from zephyr_ota.image.header import ImageHeader
from zephyr_ota.image.output import warn_hex_addr, write_slot_rest
from zephyr_ota.image.request import SignRequest
from zephyr_ota.image.tlv import Tlv, encode_area
from zephyr_ota.keys.base import HashAlg, Signer

if TYPE_CHECKING:
    from zephyr_ota.image.encrypt import EncScheme

_WINDOW = 4 << 20  # bytes of the output mapped at a time (a multiple of any page size)


@dataclass(frozen=True)
class StreamPlan:
    """What ``build.sign_image`` decided before any body byte is read."""

    request: SignRequest
    signer: Signer | None
    encryption: Encryption | None
    scheme: EncScheme | None
    hash_alg: HashAlg
    src: _Body                      # src.body is the firmware file, a BinFile
    prot: tuple[Tlv, ...]
    header: ImageHeader


def _write_hashed(f: BinaryIO, plan: StreamPlan, prot_area: bytes,
                  aes_key: bytes | None) -> bytes:
    """Header area, body, encryption pad and protected TLVs, written and hashed
    (MCUboot image_validate.c ``bootutil_img_hash``: the plaintext)."""
    hasher = hashlib.new(plan.hash_alg.value)
    head = plan.header.pack() + plan.src.header_fill
    hasher.update(head)
    f.write(head)
    ctr = None
    if aes_key is not None:
        from zephyr_ota.image.encrypt import AesCtrStream

        ctr = AesCtrStream(aes_key)
    body = plan.src.body
    assert isinstance(body, BinFile)
    # hashlib releases the GIL: each chunk is hashed in a thread while it is
    # written and the next one read (BinFile.chunks keeps it valid that long);
    # one thread at a time, joined in order, so the digest is the sequential one.
    hashing: threading.Thread | None = None
    for chunk in body.chunks():
        if hashing is not None:
            hashing.join()
        hashing = threading.Thread(target=hasher.update, args=(chunk,))
        hashing.start()
        f.write(ctr.update(chunk) if ctr else chunk)
    if hashing is not None:
        hashing.join()
    if plan.src.enc_pad:
        pad = bytes(plan.src.enc_pad)
        hasher.update(pad)
        f.write(ctr.update(pad) if ctr else pad)
    hasher.update(prot_area)
    f.write(prot_area)
    return hasher.digest()


def _copy_then_hash(f: BinaryIO, plan: StreamPlan, prot_area: bytes) -> bytes | None:
    """A plaintext body: the kernel copies it into the output, then the hash
    reads what was written (all of the file so far is the hashed payload)
    through a read-only mapping of our own temporary file, never of the
    firmware, which could shrink under a mapping. None where the kernel
    cannot copy; nothing is written then."""
    body = plan.src.body
    assert isinstance(body, BinFile)
    head = plan.header.pack() + plan.src.header_fill
    if not body.copy_to(f.fileno(), len(head)):
        return None
    f.write(head)
    f.seek(len(head) + len(body))
    f.write(bytes(plan.src.enc_pad) + prot_area)
    f.flush()
    import mmap

    hasher = hashlib.new(plan.hash_alg.value)
    size = f.tell()
    try:
        for offset in range(0, size, _WINDOW):  # windows: peak memory stays small
            length = min(_WINDOW, size - offset)
            with mmap.mmap(f.fileno(), length, access=mmap.ACCESS_READ,
                           offset=offset) as window:
                hasher.update(window)
    except OSError:  # the output cannot be mapped for reading: start over, streaming
        f.seek(0)
        f.truncate()
        return None
    return hasher.digest()


def sign_streamed(plan: StreamPlan, path: Path) -> SignedImage:
    """Write the binary image ``plan`` describes to ``path``."""
    request = plan.request
    firmware = plan.src.body
    assert isinstance(firmware, BinFile)
    aes_key = key_tlv = None
    if plan.encryption is not None and plan.scheme is not None:
        aes_key, key_tlv = _wrap_new_key(request, plan.encryption, plan.scheme)
    body_aes_key = None if request.clear else aes_key
    prot_area = encode_area(plan.prot, protected=True)
    warn_hex_addr(path, request)
    with atomic_writer(path, durable=False) as f:
        digest = None if body_aes_key else _copy_then_hash(f, plan, prot_area)
        if digest is None:
            digest = _write_hashed(f, plan, prot_area, body_aes_key)
        sig = (_signature(request, plan.signer, digest, plan.hash_alg, None)
               if plan.signer else None)
        tlvs = _unprotected(request, plan.signer, plan.hash_alg, digest, sig)
        if key_tlv is not None:
            tlvs.append(key_tlv)
        tail = encode_area(tlvs, protected=False)
        image_size = (request.header_size + len(plan.src.body) + plan.src.enc_pad
                      + len(prot_area) + len(tail))
        spec = _trailer_spec(request, plan.encryption is not None, tlvs)
        _check_fits(request, firmware, image_size, spec)
        f.write(tail)
        if request.padded:
            write_slot_rest(f, request, spec, image_size)
    return SignedImage(path=path, output_format="bin", header=plan.header,
                       hash_alg=plan.hash_alg, digest=digest, signature=sig,
                       protected_tlvs=plan.prot, tlvs=tuple(tlvs), image_size=image_size,
                       trailer_size=spec.size, slot_size=request.slot_size,
                       padded=request.padded, encrypted_body=body_aes_key is not None,
                       base_address=None)
