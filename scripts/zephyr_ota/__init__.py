"""zephyr-ota: secure MCUboot over-the-air images for Zephyr.

Pure core (no west, no argparse, no printing): ``firmware``, ``image``,
``keys``, ``layout``, ``manifest``, ``zephyr``, ``config``.
Orchestration: ``ops``. Adapters: ``cli`` (the ``zephyr-ota`` command) and
``west`` (the west extension commands).
"""

__version__ = "0.1.0"
