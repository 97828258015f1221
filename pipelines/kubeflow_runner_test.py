"""Compiles the real pipeline for Kubeflow Pipelines and checks the output strictly."""
import json

import pytest
import yaml
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2
from tfx import v1 as tfx
from tfx.types import standard_artifacts

from components.artifact_types import Firmware, TFLiteModel
from pipelines.kubeflow_runner import (
    IMAGE_COMMAND,
    _check_resolvers,
    IMAGE_REPO_ROOT,
    build_kubeflow_pipeline,
    compile_kubeflow,
    data_location,
)
from pipelines.local_runner import build_local_pipeline
from pipelines.resolvers import LatestBaselineStrategy, LatestReleasedModelStrategy
from tinyml.config import DEFAULT_CONFIG, parse_config
from tinyml.errors import TinymlError

ROOT = "gs://tinyml-test-bucket/pipelines"
IMAGE = "europe-docker.pkg.dev/proj/tinyml/pipeline:1.2.3"
BEAM_ARGS = ("--runner=DataflowRunner", "--project=proj", "--region=europe-west1", "--temp_location=gs://b/tmp")
STORE = "gs://tinyml-test-bucket/releases"
SPAN_DATA = {"path": "gs://tinyml-test-bucket/data/span-{SPAN}/digits.csv", "label": "label", "num_classes": 10,
             "slice_features": ["ink_density"], "schema_path": "schema.pbtxt", "spans": {"select": "latest"}}


def _config(**overrides):
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw.update(overrides)
    return parse_config(raw, source=str(DEFAULT_CONFIG), source_dir=str(DEFAULT_CONFIG.parent))


def _compile(tmp_path_factory, config):
    out = tmp_path_factory.mktemp("kfp") / "pipeline.json"
    compile_kubeflow(config, out, pipeline_root=ROOT, image=IMAGE)
    return json.loads(out.read_text()), config


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    return _compile(tmp_path_factory, _config(beam_args=list(BEAM_ARGS), targets=["cortex-m4f", "cortex-m7"]))


@pytest.fixture(scope="module")
def retraining(tmp_path_factory):
    """Scheduled retraining: spans, drift check, releases into a GCS store."""
    return _compile(tmp_path_factory, _config(data={**SPAN_DATA, "drift": {"features": ["label"]}},
                                              release={"store": STORE}, beam_args=list(BEAM_ARGS)))


@pytest.fixture(scope="module")
def drift_only(tmp_path_factory):
    return _compile(tmp_path_factory, _config(data={**SPAN_DATA, "drift": {}}))


def _tasks(job):
    return job["pipelineSpec"]["root"]["dag"]["tasks"]


def _container(job, task):
    return job["pipelineSpec"]["deploymentSpec"]["executors"][f"{task}_executor"]["container"]


def _constant(job, task, param):
    return _tasks(job)[task]["inputs"]["parameters"][param]["runtimeValue"]["constant"]


@pytest.mark.slow
@pytest.mark.parametrize("which", ["compiled", "retraining", "drift_only"])
def test_output_parses_strictly_as_pipeline_job_and_ir(which, request):
    job, _ = request.getfixturevalue(which)
    # Strict: an unknown field anywhere raises.
    json_format.ParseDict(job, pipeline_spec_pb2.PipelineJob(), ignore_unknown_fields=False)
    ir = json_format.ParseDict(job["pipelineSpec"], pipeline_spec_pb2.PipelineSpec(), ignore_unknown_fields=False)
    assert ir.pipeline_info.name == "digits"
    assert ir.schema_version == "2.1.0"
    assert job["runtimeConfig"]["gcsOutputDirectory"] == ROOT


@pytest.mark.slow
@pytest.mark.parametrize("which, extra", [
    ("compiled", set()),
    ("retraining", {"DriftGate", "ReleaseBaseline", "Releaser"}),
    ("drift_only", {"DriftGate"}),
])
def test_kfp_sdk_loads_the_ir(which, extra, request, tmp_path):
    from kfp import components

    job, _ = request.getfixturevalue(which)
    ir_file = tmp_path / "pipeline.yaml"
    ir_file.write_text(yaml.safe_dump(job["pipelineSpec"]))
    component = components.load_component_from_file(str(ir_file))
    assert component.name == "digits"
    assert set(component.component_spec.inputs) == {"data_root", "targets", "trainer_custom_config"}
    tasks = component.pipeline_spec.root.dag.tasks
    assert {"CsvExampleGen", "Trainer", "Evaluator", "TFLMConverter", "FirmwareBuilder"} | extra == set(tasks) - {
        "StatisticsGen", "ImportSchemaGen", "ExampleValidator", "DataGate", "Transform"}


