"""The zephyr-ota dispatcher: the command table matches what modules register."""

from __future__ import annotations

import argparse
import importlib

import pytest

from zephyr_ota.cli import COMMAND_MODULES, build_parser, main


@pytest.mark.parametrize("module", COMMAND_MODULES)
def test_command_table_matches_module(module: str) -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    importlib.import_module(module).add_parsers(sub)
    assert tuple(sub.choices) == COMMAND_MODULES[module]


def test_full_parser_lists_every_command() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert list(sub.choices) == [c for names in COMMAND_MODULES.values() for c in names]


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["no-such-command"])
    assert e.value.code == 2
    assert "invalid choice: 'no-such-command'" in capsys.readouterr().err


def test_options_before_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["-q", "sign", "--help"])
    assert e.value.code == 0
    assert "usage: zephyr-ota sign" in capsys.readouterr().out


def test_main_leaves_the_logger_as_it_found_it(tmp_path, caplog: pytest.LogCaptureFixture) -> None:
    """In-process callers (tests, scripts) keep their logging after main()."""
    import logging

    logger = logging.getLogger("zephyr_ota")
    before = (logger.handlers[:], logger.propagate, logger.level)
    assert main(["keygen", "-k", str(tmp_path / "k.pem"), "-t", "ed25519"]) == 0
    assert main(["info", str(tmp_path / "missing.bin")]) == 1
    assert (logger.handlers, logger.propagate, logger.level) == before
    with caplog.at_level(logging.WARNING, logger="zephyr_ota"):
        logging.getLogger("zephyr_ota.image").warning("seen")
    assert "seen" in caplog.text


def test_output_cut_short_by_the_reader_is_not_a_traceback(tmp_path) -> None:
    """``zephyr-ota ... | head``: a closed pipe ends the command quietly (``true``
    exits without reading, long before our output is written)."""
    import subprocess
    import sys

    key = tmp_path / "k.pem"
    assert main(["keygen", "-k", str(key), "-t", "rsa-2048"]) == 0
    proc = subprocess.run(
        f"{sys.executable} -m zephyr_ota getpriv -k {key} | true",
        shell=True, capture_output=True, text=True)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
