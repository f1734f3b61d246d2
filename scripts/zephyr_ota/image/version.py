"""Image versions and image dependencies as MCUboot stores them.

Entry points: ``ImageVersion`` (``parse``, ``str()``, ``mcumgr``),
``Dependency`` and ``parse_dependencies`` (imgtool's ``-d`` syntax).

MCUboot (image.h ``struct image_version``): major u8, minor u8, revision
u16, build number u32. imgtool writes ``major.minor.revision+build`` with
later parts optional and no leading zeros (imgtool ``version.py``).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from zephyr_ota.errors import UsageError

# image.h struct image_version: iv_major, iv_minor, iv_revision, iv_build_num.
VERSION_STRUCT = struct.Struct("<BBHI")
assert VERSION_STRUCT.size == 8

_NUM = r"(?:0|[1-9]\d*)"
_VERSION_RE = re.compile(rf"^({_NUM})(?:\.({_NUM})(?:\.({_NUM})(?:\+({_NUM}))?)?)?$")
_MCUMGR_RE = re.compile(rf"^({_NUM})\.({_NUM})\.({_NUM})\.({_NUM})$")
_LIMITS = (("major", 0xFF), ("minor", 0xFF), ("revision", 0xFFFF), ("build", 0xFFFFFFFF))


@dataclass(frozen=True, order=True)
class ImageVersion:
    """``major.minor.revision+build``; ordered as MCUboot compares them."""

    major: int = 0
    minor: int = 0
    revision: int = 0
    build: int = 0

    def __post_init__(self) -> None:
        for name, limit in _LIMITS:
            value = getattr(self, name)
            if not isinstance(value, int) or not 0 <= value <= limit:
                raise UsageError(f"version: {name} must be 0..{limit}, got {value!r}")

    @classmethod
    def parse(cls, text: str) -> ImageVersion:
        """Parse ``1``, ``1.2``, ``1.2.3``, ``1.2.3+4`` (imgtool) or ``1.2.3.4`` (MCUmgr)."""
        match = _VERSION_RE.match(text.strip()) or _MCUMGR_RE.match(text.strip())
        if not match:
            raise UsageError(
                f"version: expected major.minor.revision+build (later parts optional), "
                f"got {text!r}")
        return cls(*(int(g) if g else 0 for g in match.groups()))

    @classmethod
    def unpack(cls, data: bytes) -> ImageVersion:
        return cls(*VERSION_STRUCT.unpack(data))

    def pack(self) -> bytes:
        return VERSION_STRUCT.pack(self.major, self.minor, self.revision, self.build)

    @property
    def mcumgr(self) -> str:
        """The form MCUmgr's image list shows: ``1.2.3.4`` for 1.2.3+4."""
        return f"{self.major}.{self.minor}.{self.revision}.{self.build}"

    @property
    def security_counter(self) -> int:
        """imgtool's ``-s auto``: (major << 24) + (minor << 16) + revision."""
        return (self.major << 24) + (self.minor << 16) + self.revision

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.revision}+{self.build}"


# image.h struct image_dependency: image_id u8, 3 bytes of padding (imgtool
# writes zeros), then the minimal struct image_version.
DEPENDENCY_STRUCT = struct.Struct("<B3xBBHI")
assert DEPENDENCY_STRUCT.size == 12


@dataclass(frozen=True)
class Dependency:
    """This image needs image ``image_id`` at version ``min_version`` or later."""

    image_id: int
    min_version: ImageVersion

    def __post_init__(self) -> None:
        if not 0 <= self.image_id <= 0xFF:
            raise UsageError(f"dependency: image id must be 0..255, got {self.image_id}")

    def pack(self) -> bytes:
        v = self.min_version
        return DEPENDENCY_STRUCT.pack(self.image_id, v.major, v.minor, v.revision, v.build)

    @classmethod
    def unpack(cls, data: bytes) -> Dependency:
        image_id, *version = DEPENDENCY_STRUCT.unpack(data)
        return cls(image_id, ImageVersion(*version))

    def __str__(self) -> str:
        return f"({self.image_id}, {self.min_version})"


_DEP_RE = re.compile(r"\(\s*(\d+)\s*,\s*([0-9.+]+)\s*\)")


def parse_dependencies(text: str) -> tuple[Dependency, ...]:
    """Parse imgtool's ``-d "(1, 1.2.3+0), (2, 0.1)"``."""
    deps = []
    rest = text
    for match in _DEP_RE.finditer(text):
        deps.append(Dependency(int(match.group(1)), ImageVersion.parse(match.group(2))))
        rest = rest.replace(match.group(0), "", 1)
    if not deps or rest.strip(" ,\t"):
        raise UsageError(
            f"dependencies: expected \"(IMAGE_ID, VERSION), ...\", got {text!r}")
    return tuple(deps)
