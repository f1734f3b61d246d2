"""Reading a Zephyr build: what sign-ota and ota-layout stand on. Pure core:
no west, no printing; errors are ``InputError`` naming file and line.

Modules and entry points:
- ``kconfig``: ``load_config(path) -> KconfigFile`` (``.config`` with line provenance).
- ``devicetree`` (the only dtlib importer): ``load_devicetree(path, geometry, kconfig)
  -> DevicetreeInfo`` (``layout``: flashes + partitions in all three styles,
  ``flash_sources``, ``findings``), ``image_pairs(layout)``, ``slot_labels(n)``.
- ``geometry_yaml``: ``load_geometry_yaml(path) -> GeometryFile`` (pykwalify schema).
- ``flashgeom``: how each flash number is found (YAML, devicetree, tables, Kconfig).
- ``configs``: typed ``McubootConfig``/``SysbuildConfig``/``AppOptions`` with ``Val``
  (value + ``Source``) and ``KeyRef`` key lists.
- ``domains``: ``domains.yaml``, ``CMakeCache.txt``, ``build_info.yml``.
- ``builddir``: ``read_build_dir(path="build", geometry=None) -> BuildDir``.
"""
