"""Writing an image file: binary or Intel HEX, streamed, atomically.

Entry points: ``ImageParts`` (what the image holds), ``write_image``
(``.hex`` -> Intel HEX at the input's or ``--hex-addr`` address, else binary),
``CHUNK``. The body is encrypted chunk by chunk while it is written; slot
padding is written in chunks of erased bytes. A padded HEX file holds the
image and the trailer's set fields only, as imgtool writes it (the gap is
left to the erased flash).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from zephyr_ota.errors import UsageError
from zephyr_ota.fileio import atomic_writer
from zephyr_ota.image.request import SignRequest
from zephyr_ota.image.trailer import TrailerSpec

log = logging.getLogger(__name__)

CHUNK = 1 << 20


@dataclass(frozen=True)
class ImageParts:
    """The image as it is written: ``head`` (header area), ``body`` (the
    firmware, plaintext), ``enc_pad`` zero bytes, ``tail`` (TLV areas).
    With ``aes_key`` the body and pad are AES-CTR encrypted on the way out."""

    head: bytes
    body: memoryview
    enc_pad: int
    tail: bytes
    aes_key: bytes | None

    @property
    def size(self) -> int:
        return len(self.head) + len(self.body) + self.enc_pad + len(self.tail)

    def chunks(self) -> Iterator[bytes | memoryview]:
        yield self.head
        ctr = None
        if self.aes_key:
            from zephyr_ota.image.encrypt import AesCtrStream  # only encrypted images need it

            ctr = AesCtrStream(self.aes_key)
        body = self.body
        for start in range(0, len(body), CHUNK):
            piece = body[start:start + CHUNK]
            yield ctr.update(piece) if ctr else piece
        if self.enc_pad:
            yield ctr.update(bytes(self.enc_pad)) if ctr else bytes(self.enc_pad)
        yield self.tail


def _fill(count: int, value: int) -> Iterator[bytes]:
    block = bytes([value]) * min(count, CHUNK)
    while count > 0:
        n = min(count, CHUNK)
        yield block if n == len(block) else block[:n]
        count -= n


def warn_hex_addr(path: Path, request: SignRequest) -> None:
    if request.hex_addr is not None:
        log.warning("-x/--hex-addr %#x has no effect on binary output %s",
                    request.hex_addr, path)


def write_slot_rest(f: BinaryIO, request: SignRequest, spec: TrailerSpec,
                    image_size: int) -> None:
    """After an image of ``image_size`` bytes: erased bytes up to the trailer,
    then the trailer (``--pad``/``--confirm``/``--test`` binary output)."""
    for chunk in _fill(request.slot_size - spec.size - image_size, request.erased_val):
        f.write(chunk)
    f.write(spec.bytes_for(request.confirm, request.test, request.erased_val))


def write_image(path: Path, parts: ImageParts, request: SignRequest,
                spec: TrailerSpec | None, base: int | None) -> tuple[str, int | None]:
    """Write ``parts`` (padded to the slot when ``spec`` is given and the request
    pads); returns the format written and the hex base address."""
    pad = spec is not None and request.padded
    if path.suffix.lower() != ".hex":
        warn_hex_addr(path, request)
        with atomic_writer(path, durable=False) as f:
            for chunk in parts.chunks():
                f.write(chunk)
            if pad:
                assert spec is not None
                write_slot_rest(f, request, spec, parts.size)
        return "bin", None
    if request.hex_addr is not None:
        base = request.hex_addr
    if base is None:
        raise UsageError(f"{path}: HEX output needs an address: the input has none "
                         "and -x/--hex-addr was not given")
    regions: list[tuple[int, Iterable[bytes | memoryview]]] = [(base, parts.chunks())]
    if pad:
        assert spec is not None
        trailer_at = base + request.slot_size - spec.size
        regions += [(trailer_at + off, [data]) for off, data in
                    spec.pieces_for(request.confirm, request.test, request.erased_val)]
    with atomic_writer(path, durable=False) as f:
        write_hex_regions(f, regions)
    return "hex", base


def write_hex_regions(f: BinaryIO, regions: Iterable[tuple[int, Iterable[bytes | memoryview]]]) -> None:
    """Ascending runs of data into one Intel HEX file (the firmware helper's writer)."""
    from zephyr_ota.firmware.ihex import HexWriter

    writer = HexWriter(f)
    for address, chunks in regions:
        writer.write(address, chunks)
    writer.finish()
