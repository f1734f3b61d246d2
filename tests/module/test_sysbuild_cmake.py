"""The module's sysbuild CMake, run without a Zephyr tree.

Two ways: ``cmake -P`` on tests/module/cmake/sysbuild_driver.cmake, which
includes zephyr/sysbuild/CMakeLists.txt with the variables sysbuild sets and
calls the POST_CMAKE hook as sysbuild_module_call() does, with the target
commands stubbed to record their arguments; and a real configure + build of
tests/module/cmake/fake_sysbuild with Ninja, where images are targets that
take a second, to prove the signing step runs after all of them.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CMAKE_DIR = Path(__file__).resolve().parent / "cmake"
IMAGES = ("sample-app", "mcuboot")

pytestmark = pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake not installed")


def run_driver(tmp_path: Path, *, check: bool = True, **defs: str) -> tuple[list, subprocess.CompletedProcess]:
    record = tmp_path / "record.txt"
    base = {
        "MODULE_DIR": str(REPO), "RECORD": str(record), "BUILD_DIR": str(tmp_path / "build"),
        "APP_DIR": str(REPO / "sample-app"), "PYTHON_EXECUTABLE": sys.executable,
        "IMAGES": ";".join(IMAGES), "SB_CONFIG_ZEPHYR_OTA_SIGN": "y",
        "SB_CONFIG_ZEPHYR_OTA_VERIFY": "y",
    }
    base.update(defs)
    args = ["cmake", *(f"-D{k}={v}" for k, v in base.items()), "-P",
            str(CMAKE_DIR / "sysbuild_driver.cmake")]
    proc = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path)
    if check:
        assert proc.returncode == 0, proc.stderr
    return parse_record(record), proc


def parse_record(path: Path) -> list[tuple[str, list[str]]]:
    calls: list[tuple[str, list[str]]] = []
    if not path.exists():
        return calls
    for line in path.read_text().splitlines():
        kind, _, value = line.partition(" ")
        if kind == "CALL":
            calls.append((value, []))
        else:
            calls[-1][1].append(value)
    return calls


def split_commands(args: list[str]) -> list[list[str]]:
    """The COMMAND lists of an add_custom_target call, up to the first keyword."""
    commands: list[list[str]] = []
    for arg in args:
        if arg == "COMMAND":
            commands.append([])
        elif arg in ("WORKING_DIRECTORY", "COMMENT", "USES_TERMINAL", "VERBATIM"):
            break
        elif commands:
            commands[-1].append(arg)
    return commands


def test_default_options(tmp_path: Path) -> None:
    calls, _ = run_driver(tmp_path)
    assert [name for name, _ in calls] == ["add_custom_target", "add_dependencies"]
    target = calls[0][1]
    assert target[:2] == ["zephyr_ota_sign", "ALL"]
    build = str(tmp_path / "build")
    assert split_commands(target) == [
        [sys.executable, "-m", "zephyr_ota", "sign-build", "-d", build],
        [sys.executable, "-m", "zephyr_ota", "verify-build", "-d", build],
    ]
    assert target[target.index("WORKING_DIRECTORY") + 1] == str(REPO / "sample-app")
    assert "VERBATIM" in target and "USES_TERMINAL" in target
    assert calls[1][1] == ["zephyr_ota_sign", *IMAGES]


def test_all_options(tmp_path: Path) -> None:
    calls, _ = run_driver(
        tmp_path, SB_CONFIG_ZEPHYR_OTA_RELEASE="y", SB_CONFIG_ZEPHYR_OTA_OUT_DIR="ota",
        SB_CONFIG_ZEPHYR_OTA_MANIFEST_KEY="keys/manifest.pem",
        SB_CONFIG_ZEPHYR_OTA_EXTRA_ARGS="--previous 'old release/ota-manifest.json' --confirm")
    build = tmp_path / "build"
    sign, verify = split_commands(calls[0][1])
    assert sign[3:] == [
        "sign-build", "-d", str(build), "--out-dir", str(build / "ota"), "--release",
        "--manifest-key", str(REPO / "sample-app" / "keys" / "manifest.pem"),
        "--previous", "old release/ota-manifest.json", "--confirm"]
    assert verify[3:] == ["verify-build", "-d", str(build),
                          "--manifest", str(build / "ota" / "ota-manifest.json")]


def test_absolute_out_dir_and_pkcs11_key_pass_unchanged(tmp_path: Path) -> None:
    uri = "pkcs11:token=release;object=manifest"
    calls, _ = run_driver(tmp_path, SB_CONFIG_ZEPHYR_OTA_OUT_DIR=str(tmp_path / "out"),
                          SB_CONFIG_ZEPHYR_OTA_MANIFEST_KEY=uri)
    sign = split_commands(calls[0][1])[0]
    assert sign[sign.index("--out-dir") + 1] == str(tmp_path / "out")
    # ';' travels as a generator expression; the real build below shows the
    # command receiving the URI intact.
    assert sign[sign.index("--manifest-key") + 1] == uri.replace(";", "$<SEMICOLON>")


def test_verify_off(tmp_path: Path) -> None:
    calls, _ = run_driver(tmp_path, SB_CONFIG_ZEPHYR_OTA_VERIFY="n")
    assert [c[3] for c in split_commands(calls[0][1])] == ["sign-build"]


def test_symbol_off_adds_nothing(tmp_path: Path) -> None:
    calls, proc = run_driver(tmp_path, SB_CONFIG_ZEPHYR_OTA_SIGN="n")
    assert calls == []
    assert proc.stderr == ""


def test_checkout_used_when_not_installed(tmp_path: Path) -> None:
    zephyr = tmp_path / "zephyr"
    (zephyr / "scripts/dts/python-devicetree/src").mkdir(parents=True)
    # First probe (import zephyr_ota) fails, second (checkout + deps) works.
    calls, proc = run_driver(tmp_path, PROBE_RESULTS="1;0", ZEPHYR_BASE=str(zephyr))
    probes = [args for name, args in calls if name == "execute_process"]
    assert probes[0] == [sys.executable, "-c", "import zephyr_ota"]
    pythonpath = f"PYTHONPATH={REPO}/scripts:{zephyr}/scripts/dts/python-devicetree/src"
    assert probes[1][:4] == ["cmake", "-E", "env", pythonpath] or probes[1][1:4] == ["-E", "env", pythonpath]
    assert probes[1][-1] == ("import zephyr_ota, cryptography, elftools, jinja2, pykwalify, "
                             "yaml, devicetree")
    target = next(args for name, args in calls if name == "add_custom_target")
    sign = split_commands(target)[0]
    assert sign[1:4] == ["-E", "env", pythonpath]
    assert sign[4:7] == [sys.executable, "-m", "zephyr_ota"]
    assert f"zephyr-ota: not installed in {sys.executable}; using the module at {REPO}" in proc.stdout


def test_not_runnable_is_a_configure_error(tmp_path: Path) -> None:
    calls, proc = run_driver(tmp_path, check=False, PROBE_RESULTS="1;1")
    assert proc.returncode != 0
    assert (f"zephyr-ota: SB_CONFIG_ZEPHYR_OTA_SIGN=y, but {sys.executable} cannot run "
            f"zephyr_ota from {REPO}/scripts: ModuleNotFoundError: No module named "
            f"'cryptography'") in " ".join(proc.stderr.split())
    assert f"Hint: {sys.executable} -m pip install {REPO}" in proc.stderr
    assert not any(name == "add_custom_target" for name, _ in calls)


def test_runtime_imports_match_pyproject() -> None:
    # The probe's import list names pyproject's runtime dependencies.
    tomllib = pytest.importorskip("tomllib")      # Python 3.11+

    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    import_names = {"west": None, "pyelftools": "elftools", "PyYAML": "yaml"}
    expected = set()
    for dep in deps:
        name = dep.split(">")[0].split("=")[0].split("<")[0].strip()
        mapped = import_names.get(name, name)
        if mapped:
            expected.add(mapped)
    text = (REPO / "zephyr/sysbuild/zephyr_ota.cmake").read_text()
    line = next(ln for ln in text.splitlines() if "set(runtime_imports" in ln)
    assert set(line.split("(", 1)[1].rstrip(")").split()[1:]) == expected


def fake_python(tmp_path: Path) -> tuple[Path, Path]:
    """An interpreter stand-in: '-c ...' succeeds, '-m zephyr_ota ...' logs what it sees."""
    log = tmp_path / "calls.jsonl"
    script = tmp_path / "python"
    script.write_text(f"""#!{sys.executable}
