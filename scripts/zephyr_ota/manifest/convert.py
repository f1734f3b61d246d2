"""Release manifest records <-> plain JSON values (dicts, lists, str, int).

Entry points: ``manifest_to_json(manifest) -> dict`` and
``manifest_from_json(value) -> ReleaseManifest``. Reading is strict: every
key the schema (``schema.json``) lists must be present, no other key may be,
and a wrong value raises ``FieldError`` whose field is the full path, e.g.
``images[1].image_hash.value``. ``mcumgr_version`` is written for readers
(phones, dashboards) and checked on reading against ``version``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from zephyr_ota.manifest.model import (
    Bootloader,
    Dependency,
    Encryption,
    FieldError,
    Identity,
    ImageEntry,
    ImageHash,
    InstallPolicy,
    Provenance,
    Release,
    ReleaseManifest,
    Target,
    Version,
)

T = TypeVar("T")
Json = dict[str, Any]

_IMAGE_KEYS = ("name", "type", "image_index", "slot", "board", "soc", "load_address", "slot_size",
               "file", "size", "sha256", "image_hash", "version", "mcumgr_version",
               "security_counter", "key_hash", "encryption", "upgrade_mode", "header_flags",
               "dependencies", "secondary_offset")
_TOP_KEYS = ("schema", "sequence_number", "created", "expires", "identity", "release", "target",
             "bootloader", "install", "images")


def manifest_to_json(m: ReleaseManifest) -> Json:
    """The manifest as JSON values, ready for ``canonical.canonical_bytes``."""
    return {
        "schema": m.schema,
        "sequence_number": m.sequence_number,
        "created": m.created,
        "expires": m.expires,
        "identity": {"vendor_domain": m.identity.vendor_domain, "vendor_id": m.identity.vendor_id,
                     "class_name": m.identity.class_name, "class_id": m.identity.class_id},
        "release": {"name": m.release.name, "version": m.release.version,
                    "provenance": {"zephyr_revision": m.release.provenance.zephyr_revision,
                                   "app_revision": m.release.provenance.app_revision}},
        "target": {"board": m.target.board, "soc": m.target.soc},
        "bootloader": {"name": m.bootloader.name, "upgrade_mode": m.bootloader.upgrade_mode,
                       "hash_alg": m.bootloader.hash_alg, "signature_alg": m.bootloader.signature_alg,
                       "trusted_key_hashes": list(m.bootloader.trusted_key_hashes),
                       "encryption_scheme": m.bootloader.encryption_scheme},
        "install": {"atomic": m.install.atomic, "order": list(m.install.order),
                    "confirm": m.install.confirm},
        "images": [image_to_json(i) for i in m.images],
    }


def image_to_json(i: ImageEntry) -> Json:
    return {
        "name": i.name, "type": i.type, "image_index": i.image_index, "slot": i.slot,
        "board": i.board, "soc": i.soc, "load_address": i.load_address, "slot_size": i.slot_size,
        "file": i.file, "size": i.size, "sha256": i.sha256,
        "image_hash": {"alg": i.image_hash.alg, "value": i.image_hash.value},
        "version": i.version.imgtool, "mcumgr_version": i.version.mcumgr,
        "security_counter": i.security_counter, "key_hash": i.key_hash,
        "encryption": None if i.encryption is None else {
            "scheme": i.encryption.scheme, "aes_key_bits": i.encryption.aes_key_bits},
        "upgrade_mode": i.upgrade_mode, "header_flags": list(i.header_flags),
        "dependencies": [{"image_index": d.image_index, "min_version": d.min_version.imgtool}
                         for d in i.dependencies],
        "secondary_offset": i.secondary_offset,
    }


class _Reader:
    """Reads one JSON object, prefixing every error with its path."""

    def __init__(self, value: object, path: str, keys: tuple[str, ...]) -> None:
        if not isinstance(value, Mapping):
            raise FieldError(path or "manifest", f"expected an object, got {_kind(value)}")
        extra = sorted(set(value) - set(keys))
        if extra:
            raise FieldError(_join(path, extra[0]), "unknown key (not in the manifest schema)")
        missing = [k for k in keys if k not in value]
        if missing:
            raise FieldError(_join(path, missing[0]), "missing")
        self.value, self.path = value, path

    def get(self, key: str) -> Any:
        return self.value[key]

    def nested(self, key: str, keys: tuple[str, ...]) -> _Reader:
        return _Reader(self.value[key], _join(self.path, key), keys)

    def items(self, key: str) -> list[tuple[str, Any]]:
        seq = self.value[key]
        if not isinstance(seq, list):
            raise FieldError(_join(self.path, key), f"expected a list, got {_kind(seq)}")
        return [(f"{_join(self.path, key)}[{n}]", item) for n, item in enumerate(seq)]

    def make(self, factory: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call a record constructor; its FieldError gets this reader's path."""
        try:
            return factory(*args, **kwargs)
        except FieldError as e:
            local = e.field.split(".", 1)[-1] if "." in e.field and self.path else e.field
            raise FieldError(_join(self.path, local), e.detail) from e
        except TypeError as e:  # a list where a str belongs, and the like
            raise FieldError(self.path or "manifest", f"malformed value: {e}") from e


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            int: "an integer", type(None): "null"}.get(type(value), type(value).__name__)


