#!/usr/bin/env python3
"""Benchmark ``zephyr-ota sign-build`` (= ``west sign-ota``) end to end against
the equivalent sequence of imgtool calls (issue 3, "Speed").

Input: a synthesized sysbuild build directory (tests/fixtures/builddirs.py)
for a board with 4 MiB of flash (4 KiB sectors, 4-byte writes, 1.5 MiB
slots, swap-using-move), a 1 MiB application, ECDSA P-256 signing and
ECIES-P256 encryption, so every output is made: the primary image (--clear
form) as .bin and .hex, the fully encrypted OTA image, merged.hex, the
signed manifest and dfu_application.zip.

Ours: one ``zephyr-ota sign-build -d BUILD`` process (start-up, build
reading, every check, every file). The imgtool sequence, each a process as
Zephyr's CMake runs them: ``imgtool sign --clear`` to .bin, the same to .hex,
``imgtool sign`` (encrypted) for the OTA image, merged.hex with intelhex (as
Zephyr's mergehex.py), and a manifest + zip step (SHA-256 of the files, JSON,
zip — what NCS's generate_zip.py does). imgtool's part gets the options
sign-ota works out by itself; its checks are not made (there are none).

Usage: python benchmarks/bench_sign_ota.py [--reps 5]
Reports the median wall time of each side, the ratio imgtool/ours and
whether imgtool verifies our primary image. Target: ratio >= 3, ours < 1 s.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MiB = 1 << 20

BENCH_DTS = """/dts-v1/;
/* Benchmark board: 4 MiB internal flash, 4 KiB sectors, 4-byte writes. */
/ {
	#address-cells = <1>;
	#size-cells = <1>;
	model = "zephyr-ota benchmark board";
	compatible = "zephyr-ota,bench";
	chosen {
		zephyr,flash = &flash0;
		zephyr,code-partition = &slot0_partition;
	};
	soc {
		#address-cells = <1>;
		#size-cells = <1>;
		compatible = "simple-bus";
		ranges;
		flash_controller: flash-controller@4001e000 {
			compatible = "nordic,nrf52-flash-controller";
			reg = <0x4001e000 0x1000>;
			#address-cells = <1>;
			#size-cells = <1>;
			flash0: flash@0 {
				compatible = "soc-nv-flash";
				erase-block-size = <4096>;
				write-block-size = <4>;
				reg = <0x0 0x400000>;
				partitions {
					compatible = "fixed-partitions";
					#address-cells = <1>;
					#size-cells = <1>;
					boot_partition: partition@0 {
						label = "mcuboot";
						reg = <0x0 0x10000>;
					};
					slot0_partition: partition@10000 {
						label = "image-0";
						reg = <0x10000 0x180000>;
					};
					slot1_partition: partition@190000 {
						label = "image-1";
						reg = <0x190000 0x180000>;
					};
				};
			};
		};
	};
};
"""

MERGE = """
import sys
from intelhex import IntelHex
out = IntelHex()
for name in sys.argv[2:]:
    part = IntelHex(name)
    out.merge(part, overlap="error")
