"""Regenerate the golden release files in ``data/golden/``:

    python tests/manifest/generate_golden.py

Fixed inputs: SOURCE_DATE_EPOCH-style time ``GOLDEN_EPOCH``, image files
synthesized from seeds, an Ed25519 manifest key derived from a seed (Ed25519
signatures are deterministic, so the signature file is golden too), and an
ECDSA P-256 key signing deterministically (RFC 6979). ``test_golden.py``
regenerates into a temporary folder and compares byte for byte.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from manifest.release_fixture import GOLDEN_EPOCH, ed25519_key, make_manifest, p256_key  # noqa: E402
from zephyr_ota.manifest.dfu_zip import DfuZipRequest, dfu_manifest  # noqa: E402
from zephyr_ota.manifest.io import WriteRequest, write_release  # noqa: E402

GOLDEN_DIR = HERE / "data" / "golden"
NAMES = ("ota-manifest.json", "ota-manifest.json.sig", "dfu-manifest.json")


def generate(work: Path) -> dict[str, bytes]:
    """The golden files' contents, built in ``work``."""
    manifest = make_manifest(work / "release")
    written = write_release(WriteRequest(manifest, work / "release", (ed25519_key(), p256_key())))
    dfu = dfu_manifest(DfuZipRequest(manifest, work / "release", work / "dfu.zip", GOLDEN_EPOCH))
    return {
        "ota-manifest.json": written.manifest_path.read_bytes(),
        "ota-manifest.json.sig": written.signature_path.read_bytes(),
        "dfu-manifest.json": json.dumps(dfu, indent=4).encode(),
    }


def main() -> None:
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in generate(Path(tmp)).items():
            (GOLDEN_DIR / name).write_bytes(data)
            print(f"wrote {GOLDEN_DIR / name} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
