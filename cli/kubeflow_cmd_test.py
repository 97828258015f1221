"""`tinyml compile / submit / schedule` end to end through the CLI.

KFP: the real kfp.Client against FakeKfp, a TEST DOUBLE of the KFP v2beta1 REST
API on 127.0.0.1 (no Kubernetes or KFP backend can run here). GCS:
gcp-storage-emulator on loopback. No network but loopback.
"""
import json
import re
import sys
import types

import pytest

from cli.kubeflow_cmd import schedule
from cli.main import main
from pipelines.kubeflow_runner_infra_test import kustomization, manifests
from tinyml.gcs_testing import storage_emulator
from tinyml.kubeflow.client import TOKEN_ENV
from tinyml.kubeflow.client_testing import FakeKfp, closed_port_url, write_package
from tinyml.local_schedule import LOCK_NAME, run_lock

TOKEN = "tok-77c1-secret"
BUCKET = "tinyml-test"


def tinyml(*args) -> int:
    try:
        main([str(a) for a in args])
    except SystemExit as e:
        return e.code
    return 0


@pytest.fixture
def package(tmp_path):
    path = tmp_path / "pipeline.json"
    write_package(path, root=f"gs://{BUCKET}/root")
    return path


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in (TOKEN_ENV, "TINYML_KFP_HOST", "TINYML_IMAGE", "TINYML_PIPELINE_ROOT"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("command", [
    ["compile"], ["submit"], ["schedule"], ["schedule", "create"], ["schedule", "list"], ["schedule", "pause"],
    ["schedule", "resume"], ["schedule", "delete"], ["schedule", "run-local"],
])
def test_every_command_has_help(command, capsys):
    assert tinyml(*command, "--help") == 0
    out = capsys.readouterr().out
    assert f"Usage: tinyml {' '.join(command)}" in out and "--help" in out


def test_submit_waits_and_prints_state_and_firmware(package, monkeypatch, capsys):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    with storage_emulator(monkeypatch, BUCKET) as gcs_client:
        def release_firmware(run):  # what FirmwareBuilder writes in a real run
            prefix = f"root/digits/{run['run_id']}/FirmwareBuilder/a1b2/firmware/cortex-m4f"
            gcs_client.bucket(BUCKET).blob(f"{prefix}/manifest.json").upload_from_string("{}")

        with FakeKfp(token=TOKEN, on_run_created=release_firmware) as kfp:
            code = tinyml("submit", "--host", kfp.url, "--package", package, "--experiment", "nightly",
                          "--param", "epochs=3", "--wait", "--poll", 0)
            (run_id, run), = kfp.runs.items()
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"run {run_id}: SUCCEEDED" in out
    assert f"firmware cortex-m4f: gs://{BUCKET}/root/digits/{run_id}/FirmwareBuilder/a1b2/firmware/cortex-m4f/" in out
    assert json.loads(run["runtime_config"]["parameters"]["trainer_custom_config"])["epochs"] == 3
    assert TOKEN not in out + err


def test_submit_of_a_failed_run_exits_1(package, capsys):
    with FakeKfp(run_states=("FAILED",)) as kfp:
        assert tinyml("submit", "--host", kfp.url, "--package", package, "--wait", "--poll", 0) == 1
    assert ": FAILED" in capsys.readouterr().out


def test_submit_without_wait_returns_after_creating_the_run(package, capsys):
    with FakeKfp() as kfp:
        assert tinyml("submit", "--host", kfp.url, "--package", package, "--run-name", "manual-1") == 0
        (run,) = kfp.runs.values()
        assert run["display_name"] == "manual-1" and kfp.run_polls == {}
    assert "started" in capsys.readouterr().out


def test_schedule_create_list_pause_resume_delete(package, tmp_path, capsys):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    with FakeKfp(token=TOKEN) as kfp:
        auth = ["--host", kfp.url, "--token-file", token_file]
        assert tinyml("schedule", "create", *auth, "--package", package, "--cron", "0 3 * * 1",
                      "--max-concurrency", 2, "--param", "targets=cortex-m7", "--service-account", "tinyml-pipeline") == 0
        (job_id, job), = kfp.recurring.items()
        assert job["trigger"]["cron_schedule"]["cron"] == "0 0 3 * * 1"  # KFP's 6 fields, seconds first
        assert int(job["max_concurrency"]) == 2 and job["no_catchup"] is True
        assert job["display_name"] == "digits-retrain" and job["service_account"] == "tinyml-pipeline"
        assert json.loads(job["runtime_config"]["parameters"]["targets"]) == ["cortex-m7"]

        assert tinyml("schedule", "create", *auth, "--package", package, "--cron", "0 4 * * *") == 2
        assert "a recurring run named 'digits-retrain' exists already" in capsys.readouterr().err
        assert len(kfp.recurring) == 1

        assert tinyml("schedule", "list", *auth) == 0
        assert job_id in capsys.readouterr().out
        assert tinyml("schedule", "pause", job_id, *auth) == 0
        assert kfp.recurring[job_id]["status"] == "DISABLED"
        assert tinyml("schedule", "resume", job_id, *auth) == 0
        assert kfp.recurring[job_id]["status"] == "ENABLED"
        assert tinyml("schedule", "delete", job_id, *auth) == 0
        assert kfp.recurring == {}
    out, err = capsys.readouterr()
    assert f"recurring run {job_id}: deleted" in out and TOKEN not in out + err


def test_bad_input_exits_2_with_a_clear_message(package, capsys):
    cases = [
        (["schedule", "create", "--host", closed_port_url(), "--package", package, "--cron", "0 25 * * *"],
         "not a valid cron expression"),
        (["schedule", "run-local", "--cron", "whenever", "--max-runs", 1], "not a valid cron expression"),
        (["submit", "--host", closed_port_url(), "--package", package], "cannot reach Kubeflow Pipelines"),
        (["schedule", "list", "--host", closed_port_url()], "cannot reach Kubeflow Pipelines"),
        (["submit", "--host", "http://x", "--package", package, "--param", "epochs=-1"], "--param epochs=-1"),
        (["compile", "-o", "x.json"], "choose a compile target"),
        (["compile", "--kubeflow", "-o", "x.json"], "no pipeline root given"),
        (["submit", "--host", closed_port_url()], "no pipeline root given"),  # compiles first: needs a root
        (["submit", "--host", closed_port_url(), "--package", "missing.json"], "cannot read pipeline package"),
    ]
    with FakeKfp(token=TOKEN) as secured, FakeKfp() as open_kfp:
        cases += [
            (["submit", "--host", secured.url, "--package", package], "requires credentials and none were given"),
            (["schedule", "pause", "no-such-id", "--host", open_kfp.url], "no recurring run with id 'no-such-id'"),
            (["schedule", "delete", "no-such-id", "--host", open_kfp.url], "no recurring run with id 'no-such-id'"),
        ]
        for args, message in cases:
            assert tinyml(*args) == 2, args
            assert message in capsys.readouterr().err, args
        assert secured.runs == {} and open_kfp.recurring == {}


@pytest.fixture
def fake_local_runner(monkeypatch):
    """Stands in for pipelines.local_runner (a real run takes minutes); records its calls."""
    calls = []

    def run_local(config, root):
        calls.append((config.name, root))
        return types.SimpleNamespace(run_id=f"run-{len(calls)}", status="succeeded", error=None)

    monkeypatch.setitem(sys.modules, "pipelines.local_runner", types.SimpleNamespace(run_local=run_local))
    monkeypatch.setattr("tinyml.local_schedule.time.sleep", lambda seconds: None)  # don't wait for the slot
    return calls


def test_run_local_runs_the_pipeline_at_each_slot(fake_local_runner, tmp_path, capsys):
    assert tinyml("schedule", "run-local", "--cron", "* * * * *", "--root", tmp_path, "--max-runs", 2) == 0
    assert fake_local_runner == [("digits", tmp_path)] * 2
    out = capsys.readouterr().out
    assert "run run-2: succeeded" in out and "done: 2 ran, 0 skipped" in out


def test_run_local_skips_while_another_run_holds_the_lock(fake_local_runner, tmp_path, capsys):
    with run_lock(tmp_path / LOCK_NAME):  # e.g. another `tinyml schedule run-local` mid-run
        assert tinyml("schedule", "run-local", "--cron", "*/5 * * * *", "--root", tmp_path, "--max-runs", 1) == 0
    assert fake_local_runner == []
    assert "done: 0 ran, 1 skipped" in capsys.readouterr().out


@pytest.mark.slow
def test_compile_then_submit_the_real_pipeline(tmp_path, capsys):
    out_file = tmp_path / "pipeline.json"
    assert tinyml("compile", "--kubeflow", "-o", out_file, "--pipeline-root", f"gs://{BUCKET}/root",
                  "--image", "registry.example/tinyml:1", "--data-root", "gs://in/digits") == 0
    out = capsys.readouterr().out
    assert f"wrote {out_file}" in out and "parameter data_root = gs://in/digits" in out
    with FakeKfp() as kfp:
        assert tinyml("submit", "--host", kfp.url, "--package", out_file, "--param", "epochs=2",
                      "--param", "data_root=gs://data/digits") == 0
        (run,) = kfp.runs.values()
        uploaded = kfp.uploads[0]["text"]
    params = run["runtime_config"]["parameters"]
    assert json.loads(params["trainer_custom_config"])["epochs"] == 2
    assert params["data_root"] == "gs://data/digits" and json.loads(params["targets"]) == ["cortex-m4f"]
    assert run["runtime_config"]["pipeline_root"] == f"gs://{BUCKET}/root"
    assert "registry.example/tinyml:1" in uploaded and "pipelineInfo" in uploaded


def test_the_jobs_command_line_is_accepted_by_the_cli():
    (job,) = [d for d in manifests() if d["kind"] == "Job"]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    env = dict(lit.split("=", 1) for lit in kustomization()["configMapGenerator"][0]["literals"])
    args = [re.sub(r"\$\((\w+)\)", lambda m: env[m[1]], a) for a in container["args"]]
    assert container["command"] == ["tinyml"] and args[:2] == ["schedule", "create"]
    ctx = schedule.commands["create"].make_context("create", args[2:])
    assert ctx.params["cron"] == "0 3 * * 1" and ctx.params["service_account"] == "tinyml-pipeline"
    assert ctx.params["pipeline_root"].startswith("gs://")
