"""Precedence of every value: option > ota.yml > build directory; the summary
names the source of each."""

from __future__ import annotations

from pathlib import Path


def _ota_yml(folder: Path, text: str) -> Path:
    path = folder / "ota.yml"
    path.write_text(text)
    return path


def _row(err: str, name: str) -> str:
    return next(line for line in err.splitlines() if line.strip().startswith(name))


def test_ota_yml_over_build_and_option_over_ota_yml(make_zephyr_build, cli) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_move")
    yml = _ota_yml(Path.cwd(), "version:\n  value: 2.0.0\n  security_counter: 7\n"
                               "outputs:\n  factory_image: false\n")
    run = cli("sign-build", "-d", build)
    assert run.rc == 0, run.err
    assert _row(run.err, "version").split() == ["version", "2.0.0+0", "from", f"{yml}:2"]
    assert _row(run.err, "security counter").split()[-1] == f"{yml}:3"
    assert not (build / "app" / "zephyr" / "merged.hex").exists()
    run = cli("sign-build", "-d", build, "--version", "3.1.4+1", "--security-counter", "auto")
    assert _row(run.err, "version").split() == ["version", "3.1.4+1", "from", "--version"]
    assert "from --security-counter" in _row(run.err, "security counter")


def test_version_file(make_zephyr_build, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_move")
    version = tmp_path / "VERSION"
    version.write_text("VERSION_MAJOR = 2\nVERSION_MINOR = 1\nPATCHLEVEL = 3\nVERSION_TWEAK = 9\n"
                       "EXTRAVERSION =\n")
    _ota_yml(Path.cwd(), f"version:\n  file: {version}\n")
    run = cli("sign-build", "-d", build, "--json")
    assert run.rc == 0, run.err
    assert '"value": "2.1.3+9"' in run.out


def test_build_values_by_default(make_zephyr_build, cli) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("stm32f4_scratch")
    run = cli("sign-build", "-d", build)
    assert run.rc == 0, run.err
    assert _row(run.err, "version").split()[-1] == f"{build}/app/zephyr/.config:13"
    assert "CONFIG_BOOT_MAX_IMG_SECTORS_AUTO" in _row(run.err, "max sectors")
    assert _row(run.err, "mode").split()[1] == "swap-using-scratch"


def test_mode_option_differing_from_mcuboot_warns(make_zephyr_build, cli) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_move")
    run = cli("sign-build", "-d", build, "--mode", "swap-using-offset")
    assert run.rc == 0, run.err
    assert ("zephyr-ota: warning: --mode: mode swap-using-offset differs from the mode MCUboot "
            f"was built with ({build}/mcuboot/zephyr/.config:8: swap-using-move)") in run.err
