"""West extension shim: west imports this file by path (see west-commands.yml).

West appends this folder to ``sys.path`` and loads the file under a generated
module name, so only absolute imports work here. An installed ``zephyr_ota``
wins over the checkout next to this file; at debug level we say which copy
was loaded.
"""

import importlib.util
import logging
import os
import sys

if importlib.util.find_spec("zephyr_ota") is None:  # not installed: use the checkout
    sys.path.append(os.path.dirname(os.path.abspath(__file__)))

import zephyr_ota  # noqa: E402
from zephyr_ota.west_ext.commands import OtaKeys, OtaLayout, OtaVerify, SignOta  # noqa: E402

logging.getLogger("zephyr_ota").debug("zephyr-ota %s loaded from %s",
                                      zephyr_ota.__version__, os.path.dirname(zephyr_ota.__file__))

__all__ = ["OtaKeys", "OtaLayout", "OtaVerify", "SignOta"]
