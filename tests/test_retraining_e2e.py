"""Retraining on spans, end to end, through the real CLI (LocalDagRunner, SQLite ML Metadata):

span 1 -> release 1; span 2 drifted -> the run stops naming the features, no
release, and `firmware pull --latest` still returns release 1 byte for byte;
span 3 -> release 2, with its change against release 1 in the release record.
Then the bad inputs of `firmware pull`: an unknown run id, a tampered file.

Span N is the first N thirds of the digits data (a growing snapshot), with
the example's own config (write_spans.write_config) and shorter training: a
pipeline run costs about a minute and a half here.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from retraining_support import files, tinyml, write_config

from pipelines.examples.digits import write_spans
from tinyml.firmware.manifest import read_manifest, sha256_file
from tinyml.releases.store import ReleaseStore

pytestmark = pytest.mark.slow

PIPELINE = "digits-retrain"


def _last_report(root: Path) -> dict:
    reports = sorted((root / "reports" / PIPELINE).glob("*/summary.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(reports[-1].read_text())


def test_three_spans_two_releases_and_a_drifted_span_in_between(tmp_path):
    data, root = tmp_path / "data", tmp_path / "runs"
    config = write_config(data, PIPELINE)
    store = ReleaseStore(root / "releases", PIPELINE)

    # Span 1: the first release.
    write_spans.write_span(data, 1)
    first = tinyml("run", "--config", config, "--root", root)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    report1 = _last_report(root)
    assert report1["spans"] == [1]
    assert report1["release"]["released"] and report1["release"]["version"] == 1
    assert "release 1" in first.stdout
    release1 = store.get(1)
    assert release1.record["spans"] == [1] and release1.record["run_id"] == report1["run_id"]
    assert release1.record["previous_version"] is None
    assert read_manifest(release1.firmware_dir("cortex-m4f")).lineage["spans"] == [1]

    pulled1 = tmp_path / "pulled-1"
    done = tinyml("firmware", "pull", "--latest", "--root", root, "-o", pulled1)
    assert done.returncode == 0, done.stderr
    assert "pulled release 1" in done.stdout
    by_run = tmp_path / "by-run"
    assert tinyml("firmware", "pull", "--run", report1["run_id"], "--root", root, "-o", by_run).returncode == 0
    assert files(by_run) == files(pulled1)

    # Span 2, drifted: stopped before training, the features named; no release.
    write_spans.write_span(data, 2, corrupt="drift")
    second = tinyml("run", "--config", config, "--root", root)
    assert second.returncode != 0
    out = second.stdout + second.stderr
    assert "span 2 drifted from span 1" in out
    named = [p for p in write_spans.DRIFT_PIXELS if f"feature '{p}'" in out]
    assert named == list(write_spans.DRIFT_PIXELS), out[-3000:]
    report2 = _last_report(root)
    assert report2["status"] == "failed" and report2["release"] is None
    assert {c["id"]: c["state"] for c in report2["components"]}["DriftGate"] == "failed"
    assert store.versions() == [1]

    pulled2 = tmp_path / "pulled-2"
    assert tinyml("firmware", "pull", "--latest", "--root", root, "-o", pulled2).returncode == 0
    assert files(pulled2) == files(pulled1)

    runs = json.loads(tinyml("runs", "--root", root, "--json").stdout)
    assert [(r["span"], r["release"]) for r in runs] == [(2, None), (1, 1)]
    assert runs[0]["status"] == "failed (DriftGate)" and runs[1]["blessed"] is True
    assert "span 2 drifted from span 1" in runs[0]["error"]
    assert list(runs[1]["firmware"]) == ["cortex-m4f"]

    # Span 3, good: compared with span 1 (the last accepted), released as 2.
    write_spans.write_span(data, 3)
    third = tinyml("run", "--config", config, "--root", root)
    assert third.returncode == 0, third.stdout[-3000:] + third.stderr[-3000:]
    assert store.versions() == [1, 2], third.stdout[-3000:]
    release2 = store.get(2)
    assert release2.record["spans"] == [3] and release2.record["previous_version"] == 1
    change = release2.record["change_vs_previous"]["overall"]["accuracy"]
    assert change == pytest.approx(
        release2.record["metrics"]["overall"]["accuracy"] - release1.record["metrics"]["overall"]["accuracy"]
    )
    # The Evaluator's baseline was release 1's model, on span 3's eval data.
    same_data = release2.record["comparison_with_previous_release"]["overall"]
    assert same_data["examples"] == release2.record["metrics"]["overall"]["example_count"]
    assert same_data["change"] == pytest.approx(same_data["candidate"] - same_data["released"])
    # Trained on three times the data, seeded: better than release 1 on the same examples.
    assert same_data["change"] > 0
    listed = json.loads(tinyml("releases", "--root", root, "--json").stdout)
    assert [r["version"] for r in listed] == [2, 1]

    # Bad input: an unknown run id.
    unknown = tinyml("firmware", "pull", "--run", "no-such-run", "--root", root, "-o", tmp_path / "x")
    assert unknown.returncode == 2 and "no run 'no-such-run'" in unknown.stderr
    assert not (tmp_path / "x").exists()

    # Bad input: a file of the latest release changed after it was published.
    elf = release2.firmware_dir("cortex-m4f") / "firmware.elf"
    before = sha256_file(elf)
    data = bytearray(elf.read_bytes())
    data[len(data) // 2] ^= 0xFF
    elf.write_bytes(bytes(data))
    tampered = tinyml("firmware", "pull", "--latest", "--root", root, "-o", tmp_path / "tampered")
    assert tampered.returncode == 2
    assert "checksum mismatch" in tampered.stderr and before in tampered.stderr
    assert not (tmp_path / "tampered").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tampered-pull")]
