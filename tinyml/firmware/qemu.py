"""Running a firmware image in qemu-system-arm, with semihosting and a hard timeout."""
from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tinyml.errors import TinymlError
from tinyml.firmware.toolchain import find_qemu
from tinyml.profiles import BOARD_MEMORY, BoardMemory, Profile

DEFAULT_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class QemuRun:
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def board_memory(profile: Profile) -> BoardMemory:
    if profile.qemu is None:
        raise TinymlError(
            f"target '{profile.name}' is compile-only: no emulator board is configured for it",
            fix="run firmware for one of the emulated targets (profiles with a 'qemu' entry in firmware/profiles.yaml)",
        )
    if profile.qemu.machine not in BOARD_MEMORY:
        raise TinymlError(
            f"target '{profile.name}': QEMU machine '{profile.qemu.machine}' is not one the firmware supports",
            fix=f"use one of: {', '.join(sorted(BOARD_MEMORY))}",
        )
    return BOARD_MEMORY[profile.qemu.machine]


def qemu_command(qemu: Path, elf: Path, profile: Profile, args: tuple[str, ...] = ()) -> list[str]:
    board_memory(profile)
    # semihosting arguments are comma-separated: a literal comma is doubled.
    semihosting = ",".join(
        ["enable=on", "target=native"] + [f"arg={a.replace(',', ',,')}" for a in ("firmware", *args)]
    )
    return [
        str(qemu), "-M", profile.qemu.machine, "-nographic", "-monitor", "none", "-serial", "none",
        # One instruction per virtual nanosecond: SysTick then counts instructions.
        "-icount", "shift=0",
        "-semihosting-config", semihosting,
        "-kernel", str(elf),
    ]


def run_elf(
    elf: Path,
    profile: Profile,
    *,
    args: tuple[str, ...] = (),
    cwd: Path | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    qemu: Path | None = None,
) -> QemuRun:
    """Run `elf` on the profile's emulated board until it exits; a hang past `timeout_s` is a TinymlError."""
    cmd = qemu_command(qemu or find_qemu(), Path(elf).resolve(), profile, args)
    start = time.monotonic()
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as e:
        raise TinymlError(
            f"firmware {elf} did not finish within {timeout_s:g} s in qemu-system-arm -M {profile.qemu.machine} "
            f"(it hangs or loops forever); QEMU was stopped. Output so far: {_text(e.stdout)[-500:]!r}",
            fix="check that the firmware exits (board_halt) and does not fault: a fault spins in Default_Handler",
        ) from None
    return QemuRun(done.returncode, done.stdout, done.stderr, time.monotonic() - start)


def _text(output) -> str:
    if output is None:
        return ""
    return output.decode(errors="replace") if isinstance(output, bytes) else output
