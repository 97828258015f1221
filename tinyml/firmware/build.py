"""Compiling and linking firmware images for a target profile with arm-none-eabi-gcc.

One generic start-up file and one section layout serve every profile; the
memory regions are generated from the profile (its real flash and RAM at its
memory origins), so an image that does not fit the part fails to link and the
error says by how much.
"""
from __future__ import annotations

import logging
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from tinyml import paths
from tinyml.errors import TinymlError
from tinyml.firmware.elf import ElfFile, ElfSizes
from tinyml.firmware.toolchain import Toolchain, find_toolchain
from tinyml.profiles import Profile

if TYPE_CHECKING:
    from tinyml.firmware import codegen

log = logging.getLogger(__name__)

TARGETS_DIR = paths.FIRMWARE_DIR / "targets"
COMMON_DIR = TARGETS_DIR / "common"
APP_DIR = paths.FIRMWARE_DIR / "app"
MODEL_ARRAY_SYMBOL = "tml_model_data"
ARENA_SYMBOL = "tml_arena"  # the generated plan's static tensor arena
# The released application: main.c, its class report, and where its input comes from (app_input.h).
APP_SOURCES = (APP_DIR / "main.c", APP_DIR / "classify.c")

OPT_FLAGS = ("-O2", "-ffunction-sections", "-fdata-sections", "-Wall", "-Wextra", "-g")
LINK_FLAGS = ("-nostartfiles", "--specs=nano.specs", "-Wl,--gc-sections")
_OVERFLOW = re.compile(r"region [`'](\w+)' overflowed by (\d+) bytes")
# An input section the linker placed, in its map: name (maybe alone on its line), address, size, object.
_MAP_INPUT_SECTION = re.compile(
    r"^ (\.(?:text|rodata|data|bss)\S*|COMMON)\s+0x[0-9a-fA-F]+\s+0x([0-9a-fA-F]+)\s+(\S+)$", re.M)


@dataclass(frozen=True)
class MemoryRegions:
    flash_origin: int
    flash_bytes: int
    ram_origin: int
    ram_bytes: int
    stack_bytes: int

    @classmethod
    def of_profile(cls, profile: Profile) -> "MemoryRegions":
        return cls(
            profile.memory.flash_origin, profile.flash_bytes,
            profile.memory.ram_origin, profile.ram_bytes, profile.stack_bytes,
        )

    def linker_script(self) -> str:
        return (
            "/* Generated from firmware/profiles.yaml by tinyml/firmware/build.py. */\n"
            "MEMORY\n{\n"
            f"    FLASH (rx) : ORIGIN = 0x{self.flash_origin:08X}, LENGTH = {self.flash_bytes}\n"
            f"    RAM (rwx) : ORIGIN = 0x{self.ram_origin:08X}, LENGTH = {self.ram_bytes}\n"
            "}\n"
            f"__stack_size = {self.stack_bytes};\n"
        )


@dataclass
class Image:
    """A linked firmware image and what it takes on the part."""

    elf: Path
    sizes: ElfSizes
    model_array_bytes: int  # 0 when the image holds no model array
    arena_bytes: int  # 0 when the image holds no tensor arena

    @classmethod
    def read(cls, elf: Path) -> "Image":
        parsed = ElfFile(elf)
        return cls(
            elf, parsed.sizes(), parsed.symbol_size(MODEL_ARRAY_SYMBOL) or 0, parsed.symbol_size(ARENA_SYMBOL) or 0
        )

    @property
    def map_file(self) -> Path:
        """The linker's map of the image (written by link)."""
        return self.elf.parent / f"{self.elf.stem}.ld" / "map.txt"

    def footprint(self, objects: list[Path]) -> tuple[int, int]:
        """(flash, static RAM) bytes that the given object files take in the image (map_footprint)."""
        names = {Path(o).name for o in objects}
        return map_footprint(self.map_file, lambda obj: Path(obj).name in names)

    def write_binaries(self, toolchain: Toolchain) -> tuple[Path, Path]:
        """firmware.bin (raw flash image) and firmware.hex (Intel HEX) beside the ELF."""
        outputs = (self.elf.with_suffix(".bin"), self.elf.with_suffix(".hex"))
        for fmt, out in zip(("binary", "ihex"), outputs):
            _run([str(toolchain.objcopy), "-O", fmt, str(self.elf), str(out)], f"objcopy -O {fmt}")
        return outputs


def map_footprint(map_file: Path, belongs: Callable[[str], bool]) -> tuple[int, int]:
    """(flash, static RAM) bytes of the input sections in a linker map whose object `belongs` (given its
    name in the map: a path, or `lib.a(member.o)` for an archive's member); only the sections the linker
    kept (not those --gc-sections dropped), without the alignment padding between them."""
    text = Path(map_file).read_text()
    placed = text[text.index("Linker script and memory map"):]
    flash = ram = 0
    for section, size, obj in _MAP_INPUT_SECTION.findall(placed):
        if not belongs(obj):
            continue
        if section.startswith((".text", ".rodata", ".data")):
            flash += int(size, 16)
        if section.startswith((".data", ".bss")) or section == "COMMON":
            ram += int(size, 16)
    return flash, ram


