"""The release store: numbered releases of a pipeline's firmware, in a local folder or on GCS.

Layout (default <runs root>/releases; 'release.store' may be a folder or gs://BUCKET/PATH):

    <store>/<pipeline>/<version>/release.json
    <store>/<pipeline>/<version>/<target>/firmware.elf|.bin|.hex|manifest.json

Publishing is one protocol on both backends (tinyml.releases.storage), as
README, "Retraining on new data", describes; since GCS has no rename, every
target's firmware is first fetched into a local staging folder and checked
against its manifest.
"""
from __future__ import annotations

import datetime
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tinyml.errors import TinymlError
from tinyml.file_names import RELEASE_FILE
from tinyml.firmware.manifest import MANIFEST_NAME, parse_manifest, sha256_file
from tinyml.releases.storage import ChecksumError, join, storage_for

SCHEMA = "tinyml-release/1"
# Claims of numbers someone else took first, before giving up (each one is a concurrent publish).
MAX_CLAIM_ATTEMPTS = 100


@dataclass(frozen=True)
class Source:
    """Where one target's firmware is (a local folder or a gs:// folder), and the sha256s recorded
    for it beyond its manifest (a release's)."""

    target: str
    path: Path | str
    recorded: dict[str, str] | None = None

    @property
    def on_gcs(self) -> bool:
        return str(self.path).startswith("gs://")

    @property
    def where(self) -> str:
        return str(self.path).rstrip("/")

    def fetch_verified(self, dest: Path) -> dict[str, dict]:
        """Puts the firmware's files into `dest` and checks them; returns {name: {sha256, bytes}}.

        A GCS folder's every object is fetched, a local folder's manifest-listed files only
        (it may hold others: `firmware build` leaves them). Raises naming the file; the caller
        removes `dest` on failure.
        """
        dest.mkdir(parents=True, exist_ok=True)
        src = Path(self.path) if not self.on_gcs else None
        if self.on_gcs:
            from tinyml import gcs

            gcs.download_folder(str(self.path), dest)
        elif (src / MANIFEST_NAME).is_file():
            shutil.copyfile(src / MANIFEST_NAME, dest / MANIFEST_NAME)
        if not (dest / MANIFEST_NAME).is_file():
            raise TinymlError(f"{self.where} has no {MANIFEST_NAME}", fix="point at a firmware folder of a run or release")
        recorded = self.recorded or {}
        # The release record vouches for the manifest before the manifest is trusted.
        self._check_recorded(dest, {n: sha for n, sha in recorded.items() if n == MANIFEST_NAME})
        expected = self._listed(dest)
        if src is not None:
            for name in expected:
                if (src / name).is_file():
                    shutil.copyfile(src / name, dest / name)
        files = self._check_listed(dest, expected)
        self._check_recorded(dest, recorded)
        return files

    def _listed(self, fetched: Path) -> dict[str, str]:
        """{file name: sha256} from the manifest (the manifest itself excluded)."""
        manifest = parse_manifest((fetched / MANIFEST_NAME).read_text(), f"{self.where}/{MANIFEST_NAME}")
        return {name: f.sha256 for name, f in manifest.files.items()}

    def _check_listed(self, fetched: Path, expected: dict[str, str]) -> dict[str, dict]:
        present = {p.relative_to(fetched).as_posix() for p in fetched.rglob("*") if p.is_file()} - {MANIFEST_NAME}
        unlisted = sorted(present - set(expected))
        if unlisted:
            raise ChecksumError(f"{self.where} holds files its manifest does not list: {', '.join(unlisted)}",
                                fix="they were added after the build and cannot be checked; do not flash this folder")
        files = {}
        for name in [*sorted(expected), MANIFEST_NAME]:
            if not (fetched / name).is_file():
                raise TinymlError(f"{self.where}/{name} is missing",
                                  fix="the firmware folder is incomplete: rebuild or re-release it")
            digest = sha256_file(fetched / name)
            if name in expected and digest != expected[name]:
                raise ChecksumError(
                    f"checksum mismatch: {self.where}/{name} has sha256 {digest}, its manifest says {expected[name]}",
                    fix="the file was changed or damaged after it was built; do not flash it: rebuild the firmware",
                )
            files[name] = {"sha256": digest, "bytes": (fetched / name).stat().st_size}
        return files

    def _check_recorded(self, fetched: Path, recorded: dict[str, str]) -> None:
        for name, sha in recorded.items():
            if not (fetched / name).is_file() or sha256_file(fetched / name) != sha:
                raise ChecksumError(
                    f"checksum mismatch: {self.where}/{name} does not match the sha256 in the release record ({sha})",
                    fix="the release was changed after it was published; do not flash it",
                )


