"""A non-editable install works outside the checkout.

The sdist is built from the checkout with hatchling's PEP 517 hook, the wheel
from that sdist (as pip does for a user who gets the sdist), and the wheel is
installed with ``--no-deps`` into a fresh venv whose only link to the test
interpreter is a ``.pth`` line naming its site-packages, for the
dependencies. A ``.pth`` line only adds a folder: the ``.pth`` files inside
it (the editable install's pointer to ``scripts/``) are not read, so the
fresh venv sees the installed copy of ``zephyr_ota`` only. Every command then
runs from a folder outside the checkout, which proves that templates/ (force-
included as ``zephyr_ota/templates``), the schemas and the JSON data reach
the wheel.

No network: hatchling comes from the test dependency group and the builds use
``--no-build-isolation``. About 5 s, so not marked slow.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "scripts" / "zephyr_ota"
GOLDEN_CASE = REPO / "tests" / "layout" / "golden" / "stm32f4-scratch"

@dataclass(frozen=True)
class Installed:
    """The built artifacts and the venv holding the installed wheel."""

    sdist: Path
    wheel: Path
    venv: Path
    work: Path              # a folder outside the checkout, the commands' cwd

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env["PYTHONNOUSERSITE"] = "1"
        env["XDG_CONFIG_HOME"] = str(self.work / "xdg")
        env["HOME"] = str(self.work / "home")
        return env

    def run(self, *argv: str | Path, code: int = 0) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([str(a) for a in argv], cwd=self.work, env=self.env(),
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == code, (argv, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        return result


def _require_hatchling() -> None:
    try:
        import hatchling  # noqa: F401
    except ModuleNotFoundError:
        if os.environ.get("CI") == "true":  # CI installs the test group: never skip there
            raise
        pytest.skip("hatchling (test dependency group) is not installed")


def _dependency_dirs() -> list[str]:
    return [p for p in sys.path if p.endswith(("site-packages", "dist-packages"))
            and Path(p).is_dir()]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    _require_hatchling()
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    dist.mkdir()
    # The sdist, as `python -m build --sdist` would make it (same backend hook).
    subprocess.run([sys.executable, "-c", "import sys; from hatchling.build import build_sdist; "
                    "build_sdist(sys.argv[1])", str(dist)], cwd=REPO, check=True)
    sdist = next(dist.glob("zephyr_ota-*.tar.gz"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                    "-w", str(dist), str(sdist)], cwd=root, check=True)
    wheel = next(dist.glob("zephyr_ota-*-py3-none-any.whl"))
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run([*pip, "--python", str(venv / "bin" / "python"), "install", "--no-deps",
                    "--no-index", str(wheel)], cwd=root, check=True)
    site = subprocess.run([str(venv / "bin" / "python"), "-c",
                           "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "zz_test_dependencies.pth").write_text("\n".join(_dependency_dirs()) + "\n")
    work = root / "work"
    work.mkdir()
    return Installed(sdist, wheel, venv, work)


def _package_files() -> set[str]:
    """Every file of the package and templates/ as the wheel should name it."""
    names = {f"zephyr_ota/{p.relative_to(PACKAGE).as_posix()}" for p in PACKAGE.rglob("*")
             if p.is_file() and "__pycache__" not in p.parts}
    names |= {f"zephyr_ota/templates/{p.relative_to(REPO / 'templates').as_posix()}"
              for p in (REPO / "templates").rglob("*") if p.is_file()}
    return names


def test_wheel_holds_the_package_data_and_templates(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    missing = sorted(_package_files() - names)
    assert not missing, f"not in the wheel: {missing}"
    for data in ("zephyr_ota/py.typed", "zephyr_ota/manifest/schema.json",
                 "zephyr_ota/config/ota-schema.yml", "zephyr_ota/zephyr/geometry-schema.yml",
                 "zephyr_ota/keys/mcuboot_dev_keys.json", "zephyr_ota/templates/overlay.dts.j2"):
        assert data in names
    assert not [n for n in names if n.endswith(".pyc") or "/tests/" in n]
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "zephyr-ota = zephyr_ota.cli:main" in zipfile.ZipFile(installed.wheel).read(
        entry_points).decode()


def test_installed_copy_is_the_one_imported(installed: Installed) -> None:
    out = installed.run(installed.bin / "python", "-c",
                        "import zephyr_ota, zephyr_ota.render as r; "
                        "print(zephyr_ota.__file__); print(r.template_dir())").stdout.split()
    package = Path(out[0]).parent
    assert package.is_relative_to(installed.venv), out
    assert Path(out[1]) == package / "templates"


def test_help_and_version(installed: Installed) -> None:
    from zephyr_ota import __version__

    out = installed.run("zephyr-ota", "--help").stdout
    for command in ("sign", "verify", "info", "keygen", "keys", "sign-build", "layout"):
        assert f"\n    {command} " in out or f"\n    {command}\n" in out, command
    assert installed.run("zephyr-ota", "--version").stdout == f"zephyr-ota {__version__}\n"


def test_layout_renders_the_golden_files(installed: Installed) -> None:
    # Same relative paths as the golden case, so the report's provenance lines match.
    data = installed.work / "tests" / "data" / "dts"
    data.mkdir(parents=True)
    for name in ("stm32f4_disco.dts", "stm32f4-geometry.yml"):
        shutil.copy(REPO / "tests" / "data" / "dts" / name, data / name)
    out = installed.work / "layout-out"
    installed.run("zephyr-ota", "-q", "layout", "tests/data/dts/stm32f4_disco.dts",
                  "--board", "board", "-o", out, "--mode", "swap-using-scratch",
                  "--geometry", "tests/data/dts/stm32f4-geometry.yml")
    golden = sorted(p.relative_to(GOLDEN_CASE) for p in GOLDEN_CASE.rglob("*") if p.is_file())
    assert sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file()) == golden
    for rel in golden:
        assert (out / rel).read_text() == (GOLDEN_CASE / rel).read_text(), rel


def test_keys_init_show_check(installed: Installed) -> None:
    keys = installed.work / "keys"
    (installed.work / "ota.yml").write_text(  # read through the shipped ota-schema.yml
        f"project: wheel\nkeys:\n  dir: {keys}\nmcuboot:\n  signature_type: ed25519\n")
    installed.run("zephyr-ota", "keys", "init", "--encrypt")
    assert (keys / "signing.pem").stat().st_mode & 0o777 == 0o600
    fragment = (keys / "sysbuild-keys.conf").read_text()  # from templates/keys/
    assert "SB_CONFIG_BOOT_SIGNATURE_TYPE_ED25519=y" in fragment
    installed.run("zephyr-ota", "keys", "show")
    installed.run("zephyr-ota", "keys", "check")          # audits against mcuboot_dev_keys.json


def test_published_key_is_recognised(installed: Installed) -> None:
    dev_key = installed.work / "root-ed25519.pem"
    shutil.copy(REPO / "tests" / "data" / "mcuboot-dev-keys" / "root-ed25519.pem", dev_key)
    dev_key.chmod(0o600)
    result = installed.run("zephyr-ota", "keys", "check", "--key", dev_key, "--release", code=1)
    assert "MCUboot's published" in result.stderr


def test_manifest_schema_is_shipped(installed: Installed) -> None:
    out = installed.run(installed.bin / "python", "-c",
                        "import json; from zephyr_ota.manifest.io import schema; "
                        "print(json.dumps(schema()))").stdout
    assert json.loads(out) == json.loads((PACKAGE / "manifest" / "schema.json").read_text())
