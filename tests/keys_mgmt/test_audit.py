"""Each finding of ``keys check`` as a pure function over plain facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from zephyr_ota.keys import audit
from zephyr_ota.keys.audit import AuditInput, KeyFacts, Severity, key_facts
from zephyr_ota.keys.base import KeyType
from zephyr_ota.keys.bootconfig import BootKeyConfig

from .conftest import DEV_KEYS

PEMS = sorted(DEV_KEYS.glob("*.pem"))


def fresh(tmp_path: Path, name: str, key_type: KeyType = KeyType.ECDSA_P256,
          public_only: bool = False, mode: int = 0o600) -> Path:
    from zephyr_ota.keys import generate_key

    key = generate_key(key_type)
    path = tmp_path / name
    path.write_bytes(key.public.public_pem() if public_only else key.private_pem())
    path.chmod(mode)
    return path


@pytest.mark.parametrize("pem", PEMS, ids=[p.name for p in PEMS])
def test_published_key_warns_in_development_and_fails_release(pem: Path, tmp_path: Path) -> None:
    copy = tmp_path / pem.name
    copy.write_bytes(pem.read_bytes())
    copy.chmod(0o600)
    facts = key_facts(copy)
    role = "encryption" if pem.name.startswith("enc-") else "signing"
    request = AuditInput(**{role: facts})
    dev = audit.audit(request)
    assert dev.codes() == (audit.PUBLISHED_KEY,)
    assert dev and dev.warnings and not dev.errors
    finding = dev.findings[0]
    assert finding.message.startswith(f"{copy}: {role} key is MCUboot's published {role} key (")
    assert pem.name in finding.message
    release = audit.audit(AuditInput(**{role: facts}, release=True))
    assert not release and release.errors == (finding,)


def test_world_and_group_readable_private_keys(tmp_path: Path) -> None:
    world = key_facts(fresh(tmp_path, "w.pem", mode=0o644))
    group = key_facts(fresh(tmp_path, "g.pem", mode=0o640))
    ok = key_facts(fresh(tmp_path, "ok.pem", mode=0o600))
    public = key_facts(fresh(tmp_path, "pub.pem", public_only=True, mode=0o644))
    finding = audit.check_permissions(world)
    assert finding is not None and finding.code == audit.WORLD_READABLE
    assert finding.message == (f"{world.path}: private key is readable by everyone (mode 0644); "
                               f"expected 0600")
    assert "its group" in audit.check_permissions(group).message  # type: ignore[union-attr]
    assert audit.check_permissions(ok) is None
    assert audit.check_permissions(public) is None
    report = audit.audit(AuditInput(signing=world, release=True))
    assert [f.code for f in report.errors] == [audit.WORLD_READABLE]


def test_signing_type_must_match_mcuboot(tmp_path: Path) -> None:
    key = key_facts(fresh(tmp_path, "s.pem", KeyType.ED25519))
    boot = BootKeyConfig(signature="ECDSA_P256",
                         source="mcuboot/zephyr/.config:12: CONFIG_BOOT_SIGNATURE_TYPE_ECDSA_P256")
    finding = audit.check_signing_type(key, boot)
    assert finding is not None and finding.severity is Severity.ERROR
    assert finding.message == (f"{key.path}: signing key is ed25519, but MCUboot verifies "
                               f"ecdsa-p256 (mcuboot/zephyr/.config:12: "
                               f"CONFIG_BOOT_SIGNATURE_TYPE_ECDSA_P256)")
    assert audit.check_signing_type(key, BootKeyConfig(signature="ED25519")) is None


def test_rsa_length_matters(tmp_path: Path) -> None:
    key = key_facts(fresh(tmp_path, "r.pem", KeyType.RSA3072))
    assert audit.check_signing_type(key, BootKeyConfig(signature="RSA")) is not None
    assert audit.check_signing_type(key, BootKeyConfig(signature="RSA", rsa_len=3072)) is None


def test_hash_only_mcuboot_is_flagged(tmp_path: Path) -> None:
    key = key_facts(fresh(tmp_path, "s.pem"))
    finding = audit.check_signing_type(key, BootKeyConfig(signature="NONE", source="x:1"))
    assert finding is not None and finding.code == audit.HASH_ONLY and finding.release_error


@pytest.mark.parametrize(("signature", "enc_type", "ok"), [
    ("ECDSA_P256", KeyType.ECDSA_P256, True),
    ("ED25519", KeyType.X25519, True),
    ("RSA", KeyType.RSA2048, True),
    ("ED25519", KeyType.ECDSA_P256, False),
    ("ECDSA_P256", KeyType.X25519, False),
    ("ECDSA_P256", KeyType.ECDSA_P384, False),
])
def test_encryption_type_follows_signature_type(tmp_path: Path, signature: str,
                                                enc_type: KeyType, ok: bool) -> None:
    key = key_facts(fresh(tmp_path, "e.pem", enc_type))
    finding = audit.check_encryption_type(key, BootKeyConfig(signature=signature, encrypt=True))
    if ok:
        assert finding is None
    else:
        assert finding is not None and finding.code == audit.ENCRYPTION_TYPE
        assert finding.message.startswith(f"{key.path}: encryption key is {enc_type.value}, "
                                          f"but MCUboot with BOOT_SIGNATURE_TYPE_{signature} "
                                          f"decrypts ")


def test_encryption_key_without_mcuboot_encryption(tmp_path: Path) -> None:
    key = key_facts(fresh(tmp_path, "e.pem"))
    finding = audit.check_encryption_type(key, BootKeyConfig(signature="ECDSA_P256"))
    assert finding is not None and finding.code == audit.ENCRYPTION_OFF


def test_trusted_list_entries_after_the_first_are_public_only(tmp_path: Path) -> None:
    first = key_facts(fresh(tmp_path, "a.pem"))
    public = key_facts(fresh(tmp_path, "b.pub.pem", public_only=True))
    private = key_facts(fresh(tmp_path, "c.pem"))
    assert audit.check_trusted_list([first, public]) == []
    findings = audit.check_trusted_list([first, public, private])
    assert [f.code for f in findings] == [audit.PRIVATE_IN_LIST]
    assert findings[0].message == (f"{private.path}: trusted key #2 holds a private key; "
                                   f"entries after the first must be public-only")
    other = key_facts(fresh(tmp_path, "d.pub.pem", KeyType.ED25519, public_only=True))
    assert [f.code for f in audit.check_trusted_list([first, other])] == [audit.SIGNING_TYPE]


def test_key_match_names_the_trusted_entry(tmp_path: Path) -> None:
    dev = key_facts(fresh(tmp_path, "dev.pem"))
    prod_path = tmp_path / "prod.pem"
    prod_path.write_bytes(Path(fresh(tmp_path, "p.pem")).read_bytes())
    prod_path.chmod(0o600)
    prod = key_facts(prod_path)
    prod_pub = tmp_path / "prod.pub.pem"
    from zephyr_ota.keys import load_public_key

    prod_pub.write_bytes(load_public_key(prod_path).public_pem())
    trusted = [dev, key_facts(prod_pub)]
    found = audit.check_key_match(prod, trusted)
    assert found.code == audit.KEY_TRUSTED
    assert found.message == f"{prod.path}: signing key is MCUboot's trusted key #1 ({prod_pub})"
    assert audit.check_key_match(dev, trusted).code == audit.KEY_TRUSTED
    third = key_facts(fresh(tmp_path, "third.pem"))
    refused = audit.check_key_match(third, trusted)
    assert refused.code == audit.KEY_NOT_TRUSTED and refused.severity is Severity.ERROR
    assert refused.message.startswith(f"{third.path}: signing key (hash ")
    assert refused.message.endswith(f"is not a key MCUboot trusts; trusted: {dev.path}, "
                                    f"{prod_pub}")


def test_clean_input_has_no_findings_but_the_match(tmp_path: Path) -> None:
    sig = key_facts(fresh(tmp_path, "s.pem"))
    enc = key_facts(fresh(tmp_path, "e.pem"))
    report = audit.audit(AuditInput(signing=sig, encryption=enc, trusted=(sig,), release=True,
                                    boot=BootKeyConfig(signature="ECDSA_P256", encrypt=True)))
    assert report.codes() == (audit.KEY_TRUSTED,) and report


def test_facts_keep_no_private_material(tmp_path: Path) -> None:
    path = fresh(tmp_path, "s.pem")
    facts = key_facts(path)
    assert isinstance(facts, KeyFacts) and facts.has_private
    from .conftest import assert_no_private_material

    assert_no_private_material(repr(facts), path)
