"""Firmware folders for release-store tests."""
from __future__ import annotations

from pathlib import Path

from tinyml.firmware.manifest import SCHEMA, sha256_file, write_manifest


def firmware_folder(folder: Path) -> Path:
    """A small firmware folder: two files and a manifest.json with their sha256s (the real format's "files")."""
    folder.mkdir(parents=True)
    (folder / "firmware.elf").write_bytes(b"\x7fELF" + folder.name.encode())
    (folder / "firmware.bin").write_bytes(bytes(range(256)) * 3)
    files = {f.name: {"sha256": sha256_file(f), "bytes": f.stat().st_size} for f in sorted(folder.iterdir())}
    write_manifest(folder, {"schema": SCHEMA, "files": files})
    return folder
