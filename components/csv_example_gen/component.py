"""CsvExampleGen for data with a curated schema: TFX's FileBasedExampleGen (CsvExampleGen's spec,
outputs and split config) running the executor that takes the column types from the schema.

    SchemaCsvExampleGen(input_base=<CSV folder>, input_pattern="*", output_config=..., schema_path=<schema.pbtxt>)
"""
from __future__ import annotations

import hashlib
import os

from tfx.components.example_gen.component import FileBasedExampleGen
from tfx.dsl.components.base import executor_spec
from tfx.orchestration.data_types import RuntimeParameter
from tfx.proto import example_gen_pb2

from components.csv_example_gen.executor import Executor, custom_config


def SchemaCsvExampleGen(  # noqa: N802 (named as a component class)
    input_base: str | RuntimeParameter,
    output_config: example_gen_pb2.Output,
    schema_path: str,
    input_pattern: str = "*",
) -> FileBasedExampleGen:
    """`schema_path` as the executor sees it (a path in the component image or a gs:// URI on Kubeflow)."""
    # A schema readable here also puts its text in the cache key: a changed type re-runs ExampleGen.
    digest = None
    if os.path.isfile(schema_path):
        with open(schema_path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
    return FileBasedExampleGen(
        input_base=input_base,
        input_config=example_gen_pb2.Input(splits=[example_gen_pb2.Input.Split(name="single_split",
                                                                               pattern=input_pattern)]),
        output_config=output_config,
        custom_config=custom_config(schema_path, digest),
        custom_executor_spec=executor_spec.BeamExecutorSpec(Executor),
    )
