"""The west commands: ``sign-ota``, ``ota-verify``, ``ota-layout``, ``ota-keys``.

Each is a declaration: the ``zephyr_ota.cli`` module that owns the command
gives its description, epilog (exit codes), arguments and handler, so both
front ends document and do the same thing (``OtaWestCommand`` in ``common``
does the rest). The help line west lists comes from west-commands.yml.
"""

from __future__ import annotations

from zephyr_ota.cli import build_cmds, layout_cmds, ota_keys_cmds
from zephyr_ota.west_ext.common import CommandSpec, OtaWestCommand


class SignOta(OtaWestCommand):
    """``west sign-ota``: sign, check and package a Zephyr build for OTA."""

    spec = CommandSpec(
        "sign-ota", "sign and encrypt a Zephyr build's images, write the factory image and "
        "a signed OTA manifest", build_cmds.SIGN_DESCRIPTION, build_cmds.SIGN_EPILOG,
        build_cmds.add_sign_arguments, build_cmds.sign_build_handler)


class OtaVerify(OtaWestCommand):
    """``west ota-verify``: verify a signed build or manifest like a device."""

    spec = CommandSpec(
        "ota-verify", "verify a build's OTA images and signed manifest the way the device "
        "will", build_cmds.VERIFY_DESCRIPTION, build_cmds.VERIFY_EPILOG,
        build_cmds.add_verify_arguments, build_cmds.verify_build_handler)


class OtaLayout(OtaWestCommand):
    """``west ota-layout``: plan, check and render MCUboot partition layouts."""

    spec = CommandSpec(
        "ota-layout", "plan, check and render MCUboot partition layouts from devicetree",
        layout_cmds.DESCRIPTION, layout_cmds.EPILOG, layout_cmds.add_layout_arguments,
        layout_cmds.layout_handler)


class OtaKeys(OtaWestCommand):
    """``west ota-keys``: create, import, show and audit MCUboot keys (the
    subcommand's own handler runs)."""

    spec = CommandSpec(
        "ota-keys", "create, import, show and audit MCUboot signing and encryption keys",
        ota_keys_cmds.DESCRIPTION, ota_keys_cmds.EPILOG, ota_keys_cmds.add_keys_arguments)
