"""West extension commands: thin WestCommand adapters over zephyr_ota.ops."""
