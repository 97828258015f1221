"""The pipeline benchmark's anchor: a plain TFX pipeline of the standard components only
(CsvExampleGen, StatisticsGen, SchemaGen, ExampleValidator, Transform, Trainer, Evaluator),
with the same model code, split, evaluation config and data as `tinyml run`, TFX's
default Beam settings and no custom component (no gate, converter or firmware).

    python -m benchmarks.plain_tfx --config CONFIG --root DIR --run-id ID [--usage USAGE.json]
"""
from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from tfx import v1 as tfx
from tfx.dsl.compiler import compiler, constants
from tfx.orchestration.portable import runtime_parameter_utils
from tfx.proto import example_gen_pb2

from pipelines.data_location import data_location
from pipelines.data_prep import prepare_data
from pipelines.eval_config import build_eval_config
from pipelines.pipeline import split_config, trainer_custom_config
from pipelines.run_progress import ExecutionWatcher
from tinyml.config import PipelineConfig, load_config
from tinyml.runs.layout import RunsLayout

PIPELINE = "plain-tfx"


def plain_pipeline(config: PipelineConfig, layout: RunsLayout) -> tfx.dsl.Pipeline:
    prepare_data(config, layout.root)
    data_root, pattern = data_location(config, str(layout.root), on_this_machine=True)
    example_gen = tfx.components.CsvExampleGen(
        input_base=data_root,
        input_config=example_gen_pb2.Input(splits=[example_gen_pb2.Input.Split(name="single_split", pattern=pattern)]),
        output_config=split_config(config),
    )
    statistics_gen = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"])
    schema_gen = tfx.components.SchemaGen(statistics=statistics_gen.outputs["statistics"], infer_feature_shape=True)
    example_validator = tfx.components.ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"])
    transform = tfx.components.Transform(
        examples=example_gen.outputs["examples"], schema=schema_gen.outputs["schema"],
        preprocessing_fn=config.model.preprocessing_fn)
    trainer = tfx.components.Trainer(
        run_fn=config.model.run_fn, examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"], schema=schema_gen.outputs["schema"],
        custom_config=trainer_custom_config(config))
    evaluator = tfx.components.Evaluator(
        examples=example_gen.outputs["examples"], model=trainer.outputs["model"],
        eval_config=build_eval_config(config), example_splits=["eval"])
    metadata = layout.metadata_path(PIPELINE)
    metadata.parent.mkdir(parents=True, exist_ok=True)
    return tfx.dsl.Pipeline(
        pipeline_name=PIPELINE,
        pipeline_root=str(layout.pipeline_root(PIPELINE)),
        components=[example_gen, statistics_gen, schema_gen, example_validator, transform, trainer, evaluator],
        metadata_connection_config=tfx.orchestration.metadata.sqlite_metadata_connection_config(str(metadata)),
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=None)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--run-id", required=True, help="Recorded in ML Metadata, to read the run's times back.")
    parser.add_argument("--usage", type=Path, help="Writes each component's CPU seconds and peak RSS here (JSON).")
    args = parser.parse_args(argv)
    layout = RunsLayout(args.root.resolve())
    ir = compiler.Compiler().compile(plain_pipeline(load_config(args.config), layout))
    runtime_parameter_utils.substitute_runtime_parameter(ir, {constants.PIPELINE_RUN_ID_PARAMETER_NAME: args.run_id})
    # Measured as `tinyml run` measures its components.
    watcher = ExecutionWatcher(layout.metadata_path(PIPELINE), PIPELINE, args.run_id, lambda node, event: None)
    watcher.start()
    try:
        tfx.orchestration.LocalDagRunner().run_with_ir(ir)
    finally:
        watcher.stop()
    if args.usage:
        args.usage.write_text(json.dumps({n: dataclasses.asdict(u) for n, u in watcher.meter.usage.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
