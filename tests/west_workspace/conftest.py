"""Fixtures: temporary west workspaces with this repository in them, for running the
real ``west`` program (no network: projects come from ``file://`` clones).

Entry points: ``west_exe()``, ``repo_copy(dst)``, ``project_workspace(tmp)``
(this repo is a project of a tmp manifest repository, fetched by
``west update`` from a local git repository) and ``manifest_workspace(tmp)``
(this repo is the manifest repository: ``west init -l`` on a copy holding
its ``west.yml``). Both return the workspace's top folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# What a clone of the repository holds that west needs (not the tests, caches,
# virtual environments or demo output a working tree may have).
_COPY = ("west.yml", "west-commands.yml", "pyproject.toml", "README.md", "scripts", "zephyr",
         "templates")
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")


def west_exe() -> str:
    """The ``west`` next to this Python (the venv's), else the one on PATH."""
    here = Path(sys.executable).parent / "west"
    return str(here) if here.exists() else (shutil.which("west") or "west")


def run(cmd: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ZEPHYR_BASE", "WEST_CONFIG_LOCAL")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    if check and proc.returncode:
        raise AssertionError(f"{' '.join(cmd)} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def _git_commit(path: Path) -> None:
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid",
           "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"]
    run([*git, "init", "-q"], path)
    run([*git, "add", "-A"], path)
    run([*git, "commit", "-q", "-m", "snapshot"], path)


def repo_copy(dst: Path) -> Path:
    """This repository's working tree (not its git history) as a fresh git repo."""
    dst.mkdir(parents=True)
    for name in _COPY:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=_IGNORE)
        elif src.is_file():
            shutil.copy2(src, dst / name)
    _git_commit(dst)
    return dst


def project_workspace(tmp: Path) -> Path:
    """A workspace whose manifest repository lists zephyr-ota as a project."""
    source = repo_copy(tmp / "upstream" / "zephyr-ota")
    top = tmp / "ws-project"
    manifest = top / "app"
    manifest.mkdir(parents=True)
    (manifest / "west.yml").write_text(
        "manifest:\n"
        "  projects:\n"
        "    - name: zephyr-ota\n"
        f"      url: {source.as_uri()}\n"
        "      revision: main\n"
        "      path: modules/zephyr-ota\n"
        "      west-commands: west-commands.yml\n"
        "  self:\n"
        "    path: app\n")
    _git_commit(manifest)
    run([west_exe(), "init", "-l", str(manifest)], top)
    run([west_exe(), "update"], top)
    return top


def manifest_workspace(tmp: Path) -> Path:
    """A workspace whose manifest repository is zephyr-ota itself (west init -l)."""
    top = tmp / "ws-manifest"
    top.mkdir()
    copy = repo_copy(top / "zephyr-ota")
    assert (copy / "west.yml").is_file(), "the repository ships a west.yml"
    run([west_exe(), "init", "-l", str(copy)], top)
    return top


# --- pytest fixtures (this folder has no __init__.py: a package named
# "west" on sys.path would shadow the real west for every test) ---
import pytest  # noqa: E402


@pytest.fixture(scope="module", params=["project", "manifest"])
def workspace(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A west workspace with zephyr-ota as a project, then as the manifest repository."""
    tmp = tmp_path_factory.mktemp(f"west-{request.param}")
    make = project_workspace if request.param == "project" else manifest_workspace
    return make(tmp)


@pytest.fixture
def west_run():  # type: ignore[no-untyped-def]
    """``west_run(args, cwd, check=True)``: run the real west program."""
    def go(args: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run([west_exe(), *args], cwd, check)
    return go
