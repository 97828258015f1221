"""The spoken digits example compiled for Kubeflow: the audio settings reach the components that need them,
and the image's entrypoint registers the frontend op before any component runs."""
import json

import pytest
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

from pipelines.kubeflow_runner import IMAGE_COMMAND, compile_kubeflow
from tinyml import paths
from tinyml.audio.tf_frontend import OP_NAME
from tinyml.audio.wav_folder import EXAMPLES_FILE
from tinyml.config import load_config

ROOT = "gs://tinyml-test-bucket/pipelines"
IMAGE = "europe-docker.pkg.dev/proj/tinyml/pipeline:1.2.3"
CONFIG = paths.EXAMPLES_DIR / "spoken_digits" / "config.yaml"


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    out = tmp_path_factory.mktemp("kfp") / "pipeline.json"
    compile_kubeflow(load_config(CONFIG), out, pipeline_root=ROOT, image=IMAGE)
    return json.loads(out.read_text())


def _parameters(job, task):
    return {k: v["runtimeValue"]["constant"]
            for k, v in job["pipelineSpec"]["root"]["dag"]["tasks"][task]["inputs"]["parameters"].items()
            if "runtimeValue" in v}


@pytest.mark.slow
def test_compiled_audio_pipeline_reads_the_ingested_examples_and_passes_the_audio_config(job):
    json_format.ParseDict(job, pipeline_spec_pb2.PipelineJob(), ignore_unknown_fields=False)
    audio = load_config(CONFIG).data.audio.model_dump()
    transform = json.loads(_parameters(job, "Transform")["custom_config"])
    assert transform["audio"] == audio
    assert json.loads(_parameters(job, "TFLMConverter")["audio"]) == audio
    example_gen = _parameters(job, "ImportExampleGen")
    assert json.loads(example_gen["input_config"])["splits"][0]["pattern"] == EXAMPLES_FILE
    executors = job["pipelineSpec"]["deploymentSpec"]["executors"]
    for task in ("Transform", "Trainer", "Evaluator", "TFLMConverter"):
        command = executors[f"{task}_executor"]["container"]["command"]
        assert command[:len(IMAGE_COMMAND)] == IMAGE_COMMAND


def test_the_image_entrypoint_registers_the_frontend_op():
    from tensorflow.python.framework import op_def_registry

    from tinyml.kubeflow.entrypoint import load_ops

    load_ops()
    assert op_def_registry.get(OP_NAME) is not None
