"""Source packages built as an outside project would build them (CMake on the host, or a bare-metal
app with the package's toolchain file for QEMU). Test support only."""
from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

from tinyml.firmware import build, qemu
from tinyml.profiles import Profile


def run_cmd(args, cwd=None, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run(list(map(str, args)), cwd=cwd, capture_output=True, **kw)
    assert done.returncode == 0, f"{' '.join(map(str, args))}:\n{done.stdout[-3000:]!r}\n{done.stderr[-3000:]!r}"
    return done


def cmake_build(project: Path, build_dir: Path, *configure_args, env=None) -> None:
    run_cmd(["cmake", "-S", project, "-B", build_dir, *configure_args], env=env)
    run_cmd(["cmake", "--build", build_dir, "-j", "2"])


def outside_project(packages: dict, body: str, languages: str = "C CXX") -> str:
    """A CMakeLists.txt that adds each package ({prefix: Package}) as a subdirectory, then `body`."""
    subdirs = "".join(f"add_subdirectory({pkg.folder} {p}model)\n" for p, pkg in packages.items())
    return f"cmake_minimum_required(VERSION 3.13)\nproject(outside {languages})\n{subdirs}{body}"


def bare_metal_project(project: Path, profile: Profile, packages: dict,
                       executables: dict[str, tuple[list[str], list[str], bool]]) -> Path:
    """Builds `project` (its C files already written) into <name>.elf per executable
    {name: (C files, package libraries, whether it gets the emulated board's whole memory rather than
    the part's)} with the board's start-up code, through the first package's toolchain file, warnings
    as errors; returns the build folder (<name>.elf and its linker map <name>.map)."""
    board = " ".join(str(s) for s in build.board_sources(profile))
    includes = " ".join(str(d) for d in build.target_include_dirs(profile, project.parent))
    link = f"-nostartfiles --specs=nano.specs -T {build.COMMON_DIR / 'sections.ld'}"
    body = ""
    for name, (sources, libraries, whole_board) in executables.items():
        emulated = qemu.board_memory(profile)
        memory = (build.MemoryRegions(profile.memory.flash_origin, emulated.flash_bytes, profile.memory.ram_origin,
                                      emulated.ram_bytes, profile.stack_bytes)
                  if whole_board else build.MemoryRegions.of_profile(profile))
        (project / f"{name}_ld").mkdir()
        (project / f"{name}_ld" / "memory.ld").write_text(memory.linker_script())
        body += textwrap.dedent(f"""\
            add_executable({name}.elf {' '.join(sources)} {board})
            target_include_directories({name}.elf PRIVATE {includes})
            target_link_libraries({name}.elf PRIVATE {' '.join(libraries)})
            target_link_options({name}.elf PRIVATE {link} -L${{CMAKE_SOURCE_DIR}}/{name}_ld
                -Wl,-Map=${{CMAKE_BINARY_DIR}}/{name}.map)
            """)
    (project / "CMakeLists.txt").write_text(outside_project(packages, body))
    toolchain_file = next(iter(packages.values())).folder / f"toolchain-{profile.name}.cmake"
    # CFLAGS add to the toolchain file's core flags (a -DCMAKE_C_FLAGS would replace them).
    cmake_build(project, project.parent / "build", f"-DCMAKE_TOOLCHAIN_FILE={toolchain_file}",
                env={**os.environ, "CFLAGS": "-Wall -Wextra -Werror"})
    return project.parent / "build"