def _str_list(r: _Reader, key: str) -> tuple[str, ...]:
    out = []
    for path, item in r.items(key):
        if not isinstance(item, str):
            raise FieldError(path, f"expected a string, got {_kind(item)}")
        out.append(item)
    return tuple(out)


def manifest_from_json(value: object) -> ReleaseManifest:
    """Parse and validate a manifest from JSON values."""
    r = _Reader(value, "", _TOP_KEYS)
    ident = r.nested("identity", ("vendor_domain", "vendor_id", "class_name", "class_id"))
    rel = r.nested("release", ("name", "version", "provenance"))
    prov = rel.nested("provenance", ("zephyr_revision", "app_revision"))
    tgt = r.nested("target", ("board", "soc"))
    boot = r.nested("bootloader", ("name", "upgrade_mode", "hash_alg", "signature_alg",
                                   "trusted_key_hashes", "encryption_scheme"))
    inst = r.nested("install", ("atomic", "order", "confirm"))
    images = tuple(_image_from_json(_Reader(item, path, _IMAGE_KEYS)) for path, item in r.items("images"))
    return r.make(
        ReleaseManifest,
        sequence_number=r.get("sequence_number"), created=r.get("created"), expires=r.get("expires"),
        identity=ident.make(Identity, **{k: ident.get(k) for k in
                                         ("vendor_domain", "vendor_id", "class_name", "class_id")}),
        release=rel.make(Release, rel.get("name"), rel.get("version"),
                         prov.make(Provenance, prov.get("zephyr_revision"), prov.get("app_revision"))),
        target=tgt.make(Target, tgt.get("board"), tgt.get("soc")),
        bootloader=boot.make(Bootloader, upgrade_mode=boot.get("upgrade_mode"),
                             hash_alg=boot.get("hash_alg"), signature_alg=boot.get("signature_alg"),
                             trusted_key_hashes=_str_list(boot, "trusted_key_hashes"),
                             encryption_scheme=boot.get("encryption_scheme"), name=boot.get("name")),
        install=inst.make(InstallPolicy, inst.get("atomic"), _str_list(inst, "order"), inst.get("confirm")),
        images=images, schema=r.get("schema"))


def _image_from_json(r: _Reader) -> ImageEntry:
    h = r.nested("image_hash", ("alg", "value"))
    enc = None
    if r.get("encryption") is not None:
        e = r.nested("encryption", ("scheme", "aes_key_bits"))
        enc = e.make(Encryption, e.get("scheme"), e.get("aes_key_bits"))
    deps = []
    for path, item in r.items("dependencies"):
        d = _Reader(item, path, ("image_index", "min_version"))
        deps.append(d.make(Dependency, d.get("image_index"),
                           d.make(Version.parse, d.get("min_version"), "min_version")))
    version = r.make(Version.parse, r.get("version"), "version")
    if r.get("mcumgr_version") != version.mcumgr:
        raise FieldError(_join(r.path, "mcumgr_version"),
                         f"expected {version.mcumgr!r} (from version {version.imgtool}), "
                         f"got {r.get('mcumgr_version')!r}")
    fields = {k: r.get(k) for k in ("name", "type", "image_index", "slot", "board", "soc",
                                    "load_address", "slot_size", "file", "size", "sha256",
                                    "security_counter", "key_hash", "upgrade_mode", "secondary_offset")}
    return r.make(ImageEntry, **fields, version=version, encryption=enc,
                  image_hash=h.make(ImageHash, h.get("alg"), h.get("value")),
                  header_flags=_str_list(r, "header_flags"), dependencies=tuple(deps))
