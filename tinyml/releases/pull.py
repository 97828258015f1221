"""Finds a run's or a release's firmware and copies it out, every sha256 checked.

A run's firmware is found through ML Metadata lineage (the run's FirmwareBuilder
output) or, for a Kubeflow run, under its root on GCS; a release's through the
release store (a local folder or gs://). Every source's files are fetched
into a temporary folder beside the destination, checked there against the
fetched manifest (and the release record), and moved into place only when
every checksum matched, so a failed pull leaves nothing behind.
"""
from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from pathlib import Path

from tinyml import node_ids
from tinyml.errors import TinymlError
from tinyml.firmware.manifest import MANIFEST_NAME, built_targets, read_manifest, sha256_file
from tinyml.releases.store import ReleaseStore, Source, pipelines_in
from tinyml.runs.layout import RunsLayout


def run_firmware(root: Path, run_id: str, pipeline: str | None = None) -> tuple[str, list[Source]]:
    """(pipeline, firmware per target) of run `run_id`, from the local ML Metadata store."""
    from tinyml.runs.summary import latest_run_ids, summarize_run

    layout = RunsLayout(Path(root))
    candidates = [pipeline] if pipeline else layout.pipelines()
    for name in candidates:
        metadata = layout.metadata_path(name)
        if not metadata.is_file() or run_id not in latest_run_ids(metadata, limit=1_000_000):
            continue
        artifact = summarize_run(metadata, name, run_id).output(node_ids.FIRMWARE_BUILDER, "firmware")
        targets = built_targets(artifact.uri) if artifact else []
        if not targets:
            raise TinymlError(f"run {run_id} of pipeline {name} released no firmware",
                              fix=f"see why with `tinyml runs --root {root}`; pull a run that has firmware")
        return name, [Source(t, Path(artifact.uri) / t) for t in targets]
    recent = [r for name in candidates if layout.metadata_path(name).is_file()
              for r in latest_run_ids(layout.metadata_path(name), limit=5)]
    raise TinymlError(
        f"no run {run_id!r} in the runs root {root}" + (f" (recent runs: {', '.join(recent)})" if recent else " (no runs)"),
        fix=f"list the runs with `tinyml runs --root {root}`",
    )


def latest_blessed_run_firmware(root: Path, pipeline: str | None = None) -> tuple[str, str, list[Source]]:
    """(pipeline, run id, firmware per target) of the newest local run whose model the Evaluator
    blessed and whose every target's firmware passed verification (or, compile-only, was built).

    What `firmware pull --latest` takes when no release store exists: the bundled example has none."""
    from tinyml.artifact_properties import is_blessed
    from tinyml.firmware.manifest import read_manifest
    from tinyml.runs.summary import latest_run_ids, summarize_run

    layout = RunsLayout(Path(root))
    names = [pipeline] if pipeline else layout.pipelines()
    newest = []
    for name in names:
        metadata = layout.metadata_path(name)
        if not metadata.is_file():
            continue
        for run_id in latest_run_ids(metadata, limit=1_000_000):
            s = summarize_run(metadata, name, run_id)
            artifact = s.output(node_ids.FIRMWARE_BUILDER, "firmware")
            targets = built_targets(artifact.uri) if artifact else []
            verified = all(read_manifest(Path(artifact.uri) / t).verification.passed is not False for t in targets)
            if targets and verified and is_blessed(s.output(node_ids.EVALUATOR, "blessing")):
                newest.append((run_id, name, [Source(t, Path(artifact.uri) / t) for t in targets]))
                break
    if len(newest) > 1 and not pipeline:
        raise TinymlError(f"the runs root {root} holds blessed runs of pipelines {sorted(n for _, n, _ in newest)}",
                          fix="choose one with --pipeline")
    if not newest:
        raise TinymlError(
            f"no release store at {layout.releases_dir} and no run under {root} with a blessed model and verified firmware",
            fix=f"run the pipeline (`tinyml run --root {root}`) until its model passes every gate; "
                f"`tinyml runs --root {root}` shows why the runs were not blessed",
        )
    run_id, name, sources = newest[0]
    return name, run_id, sources


def gcs_firmware(run_root: str) -> list[Source]:
    """Firmware per target of a Kubeflow run, under its root on GCS (what `tinyml submit --wait` prints)."""
    from tinyml import gcs

    found = gcs.find_firmware(run_root)
    if not found:
        raise TinymlError(
            f"no firmware under {run_root} (no FirmwareBuilder/.../firmware/<target>/{MANIFEST_NAME})",
            fix="pass the run root `tinyml submit --wait` printed, of a run whose model passed a target's budget",
        )
    return [Source(t, uri) for t, uri in sorted(found.items())]


def release_firmware(store_root: Path | str, pipeline: str | None = None, version: int | None = None):
    """(release, firmware per target) of the latest (or given) release, from a local or gs:// store."""
    names = [pipeline] if pipeline else pipelines_in(store_root)
    if len(names) > 1:
        raise TinymlError(f"the release store {store_root} holds pipelines {names}", fix="choose one with --pipeline")
    store = ReleaseStore(store_root, names[0]) if names else None
    release = store.latest() if store and version is None else (store.get(version) if store else None)
    if release is None:
        raise TinymlError(f"no release in {store_root}" + (f" for pipeline {pipeline}" if pipeline else ""),
                          fix="a run makes a release when its model passes every gate; see `tinyml runs`")
    return release, release.sources()


def _keep_package_only(folder: Path) -> None:
    """Leaves only the checked source package in `folder`: its archive and the archive unpacked."""
    manifest = read_manifest(folder)
    if manifest.package is None:
        raise TinymlError(f"the firmware for {manifest.target.name} was built without a source package",
                          fix="pull it without --package-only, or rebuild it (the builder now writes one)")
    archive = folder / manifest.package.archive
    if sha256_file(archive) != manifest.package.sha256:
        raise TinymlError(f"checksum mismatch: {archive.name} differs from the package sha256 in its manifest",
                          fix="pull again; if it persists the release is damaged")
    for path in folder.iterdir():
        if path != archive:
            path.unlink()
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")


def pull(sources: list[Source], out: Path, target: str | None = None, package_only: bool = False) -> list[Path]:
    """Copies each source's files into `out` (one target: straight in; several: out/<target>/);
    with `package_only` just each target's source package (archive and unpacked folder).

    Returns the folders written. Raises before touching `out` if it holds files.
    """
    if target is not None:
        known = [s.target for s in sources]
        sources = [s for s in sources if s.target == target]
        if not sources:
            raise TinymlError(f"no firmware for target {target!r} (there is: {', '.join(known)})",
                              fix="pass one of those with --target")
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise TinymlError(f"{out} already exists and is not an empty folder", fix="pull into a new or empty folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-pull-", dir=out.parent))
    try:
        for s in sources:
            dest = tmp if len(sources) == 1 else tmp / s.target
            s.fetch_verified(dest)
            if package_only:
                _keep_package_only(dest)
        if out.exists():
            out.rmdir()
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [out] if len(sources) == 1 else [out / s.target for s in sources]
