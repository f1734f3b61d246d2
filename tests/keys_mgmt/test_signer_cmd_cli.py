"""External signer commands (``-k cmd:...``) through the commands users run:
``zephyr-ota sign --signer-pubkey`` and ``sign-build``, whose default public
key for a command signer is the first key the bootloader trusts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from zephyr_ota.cli import main

from .test_signers import _signer_script


def _imgtool_verify(key: Path, image: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "imgtool.main", "verify", "-k", str(key),
                           str(image)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_sign_with_a_signer_command(tmp_path: Path, capsys) -> None:
    key = tmp_path / "kms.pem"
    assert main(["keygen", "-k", str(key), "-t", "ecdsa-p256"]) == 0
    pub = tmp_path / "kms.pub.pem"
    assert main(["getpub", "-k", str(key), "-e", "pem", "-o", str(pub)]) == 0
    script = _signer_script(tmp_path, key, "raw")
    firmware = tmp_path / "app.bin"
    firmware.write_bytes(bytes(range(256)) * 64)
    out = tmp_path / "app.signed.bin"
    assert main(["sign", "-k", f"cmd:{sys.executable} {script}", "--signer-pubkey", str(pub),
                 "-H", "0x200", "--pad-header", "-S", "0x20000", "-v", "1.0.0",
                 str(firmware), str(out)]) == 0
    _imgtool_verify(pub, out)


def test_sign_with_a_signer_command_needs_its_public_key(tmp_path: Path, capsys) -> None:
    firmware = tmp_path / "app.bin"
    firmware.write_bytes(bytes(1024))
    assert main(["sign", "-k", "cmd:kms-sign", "-H", "0x200", "--pad-header", "-S", "0x20000",
                 str(firmware), str(tmp_path / "out.bin")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("zephyr-ota: error: signer command: the public key is needed too\n")
    assert not (tmp_path / "out.bin").exists()


def test_sign_build_with_a_signer_command(make_zephyr_build, tmp_path: Path, capsys) -> None:
    build, keys = make_zephyr_build("nrf52840dk_move")
    script = _signer_script(tmp_path, keys.signing, "der")
    out = tmp_path / "out"
    manifest_key = tmp_path / "manifest.pem"  # a release manifest is signed in-process
    assert main(["keygen", "-k", str(manifest_key), "-t", "ed25519"]) == 0
    assert main(["sign-build", "-d", str(build), "-o", str(out), "--manifest-key",
                 str(manifest_key), "-k", f"cmd:{sys.executable} {script}"]) == 0, \
        capsys.readouterr().err
    _imgtool_verify(keys.signing, out / "zephyr.signed.bin")
