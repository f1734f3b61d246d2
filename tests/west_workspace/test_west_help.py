"""The real ``west`` lists and runs our extension commands in both workspace
shapes: zephyr-ota as a project, and as the manifest repository."""

from __future__ import annotations

from pathlib import Path

import pytest

COMMANDS = ("sign-ota", "ota-verify", "ota-layout", "ota-keys")


def test_west_help_lists_commands(workspace: Path, west_run) -> None:  # type: ignore[no-untyped-def]
    out = west_run(["help"], workspace).stdout
    for name in COMMANDS:
        assert name in out, f"west help does not list {name}:\n{out}"


@pytest.mark.parametrize("command", ["sign-ota", "ota-verify"])
def test_command_help(workspace: Path, west_run, command: str) -> None:  # type: ignore[no-untyped-def]
    proc = west_run([command, "--help"], workspace)
    assert "exit status:" in proc.stdout
    assert "--build-dir" in proc.stdout
