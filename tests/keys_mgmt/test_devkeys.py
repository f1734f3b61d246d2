"""MCUboot's published keys are recognised by their public half, from the
database shipped in the package (which holds no private material)."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from zephyr_ota.keys.devkeys import (
    find_published,
    find_published_all,
    find_published_hash,
    published_keys,
    spki_der,
)

from .conftest import DEV_KEYS

PEMS = sorted(DEV_KEYS.glob("*.pem"))


def test_database_holds_no_private_material() -> None:
    text = resources.files("zephyr_ota.keys").joinpath("mcuboot_dev_keys.json").read_text()
    assert "PRIVATE" not in text
    assert len(json.loads(text)["keys"]) == len(published_keys()) >= 20


def test_database_hashes_match_the_public_keys() -> None:
    for key in published_keys():
        public = serialization.load_pem_public_key(key.public_pem.encode())
        assert hashlib.sha256(spki_der(public)).digest() == key.spki_sha256, key.source


@pytest.mark.parametrize("pem", PEMS, ids=[p.name for p in PEMS])
def test_every_published_key_file_is_recognised(pem: Path) -> None:
    private = serialization.load_pem_private_key(pem.read_bytes(), None)
    known = find_published_all(spki_der(private.public_key()))
    assert known, pem.name
    assert pem.name in {k.file_name for k in known}
    role = "encryption" if pem.name.startswith("enc-") else "signing"
    assert {k.role for k in known} == {role}


def test_a_fresh_key_is_not_published() -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    assert find_published(spki_der(ec.generate_private_key(ec.SECP256R1()).public_key())) is None


def test_lookup_by_keyhash_tlv() -> None:
    rsa = next(k for k in published_keys() if k.file_name == "root-rsa-2048.pem")
    assert rsa.keyhash is not None and rsa.keyhash != rsa.spki_sha256
    assert find_published_hash(rsa.keyhash) == rsa
    assert find_published_hash(bytes(32)) is None
