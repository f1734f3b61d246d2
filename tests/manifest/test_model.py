"""The manifest model: field rules, the two version forms, SUIT identifiers,
strict parsing with file and key in every message, and the shipped schema."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import jsonschema
import pytest
import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from manifest.generate_golden import GOLDEN_DIR
from manifest.release_fixture import make_manifest, release_request
from zephyr_ota.errors import InputError
from zephyr_ota.manifest.build import build_manifest, source_date_epoch, timestamp
from zephyr_ota.manifest.canonical import canonical_bytes
from zephyr_ota.manifest.convert import manifest_from_json, manifest_to_json
from zephyr_ota.manifest.io import manifest_bytes, parse_manifest, read_manifest, schema
from zephyr_ota.manifest.model import FieldError, Identity, Version, suit_uuids


@pytest.mark.parametrize(("text", "imgtool", "mcumgr"), [
    ("1.2.3+4", "1.2.3+4", "1.2.3.4"),
    ("1.2.3", "1.2.3+0", "1.2.3"),          # img_mgmt_ver_str omits a zero build number
    ("255.255.65535+4294967295", "255.255.65535+4294967295", "255.255.65535.4294967295"),
])
def test_version_forms(text: str, imgtool: str, mcumgr: str) -> None:
    v = Version.parse(text)
    assert (v.imgtool, v.mcumgr) == (imgtool, mcumgr)


@pytest.mark.parametrize(("text", "message"), [
    ("1.2", "version: expected major.minor.revision[+build], e.g. 1.2.3+4, got '1.2'"),
    ("256.0.0", "version: expected an integer in [0, 255], got 256 (in '256.0.0')"),
    ("1.0.0+4294967296", "version: expected an integer in [0, 4294967295], got 4294967296 (in '1.0.0+4294967296')"),
])
def test_version_refusals(text: str, message: str) -> None:
    with pytest.raises(FieldError) as e:
        Version.parse(text)
    assert str(e.value) == message


def test_version_order_is_mcuboots() -> None:
    assert Version.parse("1.2.3+9") < Version.parse("1.2.4+0") < Version.parse("1.10.0")


def test_suit_identifiers() -> None:
    # draft-ietf-suit-manifest's examples: UUIDv5(DNS, "arm.com").
    vendor, cls = suit_uuids("arm.com", "nRF52840")
    assert vendor == "fa6b4a53-d5ad-5fdf-be9d-e663e4d41ffe"
    ident = Identity.derive("arm.com", "nRF52840")
    assert (ident.vendor_id, ident.class_id) == (vendor, cls)
    with pytest.raises(FieldError, match=r"^identity.class_id: expected .* under the vendor id\), got"):
        Identity("arm.com", vendor, "nRF52840", "fa6b4a53-d5ad-5fdf-be9d-e663e4d41ffe")


def test_sha384_image_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    req = release_request(tmp_path)
    app = dataclasses.replace(req.images[0], hash_alg="sha384", image_hash=bytes(48))
    with caplog.at_level(logging.WARNING):
        build_manifest(dataclasses.replace(req, images=(app, req.images[1])))
    assert [r.getMessage() for r in caplog.records] == [
        "image app: SHA-384 image hash: Zephyr's image manager (MCUmgr) lists only SHA-256 and "
        "SHA-512 hashes, so `image list` will not show it"]


def test_defaults_from_time(tmp_path: Path) -> None:
    m = make_manifest(tmp_path)
    assert m.sequence_number == 1764000000 and m.created == "2025-11-24T16:00:00Z"
    assert m.install.order == ("net", "app")          # network core first
    assert timestamp(0) == "1970-01-01T00:00:00Z"
    assert source_date_epoch({"SOURCE_DATE_EPOCH": "42"}) == 42
    assert source_date_epoch({}) is None
    with pytest.raises(InputError, match=r"^SOURCE_DATE_EPOCH: expected a non-negative integer, got 'x'$"):
        source_date_epoch({"SOURCE_DATE_EPOCH": "x"})


def test_round_trip(tmp_path: Path) -> None:
    m = make_manifest(tmp_path)
    assert manifest_from_json(manifest_to_json(m)) == m
    assert parse_manifest(manifest_bytes(m), "x.json") == m


def _golden() -> dict:
    return json.loads((GOLDEN_DIR / "ota-manifest.json").read_bytes())


def _edit(path: str, value: object) -> dict:
    doc = _golden()
    *parents, last = path.split("/")
    node = doc
    for p in parents:
        node = node[int(p)] if p.isdigit() else node[p]
    if value is KeyError:
        del node[last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return doc


INVALID = [
    ("images/0/sha256", "xyz", "images[0].sha256: expected 64 lower-case hex digits, got 'xyz'"),
    ("images/1/image_hash/value", "ab", "images[1].image_hash.value: expected 64 lower-case hex digits, got 'ab'"),
    ("images/0/image_hash/alg", "md5", "images[0].image_hash.alg: expected one of sha256, sha384, sha512, got 'md5'"),
    ("images/0/size", 10**7, "images[0].size: expected at most slot_size 458752, got 10000000"),
    ("images/0/slot", 2, "images[0].slot: expected an integer in [0, 1], got 2"),
    ("images/0/mcumgr_version", "1.2.3+4", "images[0].mcumgr_version: expected '1.2.3.4' (from version 1.2.3+4), got '1.2.3+4'"),
    ("images/0/version", "1.2", "images[0].version: expected major.minor.revision[+build], e.g. 1.2.3+4, got '1.2'"),
    ("images/0/header_flags", [], "images[0].header_flags: expected ['ENCRYPTED_AES128'] for 128-bit encryption, got []"),
    ("images/0/encryption/aes_key_bits", 192, "images[0].encryption.aes_key_bits: expected 128 or 256, got 192"),
    ("images/0/file", "../x.bin", "images[0].file: expected a plain ASCII file name without folders, got '../x.bin'"),
    ("images/0/dependencies/0/min_version", "x", "images[0].dependencies[0].min_version: expected major.minor.revision[+build], e.g. 1.2.3+4, got 'x'"),
    ("images/0/dependencies/0/image_index", 0, "images[0].dependencies[0].image_index: expected another image index of this release [0, 1], got 0"),
    ("images/0/secondary_offset", 4096, "images[0].secondary_offset: expected only with upgrade_mode swap-using-offset, got 'swap-using-move'"),
    ("images/0/extra", 1, "images[0].extra: unknown key (not in the manifest schema)"),
    ("images/0/key_hash", KeyError, "images[0].key_hash: missing"),
    ("sequence_number", -1, "sequence_number: expected an integer in [0, 9007199254740991], got -1"),
    ("sequence_number", True, "sequence_number: expected an integer in [0, 9007199254740991], got True"),
    ("created", "yesterday", "created: expected a string matching \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ, got 'yesterday'"),
    ("expires", "2000-01-01T00:00:00Z", "expires: expected later than created 2025-11-24T16:00:00Z, got '2000-01-01T00:00:00Z'"),
    ("schema", "other", "schema: expected 'urn:zephyr-ota:release-manifest:1', got 'other'"),
    ("install/order", ["app"], "install.order: expected a permutation of the image names ['app', 'net'], got ['app']"),
    ("install/confirm", "maybe", "install.confirm: expected one of test-then-confirm, permanent, got 'maybe'"),
    ("bootloader/upgrade_mode", "swap", "bootloader.upgrade_mode: expected one of swap-using-scratch, swap-using-move, swap-using-offset, overwrite-only, direct-xip, ram-load, firmware-loader, got 'swap'"),
    ("identity/vendor_id", "nope", "identity.vendor_id: expected a string matching [0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}, got 'nope'"),
    ("release/name", "", "release.name: expected a non-empty printable string, got ''"),
    ("images", [], "images: expected at least one image, got []"),
    ("target", [], "target: expected an object, got a list"),
]


@pytest.mark.parametrize(("path", "value", "message"), INVALID, ids=[i[0] + "=" + repr(i[1])[:12] for i in INVALID])
def test_invalid_field_names_file_and_key(path: str, value: object, message: str) -> None:
    raw = canonical_bytes(_edit(path, value))
    with pytest.raises(InputError) as e:
        parse_manifest(raw, "ota-manifest.json")
    assert str(e.value) == f"ota-manifest.json: {message}"


@pytest.mark.parametrize(("raw", "message"), [
    (b'{"a":1.5}', "m.json: invalid manifest JSON: number 1.5 is not an integer (the manifest holds integers only)"),
    (b'{"a":1,"a":2}', "m.json: invalid manifest JSON: duplicate key 'a'"),
    (b'{"a":\n', "m.json:2:1: invalid JSON: Expecting value"),
    (b'\xff', "m.json: not UTF-8 text (byte 0)"),
    (b'[]', "m.json: manifest: expected an object, got a list"),
])
def test_malformed_json(raw: bytes, message: str) -> None:
    with pytest.raises(InputError) as e:
        parse_manifest(raw, "m.json")
    assert str(e.value) == message


def test_non_canonical_bytes_refused() -> None:
    pretty = json.dumps(_golden(), indent=1).encode()
    with pytest.raises(InputError, match=r"^m.json: not in canonical form \(RFC 8785\)"):
        parse_manifest(pretty, "m.json")


def test_read_manifest_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as e:
        read_manifest(tmp_path / "nope.json")
    assert str(e.value) == f"{tmp_path / 'nope.json'}: manifest not found"


def test_every_manifest_validates_against_the_schema(tmp_path: Path) -> None:
    validator = jsonschema.Draft202012Validator(schema())
    validator.check_schema(schema())
    docs = [_golden(), manifest_to_json(make_manifest(tmp_path / "a", version="0.1.0+0", sequence=1))]
    req = release_request(tmp_path / "b")
    app = dataclasses.replace(req.images[0], upgrade_mode="swap-using-offset", secondary_offset=0x1000,
                              hash_alg="sha512", image_hash=bytes(64), key_hash=bytes(64))
    docs.append(manifest_to_json(build_manifest(dataclasses.replace(req, images=(app, req.images[1]),
                                                                    expires=1800000000))))
    for doc in docs:
        validator.validate(doc)


def test_schema_refuses_what_the_model_refuses() -> None:
    validator = jsonschema.Draft202012Validator(schema())
    for path, value, _ in INVALID:
        if path in ("images/0/size", "images/0/mcumgr_version", "images/0/header_flags",
                    "expires", "install/order", "images/0/dependencies/0/image_index",
                    "images/0/secondary_offset"):
            continue  # cross-field rules JSON Schema cannot express; the model checks them
        assert not validator.is_valid(_edit(path, value)), path


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(version=st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 65535),
                         st.integers(0, 2**32 - 1)),
       counter=st.integers(0, 2**32 - 1), sequence=st.integers(0, 2**53 - 1),
       name=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FFF,
                                           blacklist_categories=("Cs", "Cc", "Cf", "Cn", "Co", "Zl", "Zp", "Zs")),
                    min_size=1, max_size=12))
def test_any_release_round_trips_and_validates(tmp_path: Path, version: tuple, counter: int,
                                               sequence: int, name: str) -> None:
    text = "{}.{}.{}+{}".format(*version)
    req = release_request(tmp_path, version=text, sequence=sequence, security_counter=counter)
    m = build_manifest(dataclasses.replace(req, release_name=name))
    raw = manifest_bytes(m)
    assert raw == rfc8785.dumps(manifest_to_json(m))
    assert parse_manifest(raw, "m.json") == m
    jsonschema.Draft202012Validator(schema()).validate(json.loads(raw))
