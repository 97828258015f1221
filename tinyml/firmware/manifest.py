"""manifest.json: what a released firmware is, where it came from and how it was checked.

Everything a user (or an audit) needs without the build machine: the target,
the sha256 of the model and of every file, flash/RAM/arena use against the
part's budget, instructions per inference and the latency they imply at the
part's clock, the verification result, the model's metrics and its lineage.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tinyml.firmware.build import Image
from tinyml.profiles import Profile

SCHEMA = "tinyml-firmware-manifest/1"
MANIFEST_NAME = "manifest.json"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def estimated_latency_ms(instructions: float, clock_hz: int) -> float:
    """Instructions at one per cycle: QEMU counts instructions, not cycles (no pipeline, no wait
    states), so this is an estimate, optimistic for flash wait states and multi-cycle loads."""
    return 1000.0 * instructions / clock_hz


def build_manifest(
    *,
    profile: Profile,
    model: bytes,
    image: Image,
    files: list[Path],
    verification: dict | None,
    metrics: dict | None = None,
    lineage: dict | None = None,
    toolchain: str = "",
    io: dict | None = None,
    timings: dict | None = None,
) -> dict:
    """The manifest of one target's firmware; `files` are the released files (hashed as they are)."""
    sizes = image.sizes
    instructions = verification.get("instructions_per_inference") if verification else None
    return {
        "schema": SCHEMA,
        "target": {
            "name": profile.name,
            "description": profile.description,
            "core": profile.core,
            "clock_hz": profile.clock_hz,
            "emulator": profile.qemu.machine if profile.qemu else None,
        },
        "model": {"sha256": sha256_bytes(model), "bytes": len(model), "array_bytes": image.model_array_bytes},
        "io": io or {},
        "files": {Path(f).name: {"sha256": sha256_file(f), "bytes": Path(f).stat().st_size} for f in files},
        "memory": {
            "flash_bytes": sizes.flash_bytes,
            "flash_budget_bytes": profile.flash_bytes,
            "flash_without_model_bytes": sizes.flash_bytes - image.model_array_bytes,
            "ram_bytes": sizes.ram_bytes,
            "ram_budget_bytes": profile.ram_bytes,
            "static_ram_bytes": sizes.static_ram_bytes,
            "stack_bytes": sizes.stack_bytes,
            "arena_bytes": image.arena_bytes,
        },
        "performance": {
            "instructions_per_inference": instructions,
            "estimated_latency_ms": (
                estimated_latency_ms(instructions, profile.clock_hz) if instructions is not None else None
            ),
            "basis": "instructions counted with SysTick under QEMU -icount shift=0, one instruction per cycle "
            "at the profile clock" if instructions is not None else "compile-only target: not measured",
        },
        "verification": verification or {"passed": None, "reason": "compile-only target: no emulator"},
        "metrics": metrics or {},
        "lineage": lineage or {},
        "toolchain": toolchain,
        "timings": timings or {},
    }


def write_manifest(out_dir: Path, manifest: dict) -> Path:
    path = Path(out_dir) / MANIFEST_NAME
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return path


def read_manifest(out_dir: Path) -> dict:
    return json.loads((Path(out_dir) / MANIFEST_NAME).read_text())