out.write_hex_file(sys.argv[1])
"""

MANIFEST_ZIP = """
import hashlib, json, sys, zipfile, os
out, files = sys.argv[1], sys.argv[2:]
entries = []
for f in files:
    data = open(f, "rb").read()
    entries.append({"file": os.path.basename(f), "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest()})
manifest = json.dumps({"format-version": 1, "files": entries}, indent=4)
open(os.path.join(out, "ota-manifest.json"), "w").write(manifest)
with zipfile.ZipFile(os.path.join(out, "dfu_application.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    for f in files:
        z.write(f, os.path.basename(f))
    z.writestr("manifest.json", manifest)
"""


def make_build(root: Path) -> tuple[Path, object]:
    sys.path.insert(0, str(REPO / "tests"))
    from fixtures import builddirs as bd

    dts_dir = root / "dts"
    dts_dir.mkdir()
    (dts_dir / "bench4m.dts").write_text(BENCH_DTS)
    bd.DTS_DIR = dts_dir
    bd.CODE_ADDRESS["bench4m.dts"] = 0x10000
    base = bd.SPECS["nrf52840dk_ext_enc"]
    image = bd.ImageSpec("app", "bench4m.dts", base.board, code_size=1 * MiB)
    spec = dataclasses.replace(base, name="bench", mcuboot_dts="bench4m.dts", images=(image,),
                               max_sectors=None, ext_page_size=None)
    keys = bd.generate_keys(root / "keys", "ECDSA_P256")
    return bd.make_build_dir(root / "b", spec, keys), keys


def bytecode_env(root: Path) -> dict[str, str]:
    """Compiled bytecode as installed users have it: an installed wheel's
    modules are byte-compiled, but a checkout run with PYTHONDONTWRITEBYTECODE
    recompiles every module at each start. Both sides get a cache (in a
    temporary folder, so the checkout stays clean) and a warm-up run."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
    return env


def timed(cmds: list[list[str]], cwd: Path, env: dict[str, str] | None = None
          ) -> tuple[float, float]:
    """(wall, CPU) seconds of running ``cmds`` one after the other. CPU time
    (user + system of the children) is what a loaded machine does not inflate."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    for cmd in cmds:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
        if proc.returncode:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def imgtool_cmds(build: Path, keys: object, out: Path) -> list[list[str]]:
    zdir = build / "app" / "zephyr"
    common = [str(BIN / "imgtool"), "sign", "-k", str(keys.signing), "--header-size", "0x200",
              "--pad-header", "--slot-size", "0x180000", "--align", "4", "--max-sectors", "384",
              "--version", "1.2.3+4", "-E", str(keys.encryption_public)]
    fw = str(zdir / "zephyr.hex")
    return [
        [*common, "--clear", fw, str(out / "zephyr.signed.bin")],
        [*common, "--clear", fw, str(out / "zephyr.signed.hex")],
        [*common, fw, str(out / "zephyr.signed.encrypted.bin")],
        [sys.executable, "-c", MERGE, str(out / "merged.hex"),
         str(build / "mcuboot" / "zephyr" / "zephyr.hex"), str(out / "zephyr.signed.hex")],
        [sys.executable, "-c", MANIFEST_ZIP, str(out), str(out / "zephyr.signed.encrypted.bin")],
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sign-ota-") as tmp:
        root = Path(tmp)
        build, keys = make_build(root)
        env_cwd = root / "cwd"
        env_cwd.mkdir()
        ours_cmd = [[str(BIN / "zephyr-ota"), "-q", "sign-build", "-d", str(build)]]
        out = root / "imgtool-out"
        out.mkdir()
        theirs_cmds = imgtool_cmds(build, keys, out)
        env = bytecode_env(root)
        timed(ours_cmd, env_cwd, env)            # warm-up: writes the bytecode cache
        timed(theirs_cmds, env_cwd, env)
        ours, theirs = [], []
        for rep in range(args.reps):
            pair = [("ours", ours_cmd), ("theirs", theirs_cmds)]
            for who, cmds in (pair if rep % 2 == 0 else pair[::-1]):
                (ours if who == "ours" else theirs).append(timed(cmds, env_cwd, env))
        primary = build / "app" / "zephyr" / "zephyr.signed.bin"
        check = subprocess.run([str(BIN / "imgtool"), "verify", "-k", str(keys.signing),
                                str(primary)], capture_output=True, text=True)
        size = primary.stat().st_size
    o, t = statistics.median(w for w, _ in ours), statistics.median(w for w, _ in theirs)
    oc, tc = statistics.median(c for _, c in ours), statistics.median(c for _, c in theirs)
    print(f"1 MiB app ({size} byte image), ECDSA P-256 + ECIES-P256, {args.reps} reps, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs:")
    print("                                                  wall (median)   CPU (median)")
    print(f"  zephyr-ota sign-build (all outputs, all checks): {o * 1000:7.0f} ms  "
          f"{oc * 1000:9.0f} ms")
    print(f"  imgtool x3 + mergehex + manifest/zip:           {t * 1000:7.0f} ms  "
          f"{tc * 1000:9.0f} ms")
    print(f"  ratio imgtool/ours: {t / o:.1f}x wall, {tc / oc:.1f}x CPU;  target >= 3x and "
          f"ours < 1 s: {'met' if t / o >= 3 and o < 1 else 'NOT met'} (wall), "
          f"{'met' if tc / oc >= 3 and oc < 1 else 'NOT met'} (CPU)")
    print(f"  imgtool verify of our primary: "
          f"{'OK' if 'correctly validated' in check.stdout else 'FAILED'}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1790000000")
    sys.exit(main())
