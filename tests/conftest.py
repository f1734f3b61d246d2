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
