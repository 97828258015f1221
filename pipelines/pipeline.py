"""`create_pipeline`: the one place the pipeline's components are wired.

Runners (local, Kubeflow) only choose where it runs; model and feature code
live with each example and are referenced by import path.
"""
from __future__ import annotations

import hashlib
import json
import importlib.util
from collections.abc import Sequence
from pathlib import Path

from tfx.orchestration.data_types import RuntimeParameter
from tfx.proto import example_gen_pb2

from pipelines.tfx_api import tfx
from components.artifact_types import DataBaseline, ReleaseRecord
from components.data_gate.component import DataGate
from components.drift_gate.component import DriftGate
from components.firmware_builder.component import FirmwareBuilder
from components.release_baseline.component import ReleaseBaseline
from components.release_evaluator.component import ReleaseEvaluator
from components.releaser.component import Releaser
from components.tflm_converter.component import TFLMConverter
from components.csv_example_gen.component import SchemaCsvExampleGen
from components.wav_example_gen.component import WavExampleGen
from pipelines.data_prep import wav_label_rule, wav_names_digest
from pipelines.eval_config import build_eval_config
from pipelines.resolvers import LatestBaselineStrategy, LatestBlessedOtherModelStrategy, LatestReleasedModelStrategy
from pipelines.span_window import NewestSpanTransformedStrategy, SpanWindowStrategy
from tinyml import node_ids
from tinyml.audio.tf_frontend import load_op
from tinyml.config import PipelineConfig
from tinyml.errors import TinymlError
from tinyml.profiles import profiles_to_json


def split_config(config: PipelineConfig) -> example_gen_pb2.Output:
    # Split first, before any statistics are computed, so eval data never
    # shapes the schema or the Transform vocabulary. ExampleGen hashes the
    # whole example (exact duplicates stay together) or the group feature.
    split = config.data.split
    split_config = example_gen_pb2.SplitConfig(
        splits=[
            example_gen_pb2.SplitConfig.Split(name="train", hash_buckets=split.train),
            example_gen_pb2.SplitConfig.Split(name="eval", hash_buckets=split.eval),
        ]
    )
    if config.data.group_feature:
        split_config.partition_feature_name = config.data.group_feature
    return example_gen_pb2.Output(split_config=split_config)


