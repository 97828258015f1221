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
from tinyml.config import DEFAULT_CONFIG, parse_config
from tinyml.errors import TinymlError

ROOT = "gs://tinyml-test-bucket/pipelines"
IMAGE = "europe-docker.pkg.dev/proj/tinyml/pipeline:1.2.3"
BEAM_ARGS = ("--runner=DataflowRunner", "--project=proj", "--region=europe-west1", "--temp_location=gs://b/tmp")


def _config(**overrides):
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw.update(overrides)
    return parse_config(raw, source=str(DEFAULT_CONFIG), source_dir=str(DEFAULT_CONFIG.parent))


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    out = tmp_path_factory.mktemp("kfp") / "pipeline.json"
    config = _config(beam_args=list(BEAM_ARGS), targets=["cortex-m4f", "cortex-m7"])
    compile_kubeflow(config, out, pipeline_root=ROOT, image=IMAGE)
    return json.loads(out.read_text()), config


@pytest.mark.slow
def test_output_parses_strictly_as_pipeline_job_and_ir(compiled):
    job, _ = compiled
    # Strict: an unknown field anywhere raises.
    json_format.ParseDict(job, pipeline_spec_pb2.PipelineJob(), ignore_unknown_fields=False)
    ir = json_format.ParseDict(job["pipelineSpec"], pipeline_spec_pb2.PipelineSpec(), ignore_unknown_fields=False)
    assert ir.pipeline_info.name == "digits"
    assert ir.schema_version == "2.1.0"
    assert job["runtimeConfig"]["gcsOutputDirectory"] == ROOT


@pytest.mark.slow
def test_kfp_sdk_loads_the_ir(compiled, tmp_path):
    from kfp import components

    job, _ = compiled
    ir_file = tmp_path / "pipeline.yaml"
    ir_file.write_text(yaml.safe_dump(job["pipelineSpec"]))
    component = components.load_component_from_file(str(ir_file))
    assert component.name == "digits"
    assert set(component.component_spec.inputs) == {"data_root", "targets", "trainer_custom_config"}
    tasks = component.pipeline_spec.root.dag.tasks
    assert {"CsvExampleGen", "Trainer", "Evaluator", "TFLMConverter", "FirmwareBuilder"} <= set(tasks)


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


def test_unsupported_resolver_is_refused_with_the_reason():
    class NewestFirst(tfx.dsl.experimental.ResolverStrategy):
        def resolve_artifacts(self, store, input_dict):
            return input_dict

    node = tfx.dsl.Resolver(strategy_class=NewestFirst, model=tfx.dsl.Channel(type=standard_artifacts.Model))
    pipeline = tfx.dsl.Pipeline(pipeline_name="p", pipeline_root=ROOT, components=[node.with_id("newest")])
    with pytest.raises(TinymlError, match="node newest resolves with NewestFirst"):
        _check_resolvers(pipeline)


def test_release_config_is_refused_with_the_reason():
    with pytest.raises(TinymlError, match="LatestReleasedModelStrategy.*does not support"):
        build_kubeflow_pipeline(_config(release={}), ROOT)


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
