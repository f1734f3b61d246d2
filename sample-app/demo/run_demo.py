"""The zephyr-ota demo: the whole pipeline on the bundled sample inputs.

Run by sample-app/demo.sh (which installs the package first); needs no Zephyr
workspace. Each step prints the zephyr-ota command it runs, as a user would
type it:

1. layout  -- plan the sample's MCUboot partitions (swap-using-offset) from
   the nrf52840dk devicetree: overlays, Kconfig fragments, report, SVG map;
2. keys    -- fresh ECDSA P-256 signing and encryption keys;
3. build   -- a sysbuild build directory assembled from the board devicetree
   with the layout applied, the keys, and the real Zephyr 4.4.0 hci_usb
   firmware for nrf52840dk from PyPI (demo/builddir.py says what is real and
   what stands in);
4. sign    -- zephyr-ota sign-build: checked, signed primary image, encrypted
   OTA image, merged.hex, signed manifest, DFU zip;
5. verify  -- zephyr-ota verify-build, decrypting with the device key;
6. audit   -- zephyr-ota keys check of the build, in development mode;
then a summary of where everything is.

Usage: run_demo.py --out DIR [--firmware HEX]. Exit status 0 when every step
passed, else the failing step's status.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent
BOARD_DTS = HERE / "nrf52840dk_nrf52840.dts"
MODE = "swap-using-offset"
FIRMWARE_PACKAGE = "zephyr_4_4_0_hci_usb_nrf52840dk_default"
MARKER = ".zephyr-ota-demo"   # marks a folder the demo made, so a rerun may replace its parts

sys.path.insert(0, str(HERE))
from builddir import DemoBuild, LayoutFiles, assemble  # noqa: E402


class StepFailed(Exception):
    def __init__(self, step: str, status: int) -> None:
        super().__init__(f"step '{step}' failed with exit status {status}")
        self.status = status


def show(path: Path, out: Path) -> str:
    """A path for humans: relative to the output folder's parent when inside it."""
    try:
        return str(path.relative_to(out.parent))
    except ValueError:
        return str(path)


def run(step: str, args: list[str], capture: bool = False) -> str:
    """Run ``zephyr-ota ARGS`` with this interpreter; print it first."""
    print(f"\n== {step}\n$ zephyr-ota {' '.join(shlex.quote(a) for a in args)}", flush=True)
    proc = subprocess.run([sys.executable, "-m", "zephyr_ota", *args], text=True,
                          stdout=subprocess.PIPE if capture else None)
    if proc.returncode != 0:
        raise StepFailed(step, proc.returncode)
    return proc.stdout or ""


def firmware_hex(given: str | None) -> Path:
    """The PyPI firmware's hex, checked against its recorded SHA-256."""
    if given:
        return Path(given)
    import importlib

    package = importlib.import_module(FIRMWARE_PACKAGE)
    package.read_firmware_bytes()          # raises on a SHA-256 mismatch
    return Path(package.HEX_PATH)


