"""Make a signed (and optionally encrypted) MCUboot image: ``sign_image``.

Entry points: ``sign_image(request, firmware, signer, output, encryption)``
-> ``SignedImage``; ``Encryption`` (the device's public encryption key);
``FixedSignature`` (``--fix-sig``: a signature made elsewhere, as a Signer);
``choose_hash`` (imgtool's hash rules per key type).

How it streams: everything that decides the image's size (TLVs, signature,
key TLV) is computed before the output is opened, so an image that does not
fit its slot fails with ``SlotOverflowError`` before anything is written.
The hash covers header, body and protected TLVs (as MCUboot checks it,
image_validate.c ``bootutil_img_hash``) in one pass over the firmware held in
memory; the body is then encrypted chunk by chunk while it is written. Slot
padding is written in chunks, never built in memory. A raw binary opened with
``firmware.binfile.open_bin`` going into a binary image is not held at all:
``image.stream`` hashes, encrypts and writes it in one pass from its file, and
checks the slot fit before the output is committed.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zephyr_ota.errors import KeyFileError, SlotOverflowError, UsageError
from zephyr_ota.firmware.binfile import BinFile
from zephyr_ota.image.constants import ENCRYPTION_TLVS, IMAGE_HEADER_SIZE, ImageFlag, TlvType
from zephyr_ota.image.header import ImageHeader
from zephyr_ota.image.output import ImageParts, write_image
from zephyr_ota.image.request import SignRequest
from zephyr_ota.image.tlv import Tlv, encode_area
from zephyr_ota.image.trailer import TrailerSpec
from zephyr_ota.keys.base import HashAlg, KeyType, PublicKey, Signer

# ``encrypt`` (AES, key wrapping) and ``protected`` (TLV content) are imported
# only for the images that need them: every ``zephyr-ota sign`` pays for imports.
if TYPE_CHECKING:
    from zephyr_ota.firmware.model import Firmware
    from zephyr_ota.image.encrypt import EncScheme

log = logging.getLogger(__name__)

# image.h: the signature TLV each key type writes.
SIG_TLV = {KeyType.RSA2048: TlvType.RSA2048_PSS, KeyType.RSA3072: TlvType.RSA3072_PSS,
           KeyType.ECDSA_P256: TlvType.ECDSA_SIG, KeyType.ECDSA_P384: TlvType.ECDSA_SIG,
           KeyType.ED25519: TlvType.ED25519}
HASH_TLV = {HashAlg.SHA256: TlvType.SHA256, HashAlg.SHA384: TlvType.SHA384,
            HashAlg.SHA512: TlvType.SHA512}
# imgtool keys/ecdsa.py sig_len: --pad-sig pads DER signatures with zeros to
# these lengths (for MCUboot < 1.5).
ECDSA_PADDED_SIG = {KeyType.ECDSA_P256: 72, KeyType.ECDSA_P384: 103}


@dataclass(frozen=True)
class Encryption:
    """Encrypt for the device holding the private half of ``public_key``.

    ``public_key`` is a cryptography public key (RSA-2048, EC P-256 or
    X25519). ``aes_key`` is None in real use: every image gets a fresh random
    key (issue 7); tests may fix it to make the body deterministic.
    """

    public_key: Any
    aes_key: bytes | None = None
    origin: str = "-E"


@dataclass(frozen=True)
class FixedSignature:
    """``--fix-sig``/``--fix-sig-pubkey``: a signature made elsewhere, as a Signer."""

    signature: bytes
    public: PublicKey

    def sign_digest(self, digest: bytes, hash_alg: HashAlg) -> bytes:
        return self.signature

    def sign_payload(self, payload: bytes) -> bytes:
        return self.signature


@dataclass(frozen=True)
class SignedImage:
    """What ``sign_image`` wrote."""

    path: Path
    output_format: str              # "bin" or "hex"
    header: ImageHeader
    hash_alg: HashAlg
    digest: bytes                   # the hash TLV: over header, plaintext body, protected TLVs
    signature: bytes | None
    protected_tlvs: tuple[Tlv, ...]
    tlvs: tuple[Tlv, ...]
    image_size: int                 # header + body + TLV areas, without slot padding
    trailer_size: int               # imgtool's trailer estimate for this image
    slot_size: int
    padded: bool
    encrypted_body: bool            # False for plain and --clear images
    base_address: int | None        # hex output address
    vector: str | None = None       # "payload"/"digest": the file holds the data to sign

    @property
    def bytes_left(self) -> int:
        """Slot bytes left after the image and imgtool's trailer estimate."""
        return self.slot_size - self.image_size - self.trailer_size

    @property
    def key_tlv(self) -> Tlv | None:
        """The key-transport TLV of an encrypted image."""
        return next((t for t in self.tlvs if t.kind in ENCRYPTION_TLVS), None)