@dataclass
class ObjectSet:
    """Objects compiled once per model and profile, linked into several images (app, harness)."""

    profile: Profile
    toolchain: Toolchain
    work_dir: Path
    objects: list[Path] = field(default_factory=list)
    include_dirs: list[Path] = field(default_factory=list)


def target_include_dirs(profile: Profile, work_dir: Path) -> list[Path]:
    """The folder of the profile's target.h (generated from `irqs` when set), then the shared ones."""
    target_dir = TARGETS_DIR / profile.name
    if profile.irqs is not None:
        target_dir = work_dir / "target"
        target_dir.mkdir(parents=True, exist_ok=True)
        (target_dir / "target.h").write_text(
            f"/* Target profile '{profile.name}', generated from its profile by tinyml/firmware/build.py. */\n"
            "#ifndef TML_TARGET_H\n#define TML_TARGET_H\n"
            f"#define TML_TARGET_IRQS {profile.irqs}\n#endif\n")
    elif not (target_dir / "target.h").is_file():
        raise TinymlError(
            f"target profile '{profile.name}' sets no 'irqs' and has no target directory {target_dir} with a target.h",
            fix=f"add 'irqs: N' (the part's external interrupt lines, from its reference manual) to profile "
                f"'{profile.name}', or add firmware/targets/{profile.name}/target.h (see the other targets)",
        )
    irq_dir = work_dir / "irq"
    irq_dir.mkdir(parents=True, exist_ok=True)
    (irq_dir / "irq_handlers.h").write_text(irq_handlers_header(_irq_count(profile, target_dir / "target.h")))
    return [target_dir, COMMON_DIR, APP_DIR, irq_dir]


_TARGET_IRQS = re.compile(r"#define\s+TML_TARGET_IRQS\s+(\d+)")


def _irq_count(profile: Profile, target_h: Path) -> int:
    if profile.irqs is not None:
        return profile.irqs
    found = _TARGET_IRQS.search(target_h.read_text())
    if found is None:
        raise TinymlError(f"{target_h} does not define TML_TARGET_IRQS",
                          fix="add `#define TML_TARGET_IRQS N` (the part's external interrupt lines)")
    return int(found.group(1))


def irq_handlers_header(irqs: int) -> str:
    """The X-macro list startup.c expands into one weak handler per external interrupt, IRQ<n>_Handler:
    C cannot count to a number of names, so the list is written here."""
    return ("/* Generated by tinyml/firmware/build.py: the part's external interrupts, for startup.c. */\n"
            f"#define TML_IRQ_LIST(X) {' '.join(f'X({n})' for n in range(irqs))}\n")


def board_sources(profile: Profile) -> list[Path]:
    """Start-up, timer, and the board I/O: semihosting on emulated boards, weak stubs elsewhere."""
    board = "board_semihosting.c" if profile.emulated else "board_stub.c"
    common = ["startup.c", "systick.c", "decimal.c", board]
    if profile.emulated:
        common.append("semihosting.c")
    return [COMMON_DIR / name for name in common]


def compile_objects(
    profile: Profile,
    sources: list[Path],
    include_dirs: list[Path],
    obj_dir: Path,
    toolchain: Toolchain | None = None,
) -> ObjectSet:
    """Compile C sources (and assembly) for the profile's core, two at a time."""
    toolchain = toolchain or find_toolchain()
    obj_dir.mkdir(parents=True, exist_ok=True)
    dirs = [*target_include_dirs(profile, obj_dir), *include_dirs]
    includes = [f"-I{d}" for d in dirs]

    def compile_one(item):
        index, source = item
        obj = obj_dir / f"{index:03d}_{Path(source).stem}.o"
        _run([str(toolchain.gcc), *profile.cflags, *OPT_FLAGS, *includes, "-c", str(source), "-o", str(obj)],
             f"compiling {source} for {profile.name}")
        return obj

    with ThreadPoolExecutor(max_workers=2) as pool:
        objects = list(pool.map(compile_one, enumerate(sources)))
    return ObjectSet(profile, toolchain, obj_dir, objects, dirs)


