"""A value together with where it came from, and the precedence rule.

Entry points: ``Resolved`` (value + source text, e.g. ``--slot-size`` or
``build/zephyr/.config:123: CONFIG_ROM_START_OFFSET``) and ``first_of``,
which applies the precedence every parameter follows: command-line option,
then ota.yml, then the build directory, then a documented default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Resolved(Generic[T]):
    """``value`` and ``source``: the option, file:line or rule it came from."""

    value: T
    source: str

    def __post_init__(self) -> None:
        if not self.source:
            raise ValueError("Resolved: every value needs a source")

    def __str__(self) -> str:
        return f"{self.value} ({self.source})"


def first_of(name: str, *candidates: tuple[T | None, str]) -> Resolved[T] | None:
    """The first candidate ``(value, source)`` whose value is not None.

    Candidates come in precedence order: option, ota.yml, build, default.
    Returns None when none is set (the caller decides whether that is an
    error); ``name`` is only used for the debug trail.
    """
    for value, source in candidates:
        if value is not None:
            return Resolved(value, source)
    return None
