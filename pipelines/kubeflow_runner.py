"""Compiles the pipeline for Kubeflow Pipelines v2: README.md, "Kubeflow Pipelines"."""
from __future__ import annotations

import json
import re
from pathlib import Path

from tfx import v1 as tfx
from tfx.utils import json_utils

from pipelines.data_location import data_location
from pipelines.pipeline import create_pipeline, trainer_custom_config
from tinyml import node_ids, paths
from tinyml.config import PipelineConfig
from tinyml.errors import TinymlError
from tinyml.kubeflow.artifact_titles import entrypoint_flags, kfp_type_names, renamed_types

# Where infra/Dockerfile puts the project inside the component image.
IMAGE_REPO_ROOT = "/opt/tinyml"
DEFAULT_IMAGE = "tinyml-pipeline:latest"
# Explicit rather than the image's ENTRYPOINT, so a compiled pipeline names what it runs.
IMAGE_COMMAND = ["python", "-m", "tinyml.kubeflow.entrypoint"]
PIPELINE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,127}$")

# Tasks that read state outside their KFP inputs (drift pointer, release store): a cache hit would skip the read.
UNCACHED_TASKS = (node_ids.DRIFT_GATE, node_ids.RELEASE_BASELINE)
DATA_ROOT_PARAM = "data_root"
TARGETS_PARAM = "targets"
TRAINER_CONFIG_PARAM = "trainer_custom_config"


def check_pipeline_name(name: str) -> str:
    if not PIPELINE_NAME_RE.match(name):
        raise TinymlError(
            f"pipeline name '{name}' is not valid for Kubeflow Pipelines",
            fix="use lower-case letters, digits and '-', starting with a letter or digit (at most 128 characters)",
        )
    return name


def image_schema_path(config: PipelineConfig) -> str | None:
    """The curated schema's path as the component image sees it."""
    raw = config.data.schema_path
    if not raw:
        return None
    if "://" in raw:
        return raw
    local = config.schema_file().resolve()
    try:
        return f"{IMAGE_REPO_ROOT}/{local.relative_to(paths.REPO_ROOT).as_posix()}"
    except ValueError:
        raise TinymlError(
            f"schema {local} is outside the project, so it is not in the component image",
            fix="put the schema on GCS and set data.schema_path to its gs:// URI",
        ) from None


def check_kfp_support(config: PipelineConfig) -> None:
    """Refuses config settings that cannot run on Kubeflow, before building anything."""
    if config.release:
        store = config.release.store or ""
        if not store.startswith("gs://"):
            raise TinymlError(
                f"release.store is {store or 'not set'}: on Kubeflow the Releaser and the baseline "
                "are read and written by the run's pods, which cannot reach a folder of this machine",
                fix="set release.store in the config to a gs:// URI, e.g. gs://BUCKET/tinyml/releases",
            )
    if config.data.spans and config.data.spans.select == "window":
        raise TinymlError(
            "data.spans.select: window needs a Resolver to gather the earlier spans for Transform, "
            "and the Kubeflow Pipelines backend runs no Resolver node",
            fix="use 'spans: {select: latest}' for Kubeflow runs (windows run locally)",
        )
    serving = config.data.serving_path
    if config.data.drift and serving and "://" not in serving and not serving.startswith("/"):
        raise TinymlError(
            f"data.serving_path '{serving}' is relative to this machine; the cluster cannot read it",
            fix="set data.serving_path to a gs:// URI",
        )


def _check_resolvers(pipeline: tfx.dsl.Pipeline) -> None:
    # The KFP backend refuses the run of any pipeline with one; say which node, at compile time.
    for node in pipeline.components:
        if isinstance(node, tfx.dsl.Resolver):
            raise TinymlError(
                f"node {node.id} is a Resolver; the Kubeflow Pipelines backend runs none "
                "(\"resolver executors not implemented\")",
                fix="build the pipeline with create_pipeline(without_resolvers=True)",
            )


def build_kubeflow_pipeline(
    config: PipelineConfig, pipeline_root: str, data_root: str | None = None
) -> tfx.dsl.Pipeline:
    check_pipeline_name(config.name)
    check_kfp_support(config)
    base, pattern = data_location(config, pipeline_root, data_root)
    data_root_param = tfx.dsl.experimental.RuntimeParameter(
        name=DATA_ROOT_PARAM, ptype=str, default=base,
        description=f"Folder ExampleGen reads files matching '{pattern}' in",
    )
    pipeline = create_pipeline(
        config,
        pipeline_root=pipeline_root,
        data_root=data_root_param,
        input_pattern=pattern,
        schema_path=image_schema_path(config),
        serving_path=config.data.serving_path,  # as written: the cluster resolves it
        beam_pipeline_args=list(config.beam_args),
        release_store=config.release.store if config.release else None,
        without_resolvers=True,
        targets=tfx.dsl.experimental.RuntimeParameter(
            name=TARGETS_PARAM, ptype=str, default=json.dumps(list(config.targets)),
            description="JSON list of target profiles (firmware/profiles.yaml)",
        ),
        # TFX takes a RuntimeParameter only for the whole custom_config, not one key of it.
        trainer_config=tfx.dsl.experimental.RuntimeParameter(
            name=TRAINER_CONFIG_PARAM, ptype=str, default=json_utils.dumps(trainer_custom_config(config)),
            description="Trainer custom_config (JSON): epochs, batch_size, learning_rate, seed, ...",
        ),
    )
    _check_resolvers(pipeline)
    return pipeline


def compile_kubeflow(
    config: PipelineConfig,
    output: Path,
    pipeline_root: str,
    image: str = DEFAULT_IMAGE,
    data_root: str | None = None,
) -> dict:
    """Writes the PipelineJob JSON (its `pipelineSpec` is the KFP IR) to `output` and returns it."""
    if not pipeline_root:
        raise TinymlError("no pipeline root given", fix="pass --pipeline-root gs://bucket/path")
    pipeline = build_kubeflow_pipeline(config, pipeline_root, data_root)
    defaults = runtime_parameter_defaults(pipeline)
    renamed = renamed_types(pipeline)
    runner = tfx.orchestration.experimental.KubeflowV2DagRunner(
        config=tfx.orchestration.experimental.KubeflowV2DagRunnerConfig(
            default_image=image,
            default_commands=[*IMAGE_COMMAND, *entrypoint_flags(renamed)],
            # Schema 2.1 (typed parameters with defaults) is what KFP 2.x backends and SDKs expect.
            use_pipeline_spec_2_1=True,
        ),
    )
    with kfp_type_names(renamed):
        job = runner.run(pipeline, parameter_values=defaults, write_out=False)
    # TFX keeps RuntimeParameter defaults only in runtimeConfig; the IR gets
    # them too, so a run started from the uploaded pipeline (UI, recurring
    # run) has every parameter's default.
    root_params = job["pipelineSpec"]["root"]["inputDefinitions"]["parameters"]
    for name, value in defaults.items():
        root_params[name]["defaultValue"] = value
    tasks = job["pipelineSpec"]["root"]["dag"]["tasks"]
    for name in UNCACHED_TASKS:
        if name in tasks:
            tasks[name]["cachingOptions"] = {"enableCache": False}
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(job, indent=2, sort_keys=True) + "\n")
    return job


def runtime_parameter_defaults(pipeline: tfx.dsl.Pipeline) -> dict[str, str | int | float]:
    defaults = {}
    for component in pipeline.components:
        for value in component.exec_properties.values():
            if isinstance(value, tfx.dsl.experimental.RuntimeParameter):
                defaults[value.name] = value.default
    return defaults
