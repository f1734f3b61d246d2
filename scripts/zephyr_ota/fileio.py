"""File output that never leaves a half-written file.

Entry points: ``atomic_write`` (bytes), ``atomic_writer`` (a context manager
yielding a binary file object for streamed output), ``write_private`` (mode
0600 from the first byte). A temporary file is created in the destination's
folder and renamed over the target with ``os.replace`` only once everything
was written and flushed; on any error it is removed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from zephyr_ota.errors import InputError


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str], mode: int = 0o644,
                  durable: bool = True) -> Iterator[BinaryIO]:
    """Yield a binary file; on clean exit it replaces ``path`` atomically.

    ``durable=False`` skips the fsync before the rename: for large outputs
    that can be made again (signed images), where fsync costs more than the
    whole signing on a busy disk; the rename stays atomic.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise InputError(f"{target}: cannot write: expected a file name, found a directory")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as e:
        blocker = next((p for p in (folder, *folder.parents) if p.exists()), folder)
        raise InputError(f"{target}: cannot write: {blocker} is a file, expected a folder") from e
    except OSError as e:
        raise InputError(f"{target}: cannot write: {e.strerror}") from e
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as e:
        raise InputError(f"{target}: cannot write: {e.strerror}") from e
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            if durable:
                os.fsync(f.fileno())
        try:
            os.replace(tmp, target)
        except OSError as e:  # the target became a folder, or the rename is refused
            raise InputError(f"{target}: cannot write: {e.strerror}") from e
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write(path: str | os.PathLike[str], data: bytes | bytearray | memoryview,
                 mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` atomically with permission ``mode``."""
    with atomic_writer(path, mode) as f:
        f.write(data)


def write_private(path: str | os.PathLike[str], data: bytes) -> None:
    """Write private key material: mode 0600 from creation, atomically."""
    atomic_write(path, data, mode=0o600)


def read_input(path: str | os.PathLike[str], what: str = "file") -> bytes:
    """Read a whole input file, turning OS errors into one-line ``InputError``s."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError as e:
        raise InputError(f"{path}: {what} not found") from e
    except IsADirectoryError as e:
        article = "an" if what[:1] in ("a", "e", "i", "o", "u") else "a"
        raise InputError(f"{path}: expected {article} {what}, found a directory") from e
    except OSError as e:
        raise InputError(f"{path}: cannot read {what}: {e.strerror}") from e
