"""Pulling from the release store: every sha256 checked, nothing left behind on failure.
(Pulls by run id from a real pipeline run: tests/test_retraining_e2e.py.)"""
import json

import pytest

from tinyml import pull, releases
from tinyml.firmware.manifest import sha256_file


def _firmware(tmp_path, name):
    d = tmp_path / name
    d.mkdir(parents=True)
    (d / "firmware.elf").write_bytes(b"\x7fELF" + name.encode())
    files = {"firmware.elf": {"sha256": sha256_file(d / "firmware.elf"), "bytes": 4 + len(name)}}
    (d / "manifest.json").write_text(json.dumps({"files": files}))
    return d


@pytest.fixture
def store(tmp_path):
    root = tmp_path / "rel"
    s = releases.ReleaseStore(root, "p")
    s.publish({"run_id": "r1"}, {"m4": _firmware(tmp_path, "a"), "m7": _firmware(tmp_path, "b")})
    return root


def test_latest_release_one_target_lands_straight_in_the_folder(store, tmp_path):
    release, sources = pull.release_firmware(store)
    written = pull.pull(sources, tmp_path / "out", target="m7")
    assert written == [tmp_path / "out"]
    assert (tmp_path / "out" / "firmware.elf").read_bytes() == (release.firmware_dir("m7") / "firmware.elf").read_bytes()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["firmware.elf", "manifest.json"]


def test_every_target_gets_a_sub_folder(store, tmp_path):
    _, sources = pull.release_firmware(store)
    assert pull.pull(sources, tmp_path / "out") == [tmp_path / "out" / "m4", tmp_path / "out" / "m7"]


def test_a_tampered_file_fails_and_leaves_the_folder_clean(store, tmp_path):
    release, sources = pull.release_firmware(store)
    (release.firmware_dir("m7") / "firmware.elf").write_bytes(b"evil")
    with pytest.raises(releases.ChecksumError, match=r"m7/firmware.elf has sha256"):
        pull.pull(sources, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out-pull")] == []


def test_a_tampered_manifest_is_caught_by_the_release_record(store, tmp_path):
    release, sources = pull.release_firmware(store)
    manifest = release.firmware_dir("m4") / "manifest.json"
    manifest.write_text(manifest.read_text() + " ")
    (tmp_path / "out").mkdir()
    with pytest.raises(releases.ChecksumError, match=r"m4/manifest.json does not match .* release record"):
        pull.pull(sources, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_bad_requests_name_the_fix(store, tmp_path):
    _, sources = pull.release_firmware(store)
    with pytest.raises(pull.TinymlError, match=r"no firmware for target 'm0' \(there is: m4, m7\)"):
        pull.pull(sources, tmp_path / "out", target="m0")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(pull.TinymlError, match="not an empty folder"):
        pull.pull(sources, tmp_path / "full")
    assert [p.name for p in (tmp_path / "full").iterdir()] == ["keep.txt"]
    with pytest.raises(pull.TinymlError, match="no release in"):
        pull.release_firmware(tmp_path / "empty")
    with pytest.raises(pull.TinymlError, match=r"no run 'nope' in the runs root .* \(no runs\)"):
        pull.run_firmware(tmp_path / "runs", "nope")
