"""All-or-nothing output: every file is made in a hidden staging folder
inside the output folder, checked there, and only then moved into place.

Entry point: ``Staging`` (a context manager). ``path(name)`` gives where a
producer (the image engine, the zip writer) writes ``name``;
``scratch_path(name)`` a working file that is never committed; ``put(name,
data)`` writes bytes; ``commit()`` renames every staged file over its
target with ``os.replace`` (atomic per file, same file system) and returns
the final paths. Leaving the ``with`` block without ``commit()`` — a failed
check, an exception, a dry run — removes the folder, so no output file is
left behind (the python-tuf ``_persist_metadata`` pattern, for a set of files).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from zephyr_ota.errors import InputError
from zephyr_ota.fileio import atomic_write


class Staging:
    """A staging folder for the files of one release."""

    def __init__(self, out_dir: Path, dry_run: bool = False) -> None:
        self.out_dir = out_dir
        self.dry_run = dry_run          # stage in the system's temp folder; never commit
        self._dir: Path | None = None
        self._names: list[str] = []
        self._made_out_dir = False

    def __enter__(self) -> Staging:
        if not self.dry_run and self.out_dir.exists() and not self.out_dir.is_dir():
            raise InputError(f"{self.out_dir}: cannot write: expected an output folder, "
                             "found a file")
        # a folder made here is removed again when the release fails (left empty)
        self._made_out_dir = not self.dry_run and not self.out_dir.exists()
        try:
            if not self.dry_run:
                self.out_dir.mkdir(parents=True, exist_ok=True)
            where = None if self.dry_run else self.out_dir
            self._dir = Path(tempfile.mkdtemp(prefix=".sign-ota-", dir=where))
        except OSError as e:
            raise InputError(f"{self.out_dir}: cannot write: {e.strerror}") from e
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        if kind is not None and self._made_out_dir:
            with contextlib.suppress(OSError):   # not empty: keep what is there
                self.out_dir.rmdir()

    @property
    def folder(self) -> Path:
        assert self._dir is not None, "Staging used outside its with-block"
        return self._dir

    def path(self, name: str) -> Path:
        """Where to make ``name``; it becomes ``out_dir/name`` on commit."""
        if name not in self._names:
            self._names.append(name)
        target = self.folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    @property
    def names(self) -> tuple[str, ...]:
        """The staged output names, in the order they were made."""
        return tuple(self._names)

    def scratch_path(self, name: str) -> Path:
        """A working file that is never committed (removed with the folder)."""
        return self.folder / name

    def put(self, name: str, data: bytes | bytearray | memoryview) -> Path:
        path = self.path(name)
        atomic_write(path, data)
        return path

    def read(self, name: str) -> bytes:
        return (self.folder / name).read_bytes()

    def digest(self, name: str) -> tuple[int, str]:
        """(size, SHA-256 hex) of a staged file."""
        h = hashlib.sha256()
        size = 0
        with open(self.folder / name, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
                size += len(chunk)
        return size, h.hexdigest()

    def commit(self) -> tuple[Path, ...]:
        """Move every staged file to the output folder; returns the final paths."""
        assert not self.dry_run, "a dry run never commits"
        final = []
        for name in self._names:
            target = self.out_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.folder / name, target)
            final.append(target)
        return tuple(final)
