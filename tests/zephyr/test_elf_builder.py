"""The synthesized ELF is what pyelftools (and so our firmware reader) sees."""

from __future__ import annotations

import io

from elftools.elf.elffile import ELFFile

from helpers.elf_builder import (
    PF_R,
    PF_W,
    ElfSegment,
    ElfSymbol,
    build_elf,
    zephyr_like_app,
    zephyr_like_symbols,
)


def test_segments_and_lma():
    segs = zephyr_like_app(0xC200, 0x400)
    elf = ELFFile(io.BytesIO(build_elf(segs, zephyr_like_symbols(0xC200))))
    assert elf.header.e_machine == "EM_ARM"
    assert elf.elfclass == 32 and elf.little_endian
    loads = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
    assert [(s["p_vaddr"], s["p_paddr"], s["p_filesz"]) for s in loads] == [
        (0xC200, 0xC200, 0x400), (0x20000000, 0xC600, 0x40), (0x20000040, 0x20000040, 0)]
    assert loads[0].data() == segs[0].data
    assert loads[1].data() == segs[1].data
    assert loads[2]["p_memsz"] == 0x100


def test_sections_and_symbols():
    segs = (ElfSegment(0x1001, b"abc", name=".text"),
            ElfSegment(0x2000, b"xy", paddr=0x1004, flags=PF_R | PF_W, name=".data"))
    elf = ELFFile(io.BytesIO(build_elf(segs, (ElfSymbol("main", 0x1001, section=".text"),
                                              ElfSymbol("abs", 7)))))
    assert elf.get_section_by_name(".text").data() == b"abc"
    assert elf.get_section_by_name(".data").header["sh_addr"] == 0x2000
    symtab = elf.get_section_by_name(".symtab")
    assert symtab.get_symbol_by_name("main")[0]["st_value"] == 0x1001
    assert symtab.get_symbol_by_name("abs")[0]["st_shndx"] == "SHN_ABS"
    assert elf.header.e_entry == 0x1001
