"""The jinja2 environment over ``templates/`` and the layout's rendered files.

Entry points: ``template_dir()``, ``environment()``, ``render_template(name,
**context)`` for any template (key configs use ``templates/keys/``), and
``layout_files(LayoutRender) -> dict[relative path, text]`` for
``zephyr-ota layout``: overlays, Kconfig fragments, the text report and the
SVG flash map. Writing them is the caller's job (``fileio.atomic_write``).

Templates live at the top of the repository; a wheel carries them as
``zephyr_ota/templates`` (pyproject ``force-include``). The package copy
wins, then the checkout's ``templates/`` two levels above this file.

Where Zephyr looks for the files (sysbuild, Zephyr >= 3.6): the application
reads ``boards/<board>.overlay``; sysbuild gives the MCUboot image
``sysbuild/mcuboot.overlay`` and ``sysbuild/mcuboot.conf`` and reads
``sysbuild.conf`` (share/sysbuild/cmake/modules/sysbuild_extensions.cmake,
``ExternalZephyrProject_Add``). A ``sysbuild/mcuboot/`` *folder* would instead
become MCUboot's whole application configuration directory and hide its own
``prj.conf``, so we never write one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zephyr_ota.errors import InputError

if TYPE_CHECKING:
    import jinja2

    from zephyr_ota.layout.budget import Budget
    from zephyr_ota.layout.checks import Finding
    from zephyr_ota.layout.kconfig_values import KconfigValues
    from zephyr_ota.layout.model import Layout
    from zephyr_ota.layout.pm_import import Migration


def template_dir() -> Path:
    """The installed package's templates, else the checkout's."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent.parent / "templates"):
        if (candidate / "overlay.dts.j2").is_file():
            return candidate
    raise InputError(f"templates not found next to {here} nor in the checkout",
                     hint="reinstall zephyr-ota; the wheel carries zephyr_ota/templates")


def _hex(value: int) -> str:
    return f"{value:#x}"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir())),
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
        trim_blocks=True, lstrip_blocks=True,
        autoescape=jinja2.select_autoescape(enabled_extensions=("svg", "svg.j2", "xml")))
    env.filters["hex"] = _hex
    return env


def render_template(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)


@dataclass(frozen=True)
class LayoutRender:
    """Everything the layout files show."""

    layout: Layout
    mode: str
    board: str
    style: str                              # "fixed" or "mapped"
    kconfig: KconfigValues
    budgets: tuple[Budget, ...] = ()
    notes: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    migration: Migration | None = None
    title: str = "MCUboot partition layout"
    extra: dict[str, str] = field(default_factory=dict)


def _rows(r: LayoutRender) -> list[dict[str, str]]:
    from zephyr_ota.errors import LayoutError
    from zephyr_ota.layout.budget import partition_sectors

    rows = []
    for p in sorted(r.layout.partitions, key=lambda q: ([f.name for f in r.layout.flashes].index(q.flash), q.offset)):
        try:
            sectors = partition_sectors(r.layout, p)
            text = f"{len(sectors)} x {sectors[0]:#x}" if len(set(sectors)) == 1 else \
                "+".join(f"{s:#x}" for s in sectors)
        except LayoutError:
            text = "(not on sector boundaries)"
        rows.append({"label": p.label, "flash": p.flash.rsplit("/", 1)[-1], "start": f"{p.offset:#x}",
                     "end": f"{p.end:#x}", "size": f"{p.size:#x}", "sectors": text})
    return rows


def _flash_rows(r: LayoutRender) -> list[dict[str, str]]:
    used = {p.flash for p in r.layout.partitions}
    return [{"name": f.name, "size": f"{f.size:#x}", "erase": (
                "+".join(f"{s:#x}" for s in f.sectors) if f.sectors else f"{f.erase_block:#x}"),
             "write": str(f.write_block), "source": f.source or "given",
             "kind": "external" if f.external else "internal"}
            for f in r.layout.flashes if f.name in used]


def layout_files(r: LayoutRender) -> dict[str, str]:
    """Relative path -> text for every file ``zephyr-ota layout`` writes."""
    from zephyr_ota.layout.flashmap import flash_map
    from zephyr_ota.layout.overlay_model import overlay_model

    common = {"title": r.title, "mode": r.mode, "board": r.board}
    files = {
        f"boards/{r.board}.overlay": render_template(
            "overlay.dts.j2", model=overlay_model(r.layout, r.style), **common),
        "sysbuild/mcuboot.overlay": render_template(
            "overlay.dts.j2", model=overlay_model(r.layout, r.style, for_mcuboot=True), **common),
        "sysbuild/mcuboot.conf": render_template(
            "kconfig.conf.j2", what="MCUboot's configuration", lines=r.kconfig.lines("mcuboot"),
            **common),
        "sysbuild.conf": render_template(
            "kconfig.conf.j2", what="sysbuild", lines=r.kconfig.lines("sysbuild"), **common),
        "ota-layout.conf": render_template(
            "kconfig.conf.j2", what="the application (add to prj.conf or EXTRA_CONF_FILE)",
            lines=r.kconfig.lines("app"), **common),
        "layout-report.txt": render_template(
            "report.txt.j2", style=r.style, rows=_rows(r), flashes=_flash_rows(r),
            budgets=r.budgets, notes=r.notes,
            findings=r.findings, migration=r.migration,
            kconfig_lines=[*r.kconfig.lines("sysbuild"), *r.kconfig.lines("mcuboot"),
                           *r.kconfig.lines("app")], **common),
        "flash-map.svg": render_template(
            "flashmap.svg.j2", map=flash_map(r.layout, r.budgets, f"{r.title}: {r.board}, {r.mode}")),
    }
    files.update(r.extra)
    return files