def choose_hash(sha: str, key_type: KeyType | None, pure: bool) -> HashAlg:
    """imgtool image.py ``key_and_user_sha_to_alg_and_tlv``: the key decides."""
    by_name = {"auto": HashAlg.SHA256, "256": HashAlg.SHA256, "384": HashAlg.SHA384,
               "512": HashAlg.SHA512}
    if key_type is None:
        if pure:
            raise UsageError("--pure needs a signing key (-k)")
        return by_name[sha]
    if pure:
        if key_type.pure_hash_alg is None:
            raise UsageError(f"--pure: {key_type.value} keys have no pure signature; "
                             "only ed25519 has")
        return key_type.pure_hash_alg
    allowed = key_type.hash_algs
    if sha == "auto":
        return allowed[0]
    if by_name[sha] not in allowed:
        names = ", ".join(a.value.removeprefix("sha") for a in allowed)
        raise UsageError(f"--sha {sha}: {key_type.value} keys sign with --sha {names} only")
    return by_name[sha]


@dataclass(frozen=True)
class _Body:
    """The firmware split as the image holds it."""

    header_fill: bytes        # header area after the 32-byte struct
    body: memoryview | BinFile  # BinFile: streamed from the file while written
    enc_pad: int              # zeros imgtool appends so the body is a multiple of 16
    base_address: int | None


def _streams(request: SignRequest, firmware: Firmware | BinFile,
             output: str | os.PathLike[str]) -> bool:
    """A raw binary going into a binary image is streamed from its file, not
    held in memory; pure signatures and vectors need the payload whole."""
    return (isinstance(firmware, BinFile) and not request.pure
            and not request.vector_to_sign and Path(output).suffix.lower() != ".hex")


def _split_firmware(request: SignRequest, firmware: Firmware | BinFile, encrypting: bool,
                    stream: bool) -> _Body:
    data: memoryview | BinFile = (firmware if isinstance(firmware, BinFile) and stream
                                  else memoryview(firmware.to_bytes(request.erased_val)))
    size = request.header_size
    base = firmware.base_address
    if request.pad_header:
        fill = bytes([request.erased_val]) * (size - IMAGE_HEADER_SIZE)
        body = data
        if base:  # imgtool image.py load(): the header goes in front of the code
            base -= size
            if base < 0:
                raise UsageError(f"{firmware.path}: --pad-header moves the start below 0")
    else:
        head = data.read(size) if isinstance(data, BinFile) else data[:size]
        if len(head) < size or any(head):
            raise UsageError(
                f"{firmware.path}: the first {size:#x} bytes must be zeros to hold the "
                f"{size:#x}-byte header", hint="give --pad-header to put the header in front")
        fill = bytes(head[IMAGE_HEADER_SIZE:size])
        body = data.from_offset(size) if isinstance(data, BinFile) else data[size:]
    # imgtool image.py create(): encrypted images are padded to 16 bytes.
    enc_pad = 0
    if encrypting:
        from zephyr_ota.image.encrypt import AES_BLOCK

        enc_pad = -(size + len(body)) % AES_BLOCK
    return _Body(fill, body, enc_pad, base)


def _flags(request: SignRequest, encrypting: bool) -> ImageFlag:
    flags = ImageFlag(0)
    if encrypting:
        flags |= (ImageFlag.ENCRYPTED_AES256 if request.encrypt_keylen == 256
                  else ImageFlag.ENCRYPTED_AES128)
    if request.load_addr:
        flags |= ImageFlag.RAM_LOAD
    if request.rom_fixed:
        flags |= ImageFlag.ROM_FIXED
    if request.non_bootable:
        flags |= ImageFlag.NON_BOOTABLE
    return flags


def _protected(request: SignRequest, hash_alg: HashAlg, pub: PublicKey | None) -> tuple[Tlv, ...]:
    if (request.counter_value is None and request.boot_record is None
            and not request.dependencies and not (request.vid or request.cid)
            and not request.custom_tlvs):
        return ()
    from zephyr_ota.image.protected import (
        ProtectedContent,
        boot_record,
        parse_uuid,
        protected_tlvs,
    )

    record = None
    if request.boot_record is not None:
        signer_id = (hashlib.new(hash_alg.value, pub.public_bytes()).digest() if pub
                     else bytes(32))
        record = boot_record(request.boot_record, request.version, HASH_TLV[hash_alg],
                             hash_alg.digest_size, signer_id)
    vid = cid = None
    if request.vid or request.cid:
        import uuid  # only when asked for: it loads platform (import time)

        vid = parse_uuid(request.vid, uuid.NAMESPACE_DNS, "--vid") if request.vid else None
        cid = (parse_uuid(request.cid, uuid.UUID(bytes=vid) if vid else None, "--cid")
               if request.cid else None)
    return protected_tlvs(ProtectedContent(
        security_counter=request.counter_value, boot_record=record,
        dependencies=request.dependencies, vid=vid, cid=cid, custom=request.custom_tlvs))


