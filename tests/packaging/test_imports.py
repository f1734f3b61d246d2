"""What each entry point imports: every west command and every ``zephyr-ota``
run pays for it, so the heavy libraries load only in the handlers that use
them (STYLE.md, "Streams and speed").

Each check runs in a fresh interpreter and looks at ``sys.modules`` — a
functional assertion, not a timing one.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Libraries no parser, --help or west-extension load needs.
HEAVY = ("cryptography", "elftools", "jinja2", "yaml", "pykwalify", "devicetree",
         "intelhex", "hypothesis", "ruamel", "jsonschema", "tuf", "pkcs11", "rfc8785")


def _loaded_after(code: str, cwd: Path = REPO) -> set[str]:
    """Top-level names of the modules loaded once ``code`` has run."""
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=cwd, capture_output=True,
                         text=True, check=True).stdout
    return set(json.loads(out.splitlines()[-1]))


def _heavy(loaded: set[str], allowed: tuple[str, ...] = ()) -> list[str]:
    return sorted(m for m in loaded if m in HEAVY and m not in allowed)


def test_cli_import_and_parser_load_no_heavy_library() -> None:
    loaded = _loaded_after("import zephyr_ota.cli\nzephyr_ota.cli.build_parser()")
    assert _heavy(loaded) == []
    assert "west" not in loaded


@pytest.mark.parametrize("command", [[], ["sign"], ["layout"], ["keys", "init"], ["sign-build"]])
def test_help_loads_no_heavy_library(command: list[str]) -> None:
    argv = [*command, "--help"]
    loaded = _loaded_after("import contextlib, io, zephyr_ota.cli\n"
                           "with contextlib.redirect_stdout(io.StringIO()), "
                           "contextlib.suppress(SystemExit):\n"
                           f"    zephyr_ota.cli.main({argv!r})")
    assert _heavy(loaded) == []


def test_west_shim_loads_only_west_and_the_adapters() -> None:
    # As west's _ExtFactory does: import the file by path under a made-up name.
    shim = REPO / "scripts" / "west_ota.py"
    loaded = _loaded_after(
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('west_ext_probe', {str(shim)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "for name in module.__all__: getattr(module, name)")
    west_own = _loaded_after("import west.commands")   # west itself loads yaml, pykwalify
    assert "west" in loaded
    assert _heavy(loaded - west_own) == []


def test_ed25519_sign_loads_only_what_it_uses(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = tmp_path / "ed25519.pem"
    key.write_bytes(ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (tmp_path / "fw.bin").write_bytes(bytes(range(256)) * 16)
    argv = ["-q", "sign", "-k", str(key), "-H", "0x200", "--pad-header", "-v", "1.2.3",
            "-S", "0x20000", "fw.bin", "signed.bin"]
    loaded = _loaded_after(f"import zephyr_ota.cli\nassert zephyr_ota.cli.main({argv!r}) == 0",
                           cwd=tmp_path)
    assert (tmp_path / "signed.bin").is_file()
    assert _heavy(loaded, allowed=("cryptography",)) == []
    assert "west" not in loaded


def test_layout_check_loads_only_the_devicetree_reader(tmp_path: Path) -> None:
    dts = REPO / "tests" / "data" / "dts" / "nrf52840dk.dts"
    argv = ["-q", "layout", "--check", str(dts), "--mode", "swap-using-offset"]
    loaded = _loaded_after(f"import zephyr_ota.cli\nassert zephyr_ota.cli.main({argv!r}) == 0",
                           cwd=tmp_path)
    assert _heavy(loaded, allowed=("devicetree",)) == []   # no yaml without --geometry
    assert "west" not in loaded
