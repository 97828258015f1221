"""Pulling from the release store and from a Kubeflow run's root on GCS (gcp-storage-emulator on
loopback): every sha256 checked, nothing left behind on failure.
(Pulls by run id from a real pipeline run: tests/test_retraining_e2e.py.)"""
import pytest

from tinyml.errors import TinymlError
from tinyml.releases import pull, store as releases
from tinyml.gcs_testing import storage_emulator, upload_folder
from tinyml.firmware.manifest_testing import firmware_folder

RUN_ROOT = "gs://tinyml-test/root/digits/run-1"


@pytest.fixture
def store(tmp_path):
    root = tmp_path / "rel"
    s = releases.ReleaseStore(root, "p")
    s.publish({"run_id": "r1"}, {"m4": firmware_folder(tmp_path / "a"), "m7": firmware_folder(tmp_path / "b")})
    return root


def test_latest_release_one_target_lands_straight_in_the_folder(store, tmp_path):
    release, sources = pull.release_firmware(store)
    written = pull.pull(sources, tmp_path / "out", target="m7")
    assert written == [tmp_path / "out"]
    assert (tmp_path / "out" / "firmware.elf").read_bytes() == (release.firmware_dir("m7") / "firmware.elf").read_bytes()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["firmware.bin", "firmware.elf", "manifest.json"]


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


def test_package_only_pulls_the_released_source_package_unpacked(tmp_path):
    s = releases.ReleaseStore(tmp_path / "rel", "p")
    s.publish({"run_id": "r1"}, {"m4": firmware_folder(tmp_path / "a", package=True)})
    release, sources = pull.release_firmware(tmp_path / "rel")
    pull.pull(sources, tmp_path / "out", package_only=True)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["tinyml_model", "tinyml_model.tar.gz"]
    assert (tmp_path / "out" / "tinyml_model.tar.gz").read_bytes() == (
        release.firmware_dir("m4") / "tinyml_model.tar.gz").read_bytes()
    assert (tmp_path / "out" / "tinyml_model" / "README.md").read_text() == "# tinyml_model of a\n"
    # The archive is checked like every released file.
    (release.firmware_dir("m4") / "tinyml_model.tar.gz").write_bytes(b"evil")
    with pytest.raises(releases.ChecksumError, match=r"m4/tinyml_model.tar.gz has sha256"):
        pull.pull(sources, tmp_path / "again", package_only=True)
    assert not (tmp_path / "again").exists()


def test_package_only_of_firmware_without_a_package_names_the_fix(store, tmp_path):
    _, sources = pull.release_firmware(store)
    with pytest.raises(pull.TinymlError, match="built without a source package") as e:
        pull.pull(sources, tmp_path / "out", target="m4", package_only=True)
    assert "without --package-only" in e.value.fix
    assert not (tmp_path / "out").exists()


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


@pytest.fixture
def kubeflow_run(monkeypatch, tmp_path):
    """A run root on the emulator as FirmwareBuilder leaves it: {target: (local original, gs:// prefix)}."""
    with storage_emulator(monkeypatch) as client:
        bucket = client.bucket("tinyml-test")
        prefix = RUN_ROOT.removeprefix("gs://tinyml-test/")
        run = {}
        for target in ("m4", "m7"):
            run[target] = (firmware_folder(tmp_path / "built" / target), f"{prefix}/FirmwareBuilder/42/firmware/{target}")
            upload_folder(bucket, *run[target])
        yield bucket, run


def _files(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_gcs_run_pull_is_byte_identical(kubeflow_run, tmp_path):
    _, run = kubeflow_run
    sources = pull.gcs_firmware(RUN_ROOT)
    assert pull.pull(sources, tmp_path / "out") == [tmp_path / "out" / "m4", tmp_path / "out" / "m7"]
    for target, (built, _) in run.items():
        assert _files(tmp_path / "out" / target) == _files(built)
    assert pull.pull(sources, tmp_path / "one", target="m7") == [tmp_path / "one"]
    assert _files(tmp_path / "one") == _files(run["m7"][0])


def test_a_tampered_gcs_object_fails_and_leaves_the_folder_clean(kubeflow_run, tmp_path):
    bucket, run = kubeflow_run
    bucket.blob(f"{run['m7'][1]}/firmware.bin").upload_from_string(b"evil")
    with pytest.raises(releases.ChecksumError, match=r"m7/firmware.bin has sha256 .* its manifest says"):
        pull.pull(pull.gcs_firmware(RUN_ROOT), tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out-pull")] == []


def test_a_gcs_object_the_manifest_does_not_list_fails(kubeflow_run, tmp_path):
    bucket, run = kubeflow_run
    bucket.blob(f"{run['m4'][1]}/extra/payload.bin").upload_from_string(b"unchecked")
    (tmp_path / "out").mkdir()
    with pytest.raises(releases.ChecksumError, match=r"m4 holds files its manifest does not list: extra/payload.bin"):
        pull.pull(pull.gcs_firmware(RUN_ROOT), tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_a_gcs_file_the_manifest_lists_but_is_gone_fails(kubeflow_run, tmp_path):
    bucket, run = kubeflow_run
    bucket.blob(f"{run['m4'][1]}/firmware.elf").delete()
    with pytest.raises(pull.TinymlError, match=r"m4/firmware.elf is missing"):
        pull.pull(pull.gcs_firmware(RUN_ROOT), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_unknown_gcs_root_names_the_uri(kubeflow_run):
    with pytest.raises(pull.TinymlError, match=r"no firmware under gs://tinyml-test/root/digits/run-9 "):
        pull.gcs_firmware("gs://tinyml-test/root/digits/run-9")


def test_latest_without_releases_or_blessed_runs_names_both_and_the_fix(tmp_path):
    with pytest.raises(TinymlError) as e:
        pull.latest_blessed_run_firmware(tmp_path)
    assert f"no release store at {tmp_path / 'releases'} and no run under {tmp_path}" in str(e.value)
    assert f"fix: run the pipeline (`tinyml run --root {tmp_path}`)" in str(e.value)