def _check_keys(request: SignRequest, signer: Signer | None,
                encryption: Encryption | None) -> EncScheme | None:
    if signer is not None and not signer.public.key_type.can_sign:
        raise KeyFileError(f"-k: {signer.public.key_type.value} keys cannot sign images",
                           hint="x25519 keys only encrypt; give it to -E")
    if encryption is None:
        if request.clear:
            raise UsageError("-c/--clear needs an encryption key (-E)")
        return None
    from zephyr_ota.image import encrypt as enc

    scheme = enc.scheme_for(encryption.public_key, request.hmac_sha, encryption.origin)
    sig_type = signer.public.key_type if signer is not None else None
    enc.check_pairing(sig_type, scheme, request.pure)
    return scheme


def _signature(request: SignRequest, signer: Signer, digest: bytes, hash_alg: HashAlg,
               payload: bytes | None) -> bytes:
    if request.pure:
        assert payload is not None
        sig = signer.sign_payload(payload)
    else:
        sig = signer.sign_digest(digest, hash_alg)
    if isinstance(signer, FixedSignature):
        pub = signer.public
        ok = (pub.verify_payload(sig, payload) if payload is not None and request.pure
              else pub.verify_digest(sig, digest, hash_alg))
        if not ok:
            raise UsageError("--fix-sig: the signature does not verify with --fix-sig-pubkey "
                             "over this image")
    padded = ECDSA_PADDED_SIG.get(signer.public.key_type)
    if request.pad_sig and padded:
        sig += bytes(max(0, padded - len(sig)))
    return sig


def _unprotected(request: SignRequest, signer: Signer | None, hash_alg: HashAlg,
                 digest: bytes, sig: bytes | None) -> list[Tlv]:
    tlvs = [Tlv(HASH_TLV[hash_alg], digest)]
    if request.pure:
        tlvs.append(Tlv(TlvType.SIG_PURE, b"\x01"))  # image.h IMAGE_TLV_SIG_PURE: bool
    if signer is not None and sig is not None:
        pub_bytes = signer.public.public_bytes()
        if request.public_key_format == "hash":
            tlvs.append(Tlv(TlvType.KEYHASH, hashlib.new(hash_alg.value, pub_bytes).digest()))
        else:
            tlvs.append(Tlv(TlvType.PUBKEY, pub_bytes))
        tlvs.append(Tlv(SIG_TLV[signer.public.key_type], sig))
    return tlvs


def _hash_payload(hash_alg: HashAlg, parts: list[bytes | memoryview]) -> bytes:
    h = hashlib.new(hash_alg.value)
    for part in parts:
        h.update(part)
    return h.digest()


