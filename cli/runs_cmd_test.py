"""`tinyml runs` / `tinyml releases` on a release store; with real runs: tests/test_retraining_e2e.py."""
import json

from click.testing import CliRunner

from cli.main import cli
from tinyml.gcs_testing import storage_emulator
from tinyml.firmware.manifest_testing import firmware_folder
from tinyml.releases.store import ReleaseStore


def _release(root, accuracy):
    fw = firmware_folder(root / f"fw-{accuracy}")
    ReleaseStore(root / "releases", "p").publish(
        {"run_id": f"run-{accuracy}", "spans": [1], "metrics": {"overall": {"accuracy": accuracy}}}, {"m4": fw}
    )


def test_releases_lists_newest_first_with_the_change(tmp_path):
    _release(tmp_path, 0.9)
    _release(tmp_path, 0.93)
    result = CliRunner().invoke(cli, ["releases", "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "run-" in line]
    assert "run-0.93" in lines[0] and "+0.0300 vs 1" in lines[0] and "run-0.9 " in lines[1]
    records = json.loads(CliRunner().invoke(cli, ["releases", "--root", str(tmp_path), "--json"]).output)
    assert [r["version"] for r in records] == [2, 1]


def test_runs_without_any_run_says_how_to_make_one(tmp_path):
    result = CliRunner().invoke(cli, ["runs", "--root", str(tmp_path)])
    assert result.exit_code != 0 and "no runs under" in str(result.exception)


def test_the_cli_lists_and_pulls_a_gcs_store(monkeypatch, tmp_path):
    with storage_emulator(monkeypatch, "tinyml-test"):
        _lists_and_pulls(tmp_path)


def _lists_and_pulls(tmp_path):
    firmware = {"m4": firmware_folder(tmp_path / "built" / "m4")}
    store = "gs://tinyml-test/rel"
    ReleaseStore(store, "p").publish({"run_id": "r1", "metrics": {"overall": {"accuracy": 0.9}}}, firmware)
    ReleaseStore(store, "p").publish({"run_id": "r2", "metrics": {"overall": {"accuracy": 0.8}}}, firmware)
    listed = CliRunner().invoke(cli, ["releases", "--store", store, "--json"], catch_exceptions=False)
    assert [r["version"] for r in json.loads(listed.output)] == [2, 1]
    table = CliRunner().invoke(cli, ["releases", "--store", store], catch_exceptions=False).output
    assert f"releases in {store}" in table and "-0.1000 vs 1" in table
    for args, version in ((["--latest"], 2), (["--release", "1"], 1)):
        out = tmp_path / f"fw-{version}"
        done = CliRunner().invoke(cli, ["firmware", "pull", *args, "--store", store, "--target", "m4", "-o", str(out)],
                                  catch_exceptions=False)
        assert f"pulled release {version} of p (run r{version})" in done.output
        assert {p.name: p.read_bytes() for p in out.iterdir()} == {
            p.name: p.read_bytes() for p in firmware["m4"].iterdir()}

