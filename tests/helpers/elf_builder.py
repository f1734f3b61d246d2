"""A minimal ELF32 little-endian ARM writer for synthesized test firmware.

Entry points: ``build_elf(segments, symbols=(), entry=None) -> bytes``,
``write_elf(path, ...)`` and ``zephyr_like_app(...)``, which returns the
segments of a Zephyr-style Cortex-M image (vector table + code in flash,
``.data`` run from RAM but loaded from flash right after the code — so its
``p_paddr`` (LMA) differs from its ``p_vaddr`` (VMA), as in every real
Zephyr ELF).

Layout written: ELF header, one ``PT_LOAD`` program header per segment, the
segment bytes (each at a file offset congruent to its vaddr modulo 4), then
``.symtab``/``.strtab``/``.shstrtab`` and the section header table. One
``SHT_PROGBITS`` (or ``SHT_NOBITS`` when a segment has no file bytes)
section per segment, named by ``ElfSegment.name``. Field meanings follow
the System V ABI / ELF spec (``elf.h``); nothing here is copied from another
project. pyelftools reads the result (tests/zephyr/test_elf_builder.py).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass

# e_ident / header constants (elf.h)
ELFCLASS32 = 1
ELFDATA2LSB = 1
EV_CURRENT = 1
ET_EXEC = 2
EM_ARM = 40
EF_ARM_EABI_VER5 = 0x05000000
PT_LOAD = 1
PF_X, PF_W, PF_R = 1, 2, 4
SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_NOBITS = 1, 2, 3, 8
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 1, 2, 4
STB_GLOBAL = 1
STT_NOTYPE, STT_OBJECT, STT_FUNC = 0, 1, 2
SHN_ABS = 0xFFF1

_EHDR = struct.Struct("<16sHHIIIIIHHHHHH")   # Elf32_Ehdr
_PHDR = struct.Struct("<IIIIIIII")           # Elf32_Phdr
_SHDR = struct.Struct("<IIIIIIIIII")         # Elf32_Shdr
_SYM = struct.Struct("<IIIBBH")              # Elf32_Sym
assert (_EHDR.size, _PHDR.size, _SHDR.size, _SYM.size) == (52, 32, 40, 16)


@dataclass(frozen=True)
class ElfSegment:
    """One loadable segment; ``paddr`` (load address) defaults to ``vaddr``."""

    vaddr: int
    data: bytes
    paddr: int | None = None
    flags: int = PF_R | PF_X
    name: str = ".text"
    memsz: int | None = None     # > len(data) for zero-filled tails (.bss)

    def __post_init__(self) -> None:
        if self.memsz is not None and self.memsz < len(self.data):
            raise ValueError(f"{self.name}: memsz {self.memsz} < file size {len(self.data)}")

    @property
    def load_address(self) -> int:
        return self.vaddr if self.paddr is None else self.paddr


@dataclass(frozen=True)
class ElfSymbol:
    """A global symbol; ``section`` names an ``ElfSegment.name`` or None for absolute."""

    name: str
    value: int
    size: int = 0
    kind: int = STT_NOTYPE
    section: str | None = None


class _StrTab:
    def __init__(self) -> None:
        self.data = bytearray(b"\0")

    def add(self, s: str) -> int:
        off = len(self.data)
        self.data += s.encode() + b"\0"
        return off


def _section_flags(seg: ElfSegment) -> int:
    flags = SHF_ALLOC
    if seg.flags & PF_W:
        flags |= SHF_WRITE
    if seg.flags & PF_X:
        flags |= SHF_EXECINSTR
    return flags


def _symtab(symbols: Sequence[ElfSymbol], segments: Sequence[ElfSegment],
            strtab: _StrTab) -> bytes:
    index = {seg.name: i + 1 for i, seg in enumerate(segments)}
    out = bytearray(_SYM.pack(0, 0, 0, 0, 0, 0))
    for sym in symbols:
        shndx = SHN_ABS if sym.section is None else index[sym.section]
        out += _SYM.pack(strtab.add(sym.name), sym.value, sym.size,
                         (STB_GLOBAL << 4) | sym.kind, 0, shndx)
    return bytes(out)


def build_elf(segments: Sequence[ElfSegment], symbols: Sequence[ElfSymbol] = (),
              entry: int | None = None) -> bytes:
    """Return the bytes of an ELF32 LE ARM executable holding ``segments``."""
    out = bytearray(_EHDR.size + _PHDR.size * len(segments))
    offsets = []
    for seg in segments:
        while len(out) % 4 != seg.vaddr % 4:
            out += b"\0"
        offsets.append(len(out))
        out += seg.data
    phdrs = b"".join(
        _PHDR.pack(PT_LOAD, off, seg.vaddr, seg.load_address, len(seg.data),
                   seg.memsz if seg.memsz is not None else len(seg.data), seg.flags, 4)
        for seg, off in zip(segments, offsets, strict=True))
    out[_EHDR.size:_EHDR.size + len(phdrs)] = phdrs

    shstr, strtab = _StrTab(), _StrTab()
    shdrs = [_SHDR.pack(*([0] * 10))]
    for seg, off in zip(segments, offsets, strict=True):
        kind = SHT_PROGBITS if seg.data else SHT_NOBITS
        size = len(seg.data) if seg.data else (seg.memsz or 0)
        shdrs.append(_SHDR.pack(shstr.add(seg.name), kind, _section_flags(seg), seg.vaddr,
                                off, size, 0, 0, 4, 0))
    symtab = _symtab(symbols, segments, strtab)
    strtab_index = len(shdrs) + 1
    for name, kind, blob, link, info, entsize in (
            (".symtab", SHT_SYMTAB, symtab, strtab_index, 1, _SYM.size),
            (".strtab", SHT_STRTAB, None, 0, 0, 0),
            (".shstrtab", SHT_STRTAB, None, 0, 0, 0)):
        name_off = shstr.add(name)
        if blob is None:
            blob = bytes(strtab.data) if name == ".strtab" else bytes(shstr.data)
        while len(out) % 4:
            out += b"\0"
        shdrs.append(_SHDR.pack(name_off, kind, 0, 0, len(out), len(blob), link, info, 4, entsize))
        out += blob
    while len(out) % 4:
        out += b"\0"
    shoff = len(out)
    out += b"".join(shdrs)

    ident = b"\x7fELF" + bytes([ELFCLASS32, ELFDATA2LSB, EV_CURRENT]) + bytes(9)
    if entry is None:
        entry = segments[0].vaddr if segments else 0
    out[:_EHDR.size] = _EHDR.pack(ident, ET_EXEC, EM_ARM, EV_CURRENT, entry,
                                  _EHDR.size, shoff, EF_ARM_EABI_VER5, _EHDR.size,
                                  _PHDR.size, len(segments), _SHDR.size, len(shdrs),
                                  len(shdrs) - 1)
    return bytes(out)


def write_elf(path: str | os.PathLike[str], segments: Sequence[ElfSegment],
              symbols: Sequence[ElfSymbol] = (), entry: int | None = None) -> None:
    """Write ``build_elf(...)`` to ``path``."""
    with open(path, "wb") as f:
        f.write(build_elf(segments, symbols, entry))


def zephyr_like_app(load_address: int, code_size: int, data_size: int = 0x40,
                    ram: int = 0x20000000, seed: int = 1) -> tuple[ElfSegment, ...]:
    """Segments of a Cortex-M image linked at ``load_address`` (= slot0 + header).

    ``rom_start`` holds a vector table (initial SP at the top of 64 KiB of
    RAM, Thumb reset vector inside the code), then deterministic filler;
    ``.data`` runs at ``ram`` and is loaded right after the code (LMA != VMA).
    """
    if code_size < 8 or code_size % 4:
        raise ValueError(f"code_size must be a multiple of 4 and >= 8, got {code_size}")
    vectors = struct.pack("<II", ram + 0x10000, (load_address + 0x100) | 1)
    filler = bytes((seed * 131 + i * 7) & 0xFF for i in range(code_size - len(vectors)))
    text = ElfSegment(load_address, vectors + filler, name="rom_start", flags=PF_R | PF_X)
    segments = [text]
    if data_size:
        data = bytes((seed + i) & 0xFF for i in range(data_size))
        segments.append(ElfSegment(ram, data, paddr=load_address + code_size,
                                   flags=PF_R | PF_W, name="datas"))
        segments.append(ElfSegment(ram + data_size, b"", flags=PF_R | PF_W, name="bss",
                                   memsz=0x100))
    return tuple(segments)


def zephyr_like_symbols(load_address: int) -> tuple[ElfSymbol, ...]:
    """Symbols a Zephyr ELF has, for readers that look them up."""
    return (ElfSymbol("_vector_table", load_address, 8, STT_OBJECT, "rom_start"),
            ElfSymbol("__start", load_address + 0x100, 4, STT_FUNC, "rom_start"),
            ElfSymbol("__rom_region_start", load_address))