def sign_image(request: SignRequest, firmware: Firmware | BinFile, signer: Signer | None,
               output: str | os.PathLike[str],
               encryption: Encryption | None = None) -> SignedImage:
    """Write the image for ``firmware`` to ``output`` (``.hex`` -> Intel HEX, else binary).

    ``firmware`` is a ``zephyr_ota.firmware.Firmware`` (anything with
    ``path``, ``base_address`` and ``to_bytes(erased_val)``), or a
    ``firmware.binfile.BinFile`` (``open_bin``), which a binary output streams
    in one pass (hash, encrypt, write); ``signer`` is None for an unsigned
    (hash-only) image.
    """
    scheme = _check_keys(request, signer, encryption)
    pub = signer.public if signer is not None else None
    hash_alg = choose_hash(request.sha, pub.key_type if pub else None, request.pure)
    encrypting = encryption is not None
    src = _split_firmware(request, firmware, encrypting, _streams(request, firmware, output))
    prot = _protected(request, hash_alg, pub)
    prot_area = encode_area(prot, protected=True)
    header = ImageHeader(load_addr=request.rom_fixed or request.load_addr or 0,
                         hdr_size=request.header_size, protect_tlv_size=len(prot_area),
                         img_size=len(src.body) + src.enc_pad,
                         flags=_flags(request, encrypting), version=request.version)
    if isinstance(src.body, BinFile):
        from zephyr_ota.image.stream import StreamPlan, sign_streamed

        return sign_streamed(StreamPlan(request, signer, encryption, scheme, hash_alg,
                                        src, prot, header), Path(output))
    assert isinstance(src.body, memoryview)
    hashed: list[bytes | memoryview] = [header.pack(), src.header_fill, src.body,
                                        bytes(src.enc_pad), prot_area]
    digest = _hash_payload(hash_alg, hashed)
    payload = b"".join(hashed) if (request.pure or request.vector_to_sign == "payload") else None
    if request.vector_to_sign:
        return _write_vector(request, firmware, output, header, hash_alg, digest, payload, src)
    sig = _signature(request, signer, digest, hash_alg, payload) if signer else None
    tlvs = _unprotected(request, signer, hash_alg, digest, sig)
    aes_key = None
    if encryption is not None and scheme is not None:
        aes_key, key_tlv = _wrap_new_key(request, encryption, scheme)
        tlvs.append(key_tlv)
    parts = ImageParts(head=header.pack() + src.header_fill, body=src.body,
                       enc_pad=src.enc_pad, tail=prot_area + encode_area(tlvs, protected=False),
                       aes_key=None if request.clear else aes_key)
    spec = _trailer_spec(request, encrypting, tlvs)
    _check_fits(request, firmware, parts.size, spec)
    path = Path(output)
    fmt, base = write_image(path, parts, request, spec, src.base_address)
    return SignedImage(path=path, output_format=fmt, header=header, hash_alg=hash_alg,
                       digest=digest, signature=sig, protected_tlvs=prot, tlvs=tuple(tlvs),
                       image_size=parts.size, trailer_size=spec.size,
                       slot_size=request.slot_size, padded=request.padded,
                       encrypted_body=parts.aes_key is not None, base_address=base)


def _wrap_new_key(request: SignRequest, encryption: Encryption,
                  scheme: EncScheme) -> tuple[bytes, Tlv]:
    """A fresh AES key (or the fixed test key) and its key-transport TLV."""
    from zephyr_ota.image import encrypt as enc

    aes_key = encryption.aes_key or enc.new_aes_key(request.encrypt_keylen)
    if len(aes_key) * 8 != request.encrypt_keylen:
        raise UsageError(f"AES key of {len(aes_key)} bytes does not fit "
                         f"--encrypt-keylen {request.encrypt_keylen}")
    return aes_key, enc.wrap_key(encryption.public_key, scheme, aes_key)


def _trailer_spec(request: SignRequest, encrypting: bool, tlvs: list[Tlv]) -> TrailerSpec:
    key_tlv = tlvs[-1] if encrypting else None
    return TrailerSpec(align=request.align, max_align=request.effective_max_align,
                       max_sectors=request.max_sectors, overwrite_only=request.overwrite_only,
                       encrypted=encrypting, save_enctlv=request.save_enctlv,
                       enctlv_len=len(key_tlv.value) if key_tlv else 0)


def _check_fits(request: SignRequest, firmware: Firmware | BinFile, image_size: int,
                spec: TrailerSpec) -> None:
    """imgtool image.py ``check_trailer``: image + trailer must fit the slot."""
    if request.slot_size <= 0:
        return
    left = spec.bytes_left(image_size, request.slot_size)
    if left < 0:
        need = image_size + spec.size
        raise SlotOverflowError(
            f"{firmware.path}: image {image_size:#x} + trailer {spec.size:#x} = {need:#x} "
            f"bytes exceeds the slot size {request.slot_size:#x} by {-left:#x}",
            hint="shrink the firmware, enlarge the slot, or lower -M/--max-sectors "
                 "to the slot's real sector count")


def _write_vector(request: SignRequest, firmware: Firmware | BinFile,
                  output: str | os.PathLike[str],
                  header: ImageHeader, hash_alg: HashAlg, digest: bytes,
                  payload: bytes | None, src: _Body) -> SignedImage:
    """``--vector-to-sign``: write what an external signer must sign, nothing else."""
    data = payload if request.vector_to_sign == "payload" else digest
    assert data is not None
    parts = ImageParts(head=data, body=memoryview(b""), enc_pad=0, tail=b"", aes_key=None)
    path = Path(output)
    fmt, base = write_image(path, parts, request, None, src.base_address)
    return SignedImage(path=path, output_format=fmt, header=header, hash_alg=hash_alg,
                       digest=digest, signature=None, protected_tlvs=(), tlvs=(),
                       image_size=len(data), trailer_size=0, slot_size=request.slot_size,
                       padded=False, encrypted_body=False, base_address=base,
                       vector=request.vector_to_sign)


