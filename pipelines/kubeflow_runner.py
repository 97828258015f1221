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
No Resolver node. TFX 1.16 compiles a Resolver (LatestArtifactStrategy or
LatestBlessedModelStrategy only) to a KFP "resolver" executor, and the KFP v2
backend refuses every such executor when it turns the IR into an Argo
workflow ("resolver executors not implemented", kubeflow/pipelines
backend/src/v2/compiler/argocompiler/dag.go); only Vertex AI runs them. So
the components resolve at run time what local runs resolve from ML Metadata
(create_pipeline(without_resolvers=True)):
- data.drift: the DriftGate reads the last accepted span's statistics through
  a pointer file in <pipeline root>/<pipeline>/drift-reference/ and moves the
  pointer when a span passes (locally: the newest DataBaseline artifact).
- release: ReleaseBaseline copies the model of the latest release in the
  release store (`release.store`, a gs:// URI) into a Model artifact for the
  Evaluator; before the first release the Evaluator has no baseline (locally:
  the model of the highest released ReleaseRecord in ML Metadata).
- without release: the Evaluator has no baseline on Kubeflow, so only the
  value thresholds gate the blessing (locally: the newest other blessed
  model, with the change threshold too). Use `release` to compare models there.
DriftGate and ReleaseBaseline (UNCACHED_TASKS) run with KFP caching off,
since what they read is not among their KFP inputs; with `release` the
Evaluator, whose baseline input is then new on every run, re-evaluates every
run (locally it hits the cache when the baseline is unchanged).
Remaining differences from local runs: a span window (spans.select: window)
is refused, as Transform would need a Resolver for the earlier spans; the
baseline and the drift reference are not ML Metadata lineage of a resolver
(the copied model is a KFP artifact with release_version and
released_model_uri properties); the drift pointer sits under the pipeline
root given at compile time, even if a run overrides the root; on unchanged
data with a model equal to the latest release's, every Kubeflow run
re-evaluates it against that release, and the Releaser, finding the same
.tflite in that release, publishes nothing (tests/test_kubeflow_shape_e2e.py).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from tfx import v1 as tfx

from pipelines.pipeline import create_pipeline
from pipelines.spans import SPAN
from tinyml import paths
from tinyml import node_ids
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
        release_store=config.release.store if config.release else None,
        without_resolvers=True,
    )
    _check_resolvers(pipeline)
    if config.data.serving_path and config.data.drift:
        # As written: Path() would fold gs:// into gs:/.
        _node(pipeline, node_ids.DRIFT_GATE).exec_properties["serving_path"] = config.data.serving_path
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
    trainer = _node(pipeline, node_ids.TRAINER)
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
