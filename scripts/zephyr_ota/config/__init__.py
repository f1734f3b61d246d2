"""Project configuration: ``ota.yml`` validated against the pykwalify schema
shipped here (``ota-schema.yml``).

Entry points: ``load_ota_config(path, check_files=True) -> OtaConfig``,
``find_ota_config(*dirs) -> Path | None`` and the ``OtaConfig`` dataclasses
(``config.model``). Errors are ``InputError``s naming file, line and key.
"""

from zephyr_ota.config.loader import CONFIG_NAMES, find_ota_config, load_ota_config, schema
from zephyr_ota.config.model import (
    MCUBOOT_MODES,
    KeysConfig,
    ManifestConfig,
    McubootConfig,
    OtaConfig,
    OutputsConfig,
    VersionConfig,
    is_key_uri,
)

__all__ = [
    "CONFIG_NAMES", "MCUBOOT_MODES", "KeysConfig", "ManifestConfig", "McubootConfig",
    "OtaConfig", "OutputsConfig", "VersionConfig", "find_ota_config", "is_key_uri",
    "load_ota_config", "schema",
]
