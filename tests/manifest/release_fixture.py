"""Synthesized releases for the manifest tests: image files with a real
MCUboot header prefix (magic, version), fixed keys derived from seeds in code
(no private key is committed), and a fake ``ImageChecker``.

The image bodies are not signed MCUboot images -- the image engine's own
tests cover that; here only the header version and the bytes matter.
"""

from __future__ import annotations

import dataclasses
import hashlib
import struct
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from zephyr_ota.manifest.build import ImageFacts, ReleaseRequest, build_manifest
from zephyr_ota.manifest.model import Bootloader, Encryption, ImageEntry, ReleaseManifest
from zephyr_ota.manifest.verify import ImageFindings

GOLDEN_EPOCH = 1764000000          # 2025-11-24T16:00:00Z
IMAGE_MAGIC = 0x96F3B83D
HEADER = struct.Struct("<IIHHII8sI")  # bootutil/image.h struct image_header, 32 bytes
VERSION = struct.Struct("<BBHI")


def ed25519_key(seed: str = "manifest-key-1") -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode()).digest())


def p256_key(seed: str = "manifest-p256-1") -> ec.EllipticCurvePrivateKey:
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    value = int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big") % (n - 1) + 1
    return ec.derive_private_key(value, ec.SECP256R1())


def image_bytes(version: str, size: int, seed: str, flags: int = 0) -> bytes:
    """A file starting with an MCUboot header for ``version`` ("1.2.3+4")."""
    core, _, build = version.partition("+")
    major, minor, revision = (int(x) for x in core.split("."))
    ver = VERSION.pack(major, minor, revision, int(build or 0))
    head = HEADER.pack(IMAGE_MAGIC, 0, 0x200, 0, size - 0x200 - 0x40, flags, ver, 0)
    body = bytearray()
    counter = 0
    while len(body) < size - len(head):
        body += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return head + bytes(body[: size - len(head)])


def plaintext_hash(data: bytes) -> bytes:
    """Stands in for MCUboot's image hash in these tests."""
    return hashlib.sha256(b"plaintext:" + data).digest()


def write_images(directory: Path, version: str = "1.2.3+4", tag: str = "a") -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "app": (directory / "zephyr.signed.encrypted.bin", image_bytes(version, 6000, f"app-{tag}", 0x04)),
        "net": (directory / "net.signed.bin", image_bytes(version, 3000, f"net-{tag}")),
    }
    for path, data in files.values():
        path.write_bytes(data)
    return {name: path for name, (path, _) in files.items()}


def bootloader() -> Bootloader:
    image_key = ed25519_key("image-signing-key")
    from cryptography.hazmat.primitives import serialization

    der = image_key.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
    return Bootloader(upgrade_mode="swap-using-move", hash_alg="sha256", signature_alg="ed25519",
                      trusted_key_hashes=(hashlib.sha256(der).hexdigest(),),
                      encryption_scheme="ecies-p256")


def release_request(directory: Path, version: str = "1.2.3+4", sequence: int | None = None,
                    security_counter: int = 3, tag: str = "a") -> ReleaseRequest:
    paths = write_images(directory, version, tag)
    key_hash = bytes.fromhex(bootloader().trusted_key_hashes[0])
    app = ImageFacts(
        name="app", type="application", image_index=0, slot=1, load_address=0x10000,
        slot_size=0x70000, path=paths["app"], hash_alg="sha256",
        image_hash=plaintext_hash(paths["app"].read_bytes()), version=version,
        upgrade_mode="swap-using-move", security_counter=security_counter, key_hash=key_hash,
        encryption=Encryption("ecies-p256", 128), header_flags=("ENCRYPTED_AES128",),
        dependencies=((1, "1.0.0+0"),))
    net = ImageFacts(
        name="net", type="network-core", image_index=1, slot=1, load_address=0x01008000,
        slot_size=0x3A000, path=paths["net"], hash_alg="sha256",
        image_hash=plaintext_hash(paths["net"].read_bytes()), version=version,
        upgrade_mode="swap-using-move", security_counter=security_counter, key_hash=key_hash,
        board="nrf5340dk/nrf5340/cpunet", soc="nrf5340")
    return ReleaseRequest(
        release_name="blinky", release_version=version.split("+")[0], vendor_domain="example.com",
        class_name="nrf5340dk-blinky", board="nrf5340dk/nrf5340/cpuapp", soc="nrf5340",
        bootloader=bootloader(), images=(app, net), created=GOLDEN_EPOCH,
        sequence_number=sequence, zephyr_revision="v4.4.0", app_revision="v1.2.3-4-gdeadbee")


def make_manifest(directory: Path, **kw: object) -> ReleaseManifest:
    return build_manifest(release_request(directory, **kw))  # type: ignore[arg-type]


@dataclasses.dataclass
class FakeChecker:
    """Implements ``ImageChecker`` the way the image engine does, with
    switches to make it report a bad signature or a different decrypted hash."""

    wrong_hash_for: str | None = None
    bad_signature_for: str | None = None
    calls: list[str] = dataclasses.field(default_factory=list)

    def check_image(self, entry: ImageEntry, path: Path) -> ImageFindings:
        self.calls.append(entry.name)
        data = path.read_bytes()
        digest = plaintext_hash(data)
        if entry.name == self.wrong_hash_for:
            digest = hashlib.sha256(b"other plaintext").digest()
        problems = ()
        if entry.name == self.bad_signature_for:
            problems = ("image signature: ED25519 signature does not verify with the given key",)
        return ImageFindings(image_hash=digest, problems=problems)
