import json

import pytest

from tinyml import releases
from tinyml.firmware.manifest import sha256_file


def _firmware(tmp_path, name, payload=b"\x7fELF firmware"):
    d = tmp_path / name
    d.mkdir(parents=True)
    (d / "firmware.elf").write_bytes(payload)
    (d / "firmware.bin").write_bytes(payload[::-1])
    files = {f: {"sha256": sha256_file(d / f), "bytes": (d / f).stat().st_size} for f in ("firmware.elf", "firmware.bin")}
    (d / "manifest.json").write_text(json.dumps({"files": files}))
    return d


def test_releases_are_numbered_with_their_change_vs_the_previous(tmp_path):
    store = releases.ReleaseStore(tmp_path / "rel", "p")
    fw = _firmware(tmp_path, "fw")
    first = store.publish({"run_id": "r1", "metrics": {"overall": {"accuracy": 0.9}}}, {"cortex-m4f": fw})
    second = store.publish({"run_id": "r2", "metrics": {"overall": {"accuracy": 0.95}}}, {"cortex-m4f": fw})
    assert (first.version, second.version) == (1, 2)
    assert store.versions() == [1, 2] and store.latest().record["run_id"] == "r2"
    assert second.record["previous_version"] == 1
    assert second.record["change_vs_previous"]["overall"]["accuracy"] == pytest.approx(0.05)
    assert first.record["change_vs_previous"] == {}
    copied = second.firmware_dir("cortex-m4f") / "firmware.elf"
    assert copied.read_bytes() == (fw / "firmware.elf").read_bytes()
    assert second.record["firmware"]["cortex-m4f"]["files"]["firmware.elf"]["sha256"] == sha256_file(copied)
    assert json.loads((second.path / "release.json").read_text()) == second.record


def test_a_damaged_file_makes_no_release_and_leaves_no_trace(tmp_path):
    store = releases.ReleaseStore(tmp_path / "rel", "p")
    store.publish({"run_id": "r1"}, {"cortex-m4f": _firmware(tmp_path, "good")})
    bad = _firmware(tmp_path, "bad")
    (bad / "firmware.bin").write_bytes(b"tampered")
    with pytest.raises(releases.ChecksumError, match=r"firmware.bin has sha256 .* its manifest says"):
        store.publish({"run_id": "r2"}, {"cortex-m4f": bad})
    assert store.versions() == [1]
    assert sorted(p.name for p in store.dir.iterdir()) == ["1"]


def test_an_incomplete_folder_is_not_a_release(tmp_path):
    store = releases.ReleaseStore(tmp_path / "rel", "p")
    (store.dir / "7").mkdir(parents=True)
    assert store.versions() == [] and store.latest() is None
    with pytest.raises(releases.TinymlError, match=r"no release 7 .* \(releases: none\)"):
        store.get(7)


def test_remote_stores_are_refused_with_the_fix():
    with pytest.raises(releases.TinymlError, match="only local folders"):
        releases.ReleaseStore("gs://bucket/releases", "p")