@pytest.mark.slow
@pytest.mark.parametrize("which", ["compiled", "retraining", "drift_only"])
def test_no_resolver_executor_which_the_kfp_backend_refuses(which, request):
    job, _ = request.getfixturevalue(which)
    executors = job["pipelineSpec"]["deploymentSpec"]["executors"]
    assert all(list(e) == ["container"] for e in executors.values()), executors.keys()
    assert not [t for t in _tasks(job) if "resolver" in t]


@pytest.mark.slow
def test_release_baseline_is_the_latest_release_read_at_run_time(retraining):
    job, _ = retraining
    tasks = _tasks(job)
    assert _constant(job, "ReleaseBaseline", "store") == STORE
    assert _constant(job, "ReleaseBaseline", "pipeline") == "digits"
    assert tasks["ReleaseBaseline"]["cachingOptions"] == {"enableCache": False}  # the store changes between runs
    assert tasks["Evaluator"]["inputs"]["artifacts"]["baseline_model"] == {
        "taskOutputArtifact": {"producerTask": "ReleaseBaseline", "outputArtifactKey": "model"}}
    # The Evaluator that reads "no release yet" as no baseline.
    args = _container(job, "Evaluator")["args"]
    assert args[args.index("--executor_class_path") + 1] == "components.release_evaluator.executor.Executor"
    assert _constant(job, "Releaser", "store") == STORE
    assert tasks["Releaser"]["cachingOptions"] == {"enableCache": True}
    # The image's entrypoint makes the KFP titles of the new nodes' types importable.
    from tfx.utils import import_utils

    from components.artifact_types import DataBaseline, ReleaseRecord
    from tinyml.kubeflow.artifact_titles import register_titles

    assert register_titles(_container(job, "Releaser")["command"]) == IMAGE_COMMAND
    assert import_utils.import_class_by_path("tinyml.ReleaseRecord") is ReleaseRecord
    assert import_utils.import_class_by_path("tinyml.DataBaseline") is DataBaseline


@pytest.mark.slow
@pytest.mark.parametrize("which", ["retraining", "drift_only"])
def test_drift_gate_reads_its_reference_from_the_pointer_under_the_root(which, request):
    job, _ = request.getfixturevalue(which)
    gate = _tasks(job)["DriftGate"]
    assert _constant(job, "DriftGate", "reference_store") == f"{ROOT}/digits/drift-reference"
    assert set(gate["inputs"]["artifacts"]) == {"statistics", "schema", "examples"}
    assert gate["cachingOptions"] == {"enableCache": False}  # the pointer moves between runs
    assert "DriftGate" in _tasks(job)["Transform"]["dependentTasks"]
    assert "--artifact-type=tinyml.DataBaseline=components.artifact_types.DataBaseline" in _container(job, "DriftGate")[
        "command"]


@pytest.mark.slow
@pytest.mark.parametrize("which", ["compiled", "drift_only"])
def test_without_release_the_evaluator_has_no_baseline_on_kubeflow(which, request):
    job, _ = request.getfixturevalue(which)
    assert "baseline_model" not in _tasks(job)["Evaluator"]["inputs"]["artifacts"]
    args = _container(job, "Evaluator")["args"]
    assert args[args.index("--executor_class_path") + 1] == "tfx.components.evaluator.executor.Executor"
    assert "ReleaseBaseline" not in _tasks(job)


@pytest.mark.slow
def test_image_command_beam_args_and_no_wheels(compiled):
    job, _ = compiled
    executors = job["pipelineSpec"]["deploymentSpec"]["executors"]
    containers = {name: e["container"] for name, e in executors.items() if "container" in e}
    assert containers, "no container executors"
    for name, c in containers.items():
        assert c["image"] == IMAGE, name
        assert c["command"] == [
            *IMAGE_COMMAND,
            "--artifact-type=tinyml.DataGateReport=components.artifact_types.DataGateReport",
            "--artifact-type=tinyml.Firmware=components.artifact_types.Firmware",
            "--artifact-type=tinyml.TFLiteModel=components.artifact_types.TFLiteModel",
        ], name
    # Beam components get the config's args as-is, with none of the local runner's.
    for name in ("StatisticsGen_executor", "Transform_executor", "Evaluator_executor", "CsvExampleGen_executor"):
        args = containers[name]["args"]
        assert list(BEAM_ARGS) == [a for a in args if a in BEAM_ARGS], name
        assert "--direct_running_mode=in_memory" not in args
    text = json.dumps(job)
    assert "_wheels" not in text and "module_file" not in text
    assert "pipelines.examples.digits.model.run_fn" in text  # code by import path


