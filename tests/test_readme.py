"""The README's examples run as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _code_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, flags=re.S)


def test_first_block_is_the_demo_and_second_the_tests() -> None:
    blocks = _code_blocks(README.read_text())
    assert blocks[0].strip() == "bash sample-app/demo.sh"
    assert blocks[1].strip() == "bash .ci/run"
    ci = (README.parent / ".ci" / "run").read_text()
    assert "python -m pytest" in ci


def test_quick_start_runs_as_written(tmp_path: Path) -> None:
    block = next(b for b in _code_blocks(README.read_text()) if "zephyr-ota keygen" in b)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "OK" in proc.stdout
    assert (tmp_path / "signing.pem").stat().st_mode & 0o777 == 0o600
