#!/usr/bin/env bash
# The zephyr-ota demo, one command on a fresh machine (Python 3.10+, no
# Zephyr workspace): installs zephyr-ota and the Zephyr 4.4.0 hci_usb firmware
# for nrf52840dk (both from PyPI / this checkout) into a new virtual
# environment, then runs the whole pipeline on the bundled sample inputs
# (sample-app/demo/run_demo.py): layout, keys, build directory, sign and
# encrypt, manifest, verification, key audit.
#
# usage: sample-app/demo.sh [OUT_DIR]        (default: demo-out/ at the repository top)
# environment:
#   ZEPHYR_OTA_DEMO_PYTHON  use this interpreter as it is (zephyr-ota and the
#                           firmware package already installed): no venv, no pip
#   ZEPHYR_OTA_DEMO_VENV    where to create the virtual environment
#                           (default: OUT_DIR/.venv)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
out="${1:-$repo/demo-out}"
firmware_pkg="zephyr-4-4-0-hci-usb-nrf52840dk-default==0.1.5"

if [ -n "${ZEPHYR_OTA_DEMO_PYTHON:-}" ]; then
  python="$ZEPHYR_OTA_DEMO_PYTHON"
else
  venv="${ZEPHYR_OTA_DEMO_VENV:-$out/.venv}"
  echo "== installing zephyr-ota from $repo into $venv"
  mkdir -p "$out"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "$repo" "$firmware_pkg"
  python="$venv/bin/python"
fi

exec "$python" "$here/demo/run_demo.py" --out "$out"
