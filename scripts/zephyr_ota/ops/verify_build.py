"""``verify_build``: check a release the way a device-side agent would
(``west ota-verify`` / ``zephyr-ota verify-build``).

Entry point: ``verify_build(VerifyBuildRequest) -> VerifyBuildResult``;
``ImageKeyChecker`` is the image-level ``manifest.verify.ImageChecker``.

Order (``manifest.verify.verify_release``): the manifest's detached
signature over its raw bytes, before anything in it is parsed; then per
file size and SHA-256; then the MCUboot image: the signing key (from the
KEYHASH TLV, among the keys MCUboot trusts), the signature, and the image
hash recomputed over the plaintext — decrypted with the device key when
the file is encrypted — compared with the manifest's ``image_hash``; then
``--previous``. Any failure raises ``VerificationError`` (or ``PolicyError``
for a rollback) naming the file and what differs.

Keys, when not given: the manifest is expected to be signed by ota.yml's
``manifest.key`` or the build's image signing key (what ``sign-ota`` uses by
default); images by the keys MCUboot's configuration trusts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zephyr_ota.errors import UsageError
from zephyr_ota.ops.requests import VerifyBuildRequest
from zephyr_ota.ops.results import FileCheck, VerifyBuildResult

log = logging.getLogger(__name__)


@dataclass
class ImageKeyChecker:
    """Checks one image file with the trusted image keys and the device key."""

    keys: tuple[Any, ...]                # keys.PublicKey
    decrypt_key: Any = None              # cryptography private key
    checks: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def _key_for(self, img: Any) -> Any:
        import hashlib

        keyhash = next((t.value for t in img.tlvs if t.kind == 0x01), None)   # KEYHASH
        for key in self.keys:
            raw = key.public_bytes()
            if keyhash is None or any(hashlib.new(a, raw).digest() == keyhash
                                      for a in ("sha256", "sha384", "sha512")):
                return key
        return None

    def check_image(self, entry: Any, path: Path) -> Any:
        from zephyr_ota.image.parse import read_image
        from zephyr_ota.image.verify import verify_image
        from zephyr_ota.manifest.verify import ImageFindings

        img = read_image(path)
        key = self._key_for(img)
        if self.keys and key is None:
            return ImageFindings(None, (f"signed by a key none of the {len(self.keys)} "
                                        "trusted image keys is",))
        result = verify_image(img, key, self.decrypt_key)
        if not result and result.failed == "hash" and img.encrypted and self.decrypt_key is None:
            # verify_image checked the key and the signature over the stored hash
            # before it gave up on the hash: only the plaintext needs the device key.
            signed = ("image signature over the stored hash" if key is not None
                      else "image signature not checked (no image key)")
            self.checks[entry.file] = ("size", "sha256", signed, "encrypted: hash over the "
                                       "plaintext not checked (give --decrypt-key)")
            return ImageFindings(_stored_hash(img))
        if not result:
            return ImageFindings(None, (result.message.removeprefix(f"{path}: "),))
        done = ["size", "sha256", f"{result.hash_alg.value if result.hash_alg else ''} "
                "image hash".strip()]
        done.append("image signature" if result.signed else "image signature not checked "
                    "(no image key)")
        if result.decrypted:
            done.append("decrypted with the device key")
        self.checks[entry.file] = tuple(done)
        return ImageFindings(result.digest)


def _build_keys(build_dir: Path) -> tuple[Path, list[Any], list[Any]]:
    """(manifest path, manifest keys, image keys) a build directory implies."""
    from zephyr_ota.keys import load_public_key
    from zephyr_ota.manifest.io import MANIFEST_NAME
    from zephyr_ota.ops.requests import SignBuildRequest
    from zephyr_ota.ops.resolve import (
        manifest_key_of,
        out_dir_of,
        signing_key_of,
        trusted_key_files,
    )
    from zephyr_ota.ops.sign_build import load_project_config
    from zephyr_ota.zephyr.builddir import read_build_dir

    build = read_build_dir(build_dir)
    req = SignBuildRequest(build_dir=build_dir)
    config = load_project_config(req, build)
    image_keys = [load_public_key(p) for p, _ in trusted_key_files(req, build) if p.is_file()]
    mkey = manifest_key_of(req, config) or signing_key_of(req, build, config)
    manifest_keys = [load_public_key(mkey.value)] if Path(mkey.value).is_file() else []
    return out_dir_of(req, build, config) / MANIFEST_NAME, manifest_keys, image_keys


def _stored_hash(img: Any) -> bytes | None:
    """The image's hash TLV (what the manifest's image_hash must equal)."""
    from zephyr_ota.image.constants import TlvType

    for kind in (TlvType.SHA256, TlvType.SHA384, TlvType.SHA512):
        found = img.find(kind)
        if found is not None:
            return bytes(found.value)
    return None


def _decrypt_key(path: Path | None) -> Any:
    if path is None:
        return None
    from zephyr_ota.keys import load_private_key

    key = load_private_key(path)
    return getattr(key, "crypto_key", key)


def verify_build(req: VerifyBuildRequest) -> VerifyBuildResult:
    """Verify the manifest and every file it lists; raises on the first failure."""
    from zephyr_ota.keys import load_public_key
    from zephyr_ota.manifest.io import read_manifest
    from zephyr_ota.manifest.verify import VerifyRequest, verify_release

    manifest_path = req.manifest
    manifest_keys: list[Any] = []
    image_keys: list[Any] = []
    if req.build_dir is not None:
        default_path, manifest_keys, image_keys = _build_keys(req.build_dir)
        manifest_path = req.manifest or default_path
    if req.manifest_keys:
        manifest_keys = [load_public_key(p) for p in req.manifest_keys]
    if req.image_keys:
        image_keys = [load_public_key(p) for p in req.image_keys]
    if not manifest_keys:
        raise UsageError(f"{manifest_path}: no trusted manifest key",
                         hint="give --manifest-key PUBKEY (the manifest's public key)")
    assert manifest_path is not None
    checker = ImageKeyChecker(tuple(image_keys), _decrypt_key(req.decrypt_key))
    previous = read_manifest(req.previous)[1] if req.previous is not None else None
    log.info("verifying %s", manifest_path)
    result = verify_release(VerifyRequest(
        manifest_path=manifest_path, trusted_keys=tuple(manifest_keys), checker=checker,
        previous=previous))
    result.raise_for_errors()
    manifest = result.manifest
    assert manifest is not None
    files = tuple(FileCheck(i.file, i.name, checker.checks.get(i.file, ("size", "sha256")))
                  for i in manifest.images)
    return VerifyBuildResult(
        manifest=manifest_path, signed_by=tuple(k[:16] for k in result.signer_keyids),
        sequence_number=manifest.sequence_number,
        release=f"{manifest.release.name} {manifest.release.version}", files=files,
        warnings=tuple(f.message for f in result.findings if f.severity != "error"))