@pytest.mark.slow
@pytest.mark.parametrize("which, beam_nodes", [
    ("compiled", {"CsvExampleGen", "StatisticsGen", "Transform", "Evaluator"}),
    ("retraining", {"CsvExampleGen", "StatisticsGen", "Transform", "Evaluator"}),  # the Evaluator a ReleaseEvaluator
])
def test_every_beam_based_component_carries_the_configs_beam_args(which, beam_nodes, request):
    from tfx.dsl.components.base.executor_spec import BeamExecutorSpec

    job, config = request.getfixturevalue(which)
    # Which nodes run Beam, as the pipeline object says, so a new Beam-based component is checked too.
    pipeline = build_kubeflow_pipeline(config, ROOT)
    beam = {n.id for n in pipeline.components if isinstance(getattr(n, "executor_spec", None), BeamExecutorSpec)}
    assert beam == beam_nodes
    for node in beam:
        args = _container(job, node)["args"]
        # TFX appends them to the executor's arguments, in the config's order.
        assert BEAM_ARGS[0] in args, (node, args)
        first = args.index(BEAM_ARGS[0])
        assert args[first:first + len(BEAM_ARGS)] == list(BEAM_ARGS), (node, args)


@pytest.mark.slow
def test_runtime_parameters_with_defaults(compiled):
    job, config = compiled
    params = job["pipelineSpec"]["root"]["inputDefinitions"]["parameters"]
    assert params["data_root"] == {"parameterType": "STRING", "defaultValue": f"{ROOT}/data/digits"}
    assert json.loads(params["targets"]["defaultValue"]) == ["cortex-m4f", "cortex-m7"]
    trainer_config = json.loads(params["trainer_custom_config"]["defaultValue"])
    assert trainer_config["epochs"] == config.model.epochs and trainer_config["label_key"] == "label"
    assert job["runtimeConfig"]["parameterValues"] == {k: v["defaultValue"] for k, v in params.items()}
    tasks = job["pipelineSpec"]["root"]["dag"]["tasks"]
    assert tasks["CsvExampleGen"]["inputs"]["parameters"]["input_base"] == {"componentInputParameter": "data_root"}
    for task in ("TFLMConverter", "FirmwareBuilder"):
        assert tasks[task]["inputs"]["parameters"]["targets"] == {"componentInputParameter": "targets"}
    assert tasks["Trainer"]["inputs"]["parameters"]["custom_config"] == {"componentInputParameter": "trainer_custom_config"}


@pytest.mark.slow
def test_schema_path_and_artifact_titles_for_the_image(compiled):
    job, _ = compiled
    schema_file = job["pipelineSpec"]["root"]["dag"]["tasks"]["ImportSchemaGen"]["inputs"]["parameters"]["schema_file"]
    assert schema_file["runtimeValue"]["constant"] == f"{IMAGE_REPO_ROOT}/pipelines/examples/digits/schema.pbtxt"
    text = json.dumps(job)
    assert "title: tinyml.TFLiteModel" in text and "title: tinyml.Firmware" in text
    # The KFP names are for the compile only: local ML Metadata keeps the originals.
    assert (TFLiteModel.TYPE_NAME, Firmware.TYPE_NAME) == ("TinymlTFLiteModel", "TinymlFirmware")


def test_bad_pipeline_name_is_refused():
    config = _config().model_copy(update={"name": "digits_v2"})
    with pytest.raises(TinymlError, match="not valid for Kubeflow"):
        build_kubeflow_pipeline(config, ROOT)


def test_any_resolver_is_refused_even_a_builtin_one():
    node = tfx.dsl.Resolver(strategy_class=tfx.dsl.experimental.LatestArtifactStrategy,
                            model=tfx.dsl.Channel(type=standard_artifacts.Model))
    pipeline = tfx.dsl.Pipeline(pipeline_name="p", pipeline_root=ROOT, components=[node.with_id("latest")])
    with pytest.raises(TinymlError, match="node latest is a Resolver; the Kubeflow Pipelines backend runs none"):
        _check_resolvers(pipeline)


@pytest.mark.parametrize("release", [{}, {"store": "releases"}, {"store": "/srv/releases"}])
def test_release_store_on_this_machine_is_refused_naming_the_field(release):
    with pytest.raises(TinymlError, match=r"release.store is (not set|releases|/srv/releases): on Kubeflow") as e:
        build_kubeflow_pipeline(_config(release=release), ROOT)
    assert "set release.store in the config to a gs:// URI" in e.value.fix


