"""`tinyml ui` over HTTP (Starlette's test client): pages, verified downloads, bad input, and
that it never changes the runs root."""
import hashlib

import pytest
from starlette.testclient import TestClient

from tinyml.firmware.manifest import read_manifest
from tinyml.firmware.manifest_testing import firmware_folder
from tinyml.metrics.intervals import wilson_interval
from tinyml.releases.store import ReleaseStore
from tinyml.runs.layout import RunsLayout
from tinyml.runs.run_page_testing import PIPELINE, assembled_run
from tinyml.ui.app import create_app


def _snapshot(root):
    return {str(p): (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def root(tmp_path):
    assembled_run(tmp_path, "r1", accuracy=0.95)
    assembled_run(tmp_path, "r2", accuracy=0.97)
    return tmp_path


def test_empty_runs_root_says_how_to_make_a_run(tmp_path):
    page = TestClient(create_app(tmp_path / "none")).get("/")
    assert page.status_code == 200
    assert "No runs yet" in page.text and f"tinyml run --root {tmp_path / 'none'}" in page.text
    releases = TestClient(create_app(tmp_path / "none")).get("/releases")
    assert releases.status_code == 200 and "No releases" in releases.text


def test_unknown_run_is_a_404_page_not_a_traceback(root):
    client = TestClient(create_app(root), raise_server_exceptions=False)
    for url in ("/runs/digits/nope", "/runs/digits/nope/firmware/cortex-m4f/firmware.bin", "/releases/digits/3/x/y",
                "/runs/digits/r1/firmware/cortex-m0/firmware.bin", "/no/such/page", "/runs/digits/r1/firmware/cortex-m4f/..",
                "/runs/%2E%2E/r1", "/releases/%2E%2E/1/cortex-m4f/firmware.bin"):
        page = client.get(url)
        assert page.status_code == 404, url
        assert page.headers["content-type"].startswith("text/html") and "Traceback" not in page.text, url
    assert "no run &#39;nope&#39; of pipeline &#39;digits&#39;" in client.get("/runs/digits/nope").text


def test_run_report_links_firmware_and_downloads_are_verified(root):
    before = _snapshot(root)
    client = TestClient(create_app(root))
    report = client.get("/runs/digits/r1")
    assert report.status_code == 200 and "<svg" in report.text
    link = "/runs/digits/r1/firmware/cortex-m4f/firmware.bin"
    assert f'href="{link}"' in report.text
    got = client.get(link)
    manifest = read_manifest(RunsLayout(root).pipeline_root(PIPELINE) / "FirmwareBuilder" / "firmware" / "r1" / "cortex-m4f")
    assert got.status_code == 200
    assert hashlib.sha256(got.content).hexdigest() == manifest.files["firmware.bin"].sha256 == got.headers["x-checksum-sha256"]
    # Accuracy with its 95 % interval over the slice's examples, on the run's page and on the comparison.
    r1, r2 = wilson_interval(190, 200), wilson_interval(194, 200)
    assert f"0.950 <span class=\"interval\" title=\"95 % confidence interval\">({r1[0]:.3f}–{r1[1]:.3f})</span>" in report.text
    compared = client.get("/compare", params={"a": "digits/r1", "b": "digits/r2"})
    assert "+0.0200" in compared.text  # accuracy 0.95 -> 0.97
    assert f"0.9500 <span class=\"interval\" title=\"95 % confidence interval\">({r1[0]:.3f}–{r1[1]:.3f})</span>" in compared.text
    assert f"0.9700 <span class=\"interval\" title=\"95 % confidence interval\">({r2[0]:.3f}–{r2[1]:.3f})</span>" in compared.text
    assert _snapshot(root) == before  # read-only


def test_a_tampered_firmware_file_is_refused_with_the_checksum_named(root):
    folder = RunsLayout(root).pipeline_root(PIPELINE) / "FirmwareBuilder" / "firmware" / "r1" / "cortex-m4f"
    (folder / "firmware.elf").write_bytes(b"patched")
    got = TestClient(create_app(root)).get("/runs/digits/r1/firmware/cortex-m4f/firmware.bin")
    assert got.status_code == 409
    assert f"checksum mismatch: {folder}/firmware.elf has sha256 {hashlib.sha256(b'patched').hexdigest()}" in got.text


def test_releases_list_their_files_and_serve_them_checked(tmp_path):
    store = tmp_path / "releases"
    firmware = firmware_folder(tmp_path / "built" / "cortex-m4f")
    release = ReleaseStore(store, PIPELINE).publish({"run_id": "r1", "spans": [3]}, {"cortex-m4f": firmware})
    client = TestClient(create_app(tmp_path))
    page = client.get("/releases")
    sha = release.record["firmware"]["cortex-m4f"]["files"]["firmware.bin"]["sha256"]
    assert f"{PIPELINE} · version 1" in page.text and sha in page.text
    got = client.get("/releases/digits/1/cortex-m4f/firmware.bin")
    assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == sha
