"""``python -m zephyr_ota``: the same as the ``zephyr-ota`` command."""

import sys

from zephyr_ota.cli import main

sys.exit(main())
