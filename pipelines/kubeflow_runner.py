"""Compiles the pipeline for Kubeflow Pipelines v2 (KubeflowV2DagRunner).

The same `create_pipeline` as the local runner; only where it runs differs:
- every component runs in one image (infra/Dockerfile) holding the project at
  IMAGE_REPO_ROOT, so model code is referenced by import path (no module_file
  wheels, which would be built into the pipeline root at compile time);
- the pipeline root is a bucket (gs://...), the cluster's ML Metadata is used;
- Beam args come from the config unchanged (DataflowRunner, FlinkRunner, ...);
- runtime parameters, changeable per run without recompiling:
    data_root              ExampleGen's input_base (TFX supports a RuntimeParameter there)
    targets                JSON list of target profiles, for TFLMConverter and FirmwareBuilder
    trainer_custom_config  the Trainer's whole custom_config as JSON. TFX takes a
                           RuntimeParameter only for the whole custom_config, not
                           for one key in it, so `epochs` is changed by rewriting
                           this JSON (`tinyml submit --param epochs=N` does that).
  Not runtime parameters: the Evaluator's thresholds (an EvalConfig proto built
  at compile time), the split, the schema path and the Beam args.
Refused: config settings whose nodes resolve with a custom strategy ('release',
'data.drift'); TFX 1.16's V2 compiler takes only LatestArtifactStrategy and
LatestBlessedModelStrategy resolvers.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from tfx import v1 as tfx
from tfx.dsl.components.common import resolver

from pipelines.pipeline import create_pipeline
from pipelines.spans import SPAN
from tinyml import paths
from tinyml.config import PipelineConfig
from tinyml.errors import TinymlError
from tinyml.kfp_types import entrypoint_flags, kfp_type_names, renamed_types

# Where infra/Dockerfile puts the project inside the component image.
IMAGE_REPO_ROOT = "/opt/tinyml"
DEFAULT_IMAGE = "tinyml-pipeline:latest"
# Explicit rather than the image's ENTRYPOINT, so a compiled pipeline names what it runs.
IMAGE_COMMAND = ["python", "-m", "tinyml.kfp_entrypoint"]
PIPELINE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,127}$")

_KFP_RESOLVER_STRATEGIES = (tfx.dsl.experimental.LatestArtifactStrategy, tfx.dsl.experimental.LatestBlessedModelStrategy)

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


def data_location(config: PipelineConfig, pipeline_root: str, data_root: str | None = None) -> tuple[str, str]:
    """(input_base, input_pattern) ExampleGen reads on the cluster; input_base is the `data_root` parameter.

    `data_root` replaces the base taken from the config; the pattern stays.

    A bundled example is expected under the pipeline root (upload its CSV
    there). A user's data.path must be one the cluster can read (a URI or an
    absolute path mounted in the pods); it is split as strings, since
    pathlib would fold gs:// into gs:/. A last part with a '.' is a file,
    otherwise a folder whose files are read; with spans, the base is the
    folder above the first part holding {SPAN}.
    """
    if config.data.example:
        return data_root or f"{pipeline_root.rstrip('/')}/data/{config.data.example}", "*"
    path = config.data.path.rstrip("/")
    parts = path.split("/")
    span_at = next((i for i, part in enumerate(parts) if SPAN in part), None)
    first = span_at if span_at is not None else len(parts) - ("." in parts[-1])
    base, pattern = "/".join(parts[:first]), "/".join(parts[first:])
    if not pattern or "." not in parts[-1]:
        pattern = f"{pattern}/*" if pattern else "*"
    if data_root:
        return data_root, pattern
    if "://" not in path and not path.startswith("/"):
        raise TinymlError(
            f"data.path '{config.data.path}' is relative to this machine; the cluster cannot read it",
            fix="set data.path to a gs:// URI in the config, or pass --data-root gs://bucket/data",
        )
    return base, pattern


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
    """Refuses config settings TFX 1.16's Kubeflow V2 compiler cannot compile, before building anything."""
    if config.release:
        raise TinymlError(
            "releases (config 'release') resolve their baseline with a custom strategy "
            "(LatestReleasedModelStrategy), which TFX 1.16's Kubeflow V2 compiler does not support",
            fix="remove 'release' from the config for Kubeflow runs; releases are made by local runs",
        )


def _check_resolvers(pipeline: tfx.dsl.Pipeline) -> None:
    # The same limit as above for any other resolver, with a clear message instead of TFX's TypeError.
    for node in pipeline.components:
        if isinstance(node, tfx.dsl.Resolver):
            strategy = node.exec_properties[resolver.RESOLVER_STRATEGY_CLASS]
            if strategy not in _KFP_RESOLVER_STRATEGIES:
                raise TinymlError(
                    f"node {node.id} resolves with {strategy.__name__}; TFX 1.16 on Kubeflow supports only "
                    "LatestArtifactStrategy and LatestBlessedModelStrategy",
                    fix="leave the config setting that adds this node (e.g. data.drift) out of Kubeflow runs",
                )


def _node(pipeline: tfx.dsl.Pipeline, node_id: str):
    for component in pipeline.components:
        if component.id == node_id:
            return component
    raise KeyError(node_id)


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
        data_root=data_root_param,  # ExampleGen's input_base takes a RuntimeParameter
        input_pattern=pattern,
        schema_path=image_schema_path(config),
        beam_pipeline_args=list(config.beam_args),
        builtin_resolvers_only=True,
    )
    _check_resolvers(pipeline)
    # create_pipeline serialises targets and custom_config to JSON strings;
    # swapping those exec properties for string RuntimeParameters (same type,
    # the compiled defaults unchanged) makes them per-run settings.
    targets_param = tfx.dsl.experimental.RuntimeParameter(
        name=TARGETS_PARAM, ptype=str, default=json.dumps(list(config.targets)),
        description="JSON list of target profiles (firmware/profiles.yaml)",
    )
    for node in pipeline.components:  # TFLMConverter, FirmwareBuilder, Releaser
        if "targets" in node.exec_properties:
            node.exec_properties["targets"] = targets_param
    trainer = _node(pipeline, "Trainer")
    trainer.exec_properties["custom_config"] = tfx.dsl.experimental.RuntimeParameter(
        name=TRAINER_CONFIG_PARAM, ptype=str, default=trainer.exec_properties["custom_config"],
        description="Trainer custom_config (JSON): epochs, batch_size, learning_rate, seed, ...",
    )
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
