"""``keys import`` / ``keys init`` / ``keys show`` with bad inputs. Before the
fix, a bad --trusted or --encryption file left signing.pem and
signing.pub.pem in the keys directory (a half-imported store without its
index), a keys dir that is a file and an index that is a JSON list ended in
tracebacks, and a --fragment-dir that is a file failed after the keys were
written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import assert_refused


@pytest.fixture
def bad_keys(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    empty = folder / "empty.pem"
    empty.write_bytes(b"")
    (folder / "adir").mkdir()
    return {"empty": empty, "dir": folder / "adir", "missing": folder / "missing.pem"}


# --trusted takes a public key (or a private one, of which only the public half
# is kept); --encryption needs the device's private key.
BAD = {"empty": "corrupt key file: expected a PEM or DER {half}key",
       "dir": "expected a key file, found a directory",
       "missing": "key file not found"}


@pytest.mark.parametrize("role", ["--trusted", "--encryption"])
@pytest.mark.parametrize("bad", sorted(BAD))
def test_import_writes_nothing_when_a_later_key_is_bad(role: str, bad: str, ota, material,
                                                       bad_keys, tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    run = ota("keys", "import", "--keys-dir", keys_dir, "--signing", material.key,
              role, bad_keys[bad])
    half = "private " if role == "--encryption" else ""
    assert_refused(run, f"{bad_keys[bad]}: {BAD[bad].format(half=half)}")
    assert not keys_dir.exists()


def test_import_keeps_the_old_keys_when_replacing_fails(ota, material, bad_keys,
                                                        tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    assert ota("keys", "import", "--keys-dir", keys_dir, "--signing", material.key).rc == 0
    before = {p.name: p.read_bytes() for p in keys_dir.iterdir()}
    run = ota("keys", "import", "--keys-dir", keys_dir, "--force", "--signing", material.key,
              "--trusted", bad_keys["empty"])
    assert_refused(run, f"{bad_keys['empty']}: {BAD['empty'].format(half='')}")
    assert {p.name: p.read_bytes() for p in keys_dir.iterdir()} == before


def test_init_keys_dir_is_a_file(ota, tmp_path: Path) -> None:
    blocker = tmp_path / "keys"
    blocker.write_text("x")
    assert_refused(ota("keys", "init", "--keys-dir", blocker),
                   f"{blocker}: expected a keys directory, found a file")


@pytest.mark.parametrize("command", ["init", "import"])
def test_fragment_dir_is_a_file(command: str, ota, material, tmp_path: Path) -> None:
    blocker = tmp_path / "frag"
    blocker.write_text("x")
    extra = ["--signing", material.key] if command == "import" else []
    run = ota("keys", command, "--keys-dir", tmp_path / "keys", "--fragment-dir", blocker, *extra)
    assert_refused(run, f"{blocker}: --fragment-dir: expected a folder, found a file")


@pytest.mark.parametrize(("index", "problem"), [
    ([1, 2], "expected a JSON object, found list"),
    ({"signing": 5}, "expected a key entry with file, type and private, found 5"),
    ({"signing": {"file": "s.pem"}},
     "expected a key entry with file, type and private, found {'file': 's.pem'}"),
])
@pytest.mark.parametrize("command", ["show", "check"])
def test_corrupt_keys_index(index: object, problem: str, command: str, ota,
                            tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    keys_dir.mkdir()
    (keys_dir / "zephyr-ota-keys.json").write_text(json.dumps(index))
    assert_refused(ota("keys", command, "--keys-dir", keys_dir),
                   f"{keys_dir / 'zephyr-ota-keys.json'}: corrupt keys index: {problem}")
