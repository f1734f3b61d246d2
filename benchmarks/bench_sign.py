#!/usr/bin/env python3
"""Benchmark ``zephyr-ota sign`` against ``imgtool sign`` (issue 2, "Speed").

Both commands run as programs, as users run them, in one session on the same
inputs: for every repetition each case runs ours and imgtool's back to back,
in alternating order. Reported per case: median wall time, peak resident
memory (GNU ``time``'s ``%M``), the ratio imgtool/ours, and whether our
output verifies (``imgtool verify``; for encrypted images ``zephyr-ota verify
--decrypt-key``, as imgtool cannot check those). Also measured: the
interpreter's start-up (``python -c pass``) and ``import zephyr_ota.cli``.

Usage: python benchmarks/bench_sign.py [--reps 3] [--cases NAME,...] [--out FILE]
Inputs are random (seeded) and generated in a temporary folder; nothing is
committed. Needs imgtool 2.5.0 installed next to zephyr-ota (a test dependency).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

MiB = 1 << 20
HEADER = ["-H", "0x200", "--pad-header", "-v", "1.2.3"]


@dataclass(frozen=True)
class Case:
    """One benchmark: input file, output suffix, sign options (keys by role)."""

    name: str
    size: int                 # firmware bytes
    fmt: str                  # "bin" or "hex" (input and output)
    sign_key: str             # "ed25519" or "p256"
    encrypt: bool = False
    slot: int | None = None   # default: firmware + 1 MiB, rounded up to 1 MiB
    pad: bool = False

    def slot_size(self) -> int:
        return self.slot or (self.size // MiB + 2) * MiB


CASES = [
    Case("1 MiB bin, Ed25519", 1 * MiB, "bin", "ed25519"),
    Case("8 MiB bin, Ed25519", 8 * MiB, "bin", "ed25519"),
    Case("32 MiB bin, Ed25519", 32 * MiB, "bin", "ed25519"),
    Case("1 MiB bin, Ed25519 + X25519", 1 * MiB, "bin", "ed25519", encrypt=True),
    Case("8 MiB bin, Ed25519 + X25519", 8 * MiB, "bin", "ed25519", encrypt=True),
    Case("32 MiB bin, Ed25519 + X25519", 32 * MiB, "bin", "ed25519", encrypt=True),
    Case("1 MiB bin, ECDSA P-256", 1 * MiB, "bin", "p256"),
    Case("8 MiB bin, ECDSA P-256", 8 * MiB, "bin", "p256"),
    Case("32 MiB bin, ECDSA P-256", 32 * MiB, "bin", "p256"),
    Case("8 MiB Intel HEX in/out, Ed25519", 8 * MiB, "hex", "ed25519"),
    Case("8 MiB --pad --confirm into 32 MiB slot", 8 * MiB, "bin", "ed25519",
         slot=32 * MiB, pad=True),
]


@dataclass
class Run:
    seconds: float
    peak_mib: float


def tool(name: str, module: str) -> list[str]:
    """The console script next to this interpreter, else ``python -m module``."""
    script = Path(sys.executable).with_name(name)
    if script.exists():
        return [str(script)]
    found = shutil.which(name)
    return [found] if found else [sys.executable, "-m", module]


TIME = Path("/usr/bin/time")
# Children run with bytecode caching on (an installed package has its .pyc
# files; PYTHONDONTWRITEBYTECODE would make every run compile our sources),
# cached under a prefix in the work folder so the checkout stays clean.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def measure(argv: list[str]) -> Run:
    """Wall time and the child's peak RSS.

    Peak RSS comes from GNU time (``%M``, KiB) when installed: Linux carries
    the RSS high-water mark of a process across exec, so ``ru_maxrss`` of a
    child forked from this (large) benchmark process would include ours.
    Without GNU time it falls back to ``os.wait4`` and may overstate.
    """
    with tempfile.NamedTemporaryFile() as err, tempfile.NamedTemporaryFile() as rss:
        wrapped = [str(TIME), "-f", "%M", "-o", rss.name, *argv] if TIME.exists() else argv
        start = time.perf_counter()
        proc = subprocess.Popen(wrapped, stdout=subprocess.DEVNULL, stderr=err, env=CHILD_ENV)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            raise SystemExit(f"failed ({proc.returncode}): {' '.join(argv)}\n"
                             f"{Path(err.name).read_text(errors='replace')}")
        text = Path(rss.name).read_text().strip()
        peak_kib = int(text.splitlines()[-1]) if TIME.exists() else usage.ru_maxrss
    return Run(seconds, peak_kib / 1024)


def make_inputs(work: Path, sizes: set[tuple[int, str]], ours: list[str]) -> dict[str, Path]:
    """Keys (made with our keygen) and seeded random firmware files."""
    paths: dict[str, Path] = {}
    for role, key_type in (("ed25519", "ed25519"), ("p256", "ecdsa-p256"), ("x25519", "x25519")):
        path = work / f"{role}.pem"
        subprocess.run([*ours, "keygen", "-k", str(path), "-t", key_type, "--force"], check=True)
        paths[role] = path
    subprocess.run([*ours, "getpub", "-k", str(paths["x25519"]), "-e", "pem",
                    "-o", str(work / "x25519-pub.pem")], check=True)
    paths["x25519-pub"] = work / "x25519-pub.pem"
    rng = random.Random(2)
    for size, fmt in sorted(sizes):
        data = rng.randbytes(size)
        path = work / f"fw-{size // MiB}M.{fmt}"
        if fmt == "hex":
            from zephyr_ota.firmware.ihex import write_hex

            with open(path, "wb") as f:
                write_hex(f, 0x0800_0000, [data])
        else:
            path.write_bytes(data)
        paths[f"{size}.{fmt}"] = path
    return paths


def sign_args(case: Case, paths: dict[str, Path], out: Path) -> list[str]:
    args = ["sign", "-k", str(paths[case.sign_key]), *HEADER, "-S", hex(case.slot_size())]
    if case.encrypt:
        args += ["-E", str(paths["x25519-pub"])]
    if case.pad:
        args += ["--pad", "--confirm"]
    return [*args, str(paths[f"{case.size}.{case.fmt}"]), str(out)]


def verify(ours: list[str], imgtool: list[str], case: Case, paths: dict[str, Path],
           image: Path) -> str:
    """imgtool verifies our image; it cannot check an encrypted one (its hash
    covers the plaintext), so that one is checked by our verify, decrypting."""
    key = str(paths[case.sign_key])
    if case.encrypt:
        argv = [*ours, "verify", "-k", key, "--decrypt-key", str(paths["x25519"]), str(image)]
        label = "ours, decrypted"
    else:
        argv, label = [*imgtool, "verify", "-k", key, str(image)], "imgtool"
    result = subprocess.run(argv, capture_output=True, text=True)
    return f"{'yes' if result.returncode == 0 else 'NO'} ({label})"


def bench(cases: list[Case], reps: int, work: Path) -> list[str]:
    ours, imgtool = tool("zephyr-ota", "zephyr_ota"), tool("imgtool", "imgtool.main")
    CHILD_ENV["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    paths = make_inputs(work, {(c.size, c.fmt) for c in cases}, ours)
    warm = Case("warm-up", min(c.size for c in cases), cases[0].fmt, "ed25519")
    for command in (ours, imgtool):   # fills the bytecode cache; not timed
        measure([*command, *sign_args(warm, paths, work / f"warm.{warm.fmt}")])
    rows = []
    for case in cases:
        runs: dict[str, list[Run]] = {"ours": [], "imgtool": []}
        outs = {name: work / f"out-{name}.{case.fmt}" for name in runs}
        commands = {"ours": ours, "imgtool": imgtool}
        for rep in range(reps):
            order = ("ours", "imgtool") if rep % 2 == 0 else ("imgtool", "ours")
            for name in order:
                runs[name].append(measure([*commands[name], *sign_args(case, paths, outs[name])]))
        checked = verify(ours, imgtool, case, paths, outs["ours"])
        med = {n: statistics.median(r.seconds for r in runs[n]) for n in runs}
        peak = {n: max(r.peak_mib for r in runs[n]) for n in runs}
        rows.append(f"| {case.name} | {med['imgtool']:.2f} s | {med['ours']:.2f} s | "
                    f"{med['imgtool'] / med['ours']:.1f}x | {peak['imgtool']:.0f} MiB | "
                    f"{peak['ours']:.0f} MiB | {checked} |")
        print(rows[-1], flush=True)
        for out in outs.values():
            out.unlink(missing_ok=True)
    return rows


def startup(reps: int) -> list[str]:
    """Interpreter start, and the import of our CLI (``-X importtime``)."""
    measure([sys.executable, "-c", "import zephyr_ota.cli"])  # warm the bytecode cache
    bare = statistics.median(measure([sys.executable, "-c", "pass"]).seconds for _ in range(reps))
    cli = statistics.median(measure([sys.executable, "-c", "import zephyr_ota.cli"]).seconds
                            for _ in range(reps))
    trace = subprocess.run([sys.executable, "-X", "importtime", "-c", "import zephyr_ota.cli"],
                           capture_output=True, text=True, check=True, env=CHILD_ENV).stderr
    cumulative = [int(m.group(1)) for m in
                  re.finditer(r"\|\s+(\d+) \| (?:\s*)zephyr_ota\.cli$", trace, re.M)]
    heavy = sorted(m for m in ("cryptography", "elftools", "jinja2", "intelhex", "click")
                   if re.search(rf"\| +{m}$", trace, re.M))
    return [f"- `python -c pass`: {bare:.3f} s; `python -c 'import zephyr_ota.cli'`: {cli:.3f} s",
            f"- `-X importtime` cumulative for zephyr_ota.cli: "
            f"{(cumulative[0] / 1000 if cumulative else float('nan')):.1f} ms; "
            f"heavy modules imported: {', '.join(heavy) or 'none'}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=3, help="repetitions per case (median)")
    parser.add_argument("--cases", help="comma-separated substrings of case names to run")
    parser.add_argument("--workdir", type=Path, help="keep inputs here (default: a temp dir)")
    parser.add_argument("--out", type=Path, help="also write the markdown table here")
    args = parser.parse_args()
    cases = CASES
    if args.cases:
        wanted = [w.strip().lower() for w in args.cases.split(",")]
        cases = [c for c in CASES if any(w in c.name.lower() for w in wanted)]
    header = ["| case | imgtool | zephyr-ota | imgtool/ours | imgtool peak | zephyr-ota peak "
              "| our image verifies |", "|---|---|---|---|---|---|---|"]
    print("\n".join(header), flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-sign-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        rows = bench(cases, args.reps, work)
        notes = startup(max(args.reps, 5))
    print("\n".join(["", *notes]))
    if args.out:
        args.out.write_text("\n".join([*header, *rows, "", *notes]) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