def code_fingerprint(import_path: str) -> str:
    """Hash of the Python files beside the function's module.

    Code referenced by import path is not part of TFX's cache key (unlike a
    module_file), so an edited model or preprocessing function would silently
    hit the cache. The fingerprint, passed as a parameter, makes it count.
    """
    module = import_path.rsplit(".", 1)[0]
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        spec = None
    if spec is None or not spec.origin:
        raise TinymlError(
            f"cannot find module '{module}' of '{import_path}'",
            fix="set model.preprocessing_fn / model.run_fn in the config to functions of an installed package",
        )
    digest = hashlib.sha256()
    # Tests beside the code do not change what runs.
    for path in sorted(p for p in Path(spec.origin).parent.glob("*.py") if not p.name.endswith("_test.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def trainer_custom_config(config: PipelineConfig) -> dict:
    """What the Trainer's run_fn reads from custom_config."""
    m = config.model
    return {
        "epochs": m.epochs,
        "batch_size": m.batch_size,
        "learning_rate": m.learning_rate,
        "seed": m.seed,
        "label_key": config.data.label,
        "num_classes": config.data.num_classes,
        "code_fingerprint": code_fingerprint(m.run_fn),
    }


def evaluator_baseline(
    config: PipelineConfig, candidate: tfx.dsl.Channel, release_store: str | None, without_resolvers: bool
) -> tuple[tfx.dsl.Resolver | ReleaseBaseline | None, type]:
    """The node giving the Evaluator its baseline model (None: no baseline), and the Evaluator class to use.

    With 'release' the baseline is the latest release (what is in the field,
    not the latest blessing); without, the newest other blessed model. Without
    resolvers (Kubeflow) ReleaseBaseline reads the release store instead, and
    with no release there is no baseline.
    """
    if without_resolvers:
        if not config.release:
            return None, tfx.components.Evaluator
        baseline = ReleaseBaseline(store=release_store, pipeline=config.name).with_id(node_ids.RELEASE_BASELINE)
        return baseline, ReleaseEvaluator
    if config.release:
        return tfx.dsl.Resolver(
            strategy_class=LatestReleasedModelStrategy,
            model=tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
            release=tfx.dsl.Channel(type=ReleaseRecord),
        ).with_id(node_ids.LATEST_RELEASED_MODEL_RESOLVER), tfx.components.Evaluator
    return tfx.dsl.Resolver(
        strategy_class=LatestBlessedOtherModelStrategy,
        model=tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
        model_blessing=tfx.dsl.Channel(type=tfx.types.standard_artifacts.ModelBlessing),
        candidate=candidate,
    ).with_id(node_ids.LATEST_BLESSED_MODEL_RESOLVER), tfx.components.Evaluator


def create_pipeline(
    config: PipelineConfig,
    pipeline_root: str,
    data_root: str | RuntimeParameter,
    schema_path: str | None = None,
    input_pattern: str = "*",
    metadata_connection_config=None,
    beam_pipeline_args: list[str] | None = None,
    enable_cache: bool = True,
    release_store: str | None = None,
    without_resolvers: bool = False,
    serving_path: str | None = None,
    targets: Sequence[str] | RuntimeParameter | None = None,
    trainer_config: dict | RuntimeParameter | None = None,
) -> tfx.dsl.Pipeline:
    """The full pipeline for `config`, reading the files matching `input_pattern` in `data_root`.

    `schema_path`: a curated schema to validate against; inferred when None.
    With spans, `input_pattern` holds {SPAN} and ExampleGen reads the newest span.
    `release_store`: where releases go when the config has 'release'.
    `without_resolvers`: no Resolver node, for Kubeflow, whose backend runs none;
    the components resolve instead (README, "Kubeflow Pipelines").
    `serving_path`: the DriftGate's serving data as written; default the
    config's, resolved against the config's folder.
    `data_root`, `targets` (target profiles, default the config's) and
    `trainer_config` (the Trainer's custom_config, default
    trainer_custom_config(config)) may be RuntimeParameters, set per run.
    """
    if config.data.audio:
        # LocalDagRunner runs every component in this process: the frontend op
        # must be registered before the Evaluator loads a model holding it.
        load_op()
    if config.release and not release_store:
        raise ValueError("the config has 'release': pass release_store")
    if without_resolvers and config.data.spans and config.data.spans.select == "window":
        raise ValueError("a window of spans is assembled by a Resolver")
    if config.data.format == "wav":
        rule = wav_label_rule(config)
        example_gen = WavExampleGen(
            input_base=data_root, input_pattern=input_pattern, output_config=split_config(config),
            rule=rule, audio=config.data.audio, names_digest=wav_names_digest(data_root, rule),
        ).with_id(node_ids.WAV_EXAMPLE_GEN)
    elif config.data.format == "csv" and schema_path:
        example_gen = SchemaCsvExampleGen(
            input_base=data_root, input_pattern=input_pattern, output_config=split_config(config),
            schema_path=schema_path,
        ).with_id(node_ids.CSV_EXAMPLE_GEN)
    else:
        example_gen_cls = tfx.components.CsvExampleGen if config.data.format == "csv" else tfx.components.ImportExampleGen
        example_gen = example_gen_cls(
            input_base=data_root,
            input_config=example_gen_pb2.Input(splits=[example_gen_pb2.Input.Split(name="single_split", pattern=input_pattern)]),
            output_config=split_config(config),
        ).with_id(node_ids.CSV_EXAMPLE_GEN if config.data.format == "csv" else node_ids.IMPORT_EXAMPLE_GEN)
    examples = example_gen.outputs["examples"]

    statistics_gen = tfx.components.StatisticsGen(examples=examples).with_id(node_ids.STATISTICS_GEN)
    if schema_path:
        schema_gen = tfx.components.ImportSchemaGen(schema_file=schema_path).with_id(node_ids.IMPORT_SCHEMA_GEN)
    else:
        schema_gen = tfx.components.SchemaGen(
            statistics=statistics_gen.outputs["statistics"], infer_feature_shape=True
        ).with_id(node_ids.SCHEMA_GEN)
    example_validator = tfx.components.ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"]
    ).with_id(node_ids.EXAMPLE_VALIDATOR)
    data_gate = DataGate(
        examples=examples, anomalies=example_validator.outputs["anomalies"], label_feature=config.data.label,
        num_classes=config.data.num_classes, split=config.data.split.model_dump(),
        group_feature=config.data.group_feature,
    ).with_id(node_ids.DATA_GATE)

    span_nodes = []
    if config.data.drift:
        # The reference is resolved before this run's gate publishes, so it is
        # the last span that passed an earlier run's gate.
        reference = None if without_resolvers else tfx.dsl.Resolver(
            strategy_class=LatestBaselineStrategy,
            baseline=tfx.dsl.Channel(type=DataBaseline),
        ).with_id(node_ids.DRIFT_REFERENCE_RESOLVER)
        drift_gate = DriftGate(
            statistics=statistics_gen.outputs["statistics"],
            schema=schema_gen.outputs["schema"],
            examples=examples,
            reference=reference.outputs["baseline"] if reference else None,
            thresholds=config.data.drift.model_dump(),
            serving_path=serving_path or (str(config.serving_file()) if config.serving_file() else None),
            reference_store=f"{pipeline_root.rstrip('/')}/{config.name}/drift-reference" if without_resolvers else None,
        ).with_id(node_ids.DRIFT_GATE)
        span_nodes = [reference, drift_gate] if reference else [drift_gate]
    training_examples = examples
    if config.data.spans and config.data.spans.select == "window":
        window_inputs = {"examples": tfx.dsl.Channel(type=tfx.types.standard_artifacts.Examples)}
        if config.data.drift:
            window_inputs["accepted"] = tfx.dsl.Channel(type=DataBaseline)
        window = tfx.dsl.Resolver(
            strategy_class=SpanWindowStrategy, config={"num_spans": config.data.spans.window}, **window_inputs
        ).with_id(node_ids.SPAN_WINDOW_RESOLVER)
        # After this run's span is ingested (and accepted), so it is in the window.
        window.add_upstream_node(example_gen)
        if config.data.drift:
            window.add_upstream_node(drift_gate)
        span_nodes.append(window)
        training_examples = window.outputs["examples"]

    transform = tfx.components.Transform(
        examples=training_examples,
        schema=schema_gen.outputs["schema"],
        preprocessing_fn=config.model.preprocessing_fn,
        custom_config={"code_fingerprint": code_fingerprint(config.model.preprocessing_fn),
                       **({"audio": config.data.audio.model_dump()} if config.data.audio else {})},
        # Pre- and post-transform statistics of raw audio (thousands of values
        # per example) would cost more than the transform; StatisticsGen has them.
        disable_statistics=config.data.audio is not None,
    ).with_id(node_ids.TRANSFORM)
    transform.add_upstream_node(data_gate)
    if config.data.drift:
        transform.add_upstream_node(drift_gate)
    transformed_examples = transform.outputs["transformed_examples"]
    if training_examples is not examples:
        # One transformed artifact per span: the converter checks the int8
        # model on the newest span, as the Evaluator does.
        newest = tfx.dsl.Resolver(
            strategy_class=NewestSpanTransformedStrategy, transformed_examples=transformed_examples,
        ).with_id(node_ids.NEWEST_SPAN_TRANSFORMED_RESOLVER)
        span_nodes.append(newest)
        transformed_examples = newest.outputs["transformed_examples"]

    targets = config.targets if targets is None else targets
    trainer = tfx.components.Trainer(
        run_fn=config.model.run_fn,
        examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"],
        schema=schema_gen.outputs["schema"],
        custom_config=trainer_custom_config(config) if trainer_config is None else trainer_config,
    ).with_id(node_ids.TRAINER)
    baseline, evaluator_cls = evaluator_baseline(config, trainer.outputs["model"], release_store, without_resolvers)

    evaluator = evaluator_cls(
        examples=examples,
        model=trainer.outputs["model"],
        baseline_model=baseline.outputs["model"] if baseline else None,
        eval_config=build_eval_config(config),
        example_splits=["eval"],
    ).with_id(node_ids.EVALUATOR)

    # The profiles themselves, not the file's path: a Kubeflow container has no copy of the file.
    user_profiles = profiles_to_json(config.user_profiles()) if config.profiles else None
    converter = TFLMConverter(
        model=trainer.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        transform_graph=transform.outputs["transform_graph"],
        examples=transformed_examples,
        label_key=config.data.label,
        slice_features=config.data.slice_features,
        targets=targets,
        config=config.converter,
        profiles=user_profiles,
        min_slice_examples=config.evaluation.min_slice_examples,
        kws=config.evaluation.kws,
        audio=json.dumps(config.data.audio.model_dump()) if config.data.audio else None,
    ).with_id(node_ids.TFLM_CONVERTER)
    firmware = FirmwareBuilder(
        tflite_model=converter.outputs["tflite_model"],
        firmware_blessing=converter.outputs["firmware_blessing"],
        targets=targets,
        model=trainer.outputs["model"],
        examples=training_examples,
        evaluation=evaluator.outputs["evaluation"],
        profiles=user_profiles,
        audio=config.data.audio.model_dump_json() if config.data.audio else None,
        package_prefix=config.firmware.prefix,
    ).with_id(node_ids.FIRMWARE_BUILDER)
    release_nodes = []
    if config.release:
        release_nodes = [Releaser(
            model=trainer.outputs["model"],
            model_blessing=evaluator.outputs["blessing"],
            evaluation=evaluator.outputs["evaluation"],
            firmware=firmware.outputs["firmware"],
            examples=training_examples,
            store=release_store,
            pipeline=config.name,
            targets=targets,
            min_slice_examples=config.evaluation.min_slice_examples,
            max_slice_accuracy_decrease=config.evaluation.max_slice_accuracy_decrease,
        ).with_id(node_ids.RELEASER)]

    return tfx.dsl.Pipeline(
        pipeline_name=config.name,
        pipeline_root=pipeline_root,
        components=[
            example_gen,
            statistics_gen,
            schema_gen,
            example_validator,
            data_gate,
            *span_nodes,
            transform,
            trainer,
            *([baseline] if baseline else []),
            evaluator,
            converter,
            firmware,
            *release_nodes,
        ],
        enable_cache=enable_cache,
        metadata_connection_config=metadata_connection_config,
        beam_pipeline_args=beam_pipeline_args or [],
    )
