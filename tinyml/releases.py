"""The release store: numbered releases of a pipeline's firmware.

Layout (a local folder; default <runs root>/releases):

    <store>/<pipeline>/<version>/release.json
    <store>/<pipeline>/<version>/<target>/firmware.elf|.bin|.hex|manifest.json

A release is written into a hidden temporary folder beside the others and
renamed to its number only when every file is in place and checked, so a
failed or rejected run never leaves a half release or replaces the last good
one. Everything that touches the store goes through this module, so a gs://
store (write the files, then release.json last as the commit marker) needs
changes here only.
"""
from __future__ import annotations

import datetime
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from tinyml.errors import TinymlError
from tinyml.firmware.manifest import MANIFEST_NAME, read_manifest, sha256_file

RELEASE_FILE = "release.json"
SCHEMA = "tinyml-release/1"


class ChecksumError(TinymlError):
    """A file's bytes do not match the sha256 recorded for it."""


@dataclass(frozen=True)
class Release:
    version: int
    path: Path
    record: dict

    @property
    def targets(self) -> list[str]:
        return sorted(self.record.get("firmware", {}))

    def firmware_dir(self, target: str) -> Path:
        return self.path / target


def expected_files(firmware_dir: Path) -> dict[str, str]:
    """{file name: sha256} of a firmware folder, from its manifest (the manifest itself excluded)."""
    if not (Path(firmware_dir) / MANIFEST_NAME).is_file():
        raise TinymlError(f"{firmware_dir} has no {MANIFEST_NAME}", fix="point at a firmware folder of a run or release")
    return {name: f["sha256"] for name, f in read_manifest(firmware_dir)["files"].items()}


def copy_verified(src: Path, dest: Path, expected: dict[str, str]) -> dict[str, dict]:
    """Copies `src/<name>` for every expected name and manifest.json into `dest`; checks each copy's sha256.

    Returns {name: {sha256, bytes}} of what was copied. Raises ChecksumError naming the file.
    """
    dest.mkdir(parents=True, exist_ok=True)
    copied = {}
    for name in [*sorted(expected), MANIFEST_NAME]:
        if not (src / name).is_file():
            raise TinymlError(f"{src / name} is missing", fix="the firmware folder is incomplete: rebuild or re-release it")
        shutil.copyfile(src / name, dest / name)
        digest = sha256_file(dest / name)
        if name in expected and digest != expected[name]:
            raise ChecksumError(
                f"checksum mismatch: {src / name} has sha256 {digest}, its manifest says {expected[name]}",
                fix="the file was changed or damaged after it was built; do not flash it: rebuild the firmware",
            )
        copied[name] = {"sha256": digest, "bytes": (dest / name).stat().st_size}
    return copied


def metric_changes(metrics: dict[str, dict], previous: dict[str, dict]) -> dict[str, dict]:
    """{slice: {metric: new - previous}} for the numbers both have."""
    changes = {}
    for name, values in metrics.items():
        before = previous.get(name, {})
        delta = {
            k: v - before[k] for k, v in values.items()
            if isinstance(v, (int, float)) and isinstance(before.get(k), (int, float))
        }
        if delta:
            changes[name] = delta
    return changes


class ReleaseStore:
    def __init__(self, root: str | Path, pipeline: str):
        if "://" in str(root):
            raise TinymlError(
                f"release store {root}: only local folders are supported yet",
                fix="set 'release.store' to a local folder (or leave it empty for <runs root>/releases)",
            )
        self.root = Path(root)
        self.pipeline = pipeline
        self.dir = self.root / pipeline

    def versions(self) -> list[int]:
        """Numbers of the complete releases, oldest first."""
        if not self.dir.is_dir():
            return []
        return sorted(int(p.name) for p in self.dir.iterdir() if p.name.isdigit() and (p / RELEASE_FILE).is_file())

    def get(self, version: int) -> Release:
        path = self.dir / str(version)
        if not (path / RELEASE_FILE).is_file():
            known = ", ".join(map(str, self.versions())) or "none"
            raise TinymlError(f"pipeline {self.pipeline} has no release {version} in {self.root} (releases: {known})",
                              fix="list them with `tinyml releases`")
        return Release(version, path, json.loads((path / RELEASE_FILE).read_text()))

    def latest(self) -> Release | None:
        versions = self.versions()
        return self.get(versions[-1]) if versions else None

    def publish(self, record: dict, firmware: dict[str, Path]) -> Release:
        """Adds the next numbered release: `record` plus each target's firmware folder, verified.

        The release folder appears complete or not at all.
        """
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / f".incoming-{uuid.uuid4().hex}"
        try:
            files = {target: copy_verified(Path(src), tmp / target, expected_files(src)) for target, src in firmware.items()}
            previous = self.latest()
            version = previous.version + 1 if previous else 1
            full = {
                "schema": SCHEMA,
                "pipeline": self.pipeline,
                "version": version,
                "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                **record,
                "previous_version": previous.version if previous else None,
                "change_vs_previous": metric_changes(record.get("metrics", {}), previous.record.get("metrics", {}))
                if previous else {},
                "firmware": {t: {"files": f} for t, f in files.items()},
            }
            (tmp / RELEASE_FILE).write_text(json.dumps(full, indent=2, sort_keys=True) + "\n")
            target = self.dir / str(version)
            # rename() of a folder onto a missing name is atomic; if another run
            # took this number meanwhile it fails and nothing is replaced.
            os.rename(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return Release(version, target, full)


def pipelines_in(root: str | Path) -> list[str]:
    root = Path(root)
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
