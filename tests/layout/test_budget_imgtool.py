"""The budget against the oracle: imgtool 2.5.0 ``sign --pad``.

For every mode an image of exactly ``max_image_size`` signs with the flags the
mode implies, and our check refuses one byte more. imgtool's own limit (its
trailer estimate) is never smaller than ours, so imgtool accepts everything we
accept; where MCUboot is stricter (move/offset spare and trailer sectors,
scratch padding, AES-256 key fields, overwrite-only's swap_info field) the
difference is ours to enforce.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from zephyr_ota.errors import SlotOverflowError
from zephyr_ota.layout.budget import (
    Budget,
    BudgetRequest,
    compute_budget,
    imgtool_overwrite_only,
)
from zephyr_ota.layout.model import UpgradeMode as M

IMGTOOL = shutil.which("imgtool")
HASH_TLVS = 4 + 4 + 32        # TLV info + SHA256 TLV: what an unsigned imgtool image carries
HEADER = 0x200

pytestmark = pytest.mark.skipif(IMGTOOL is None, reason="imgtool not installed")

CASES = [
    (mode, slot, sector, write)
    for mode in M
    for (slot, sector, write) in ((0x76000, 0x1000, 4), (0x76000, 0x1000, 16), (0xC0000, 0x20000, 32))
]


def imgtool_args(req: BudgetRequest, budget: Budget) -> list[str]:
    args = ["-H", hex(HEADER), "--pad-header", "--align", str(req.effective_write_block),
            "--max-sectors", str(budget.max_img_sectors), "-S", hex(req.secondary_size or req.primary_size),
            "--pad", "-v", "1.0.0"]
    if budget.boot_max_align != 8:
        args += ["--max-align", str(budget.boot_max_align)]
    if imgtool_overwrite_only(req.mode):
        args.append("--overwrite-only")
    return args


def imgtool_sign(tmp_path: Path, image_size: int, args: list[str]) -> subprocess.CompletedProcess[str]:
    code = tmp_path / "code.bin"
    code.write_bytes(bytes(range(256)) * ((image_size - HEADER - HASH_TLVS) // 256)
                     + b"\x5a" * ((image_size - HEADER - HASH_TLVS) % 256))
    out = tmp_path / "signed.bin"
    assert IMGTOOL is not None
    return subprocess.run([IMGTOOL, "sign", *args, str(code), str(out)],
                          capture_output=True, text=True, check=False)


@pytest.mark.parametrize(("mode", "slot", "sector", "write"), CASES,
                         ids=[f"{c[0].value}-{c[2] // 1024}K-w{c[3]}" for c in CASES])
def test_imgtool_accepts_our_max(tmp_path: Path, mode: M, slot: int, sector: int, write: int) -> None:
    req = BudgetRequest.uniform(mode, slot, sector, write_block=write, header_size=HEADER)
    budget = compute_budget(req)
    args = imgtool_args(req, budget)
    done = imgtool_sign(tmp_path, budget.max_image_size, args)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "signed.bin").stat().st_size == (req.secondary_size or req.primary_size)
    budget.require_fits(budget.max_image_size)
    with pytest.raises(SlotOverflowError):
        budget.require_fits(budget.max_image_size + 1)
    # imgtool's own limit is what we say it is: exactly that signs, one more byte fails
    assert budget.imgtool_max_image_size >= budget.max_image_size
    assert imgtool_sign(tmp_path, budget.imgtool_max_image_size, args).returncode == 0
    failed = imgtool_sign(tmp_path, budget.imgtool_max_image_size + 1, args)
    assert failed.returncode != 0 and "exceeds requested size" in failed.stderr


def test_zephyr_ota_sign_agrees(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same agreement for ``zephyr-ota sign`` (the image engine's command): our max
    signs (and gives imgtool's bytes), imgtool's limit + 1 fails and leaves no file."""
    pytest.importorskip("zephyr_ota.cli.image_cmds")
    from zephyr_ota.cli import main

    for mode in (M.SWAP_USING_MOVE, M.SWAP_USING_OFFSET, M.SWAP_USING_SCRATCH, M.OVERWRITE_ONLY):
        req = BudgetRequest.uniform(mode, 0x76000, 0x1000, write_block=4, header_size=HEADER)
        budget = compute_budget(req)
        args = imgtool_args(req, budget)
        assert imgtool_sign(tmp_path, budget.max_image_size, args).returncode == 0
        ours = tmp_path / "z.bin"
        assert main(["sign", *args, str(tmp_path / "code.bin"), str(ours)]) == 0
        assert ours.read_bytes() == (tmp_path / "signed.bin").read_bytes()
        ours.unlink()
        imgtool_sign(tmp_path, budget.imgtool_max_image_size + 1, args)
        assert main(["sign", *args, str(tmp_path / "code.bin"), str(ours)]) != 0
        assert not ours.exists()
        capsys.readouterr()
