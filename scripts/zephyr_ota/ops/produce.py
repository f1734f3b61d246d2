"""The images of one build, made in the staging folder and checked there.

Entry points: ``ImageJob`` -> ``produce_image(job) -> ProducedImage`` and
``output_names(plan)``.

Per image (issue 7):

* the primary-slot image ``zephyr.signed.bin`` / ``.hex``: plain, or when
  encryption is on, imgtool's ``--clear`` form — encrypted flag and the
  key-transport TLV, plaintext payload — so the first swap does not leave
  the old firmware unencrypted in the secondary slot (mcu-tools/mcuboot#1555;
  Zephyr's own build does this since PR #85573);
* the OTA image ``zephyr.signed.encrypted.bin`` for the secondary slot: fully
  encrypted with a fresh AES key (the image engine draws one per image);
* with ``--confirm``, a padded, confirmed copy of the primary for merged.hex;
* direct-xip (``xipram``): both images carry ROM_FIXED with their slot's
  flash offset; ``zephyr.slot1.signed.bin``/``.hex`` is the variant build
  linked for slot1, signed for slot1 — the OTA image for a device running
  from slot0 (the primary serves one running from slot1);
* ram-load: RAM_LOAD with the load address, ``--align 1``; the same image
  is written for slot1 as ``zephyr.slot1.signed.bin``/``.hex`` (Zephyr's
  cmake/mcuboot.cmake names).

The bootloader's budget (``layout.budget``) is computed before signing (it
refuses slot shapes and sector counts MCUboot cannot upgrade) and the signed
size is checked against it before anything leaves the staging folder. The
images of image 1.. (e.g. the nRF5340 network core) are named
``<domain>.signed.bin`` and so on, so all files of a release can share one
folder.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from zephyr_ota.errors import LayoutError, SlotOverflowError
from zephyr_ota.ops.checks import check_link_address
from zephyr_ota.ops.resolve import ImagePlan
from zephyr_ota.ops.staging import Staging

log = logging.getLogger(__name__)

# image.encrypt.EncScheme value -> layout.budget EncScheme value
_BUDGET_SCHEME = {"ENCRSA2048": "rsa", "ENCEC256": "ec256", "ENCX25519": "x25519",
                  "ENCX25519_SHA512": "x25519"}


@dataclass(frozen=True)
class OutputNames:
    primary_bin: str
    primary_hex: str
    secondary_bin: str
    confirmed: str
    slot1_bin: str = ""
    slot1_hex: str = ""


def output_names(plan: ImagePlan) -> OutputNames:
    """File names for an image: Zephyr's for image 0, prefixed by domain after."""
    stem = "zephyr" if plan.image_index == 0 else plan.name
    return OutputNames(f"{stem}.signed.bin", f"{stem}.signed.hex",
                       f"{stem}.signed.encrypted.bin", f".{stem}.signed.confirmed.bin",
                       f"{stem}.slot1.signed.bin", f"{stem}.slot1.signed.hex")


@dataclass(frozen=True)
class ImageJob:
    """One image to make: its plan, the signer, the device's encryption key."""

    plan: ImagePlan
    signer: Any                          # keys.Signer
    enc_public: Any                      # keys.PublicKey or None
    stage: Staging
    confirm: bool = False


@dataclass(frozen=True)
class ProducedImage:
    """What was made for one image (all in the staging folder)."""

    plan: ImagePlan
    names: OutputNames
    primary: Any                         # image.build.SignedImage
    secondary: Any | None                # fully encrypted OTA image
    confirmed: Any | None                # padded + confirmed primary for merged.hex
    budget: Any                          # layout.budget.Budget
    firmware: Any                        # firmware.Firmware
    slot1: Any | None = None             # direct-xip / ram-load: the image signed for slot1

    @property
    def ota(self) -> Any:
        """The image delivered over the air: the encrypted one when encryption is on,
        the slot1 image in direct-xip and ram-load, else the primary."""
        if self.secondary is not None:
            return self.secondary
        return self.slot1 if self.slot1 is not None else self.primary

    @property
    def ota_name(self) -> str:
        if self.secondary is not None:
            return self.names.secondary_bin
        return self.names.slot1_bin if self.slot1 is not None else self.names.primary_bin


def compute_plan_budget(plan: ImagePlan, scheme: str | None) -> Any:
    """MCUboot's budget for ``plan`` (``LayoutError`` for shapes it cannot upgrade)."""
    from zephyr_ota.layout.budget import (
        BudgetRequest,
        Encryption,
        EncScheme,
        compute_budget,
        request_for_image,
    )

    enc = Encryption.NONE
    options: dict[str, Any] = {}
    if plan.encryption is not None:
        enc = Encryption.AES256 if plan.encryption.aes_bits.value == 256 else Encryption.AES128
        options["save_enctlv"] = plan.encryption.save_enctlv
        if scheme is not None:
            options["enc_scheme"] = EncScheme(_BUDGET_SCHEME[scheme])
    req: BudgetRequest = request_for_image(
        plan.layout, plan.mode.value, plan.image_index, max_align=plan.max_align.value,
        max_img_sectors=plan.max_sectors.value, encryption=enc,
        header_size=plan.header_size.value, **options)
    try:
        return compute_budget(req)
    except LayoutError as e:
        raise LayoutError(f"image {plan.image_index} ({plan.name}): {e.message} "
                          f"[mode from {plan.mode.source}; max sectors from "
                          f"{plan.max_sectors.source}]", hint=e.hint) from e


