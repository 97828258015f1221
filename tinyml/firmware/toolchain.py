"""Locating the Cortex-M toolchain (arm-none-eabi-*) and the emulator (qemu-system-arm)."""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tinyml.errors import TinymlError

APT_PACKAGES = (
    "gcc-arm-none-eabi",
    "libnewlib-arm-none-eabi",
    "libstdc++-arm-none-eabi-newlib",
    "binutils-arm-none-eabi",
    "qemu-system-arm",
)
INSTALL_COMMAND = "sudo apt-get install -y --no-install-recommends " + " ".join(APT_PACKAGES)


@dataclass(frozen=True)
class Toolchain:
    gcc: Path
    objcopy: Path

    @property
    def version(self) -> str:
        return _first_line(self.gcc)


def _which(program: str, path: str | None) -> Path:
    found = shutil.which(program, path=path if path is not None else os.environ.get("PATH", ""))
    if not found:
        raise TinymlError(
            f"'{program}' was not found on PATH "
            f"({path if path is not None else os.environ.get('PATH', '')!r})",
            fix=f"install the firmware toolchain and emulator: {INSTALL_COMMAND}",
        )
    return Path(found)


@functools.lru_cache(maxsize=None)
def _first_line(program: Path) -> str:
    out = subprocess.run([str(program), "--version"], capture_output=True, text=True, check=False)
    return (out.stdout or out.stderr).splitlines()[0].strip() if (out.stdout or out.stderr) else "unknown"


def find_toolchain(path: str | None = None) -> Toolchain:
    """arm-none-eabi-gcc and objcopy from PATH (or `path`); missing -> TinymlError with the install command."""
    return Toolchain(gcc=_which("arm-none-eabi-gcc", path), objcopy=_which("arm-none-eabi-objcopy", path))


def find_qemu(path: str | None = None) -> Path:
    """qemu-system-arm from PATH (or `path`); missing -> TinymlError with the install command."""
    return _which("qemu-system-arm", path)