@dataclass(frozen=True)
class Release:
    version: int
    path: Path | str  # a local folder, or a gs:// URI
    record: dict

    @property
    def targets(self) -> list[str]:
        return sorted(self.record.get("firmware", {}))

    def firmware_dir(self, target: str) -> Path | str:
        return join(self.path, target)

    def sources(self) -> list[Source]:
        """Each target's firmware, with the sha256s this release recorded for it."""
        return [
            Source(t, self.firmware_dir(t), {n: f["sha256"] for n, f in self.record["firmware"][t]["files"].items()})
            for t in self.targets
        ]


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
    """The releases of one pipeline in the store at `root` (a local folder or gs://BUCKET/PATH)."""

    def __init__(self, root: str | Path, pipeline: str):
        self.storage = storage_for(root)
        self.pipeline = pipeline
        self.location = self.storage.location(pipeline)

    def _numbers(self) -> list[int]:
        """Every version number taken, committed or only claimed, ascending."""
        return sorted(int(n) for n in self.storage.folders(self.pipeline) if n.isdigit())

    def _committed(self, version: int) -> bool:
        return self.storage.exists(self.pipeline, str(version), RELEASE_FILE)

    def versions(self) -> list[int]:
        """Numbers of the complete releases, oldest first."""
        return [v for v in self._numbers() if self._committed(v)]

    def get(self, version: int) -> Release:
        if not self._committed(version):
            known = ", ".join(map(str, self.versions())) or "none"
            raise TinymlError(
                f"pipeline {self.pipeline} has no release {version} in {self.storage.uri} (releases: {known})",
                fix="list them with `tinyml releases`")
        record = json.loads(self.storage.read_text(self.pipeline, str(version), RELEASE_FILE))
        return Release(version, self.storage.location(self.pipeline, str(version)), record)

    def latest(self, below: int | None = None) -> Release | None:
        """The newest complete release (with a number below `below`, if given)."""
        for version in reversed(self._numbers()):
            if (below is None or version < below) and self._committed(version):
                return self.get(version)
        return None

    def publish(self, record: dict, firmware: dict[str, Path | str]) -> Release:
        """Adds the next numbered release: `record` plus each target's firmware folder (local or gs://), verified.

        Readers see the release complete or not at all.
        """
        with tempfile.TemporaryDirectory(prefix="tinyml-release-") as staging:
            staged = Path(staging)
            files = {t: Source(t, src).fetch_verified(staged / t) for t, src in firmware.items()}
            version = self._claim()
            where = (self.pipeline, str(version))
            try:
                previous = self.latest(below=version)
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
                for target, names in files.items():
                    for name in names:
                        self.storage.write(staged / target / name, *where, target, name)
                (staged / RELEASE_FILE).write_text(json.dumps(full, indent=2, sort_keys=True) + "\n")
                self.storage.write(staged / RELEASE_FILE, *where, RELEASE_FILE)
            except BaseException:
                self.storage.discard(*where)
                raise
        return Release(version, self.storage.location(*where), full)

    def _claim(self) -> int:
        version = max(self._numbers(), default=0) + 1
        for _ in range(MAX_CLAIM_ATTEMPTS):
            if self.storage.claim(self.pipeline, str(version)):
                return version
            version += 1  # another publish took it meanwhile
        raise TinymlError(f"could not claim a release number in {self.location}: {MAX_CLAIM_ATTEMPTS} were taken "
                          "while trying", fix="too many publishes at once; publish again")


def pipelines_in(root: str | Path) -> list[str]:
    """The pipelines with releases (or claims) in the store at `root`."""
    return storage_for(root).folders()
