"""Flash and RAM use of a linked firmware image, read from its ELF sections.

Classified by section flags rather than names, so it holds for any linker
script: allocated code and constants live in flash; initialised data lives in
flash (its load image) and in RAM; NOBITS sections (.bss, the stack reserve)
live in RAM only.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from tinyml.errors import TinymlError

_SHT_SYMTAB, _SHT_NOBITS = 2, 8
_SHF_WRITE, _SHF_ALLOC, _SHF_EXECINSTR = 0x1, 0x2, 0x4
STACK_SECTION = ".stack"


@dataclass(frozen=True)
class Section:
    name: str
    type: int
    flags: int
    addr: int
    offset: int
    size: int
    link: int
    entsize: int


@dataclass(frozen=True)
class ElfSizes:
    text_bytes: int  # code and read-only data
    data_bytes: int  # initialised data: in flash and in RAM
    bss_bytes: int  # zeroed data, without the stack reserve
    stack_bytes: int  # the stack reserve section

    @property
    def flash_bytes(self) -> int:
        return self.text_bytes + self.data_bytes

    @property
    def static_ram_bytes(self) -> int:
        """.data + .bss: what is statically allocated, excluding the stack reserve."""
        return self.data_bytes + self.bss_bytes

    @property
    def ram_bytes(self) -> int:
        """Everything the image takes in RAM, stack reserve included (the budgeted number)."""
        return self.static_ram_bytes + self.stack_bytes


class ElfFile:
    """The parts of a 32-bit little-endian ARM ELF the builder needs: sections and symbols."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._data = self.path.read_bytes()
        if self._data[:4] != b"\x7fELF" or self._data[4] != 1 or self._data[5] != 1:
            raise TinymlError(f"{self.path} is not a 32-bit little-endian ELF file (a Cortex-M image)")
        self.sections = self._read_sections()

    def _read_sections(self) -> list[Section]:
        shoff, = struct.unpack_from("<I", self._data, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", self._data, 0x2E)
        raw = [struct.unpack_from("<10I", self._data, shoff + i * shentsize) for i in range(shnum)]
        names_offset = raw[shstrndx][4]
        return [
            Section(self._cstr(names_offset + r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[9]) for r in raw
        ]

    def _cstr(self, offset: int) -> str:
        return self._data[offset : self._data.index(b"\0", offset)].decode()

    def sizes(self) -> ElfSizes:
        text = data = bss = stack = 0
        for s in self.sections:
            if not s.flags & _SHF_ALLOC or s.size == 0:
                continue
            if s.name == STACK_SECTION:
                stack += s.size
            elif s.type == _SHT_NOBITS:
                bss += s.size
            elif s.flags & _SHF_WRITE and not s.flags & _SHF_EXECINSTR:
                data += s.size
            else:
                text += s.size
        return ElfSizes(text_bytes=text, data_bytes=data, bss_bytes=bss, stack_bytes=stack)

    def symbol_size(self, name: str) -> int | None:
        """Size of a defined symbol (e.g. the model array), None if the image has none."""
        for symtab in (s for s in self.sections if s.type == _SHT_SYMTAB):
            strtab = self.sections[symtab.link]
            for i in range(symtab.size // symtab.entsize):
                st_name, _value, st_size, _info, _other, shndx = struct.unpack_from(
                    "<IIIBBH", self._data, symtab.offset + i * symtab.entsize
                )
                if shndx and self._cstr(strtab.offset + st_name) == name:
                    return st_size
        return None


def image_sizes(path: Path) -> ElfSizes:
    return ElfFile(path).sizes()
