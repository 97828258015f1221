"""tinyml.kubeflow.client: the real kfp.Client against FakeKfp, a TEST DOUBLE of the KFP
v2beta1 REST API on 127.0.0.1 (no Kubernetes or KFP backend can run here)."""
import json
import logging

import pytest
import yaml

from tinyml.errors import TinymlError
from tinyml.kubeflow.client import TOKEN_ENV, KfpClient, PipelinePackage, kfp_cron, read_token
from tinyml.kubeflow.client_testing import FakeKfp, closed_port_url, write_package

TOKEN = "tok-3f9a-do-not-print"


@pytest.fixture
def package(tmp_path):
    write_package(tmp_path / "pipeline.json")
    return PipelinePackage.load(tmp_path / "pipeline.json")


def test_read_token(tmp_path, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    assert read_token(None) is None
    monkeypatch.setenv(TOKEN_ENV, f" {TOKEN}\n")
    assert read_token(None) == TOKEN
    (tmp_path / "t").write_text("from-file\n")
    assert read_token(tmp_path / "t") == "from-file"  # the file wins
    with pytest.raises(TinymlError, match="cannot read token file"):
        read_token(tmp_path / "missing")
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(TinymlError, match="is empty"):
        read_token(tmp_path / "empty")


def test_kfp_cron():
    assert kfp_cron("0 3 * * 1") == "0 0 3 * * 1"
    with pytest.raises(TinymlError, match="not a valid cron expression"):
        kfp_cron("0 3 * * 8")


def test_params_edit_defaults(package):
    values = package.resolve_params(["epochs=40", "learning_rate=0.01", "targets=cortex-m7, cortex-m4f",
                                     "data_root=gs://other/data"])
    trainer = json.loads(values["trainer_custom_config"])
    assert trainer == {"epochs": 40, "batch_size": 32, "label_key": "label", "learning_rate": 0.01}
    assert json.loads(values["targets"]) == ["cortex-m7", "cortex-m4f"]
    assert values["data_root"] == "gs://other/data"
    assert package.resolve_params([]) == package.defaults


def test_targets_may_name_the_users_profiles_compiled_into_the_package(tmp_path):
    from tinyml.profiles import load_profiles, profiles_to_json

    board = load_profiles()["cortex-m4f"].model_copy(update={"description": "my board", "clock_hz": 100_000_000})
    write_package(tmp_path / "own.json", profiles=profiles_to_json({"my-board": board}))
    own = PipelinePackage.load(tmp_path / "own.json")
    assert json.loads(own.resolve_params(["targets=my-board,cortex-m3"])["targets"]) == ["my-board", "cortex-m3"]
    write_package(tmp_path / "bundled.json")
    with pytest.raises(TinymlError, match=r"unknown target profile\(s\) \['my-board'\]"):
        PipelinePackage.load(tmp_path / "bundled.json").resolve_params(["targets=my-board"])


@pytest.mark.parametrize("pair, message", [
    ("epochs=0", "greater than or equal to 1"),
    ("epochs=many", "valid integer"),
    ("targets=cortex-z9", "unknown target profile"),
    ("targets=", "unknown target profile"),
    ("colour=blue", "unknown parameter 'colour'"),
    ("epochs", "not key=value"),
])
def test_bad_params(package, pair, message):
    with pytest.raises(TinymlError, match=message):
        package.resolve_params([pair])


def test_package_errors(tmp_path):
    with pytest.raises(TinymlError, match="cannot read pipeline package"):
        PipelinePackage.load(tmp_path / "nope.json")
    (tmp_path / "x.json").write_text('{"a": 1}')
    with pytest.raises(TinymlError, match="not a compiled pipeline"):
        PipelinePackage.load(tmp_path / "x.json")


def test_upload_then_new_version_then_reuse(package, tmp_path):
    with FakeKfp() as kfp:
        client = KfpClient(kfp.url)
        ir_file = package.write_ir(tmp_path)
        assert yaml.safe_load(ir_file.read_text()) == package.ir
        pid, vid, what = client.ensure_pipeline_version(package, ir_file)
        assert what == "uploaded new pipeline" and kfp.pipelines[pid]["display_name"] == "digits"
        assert kfp.uploads[0]["text"] == ir_file.read_text()  # the IR, not the PipelineJob wrapper
        pid2, vid2, what = client.ensure_pipeline_version(package, ir_file)
        assert (pid2, what) == (pid, "uploaded new version") and vid2 != vid
        assert kfp.versions[pid][-1]["display_name"] == package.version_name
        assert client.ensure_pipeline_version(package, ir_file) == (pid, vid2, "reused unchanged version")
        assert len(kfp.uploads) == 2


def test_run_and_wait(package, tmp_path):
    with FakeKfp(run_states=("PENDING", "RUNNING", "FAILED")) as kfp:
        client = KfpClient(kfp.url)
        pid, vid, _ = client.ensure_pipeline_version(package, package.write_ir(tmp_path))
        run_id = client.create_run(package, pid, vid, "exp", package.resolve_params(["epochs=2"]), "r1")
        sent = kfp.runs[run_id]
        assert sent["runtime_config"]["pipeline_root"] == "gs://bucket/root"
        assert json.loads(sent["runtime_config"]["parameters"]["trainer_custom_config"])["epochs"] == 2
        assert kfp.experiments[sent["experiment_id"]]["display_name"] == "exp"
        assert client.wait(run_id, timeout_s=60, poll_s=0).state == "FAILED"
        assert kfp.run_polls[run_id] == 3


def test_wait_stops_on_canceled_and_times_out(package, tmp_path):
    with FakeKfp(run_states=("CANCELED",)) as kfp:
        client = KfpClient(kfp.url)
        pid, vid, _ = client.ensure_pipeline_version(package, package.write_ir(tmp_path))
        run_id = client.create_run(package, pid, vid, "exp", {}, "r")
        assert client.wait(run_id, timeout_s=60, poll_s=0).state == "CANCELED"
    with FakeKfp(run_states=("RUNNING",)) as kfp:
        client = KfpClient(kfp.url)
        pid, vid, _ = client.ensure_pipeline_version(package, package.write_ir(tmp_path))
        run_id = client.create_run(package, pid, vid, "exp", {}, "r")
        with pytest.raises(TinymlError, match="still RUNNING"):
            client.wait(run_id, timeout_s=0, poll_s=0)


def test_run_artifact_root_from_the_run_its_version_or_the_package(tmp_path):
    with FakeKfp() as kfp:
        client = KfpClient(kfp.url)
        write_package(tmp_path / "p.json", name="digits", root="gs://bucket/root")
        package = PipelinePackage.load(tmp_path / "p.json")
        pid, vid, _ = client.ensure_pipeline_version(package, package.write_ir(tmp_path))
        run_id = client.create_run(package, pid, vid, "exp", {}, "r")
        # The run's own root and the name in its pipeline version's IR: no package needed.
        assert client.run_artifact_root(run_id) == f"gs://bucket/root/digits/{run_id}"
        assert ("GET", f"/apis/v2beta1/pipelines/{pid}/versions/{vid}") in [r[:2] for r in kfp.requests]

        # A run started without a root (e.g. from the UI): the compiled package's default.
        kfp.runs[run_id]["runtime_config"].pop("pipeline_root")
        other = tmp_path / "other.json"
        write_package(other, name="digits", root="gs://other/root")
        assert client.run_artifact_root(run_id, PipelinePackage.load(other)) == f"gs://other/root/digits/{run_id}"
        with pytest.raises(TinymlError, match=f"run {run_id} on .* does not say its pipeline root") as e:
            client.run_artifact_root(run_id)
        assert "--package" in e.value.fix
        with pytest.raises(TinymlError, match="no run with id 'nope'"):
            client.run_artifact_root("nope")


def test_unknown_run_and_recurring_run_ids():
    with FakeKfp() as kfp:
        client = KfpClient(kfp.url)
        with pytest.raises(TinymlError, match="no run with id 'abc'"):
            client.get_run("abc")
        for action in (client.pause, client.resume, client.delete):
            with pytest.raises(TinymlError, match="no recurring run with id 'r-404'"):
                action("r-404")


def test_unreachable_host_fails_fast():
    url = closed_port_url()
    with pytest.raises(TinymlError, match=f"cannot reach Kubeflow Pipelines at {url}"):
        KfpClient(url)
    with pytest.raises(TinymlError, match="not an http"):
        KfpClient("localhost:8080")


def test_missing_and_rejected_credentials_never_show_the_token(caplog, capsys):
    caplog.set_level(logging.DEBUG)
    with FakeKfp(token=TOKEN) as kfp:
        with pytest.raises(TinymlError, match="requires credentials and none were given") as missing:
            KfpClient(kfp.url)
        with pytest.raises(TinymlError, match="rejected the token") as rejected:
            KfpClient(kfp.url, token="wrong-token")
        client = KfpClient(kfp.url, token=TOKEN)
        assert client.list_schedules() == []
        headers = {k.lower(): v for k, v in kfp.requests[-1][2].items()}
        assert headers["authorization"] == f"Bearer {TOKEN}"
    out = capsys.readouterr()
    shown = " ".join([str(missing.value), str(rejected.value), out.out, out.err, caplog.text])
    assert TOKEN not in shown and "wrong-token" not in shown
