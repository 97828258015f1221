"""The spoken digits example compiled for Kubeflow: the audio settings reach the components that need them,
and the image's entrypoint registers the frontend op before any component runs."""
import json

import pytest
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

from pipelines.kubeflow_runner import IMAGE_COMMAND, build_kubeflow_pipeline, compile_kubeflow
from tinyml import paths
from tinyml.audio.tf_frontend import OP_NAME
from tinyml.config import load_config

ROOT = "gs://tinyml-test-bucket/pipelines"
WAVS = "gs://tinyml-test-bucket/data/fsdd/recordings"
BEAM_ARGS = ("--runner=DataflowRunner", "--project=proj", "--region=europe-west1", "--temp_location=gs://b/tmp")
IMAGE = "europe-docker.pkg.dev/proj/tinyml/pipeline:1.2.3"
CONFIG = paths.EXAMPLES_DIR / "spoken_digits" / "config.yaml"


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    out = tmp_path_factory.mktemp("kfp") / "pipeline.json"
    compile_kubeflow(_config(), out, pipeline_root=ROOT, image=IMAGE, data_root=WAVS)
    return json.loads(out.read_text())


def _config():
    return load_config(CONFIG).model_copy(update={"beam_args": BEAM_ARGS})


def _parameters(job, task):
    return {k: v["runtimeValue"]["constant"]
            for k, v in job["pipelineSpec"]["root"]["dag"]["tasks"][task]["inputs"]["parameters"].items()
            if "runtimeValue" in v}


@pytest.mark.slow
def test_compiled_audio_pipeline_reads_the_wav_folder_and_passes_the_audio_config(job):
    from components.wav_example_gen.executor import read_custom_config
    from pipelines.data_prep import wav_label_rule

    json_format.ParseDict(job, pipeline_spec_pb2.PipelineJob(), ignore_unknown_fields=False)
    audio = load_config(CONFIG).data.audio.model_dump()
    transform = json.loads(_parameters(job, "Transform")["custom_config"])
    assert transform["audio"] == audio
    assert json.loads(_parameters(job, "TFLMConverter")["audio"]) == audio
    # The WAV folder itself, no upload step: the data_root parameter defaults to it.
    params = job["pipelineSpec"]["root"]["inputDefinitions"]["parameters"]
    assert params["data_root"]["defaultValue"] == WAVS
    example_gen = _parameters(job, "WavExampleGen")
    assert json.loads(example_gen["input_config"])["splits"][0]["pattern"] == "*"
    assert json.loads(example_gen["output_config"])["split_config"]["partition_feature_name"] == "speaker"
    assert read_custom_config(example_gen) == (wav_label_rule(load_config(CONFIG)), load_config(CONFIG).data.audio)
    executors = job["pipelineSpec"]["deploymentSpec"]["executors"]
    args = executors["WavExampleGen_executor"]["container"]["args"]
    assert args[args.index("--executor_class_path") + 1] == "components.wav_example_gen.executor.Executor"
    for task in ("WavExampleGen", "Transform", "Trainer", "Evaluator", "TFLMConverter"):
        command = executors[f"{task}_executor"]["container"]["command"]
        assert command[:len(IMAGE_COMMAND)] == IMAGE_COMMAND


@pytest.mark.slow
def test_every_beam_component_of_the_audio_pipeline_gets_the_configs_beam_args(job):
    from tfx.dsl.components.base.executor_spec import BeamExecutorSpec

    pipeline = build_kubeflow_pipeline(_config(), ROOT, WAVS)
    beam = {n.id for n in pipeline.components if isinstance(getattr(n, "executor_spec", None), BeamExecutorSpec)}
    assert "WavExampleGen" in beam
    for node in beam:
        args = job["pipelineSpec"]["deploymentSpec"]["executors"][f"{node}_executor"]["container"]["args"]
        first = args.index(BEAM_ARGS[0])
        assert args[first:first + len(BEAM_ARGS)] == list(BEAM_ARGS), (node, args)
        assert "--direct_running_mode=in_memory" not in args


def test_a_wav_folder_on_this_machine_is_refused_for_the_cluster():
    from pipelines.data_location import data_location
    from tinyml.errors import TinymlError

    with pytest.raises(TinymlError, match=r"data\.path 'data/fsdd/recordings' is relative to this machine"):
        data_location(load_config(CONFIG), ROOT)
    assert data_location(load_config(CONFIG), ROOT, WAVS) == (WAVS, "*")


def test_the_image_entrypoint_registers_the_frontend_op():
    from tensorflow.python.framework import op_def_registry

    from tinyml.kubeflow.entrypoint import load_ops

    load_ops()
    assert op_def_registry.get(OP_NAME) is not None
