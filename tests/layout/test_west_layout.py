"""The real ``west`` runs ``west ota-layout`` with the same options and exit codes."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from tests.layout.golden import DTS

conftest = importlib.import_module("tests.west_workspace.conftest")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return conftest.project_workspace(tmp_path_factory.mktemp("west-layout"))  # type: ignore[no-any-return]


def west(args: list[str], cwd: Path, check: bool = True):  # type: ignore[no-untyped-def]
    return conftest.run([conftest.west_exe(), *args], cwd, check)


def test_help(workspace: Path) -> None:
    proc = west(["ota-layout", "--help"], workspace)
    assert "exit status:" in proc.stdout and "--from-pm" in proc.stdout


def test_plan_and_check(workspace: Path, tmp_path: Path) -> None:
    proc = west(["ota-layout", str(DTS / "nrf52840dk.dts"), "--mode", "swap-using-move",
                 "-o", str(tmp_path)], workspace)
    assert "max image size 475136 bytes" in proc.stdout
    assert (tmp_path / "boards" / "nrf52840dk.overlay").is_file()
    bad = west(["ota-layout", str(DTS / "nrf52840dk.dts"), "--mode", "swap-using-scratch",
                "--check"], workspace, check=False)
    assert bad.returncode == 1
    assert "swap-using-scratch needs scratch_partition" in bad.stdout
    usage = west(["ota-layout", "--check"], workspace, check=False)
    assert usage.returncode == 2
    assert "give a devicetree file (DTS) or a build directory (-d)" in usage.stderr + usage.stdout
