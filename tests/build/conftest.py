"""Shared helpers for the sign-build tests: run the ``zephyr-ota`` CLI in
process, run the imgtool oracle, and make signed fixture builds.

The build directories come from ``fixtures/builddirs.py`` (the zephyr
reader's generator) through the ``make_zephyr_build`` fixture of
tests/conftest.py. SOURCE_DATE_EPOCH is fixed so manifests are reproducible.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

EPOCH = 1_790_000_000
IMGTOOL = str(Path(sys.executable).parent / "imgtool")


@dataclass
class Run:
    rc: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def _reproducible(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    monkeypatch.delenv("ZEPHYR_OTA_KEY_PASSWORD", raising=False)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)          # no ota.yml from the developer's folder


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """``cli("sign-build", "-d", ...)``: the zephyr-ota command, in process."""
    from zephyr_ota.cli import main

    def go(*args: object) -> Run:
        rc = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Run(rc, captured.out, captured.err)
    return go


@pytest.fixture
def imgtool_verify() -> Callable[[Path, Path], subprocess.CompletedProcess[str]]:
    """``imgtool_verify(image, key)``: the oracle, imgtool 2.5.0's own verify."""
    def go(path: Path, key: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([IMGTOOL, "verify", "-k", str(key), str(path)],
                              capture_output=True, text=True, timeout=60)
    return go


@pytest.fixture
def signed(make_zephyr_build, cli):  # type: ignore[no-untyped-def]
    """``signed(name, *extra_args, **spec_changes) -> (build, keys, run)``."""
    def go(name: str, *args: object, keys=None, **changes):  # type: ignore[no-untyped-def]
        build, keys = make_zephyr_build(name, keys=keys, **changes)
        run = cli("sign-build", "-d", build, *args)
        assert run.rc == 0, run.err
        return build, keys, run
    return go
