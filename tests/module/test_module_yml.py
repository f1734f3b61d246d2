"""zephyr/module.yml against the facts of Zephyr's scripts/zephyr_module.py.

The schema below restates the keys zephyr_module.py's METADATA_SCHEMA
defines for what this module uses (name, build.sysbuild-cmake,
build.sysbuild-kconfig, samples); the path rules are the ones its
process_sysbuildcmake / process_sysbuildkconfig / process_cmake /
process_kconfig apply.
"""

from __future__ import annotations

import re
from pathlib import Path

import pykwalify.core
import yaml

REPO = Path(__file__).resolve().parents[2]
MODULE_YML = REPO / "zephyr" / "module.yml"

# Subset of zephyr_module.py METADATA_SCHEMA (Zephyr main, 2025): the keys
# this module sets, with their types.
SCHEMA = {
    "type": "map",
    "mapping": {
        "name": {"type": "str"},
        "build": {
            "type": "map",
            "mapping": {
                "sysbuild-cmake": {"type": "str"},
                "sysbuild-kconfig": {"type": "str"},
            },
        },
        "samples": {"type": "seq", "sequence": [{"type": "str"}]},
    },
}


def load() -> dict:
    return yaml.safe_load(MODULE_YML.read_text())


def test_module_yml_matches_zephyr_schema() -> None:
    pykwalify.core.Core(source_data=load(), schema_data=SCHEMA).validate(raise_exception=True)


def test_sysbuild_cmake_is_a_folder_with_cmakelists() -> None:
    # process_sysbuildcmake: validate_setting(setting, module, 'CMakeLists.txt')
    folder = REPO / load()["build"]["sysbuild-cmake"]
    assert (folder / "CMakeLists.txt").is_file()


def test_sysbuild_kconfig_is_a_file() -> None:
    # process_sysbuildkconfig: validate_setting(setting, module) -> a file
    assert (REPO / load()["build"]["sysbuild-kconfig"]).is_file()


def test_module_adds_nothing_to_image_builds() -> None:
    # process_cmake / process_kconfig default to zephyr/CMakeLists.txt and
    # zephyr/Kconfig when build.cmake / build.kconfig are absent: those files
    # would be added to every image, so they must not exist.
    meta = load()
    assert "cmake" not in meta["build"] and "kconfig" not in meta["build"]
    assert not (REPO / "zephyr" / "CMakeLists.txt").exists()
    assert not (REPO / "zephyr" / "Kconfig").exists()


def test_samples_exist() -> None:
    for sample in load()["samples"]:
        assert (REPO / sample / "CMakeLists.txt").is_file()


def test_hook_name_follows_module_name() -> None:
    # sysbuild_module_call() calls <module name>_POST_CMAKE; the CMake file
    # defines ${SYSBUILD_CURRENT_MODULE_NAME}_post_cmake and falls back to the
    # module.yml name.
    name = load()["name"]
    text = (REPO / "zephyr" / "sysbuild" / "CMakeLists.txt").read_text()
    assert "function(${SYSBUILD_CURRENT_MODULE_NAME}_post_cmake)" in text
    assert f"set(SYSBUILD_CURRENT_MODULE_NAME {name})" in text
    # zephyr_module.py: name-sanitized -> SYSBUILD_<NAME>_CMAKE_DIR
    assert re.sub("[^a-zA-Z0-9]", "_", name).upper() == "ZEPHYR_OTA"