import json, os, sys
if sys.argv[1] == "-c":
    sys.exit(0)
build = sys.argv[sys.argv.index("-d") + 1]
built = {{i: os.path.exists(os.path.join(build, i, "zephyr", "zephyr.elf")) for i in {list(IMAGES)!r}}}
with open({str(log)!r}, "a") as f:
    f.write(json.dumps({{"argv": sys.argv[1:], "cwd": os.getcwd(), "built": built}}) + "\\n")
""")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, log


@pytest.mark.parametrize(("generator", "tool"), [("Ninja", "ninja"), ("Unix Makefiles", "make")])
def test_real_build_runs_after_every_image(tmp_path: Path, generator: str, tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} not installed")
    python, log = fake_python(tmp_path)
    build = tmp_path / "build"
    configure = ["cmake", "-G", generator, "-S", str(CMAKE_DIR / "fake_sysbuild"), "-B", str(build),
                 f"-DMODULE_DIR={REPO}", f"-DAPP_DIR={REPO / 'sample-app'}",
                 f"-DPYTHON_EXECUTABLE={python}", f"-DIMAGES={';'.join(IMAGES)}",
                 "-DSB_CONFIG_ZEPHYR_OTA_SIGN=y", "-DSB_CONFIG_ZEPHYR_OTA_VERIFY=y",
                 "-DSB_CONFIG_ZEPHYR_OTA_EXTRA_ARGS=--previous 'a b.json'",
                 "-DSB_CONFIG_ZEPHYR_OTA_MANIFEST_KEY=pkcs11:token=rel;object=manifest"]
    env = {**os.environ, "CMAKE_BUILD_PARALLEL_LEVEL": "8"}
    subprocess.run(configure, check=True, capture_output=True, env=env)
    subprocess.run(["cmake", "--build", str(build), "--parallel", "8"], check=True,
                   capture_output=True, env=env)
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert [c["argv"][2] for c in calls] == ["sign-build", "verify-build"]
    # The URI's ';' survives CMake's list splitting and the generator's quoting.
    assert calls[0]["argv"] == ["-m", "zephyr_ota", "sign-build", "-d", str(build),
                                "--manifest-key", "pkcs11:token=rel;object=manifest",
                                "--previous", "a b.json"]
    assert all(all(c["built"].values()) for c in calls), calls
    assert all(c["cwd"] == str(REPO / "sample-app") for c in calls)


def demo_build_dir(tmp_path: Path) -> Path:
    """A build directory laid out as sysbuild leaves it, by the demo's assembler."""
    sys.path.insert(0, str(REPO / "sample-app" / "demo"))
    from builddir import DemoBuild, LayoutFiles, assemble

    firmware = pytest.importorskip("zephyr_4_4_0_hci_usb_nrf52840dk_default")
    layout, keys, build = tmp_path / "layout", tmp_path / "keys", tmp_path / "build"
    for args in (["layout", str(REPO / "sample-app/demo/nrf52840dk_nrf52840.dts"), "--mode",
                  "swap-using-offset", "--signature", "ecdsa-p256", "--encrypt", "aes128",
                  "-o", str(layout)],
                 ["keys", "init", "--keys-dir", str(keys), "-t", "ecdsa-p256", "--encrypt",
                  "--project", "t", "--force"]):
        subprocess.run([sys.executable, "-m", "zephyr_ota", *args], check=True, capture_output=True)
    return assemble(DemoBuild(
        out=build, board_dts=REPO / "sample-app/demo/nrf52840dk_nrf52840.dts",
        layout=LayoutFiles(
            app_overlay=layout / "boards/nrf52840dk_nrf52840.overlay",
            mcuboot_overlay=next((layout / "sysbuild").rglob("*.overlay")),
            app_fragment=layout / "ota-layout.conf",
            mcuboot_fragment=layout / "sysbuild/mcuboot.conf",
            sysbuild_fragment=layout / "sysbuild.conf"),
        keys_dir=keys, firmware_hex=Path(firmware.HEX_PATH), app_source=REPO / "sample-app",
        version="1.0.0+0"))


