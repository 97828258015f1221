"""tinyml.gcs against gcp-storage-emulator on loopback.

TensorFlow's gfile (what TFX uses for gs:// on the cluster) has the GCS
endpoint compiled in (https://www.googleapis.com/storage/v1/) and no emulator
override, so gfile itself cannot be tested here; these tests cover our own
GCS code, which uses the google-cloud-storage client.
"""
import pytest

from tinyml import gcs
from tinyml.errors import TinymlError
from tinyml.gcs_testing import storage_emulator, without_gcp_credentials


def test_split_uri():
    assert gcs.split_uri("gs://b/a/b/") == ("b", "a/b")
    assert gcs.split_uri("gs://b") == ("b", "")
    for bad in ("s3://b/x", "gs://", "gs:///x", "/local/path"):
        with pytest.raises(TinymlError):
            gcs.split_uri(bad)


def test_find_firmware_lists_each_target(monkeypatch):
    with storage_emulator(monkeypatch) as client:
        bucket = client.bucket("tinyml-test")
        run = "root/digits/run-1"
        for target in ("cortex-m4f", "cortex-m7"):
            fw = f"{run}/FirmwareBuilder/salt1/firmware/{target}"
            bucket.blob(f"{fw}/manifest.json").upload_from_string("{}")
            bucket.blob(f"{fw}/firmware.elf").upload_from_string(b"\x7fELF")
        bucket.blob(f"{run}/TFLMConverter/tflite_model/conversion_report.json").upload_from_string("{}")
        bucket.blob("root/digits/run-2/FirmwareBuilder/firmware/cortex-m3/manifest.json").upload_from_string("{}")

        found = gcs.find_firmware(f"gs://tinyml-test/{run}")
        assert found == {
            t: f"gs://tinyml-test/{run}/FirmwareBuilder/salt1/firmware/{t}" for t in ("cortex-m4f", "cortex-m7")
        }
        assert gcs.find_firmware("gs://tinyml-test/root/digits/run-9") == {}


def test_missing_bucket_is_a_clear_error(monkeypatch):
    with storage_emulator(monkeypatch):
        with pytest.raises(TinymlError, match="GCS request for gs://no-such-bucket/x failed"):
            gcs.find_firmware("gs://no-such-bucket/x")


def test_no_credentials_is_a_clear_error(monkeypatch, tmp_path):
    without_gcp_credentials(monkeypatch, tmp_path)
    with pytest.raises(TinymlError, match="no Google Cloud credentials"):
        gcs.client()


def test_download_folder_keeps_sub_paths_and_only_that_folder(monkeypatch, tmp_path):
    with storage_emulator(monkeypatch) as client:
        bucket = client.bucket("tinyml-test")
        bucket.blob("fw/m4/firmware.elf").upload_from_string(b"\x7fELF")
        bucket.blob("fw/m4/sub/notes.txt").upload_from_string(b"n")
        bucket.blob("fw/m4/").upload_from_string(b"")  # a console-made "folder" placeholder
        bucket.blob("fw/m4-old/firmware.elf").upload_from_string(b"other")
        names = gcs.download_folder("gs://tinyml-test/fw/m4", tmp_path)
    assert sorted(names) == ["firmware.elf", "sub/notes.txt"]
    assert (tmp_path / "firmware.elf").read_bytes() == b"\x7fELF"
    assert (tmp_path / "sub" / "notes.txt").read_bytes() == b"n"
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "firmware.elf", "sub", "sub/notes.txt"]


def test_download_folder_refuses_object_names_that_leave_the_folder(monkeypatch, tmp_path):
    with storage_emulator(monkeypatch) as client:
        # Relative to the folder this is "/<tmp_path>/escape.txt": joined naively, an absolute path.
        client.bucket("tinyml-test").blob(f"fw/m4/{tmp_path}/escape.txt").upload_from_string(b"x")
        with pytest.raises(TinymlError, match=r"escape.txt has an unsafe object name"):
            gcs.download_folder("gs://tinyml-test/fw/m4", tmp_path / "dest")
    assert list(tmp_path.iterdir()) == []