def test_span_window_is_refused_with_the_reason():
    config = _config(data={**SPAN_DATA, "spans": {"select": "window", "window": 3}})
    with pytest.raises(TinymlError, match="window needs a Resolver") as e:
        build_kubeflow_pipeline(config, ROOT)
    assert "select: latest" in e.value.fix


def test_relative_serving_path_is_refused_and_a_uri_is_kept_as_written():
    data = {**SPAN_DATA, "drift": {}, "serving_path": "serving.csv"}
    with pytest.raises(TinymlError, match="data.serving_path 'serving.csv' is relative"):
        build_kubeflow_pipeline(_config(data=data), ROOT)
    pipeline = build_kubeflow_pipeline(_config(data={**data, "serving_path": "gs://tinyml-test-bucket/s.csv"}), ROOT)
    gate = next(c for c in pipeline.components if c.id == "DriftGate")
    assert gate.exec_properties["serving_path"] == "gs://tinyml-test-bucket/s.csv"


def test_local_runs_keep_resolving_from_ml_metadata(tmp_path):
    from pipelines.examples.digits import write_spans

    write_spans.write_span(tmp_path / "data", 1, 3, limit=200)
    data = {**SPAN_DATA, "path": str(tmp_path / "data" / "span-{SPAN}" / "digits.csv"), "drift": {}}
    pipeline, _ = build_local_pipeline(_config(data=data, release={}), tmp_path / "runs")
    nodes = {c.id: c for c in pipeline.components}
    strategies = {n.id: n.exec_properties["resolver_class"] for n in nodes.values() if isinstance(n, tfx.dsl.Resolver)}
    assert strategies == {"drift_reference_resolver": LatestBaselineStrategy,
                          "latest_released_model_resolver": LatestReleasedModelStrategy}
    assert nodes["DriftGate"].exec_properties["reference_store"] is None
    assert type(nodes["Evaluator"]) is tfx.components.Evaluator
    assert "ReleaseBaseline" not in nodes


@pytest.mark.parametrize("path, location", [
    ("gs://b/d/", ("gs://b/d", "*")),
    ("gs://b/d/digits.csv", ("gs://b/d", "digits.csv")),
    ("/mnt/data/digits", ("/mnt/data/digits", "*")),
    ("gs://b/data/span-{SPAN}/digits.csv", ("gs://b/data", "span-{SPAN}/digits.csv")),
    ("gs://b/data/span-{SPAN}", ("gs://b/data", "span-{SPAN}/*")),
])
def test_data_location_splits_uris_like_the_local_runner(path, location):
    spans = {"spans": {"select": "latest"}} if "{SPAN}" in path else {}
    config = _config(data={"path": path, "label": "label", "num_classes": 10, **spans})
    assert data_location(config, ROOT) == location


def test_relative_data_path_is_refused_unless_a_data_root_is_given():
    config = _config(data={"path": "data/digits.csv", "label": "label", "num_classes": 10})
    with pytest.raises(TinymlError, match="cluster cannot read"):
        data_location(config, ROOT)
    assert data_location(config, ROOT, data_root="gs://in/d") == ("gs://in/d", "digits.csv")


def test_missing_pipeline_root_is_refused(tmp_path):
    with pytest.raises(TinymlError, match="no pipeline root"):
        compile_kubeflow(_config(), tmp_path / "p.json", pipeline_root="")


def test_user_profiles_are_compiled_in_as_data(tmp_path_factory, tmp_path):
    from tinyml.paths import PROFILES_FILE
    from tinyml.profiles import profiles_from_json

    m3 = yaml.safe_load(PROFILES_FILE.read_text())["profiles"]["cortex-m3"]
    (tmp_path / "boards.yaml").write_text(yaml.safe_dump({"profiles": {"tiny-m3": {**m3, "ram_bytes": 2048}}}))
    job, _ = _compile(tmp_path_factory, _config(profiles=str(tmp_path / "boards.yaml"), targets=["tiny-m3"]))
    # The container reads the profiles from its parameters: the file stays on this machine.
    for task in ("TFLMConverter", "FirmwareBuilder"):
        assert profiles_from_json(_constant(job, task, "profiles"))["tiny-m3"].ram_bytes == 2048


def test_kws_metrics_config_is_compiled_in(tmp_path_factory):
    from tinyml.config import KwsConfig

    evaluation = {**yaml.safe_load(DEFAULT_CONFIG.read_text())["evaluation"],
                  "kws": {"threshold": 0.7, "max_frr_at_far": {"far": 0.05, "max_frr": 0.1}}}
    job, config = _compile(tmp_path_factory, _config(evaluation=evaluation))
    assert KwsConfig.model_validate_json(_constant(job, "TFLMConverter", "kws")) == config.evaluation.kws