def prepare(out: Path) -> None:
    """An empty demo folder, or one a previous demo run made (its parts are replaced)."""
    # demo.sh may have put the virtual environment (.venv) there already.
    foreign = [p for p in out.iterdir() if p.name != ".venv"] if out.exists() else []
    if foreign and not (out / MARKER).exists():
        sys.exit(f"demo: {out} exists and was not made by the demo; give another --out")
    for part in ("layout", "keys", "build"):
        shutil.rmtree(out / part, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("made by sample-app/demo/run_demo.py\n")


def step_layout(out: Path) -> tuple[LayoutFiles, dict]:
    layout = out / "layout"
    text = run("1/6 layout: MCUboot partitions for nrf52840dk from its devicetree",
               ["layout", str(BOARD_DTS), "--mode", MODE, "--signature", "ecdsa-p256",
                "--encrypt", "aes128", "--out-dir", str(layout), "--json"], capture=True)
    summary = json.loads(text)
    files = [Path(f) if Path(f).is_absolute() else Path.cwd() / f for f in summary["files"]]

    def one(what: str, test: Callable[[str], bool]) -> Path:
        found = [f for f in files if test(f.relative_to(layout).as_posix())]
        if len(found) != 1:
            raise StepFailed(f"layout: expected one {what} among {summary['files']}", 1)
        return found[0]

    overlays = LayoutFiles(
        app_overlay=one("application overlay", lambda p: p.startswith("boards/")),
        mcuboot_overlay=one("MCUboot overlay",
                            lambda p: p.startswith("sysbuild/") and p.endswith(".overlay")),
        app_fragment=one("application fragment", lambda p: p == "ota-layout.conf"),
        mcuboot_fragment=one("MCUboot fragment", lambda p: p == "sysbuild/mcuboot.conf"),
        sysbuild_fragment=one("sysbuild fragment", lambda p: p == "sysbuild.conf"))
    return overlays, summary


def step_keys(out: Path) -> Path:
    keys = out / "keys"
    # --force: the demo folder may sit inside a git work tree (demo-out/ is
    # git-ignored); these are throwaway demo keys.
    run("2/6 keys: fresh signing and encryption keys",
        ["keys", "init", "--keys-dir", str(keys), "--type", "ecdsa-p256", "--encrypt",
         "--project", "zephyr-ota-sample", "--force"])
    return keys


def step_build(out: Path, layout: LayoutFiles, keys: Path, firmware: Path) -> Path:
    version = version_of(SAMPLE / "VERSION")
    print("\n== 3/6 build: a sysbuild build directory from the bundled inputs "
          "(in a Zephyr workspace: west build --sysbuild)", flush=True)
    build = assemble(DemoBuild(
        out=out / "build", board_dts=BOARD_DTS, layout=layout, keys_dir=keys,
        firmware_hex=firmware, app_source=SAMPLE, version=version))
    print(f"   application: {firmware.name} from {FIRMWARE_PACKAGE} (Zephyr 4.4.0 hci_usb, "
          f"linked at 0x0 without MCUboot; placed in the primary slot as payload)")
    print("   MCUboot:     a placeholder image (no MCUboot binary is bundled)")
    print(f"   -> {show(build, out)}")
    return build


def version_of(path: Path) -> str:
    """MAJOR.MINOR.PATCHLEVEL+TWEAK from Zephyr's VERSION file."""
    fields = {}
    for line in path.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep:
            fields[name.strip()] = value.strip() or "0"
    return "{}.{}.{}+{}".format(*(fields.get(k, "0") for k in (
        "VERSION_MAJOR", "VERSION_MINOR", "PATCHLEVEL", "VERSION_TWEAK")))


def step_sign(build: Path) -> dict:
    text = run("4/6 sign: check the build, sign, encrypt, merge, write the signed manifest",
               ["sign-build", "-d", str(build), "--config", str(SAMPLE / "ota.yml"), "--json"],
               capture=True)
    return json.loads(text)


def step_verify(build: Path, keys: Path) -> None:
    run("5/6 verify: the manifest signature, then every file, as a device would",
        ["verify-build", "-d", str(build), "--decrypt-key", str(keys / "encryption.pem")])


def step_audit(build: Path, keys: Path) -> None:
    run("6/6 audit: keys against the build (development mode; --release makes warnings errors)",
        ["keys", "check", "-d", str(build), "--keys-dir", str(keys)])


def summary(out: Path, layout: tuple[LayoutFiles, dict], build: Path, signed: dict) -> None:
    files, plan = layout
    written = [Path(f) for f in plan["files"]]
    svg = next((f for f in written if f.suffix == ".svg"), None)
    report = next((f for f in written if f.suffix == ".txt"), None)
    zephyr = Path(signed.get("out_dir") or build / "sample-app" / "zephyr")
    rows = [("flash map (SVG)", svg), ("layout report", report),
            ("app overlay", files.app_overlay), ("MCUboot overlay", files.mcuboot_overlay)]
    rows += [(what, zephyr / name) for what, name in OUTPUTS]
    print("\n== done: every step passed\n")
    for what, path in rows:
        if path is not None:
            path = path if path.is_absolute() else Path.cwd() / path
            if path.exists():
                print(f"   {what:<22} {show(path, out)}  ({path.stat().st_size} bytes)")
    for budget in plan.get("budgets", []):
        print(f"\n   layout: {plan['mode']}, slot {budget['slot_size']:#x}, largest image "
              f"{budget['max_image_size']} bytes")
    for image in signed.get("images", []):
        size = image.get("budget", {}).get("image_size")
        print(f"   image {image['image_index']} ({image['name']}): version {image['version']}, "
              f"{size} bytes signed{', encrypted for OTA' if image.get('encrypted') else ''}; "
              f"MCUmgr hash {image.get('image_hash', '?')[:16]}...")
    print(f"\n   keys (throwaway, demo only): {show(out / 'keys', out)}")
    print("   Next, on a board: sample-app/README.md (flash merged.hex, send "
          "zephyr.signed.encrypted.bin with mcumgr).")


OUTPUTS = (
    ("primary slot image", "zephyr.signed.hex"),
    ("  same, binary", "zephyr.signed.bin"),
    ("encrypted OTA image", "zephyr.signed.encrypted.bin"),
    ("factory image", "merged.hex"),
    ("signed manifest", "ota-manifest.json"),
    ("manifest signature", "ota-manifest.json.sig"),
    ("DFU package", "dfu_application.zip"),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--firmware", help="application hex (default: the PyPI firmware)")
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    prepare(out)
    try:
        layout = step_layout(out)
        keys = step_keys(out)
        build = step_build(out, layout[0], keys, firmware_hex(args.firmware))
        signed = step_sign(build)
        step_verify(build, keys)
        step_audit(build, keys)
    except StepFailed as e:
        print(f"\ndemo: {e}", file=sys.stderr)
        return e.status
    summary(out, layout, build, signed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