def _sign_request(plan: ImagePlan, budget: Any, pad_header: bool, **extra: Any) -> Any:
    from zephyr_ota.image.request import SignRequest
    from zephyr_ota.layout.model import UpgradeMode

    enc_bits = plan.encryption.aes_bits.value if plan.encryption is not None else 128
    if plan.mode.value is UpgradeMode.DIRECT_XIP and "rom_fixed" not in extra:
        # loader.c boot_rom_address_check compares ih_load_addr with the slot's offset
        extra["rom_fixed"] = plan.primary.offset
    if plan.load_address is not None:
        extra["load_addr"] = plan.load_address.value
    return SignRequest(
        slot_size=extra.pop("slot_size", 0), header_size=plan.header_size.value,
        version=plan.version.value, pad_header=pad_header, align=plan.align.value,
        max_align=plan.max_align.value, max_sectors=budget.max_img_sectors,
        overwrite_only=plan.mode.value is UpgradeMode.OVERWRITE_ONLY,
        security_counter=plan.security_counter.value, encrypt_keylen=enc_bits,
        save_enctlv=plan.encryption.save_enctlv if plan.encryption else False, **extra)


def check_fits(plan: ImagePlan, budget: Any, image_size: int) -> None:
    """The signed image against MCUboot's budget and CONFIG_ROM_END_OFFSET."""
    budget.require_fits(image_size, f"{plan.app.firmware}: image {plan.image_index} "
                                    f"({plan.name})")
    if plan.rom_end_offset and image_size > plan.slot_size.value - plan.rom_end_offset:
        raise SlotOverflowError(
            f"{plan.app.firmware}: image of {image_size} bytes: expected at most "
            f"{plan.slot_size.value - plan.rom_end_offset} (slot minus CONFIG_ROM_END_OFFSET "
            f"{plan.rom_end_offset:#x}), got {image_size}")


def _encryption(job: ImageJob) -> Any:
    from zephyr_ota.image.build import Encryption

    if job.enc_public is None:
        return None
    key = getattr(job.enc_public, "crypto_key", job.enc_public)
    return Encryption(public_key=key, origin=job.plan.encryption.key.source
                      if job.plan.encryption else "-E")


def produce_image(job: ImageJob) -> ProducedImage:
    """Sign, check and stage every file of one image."""
    from zephyr_ota.firmware import load_firmware
    from zephyr_ota.image.build import sign_image

    plan, stage = job.plan, job.stage
    firmware = load_firmware(plan.app.firmware)
    pad_header = check_link_address(plan, firmware)
    enc = _encryption(job)
    budget = compute_plan_budget(plan, _scheme_value(enc))
    names = output_names(plan)
    log.info("signing image %d (%s): %s", plan.image_index, plan.name, plan.app.firmware)
    primary = sign_image(_sign_request(plan, budget, pad_header, clear=enc is not None),
                         firmware, job.signer, stage.path(names.primary_bin), enc)
    check_fits(plan, budget, primary.image_size)
    secondary = None
    if enc is not None:
        log.info("encrypting image %d (%s) for the secondary slot", plan.image_index, plan.name)
        secondary = sign_image(_sign_request(plan, budget, pad_header), firmware, job.signer,
                               stage.path(names.secondary_bin), enc)
    confirmed = None
    if job.confirm:
        confirmed = sign_image(
            _sign_request(plan, budget, pad_header, clear=enc is not None, confirm=True,
                          slot_size=plan.slot_size.value),
            firmware, job.signer, stage.scratch_path(names.confirmed), enc)
    slot1 = _slot1_image(job, budget, names, secondary or primary)
    return ProducedImage(plan, names, primary, secondary, confirmed, budget, firmware, slot1)


def _slot1_image(job: ImageJob, budget: Any, names: OutputNames, ota: Any) -> Any:
    """The slot1 image of direct-xip (the variant build) and ram-load: the OTA image
    (``ota``), as MCUboot decrypts what it loads from slot1 (loader.c MUST_DECRYPT)."""
    from zephyr_ota.firmware import load_firmware
    from zephyr_ota.image.build import sign_image
    from zephyr_ota.layout.model import UpgradeMode

    plan, stage = job.plan, job.stage
    if plan.load_address is not None and plan.slot1_address is not None:
        source = names.secondary_bin if job.enc_public is not None else names.primary_bin
        stage.put(names.slot1_bin, stage.read(source))  # only --hex-addr differs
        return ota
    if plan.mode.value is not UpgradeMode.DIRECT_XIP or plan.variant is None:
        return None
    assert plan.secondary is not None
    firmware = load_firmware(plan.variant.firmware)
    pad_header = check_link_address(plan, firmware, slot1=True)
    log.info("signing image %d (%s) for slot1: %s", plan.image_index, plan.name,
             plan.variant.firmware)
    image = sign_image(_sign_request(plan, budget, pad_header, rom_fixed=plan.secondary.offset),
                       firmware, job.signer, stage.path(names.slot1_bin), None)
    check_fits(plan, budget, image.image_size)
    return image


def _scheme_value(enc: Any) -> str | None:
    if enc is None:
        return None
    from zephyr_ota.image.encrypt import scheme_for

    return str(scheme_for(enc.public_key, where=enc.origin).value)
