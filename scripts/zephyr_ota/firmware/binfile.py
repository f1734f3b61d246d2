"""Raw binary firmware: the file's bytes, one segment at 0, no base address.

Entry points: ``read_bin(path) -> Firmware`` (the bytes in memory) and
``open_bin(path) -> BinFile`` (the file, read on demand: signing streams a
large binary through a small buffer instead of holding it, which on a VM
saves more time than the hash costs).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from zephyr_ota.errors import InputError
from zephyr_ota.fileio import read_input
from zephyr_ota.firmware.model import Firmware, Segment

_CHUNK = 1 << 20  # streaming buffer: fits the CPU caches better than the whole file


def read_bin(path: str | os.PathLike[str]) -> Firmware:
    """Read a raw binary; an empty file is an ``InputError``."""
    data = read_input(path, "firmware file")
    if not data:
        raise InputError(f"{path}: empty firmware file: expected at least one byte")
    return Firmware(str(path), "bin", (Segment(0, data),), base_address=None)


def _stamp(st: os.stat_result) -> tuple[int, ...]:
    """What changes when a file is rewritten, replaced or resized."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


@dataclass(frozen=True)
class BinFile:
    """A raw binary read on demand. ``size`` and ``stamp`` are the file's when
    opened; every read checks the file still has them, so a firmware rebuilt
    while it is signed is an ``InputError``, never a mixed image."""

    path: str
    size: int                 # the file's size
    stamp: tuple[int, ...]
    start: int = 0            # this view's first byte (``from_offset``)
    kind: str = "bin"
    base_address: None = None

    def __len__(self) -> int:
        return self.size - self.start

    def from_offset(self, offset: int) -> BinFile:
        """The bytes from ``offset`` of the file on (the body after a header area)."""
        return BinFile(self.path, self.size, self.stamp, min(offset, self.size))

    def _open(self) -> int:
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except OSError as e:
            raise InputError(f"{self.path}: cannot read firmware file: {e.strerror}") from e
        if _stamp(os.fstat(fd)) != self.stamp:
            os.close(fd)
            raise self._changed()
        return fd

    def _changed(self) -> InputError:
        return InputError(f"{self.path}: the firmware file changed while it was being signed",
                          hint="sign it again once it is written")

    def chunks(self) -> Iterator[memoryview]:
        """The bytes in order, as views of two buffers used in turn: a chunk
        stays valid while the next one is read (so a thread may hash it
        meanwhile) and is overwritten by the one after."""
        start = self.start
        fd = self._open()
        try:
            with open(fd, "rb", buffering=0, closefd=False) as f:
                f.seek(start)
                size = min(_CHUNK, max(self.size - start, 1))
                buffers = (memoryview(bytearray(size)), memoryview(bytearray(size)))
                left, turn = self.size - start, 0
                while left > 0:
                    buf = buffers[turn]
                    got = f.readinto(buf[:min(left, size)])
                    if not got:
                        raise self._changed()
                    left, turn = left - got, 1 - turn
                    yield buf[:got]
                if _stamp(os.fstat(fd)) != self.stamp:
                    raise self._changed()
        finally:
            os.close(fd)

    def copy_to(self, out_fd: int, offset: int) -> bool:
        """Copy the bytes into file ``out_fd`` at ``offset`` inside the kernel
        (``os.copy_file_range``: no pass through Python). False, with nothing
        copied, where the platform or the file systems cannot."""
        if not hasattr(os, "copy_file_range"):
            return False
        fd = self._open()
        try:
            done, left = 0, len(self)
            while left > 0:
                try:
                    got = os.copy_file_range(fd, out_fd, left, self.start + done, offset + done)
                except OSError as e:
                    if done:
                        raise InputError(f"{self.path}: cannot copy the firmware: "
                                         f"{e.strerror}") from e
                    return False  # EXDEV, ENOSYS, EINVAL...: the caller streams instead
                if not got:
                    raise self._changed()
                done, left = done + got, left - got
            if _stamp(os.fstat(fd)) != self.stamp:
                raise self._changed()
        finally:
            os.close(fd)
        return True

    def read(self, count: int | None = None) -> bytes:
        """The first ``count`` bytes (all by default) as one ``bytes``."""
        want = len(self) if count is None else min(count, len(self))
        parts = []
        fd = self._open()
        try:
            os.lseek(fd, self.start, os.SEEK_SET)
            while want > 0:
                part = os.read(fd, want)
                if not part:
                    raise self._changed()
                parts.append(part)
                want -= len(part)
            if count is None and _stamp(os.fstat(fd)) != self.stamp:
                raise self._changed()
        finally:
            os.close(fd)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def to_bytes(self, erased_val: int = 0xFF) -> bytes:
        """The whole firmware in memory (a raw binary has no gaps to fill)."""
        return self.read()


def open_bin(path: str | os.PathLike[str]) -> BinFile:
    """A raw binary to stream; missing, unreadable and empty files are the
    same ``InputError``s as ``read_bin`` raises."""
    if os.path.isdir(path):
        raise InputError(f"{path}: expected a firmware file, found a directory")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except FileNotFoundError as e:
        raise InputError(f"{path}: firmware file not found") from e
    except OSError as e:
        raise InputError(f"{path}: cannot read firmware file: {e.strerror}") from e
    try:
        st = os.fstat(fd)
    finally:
        os.close(fd)
    if not st.st_size:
        raise InputError(f"{path}: empty firmware file: expected at least one byte")
    return BinFile(str(path), st.st_size, _stamp(st))
