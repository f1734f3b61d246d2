"""The golden release: regenerating it gives byte-identical files (fixed
SOURCE_DATE_EPOCH, seeded keys, deterministic Ed25519 and RFC 6979 ECDSA)."""

from __future__ import annotations

from pathlib import Path

import pytest

from manifest.generate_golden import GOLDEN_DIR, NAMES, generate


@pytest.mark.parametrize("name", NAMES)
def test_golden_file_is_reproduced(tmp_path: Path, name: str) -> None:
    produced = generate(tmp_path)
    assert produced[name] == (GOLDEN_DIR / name).read_bytes(), (
        f"{name} changed; if intended, run python tests/manifest/generate_golden.py")


def test_two_runs_are_identical(tmp_path: Path) -> None:
    assert generate(tmp_path / "one") == generate(tmp_path / "two")
