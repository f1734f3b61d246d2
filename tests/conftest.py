"""Shared test setup.

Test modules are imported with pytest's importlib mode (same basenames may
live in several folders), so this folder is put on ``sys.path`` here: test
code imports shared helpers as ``from helpers.elf_builder import ...`` and
``from fixtures.builddirs import ...``.
"""

from __future__ import annotations

import sys
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

# Helpers below append their shared fixtures (keep additions small and
# grouped under a comment naming their area).


# --- zephyr (build-directory reader): synthesized Zephyr build directories ---
import pytest  # noqa: E402


@pytest.fixture
def make_zephyr_build(tmp_path):  # type: ignore[no-untyped-def]
    """Factory: ``make_zephyr_build("nrf52840dk_move", keys=None, **spec_changes)``
    writes a sysbuild build directory under tmp_path and returns
    ``(build_path, keys)``; keys are generated for the spec's signature type
    unless given (see fixtures/builddirs.py for the specs)."""
    import dataclasses

    from fixtures.builddirs import SPECS, generate_keys, make_build_dir

    def make(name: str, keys=None, version: str = "1.2.3+4", **changes):  # type: ignore[no-untyped-def]
        spec = dataclasses.replace(SPECS[name], **changes) if changes else SPECS[name]
        root = tmp_path / spec.name
        keys = keys or generate_keys(root / "keys", spec.sig_type)
        return make_build_dir(root, spec, keys, version), keys

    return make
