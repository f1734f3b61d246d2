"""Layout tests call ``zephyr_ota.cli.main`` in process; main() points the
"zephyr_ota" logger at the test's stderr and stops its propagation. Restore it
after every test so later tests' caplog still sees the core's records."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _restore_zephyr_ota_logger() -> Iterator[None]:
    logger = logging.getLogger("zephyr_ota")
    saved = (logger.handlers[:], logger.propagate, logger.level)
    yield
    logger.handlers[:], logger.propagate = saved[0], saved[1]
    logger.setLevel(saved[2])
