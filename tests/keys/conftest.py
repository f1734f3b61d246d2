"""Keep the "zephyr_ota" logger as it was around each test.

These tests call ``zephyr_ota.cli.main`` in process; it points the logger at
the test's stderr and stops its propagation, which would hide later tests'
records from ``caplog``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _restore_core_logger() -> Iterator[None]:
    logger = logging.getLogger("zephyr_ota")
    saved = (logger.handlers[:], logger.propagate, logger.level)
    yield
    logger.handlers[:], logger.propagate = saved[0], saved[1]
    logger.setLevel(saved[2])
