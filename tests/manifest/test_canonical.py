"""Our RFC 8785 serializer against the independent ``rfc8785`` package."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from manifest.generate_golden import GOLDEN_DIR
from manifest.release_fixture import make_manifest
from zephyr_ota.manifest.canonical import CanonicalError, canonical_bytes
from zephyr_ota.manifest.convert import manifest_to_json

SAFE = 2**53 - 1

ascii_keys = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=8)
strings = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)
scalars = st.none() | st.booleans() | st.integers(-SAFE, SAFE) | strings
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(ascii_keys, inner, max_size=5),
    max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_matches_rfc8785_on_generated_values(value: object) -> None:
    assert canonical_bytes(value) == rfc8785.dumps(value)


@given(json_values)
def test_round_trips_through_json(value: object) -> None:
    assert json.loads(canonical_bytes(value)) == value


def test_matches_rfc8785_on_test_manifests(tmp_path: Path) -> None:
    values = [manifest_to_json(make_manifest(tmp_path / "a")),
              manifest_to_json(make_manifest(tmp_path / "b", version="0.0.1+0", sequence=7)),
              json.loads((GOLDEN_DIR / "ota-manifest.json").read_bytes()),
              json.loads((GOLDEN_DIR / "ota-manifest.json.sig").read_bytes())]
    for value in values:
        assert canonical_bytes(value) == rfc8785.dumps(value)


def test_golden_file_is_canonical() -> None:
    raw = (GOLDEN_DIR / "ota-manifest.json").read_bytes()
    assert canonical_bytes(json.loads(raw)) == raw


def test_escapes_and_order() -> None:
    value = {"b": "\u00e9\n\x1f\"\\/", "a": [True, None, -5], "B": {}}
    assert canonical_bytes(value) == b'{"B":{},"a":[true,null,-5],"b":"\xc3\xa9\\n\\u001f\\"\\\\/"}'


@pytest.mark.parametrize(("value", "message"), [
    ({"x": 1.5}, "canonical JSON: $.x: floats are not allowed, got 1.5"),
    ({"\u00e9": 1}, "canonical JSON: $: object keys must be ASCII, got 'é'"),
    ({1: 1}, "canonical JSON: $: object keys must be strings, got 1"),
    ([2**53], "canonical JSON: $[0]: expected an integer within ±(2**53-1), got 9007199254740992"),
    ({"a": {1, 2}}, "canonical JSON: $.a: expected null, bool, int, str, list or object, got set"),
    ("\ud800", "canonical JSON: a string holds the lone surrogate U+D800, which UTF-8 cannot encode"),
])
def test_refuses_values_outside_the_subset(value: object, message: str) -> None:
    with pytest.raises(CanonicalError) as e:
        canonical_bytes(value)
    assert str(e.value) == message
