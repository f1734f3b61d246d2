"""Devicetree address arithmetic on dtlib nodes (used through ``props`` and
``parent`` only, so this module does not import dtlib): ``reg``, ``ranges``
and translation of an address up the tree as Zephyr's edtlib does
(``_translate`` in edtlib.py: a parent without ``ranges`` ends it).

Entry points: ``reg_of(node)``, ``translate(addr, node, stop)``,
``translate_lenient(addr, node, stop)``, ``ranges_of(node)``.
"""

from __future__ import annotations

from typing import Any


def _cells(node: Any, name: str, default: int) -> int:
    prop = node.props.get(name) if node is not None else None
    return prop.to_num() if prop is not None else default


def _num(cells: list[int]) -> int:
    value = 0
    for c in cells:
        value = (value << 32) | c
    return value


def reg_of(node: Any) -> tuple[int, int] | None:
    """First (address, size) of ``reg`` in the parent's address space."""
    prop = node.props.get("reg")
    if prop is None or node.parent is None:
        return None
    ac, sc = _cells(node.parent, "#address-cells", 2), _cells(node.parent, "#size-cells", 1)
    cells = prop.to_nums()
    if len(cells) < ac + sc or ac == 0:
        return None
    return _num(cells[:ac]), _num(cells[ac:ac + sc])


def ranges_of(node: Any) -> list[tuple[int, int, int]] | None:
    """``ranges`` of ``node`` as (child, parent, length); [] is identity; None when absent."""
    prop = node.props.get("ranges")
    if prop is None:
        return None
    cells = prop.to_nums() if prop.value else []
    ca, sc = _cells(node, "#address-cells", 2), _cells(node, "#size-cells", 1)
    pa = _cells(node.parent, "#address-cells", 2) if node.parent is not None else 2
    step, out = ca + pa + sc, []
    for i in range(0, len(cells) - step + 1, step):
        out.append((_num(cells[i:i + ca]), _num(cells[i + ca:i + ca + pa]),
                    _num(cells[i + ca + pa:i + step])))
    return out


def _map(addr: int, ranges: list[tuple[int, int, int]]) -> int:
    for child, parent, length in ranges:
        if child <= addr < child + length:
            return addr - child + parent
    return addr


def translate(addr: int, node: Any, stop: Any = None) -> tuple[int, Any]:
    """Move ``addr`` (in ``node.parent``'s child space) up to ``stop``'s child space.

    Returns (address, first ancestor without ``ranges`` or None). As edtlib,
    translation ends at an ancestor without ``ranges``.
    """
    parent = node.parent
    while parent is not None and parent is not stop and parent.parent is not None:
        ranges = ranges_of(parent)
        if ranges is None:
            return addr, parent
        addr = _map(addr, ranges) if ranges else addr
        parent = parent.parent
    return addr, None


def translate_lenient(addr: int, node: Any, stop: Any) -> tuple[int, list[Any]]:
    """Like ``translate`` to ``stop``, but a parent without ``ranges`` counts as
    identity (what the author meant); returns those parents for findings."""
    lacking, parent = [], node.parent
    while parent is not None and parent is not stop:
        ranges = ranges_of(parent)
        if ranges is None:
            lacking.append(parent)
        elif ranges:
            addr = _map(addr, ranges)
        parent = parent.parent
    return addr, lacking