def link(
    objects: ObjectSet, extra_sources: list[Path], elf: Path, memory: MemoryRegions, extra_include_dirs=()
) -> Image:
    """Link the shared objects plus `extra_sources` (the app or the harness) into `elf` within `memory`."""
    profile, toolchain = objects.profile, objects.toolchain
    elf.parent.mkdir(parents=True, exist_ok=True)
    ld_dir = elf.parent / f"{elf.stem}.ld"
    ld_dir.mkdir(exist_ok=True)
    (ld_dir / "memory.ld").write_text(memory.linker_script())
    cmd = [
        str(toolchain.gcc), *profile.cflags, *OPT_FLAGS, *LINK_FLAGS,
        *[f"-I{d}" for d in [*extra_include_dirs, *objects.include_dirs]],
        f"-L{ld_dir}", "-T", str(COMMON_DIR / "sections.ld"), f"-Wl,-Map={ld_dir / 'map.txt'}",
        *map(str, extra_sources), *map(str, objects.objects), "-o", str(elf),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        overflows = {region: int(n) for region, n in _OVERFLOW.findall(done.stderr)}
        if overflows:
            raise _over_budget(profile, memory, overflows)
        raise TinymlError(f"linking {elf.name} for {profile.name} failed:\n{done.stderr.strip()[-3000:]}")
    return Image.read(elf)


def _over_budget(profile: Profile, memory: MemoryRegions, overflows: dict[str, int]) -> TinymlError:
    parts = []
    for region, excess in overflows.items():
        budget = memory.flash_bytes if region == "FLASH" else memory.ram_bytes
        what = "flash (code + constants + model array + .data)" if region == "FLASH" else (
            f"RAM (.data + .bss incl. the tensor arena + {memory.stack_bytes} B stack)"
        )
        parts.append(f"{what} needs {budget + excess} bytes but the target has {budget} ({excess} bytes over)")
    return TinymlError(
        f"the firmware does not fit target '{profile.name}': " + "; ".join(parts),
        fix="choose a target with more memory (firmware/profiles.yaml) or make the model smaller",
    )


def _run(cmd: list[str], what: str) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise TinymlError(f"{what} failed (exit {done.returncode}):\n{done.stderr.strip()[-3000:]}")


@dataclass(frozen=True)
class AppInput:
    """What fills the model's input in the released app: sources compiled with the model (e.g. the
    audio frontend) and the source defining app_read_input, linked with main.c."""

    sources: tuple[Path, ...]
    include_dirs: tuple[Path, ...]
    app_source: Path


TENSOR_INPUT = AppInput((), (), APP_DIR / "tensor_input.c")


@dataclass
class ModelBuild:
    """A model compiled for one profile: its generated plan, the shared objects and the released app."""

    generated: "codegen.GeneratedModel"
    objects: ObjectSet
    app: Image
    # What the source package holds, compiled: the runtime, the plan and model array, the app input's
    # own sources (an audio model's frontend); the rest of the objects are the board's.
    library: list[Path]

    def library_footprint(self) -> tuple[int, int]:
        """(flash, static RAM) bytes the library takes in the app: what it adds to any firmware."""
        return self.app.footprint(self.library)


def build_model(
    tflite: bytes,
    profile: Profile,
    work_dir: Path,
    *,
    toolchain: Toolchain | None = None,
    user_board_sources: tuple[Path, ...] = (),
    source: str = "model.tflite",
    app_input: AppInput = TENSOR_INPUT,
) -> ModelBuild:
    """Generate the model's C plan, compile it with the runtime and link the application firmware.

    The app is linked against the profile's real memory: over budget -> TinymlError with the numbers.
    """
    from tinyml.firmware import codegen, model_fit  # the runtime engineer's generator
    from tinyml.tflite.model import read_model

    work_dir = Path(work_dir)
    gen_dir = work_dir / "generated"
    generated = codegen.generate_sources(tflite, gen_dir, source=source)
    model_fit.check_ram(read_model(tflite, source=source), generated.plan, profile, source)
    if user_board_sources and profile.emulated:
        raise TinymlError(
            f"--board-source is for compile-only targets; '{profile.name}' is emulated and uses the semihosting board",
            fix="drop --board-source, or build for a compile-only target (nrf52840, stm32l4r5, rp2040)",
        )
    sources = [
        # Every core gets the optimized kernels: their plain-C form (no DSP
        # extension: M3, M0+) also runs about 2-4x fewer instructions than the
        # reference kernels (benchmarks/firmware_bench.py). Only the kernels the
        # plan calls: --gc-sections would drop the others, but compiling them was
        # most of the build's time.
        *codegen.runtime_sources(optimized=True, kernels=generated.kernels),
        *generated.sources,
        *board_sources(profile),
        *map(Path, user_board_sources),
        *app_input.sources,
    ]
    include_dirs = [generated.include_dir, *codegen.runtime_include_dirs(), *app_input.include_dirs]
    objects = compile_objects(profile, sources, include_dirs, work_dir / "obj", toolchain)
    board = {*board_sources(profile), *map(Path, user_board_sources)}
    library = [obj for obj, source in zip(objects.objects, sources) if source not in board]
    app = link(objects, [*APP_SOURCES, app_input.app_source], work_dir / "firmware.elf",
               MemoryRegions.of_profile(profile))
    log.info("%s: flash %d B, RAM %d B (static %d B)", profile.name, app.sizes.flash_bytes,
             app.sizes.ram_bytes, app.sizes.static_ram_bytes)
    return ModelBuild(generated, objects, app, library)
