"""Firmware folders with a complete manifest.json, for tests of the readers of firmware folders."""
from __future__ import annotations

import shutil
from pathlib import Path

from tinyml.firmware.manifest import SCHEMA, FirmwareManifest, sha256_bytes, sha256_file, write_manifest
from tinyml.firmware.package import archive_folder
from tinyml.profiles import get_profile


def firmware_folder(folder: Path, model: bytes = b"TFL3 stand-in model", target: str = "cortex-m4f",
                    package: bool = False, **manifest_fields) -> Path:
    """A small firmware folder: two files and a complete manifest.json listing their sha256s;
    with `package`, also a source package archive (tinyml_model.tar.gz holding a README);
    `manifest_fields` add optional manifest records (e.g. op_profile, audio).

    The store reads only the files' and the model's sha256s; the sizes are the files' own, the
    budgets `target`'s, and there was no verification (as for a compile-only target).
    """
    folder.mkdir(parents=True)
    (folder / "firmware.elf").write_bytes(b"\x7fELF" + folder.name.encode())
    (folder / "firmware.bin").write_bytes(bytes(range(256)) * 3)
    record = None
    if package:
        contents = folder / "tinyml_model"
        contents.mkdir()
        (contents / "README.md").write_text(f"# tinyml_model of {folder.name}\n")
        archive = archive_folder(contents)
        shutil.rmtree(contents)
        record = {"archive": archive.name, "sha256": sha256_file(archive), "prefix": "tinyml_"}
    files = {f.name: {"sha256": sha256_file(f), "bytes": f.stat().st_size} for f in sorted(folder.iterdir())}
    profile = get_profile(target)
    flash = files["firmware.bin"]["bytes"]
    write_manifest(folder, FirmwareManifest.model_validate({
        "schema": SCHEMA,
        "target": {"name": profile.name, "description": profile.description, "core": profile.core,
                   "clock_hz": profile.clock_hz, "emulator": None},
        "model": {"sha256": sha256_bytes(model), "bytes": len(model), "array_bytes": len(model)},
        "files": files,
        "memory": {"flash_bytes": flash, "flash_budget_bytes": profile.flash_bytes,
                   "flash_without_model_bytes": flash - len(model), "ram_bytes": profile.stack_bytes,
                   "ram_budget_bytes": profile.ram_bytes, "static_ram_bytes": 0,
                   "stack_bytes": profile.stack_bytes, "arena_bytes": 0},
        "performance": {"instructions_per_inference": None, "estimated_latency_ms": None, "basis": "not measured"},
        "verification": {"passed": None, "reason": "a test folder: not verified"},
        "package": record,
        **manifest_fields,
    }))
    return folder