def build_with_hook(build: Path, *defs: str) -> subprocess.CompletedProcess:
    configure = ["cmake", "-G", "Ninja", "-S", str(CMAKE_DIR / "fake_sysbuild"), "-B", str(build),
                 f"-DMODULE_DIR={REPO}", f"-DAPP_DIR={REPO / 'sample-app'}",
                 f"-DPYTHON_EXECUTABLE={sys.executable}", f"-DIMAGES={';'.join(IMAGES)}",
                 "-DIMAGE_OUTPUT=.built", "-DSB_CONFIG_ZEPHYR_OTA_SIGN=y",
                 "-DSB_CONFIG_ZEPHYR_OTA_VERIFY=y", *defs]
    subprocess.run(configure, check=True, capture_output=True)
    return subprocess.run(["cmake", "--build", str(build)], capture_output=True, text=True)


OUTPUTS = ("zephyr.signed.bin", "zephyr.signed.encrypted.bin", "merged.hex",
           "ota-manifest.json", "ota-manifest.json.sig", "dfu_application.zip")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("ninja") is None, reason="ninja not installed")
def test_real_build_signs_with_zephyr_ota(tmp_path: Path) -> None:
    """The hook with the real interpreter and package: `cmake --build` writes
    and verifies what `west sign-ota` writes, where it writes it."""
    build = demo_build_dir(tmp_path)
    proc = build_with_hook(build)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for name in OUTPUTS:
        assert (build / "sample-app" / "zephyr" / name).is_file(), name
    # sample-app/ota.yml was found: the step runs in the application directory.
    assert "sample-app/ota.yml" in proc.stdout + proc.stderr
    # verify-build ran after sign-build and passed.
    assert "\nOK\n" in proc.stdout + proc.stderr


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("ninja") is None, reason="ninja not installed")
def test_real_build_with_out_dir(tmp_path: Path) -> None:
    """SB_CONFIG_ZEPHYR_OTA_OUT_DIR: the files go there and verify-build finds
    them with --manifest, trusting the build's keys (-d)."""
    build = demo_build_dir(tmp_path)
    proc = build_with_hook(build, "-DSB_CONFIG_ZEPHYR_OTA_OUT_DIR=ota")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for name in OUTPUTS:
        assert (build / "ota" / name).is_file(), name


def test_sysbuild_without_module_hooks_is_a_configure_error(tmp_path: Path) -> None:
    calls, proc = run_driver(tmp_path, check=False, NO_MODULE_HOOKS="1")
    assert proc.returncode != 0
    assert ("zephyr-ota: SB_CONFIG_ZEPHYR_OTA_SIGN=y, but this Zephyr's sysbuild has no module "
            "hooks (sysbuild_module_call)") in " ".join(proc.stderr.split())
    assert "Hint: use a newer Zephyr, or sign after the build with west sign-ota" in proc.stderr
    assert calls == []
