"""Geometry of the SVG flash map: one column per flash, drawn to scale.

Entry point: ``flash_map(layout, budgets)`` -> ``FlashMap`` (rectangles with
their text, and a legend row per partition). Pure arithmetic; the template
``templates/flashmap.svg.j2`` draws it. Addresses grow downwards; every gap
between partitions is drawn as free space; each image slot shows the
bootloader's trailer at its end, and swap-using-move/offset show the spare
sector the swap needs (``zephyr_ota.layout.budget``).
"""

from __future__ import annotations

from dataclasses import dataclass

from zephyr_ota.layout.budget import Budget, slot_labels
from zephyr_ota.layout.model import Layout, Partition, UpgradeMode

COLUMN_W, BAR_W, BAR_H, TOP, ROW_H = 480, 110, 560, 60, 16
COLORS = {"boot": "#4e79a7", "primary": "#59a14f", "secondary": "#8cd17d",
          "scratch": "#f28e2b", "storage": "#b07aa1", "other": "#bab0ac", "free": "#f2f2f2",
          "trailer": "#e15759", "spare": "#edc948"}


def human(size: int) -> str:
    """``0x76000 (472 KiB)``: exact hex, rounded binary units for the eye."""
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale and size % (scale // 4 or 1) == 0:
            return f"{size:#x} ({size / scale:g} {unit})"
    return f"{size:#x} ({size} B)"


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    text: str = ""
    title: str = ""


@dataclass(frozen=True)
class Column:
    title: str
    x: float
    rects: tuple[Rect, ...]
    texts: tuple[Rect, ...]            # text anchors (x, y) beside the bar


@dataclass(frozen=True)
class LegendRow:
    label: str
    flash: str
    start: str
    end: str
    size: str


@dataclass(frozen=True)
class FlashMap:
    width: int
    height: int
    title: str
    columns: tuple[Column, ...]
    legend: tuple[LegendRow, ...]
    legend_y: int


def _kind(p: Partition) -> str:
    if p.label == "boot_partition":
        return "boot"
    if p.label == "scratch_partition":
        return "scratch"
    if p.label.startswith("storage"):
        return "storage"
    if p.label.startswith("slot") and p.label[4:-10].isdigit():
        return "primary" if int(p.label[4:-10]) % 2 == 0 else "secondary"
    return "other"


def _slot_budgets(budgets: tuple[Budget, ...]) -> dict[str, tuple[Budget, bool]]:
    out = {}
    for image, budget in enumerate(budgets):
        primary, secondary = slot_labels(image)
        out[primary] = (budget, True)
        out[secondary] = (budget, False)
    return out


def _inner(p: Partition, rect: Rect, scale: float, budget: Budget, primary: bool) -> list[Rect]:
    """Trailer (and the spare sector) drawn inside a slot."""
    out = []
    trailer = budget.trailer_size
    sector_band = budget.trailer_sectors * (budget.spare_sector or 0)
    band = max(trailer, sector_band)
    h = max(band * scale, 2.0)
    out.append(Rect(rect.x, rect.y + rect.h - h, rect.w, h, COLORS["trailer"],
                    title=f"{p.label}: MCUboot trailer {trailer} B"
                          + (f" in {budget.trailer_sectors} sector(s)" if sector_band else "")))
    spare_here = (budget.mode is UpgradeMode.SWAP_USING_MOVE and primary) or \
                 (budget.mode is UpgradeMode.SWAP_USING_OFFSET and not primary)
    if spare_here and budget.spare_sector:
        sh = max(budget.spare_sector * scale, 2.0)
        y = rect.y if budget.mode is UpgradeMode.SWAP_USING_OFFSET else rect.y + rect.h - h - sh
        out.append(Rect(rect.x, y, rect.w, sh, COLORS["spare"],
                        title=f"{p.label}: spare sector {budget.spare_sector} B ({budget.mode.value})"))
    return out


def _column(layout: Layout, index: int, name: str, slots: dict[str, tuple[Budget, bool]]) -> Column:
    flash = layout.flash(name)
    scale = BAR_H / flash.size
    x = 20 + index * COLUMN_W
    parts = sorted((p for p in layout.partitions if p.flash == name and not p.container),
                   key=lambda p: p.offset)
    rects: list[Rect] = []
    texts: list[Rect] = []
    pos = 0
    for p in [*parts, None]:
        start = p.offset if p is not None else flash.size
        if start > pos:      # free space
            r = Rect(x, TOP + pos * scale, BAR_W, max((start - pos) * scale, 1.0), COLORS["free"],
                     title=f"free {pos:#x}..{start:#x}")
            rects.append(r)
            texts.append(Rect(x + BAR_W + 8, r.y + r.h / 2, 0, 0, "", f"free {human(start - pos)}"))
        if p is None:
            break
        r = Rect(x, TOP + p.offset * scale, BAR_W, max(p.size * scale, 2.0), COLORS[_kind(p)],
                 title=f"{p.label} {p.offset:#x}..{p.end:#x} {p.size} B")
        rects.append(r)
        if p.label in slots:
            rects += _inner(p, r, scale, *slots[p.label])
        texts.append(Rect(x + BAR_W + 8, r.y + r.h / 2, 0, 0, "",
                          f"{p.label} @{p.offset:#x} {human(p.size)}"))
        if p.label in slots:
            budget = slots[p.label][0]
            texts.append(Rect(x + BAR_W + 8, r.y + r.h / 2 + 13, 0, 0, "",
                              f"  max image {budget.max_image_size} B, trailer "
                              f"{budget.trailer_size} B"))
        pos = max(pos, p.end)
    title = name.rsplit("/", 1)[-1] + f" ({human(flash.size)})"
    return Column(title, x, tuple(rects), tuple(_spread(texts)))


def _spread(texts: list[Rect]) -> list[Rect]:
    """Push labels apart so none overlaps the one above it."""
    out: list[Rect] = []
    last = -1e9
    for t in texts:
        y = max(t.y, last + 13)
        out.append(Rect(t.x, y, 0, 0, "", t.text))
        last = y
    return out


def flash_map(layout: Layout, budgets: tuple[Budget, ...] = (), title: str = "") -> FlashMap:
    names = [f.name for f in layout.flashes if any(p.flash == f.name for p in layout.partitions)]
    slots = _slot_budgets(budgets)
    columns = tuple(_column(layout, i, n, slots) for i, n in enumerate(names))
    label_bottom = max((t.y for c in columns for t in c.texts), default=TOP)
    legend_y = int(max(TOP + BAR_H, label_bottom) + 40)
    legend = tuple(LegendRow(p.label, p.flash.rsplit("/", 1)[-1], f"{p.offset:#x}",
                             f"{p.end:#x}", human(p.size))
                   for n in names for p in sorted((q for q in layout.partitions if q.flash == n),
                                                  key=lambda q: q.offset))
    height = legend_y + ROW_H * (len(legend) + 2) + 20
    width = max(20 + len(columns) * COLUMN_W, 640)
    return FlashMap(width, height, title, columns, legend, legend_y)
