"""A minimal DER encoder: just what ``getpriv --minimal`` re-encodes.

Entry points: ``integer``, ``octet_string``, ``sequence``, ``tagged``,
``oid_der`` (pre-encoded object identifiers are passed through as bytes).
"""

from __future__ import annotations


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag: int, body: bytes) -> bytes:
    """One DER element: tag, definite length, body."""
    return bytes([tag]) + _length(len(body)) + body


def integer(value: int) -> bytes:
    """A DER INTEGER (two's complement, minimal length)."""
    body = value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True)
    return tlv(0x02, body)


def octet_string(body: bytes) -> bytes:
    return tlv(0x04, body)


def sequence(*elements: bytes) -> bytes:
    return tlv(0x30, b"".join(elements))


def tagged(number: int, body: bytes) -> bytes:
    """A context-specific constructed element ``[number]``."""
    return tlv(0xA0 | number, body)
